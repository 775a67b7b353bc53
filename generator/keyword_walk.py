"""openapi-spec-validator's keyword walk, replayed over the parsed spec (OpenAPI 3.0, one file).

The walk is validation's second pass: ``RootValidator`` down to ``SchemaValidator`` in the library's
``validation/keywords.py``. It reads the spec through jsonschema_path, where every ``"key" in schema``, every
``schema / key`` and every ``read_value()`` is a path resolved from the root, reference by reference: on
GitHub's spec that machinery was ~0.5 s of the ~0.7 s validation took, for ~0.2 s of real checks (each
schema against its dialect, each ``default`` against its schema). ``walks_clean`` makes the same walk over
the dicts and lists themselves: the same steps, in the same order, with references followed by the
library's own resolver (``referencing``) where jsonschema_path would follow them, and the same leaf checks,
made by the library's own code (``SchemaValidator._validate_schema_meta``, the ``default`` keyword's
``ValueValidator``).

Its verdict is only ever *clean*: the walk met no error and nothing the replay does not reproduce step for
step. Anything else (an error of any kind, a reference that leaves the file or does not resolve, a value of a
type the library would treat in its own way, a crash of a check, a recursion the library would not survive)
makes it say nothing, and the library walks as before, for its own errors, messages and order. What decides
the verdict is kept exactly as the library keeps it: a schema is judged by its first visitor (the
``meta_checked`` and ``visited`` sets by ``id``, the meta-check only where a parameter, a media type or a
component holds the schema, ``Required list has not defined properties`` only there and only beside
``allOf``), so the whole walk is made, never part of it.

The replay is used only with the library files it was written from (by sha256, ``_REPLAYED_FILES``) and
only for ``OpenAPIV30SpecValidator`` as that release makes it; an OpenAPI 3.1 spec, or one of several
files, is walked by the library. ``tests/test_validation_walk.py`` holds its edges against the library's
verdicts; ``scripts/compare_keyword_walk.py`` compares the two on every corpus spec.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from functools import cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

# The library files whose behaviour the replay reproduces, by sha256 of openapi-spec-validator 0.9.0,
# jsonschema-path 0.5.0 and pathable as installed with them: the keyword walk itself and its registry, and
# how jsonschema_path and pathable read a path (``in``, ``/``, ``keys()``, ``read_value()``, ``$ref``).
_REPLAYED_FILES = {
    ("openapi_spec_validator", "validation/keywords.py"): (
        "b8d03d2848327403a87b1efd3a2093dca1f377c24a2304b9b804a73e51a68072"
    ),
    ("openapi_spec_validator", "validation/validators.py"): (
        "2e632f3248379daca366a1bd479304cd4d45953cde37e8ede41a770efd058c28"
    ),
    ("openapi_spec_validator", "validation/registries.py"): (
        "d14582325604343b8e7bbf018daf9746ec81629893bd3192845a581abe31c1b7"
    ),
    ("jsonschema_path", "accessors.py"): "1e4e92c6461d0ccce28381dc54685b63a3a0b90a41e748e7e3fb28cfbfa446b8",
    ("jsonschema_path", "nodes.py"): "0e1feb7c774d2c717930bac9015e4f502a47d8ec078fbc2eb8c46e1b609e6697",
    ("jsonschema_path", "utils.py"): "2229e2c2987fe254b7e152c152153106f9d96ef8b3a697fa950e878d7e39ede4",
    ("jsonschema_path", "paths.py"): "18a1e0a87d8566046ef96cbc8b679347b0b38037ac09592b295451ff2c44833f",
    ("jsonschema_path", "resolvers.py"): "475ac022196a393dfa4407764bd24f71c8dd79c0222e8295f2345b9922df1e6a",
    ("pathable", "accessors.py"): "a3fc0cae709a467380e473bf715ca76c41eca50ffb29683d8999350af04ba3a4",
    ("pathable", "paths.py"): "beea6cdacc5b40dd7ecd7a6fab9d737ce2ff36621c3166c3e0828810e0485a2e",
}

# What the replay steps through or reads: anything else (a YAML set, tuple or bytes, a dict subclass) is
# left to the library, whose readers each treat it in their own way.
_PLAIN = frozenset({list, str, int, float, bool, type(None)})
_OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")  # PathValidator._OPERATIONS
# What the walk reads of an operation (``OperationValidator``): its reference, when it is one.
_READ_OF_OPERATION = ("$ref", "operationId", "responses", "parameters")
_UNSEEN = object()

# Frames of recursion the replay gives up to the library. It runs with the recursion limit lowered by this
# much: the library makes the same checks a few frames deeper at most (its walk keeps one generator per level
# where the replay keeps one call, and one or two more at the top), so a check (or a schema nested so deep)
# that does not overflow in the replay does not overflow in the library's walk either.
_RECURSION_HEADROOM = 50
# References to references followed at most: jsonschema_path follows a chain by recursion (a frame each),
# the replay by a loop, so a longer chain is left to the library (its frames fit in the headroom above).
_LONGEST_CHAIN = 16


class _Unreplayed(Exception):
    """The replay stops: the walk has an error, or meets something it does not reproduce. The library walks."""


# How many walks each way: "clean" (the replay's verdict taken), "library" (the library walked).
replays = {"clean": 0, "library": 0}


def walk_errors(
    validator: Any,
    replay: bool,
    meta_clean: Callable[[Any], bool] | None = None,
    followed: set[str] | None = None,
) -> Iterator[Any]:
    """What ``validator.root_validator(validator.schema_path)`` yields: nothing where ``replay`` holds and the
    replay finds the walk clean, else the library's own walk. ``replay`` says the spec is OpenAPI 3.0 and of
    one file; ``meta_clean`` and ``followed`` are handed to ``walks_clean``."""
    if replay and walks_clean(validator, meta_clean, followed=followed):
        replays["clean"] += 1
        return
    replays["library"] += 1
    yield from validator.root_validator(validator.schema_path)


def walks_clean(
    validator: Any, meta_clean: Callable[[Any], bool] | None = None, *, followed: set[str] | None = None
) -> bool:
    """Whether openapi-spec-validator's keyword walk of ``validator``'s spec yields no error, told by
    replaying it (False: it has an error, or the replay does not apply; the library then walks).
    ``meta_clean(schema)`` may say a schema is clean against its dialect without the library's check (True
    only where that check would find it clean: validation.py asks jsonschema-rs where its verdict is the
    check's). ``followed`` gets every reference a clean walk followed, each of a chain."""
    if not _replayable(validator):
        return False
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(limit - _RECURSION_HEADROOM)
    except (RecursionError, ValueError):  # already deeper than that
        return False
    try:
        replay = _Replay(validator, meta_clean)
        replay.walk()
    except Exception:  # _Unreplayed, or a check's own crash: the library walks, and says what it meets
        return False
    finally:
        sys.setrecursionlimit(limit)
    if followed is not None:
        followed |= replay.followed
    return True


