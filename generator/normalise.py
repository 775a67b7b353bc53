"""Resolved spec -> IR. Every decision about the generated client is taken here."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from generator import ir
from generator.documents import Location
from generator.errors import SpecError, display_path
from generator.loader import LoadedSpec
from generator.names import NameAllocator, class_name, pascal_case, snake_case, value_name, words

_UNENCODABLE = re.compile(r'["\\\x00-\x1f]')
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
STR = ir.Primitive("str")
_FORMATS = {"date-time": "datetime", "datetime": "datetime", "date": "date", "binary": "bytes"}
_CLIENT_HEADERS = frozenset({"accept", "content-type", "authorization"})
# Names the generated package defines next to the groups on ``Client``.
_CLIENT_ATTRS = frozenset({"close", "request", "with_options", "base_url", "aclose"})
# A body field holding a secret, by its name in snake_case: redacted from error text.
_SECRET_NAME = re.compile(r"(^|_)(password|passwd|secret|token|api_?key)$", re.IGNORECASE)
# What may not reach a header value: control characters and anything outside ASCII.
_HEADER_UNSAFE = re.compile(r"[^\x20-\x7e]")
# Words an operation ending the session is named by (its last path segment or its operationId).
_SESSION_END = frozenset({"logout", "signout"})
# Path parameters named <field>_<word> name the resource that body field <field> names (pool_name/pool).
_IDENTITY_WORDS = ("id", "name", "key")


def media_kind(media_type: str) -> ir.ContentKind:
    mt = media_type.split(";")[0].strip().lower()
    if mt in ("application/x-ndjson", "application/jsonl", "application/json-seq"):
        return "ndjson"
    if mt == "application/json" or mt.endswith("+json"):
        return "json"
    if mt.startswith("text/") or mt == "plain/text":  # "plain/text": Airflow's typo before 2.10
        return "text"
    return "bytes"


@dataclass
class _ObjectShape:
    """An object schema with its ``allOf`` parts flattened."""

    properties: dict[str, tuple[Any, Location]]
    required: set[str]
    description: str
    additional: Any  # additionalProperties of the outermost schema, or None


def _collapse(group: list[ir.TypeExpr], replacement: ir.TypeExpr, options: list[ir.TypeExpr]) -> list[ir.TypeExpr]:
    """Replace the members of ``group`` by one ``replacement`` at the first member's place."""
    if len(group) < 2:
        return options
    first = options.index(group[0])
    kept = [o for o in options if o not in group]
    kept.insert(first, replacement)
    return kept


