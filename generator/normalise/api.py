"""The whole API: operations grouped, models collected, servers and security read."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .. import ir
from ..documents import Location
from ..errors import SpecError
from ..loader import LoadedSpec
from ..names import CLASS_BODY_NAMES, CLIENT_MEMBERS, NameAllocator, class_name, pascal_case, value_name
from ..normalise.base import HTTP_METHODS
from ..normalise.kept import KeptComponents, inputs_key
from ..normalise.modules import model_modules
from ..normalise.operations import HTTP_TOKEN, Operations, media_kind
from ..normalise.replay import ItemReplay

# RFC 3986 pchar besides unreserved characters (which ``quote`` never encodes), and ``%`` for the escapes a
# URL already holds: a ``%`` not followed by two hex digits is encoded first.
_PCHAR = "!$&'()*+,;=:@%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))  # stripped from both ends, as WHATWG's URL parser does


class Normaliser(Operations):
    def __init__(self, spec: LoadedSpec, kept: KeptComponents | None = None) -> None:
        super().__init__(spec)
        self.kept = kept

    def build(self) -> ir.Api:
        key = self._type_components()
        replay = ItemReplay(self.kept.recall_items(key)) if self.kept is not None and key is not None else None
        read = len(self.docs.files())
        operations = self.operations(replay)
        # Records hold only when the pass read nothing the key does not: no file first read (reached only
        # through ``x-`` keys, which ``check_refs`` does not walk) and no reference into ``paths`` followed.
        unread = len(self.docs.files()) == read and not self.docs.refers_into_paths()
        if self.kept is not None and key is not None and replay is not None and replay.changed() and unread:
            self.kept.remember_items(key, tuple(replay.records))
        groups: dict[str, list[ir.Operation]] = {}
        tags: dict[str, str] = {}
        group_names = NameAllocator(CLIENT_MEMBERS | CLASS_BODY_NAMES)
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
                final = _named(op, named[id(op)], tags[group], method_names)
                if final is not op and self.kept is not None:
                    self.kept.renamed(op, final, NAMED_FIELDS)
                renamed.append(final)
            attr = tags[group]
            built.append(
                ir.Group(attr, pascal_case(attr) + "Api", group, tuple(sorted(renamed, key=lambda o: o.py_name)))
            )
        info = self.spec.part("info") or {}
        security = self._security()
        self._webhook_payloads()
        models = tuple(sorted(self.models.values(), key=lambda m: m.name))
        enums = tuple(sorted(self.enums.values(), key=lambda e: e.name))
        aliases = tuple(sorted(self.aliases.values(), key=lambda a: a.name))
        return ir.Api(
            title=str(info.get("title") or "API"),
            version=str(info.get("version") or ""),
            description=str(info.get("description") or ""),
            spec_sha256=self.spec.digest_of_all_read(),
            base_path=self._base_path(),
            groups=tuple(built),
            models=models,
            enums=enums,
            aliases=aliases,
            security_schemes=security,
            request_id_header=self._request_id_header(operations),
            token_url=next((scheme.token_url for scheme in security if scheme.token_url), ""),
            auth_options=self._auth_options(),
            diagnostics=tuple(
                sorted({*self.spec.diagnostics, *self.diagnostics()}, key=lambda d: (d.file, d.pointer, d.message))
            ),
            model_modules=(
                self.kept.model_modules(tuple(built), models, enums, aliases)
                if self.kept is not None and key is not None
                else model_modules(built, models, enums, aliases)
            ),
        )

    def _type_components(self) -> str | None:
        """Every component schema typed (in response shape), used by an operation or not, so names stay stable
        when a new Airflow version starts or stops using one: the state this leaves is read back when an
        earlier run typed the same components (``kept``), and kept for the next run otherwise. The key the
        state is kept under, or None where it is not kept."""
        read = self.docs.files()
        key = inputs_key(self.spec, self._tags) if self.kept is not None else None
        state = self.kept.recall(key) if self.kept is not None and key is not None else None
        if state is not None:
            self._restore_component_state(state)
            return key
        for name, schema, at in self._component_schemas():
            self.type_of(schema, at, class_name(str(name)), "response")
        # References only the pass itself followed (those under an ``x-`` key, which ``check_refs`` does not walk)
        # may have led into ``paths`` or to a file the key does not hold: then it holds too little.
        if (
            self.kept is not None
            and key is not None
            and not self.docs.refers_into_paths()
            and self.docs.files() == read
        ):
            self.kept.remember(key, self._component_state())
            return key
        return None

    def _base_path(self) -> str:
        """The path the first server URL adds below the caller's ``base_url`` (``/api/v1``), or "".

        Whatever ``servers`` says may only contribute a path, never a host, port or scheme: an absolute
        URL (``https://host:8443/api/v1``) gives its path; a relative one is taken as a path (``v1`` ->
        ``/v1``, ``@otherhost:8080/api`` -> ``/@otherhost:8080/api``, never glued onto the caller's host
        as ``http://caller@otherhost:8080/api``). Every server URL (its variables at their defaults) is
        checked for userinfo first."""
        servers = self.spec.part("servers") or []
        if not isinstance(servers, list):
            return ""
        urls = []
        for i, server in enumerate(servers):
            if not isinstance(server, dict):
                continue
            url = str(server.get("url") or "")
            variables = server.get("variables")
            for var, spec in (variables if isinstance(variables, dict) else {}).items():
                default = spec.get("default", "") if isinstance(spec, dict) else ""
                url = url.replace("{" + str(var) + "}", str(default))
            self._refuse_userinfo(url, self.spec.root.child("servers", i, "url"))
            urls.append(url)
        if not servers or not isinstance(servers[0], dict):
            return ""
        return self._server_path(urls[0], self.spec.root.child("servers", 0, "url"))

    def _server_path(self, url: str, at: Location) -> str:
        """A server URL's path made clean: it starts with ``/``, has no empty, ``.`` or ``..`` segment (also
        percent-encoded), no query or fragment, and is percent-encoded except RFC 3986's pchar (an
        existing ``%XX`` is kept). ``.`` segments and empty ones (``//``, a trailing ``/``) are dropped;
        a query or fragment is dropped with a warning; a URL whose path cannot be used (a ``..`` segment,
        a scheme without a host such as ``localhost:8080/api``, text that is no URL) is a warning and
        adds no path."""
        text = url.strip(_C0_AND_SPACE)
        try:
            parts = urlsplit(text)
        except ValueError as exc:  # an invalid IPv6 host, for one
            self.warn(f"server URL {url!r} is not a URL ({exc}): no base path is added to base_url", at)
            return ""
        if parts.scheme and not parts.netloc:
            self.warn(
                f"server URL {url!r} has a scheme but no host (write //host or a path): no base path is added "
                "to base_url",
                at,
            )
            return ""
        if parts.query or parts.fragment or "?" in text or "#" in text:
            self.warn(f"server URL {url!r}: its query or fragment is not sent (only the path is added to base_url)", at)
        segments = []
        for segment in parts.path.split("/"):
            if unquote(segment) == "..":
                self.warn(
                    f"server URL {url!r} has a '..' segment, which would leave base_url's path: no base path is "
                    "added to base_url",
                    at,
                )
                return ""
            if segment and unquote(segment) != ".":
                segments.append(segment)
        try:
            encoded = [quote(_LONE_PERCENT.sub("%25", segment), safe=_PCHAR, errors="strict") for segment in segments]
        except UnicodeEncodeError:  # a lone surrogate
            self.warn(f"server URL {url!r} is not valid text: no base path is added to base_url", at)
            return ""
        return "".join("/" + segment for segment in encoded)

    def _refuse_userinfo(self, url: str, at: Location) -> None:
        """A URL of the spec with userinfo (``http://a@b/``, ``https://u:p@host/``) is refused: a
        client would send its credentials to host ``b``, or the spec's own, unnoticed."""
        try:
            netloc = urlsplit(url).netloc
        except ValueError:  # an unclosed IPv6 bracket, for one: the authority as written
            netloc = re.split(r"[/?#]", url.partition("//")[2], maxsplit=1)[0]
        if "@" in netloc:
            raise self.docs.error(
                f"URL {url!r} carries userinfo (user@host); the generated client refuses to send "
                "credentials to a URL that names its own; remove the user part",
                at,
            )

    def _webhook_payloads(self) -> None:
        """OpenAPI 3.1 webhooks are requests the server sends: no client method, but each JSON payload
        becomes a model (``<Webhook>WebhookPayload`` when inline) a receiver can decode into."""
        webhooks = self.spec.part("webhooks")
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
        schemes = self.spec.part("components", "securitySchemes") or {}
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

    def _auth_options(self) -> tuple[ir.AuthOption, ...]:
        """Each security scheme as the runtime auth that sends it (``ir.AuthOption``); a scheme no
        runtime auth sends (HTTP digest or negotiate, an API key where no key can go) is a warning."""
        schemes = self.spec.part("components", "securitySchemes") or {}
        names = NameAllocator(CLIENT_MEMBERS | CLASS_BODY_NAMES)
        options: list[ir.AuthOption] = []
        for key, node in sorted(schemes.items()):
            at = self.spec.root.child("components", "securitySchemes", key)
            node, at = self.docs.deref(node, at)
            if not isinstance(node, dict):
                continue
            for suffix, kind, settings in _auth_kinds(node):
                if kind is None:
                    self.warn(f"security scheme {key!r}: {settings['reason']}; pass your own httpx.Auth", at)
                    continue
                # "OAuth2..." is one word to a reader, not "o_auth2" (but "photo_auth" stays)
                name = names.take(_OAUTH_WORD.sub(r"\1oauth", value_name(f"{key}_{suffix}" if suffix else str(key))))
                options.append(ir.AuthOption(name, str(key), kind, **settings))  # type: ignore[arg-type]
        return tuple(options)


_OAUTH_WORD = re.compile(r"(^|_)o_auth")
_FLOW_KINDS = {"password": "password", "clientCredentials": "client_credentials", "authorizationCode": "refresh_token"}


def _auth_kinds(node: dict[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(name suffix, auth kind or None, settings or the reason none fits) for one scheme: one entry,
    or one per OAuth2 flow when it has several."""
    kind = node.get("type")
    if kind == "http":
        scheme = str(node.get("scheme", "")).lower()
        if scheme in ("basic", "bearer"):
            summary = "HTTP basic auth" if scheme == "basic" else "a bearer token"
            return [("", scheme, {"summary": summary})]
        return [("", None, {"reason": f"HTTP {scheme or 'without a scheme'} is not supported"})]
    if kind == "apiKey":
        location, name = str(node.get("in", "")), str(node.get("name", ""))
        if location not in ("header", "query", "cookie") or not HTTP_TOKEN.fullmatch(name):
            return [("", None, {"reason": f"an API key {name!r} in {location!r} cannot be sent"})]
        summary = f"an API key in the {location} {name!r}"
        return [("", "api_key", {"summary": summary, "location": location, "name": name})]
    if kind == "openIdConnect":
        return [("", "bearer", {"summary": "an OpenID Connect token (or a callable returning a fresh one)"})]
    if kind != "oauth2":
        return [("", None, {"reason": f"type {kind!r} is not supported"})]
    flows = node.get("flows")
    found = [_oauth_flow(str(name), flow) for name, flow in sorted((flows or {}).items()) if isinstance(flow, dict)]
    if len(found) == 1:
        found = [("", *found[0][1:])]
    return found


_FLOW_WORDS = {
    "password": "password",
    "client_credentials": "client credentials",
    "refresh_token": "authorization code",
}


def _oauth_flow(flow_name: str, flow: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    scopes = tuple(sorted(str(s) for s in flow.get("scopes") or {}))
    token_url = str(flow.get("tokenUrl") or "")
    flow_kind = _FLOW_KINDS.get(flow_name)
    if flow_kind is None or not token_url:  # implicit (no token URL): the token the application got
        return flow_name, "bearer", {"summary": f"an OAuth2 {flow_name} token"}
    summary = f"the OAuth2 {_FLOW_WORDS[flow_kind]} flow at {token_url}"
    return flow_name, flow_kind, {"summary": summary, "token_url": token_url, "scopes": scopes}


def normalise(spec: LoadedSpec, kept: KeptComponents | None = None) -> ir.Api:
    """The spec as the IR. With ``kept``, the component pass is read back from (or kept for) another run."""
    try:
        return Normaliser(spec, kept).build()
    except RecursionError:
        raise SpecError("schema nesting too deep (a reference cycle?)", file=spec.path) from None


def _webhook_methods(item: Any) -> list[str]:
    return [m for m in HTTP_METHODS if isinstance(item, dict) and isinstance(item.get(m), dict)]


# The fields of an operation ``_named`` gives: all it may change (``KeptComponents.renamed`` digests them).
NAMED_FIELDS = ("py_name", "group", "pagination", "link_pagination", "stream", "download")


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
    named = (name, group, pagination, links, stream, download)
    if named == tuple(getattr(op, field) for field in NAMED_FIELDS):
        return op  # the same object: a digest kept for it holds (``render.render_files``)
    given: dict[str, Any] = dict(zip(NAMED_FIELDS, named, strict=True))
    return replace(op, **given)