def _replayable(validator: Any) -> bool:
    from openapi_spec_validator import OpenAPIV30SpecValidator
    from openapi_spec_validator.validation import keywords

    expected = {
        "__root__": keywords.RootValidator,
        "components": keywords.ComponentsValidator,
        "content": keywords.ContentValidator,
        "default": keywords.OpenAPIV30ValueValidator,
        "mediaType": keywords.MediaTypeValidator,
        "operation": keywords.OperationValidator,
        "parameter": keywords.ParameterValidator,
        "parameters": keywords.ParametersValidator,
        "paths": keywords.PathsValidator,
        "path": keywords.PathValidator,
        "response": keywords.OpenAPIV3ResponseValidator,
        "responses": keywords.ResponsesValidator,
        "schema": keywords.OpenAPIV30SchemaValidator,
        "schemas": keywords.SchemasValidator,
        "tags": keywords.TagsValidator,
    }
    return (
        type(validator) is OpenAPIV30SpecValidator
        and dict(validator.keyword_validators) == expected
        and _replayed_files_as_written()
    )


@cache
def _replayed_files_as_written() -> bool:
    """Whether the installed library files are the ones the replay was written from (read once a process)."""
    from .validation import shipped_file

    return all(shipped_file(package, name, sha256) is not None for (package, name), sha256 in _REPLAYED_FILES.items())