class Normaliser:
    def __init__(self, spec: LoadedSpec) -> None:
        self.spec = spec
        self.docs = spec.documents
        self.classes = NameAllocator()
        self.models: dict[str, ir.Model] = {}
        self.enums: dict[str, ir.EnumModel] = {}
        self.aliases: dict[str, ir.Alias] = {}
        self._memo: dict[tuple[Location, str], ir.TypeExpr] = {}
        self._names: dict[tuple[Location, str], str] = {}
        self._tags = self._find_tagged_variants()
        self._merging: list[Location] = []
        self.diagnostics: list[ir.Diagnostic] = []

    # -- helpers -------------------------------------------------------------------------------

    def warn(self, message: str, at: Location) -> None:
        """Record something skipped, guessed or degraded: nothing degrades without a line saying so."""
        line = self.docs.line_of(at.file, at.pointer)
        self.diagnostics.append(ir.Diagnostic("warning", display_path(at.file), line, at.pointer, message))

    def source(self, at: Location) -> str:
        rel = at.file.relative_to(self.docs.root.parent).as_posix()
        return f"{rel}#{at.pointer}"

    def _name_for(self, at: Location, fallback: str, suffix: str = "") -> str:
        """Class name for the schema at ``at``: its component key, else the context's name."""
        key = (at, suffix)
        if key not in self._names:
            tokens = at.pointer.rsplit("/", 2)
            base = tokens[-1] if len(tokens) == 3 and tokens[-2] in ("schemas", "parameters") else fallback
            base = _owned_name(at.pointer, base)
            self._names[key] = self.classes.take(class_name(base.replace("~1", "/").replace("~0", "~")) + suffix)
        return self._names[key]

    def _component_schemas(self) -> Iterable[tuple[str, Any, Location]]:
        schemas = self.spec.data.get("components", {}).get("schemas", {}) or {}
        for key, schema in sorted(schemas.items()):  # names must not depend on the spec's order
            yield key, schema, self.spec.root.child("components", "schemas", key)

    # -- discriminators ------------------------------------------------------------------------

    def _find_tagged_variants(self) -> dict[Location, tuple[str, str]]:
        """Which schemas are options of a discriminated union, with their tag field and value.

        Covers both shapes: ``oneOf``/``anyOf`` + discriminator (Airflow's ScheduleInterval, tags
        implicit from the schema name) and a base schema with a discriminator whose subtypes extend
        it through ``allOf`` (Snowflake's TaskSchedule, tags from ``mapping``).
        """
        tags: dict[Location, tuple[str, str]] = {}
        components = list(self._component_schemas())
        for key, schema, at in components:
            if not isinstance(schema, dict) or not isinstance(schema.get("discriminator"), dict):
                continue
            for variant_at, value in self._variants(key, schema, at, components):
                tags.setdefault(variant_at, (schema["discriminator"]["propertyName"], value))
        for variant_at, tag in self._const_tagged_variants():
            tags.setdefault(variant_at, tag)
        return tags

    def _const_tagged_variants(self) -> list[tuple[Location, tuple[str, str]]]:
        """``oneOf``/``anyOf`` lists whose alternatives are objects told apart only by a property
        with a distinct ``const`` (OpenAPI 3.1, FastAPI's bulk actions: ``action: const create``):
        a discriminator in all but name."""
        found: list[tuple[Location, tuple[str, str]]] = []
        stack: list[tuple[Any, Location]] = [(self.spec.data, self.spec.root)]
        while stack:
            node, at = stack.pop()
            if isinstance(node, list):
                stack.extend((v, at.child(i)) for i, v in enumerate(node) if isinstance(v, (dict, list)))
                continue
            if not isinstance(node, dict):
                continue
            stack.extend((v, at.child(str(k))) for k, v in node.items() if isinstance(v, (dict, list)))
            keyword = "oneOf" if "oneOf" in node else "anyOf" if "anyOf" in node else None
            options = node.get(keyword) if keyword else None
            if not isinstance(options, list) or len(options) < 2 or "discriminator" in node:
                continue
            if not all(isinstance(o, dict) and "$ref" in o for o in options):
                continue
            targets = [self.docs.deref(o, at.child(keyword, i)) for i, o in enumerate(options)]  # type: ignore[arg-type]
            consts = [
                (
                    {
                        k: v["const"]
                        for k, v in (t.get("properties") or {}).items()
                        if isinstance(v, dict) and isinstance(v.get("const"), str)
                    }
                    if isinstance(t, dict)
                    else {}
                )
                for t, _ in targets
            ]
            shared = set.intersection(*(set(c) for c in consts))
            for field in sorted(shared):
                values = [c[field] for c in consts]
                if len(set(values)) == len(values):
                    found += [(t_at, (field, value)) for (_, t_at), value in zip(targets, values, strict=True)]
                    break
        return found

    def _variants(
        self, key: str, schema: dict[str, Any], at: Location, components: list[tuple[str, Any, Location]]
    ) -> list[tuple[Location, str]]:
        by_target = self._mapping(schema["discriminator"], at.child("discriminator"))
        options = schema.get("oneOf") or schema.get("anyOf")
        if options:
            keyword = "oneOf" if "oneOf" in schema else "anyOf"
            found = []
            for i, option in enumerate(options):
                if isinstance(option, dict) and "$ref" in option:
                    _, target = self.docs.deref(option, at.child(keyword, i))
                    found.append((target, by_target.get(target, target.pointer.rsplit("/", 1)[-1])))
            return found
        if by_target:
            return sorted(by_target.items(), key=lambda item: item[1])
        return self._subtypes(at, components)

    def _mapping(self, discriminator: dict[str, Any], at: Location) -> dict[Location, str]:
        """A discriminator's ``mapping``: target schema -> tag value (bare names mean components)."""
        by_target: dict[Location, str] = {}
        for value, ref in (discriminator.get("mapping") or {}).items():
            if "#" not in str(ref) and "/" not in str(ref):
                ref = f"#/components/schemas/{ref}"
            _, target = self.docs.resolve(ref, at.child("mapping", value))
            by_target.setdefault(target, str(value))
        return by_target

    def _subtypes(self, base: Location, components: list[tuple[str, Any, Location]]) -> list[tuple[Location, str]]:
        """A base schema without mapping: its subtypes are the schemas that extend it via allOf."""
        found = []
        for sub_key, sub, sub_at in components:
            for i, part in enumerate(sub.get("allOf", []) if isinstance(sub, dict) else []):
                if (
                    isinstance(part, dict)
                    and "$ref" in part
                    and self.docs.deref(part, sub_at.child("allOf", i))[1] == base
                ):
                    found.append((sub_at, sub_key))
        return found

    # -- types ---------------------------------------------------------------------------------

    def type_of(self, node: Any, at: Location, name: str, mode: str) -> ir.TypeExpr:
        """The type of the schema ``node`` found at ``at``. ``name`` names an inline class if one
        is needed; ``mode`` is "response" or "request" (request shapes drop read-only fields)."""
        if isinstance(node, dict) and "$ref" in node:
            target, target_at = self.docs.deref(node, at)
            t = self._schema_type(target, target_at, name, mode)
            # OpenAPI 3.0 ignores siblings of $ref, but Airflow 2.2.4 writes `nullable` there and
            # means it; honouring it is the only way to decode the nulls its server sends.
            return self._nullable(t) if node.get("nullable") is True else t
        return self._schema_type(node, at, name, mode)

    def _nullable(self, t: ir.TypeExpr) -> ir.TypeExpr:
        return self._union([t, ir.NONE])

    def _schema_type(self, schema: Any, at: Location, name: str, mode: str) -> ir.TypeExpr:
        if not isinstance(schema, dict):
            return ir.ANY
        key = (at, mode)
        if key in self._memo:
            return self._memo[key]
        t = self._build_type(schema, at, name, mode)
        self._memo[key] = t
        return t

    # One branch per schema kind, in precedence order (enum before const before discriminator...):
    # split up, the precedence would be spread over several functions.
    def _build_type(self, schema: dict[str, Any], at: Location, name: str, mode: str) -> ir.TypeExpr:  # noqa: C901
        nullable = schema.get("nullable") is True
        types = schema.get("type")
        if isinstance(types, list):  # OpenAPI 3.1: type: [string, "null"]
            nullable = nullable or "null" in types
            types = [t for t in types if t != "null"]
            if len(types) != 1:
                inner = [self._build_type({**schema, "type": t}, at, name, mode) for t in types]
                return self._union([*inner, ir.NONE] if nullable else inner)
            types = types[0]
        if types == "null":
            return ir.NONE

        t: ir.TypeExpr
        if "enum" in schema and isinstance(schema["enum"], list):
            t = self._enum(schema, at, name)
            nullable = nullable or None in schema["enum"]
        elif "const" in schema:
            t = self._primitive(types, schema.get("format"), schema["const"])
        elif isinstance(schema.get("discriminator"), dict) and not (schema.get("oneOf") or schema.get("anyOf")):
            return self._polymorphic_base(schema, at, name, mode, nullable)
        elif schema.get("oneOf") or schema.get("anyOf"):
            return self._composition(schema, at, name, mode, nullable)
        elif schema.get("allOf"):
            parts = schema["allOf"]
            own = schema.get("properties")
            if len(parts) == 1 and not own:  # a wrapper (for a description or nullable)
                t = self.type_of(parts[0], at.child("allOf", 0), name, mode)
            else:
                t = self._model(schema, at, name, mode)
        elif types == "object" or "properties" in schema or (types is None and "additionalProperties" in schema):
            t = self._object(schema, at, name, mode)
        elif types == "array" or "items" in schema:
            items = schema.get("items")
            t = ir.ListOf(self.type_of(items, at.child("items"), f"{name}Item", mode) if items is not None else ir.ANY)
        else:
            t = self._primitive(types, schema.get("format"))
        return self._nullable(t) if nullable else t

    def _primitive(self, type_name: Any, fmt: Any, const: Any = None) -> ir.TypeExpr:
        if type_name is None and const is not None:
            type_name = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(const))
        if type_name == "string":
            return ir.Primitive(_FORMATS.get(str(fmt), "str"))  # type: ignore[arg-type]
        if type_name == "integer":
            return ir.Primitive("int")
        if type_name == "number":
            return ir.Primitive("float")
        if type_name == "boolean":
            return ir.Primitive("bool")
        return ir.ANY

    def _enum(self, schema: dict[str, Any], at: Location, name: str) -> ir.TypeExpr:
        values = [v for v in schema["enum"] if v is not None]
        if not values:
            return ir.NONE
        if all(isinstance(v, str) for v in values):
            kind = "str"
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            kind = "int"
        else:
            return self._primitive(schema.get("type"), schema.get("format"))
        class_ = self._name_for(at, name)
        members: list[ir.EnumMember] = []
        taken = NameAllocator()
        from generator.names import enum_member_name

        for value in dict.fromkeys(values):  # keep order, drop duplicates
            members.append(ir.EnumMember(taken.take(enum_member_name(value)), value))
        self.enums[class_] = ir.EnumModel(
            class_, self.source(at), tuple(members), kind, schema.get("description", "") or ""  # type: ignore[arg-type]
        )
        return ir.Ref(class_, "enum")

    def _object(self, schema: dict[str, Any], at: Location, name: str, mode: str) -> ir.TypeExpr:
        if schema.get("properties"):
            return self._model(schema, at, name, mode)
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict) and additional:
            return ir.MapOf(self.type_of(additional, at.child("additionalProperties"), f"{name}Value", mode))
        return ir.MapOf(ir.ANY)  # free-form object

    def _composition(self, schema: dict[str, Any], at: Location, name: str, mode: str, nullable: bool) -> ir.TypeExpr:
        keyword = "oneOf" if schema.get("oneOf") else "anyOf"
        is_component = self._is_component(at)
        alias = (
            self._name_for(at, name, "Request" if mode == "request" and self._differs(schema, at) else "")
            if is_component
            else name
        )
        options = [
            self.type_of(option, at.child(keyword, i), f"{alias}Option{i + 1}", mode)
            for i, option in enumerate(schema[keyword])
        ]
        tag_field = schema["discriminator"]["propertyName"] if isinstance(schema.get("discriminator"), dict) else None
        t = self._union([*options, ir.NONE] if nullable else options, tag_field)
        if is_component and isinstance(t, ir.UnionOf):
            self.aliases[alias] = ir.Alias(alias, self.source(at), t, schema.get("description", "") or "")
            return ir.Ref(alias, "alias")
        return t

    def _polymorphic_base(
        self, schema: dict[str, Any], at: Location, name: str, mode: str, nullable: bool
    ) -> ir.TypeExpr:
        """A base schema with a discriminator: references to it mean "any of its subtypes"."""
        variants = [v for v, tag in self._tags.items() if self._tag_owner(v, at)]
        if not variants:
            t = self._model(schema, at, name, mode)
            return self._nullable(t) if nullable else t
        options = [
            self._schema_type(self.docs.resolve("#" + v.pointer, Location(v.file, ""))[0], v, name, mode)
            for v in variants
        ]
        field = schema["discriminator"]["propertyName"]
        alias = self._name_for(at, name, "Request" if mode == "request" and self._differs(schema, at) else "")
        t = self._union([*options, ir.NONE] if nullable else options, field)
        self.aliases[alias] = ir.Alias(alias, self.source(at), t, schema.get("description", "") or "")
        return ir.Ref(alias, "alias")

    def _tag_owner(self, variant: Location, base: Location) -> bool:
        schema, _ = self.docs.resolve("#" + variant.pointer, Location(variant.file, ""))
        for i, part in enumerate(schema.get("allOf", []) if isinstance(schema, dict) else []):
            if isinstance(part, dict) and "$ref" in part:
                if self.docs.deref(part, variant.child("allOf", i))[1] == base:
                    return True
        return False

    def _is_component(self, at: Location) -> bool:
        parts = at.pointer.split("/")
        return len(parts) == 4 and parts[1] == "components" and parts[2] == "schemas"

    # Flatten, then msgspec's one-alternative-per-JSON-kind rule, then the tag: one sequence, to
    # become the IR->IR union pass when the normaliser is split into passes.
    def _union(self, options: list[ir.TypeExpr], tag_field: str | None = None) -> ir.TypeExpr:  # noqa: C901
        """Flatten, deduplicate and make the alternatives decodable by msgspec."""
        flat: list[ir.TypeExpr] = []
        for option in options:
            resolved = (
                self.aliases[option.name].type
                if isinstance(option, ir.Ref) and option.kind == "alias" and option.name in self.aliases
                else option
            )
            if isinstance(resolved, ir.UnionOf):
                if resolved.tagged:
                    tag_field = tag_field or resolved.tagged
                flat.extend(resolved.options)
            else:
                flat.append(option)
        flat = list(dict.fromkeys(flat))
        if ir.ANY in flat:
            return ir.ANY

        # msgspec allows at most one alternative per JSON kind; merge alternatives that share one.
        def is_str(o: ir.TypeExpr) -> bool:
            return (isinstance(o, ir.Primitive) and o.kind in ("str", "datetime", "date", "bytes")) or (
                isinstance(o, ir.Ref) and o.kind == "enum" and self.enums[o.name].value_kind == "str"
            )

        def is_int(o: ir.TypeExpr) -> bool:
            return o == ir.Primitive("int") or (
                isinstance(o, ir.Ref) and o.kind == "enum" and self.enums[o.name].value_kind == "int"
            )

        flat = _collapse([o for o in flat if is_str(o)], STR, flat)
        flat = _collapse([o for o in flat if is_int(o)], ir.Primitive("int"), flat)
        flat = _collapse([o for o in flat if isinstance(o, ir.ListOf)], ir.ListOf(ir.ANY), flat)
        structs = [o for o in flat if isinstance(o, ir.Ref) and o.kind == "model"]
        maps = [o for o in flat if isinstance(o, ir.MapOf)]
        tagged = None
        by_fields = False
        struct_tags = {self._tags_of(o) for o in structs}
        common_tag = next(iter(struct_tags)) if len(struct_tags) == 1 else None
        if structs and common_tag and tag_field in (None, common_tag) and not maps:
            tagged = common_tag if len(structs) > 1 else None
        elif len(structs) + len(maps) > 1:
            if maps:
                flat = _collapse([*structs, *maps], ir.MapOf(ir.ANY), flat)
            else:
                by_fields = True
        non_null = [o for o in flat if o != ir.NONE]
        if len(flat) == 1:
            return flat[0]
        return ir.UnionOf(tuple(flat), tagged=tagged, by_fields=by_fields) if non_null else ir.NONE

    def _tags_of(self, t: ir.TypeExpr) -> str | None:
        if isinstance(t, ir.Ref) and t.kind == "model" and t.name in self.models:
            tag = self.models[t.name].tag
            return tag[0] if tag else None
        return None

    # -- structs -------------------------------------------------------------------------------

    def _shape(self, schema: Any, at: Location) -> _ObjectShape:
        """Flatten ``allOf`` (inheritance and collection envelopes alike) into one object."""
        if isinstance(schema, dict) and "$ref" in schema:
            schema, at = self.docs.deref(schema, at)
        if at in self._merging:
            raise self.docs.error("allOf cycle: a schema includes itself", at)
        self._merging.append(at)
        try:
            shape = _ObjectShape({}, set(), "", None)
            if not isinstance(schema, dict):
                return shape
            for i, part in enumerate(schema.get("allOf") or []):
                inner = self._shape(part, at.child("allOf", i))
                shape.properties.update(inner.properties)
                shape.required |= inner.required
                shape.description = shape.description or inner.description
            for key, prop in (schema.get("properties") or {}).items():
                shape.properties[str(key)] = (prop, at.child("properties", str(key)))
            shape.required |= {str(r) for r in schema.get("required") or []}
            shape.description = schema.get("description") or shape.description
            shape.additional = schema.get("additionalProperties")
            return shape
        finally:
            self._merging.pop()

    def _flag(self, prop: Any, at: Location, flag: str) -> bool:
        if not isinstance(prop, dict):
            return False
        if prop.get(flag) is True:
            return True
        if "$ref" in prop:
            target, _ = self.docs.deref(prop, at)
            return isinstance(target, dict) and target.get(flag) is True
        return False

    def _default(self, schema: Any, at: Location) -> ir.Default | None:
        """The ``default`` of a property or parameter schema (beside a ``$ref``, else on its target).

        Recorded when it is a scalar or a list of scalars; a null default means what leaving the
        value out means already, and objects are left to the spec's own text."""
        if isinstance(schema, dict) and "default" not in schema and "$ref" in schema:
            schema, at = self.docs.deref(schema, at)
        if not isinstance(schema, dict) or "default" not in schema:
            return None
        value = schema["default"]
        if isinstance(value, list) and value and all(_json_scalar(v) for v in value):
            return ir.Default(tuple(value))
        return ir.Default(value) if _json_scalar(value) else None

    def _is_secret(self, wire: str, prop: Any, at: Location) -> bool:
        """A secret field: ``format: password`` (on the property, its ``$ref`` target or one of its
        ``anyOf``/``oneOf`` alternatives), or a name ending in password, passwd, secret, token or
        api_key/apikey (in snake_case: ``refresh_token``, ``apiKey``, ``client_secret``).
        ``writeOnly`` fields count too (the caller checks the flag)."""
        if _SECRET_NAME.search(snake_case(wire)):
            return True
        if isinstance(prop, dict) and "$ref" in prop:
            prop, at = self.docs.deref(prop, at)
        if not isinstance(prop, dict):
            return False
        options = [prop, *(prop.get("anyOf") or []), *(prop.get("oneOf") or [])]
        return any(isinstance(o, dict) and o.get("format") == "password" for o in options)

    # One short branch per keyword that can hold a nested schema.
    def _differs(self, schema: Any, at: Location, visiting: frozenset[Location] = frozenset()) -> bool:  # noqa: C901
        """Whether the request shape of a schema differs from its response shape: it (or a schema
        inside it) has read-only fields, or required write-only ones."""
        if isinstance(schema, dict) and "$ref" in schema:
            schema, at = self.docs.deref(schema, at)
        if at in visiting or not isinstance(schema, dict):
            return False
        visiting = visiting | {at}
        if schema.get("readOnly") is True:
            return True
        children: list[tuple[Any, Location]] = []
        if schema.get("properties") or schema.get("allOf"):
            shape = self._shape(schema, at)
            for key, (prop, prop_at) in shape.properties.items():
                if self._flag(prop, prop_at, "readOnly"):
                    return True
                if key in shape.required and self._flag(prop, prop_at, "writeOnly"):
                    return True
                children.append((prop, prop_at))
        for keyword in ("oneOf", "anyOf"):
            children += [(o, at.child(keyword, i)) for i, o in enumerate(schema.get(keyword) or [])]
        for keyword in ("items", "additionalProperties"):
            if isinstance(schema.get(keyword), dict):
                children.append((schema[keyword], at.child(keyword)))
        return any(self._differs(c, c_at, visiting) for c, c_at in children)

    def _model(self, schema: dict[str, Any], at: Location, name: str, mode: str) -> ir.TypeExpr:
        shape = self._shape(schema, at)
        if mode == "patch":
            # The body of an update_mask operation carries only the fields being changed, so its
            # model has no required fields ({Name}Patch) when the request shape would have some.
            writable = [k for k, (p, p_at) in shape.properties.items() if not self._flag(p, p_at, "readOnly")]
            if not shape.required.intersection(writable):
                return self._schema_type(schema, at, name, "request")
            suffix = "Patch"
        elif mode == "request":
            if not self._differs(schema, at):
                return self._schema_type(schema, at, name, "response")
            suffix = "Request"
        else:
            suffix = ""
        class_ = self._name_for(at, name, suffix)
        ref = ir.Ref(class_, "model")
        self._memo[(at, mode)] = ref  # before the fields: a schema may contain itself
        field_mode = "request" if mode == "patch" else mode
        tag = self._tags.get(at)
        fields: list[ir.Field] = []
        names = NameAllocator()
        for wire, (prop, prop_at) in shape.properties.items():
            if _UNENCODABLE.search(wire):
                raise self.docs.error(
                    f"property name {wire!r} contains a quote, backslash or control character, "
                    "which the generated decoder cannot map",
                    prop_at,
                )
            read_only = self._flag(prop, prop_at, "readOnly")
            write_only = self._flag(prop, prop_at, "writeOnly")
            if (field_mode == "request" and read_only) or (tag and wire == tag[0]):
                continue
            declared = self.type_of(prop, prop_at, f"{class_}{pascal_case(wire)}", field_mode)
            t = _decodable(declared)
            description = prop.get("description", "") if isinstance(prop, dict) else ""
            fields.append(
                ir.Field(
                    wire_name=wire,
                    py_name=names.take(value_name(wire)),
                    type=t,
                    required=wire in shape.required and not (mode == "response" and write_only) and mode != "patch",
                    read_only=read_only,
                    write_only=write_only,
                    deprecated=isinstance(prop, dict) and prop.get("deprecated") is True,
                    description=description or "",
                    default=self._default(prop, prop_at),
                    secret=write_only or self._is_secret(wire, prop, prop_at),
                    untagged_options=_untagged_options(declared) if t != declared else (),
                    mask_name=str(prop.get(MASK_NAME, "")) if isinstance(prop, dict) else "",
                )
            )
        self.models[class_] = ir.Model(
            name=class_,
            source=self.source(at),
            fields=tuple(fields),
            description=shape.description or "",
            tag=tag,
            deprecated=schema.get("deprecated") is True,
        )
        return ref

    # -- operations ----------------------------------------------------------------------------

    def operations(self) -> list[ir.Operation]:
        ops: list[ir.Operation] = []
        seen_ids: dict[str, Location] = {}
        paths = self.spec.data.get("paths") or {}
        for path, item in paths.items():
            item_at = self.spec.root.child("paths", path)
            item, item_at_resolved = self.docs.deref(item, item_at)
            if not isinstance(item, dict):
                self.warn("path item is not an object: skipped", item_at)
                continue
            shared = self._parameters(item.get("parameters") or [], item_at_resolved.child("parameters"))
            for method in HTTP_METHODS:
                if method in item and not isinstance(item[method], dict):
                    self.warn(f"{method} operation is not an object: skipped", item_at_resolved.child(method))
                if not isinstance(item.get(method), dict):
                    continue
                op_at = item_at_resolved.child(method)
                operation = item[method]
                op_id = operation.get("operationId") or f"{method}_{path}"
                if op_id in seen_ids:
                    raise self.docs.error(
                        f"duplicate operationId {op_id!r} (first used at #{seen_ids[op_id].pointer})",
                        op_at.child("operationId"),
                    )
                seen_ids[op_id] = op_at
                if operation.get("callbacks"):
                    self.warn("callbacks are not generated", op_at.child("callbacks"))
                own = self._parameters(operation.get("parameters") or [], op_at.child("parameters"))
                merged = {**shared, **own}  # keyed by (name, in): the operation's own win
                ops.append(self._operation(str(path), method, operation, op_at, str(op_id), list(merged.values())))
        return ops

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
        arg_names = NameAllocator({"self", "options", "body", "accept"})
        params: list[ir.Parameter] = []
        # Path parameters in the order they appear in the path, then the rest in spec order.
        order = {
            name: path.find("{" + name + "}")
            for name, loc in ((p["name"], p["in"]) for p, _ in raw_params)
            if loc == "path"
        }
        for param, param_at in sorted(raw_params, key=lambda p: (p[0]["in"] != "path", order.get(p[0]["name"], 0))):
            location = param["in"]
            if location not in ("path", "query", "header"):
                self.warn(
                    f"{location} parameter {param['name']!r} is not sent by the generated client "
                    "(set it on your own http_client)",
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
            explode = param.get("explode", style == "form")
            list_style = (
                "repeat"
                if explode and style == "form"
                else {"spaceDelimited": "ssv", "pipeDelimited": "pipes"}.get(style, "csv")
            )
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
        ndjson = next((c for r in success for c in r.contents if c.kind == "ndjson"), None)
        result = self._result_type(success)
        update_mask = next((p for p in params if p.wire_name == "update_mask" and p.location == "query"), None)
        if body is None or not body.model:
            update_mask = None
        return ir.Operation(
            operation_id=op_id,
            py_name=value_name(op_id),
            group=snake_case(str((operation.get("tags") or ["default"])[0])) or "default",
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
            stream=ir.Stream("", ndjson.media_type) if ndjson else None,
            polls_location=any(r.status == "202" and "location" in (h.lower() for h in r.headers) for r in responses),
            update_mask_identity=_identity(params, body.fields) if update_mask and body else (),
            update_mask_names=(
                tuple((f.wire_name, f.mask_name) for f in body.fields if f.mask_name) if update_mask and body else ()
            ),
            secret_fields=tuple(f.wire_name for f in body.fields if f.secret) if body else (),
            ends_session=_ends_session(path, op_id),
        )

    def _is_param_component(self, at: Location) -> bool:
        parts = at.pointer.split("/")
        return len(parts) == 4 and parts[1] == "components" and parts[2] == "parameters"

    def _body(
        self, operation: dict[str, Any], at: Location, op_class: str, arg_names: NameAllocator, mode: str
    ) -> ir.Body | None:
        if "requestBody" not in operation:
            return None
        node, body_at = self.docs.deref(operation["requestBody"], at.child("requestBody"))
        content = node.get("content") or {}
        if not content:
            return None
        media = next((m for m in content if media_kind(m) == "json"), next(iter(content)))
        kind = media_kind(media)
        schema = (content[media] or {}).get("schema")
        if kind == "json" and schema is not None:
            t = self.type_of(schema, body_at.child("content", media, "schema"), f"{op_class}Body", mode)
        else:
            t = STR if kind == "text" else ir.Primitive("bytes")
            self.warn(
                f"request body {media!r} is not supported yet: the generated client sends `body` "
                "JSON-encoded with Content-Type application/json",
                body_at.child("content", media),
            )
        model = None
        fields: tuple[ir.Field, ...] = ()
        if isinstance(t, ir.Ref) and t.kind == "model":
            model = t.name
            fields = self.models[t.name].fields
        return ir.Body(
            media_type=media,
            type=t,
            required=node.get("required") is True,
            model=model,
            fields=fields,
            # A body field named like a parameter (connection_id in the path and the body) becomes
            # body_connection_id, so both stay reachable.
            field_args=tuple(
                arg_names.take(f"body_{f.py_name}" if arg_names.taken(f.py_name) else f.py_name) for f in fields
            ),
        )

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
                seen.setdefault(content.media_type, content)
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

    def _pagination(self, params: list[ir.Parameter], result: ir.TypeExpr) -> ir.Pagination | None:
        """limit/offset paging: both parameters, and a response model with ``total_entries`` and
        exactly one list field (the items)."""
        names = {p.wire_name: p for p in params if p.location == "query"}
        if "limit" not in names or "offset" not in names:
            return None
        if not (isinstance(result, ir.Ref) and result.kind == "model"):
            return None
        model = self.models[result.name]
        total = next((f for f in model.fields if f.wire_name == "total_entries"), None)
        lists = [(f, t) for f in model.fields for t in _options(f.type) if isinstance(t, ir.ListOf)]
        if total is None or len(lists) != 1:
            return None
        items, list_type = lists[0]
        return ir.Pagination(
            "", names["limit"].py_name, names["offset"].py_name, items.py_name, total.py_name, list_type.item
        )

    def _link_pagination(self, responses: tuple[ir.Response, ...]) -> ir.LinkPagination | None:
        ok = next((r for r in responses if r.status == "200"), None)
        if ok is None or "link" not in (h.lower() for h in ok.headers):
            return None
        json_types = [c.type for c in ok.contents if c.kind == "json"]
        if json_types and isinstance(json_types[0], ir.ListOf) and isinstance(json_types[0].item, ir.Ref):
            return ir.LinkPagination("", json_types[0].item)
        return None

    def _request_id_header(self, operations: list[ir.Operation]) -> str:
        names = sorted({h for op in operations for r in op.responses for h in r.headers})
        return next((h for h in names if h.lower().replace("_", "-").endswith("request-id")), "")

    # -- whole api -----------------------------------------------------------------------------

    def build(self) -> ir.Api:
        # Every component schema is generated (in response shape), used by an operation or not,
        # so names stay stable when a new Airflow version starts or stops using one.
        for key, schema, at in self._component_schemas():
            self.type_of(schema, at, class_name(str(key)), "response")
        operations = self.operations()
        groups: dict[str, list[ir.Operation]] = {}
        tags: dict[str, str] = {}
        group_names = NameAllocator(_CLIENT_ATTRS)
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
                pagination = op.pagination
                stem = named[id(op)].removeprefix("get_").removeprefix("list_")
                if pagination is not None:
                    pagination = replace(pagination, iterator_name=method_names.take(f"iter_{stem}"))
                links = op.link_pagination
                if links is not None:
                    links = replace(links, iterator_name=method_names.take(f"iter_{stem}"))
                stream = op.stream
                if stream is not None:
                    stream = replace(stream, method_name=method_names.take(f"{named[id(op)]}_stream"))
                renamed.append(
                    replace(
                        op,
                        py_name=named[id(op)],
                        group=tags[group],
                        pagination=pagination,
                        link_pagination=links,
                        stream=stream,
                    )
                )
            attr = tags[group]
            built.append(
                ir.Group(attr, pascal_case(attr) + "Api", group, tuple(sorted(renamed, key=lambda o: o.py_name)))
            )
        info = self.spec.data.get("info") or {}
        security = self._security()
        if self.spec.data.get("webhooks"):
            self.warn(f"{len(self.spec.data['webhooks'])} webhooks are not generated", self.spec.root.child("webhooks"))
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
            diagnostics=tuple(sorted(self.diagnostics, key=lambda d: (d.file, d.pointer, d.message))),
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


def _decodable(t: ir.TypeExpr) -> ir.TypeExpr:
    """msgspec cannot choose between untagged structs inside a struct (at any depth): such a union
    is kept as the JSON object it is."""
    if isinstance(t, ir.UnionOf):
        if t.by_fields:
            return ir.UnionOf((ir.MapOf(ir.ANY), ir.NONE)) if ir.NONE in t.options else ir.MapOf(ir.ANY)
        return ir.UnionOf(tuple(_decodable(o) for o in t.options), t.tagged, t.by_fields)
    if isinstance(t, ir.ListOf):
        return ir.ListOf(_decodable(t.item))
    if isinstance(t, ir.MapOf):
        return ir.MapOf(_decodable(t.value))
    return t


def _untagged_options(t: ir.TypeExpr) -> tuple[str, ...]:
    """The models of the untagged struct unions inside ``t`` (at any depth), in order."""
    found: list[str] = []
    if isinstance(t, ir.UnionOf):
        if t.by_fields:
            found += [o.name for o in t.options if isinstance(o, ir.Ref)]
        else:
            for o in t.options:
                found += _untagged_options(o)
    elif isinstance(t, ir.ListOf):
        found += _untagged_options(t.item)
    elif isinstance(t, ir.MapOf):
        found += _untagged_options(t.value)
    return tuple(dict.fromkeys(found))


def _json_scalar(value: Any) -> bool:
    return isinstance(value, (str, bool, int)) or (isinstance(value, float) and math.isfinite(value))


def _scalar(t: ir.TypeExpr) -> bool:
    """A string or integer, nullable or not: a value that can name a resource."""
    options = [o for o in _options(t) if o != ir.NONE]
    return len(options) == 1 and options[0] in (STR, ir.Primitive("int"))


def _identity(params: list[ir.Parameter], fields: tuple[ir.Field, ...]) -> tuple[tuple[str, str], ...]:
    """Body fields of an update_mask operation that name the resource its path names, by name.

    Both the field and the path parameter must be strings or integers. A field matches the path
    parameter with its own wire name (``connection_id`` / ``connection_id``), else one named
    ``<stem>_<field>`` (``pool_name`` / ``name``, ``variable_key`` / ``key``, ``dag_id`` / ``id``)
    or ``<field>_id``, ``<field>_name``, ``<field>_key`` (``pool_name`` / ``pool``). When several
    path parameters match, the last one wins: it names the resource itself, the others its parents.
    Values never decide: a ``host`` equal to the connection id is still sent in the mask.
    """
    path = [p for p in params if p.location == "path" and _scalar(p.type)]
    pairs: list[tuple[str, str]] = []
    for field in fields:
        if not _scalar(field.type):
            continue
        name = field.wire_name
        exact = [p for p in path if p.wire_name == name]
        named = [
            p
            for p in path
            if (p.wire_name.endswith(f"_{name}") and len(p.wire_name) > len(name) + 1)
            or p.wire_name in {f"{name}_{word}" for word in _IDENTITY_WORDS}
        ]
        match = (exact or named)[-1:]
        if match:
            pairs.append((name, match[0].wire_name))
    return tuple(pairs)


def _ends_session(path: str, operation_id: str) -> bool:
    """An operation whose last path segment or operationId is logout, log_out, signout or sign_out
    (any case, any separators: ``/auth/logout``, ``/session/sign-out``, ``LogOut``)."""
    segments = [s for s in path.split("/") if s]
    names = [operation_id] + ([segments[-1]] if segments and "{" not in segments[-1] else [])
    return any("".join(words(n)).lower() in _SESSION_END for n in names)


def _options(t: ir.TypeExpr) -> tuple[ir.TypeExpr, ...]:
    return t.options if isinstance(t, ir.UnionOf) else (t,)


def normalise(spec: LoadedSpec) -> ir.Api:
    try:
        return Normaliser(spec).build()
    except RecursionError:
        raise SpecError("schema nesting too deep (a reference cycle?)", file=spec.path) from None


# An overlay's way to say a field's name in update_mask differs from its wire name.
MASK_NAME = "x-clientgen-update-mask-name"

_INLINE_STEPS = {"items": "Item", "additionalProperties": "Value"}


def _owned_name(pointer: str, context_name: str) -> str:
    """The name of an inline schema inside a component schema, from where it is written rather than
    from the context that reached it first: ``#/components/schemas/UserCollectionItem/properties/roles/items``
    is ``UserCollectionItemRolesItem`` whether ``User`` (which extends it through ``allOf``) or
    ``UserCollectionItem`` is built first. Other places keep the context's name."""
    parts = pointer.split("/")
    if len(parts) < 5 or parts[1:3] != ["components", "schemas"]:
        return context_name
    words, steps = [parts[3].replace("~1", "/").replace("~0", "~")], parts[4:]
    while steps:
        if steps[0] == "properties" and len(steps) > 1:
            words.append(pascal_case(steps[1].replace("~1", "/").replace("~0", "~")))
            steps = steps[2:]
        elif steps[0] in _INLINE_STEPS:
            words.append(_INLINE_STEPS[steps[0]])
            steps = steps[1:]
        else:
            return context_name
    owned = class_name(words[0]) + "".join(words[1:])
    return owned if context_name.endswith("".join(words[1:])) else context_name
