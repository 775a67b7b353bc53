"""Operations, parameters, bodies and responses."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from .. import ir
from ..documents import Location
from ..names import NameAllocator, group_name, pascal_case, value_name
from ..normalise.base import HTTP_METHODS, STR, Mode
from ..normalise.conventions import (
    Conventions,
    _ends_session,
    _identity,
)
from ..normalise.replay import ItemReplay, apply, from_json, item_digest, recording

_CLIENT_HEADERS = frozenset({"accept", "content-type", "authorization"})

# What may not reach a header value: control characters and anything outside ASCII.
_HEADER_UNSAFE = re.compile(r"[^\x20-\x7e]")


class Operations(Conventions):
    def operations(self, replay: ItemReplay | None = None) -> list[ir.Operation]:
        """Every operation, path item by path item in sorted order; with ``replay``, an item an earlier run
        typed from the same state is replayed (``normalise.replay``), and each item is recorded for the next."""
        ops: list[ir.Operation] = []
        seen_ids: dict[str, Location] = {}
        paths = self.spec.tree.get("paths") or {}  # its items parsed as typed
        state = self._watched_state() if replay is not None else None
        json_data = from_json(self.spec)
        walks = self.docs.walks() if replay is not None else None
        digested = walks.path_item_digests() if walks is not None else None
        for path, item in sorted(paths.items()):  # names must not depend on the spec's order
            item_at = self.spec.root.child("paths", path)
            if replay is None or state is None:
                ops += self._path_item(str(path), item, item_at, seen_ids)
                continue
            digest = item_digest(str(path), item, json_data, digested)
            recorded = replay.recall(str(path), digest)
            if recorded is not None:
                apply(state, recorded.effects)
                for op in recorded.operations:
                    self._see(op.operation_id, item_at.child(op.method.lower()), seen_ids)
                ops += recorded.operations
                continue
            with recording(state) as effects:
                made = tuple(self._path_item(str(path), item, item_at, seen_ids))
            replay.typed(str(path), digest, effects[0], made)
            ops += made
        return ops

    def _path_item(self, path: str, item: Any, item_at: Location, seen_ids: dict[str, Location]) -> list[ir.Operation]:
        ops: list[ir.Operation] = []
        item, item_at_resolved = self.docs.deref(item, item_at)
        if not isinstance(item, dict):
            self.warn("path item is not an object: skipped", item_at)
            return ops
        shared = self._parameters(item.get("parameters") or [], item_at_resolved.child("parameters"))
        for method in HTTP_METHODS:
            if method in item and not isinstance(item[method], dict):
                self.warn(f"{method} operation is not an object: skipped", item_at_resolved.child(method))
            if not isinstance(item.get(method), dict):
                continue
            op_at = item_at_resolved.child(method)
            operation = item[method]
            op_id = operation.get("operationId") or f"{method}_{path}"
            self._see(str(op_id), op_at, seen_ids)
            if operation.get("callbacks"):
                self.warn("callbacks are not generated", op_at.child("callbacks"))
            own = self._parameters(operation.get("parameters") or [], op_at.child("parameters"))
            merged = {**shared, **own}  # keyed by (name, in): the operation's own win
            ops.append(self._operation(path, method, operation, op_at, str(op_id), list(merged.values())))
        return ops

    def _see(self, op_id: str, op_at: Location, seen_ids: dict[str, Location]) -> None:
        if op_id in seen_ids:
            raise self.docs.error(
                f"duplicate operationId {op_id!r} (first used at #{seen_ids[op_id].pointer})",
                op_at.child("operationId"),
            )
        seen_ids[op_id] = op_at

    def _parameters(self, params: list[Any], at: Location) -> dict[tuple[str, str], tuple[dict[str, Any], Location]]:
        out: dict[tuple[str, str], tuple[dict[str, Any], Location]] = {}
        for i, param in enumerate(params):
            node, node_at = self.docs.deref(param, at.child(i))
            if isinstance(node, dict) and "name" in node and "in" in node:
                out[(str(node["name"]), str(node["in"]))] = (node, node_at)
            else:
                self.warn("parameter without both name and in: skipped", node_at)
        return out

    def _operation(
        self,
        path: str,
        method: str,
        operation: dict[str, Any],
        at: Location,
        op_id: str,
        raw_params: list[tuple[dict[str, Any], Location]],
    ) -> ir.Operation:
        op_class = pascal_case(op_id)
        # and the arguments the renderer adds: the body's media type where it has several, a download's file
        arg_names = NameAllocator({"self", "options", "body", "accept", "content_type", "destination"})
        params: list[ir.Parameter] = []
        # Path parameters in the order they appear in the path, then the rest in spec order.
        order = {
            name: path.find("{" + name + "}")
            for name, loc in ((p["name"], p["in"]) for p, _ in raw_params)
            if loc == "path"
        }
        for param, param_at in sorted(raw_params, key=lambda p: (p[0]["in"] != "path", order.get(p[0]["name"], 0))):
            location = param["in"]
            if location not in ("path", "query", "header", "cookie"):
                self.warn(f"parameter {param['name']!r} in {location!r}: not a parameter location", param_at)
                continue
            if location in ("header", "cookie") and not HTTP_TOKEN.fullmatch(str(param["name"])):
                self.warn(
                    f"{location} parameter {param['name']!r} is not a valid {location} name (RFC 9110 token): "
                    "not sent by the generated client",
                    param_at,
                )
                continue
            if location == "header" and str(param["name"]).lower() in _CLIENT_HEADERS:
                continue  # content negotiation and auth are the client's job (accept=, auth=)
            schema = param.get("schema")
            schema_at = param_at.child("schema")
            if schema is None and isinstance(param.get("content"), dict) and param["content"]:
                media = next(iter(param["content"]))
                schema = param["content"][media].get("schema")
                schema_at = param_at.child("content", media, "schema")
            t = (
                self.type_of(
                    schema,
                    schema_at,
                    (
                        pascal_case(param["name"])
                        if self._is_param_component(param_at)
                        else f"{op_class}{pascal_case(param['name'])}"
                    ),
                    "request",
                )
                if schema is not None
                else STR
            )
            if isinstance(t, ir.Ref) and t.kind == "enum":
                t = ir.UnionOf((t, STR))  # callers may also send values a newer server accepts
            style = param.get("style", "form" if location == "query" else "simple")
            list_style = _list_style(style, param.get("explode", style == "form"))
            params.append(
                ir.Parameter(
                    wire_name=str(param["name"]),
                    py_name=arg_names.take(value_name(str(param["name"]))),
                    location=location,
                    type=t,
                    required=bool(param.get("required")) or location == "path",
                    list_style=list_style,  # type: ignore[arg-type]
                    deprecated=param.get("deprecated") is True,
                    description=str(param.get("description") or ""),
                    default=self._default(schema, schema_at) if location != "path" else None,
                )
            )
        patch = any(p.wire_name == "update_mask" and p.location == "query" for p in params)
        body = self._body(operation, at, op_class, arg_names, "patch" if patch else "request")
        responses = self._responses(operation, at, op_class)
        success = [r for r in responses if r.is_success]
        accepts = self._accepts(success)
        streamed = next((c for r in success for c in r.contents if c.kind in ("ndjson", "sse")), None)
        binary = next((c for r in success for c in r.contents if c.kind == "bytes"), None)
        result = self._result_type(success)
        update_mask = next((p for p in params if p.wire_name == "update_mask" and p.location == "query"), None)
        if body is None or not body.model:
            update_mask = None
        return ir.Operation(
            operation_id=op_id,
            py_name=value_name(op_id),
            group=group_name(str((operation.get("tags") or ["default"])[0])),
            method=method.upper(),
            path=path,
            summary=str(operation.get("summary") or ""),
            description=str(operation.get("description") or ""),
            deprecated=operation.get("deprecated") is True,
            parameters=tuple(params),
            body=body,
            responses=responses,
            accepts=accepts,
            result_type=result,
            update_mask=update_mask,
            pagination=self._pagination(params, result) if method == "get" else None,
            link_pagination=self._link_pagination(responses) if method == "get" else None,
            stream=_stream(streamed) if streamed else None,
            download=ir.Download("", binary.media_type) if binary else None,
            polls_location=any(r.status == "202" and "location" in (h.lower() for h in r.headers) for r in responses),
            update_mask_identity=_identity(params, body.fields) if update_mask and body else (),
            update_mask_names=(
                tuple((f.wire_name, f.mask_name) for f in body.fields if f.mask_name) if update_mask and body else ()
            ),
            ends_session=_ends_session(path, op_id),
            security=self._security_requirements(operation, at),
        )

    def _security_requirements(self, operation: dict[str, Any], at: Location) -> tuple[str, ...]:
        """The operation's ``security`` (else the spec's) as alternatives of scheme keys (``ir.Operation``);
        an alternative naming a scheme the spec does not define is left out with a warning."""
        own = "security" in operation
        declared = operation["security"] if own else self.spec.part("security")
        where = at.child("security") if own else self.spec.root.child("security")
        if declared is None:
            return ()
        if not isinstance(declared, list):
            self.warn("security is not a list of requirements: ignored", where)
            return ()
        schemes = self.spec.part("components", "securitySchemes") or {}
        alternatives: list[str] = []
        for i, requirement in enumerate(declared):
            if not isinstance(requirement, dict):
                self.warn("a security requirement is not an object: left out", where.child(i))
                continue
            unknown = sorted(str(k) for k in requirement if k not in schemes)
            if unknown:
                self.warn(
                    f"security requirement names {', '.join(unknown)}, not in components.securitySchemes: "
                    "that alternative is left out",
                    where.child(i),
                )
                continue
            alternatives.append(" ".join(sorted(str(k) for k in requirement)))
        return tuple(dict.fromkeys(alternatives))

    def _is_param_component(self, at: Location) -> bool:
        parts = at.pointer.split("/")
        return len(parts) == 4 and parts[1] == "components" and parts[2] == "parameters"

    def _body(
        self, operation: dict[str, Any], at: Location, op_class: str, arg_names: NameAllocator, mode: Mode
    ) -> ir.Body | None:
        if "requestBody" not in operation:
            return None
        node, body_at = self.docs.deref(operation["requestBody"], at.child("requestBody"))
        content = node.get("content") or {}
        if not content:
            return None
        media = _preferred_request_media(content)
        encoding = body_encoding(media)
        media_at = body_at.child("content", media)
        if _HEADER_UNSAFE.search(str(media)):
            raise self.docs.error(
                f"media type {media!r} holds a control or non-ASCII character; it would be sent in the "
                "Content-Type header",
                media_at,
            )
        schema = (content[media] or {}).get("schema")
        alternatives, differing = self._body_variants(content, media, body_at)
        if differing:
            self.warn(
                f"request body also offered as {', '.join(map(repr, differing))} with another schema: the "
                f"generated client sends {media!r}",
                body_at.child("content"),
            )
        if encoding == "binary":
            t: ir.TypeExpr = ir.Primitive("binary")
        elif encoding == "text":
            t = STR
        elif schema is None:
            t = ir.MapOf(ir.ANY) if encoding in ("form", "multipart") else ir.ANY
        else:
            t = self.type_of(
                schema, media_at.child("schema"), f"{op_class}Body", "upload" if encoding == "multipart" else mode
            )
        model = None
        fields: tuple[ir.Field, ...] = ()
        if isinstance(t, ir.Ref) and t.kind == "model":
            model = t.name
            fields = self.models[t.name].fields
        wire = _wire_format(media, content[media], fields)
        return ir.Body(
            media_type=media,
            type=t,
            required=node.get("required") is True,
            encoding=encoding,
            form_styles=wire.form_styles,
            json_parts=wire.json_parts,
            alternatives=tuple(_wire_format(other, content[other], fields) for other in alternatives),
            model=model,
            fields=fields,
            # A body field named like a parameter (connection_id in the path and the body) becomes
            # body_connection_id, so both stay reachable.
            field_args=tuple(
                arg_names.take(f"body_{f.py_name}" if arg_names.taken(f.py_name) else f.py_name) for f in fields
            ),
        )

    def _body_variants(self, content: dict[str, Any], media: str, at: Location) -> tuple[list[str], list[str]]:
        """The body's other media types: those with the same schema (and an encoding that takes a
        structured body when the default does) become ``content_type=`` choices; the rest differ."""
        alternatives: list[str] = []
        differing: list[str] = []
        structured = ("json", "form", "multipart")
        chosen = self._resolved((content[media] or {}).get("schema"), at.child("content", media, "schema"))
        for other, media_obj in content.items():
            if other == media:
                continue
            encoding = body_encoding(other)
            schema = self._resolved((media_obj or {}).get("schema"), at.child("content", other, "schema"))
            same_kind = (encoding in structured) == (body_encoding(media) in structured)
            if _HEADER_UNSAFE.search(str(other)) or not same_kind or schema != chosen:
                differing.append(str(other))
                continue
            alternatives.append(str(other))
        return alternatives, differing

    def _resolved(self, schema: Any, at: Location) -> Any:
        """A schema for comparison: where a reference leads, else the schema itself."""
        if isinstance(schema, dict) and "$ref" in schema:
            return self.docs.deref(schema, at)[1]
        return schema

    def _responses(self, operation: dict[str, Any], at: Location, op_class: str) -> tuple[ir.Response, ...]:
        out = []
        for status, response in (operation.get("responses") or {}).items():
            status = str(status).upper() if str(status) != "default" else "default"
            node, resp_at = self.docs.deref(response, at.child("responses", str(status)))
            contents = []
            for media, media_obj in (node.get("content") or {}).items():
                if status.startswith("2") and _HEADER_UNSAFE.search(str(media)):
                    raise self.docs.error(
                        f"media type {media!r} holds a control or non-ASCII character; it would be sent "
                        "in the Accept header",
                        resp_at.child("content", str(media)),
                    )
                kind = media_kind(media)
                schema = (media_obj or {}).get("schema")
                if kind in ("json", "ndjson") and schema is not None and status.startswith("2"):
                    name = f"{op_class}Response" if status in ("200", "201", "2XX") else f"{op_class}Response{status}"
                    t = self.type_of(schema, resp_at.child("content", media, "schema"), name, "response")
                elif kind == "sse":  # the whole answer is text; each event's data has the schema
                    event = None
                    if schema is not None and status.startswith("2"):
                        name = f"{op_class}Event"
                        event = self.type_of(schema, resp_at.child("content", media, "schema"), name, "response")
                    contents.append(ir.Content(media, kind, STR, event))
                    continue
                elif kind == "text":
                    t = STR
                elif kind == "bytes":
                    t = ir.Primitive("bytes")
                else:
                    t = ir.ANY
                contents.append(ir.Content(media, kind, t))
            headers = tuple(sorted(str(h) for h in (node.get("headers") or {})))
            out.append(ir.Response(status, str(node.get("description") or ""), tuple(contents), headers))
        return tuple(out)

    def _accepts(self, success: list[ir.Response]) -> tuple[ir.Content, ...]:
        """Media types the caller may ask for; JSON first, the spec's order otherwise."""
        seen: dict[str, ir.Content] = {}
        for response in success:
            for content in response.contents:
                known = seen.get(content.media_type)
                if known is None:
                    seen[content.media_type] = content
                elif known.type != content.type:  # the same media type from two statuses: either shape
                    seen[content.media_type] = replace(known, type=self._union([known.type, content.type]))
        # ndjson is offered by a streaming twin method, not through accept=
        return tuple(sorted((c for c in seen.values() if c.kind != "ndjson"), key=lambda c: c.kind != "json"))

    def _result_type(self, success: list[ir.Response]) -> ir.TypeExpr:
        types: list[ir.TypeExpr] = []
        for response in success:
            types.append(response.primary.type if response.primary else ir.NONE)
        if not types:
            return ir.NONE
        if len(set(types)) == 1:
            return types[0]
        return self._union(types)