class _Replay:
    """One replay of the walk. Each value is the one jsonschema_path reads at the same path: the child of the
    value before it, followed through references (``_resolved``). ``via_ref`` says whether a reference was
    followed on the way, which is all that tells apart the resolvers jsonschema_path would hand on at that
    path (both have the root file's URI and registry; one has the root in its dynamic scope)."""

    def __init__(self, validator: Any, meta_clean: Callable[[Any], bool] | None) -> None:
        registry = validator.keyword_validators_registry
        self.schema_keyword = registry["schema"]
        self.default_keyword = registry["default"]
        self.meta_clean = meta_clean
        with validator.schema_path.resolve() as root:
            self.spec, self.root = root.contents, root.resolver
        if self.spec is not validator.schema or type(self.spec) is not dict:
            raise _Unreplayed("the root is not the spec's mapping")
        self.base_uri, self.registry = self.root._base_uri, self.root._registry
        if list(self.root._previous):
            raise _Unreplayed("a root resolver with a dynamic scope")
        self.after_ref: Any = None  # the resolver jsonschema_path hands on past a reference
        self.targets: dict[str, Any] = {}  # what each reference leads to
        self.followed: set[str] = set()  # every reference looked up, each of a chain
        self.visited: set[int] = set()  # SchemaValidator.visited_schema_ids
        self.meta_checked: set[int] = set()  # SchemaValidator.meta_checked_schema_ids
        self.operation_ids: set[str] = set()  # OperationValidator.operation_ids_registry

    # -- reading as jsonschema_path reads ---------------------------------------------------------------

    def _resolved(self, value: Any, via_ref: bool) -> tuple[Any, bool]:
        """``value`` as jsonschema_path reads it (``SchemaNode._resolve_node``): a mapping with a string
        ``$ref`` stands for what the reference leads to, whatever keys it has beside it."""
        if type(value) is dict:
            ref = _reference(value)
            if ref is not None:
                return self._target(ref), True
        elif type(value) not in _PLAIN:
            raise _Unreplayed(f"a {type(value).__name__}")
        return value, via_ref

    def _at(self, node: dict[Any, Any], key: str, via_ref: bool) -> tuple[Any, bool]:
        return self._resolved(node[key], via_ref)

    def _target(self, ref: str) -> Any:
        known = self.targets.get(ref, _UNSEEN)
        if known is _UNSEEN:
            known = self.targets[ref] = self._look_up(ref)
        return known

    def _look_up(self, ref: str) -> Any:
        """What ``ref`` leads to, through references to references, looked up by ``referencing`` as
        jsonschema_path looks it up. Only a reference into the same file (``#...``), reached by a JSON
        pointer through plain mappings and lists, whose resolver stays the file's, and a chain of at most
        ``_LONGEST_CHAIN`` references (jsonschema_path follows one by recursion: a frame each)."""
        seen: set[str] = set()
        reference: str | None = ref
        value: Any = None
        while reference is not None:
            if not reference.startswith("#") or reference in seen or len(seen) == _LONGEST_CHAIN:
                raise _Unreplayed(f"reference {reference!r}")  # another file, a loop, a long chain
            seen.add(reference)
            resolved = self.root.lookup(reference)
            self._check_resolver(resolved.resolver)
            value = resolved.contents
            if value is not self._pointed_to(reference):
                raise _Unreplayed(f"reference {reference!r}")
            reference = _reference(value) if type(value) is dict else None
        self.followed |= seen
        if type(value) is not dict and type(value) not in _PLAIN:
            raise _Unreplayed(f"a {type(value).__name__}")
        return value

    def _pointed_to(self, ref: str) -> Any:
        """The node ``ref``'s JSON pointer names, stepping only through plain mappings and lists (as the
        replay steps), or ``_UNSEEN``."""
        node: Any = self.spec
        if ref == "#":
            return node
        if ref[1:2] != "/":
            return _UNSEEN  # a plain-name fragment (an anchor), looked up otherwise
        for part in unquote(ref[2:]).split("/"):
            if type(node) is dict:
                node = node.get(part.replace("~1", "/").replace("~0", "~"), _UNSEEN)
            elif type(node) is list and part.isdigit() and part.isascii() and int(part) < len(node):
                node = node[int(part)]
            else:
                return _UNSEEN
            if node is _UNSEEN:
                return _UNSEEN
        return node

    def _check_resolver(self, resolver: Any) -> None:
        """A resolver a lookup hands on must be the file's (its URI and registry), with the root in its dynamic
        scope: then every resolver past a reference is alike, and ``after_ref`` stands for each."""
        if resolver._base_uri != self.base_uri or resolver._registry is not self.registry:
            raise _Unreplayed("a reference resolved elsewhere than the file")
        if self.after_ref is None:
            if list(resolver._previous) != [self.base_uri]:
                raise _Unreplayed("an unexpected dynamic scope")
            self.after_ref = resolver
        elif list(resolver._previous) != list(self.after_ref._previous):
            raise _Unreplayed("an unexpected dynamic scope")

    # -- the walk: RootValidator, TagsValidator, PathsValidator, PathValidator, OperationValidator, ... ---

    def walk(self) -> None:
        spec = self.spec
        if "tags" in spec:
            self._tags(*self._at(spec, "tags", False))
        if "paths" in spec:
            self._paths(*self._at(spec, "paths", False))
        if "components" in spec:
            components, via_ref = self._at(spec, "components", False)
            if type(components) is not dict:
                raise _Unreplayed("components")
            if "schemas" in components:
                schemas, via_ref = self._at(components, "schemas", via_ref)
                if type(schemas) is not dict:
                    raise _Unreplayed("components/schemas")
                for schema in schemas.values():
                    self._schema(*self._resolved(schema, via_ref), True)

    def _tags(self, tags: Any, via_ref: bool) -> None:
        if type(tags) is not list:
            raise _Unreplayed("tags")
        seen: set[str] = set()
        for entry in tags:
            tag, tag_via_ref = self._resolved(entry, via_ref)
            if type(tag) is not dict or "name" not in tag:
                raise _Unreplayed("a tag")
            name = self._at(tag, "name", tag_via_ref)[0]
            if type(name) is not str or name in seen:
                raise _Unreplayed("a tag's name")  # read_str's TypeError, or "Duplicate tag name"
            seen.add(name)

    def _paths(self, paths: Any, via_ref: bool) -> None:
        if type(paths) is not dict:
            raise _Unreplayed("paths")
        for url, item in paths.items():
            if type(url) is not str:
                raise _Unreplayed("a path")
            self._path(url, *self._resolved(item, via_ref))

    def _path(self, url: str, item: Any, via_ref: bool) -> None:
        if type(item) is not dict:
            raise _Unreplayed("a path item")
        shared = None  # the path parameters of the item's own parameters
        if "parameters" in item:
            shared = self._parameters(*self._at(item, "parameters", via_ref))
        in_url = None
        for field, operation in item.items():
            if type(field) is not str:
                raise _Unreplayed("a path item's key")  # PathValidator asserts it is a string
            if field not in _OPERATIONS:
                continue
            if in_url is None:
                in_url = _parameters_in_url(url)
            self._operation(*self._resolved(operation, via_ref), shared, in_url)

    def _operation(self, operation: Any, via_ref: bool, shared: list[str] | None, in_url: set[str]) -> None:
        if type(operation) is not dict:
            raise _Unreplayed("an operation")
        if "operationId" in operation:
            operation_id = self._at(operation, "operationId", via_ref)[0]
            if operation_id is not None:
                if type(operation_id) is not str or operation_id in self.operation_ids:
                    raise _Unreplayed("an operationId")  # "Operation ID ... is not unique"
                self.operation_ids.add(operation_id)
        if "responses" in operation:
            self._responses(*self._at(operation, "responses", via_ref))
        names: list[str] = []
        if "parameters" in operation:
            names += self._parameters(*self._at(operation, "parameters", via_ref))
        if shared is not None:
            names += shared
        if set(names) != in_url:
            raise _Unreplayed("a path parameter")  # "Path parameter ... was not resolved"

    def _responses(self, responses: Any, via_ref: bool) -> None:
        if type(responses) is not dict:
            raise _Unreplayed("responses")
        for code, entry in responses.items():
            if type(code) is not str:
                raise _Unreplayed("a response code")  # ResponsesValidator asserts it is a string
            response, response_via_ref = self._resolved(entry, via_ref)
            if type(response) is not dict:
                raise _Unreplayed("a response")
            if "content" in response:
                self._content(*self._at(response, "content", response_via_ref))

    def _content(self, content: Any, via_ref: bool) -> None:
        if type(content) is not dict:
            raise _Unreplayed("a response's content")
        for media_type_name, value in content.items():
            if type(media_type_name) is not str:
                raise _Unreplayed("a media type")  # ContentValidator asserts it is a string
            media_type, media_via_ref = self._resolved(value, via_ref)
            if type(media_type) is not dict:
                raise _Unreplayed("a media type")
            if "schema" in media_type:
                self._schema(*self._at(media_type, "schema", media_via_ref), True)

    def _parameters(self, parameters: Any, via_ref: bool) -> list[str]:
        """ParametersValidator's checks; the names of the path parameters (``_get_path_param_names``)."""
        if type(parameters) is not list:
            raise _Unreplayed("parameters")
        seen: set[tuple[str, str]] = set()
        in_path = []
        for entry in parameters:
            parameter, parameter_via_ref = self._resolved(entry, via_ref)
            if type(parameter) is not dict:
                raise _Unreplayed("a parameter")
            if "schema" in parameter:
                self._schema(*self._at(parameter, "schema", parameter_via_ref), True)
            # read unresolved by ParametersValidator, resolved by _get_path_param_names: alike for a string
            name, where = parameter.get("name"), parameter.get("in")
            if type(name) is not str or type(where) is not str or (name, where) in seen:
                raise _Unreplayed("a parameter's name")  # a crash, or "Duplicate parameter"
            seen.add((name, where))
            if where == "path":
                in_path.append(name)
        return in_path

    # -- SchemaValidator ---------------------------------------------------------------------------------

    def _schema(self, value: Any, via_ref: bool, top: bool) -> None:  # noqa: C901 - the library's one method
        """``SchemaValidator.__call__``: ``top`` for a schema held by a parameter, a media type or a component
        (``require_properties=True, meta_checked=False``), not for one inside a schema."""
        if type(value) is not dict and value is not True and value is not False:
            raise _Unreplayed("a schema that is no mapping")  # "... is not of type 'object', 'boolean'"
        key = id(value)
        if top and key not in self.meta_checked:
            self.meta_checked.add(key)
            self._meta_check(value)
        if key in self.visited:
            return
        self.visited.add(key)
        if type(value) is not dict:
            return  # a boolean schema: no keyword is "in" it
        nested_properties: set[Any] = set()
        if "allOf" in value:
            for schema, schema_via_ref in self._subschemas(value, "allOf", via_ref):
                self._schema(schema, schema_via_ref, False)
                nested_properties |= self._properties_of(schema, set())
        if "anyOf" in value:
            for schema, schema_via_ref in self._subschemas(value, "anyOf", via_ref):
                self._schema(schema, schema_via_ref, False)
        if "oneOf" in value:
            for schema, schema_via_ref in self._subschemas(value, "oneOf", via_ref):
                self._schema(schema, schema_via_ref, False)
        if "not" in value:
            self._schema(*self._at(value, "not", via_ref), False)
        if "items" in value:
            self._schema(*self._at(value, "items", via_ref), False)
        properties: Any = ()
        if "properties" in value:
            properties, properties_via_ref = self._at(value, "properties", via_ref)
            if type(properties) is not dict:
                raise _Unreplayed("properties")
            for schema in properties.values():
                self._schema(*self._resolved(schema, properties_via_ref), False)
        required = self._at(value, "required", via_ref)[0] if "required" in value else None
        if "allOf" in value:  # the sets are made at any depth (and can fail), the error only at the top
            undefined = set(required or ()) - set(properties) - nested_properties
            if undefined and top:
                raise _Unreplayed("required")  # "Required list has not defined properties"
        if "default" in value:
            default = self._at(value, "default", via_ref)[0]
            nullable = self._at(value, "nullable", via_ref)[0] if "nullable" in value else False
            if default is not None or nullable is not True:
                self._check_default(value, via_ref, default)

    def _subschemas(self, value: dict[Any, Any], keyword: str, via_ref: bool) -> Iterator[tuple[Any, bool]]:
        listed, listed_via_ref = self._at(value, keyword, via_ref)
        if type(listed) is not list:
            raise _Unreplayed(keyword)
        for schema in listed:
            yield self._resolved(schema, listed_via_ref)

    def _properties_of(self, value: Any, reaching: set[int]) -> set[Any]:
        """``SchemaValidator._collect_properties``: the names under ``properties`` of ``value`` and of what its
        ``allOf``/``anyOf``/``oneOf``/``items``/``not`` hold, without end when one holds itself (the
        library's RecursionError: ``reaching`` are the values on the way here)."""
        if type(value) is not dict:
            if type(value) in _PLAIN:
                return set()  # no keyword is "in" a list, a string or a number
            raise _Unreplayed(f"a {type(value).__name__}")
        if id(value) in reaching:
            raise _Unreplayed("properties collected without end")
        reaching.add(id(value))
        found = self._property_names(value)
        for keyword in ("allOf", "anyOf", "oneOf"):
            if keyword in value:
                for schema, _ in self._subschemas(value, keyword, False):
                    found |= self._properties_of(schema, reaching)
        for keyword in ("items", "not"):
            if keyword in value:
                found |= self._properties_of(self._at(value, keyword, False)[0], reaching)
        reaching.discard(id(value))
        return found

    def _property_names(self, value: dict[Any, Any]) -> set[Any]:
        if "properties" not in value:
            return set()
        properties = self._at(value, "properties", False)[0]
        if type(properties) is dict:
            return set(properties)
        if type(properties) is list:
            return set(range(len(properties)))
        raise _Unreplayed("properties")  # keys() of anything else raises

    def _meta_check(self, value: Any) -> None:
        if self.meta_clean is not None and self.meta_clean(value):
            return
        if self.schema_keyword._validate_schema_meta(None, value) is not None:  # 3.0 reads no path
            raise _Unreplayed("a schema against its dialect")

    def _check_default(self, value: dict[Any, Any], via_ref: bool, default: Any) -> None:
        """The ``default`` keyword's ValueValidator, handed what jsonschema_path's ``resolve()`` would hand
        it: the schema and the resolver at its path."""
        from referencing._core import Resolved

        resolver = self.after_ref if via_ref else self.root
        schema = SimpleNamespace(resolve=lambda: nullcontext(Resolved(contents=value, resolver=resolver)))  # type: ignore[call-arg]
        for _ in self.default_keyword(schema, default):
            raise _Unreplayed("a default")


