"""Validation's keyword walk replayed over the parsed spec (``clientgen.keyword_walk``): it says *clean* only
where openapi-spec-validator's own walk yields nothing and does not crash, visiting and meta-checking the
schemas that walk does (the first visitor of a schema decides); elsewhere the library walks, and every verdict
(errors, slips, their order and places) is the one it gives without the replay."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, write

OK = {"description": "ok"}


def _operation(schema: Any = None, parameters: list[Any] | None = None, operation_id: Any = "op") -> dict[str, Any]:
    response = dict(OK)
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    operation: dict[str, Any] = {"operationId": operation_id, "responses": {"200": response}}
    if parameters is not None:
        operation["parameters"] = parameters
    return operation


def _spec(paths: dict[str, Any] | None = None, schemas: dict[Any, Any] | None = None, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"openapi": "3.0.3", "info": {"title": "Walk", "version": "1"}, "paths": paths or {}}
    if schemas is not None:
        data["components"] = {"schemas": schemas}
    data.update(more)
    return data


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _get(schema: Any = None, **more: Any) -> dict[str, Any]:
    return {"get": _operation(schema, **more)}


def _param(name: str, where: str = "query", schema: Any = None) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "schema": schema or {"type": "string"}}


THING = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
BOTH = {"allOf": [{"properties": {"a": {"type": "string"}}}], "required": ["a", "b"]}  # "b" defined nowhere
BAD = {"type": 7}  # breaks the 3.0 dialect
SHARED = {"type": "object", "properties": {"n": {"type": "integer", "default": 1}}}  # one object at two places
TREE = {"type": "array", "items": _ref("Tree")}
UNKNOWN = ...  # the library's verdict is not asserted (only that the replay leaves it to the library)

# name: (spec, whether the replay says clean, what the library's walk says: None for nothing, else a piece of
# its first error, or "crash: <exception>")
CASES: dict[str, tuple[dict[str, Any], bool, Any]] = {
    "clean": (_spec({"/things": _get(_ref("Thing"))}, {"Thing": THING}), True, None),
    "duplicate operationId": (
        _spec({"/a": _get(operation_id="x"), "/b": _get(operation_id="x")}),
        False,
        "Operation ID 'x' for 'get' in '/b' is not unique",
    ),
    "operationIds that are null": (
        _spec({"/a": _get(operation_id=None), "/b": _get(operation_id=None)}),
        True,
        None,
    ),
    "duplicate parameter": (
        _spec({"/a": _get(parameters=[_param("id"), _param("id")])}),
        False,
        "Duplicate parameter 'id'",
    ),
    "one name in two places": (_spec({"/a": _get(parameters=[_param("id"), _param("id", "header")])}), True, None),
    "path parameter not declared": (
        _spec({"/things/{id}": _get()}),
        False,
        "Path parameter 'id' for 'get' operation in '/things/{id}' was not resolved",
    ),
    "path parameter not in the path": (
        _spec({"/things": _get(parameters=[_param("id", "path")])}),
        False,
        "Path parameter 'id' for 'get' operation in '/things' was not resolved",
    ),
    "path parameter declared on the path item": (
        _spec({"/things/{id}": {"parameters": [_param("id", "path")], **_get()}}),
        True,
        None,
    ),
    "path template that does not parse": (_spec({"/things/{id": _get()}), False, "crash: ValueError"),
    "required undefined beside allOf, at the top": (
        _spec({"/a": _get(_ref("Both"))}, {"Both": BOTH}),
        False,
        "Required list has not defined properties: ['b']",
    ),
    "required defined by an allOf part": (
        _spec({"/a": _get(_ref("Both"))}, {"Both": {**BOTH, "required": ["a"]}}),
        True,
        None,
    ),
    "required undefined beside allOf, reached first inside a schema": (
        _spec({"/a": _get({"type": "object", "properties": {"both": _ref("Both")}})}, {"Both": BOTH}),
        True,  # visited first where require_properties is off: never checked at the top
        None,
    ),
    "required undefined beside a nested allOf": (
        _spec({"/a": _get({"type": "object", "properties": {"both": copy.deepcopy(BOTH)}})}),
        True,
        None,
    ),
    "required that is no list, beside a nested allOf": (
        _spec({"/a": _get({"properties": {"x": {"allOf": [{"type": "object"}], "required": 7}}})}),
        False,
        UNKNOWN,  # set(7) fails at any depth
    ),
    "meta error reached first inside, then at the top": (
        _spec({"/a": _get({"properties": {"bad": _ref("Bad")}})}, {"Bad": BAD}),
        False,
        "7 is not valid",
    ),
    "meta error reached only inside a schema": (
        _spec({"/a": _get({"properties": {"bad": {"$ref": "#/x-defs/Bad"}}})}, **{"x-defs": {"Bad": BAD}}),
        True,  # meta-checked only where a parameter, media type or component holds it
        None,
    ),
    "reference chain": (
        _spec(
            {"/a": _get(_ref("A"))},
            {"A": _ref("B"), "B": _ref("C"), "C": {"type": "object", "properties": {"n": {"type": "integer"}}}},
        ),
        True,
        None,
    ),
    "a chain of 16 references": (
        _spec({"/a": _get(_ref("L0"))}, {**{f"L{i}": _ref(f"L{i + 1}") for i in range(15)}, "L15": THING}),
        True,
        None,
    ),
    "a chain of 17 references": (
        _spec({"/a": _get(_ref("L0"))}, {**{f"L{i}": _ref(f"L{i + 1}") for i in range(16)}, "L16": THING}),
        False,  # the library follows a chain by recursion: a long one is left to it
        None,
    ),
    "reference with siblings": (
        _spec({"/a": _get({**_ref("Int"), "default": "not an integer"})}, {"Int": {"type": "integer"}}),
        True,  # jsonschema_path reads the reference's target alone
        None,
    ),
    "schema that is a number": (_spec({"/a": _get(7)}), False, "7 is not of type 'object', 'boolean'"),
    "items that is a list": (
        _spec({"/a": _get({"properties": {"x": {"type": "array", "items": [{"type": "string"}]}}})}),
        False,
        UNKNOWN,
    ),
    "default of the wrong type": (
        _spec({"/a": _get(_ref("Count"))}, {"Count": {"type": "integer", "default": "x"}}),
        False,
        "'x' is not of type 'integer'",
    ),
    "null default, nullable": (
        _spec({"/a": _get({"type": "string", "nullable": True, "default": None})}),
        True,
        None,
    ),
    "null default, not nullable": (
        _spec({"/a": _get({"type": "string", "default": None})}),
        False,
        "None is not of type 'string'",
    ),
    "default checked through a reference": (
        _spec(
            {"/a": _get(_ref("Holder"))},
            {
                "Holder": {"type": "object", "properties": {"n": _ref("Int")}, "default": {"n": 1}},
                "Int": {"type": "integer"},
            },
        ),
        True,
        None,
    ),
    "default that breaks a referenced schema": (
        _spec(
            {"/a": _get(_ref("Holder"))},
            {
                "Holder": {"type": "object", "properties": {"n": _ref("Int")}, "default": {"n": "x"}},
                "Int": {"type": "integer"},
            },
        ),
        False,
        "'x' is not of type 'integer'",
    ),
    "default read through a reference": (
        _spec({"/a": _get({"type": "integer", "default": {"$ref": "#/x-values/one"}})}, **{"x-values": {"one": 1}}),
        True,
        None,
    ),
    "default read through a reference, wrong": (
        _spec({"/a": _get({"type": "integer", "default": {"$ref": "#/x-values/one"}})}, **{"x-values": {"one": "x"}}),
        False,
        "'x' is not of type 'integer'",
    ),
    "default in a response reached by reference": (
        _spec(
            {"/a": {"get": {"operationId": "a", "responses": {"404": {"$ref": "#/components/responses/Missing"}}}}},
            components={
                "schemas": {"Int": {"type": "integer"}},
                "responses": {
                    "Missing": {
                        "description": "no",
                        "content": {
                            "application/json": {"schema": {"properties": {"n": _ref("Int")}, "default": {"n": 2}}}
                        },
                    }
                },
            },
        ),
        True,
        None,
    ),
    "boolean schema at the top": (_spec({"/a": _get(True)}), False, UNKNOWN),
    "boolean schema inside": (_spec({"/a": _get({"properties": {"any": True, "none": False}})}), False, UNKNOWN),
    "one object at two places (a YAML alias)": (
        _spec(
            {"/a": _get(SHARED, operation_id="a"), "/b": _get({"properties": {"again": SHARED}}, operation_id="b")},
            {"Shared": SHARED},
        ),
        True,
        None,
    ),
    "an alias reached first inside, then at the top with a meta error": (
        _spec(
            {
                "/a": _get({"properties": {"bad": BAD}}, operation_id="a"),
                "/b": _get(parameters=[_param("q", schema=BAD)], operation_id="b"),
            },
        ),
        False,
        UNKNOWN,  # the response schema's own meta-check already sees it
    ),
    "an alias reached first by reference inside, then at the top with a meta error": (
        _spec(
            {
                "/a": _get({"properties": {"bad": {"$ref": "#/x-defs/Bad"}}}, operation_id="a"),
                "/b": _get(parameters=[_param("q", schema=BAD)], operation_id="b"),
            },
            **{"x-defs": {"Bad": BAD}},
        ),
        False,
        "7 is not valid",
    ),
    "duplicate tag": (_spec(tags=[{"name": "a"}, {"name": "a"}]), False, "Duplicate tag name 'a'"),
    "distinct tags": (_spec(tags=[{"name": "a"}, {"name": "b"}]), True, None),
    "properties collected without end": (
        _spec({"/a": _get(_ref("Node"))}, {"Tree": TREE, "Node": {"allOf": [_ref("Tree")]}}),
        False,
        "crash: RecursionError",
    ),
    "a recursive schema": (_spec({"/a": _get(_ref("Tree"))}, {"Tree": TREE}), True, None),
    "a property named $ref": (
        _spec({"/a": _get({"type": "object", "properties": {"$ref": {"type": "string", "default": "#/x"}}})}),
        True,  # a plain mapping to jsonschema_path: its $ref is no string
        None,
    ),
    "a $ref that is no string": (_spec({"/a": _get({"properties": {"x": {"$ref": 5, "type": "string"}}})}), True, None),
    "a reference to a mapping whose $ref is no string": (
        _spec({"/a": _get({"$ref": "#/x-defs/Odd"})}, **{"x-defs": {"Odd": {"type": "object", "$ref": ["x"]}}}),
        True,  # the reference is followed to the mapping, which is no reference
        None,
    ),
    "a reference to another file": (_spec({"/a": _get({"$ref": "other.yaml#/Thing"})}), False, "crash: "),
    "an anchor reference": (_spec({"/a": _get({"$ref": "#thing"})}), False, "crash: "),
    "a reference to nothing": (_spec({"/a": _get(_ref("Nowhere"))}), False, "crash: "),
    "escaped and percent-encoded references": (
        _spec(
            {
                "/a": _get(
                    {
                        "properties": {
                            "x": {"$ref": "#/components/schemas/a~1b"},
                            "y": {"$ref": "#/components/schemas/a%20b"},
                        }
                    }
                )
            },
            {"a/b": {"type": "string", "default": "s"}, "a b": {"type": "integer", "default": 1}},
        ),
        True,
        None,
    ),
    "a response code that is a number": (
        _spec({"/a": {"get": {"operationId": "a", "responses": {200: OK}}}}),
        False,
        "crash: AssertionError",
    ),
    "a path item key that is no string": (_spec({"/a": {**_get(), 5: "x"}}), False, "crash: AssertionError"),
    "a parameter without a name": (
        _spec({"/a": _get(parameters=[{"in": "query", "schema": {"type": "string"}}])}),
        False,
        "crash: KeyError",
    ),
    "a YAML set in a default": (
        _spec({"/a": _get({"type": "array", "default": {"$ref": "#/x-values/set"}})}, **{"x-values": {"set": {1, 2}}}),
        False,  # no JSON value: left to the library
        UNKNOWN,
    ),
}


def _made(data: dict[str, Any]) -> Any:
    from openapi_spec_validator import OpenAPIV30SpecValidator

    from clientgen import validation

    validator = OpenAPIV30SpecValidator(data, base_uri="file:///walk/spec.yaml")
    validation._index_visited_schemas(validator)
    return validator


def _library_walk(data: dict[str, Any]) -> tuple[list[str] | str, Any]:
    """The library walk's error messages (or "crash: <exception>") and its schema keyword's registries."""
    validator = _made(data)
    try:
        found = [str(getattr(error, "message", error)) for error in validator.root_validator(validator.schema_path)]
    except Exception as exc:
        return f"crash: {type(exc).__name__}: {exc}", None
    return found, validator.keyword_validators_registry["schema"]


@pytest.mark.parametrize("name", list(CASES))
def test_the_replay_is_clean_only_where_the_library_walk_is(name: str) -> None:
    from clientgen import keyword_walk, validation

    data, replay_clean, library_says = CASES[name]
    with validation._crawled_roots(), validation._descents_made_once(), validation._paths_resolved_once(True):
        replayed = keyword_walk.walks_clean(_made(data))
        library, registries = _library_walk(data)
        if replayed:
            replay = keyword_walk._Replay(_made(data), None)
            replay.walk()
    assert replayed is replay_clean, (name, library)
    if replayed:
        assert library == []
        # the first visitor decided as in the library: the same schemas visited and meta-checked
        assert replay.visited == registries.visited_schema_ids._ids
        assert replay.meta_checked == registries.meta_checked_schema_ids._ids
    elif library_says is None:
        assert library == [], name
    elif library_says is not UNKNOWN:
        assert library and library_says in (library if isinstance(library, str) else " | ".join(library)), library


def test_each_default_is_checked_with_the_resolver_jsonschema_path_would_hand_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The resolver at a schema's path has the root in its dynamic scope once a reference was followed on the
    way there: the replay hands the default check one with the same URI and scope as the library's."""
    from openapi_spec_validator.validation import keywords

    from clientgen import keyword_walk, validation

    checks: list[tuple[int, str, list[str]]] = []
    original = keywords.OpenAPIV30ValueValidator.__call__

    def recorded(self: Any, schema: Any, value: Any) -> Any:
        with schema.resolve() as resolved:
            checks.append((id(resolved.contents), resolved.resolver._base_uri, list(resolved.resolver._previous)))
        return original(self, schema, value)

    monkeypatch.setattr(keywords.OpenAPIV30ValueValidator, "__call__", recorded)
    data = _spec(
        {
            "/a": _get({"type": "integer", "default": 1}, operation_id="a"),
            "/b": _get(_ref("Holder"), operation_id="b"),
            "/c": {"get": {"operationId": "c", "responses": {"404": {"$ref": "#/components/responses/Missing"}}}},
        },
        components={
            "schemas": {
                "Holder": {"type": "object", "properties": {"n": _ref("Int")}, "default": {"n": 1}},
                "Int": {"type": "integer", "default": 3},
                "Plain": {"type": "string", "default": "s"},
            },
            "responses": {
                "Missing": {"description": "no", "content": {"application/json": {"schema": {"default": {}}}}}
            },
        },
    )
    with validation._crawled_roots(), validation._descents_made_once(), validation._paths_resolved_once(True):
        assert keyword_walk.walks_clean(_made(data))
        replayed = list(checks)
        checks.clear()
        assert _library_walk(data)[0] == []
    assert replayed == checks and len(checks) == 5
    assert sorted(len(previous) for _, _, previous in checks) == [0, 0, 1, 1, 1]