# A header or cookie name: an RFC 9110 token.
# An RFC 9110 token: what a header, cookie or parameter name sent on the wire must be.
HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _preferred_request_media(content: dict[str, Any]) -> str:
    """JSON when the spec offers it, else the first media type it lists."""
    return next((m for m in content if media_kind(m) == "json"), next(iter(content)))


def body_encoding(media_type: str) -> ir.BodyEncoding:
    """How a request body of this media type goes on the wire."""
    mt = media_type.split(";")[0].strip().lower()
    if mt == "application/x-www-form-urlencoded":
        return "form"
    if mt.startswith("multipart/"):
        return "multipart"
    kind = media_kind(mt)
    if kind in ("json", "ndjson"):
        return "json"
    return "text" if kind == "text" else "binary"


def _wire_format(media: str, media_obj: Any, fields: tuple[ir.Field, ...]) -> ir.BodyVariant:
    """How a body goes on the wire as ``media``: its encoding, and per OpenAPI's ``encoding`` map the
    form styles (forms) or JSON parts (multipart)."""
    encoding = body_encoding(media)
    encodings = (media_obj or {}).get("encoding") if isinstance(media_obj, dict) else None
    encodings = encodings if isinstance(encodings, dict) else {}
    return ir.BodyVariant(
        media,
        encoding,
        _form_styles(encodings) if encoding == "form" else (),
        _json_parts(encodings, fields) if encoding == "multipart" else (),
    )