def walked_part(item: Any) -> Any:
    """What the walk reads of a path item (``_path``, ``_operation``), in its order: its reference, its parameters,
    its operations, each as its reference, operation id, responses and parameters; all of it when it is no
    mapping. Two path items at one place whose walked parts are equal are walked alike (``validation._KnownClean``)."""
    if type(item) is not dict:
        return item
    return [
        (key, value if key in ("$ref", "parameters") else _walked_operation(value))
        for key, value in item.items()
        if key in ("$ref", "parameters") or key in _OPERATIONS
    ]


def _walked_operation(operation: Any) -> Any:
    if type(operation) is not dict:
        return operation
    return [(key, value) for key, value in operation.items() if key in _READ_OF_OPERATION]


def _reference(mapping: dict[Any, Any]) -> str | None:
    """The reference ``mapping`` is to jsonschema_path (``is_ref``: a string ``$ref``), or None: a plain
    mapping, even with a ``$ref`` key of another value (GitHub's specs have a property named ``$ref``)."""
    if "$ref" not in mapping:
        return None
    ref = mapping["$ref"]
    if type(ref) is str:
        return ref
    if type(ref) is dict or type(ref) in _PLAIN:
        return None
    raise _Unreplayed(f"a $ref that is a {type(ref).__name__}")  # a str subclass would be a reference


def _parameters_in_url(url: str) -> set[str]:
    """OperationValidator._get_path_params_from_url."""
    return set(filter(None, [item[1] for item in string.Formatter().parse(url)]))
