"""Schemas -> types: primitives, enums, models (request / response / patch shapes), compositions."""

from __future__ import annotations

import math
import re
from typing import Any

from .. import ir
from ..documents import Location
from ..names import NameAllocator, field_name, pascal_case, snake_case
from ..normalise.base import Mode, ObjectShape
from ..normalise.unions import Unions, _decodable, _untagged_options

# The primitive types, made once: GitHub's spec asks for ~30k.
_STR = ir.Primitive("str")
_STRING_FORMATS: dict[str, ir.TypeExpr] = {
    "date-time": ir.Primitive("datetime"),
    "datetime": ir.Primitive("datetime"),
    "date": ir.Primitive("date"),
    "binary": ir.Primitive("bytes"),
}
_PRIMITIVES: dict[str, ir.TypeExpr] = {
    "integer": ir.Primitive("int"),
    "number": ir.Primitive("float"),
    "boolean": ir.Primitive("bool"),
}
# A body field holding a secret, by its name in snake_case: redacted from error text.
_SECRET_NAME = re.compile(r"(^|_)(password|passwd|secret|token|api_?key)$", re.IGNORECASE)
_UNENCODABLE = re.compile(r'["\\\x00-\x1f]')
# An overlay's way to say a field's name in update_mask differs from its wire name.
MASK_NAME = "x-clientgen-update-mask-name"