def _form_styles(encodings: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Per OpenAPI's ``encoding`` of a form body: each property's style where it is not the default
    (``form``, exploded)."""
    out = []
    for name, enc in sorted(encodings.items()):
        if not isinstance(enc, dict):
            continue
        style = enc.get("style", "form")
        written = "deepObject" if style == "deepObject" else _list_style(style, enc.get("explode", style == "form"))
        if written != "repeat":
            out.append((str(name), written))
    return tuple(out)


def _list_style(style: Any, explode: Any) -> str:
    """How a list goes on the wire, for query parameters and form fields alike: "repeat" (form,
    exploded: ``a=1&a=2``), else one value joined by "csv", "ssv" (spaceDelimited) or "pipes"."""
    if explode and style == "form":
        return "repeat"
    return {"spaceDelimited": "ssv", "pipeDelimited": "pipes"}.get(str(style), "csv")


def _json_parts(encodings: dict[str, Any], fields: tuple[ir.Field, ...]) -> tuple[str, ...]:
    """Multipart parts sent as JSON: the ones whose ``encoding.contentType`` is JSON, and objects
    (or arrays of objects) without one, OpenAPI's default for them."""
    out = []
    for f in fields:
        declared = (encodings.get(f.wire_name) or {}).get("contentType") if isinstance(encodings, dict) else None
        if declared:
            if media_kind(str(declared).split(",")[0]) == "json":
                out.append(f.wire_name)
        elif _is_structured(f.type):
            out.append(f.wire_name)
    return tuple(out)


def _is_structured(t: ir.TypeExpr) -> bool:
    if isinstance(t, ir.UnionOf):
        return any(_is_structured(o) for o in t.options)
    if isinstance(t, ir.ListOf):
        return _is_structured(t.item)
    return isinstance(t, ir.MapOf) or (isinstance(t, ir.Ref) and t.kind in ("model", "alias"))


def _stream(content: ir.Content) -> ir.Stream:
    if content.kind == "sse":
        return ir.Stream("", content.media_type, "sse", content.event_type or ir.ANY)
    return ir.Stream("", content.media_type)


def media_kind(media_type: str) -> ir.ContentKind:
    mt = media_type.split(";")[0].strip().lower()
    if mt == "text/event-stream":
        return "sse"
    if mt in ("application/x-ndjson", "application/jsonl", "application/json-seq"):
        return "ndjson"
    if mt == "application/json" or mt.endswith("+json"):
        return "json"
    if mt.startswith("text/") or mt == "plain/text":  # "plain/text": Airflow's typo before 2.10
        return "text"
    return "bytes"