def test_the_replay_reads_nothing_outside_the_file_and_gives_back_the_recursion_limit() -> None:
    import referencing._core as core

    from clientgen import keyword_walk, validation

    looked_up: list[str] = []
    lookup = core.Resolver.lookup

    def counted(self: Any, ref: str) -> Any:
        looked_up.append(ref)
        return lookup(self, ref)

    limit = sys.getrecursionlimit()
    core.Resolver.lookup = counted  # type: ignore[method-assign]
    try:
        with validation._crawled_roots(), validation._descents_made_once():
            data = _spec({"/a": _get({"$ref": "https://example.com/thing.json"})})
            assert not keyword_walk.walks_clean(_made(data))
    finally:
        core.Resolver.lookup = lookup  # type: ignore[method-assign]
    assert looked_up == [] and sys.getrecursionlimit() == limit


def test_the_replay_stands_aside_for_library_files_it_was_not_written_from(monkeypatch: pytest.MonkeyPatch) -> None:
    from clientgen import keyword_walk, validation

    data = CASES["clean"][0]
    with validation._crawled_roots(), validation._descents_made_once():
        assert keyword_walk.walks_clean(_made(data))
        changed = dict(keyword_walk._REPLAYED_FILES)
        changed["openapi_spec_validator", "validation/keywords.py"] = "0" * 64
        monkeypatch.setattr(keyword_walk, "_REPLAYED_FILES", changed)
        keyword_walk._replayed_files_as_written.cache_clear()
        try:
            assert not keyword_walk.walks_clean(_made(data))
        finally:
            monkeypatch.undo()
            keyword_walk._replayed_files_as_written.cache_clear()
        assert keyword_walk.walks_clean(_made(data))