class Schemas(Unions):
    def type_of(self, node: Any, at: Location, name: str, mode: Mode) -> ir.TypeExpr:
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

    def _schema_type(self, schema: Any, at: Location, name: str, mode: Mode) -> ir.TypeExpr:
        if not isinstance(schema, dict):
            return ir.ANY
        key = (at, mode)
        memoised = self._memoised(key)
        if memoised is not None:
            return memoised
        entered = self._building.get(key)
        # Recurring into itself: where a model was entered since, the cycle goes through it, and the model is
        # memoised before its fields, so building this schema again ends there; else nothing breaks it. One
        # such build at a time: nested ones would grow the stack with schemas times models.
        rebuilding = entered is not None and self._open_models != [] and self._open_models[-1] > entered
        if entered is not None and (not rebuilding or self._rebuilding):
            if at not in self._recursive:
                self._recursive.add(at)
                why = "reached again while it is built again" if rebuilding else "without an object to break the cycle"
                self.warn(f"recursive schema {why}: typed Any where it recurs", at)
            return ir.ANY
        self._depth += 1
        self._rebuilding += rebuilding
        self._building[key] = self._depth
        try:
            t = self._build_type(schema, at, name, mode)
        finally:
            self._depth -= 1
            self._rebuilding -= rebuilding
            if entered is None:
                del self._building[key]
            else:
                self._building[key] = entered
        self._memo[key] = t
        return t

    # One branch per schema kind, in precedence order (enum before const before discriminator...):
    # split up, the precedence would be spread over several functions.
    def _build_type(self, schema: dict[str, Any], at: Location, name: str, mode: Mode) -> ir.TypeExpr:  # noqa: C901
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
            # a wrapper (for a description, nullable, a bound), unless it is a variant of a discriminated
            # base: then it is a model with its own tag, even with no field of its own
            wrapped = self._wraps(schema, at)
            if wrapped is None:
                t = self._model(schema, at, name, mode)
            else:
                t = self.type_of(schema["allOf"][wrapped], at.child("allOf", wrapped), name, mode)
                nullable = nullable or any(part.get("nullable") is True for part in self._annotating_parts(schema))
        elif types == "object" or "properties" in schema or (types is None and "additionalProperties" in schema):
            t = self._object(schema, at, name, mode)
        elif types == "array" or "items" in schema:
            items = schema.get("items")
            t = ir.ListOf(self.type_of(items, at.child("items"), f"{name}Item", mode) if items is not None else ir.ANY)
        else:
            t = self._primitive(types, schema.get("format"))
        return self._nullable(t) if nullable else t

    def _wraps(self, schema: dict[str, Any], at: Location) -> int | None:
        """The ``allOf`` part ``schema`` is typed as (``wrapped_part``), or None where it is a model of its own:
        a variant of a discriminated base (its own tag, even with no field of its own); beside other parts, a
        schema extending a discriminated base (a subtype, as OpenAPI reads ``allOf`` with a discriminator,
        mapped or not), or a component wrapping an object (its name is the spec's: a class of that name)."""
        wrapped = None if at in self._tags else self._wrapped_part(schema)
        if wrapped is None or len(schema["allOf"]) == 1:
            return wrapped
        part, _ = self.docs.deref(schema["allOf"][wrapped], at.child("allOf", wrapped))
        if not isinstance(part, dict):
            return wrapped
        if isinstance(part.get("discriminator"), dict):
            return None
        objectlike = part.get("type") == "object" or bool(part.get("properties") or part.get("allOf"))
        return None if objectlike and self._is_component(at) else wrapped

    def _primitive(self, type_name: Any, fmt: Any, const: Any = None) -> ir.TypeExpr:
        if type_name is None and const is not None:
            type_name = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(const))
        if type_name == "string":
            return _STRING_FORMATS.get(str(fmt), _STR)
        return _PRIMITIVES.get(type_name, ir.ANY) if isinstance(type_name, str) else ir.ANY

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
        from ..names import enum_member_name

        for value in dict.fromkeys(values):  # keep order, drop duplicates
            members.append(ir.EnumMember(taken.take(enum_member_name(value)), value))
        self.enums[class_] = ir.EnumModel(
            class_, self.source(at), tuple(members), kind, schema.get("description", "") or ""  # type: ignore[arg-type]
        )
        return ir.Ref(class_, "enum")

    def _object(self, schema: dict[str, Any], at: Location, name: str, mode: Mode) -> ir.TypeExpr:
        if schema.get("properties"):
            return self._model(schema, at, name, mode)
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict) and additional:
            return ir.MapOf(self.type_of(additional, at.child("additionalProperties"), f"{name}Value", mode))
        return ir.MapOf(ir.ANY)  # free-form object

    def _composition(self, schema: dict[str, Any], at: Location, name: str, mode: Mode, nullable: bool) -> ir.TypeExpr:
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
            if t.by_fields:
                # msgspec decodes no union of untagged structs, named or not: a reference takes the union
                # itself, which a field keeps as its JSON object and an answer chooses by fields, as an inline
                # oneOf; the alias stays, for annotations
                return t
            return ir.Ref(alias, "alias")
        return t

    def _polymorphic_base(
        self, schema: dict[str, Any], at: Location, name: str, mode: Mode, nullable: bool
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

    def _default(self, schema: Any, at: Location, seen: frozenset[Location] = frozenset()) -> ir.Default | None:
        """The ``default`` of a property or parameter schema (beside a ``$ref``, else on its target).

        Recorded when it is a scalar or a list of scalars; a null default means what leaving the
        value out means already, and objects are left to the spec's own text. An ``allOf`` wrapper's is
        on a part annotating the schema it wraps, else that schema's."""
        if isinstance(schema, dict) and "default" not in schema and "$ref" in schema:
            schema, at = self.docs.deref(schema, at)
        annotated = next((part for part in self._annotating_parts(schema) if "default" in part), None)
        if annotated is None:
            wrapped = None if at in seen else self._wrapped_part(schema)  # a wrapper may lead back to itself
            if wrapped is None:
                return None
            return self._default(schema["allOf"][wrapped], at.child("allOf", wrapped), seen | {at})
        value = annotated["default"]
        if isinstance(value, list) and value and all(_json_scalar(v) for v in value):
            return ir.Default(tuple(value))
        return ir.Default(value) if _json_scalar(value) else None

    def _is_secret(self, wire: str, prop: Any, at: Location, seen: frozenset[Location] = frozenset()) -> bool:
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
        wrapped = None if at in seen else self._wrapped_part(prop)
        if wrapped is not None and self._is_secret(
            wire, prop["allOf"][wrapped], at.child("allOf", wrapped), seen | {at}
        ):
            return True
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
        wrapped = self._wraps(schema, at)
        if wrapped is not None:  # typed as the part it wraps (``_build_type``), which may be no object
            children.append((schema["allOf"][wrapped], at.child("allOf", wrapped)))
        elif schema.get("properties") or schema.get("allOf"):
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

    def _model(self, schema: dict[str, Any], at: Location, name: str, mode: Mode) -> ir.TypeExpr:
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
        elif mode == "upload":
            if not any(self._file_type(p, p_at) for p, p_at in shape.properties.values()):
                return self._schema_type(schema, at, name, "request")  # nothing in it is a file
            # a shared schema's files are typed apart from its JSON shape: {Name}Upload
            suffix = "Upload" if self._is_component(at) else ""
        else:
            suffix = ""
        class_ = self._name_for(at, name, suffix)
        ref = ir.Ref(class_, "model")
        self._memo[(at, mode)] = ref  # before the fields: a schema may contain itself
        tag = self._tags.get(at)
        self._open_models.append(self._depth)
        try:
            fields = self._fields(shape, class_, mode, tag)
        finally:
            self._open_models.pop()
        self.models[class_] = ir.Model(
            name=class_,
            source=self.source(at),
            fields=fields,
            description=shape.description or "",
            tag=tag,
            deprecated=schema.get("deprecated") is True,
        )
        return ref

    def _fields(self, shape: ObjectShape, class_: str, mode: Mode, tag: tuple[str, str] | None) -> tuple[ir.Field, ...]:
        """The fields of the model ``class_`` of ``shape`` read for ``mode`` (its tag's field left to the tag)."""
        field_mode = "request" if mode in ("patch", "upload") else mode
        fields: list[ir.Field] = []
        names = NameAllocator()
        for wire, (prop, prop_at) in shape.properties.items():
            if _UNENCODABLE.search(wire):
                self.warn(  # said once however many shapes (request, response) the schema is read in
                    f"property name {wire!r} holds a quote, backslash or control character, which msgspec "
                    "cannot map to a field: left out of the model (ignored when decoding, never sent)",
                    prop_at,
                )
                continue
            read_only = self._flag(prop, prop_at, "readOnly")
            write_only = self._flag(prop, prop_at, "writeOnly")
            if (field_mode == "request" and read_only) or (tag and wire == tag[0]):
                continue
            declared = (self._file_type(prop, prop_at) if mode == "upload" else None) or self.type_of(
                prop, prop_at, f"{class_}{pascal_case(wire)}", field_mode
            )
            t = _decodable(declared)
            annotations = self._annotating_parts(prop)
            description = next((part["description"] for part in annotations if part.get("description")), "")
            fields.append(
                ir.Field(
                    wire_name=wire,
                    py_name=names.take(field_name(wire)),
                    type=t,
                    required=wire in shape.required and not (mode == "response" and write_only) and mode != "patch",
                    read_only=read_only,
                    write_only=write_only,
                    deprecated=any(part.get("deprecated") is True for part in annotations),
                    description=description,
                    default=self._default(prop, prop_at),
                    secret=write_only or self._is_secret(wire, prop, prop_at),
                    untagged_options=_untagged_options(declared) if t != declared else (),
                    mask_name=str(prop.get(MASK_NAME, "")) if isinstance(prop, dict) else "",
                )
            )
        return tuple(fields)

    def _file_type(self, prop: Any, at: Location, seen: frozenset[Location] = frozenset()) -> ir.TypeExpr | None:
        """A multipart property that carries a file (a binary string, or a list of them), else None."""
        if isinstance(prop, dict) and "$ref" in prop:
            prop, at = self.docs.deref(prop, at)
        if not isinstance(prop, dict) or at in seen:  # a schema that leads back to itself holds no file
            return None
        seen = seen | {at}
        wrapped = self._wrapped_part(prop)
        if wrapped is not None:  # a file described in place: ``allOf: [{format: binary}, {description}]``
            return self._file_type(prop["allOf"][wrapped], at.child("allOf", wrapped), seen)
        types = prop.get("type")
        if isinstance(types, list):
            types = next((t for t in types if t != "null"), None)
        if types == "array" and isinstance(prop.get("items"), dict):
            item = self._file_type(prop["items"], at.child("items"), seen)
            return ir.ListOf(item) if item else None
        binary = prop.get("format") == "binary" or ("contentMediaType" in prop and "contentEncoding" not in prop)
        return ir.Primitive("file") if types in ("string", None) and binary else None


def _json_scalar(value: Any) -> bool:
    return isinstance(value, (str, bool, int)) or (isinstance(value, float) and math.isfinite(value))
