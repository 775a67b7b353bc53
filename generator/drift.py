"""``clientgen drift SPEC RECORDINGS...``: where recorded answers of a real server disagree with the
spec, grouped by schema and field with counts, and a draft OpenAPI Overlay that would make the spec
say what the server does.

Recordings are the project's fixture files (``{"exchanges": [{"request": ..., "response": ...}]}``)
or HAR files (what browsers and proxies export). Each answer is matched to its operation by method
and path, then checked: an undeclared status or media type, and in a JSON body a null where the
schema is not nullable, a required field missing, a field the schema does not declare, a value of
another type. The draft fixes the first three kinds (``nullable: true``; ``required`` without the
field; the field declared with the type seen); everything else is reported for a person to judge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import SpecError, display_path
from .loader import load_spec

_ITEMS_CHECKED = 50  # of each array: enough to see drift, bounded for big pages


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int
    media: str | None
    body: Any  # the decoded JSON body, or None
    source: str


@dataclass(frozen=True)
class Finding:
    kind: str  # "null in a non-nullable field", "required field missing", ...
    schema: str  # the schema's name (or the operation, for a status or media type)
    field: str
    target: str  # JSONPath of the schema node in the spec the draft would change
    detail: str = ""


@dataclass
class Report:
    exchanges: int = 0
    unmatched: list[str] = field(default_factory=list)  # requests no operation of the spec serves
    findings: dict[Finding, list[str]] = field(default_factory=dict)  # -> where seen (operation)
    seen_types: dict[Finding, set[str]] = field(default_factory=dict)

    def add(self, finding: Finding, where: str, seen: str | None = None) -> None:
        self.findings.setdefault(finding, []).append(where)
        if seen is not None:
            self.seen_types.setdefault(finding, set()).add(seen)

    def text(self) -> str:
        lines = [f"{self.exchanges} recorded answers checked; {len(self.findings)} disagreement(s) with the spec"]
        for finding in sorted(self.findings, key=lambda f: (f.schema, f.field, f.kind)):
            where = sorted(set(self.findings[finding]))
            subject = f"{finding.schema}.{finding.field}" if finding.field else finding.schema
            detail = f" ({finding.detail})" if finding.detail else ""
            shown = ", ".join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3 else "")
            lines.append(f"  {subject}: {finding.kind}{detail}: {len(self.findings[finding])}x in {shown}")
        if self.unmatched:
            lines.append(
                f"  {len(set(self.unmatched))} request path(s) no operation serves: "
                + ", ".join(sorted(set(self.unmatched))[:5])
            )
        return "\n".join(lines) + "\n"

    def draft(self, spec_name: str) -> str:
        """An OpenAPI Overlay 1.0 that would make the spec match what was recorded."""
        import yaml

        merged: dict[tuple[str, str, str], Finding] = {}
        for finding in self.findings:  # one action per place, whichever schema the answers came through
            key = (finding.kind, finding.target, finding.field)
            if key in merged:
                first = merged[key]
                self.findings[first] = self.findings[first] + self.findings[finding]
                self.seen_types[first] = self.seen_types.get(first, set()) | self.seen_types.get(finding, set())
            else:
                merged[key] = finding
        actions: list[dict[str, Any]] = []
        for finding in sorted(merged.values(), key=lambda f: (f.target, f.field, f.kind)):
            count = len(self.findings[finding])
            if finding.kind == "null in a non-nullable field":
                actions.append({"target": finding.target, "update": {"nullable": True}})
            elif finding.kind == "undeclared field":
                types = sorted(self.seen_types.get(finding, set()) - {"null"}) or ["string"]
                schema: dict[str, Any] = {"type": types[0]} if len(types) == 1 else {}
                if "null" in self.seen_types.get(finding, set()):
                    schema["nullable"] = True
                actions.append({"target": finding.target, "update": {finding.field: schema}})
            elif finding.kind == "required field missing":
                actions.append({"target": f"{finding.target}.required", "remove": True})
                rest = [r for r in finding.detail.split(", ") if r and r != finding.field]
                if rest:
                    actions.append({"target": finding.target, "update": {"required": rest}})
            else:
                continue
            actions[-1]["x-seen"] = f"{finding.kind}: {count} recorded answer(s)"
        document = {
            "overlay": "1.0.0",
            "info": {
                "title": f"Draft corrections to {spec_name} from recorded answers (clientgen drift)",
                "version": "0.1.0",
            },
            "actions": actions,
        }
        return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100))


# -- reading recordings ---------------------------------------------------------------------------


def read_recordings(paths: list[Path]) -> Iterator[Exchange]:
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SpecError(f"cannot read recordings: {exc}", file=path) from None
        if isinstance(data, dict) and isinstance(data.get("log"), dict):
            yield from _har(data["log"], display_path(path))
        elif isinstance(data, dict) and isinstance(data.get("exchanges"), list):
            yield from _fixtures(data["exchanges"], display_path(path))
        else:
            raise SpecError('neither a HAR file nor clientgen\'s recordings ({"exchanges": [...]})', file=path)


def _fixtures(exchanges: list[Any], source: str) -> Iterator[Exchange]:
    for item in exchanges:
        request, response = item.get("request", {}), item.get("response", {})
        headers = {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}
        yield Exchange(
            str(request.get("method", "GET")).upper(),
            str(request.get("path", "")),
            int(response.get("status", 0)),
            _media(headers.get("content-type")),
            response.get("json"),
            source,
        )


def _har(log: dict[str, Any], source: str) -> Iterator[Exchange]:
    for entry in log.get("entries", []):
        request, response = entry.get("request", {}), entry.get("response", {})
        content = response.get("content") or {}
        media = _media(content.get("mimeType"))
        body = None
        text = content.get("text")
        if isinstance(text, str) and media is not None and (media.endswith("json")):
            if content.get("encoding") == "base64":
                import base64

                text = base64.b64decode(text).decode("utf-8", "replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = None
        yield Exchange(
            str(request.get("method", "GET")).upper(),
            urlsplit(str(request.get("url", ""))).path,
            int(response.get("status", 0)),
            media,
            body,
            source,
        )


def _media(value: str | None) -> str | None:
    return value.split(";")[0].strip().lower() if value else None


# -- checking -------------------------------------------------------------------------------------


class _Checker:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.nullable_by_type = str(data.get("openapi", "3.0")).startswith("3.1")
        servers = data.get("servers") or [{}]
        self.base = urlsplit(str(servers[0].get("url", ""))).path.rstrip("/") if isinstance(servers[0], dict) else ""
        self.routes = []
        for template, item in (data.get("paths") or {}).items():
            pattern = re.escape(template)
            pattern = re.sub(r"\\\{[^}/]+\\\}", "[^/]+", pattern)
            for method, operation in (item or {}).items():
                if isinstance(operation, dict) and "responses" in operation:
                    self.routes.append((method.upper(), re.compile(f"^{pattern}$"), template, operation))
        # a literal segment wins over a parameter (``/tries`` over ``/{map_index}``)
        self.routes.sort(key=lambda route: (route[2].count("{"), route[2]))

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for candidate in (path, path[len(self.base) :] if self.base and path.startswith(self.base) else None):
            if candidate is None:
                continue
            for verb, pattern, template, operation in self.routes:
                if verb == method and pattern.match(candidate):
                    return template, operation
        return None

    def resolve(self, schema: Any, location: str, name: str) -> tuple[dict[str, Any], str, str]:
        """A schema with its ``$ref`` followed: (schema, its JSONPath, the name it goes by)."""
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 50:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                return {}, location, name
            node: Any = self.data
            parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
            for part in parts:
                node = node.get(part) if isinstance(node, dict) else None
            schema, location, name, seen = node, "$." + ".".join(parts), parts[-1], seen + 1
        return (schema if isinstance(schema, dict) else {}), location, name

    def parts(self, schema: dict[str, Any], location: str, name: str) -> list[tuple[dict[str, Any], str]]:
        """The schema and every ``allOf`` part under it, each with its JSONPath."""
        found = [(schema, location)]
        for i, part in enumerate(schema.get("allOf") or []):
            resolved, where, _ = self.resolve(part, f"{location}.allOf[{i}]", name)
            found += self.parts(resolved, where, name)
        return found

    def choose(self, schema: dict[str, Any], options: list[Any], value: Any, location: str) -> tuple[Any, str] | None:
        """The option of a ``oneOf``/``anyOf`` an object value is an instance of: by its discriminator,
        else the one declaring most of its keys (none for a value that is not an object)."""
        if not isinstance(value, dict):
            return None
        kind = "oneOf" if "oneOf" in schema else "anyOf"
        candidates = [(option, f"{location}.{kind}[{i}]") for i, option in enumerate(options)]
        discriminator = schema.get("discriminator") or {}
        tag = value.get(discriminator.get("propertyName", ""))
        if isinstance(tag, str):
            mapped = (discriminator.get("mapping") or {}).get(tag)
            for option, where in candidates:
                ref = option.get("$ref", "") if isinstance(option, dict) else ""
                if ref == mapped or ref.rsplit("/", 1)[-1] == tag:
                    return option, where
        best, best_score = None, 0
        for option, where in candidates:
            resolved, at, name = self.resolve(option, where, "")
            declared = {k for part, _ in self.parts(resolved, at, name) for k in (part.get("properties") or {})}
            score = len(declared & value.keys())
            if score > best_score:
                best, best_score = (option, where), score
        return best

    def nullable(self, schema: dict[str, Any]) -> bool:
        if schema.get("nullable") is True or schema == {}:
            return True
        kind = schema.get("type")
        if kind == "null" or (isinstance(kind, list) and "null" in kind):
            return True
        options = (schema.get("anyOf") or []) + (schema.get("oneOf") or [])
        return any(self.nullable(self.resolve(o, "", "")[0]) for o in options)

    def check(self, value: Any, schema: Any, location: str, name: str, where: str, report: Report) -> None:
        schema, location, name = self.resolve(schema, location, name)
        if value is None or not schema:
            return
        options = schema.get("oneOf") or schema.get("anyOf")
        if options:
            chosen = self.choose(schema, options, value, location)
            if chosen is not None:
                self.check(value, chosen[0], chosen[1], name, where, report)
            return
        parts = self.parts(schema, location, name)
        if isinstance(value, dict):
            self.check_object(value, parts, name, where, report)
        elif isinstance(value, list):
            self.check_items(value, parts, name, where, report)

    def check_items(
        self, value: list[Any], parts: list[tuple[dict[str, Any], str]], name: str, where: str, report: Report
    ) -> None:
        holder = next(((p["items"], loc) for p, loc in parts if "items" in p), None)
        if holder is None:
            return
        items, owner = holder
        for item in value[:_ITEMS_CHECKED]:
            if item is None and not self.nullable(self.resolve(items, "", "")[0]):
                report.add(Finding("null in a non-nullable item", name, "[]", f"{owner}.items"), where)
            self.check(item, items, f"{owner}.items", name, where, report)

    def check_object(
        self, value: dict[str, Any], parts: list[tuple[dict[str, Any], str]], name: str, where: str, report: Report
    ) -> None:
        declared, required, open_ended = _declared(parts)
        if not declared and not required:
            return  # a free-form object
        for key, owner, names in required:
            if key not in value:
                report.add(Finding("required field missing", name, key, owner, ", ".join(names)), where)
        own = [loc for part, loc in parts if "properties" in part and loc.startswith(parts[0][1])]
        holder = (own or [loc for part, loc in parts if "properties" in part] or [parts[0][1]])[-1]
        for key, item in value.items():
            if key in declared:
                sub, owner = declared[key]
                self.check_field(item, sub, f"{owner}.properties.{key}", name, key, where, report)
            elif not open_ended:
                report.add(Finding("undeclared field", name, key, f"{holder}.properties"), where, _json_type(item))

    def check_field(self, item: Any, sub: Any, target: str, name: str, key: str, where: str, report: Report) -> None:
        resolved, _, _ = self.resolve(sub, target, name)
        if item is None:
            if not self.nullable(resolved) and not self.nullable(sub if isinstance(sub, dict) else {}):
                report.add(Finding("null in a non-nullable field", name, key, target), where)
            return
        expected, seen = resolved.get("type"), _json_type(item)
        if isinstance(expected, str) and not _agrees(expected, seen):
            report.add(Finding("value of another type", name, key, target, f"{expected} expected, {seen} seen"), where)
        self.check(item, sub, target, name, where, report)


def _declared(
    parts: list[tuple[dict[str, Any], str]],
) -> tuple[dict[str, tuple[Any, str]], list[tuple[str, str, list[str]]], bool]:
    """An object schema's parts merged: property -> (schema, where declared); each required name
    with where its list is and the list; whether other properties are allowed."""
    declared: dict[str, tuple[Any, str]] = {}
    required: list[tuple[str, str, list[str]]] = []
    open_ended = False
    for part, location in parts:
        for key, sub in (part.get("properties") or {}).items():
            declared.setdefault(key, (sub, location))
        open_ended = open_ended or part.get("additionalProperties") not in (None, False)
        names = [str(r) for r in part.get("required") or []]
        required += [(r, location, names) for r in names]
    return declared, required, open_ended


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _agrees(expected: str, seen: str) -> bool:
    return expected == seen or (expected == "number" and seen == "integer")


def drift(spec_path: Path, overlays: tuple[Path, ...], recordings: list[Path]) -> Report:
    spec = load_spec(spec_path, overlays, validate=False)
    if not isinstance(spec.data, dict):
        raise SpecError("not an OpenAPI document", file=spec_path)
    checker = _Checker(spec.data)
    report = Report()
    for exchange in read_recordings(recordings):
        report.exchanges += 1
        found = checker.operation(exchange.method, exchange.path)
        if found is None:
            report.unmatched.append(f"{exchange.method} {exchange.path}")
            continue
        template, operation = found
        where = f"{exchange.method} {template}"
        responses = operation.get("responses") or {}
        response = (
            responses.get(str(exchange.status))
            or responses.get(f"{str(exchange.status)[0]}XX")
            or responses.get("default")
        )
        if response is None:
            report.add(Finding("undeclared status", where, "", "", str(exchange.status)), where)
            continue
        response, _, _ = checker.resolve(response, "", "")
        content = response.get("content") or {}
        if exchange.media is not None and exchange.body is not None and content and exchange.media not in content:
            report.add(Finding("undeclared media type", where, "", "", f"{exchange.status} {exchange.media}"), where)
            continue
        media = content.get(exchange.media or "") or content.get("application/json") or {}
        if isinstance(media, dict) and "schema" in media and exchange.body is not None:
            checker.check(exchange.body, media["schema"], f"{where} {exchange.status}", where, where, report)
    return report