# -- whole verdicts (validate_spec), with and without the replay ---------------------------------------------

HEAD = """openapi: 3.0.3
info: {title: Walk, version: "1"}
tags: [{name: things}]
paths:
  /things/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: &id {type: string, default: "1"}}
    get:
      operationId: get_thing
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
        "404": {$ref: "#/components/responses/Missing"}
  /others:
    get:
      operationId: list_others
      parameters:
        - {name: limit, in: query, schema: {type: integer, default: 10}}
        - {name: id, in: query, schema: *id}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: &inline {type: object, properties: {n: {type: integer}}}}
components:
  responses:
    Missing:
      description: missing
      content:
        application/json:
          schema: {properties: {code: {$ref: "#/components/schemas/Code"}}, default: {code: 404}}
  schemas:
    Code: {type: integer}
    Inline: *inline
    Thing:
      type: object
      required: [id]
      allOf:
        - {$ref: "#/components/schemas/Base"}
      properties:
"""
TAIL = """    Base:
      type: object
      properties:
        id: {type: string}
"""

CLEAN = HEAD + "        name: {type: string, default: thing}\n" + TAIL
VERDICT_CASES = {
    "clean.yaml": CLEAN,
    "default slip.yaml": CLEAN.replace("default: thing", "default: 1"),
    "pattern slip.yaml": CLEAN.replace("default: thing", "pattern: '^[\\p{L}]+$'"),
    "const slip.yaml": CLEAN.replace("default: thing", "const: a"),
    "newline key.yaml": CLEAN.replace("        name: {", '        "name\\n": {'),
    "required undefined.yaml": CLEAN.replace("required: [id]", "required: [id, gone]"),
    "meta error.yaml": CLEAN.replace("default: thing", "minLength: -1"),
    "unparsed path template.yaml": CLEAN.replace(
        "  /others:\n",
        '  "/broken/{x":\n    get: {operationId: broken, responses: {"200": {description: ok}}}\n  /others:\n',
    ),
    "alias nested first.yaml": CLEAN.replace("schema: *id}", "schema: {type: object, properties: {i: *inline}}}"),
    "3000 references in a chain.yaml": CLEAN.replace(
        'schema: {$ref: "#/components/schemas/Thing"}', 'schema: {$ref: "#/components/schemas/Link0"}'
    )
    + "".join(f"    Link{i}: {{$ref: '#/components/schemas/Link{i + 1}'}}\n" for i in range(3000))
    + "    Link3000: {$ref: '#/components/schemas/Thing'}\n",
    "collected without end.yaml": CLEAN
    + "    Tree: {type: array, items: {$ref: '#/components/schemas/Tree'}}\n"
    + "    Node: {allOf: [{$ref: '#/components/schemas/Tree'}]}\n",
}


