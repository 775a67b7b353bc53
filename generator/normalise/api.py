"""The whole API: operations grouped, models collected, servers and security read."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from generator import ir
from generator.documents import Location
from generator.errors import SpecError
from generator.loader import LoadedSpec
from generator.names import CLIENT_MEMBERS, NameAllocator, class_name, pascal_case
from generator.normalise.base import HTTP_METHODS
from generator.normalise.operations import Operations, media_kind


class Normaliser(Operations):
    def build(self) -> ir.Api:
        # Every component schema is generated (in response shape), used by an operation or not,
        # so names stay stable when a new Airflow version starts or stops using one.
        for key, schema, at in self._component_schemas():
            self.type_of(schema, at, class_name(str(key)), "response")
        operations = self.operations()
        groups: dict[str, list[ir.Operation]] = {}
        tags: dict[str, str] = {}
        group_names = NameAllocator(CLIENT_MEMBERS)
        for op in operations:
            if op.group not in tags:
                tags[op.group] = group_names.take(op.group)
            groups.setdefault(op.group, []).append(op)
        # Method names are unique across groups (they also name the endpoint constants); paging
        # helpers are named after every operation has its name, so they never take one.
        method_names = NameAllocator()
        named = {id(op): method_names.take(op.py_name) for op in operations}
        built: list[ir.Group] = []
        for group, group_ops in sorted(groups.items()):
            renamed = []
            for op in group_ops:
                renamed.append(_named(op, named[id(op)], tags[group], method_names))
            attr = tags[group]
            built.append(
                ir.Group(attr, pascal_case(attr) + "Api", group, tuple(sorted(renamed, key=lambda o: o.py_name)))
            )
        info = self.spec.data.get("info") or {}
        security = self._security()
        self._webhook_payloads()
        return ir.Api(
            title=str(info.get("title") or "API"),
            version=str(info.get("version") or ""),
            description=str(info.get("description") or ""),
            spec_sha256=self.spec.sha256,
            base_path=self._base_path(),
            groups=tuple(built),
            models=tuple(sorted(self.models.values(), key=lambda m: m.name)),
            enums=tuple(sorted(self.enums.values(), key=lambda e: e.name)),
            aliases=tuple(sorted(self.aliases.values(), key=lambda a: a.name)),
            security_schemes=security,
            request_id_header=self._request_id_header(operations),
            token_url=next((scheme.token_url for scheme in security if scheme.token_url), ""),
            diagnostics=tuple(
                sorted({*self.spec.diagnostics, *self.diagnostics}, key=lambda d: (d.file, d.pointer, d.message))
            ),
        )

    def _base_path(self) -> str:
        """The path part of the first server URL (``/api/v1``); the client adds it to ``base_url``.

        Every server URL (its variables at their defaults) is checked for userinfo first."""
        servers = self.spec.data.get("servers") or []
        urls = []
        for i, server in enumerate(servers):
            if not isinstance(server, dict):
                continue
            url = str(server.get("url") or "")
            for var, spec in (server.get("variables") or {}).items():
                url = url.replace("{" + str(var) + "}", str((spec or {}).get("default", "")))
            self._refuse_userinfo(url, self.spec.root.child("servers", i, "url"))
            urls.append(url)
        if not servers or not isinstance(servers[0], dict):
            return ""
        return urlsplit(urls[0]).path.rstrip("/")

    def _refuse_userinfo(self, url: str, at: Location) -> None:
        """A URL of the spec with userinfo (``http://a@b/``, ``https://u:p@host/``) is refused: a
        client would send its credentials to host ``b``, or the spec's own, unnoticed."""
        if "@" in urlsplit(url).netloc:
            raise self.docs.error(
                f"URL {url!r} carries userinfo (user@host); the generated client refuses to send "
                "credentials to a URL that names its own; remove the user part",
                at,
            )

    def _webhook_payloads(self) -> None:
        """OpenAPI 3.1 webhooks are requests the server sends: no client method, but each JSON payload
        becomes a model (``<Webhook>WebhookPayload`` when inline) a receiver can decode into."""
        webhooks = self.spec.data.get("webhooks")
        if not isinstance(webhooks, dict) or not webhooks:
            return
        at = self.spec.root.child("webhooks")
        for name, item in sorted(webhooks.items()):
            item_at = at.child(str(name))
            if isinstance(item, dict) and "$ref" in item:
                item, item_at = self.docs.deref(item, item_at)
            for method in _webhook_methods(item):
                body = item[method].get("requestBody")
                body_at = item_at.child(method, "requestBody")
                if isinstance(body, dict) and "$ref" in body:
                    body, body_at = self.docs.deref(body, body_at)
                content = body.get("content") if isinstance(body, dict) else None
                content = content if isinstance(content, dict) else {}
                media = next((str(m) for m in content if media_kind(str(m)) == "json"), None)
                schema = (content[media] or {}).get("schema") if media is not None else None
                if media is not None and schema is not None:
                    class_ = class_name(f"{name}Webhook{'' if method == 'post' else pascal_case(method)}Payload")
                    self.type_of(schema, body_at.child("content", media, "schema"), class_, "response")
        self.warn(
            f"{len(webhooks)} webhooks: the server sends them, so no client method; their JSON payload models are "
            "generated",
            at,
        )

    def _security(self) -> tuple[ir.SecurityScheme, ...]:
        schemes = (self.spec.data.get("components") or {}).get("securitySchemes") or {}
        out = []
        for key, node in sorted(schemes.items()):
            node, node_at = self.docs.deref(node, self.spec.root.child("components", "securitySchemes", key))
            flows = node.get("flows") or {}
            for flow_name, flow in flows.items():
                for url_key in ("tokenUrl", "authorizationUrl", "refreshUrl"):
                    if isinstance(flow, dict) and url_key in flow:
                        self._refuse_userinfo(str(flow[url_key]), node_at.child("flows", flow_name, url_key))
            if "openIdConnectUrl" in node:
                self._refuse_userinfo(str(node["openIdConnectUrl"]), node_at.child("openIdConnectUrl"))
            out.append(
                ir.SecurityScheme(
                    key=str(key),
                    type=str(node.get("type", "")),
                    scheme=str(node.get("scheme", "")).lower(),
                    param_name=str(node.get("name", "")),
                    location=str(node.get("in", "")),
                    token_url=str((flows.get("password") or {}).get("tokenUrl", "")),
                )
            )
        return tuple(out)


def normalise(spec: LoadedSpec) -> ir.Api:
    try:
        return Normaliser(spec).build()
    except RecursionError:
        raise SpecError("schema nesting too deep (a reference cycle?)", file=spec.path) from None


def _webhook_methods(item: Any) -> list[str]:
    return [m for m in HTTP_METHODS if isinstance(item, dict) and isinstance(item.get(m), dict)]


def _named(op: ir.Operation, name: str, group: str, method_names: NameAllocator) -> ir.Operation:
    """``op`` under its final method name and group, its helpers named after it."""
    stem = name.removeprefix("get_").removeprefix("list_")
    pagination, links, stream, download = op.pagination, op.link_pagination, op.stream, op.download
    if pagination is not None:
        pagination = replace(pagination, iterator_name=method_names.take(f"iter_{stem}"))
    if links is not None:
        links = replace(links, iterator_name=method_names.take(f"iter_{stem}"))
    if stream is not None:
        stream = replace(stream, method_name=method_names.take(f"{name}_stream"))
    if download is not None:
        download = replace(download, method_name=method_names.take(f"{name}_to_file"))
    return replace(
        op,
        py_name=name,
        group=group,
        pagination=pagination,
        link_pagination=links,
        stream=stream,
        download=download,
    )