def _verdict(path: Path) -> object:
    """The warnings of validating ``path`` (file, line, pointer, message), or the error it raised."""
    from clientgen.errors import SpecError
    from clientgen.loader import load_spec
    from clientgen.validation import validate_spec

    try:
        return validate_spec(load_spec(path, (), validate=False))
    except SpecError as exc:
        return f"SpecError {exc.message!r} {exc.file} {exc.line} {exc.pointer}"


@pytest.mark.parametrize("name", [*VERDICT_CASES, "airflow-2.10.5", "airflow-2.2.4"])
def test_verdicts_with_the_replay_are_the_library_walks(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientgen import keyword_walk

    monkeypatch.setenv("CLIENTGEN_NO_CACHE", "1")
    if name in VERDICT_CASES:
        spec = write(tmp_path / name, VERDICT_CASES[name])
    else:
        spec = ROOT / "specs" / name / "v1.yaml"
    before = dict(keyword_walk.replays)
    replayed = _verdict(spec)
    took_replay = keyword_walk.replays["clean"] - before["clean"]
    with monkeypatch.context() as off:
        off.setattr(keyword_walk, "walks_clean", lambda validator, meta_clean=None, followed=None: False)
        walked = _verdict(spec)
    assert replayed == walked
    if name in ("clean.yaml", "airflow-2.10.5", "airflow-2.2.4", "const slip.yaml", "newline key.yaml"):
        assert took_replay == 1, name  # the replay's verdict was taken (beside the OAS-schema pass's slips)
        assert replayed == () or name == "const slip.yaml"
    if name in ("default slip.yaml", "pattern slip.yaml"):  # slips of the walk itself: the library's
        assert took_replay == 0 and isinstance(replayed, tuple) and len(replayed) == 1, replayed
    if name in ("required undefined.yaml", "meta error.yaml"):
        assert isinstance(replayed, str) and replayed.startswith("SpecError"), replayed
    if name in ("unparsed path template.yaml", "collected without end.yaml", "3000 references in a chain.yaml"):
        assert "the validator stopped" in str(replayed), replayed


def test_an_openapi_31_spec_is_walked_by_the_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from clientgen import keyword_walk

    monkeypatch.setenv("CLIENTGEN_NO_CACHE", "1")
    spec = write(tmp_path / "31.yaml", VERDICT_CASES["clean.yaml"].replace("openapi: 3.0.3", "openapi: 3.1.0"))
    before = dict(keyword_walk.replays)
    assert _verdict(spec) == ()
    assert keyword_walk.replays["clean"] == before["clean"]
    assert keyword_walk.replays["library"] == before["library"] + 1
