"""Issue 11: harmless schema-level slips that strict validation rejects wholesale generate with a warning line
each (real line and pointer); --strict refuses them; structural errors stay fatal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_cli, write

HEAD = """openapi: 3.0.3
info: {title: Slips, version: "1"}
paths:
  /things:
    get:
      operationId: list_things
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
components:
  schemas:
    Thing:
      type: object
      properties:
"""

SLIPS = [
    # (the property's schema, the pointer the warning names, a word of the validator's complaint)
    ("limit: {type: integer, default: inf}", "/components/schemas/Thing/properties/limit/default", "integer"),
    ("name: {type: string, default: 1}", "/components/schemas/Thing/properties/name/default", "string"),
    ("kind: {type: string, const: thing}", "/components/schemas/Thing/properties/kind", "const"),
    (
        "label: {type: string, pattern: '^[\\p{L}\\p{N}]+$'}",
        "/components/schemas/Thing/properties/label/pattern",
        "regex",
    ),
    ("flag: {type: string, enum: ['true', 'true']}", "/components/schemas/Thing/properties/flag/enum", "non-unique"),
    (
        "big: {type: integer, format: int64, default: 9223372036854776000}",
        "/components/schemas/Thing/properties/big/default",
        "int64",
    ),
]


@pytest.fixture(autouse=True)
def _jsonschema_makes_the_oas_schema_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count and compare the work of jsonschema's OAS-schema pass (in this process), which
    jsonschema-rs would skip on clean documents; tests/test_validation_rust.py covers the skipping."""
    from clientgen import validation

    monkeypatch.setattr(validation, "_clean_to_rust", lambda oas_schema, document, keys_plain=False: False)


@pytest.mark.parametrize(("prop", "pointer", "word"), SLIPS)
def test_a_schema_slip_is_a_warning_with_its_line(tmp_path: Path, prop: str, pointer: str, word: str) -> None:
    spec = write(tmp_path / "slips.yaml", HEAD + f"        {prop}\n")
    result = run_cli("generate", spec, "-o", tmp_path / "out", "--package-name", "slips", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warning.startswith(f"warning: slips.yaml:18: #{pointer}: spec slip (generated anyway): "), warning
    assert word in warning
    strict = run_cli("generate", spec, "-o", tmp_path / "strict", "--package-name", "slips", "--strict", cwd=tmp_path)
    assert strict.returncode == 2 and not (tmp_path / "strict").exists()
    listed = run_cli("validate", spec, cwd=tmp_path)
    assert listed.returncode == 0 and "1 warning(s)" in listed.stdout and warning in listed.stderr


def test_title_on_an_operation_is_a_slip(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "slips.yaml",
        HEAD.replace("      operationId: list_things\n", "      operationId: list_things\n      title: Things\n")
        + "        name: {type: string}\n",
    )
    result = run_cli("generate", spec, "-o", tmp_path / "out", "--package-name", "slips", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning: slips.yaml:5: #/paths/~1things/get: spec slip (generated anyway): " in result.stderr


def test_a_warning_is_said_again_when_the_validation_is_cached(tmp_path: Path) -> None:
    spec = write(tmp_path / "slips.yaml", HEAD + "        name: {type: string, default: 1}\n")
    first = run_cli("generate", spec, "-o", tmp_path / "a", "--package-name", "slips", cwd=tmp_path)
    second = run_cli("generate", spec, "-o", tmp_path / "b", "--package-name", "slips", cwd=tmp_path)
    assert first.returncode == second.returncode == 0
    assert first.stderr.count("warning: ") == second.stderr.count("warning: ") == 1


def test_structural_errors_stay_fatal(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "broken.yaml", HEAD.replace('      responses:\n        "200":', '      responsez:\n        "200":')
    )
    result = run_cli("generate", spec, "-o", tmp_path / "out", "--package-name", "broken", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("error: broken.yaml:")
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


# -- validation speed at our call site (issue 13): the same verdicts, the registry crawled once per root --

SPEC_31 = HEAD.replace("openapi: 3.0.3", "openapi: 3.1.0") + """        name: {type: string}
        size: {type: integer, minimum: 0}
        parts: {type: array, items: {$ref: "#/components/schemas/Thing"}}
"""


def _verdict(path: Path) -> object:
    """The warnings of validating ``path``, or the error it raised."""
    from clientgen.loader import load_spec
    from clientgen.validation import validate_spec

    try:
        return validate_spec(load_spec(path, (), validate=False))
    except Exception as exc:  # the verdict, compared by the callers
        return f"{type(exc).__name__}: {exc}"


def _validate_counting_crawls(path: Path) -> tuple[object, int]:
    import referencing._core as core

    crawls = 0
    original = core.Registry.crawl

    def counted(self: object) -> object:
        nonlocal crawls
        crawls += 1
        return original(self)  # type: ignore[arg-type]

    core.Registry.crawl = counted  # type: ignore[method-assign,assignment]
    try:
        verdict = _verdict(path)
    finally:
        core.Registry.crawl = original  # type: ignore[method-assign]
    return verdict, crawls


def test_an_openapi_31_spec_crawls_its_dialect_once_not_once_per_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jsonschema.exceptions import SchemaError
    from openapi_schema_validator import OAS31Validator
    from referencing import Registry

    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "cache"))
    before = (Registry.resolver_with_root, OAS31Validator.check_schema)
    verdict, crawls = _validate_counting_crawls(ROOT / "specs" / "airflow-3.3.2" / "v2-rest-api-generated.yaml")
    assert verdict == () and crawls <= 5, crawls  # 1,441 crawls before
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC_31.replace("minimum: 0", "minimum: zero"), encoding="utf-8")
    verdict, _ = _validate_counting_crawls(bad)
    # a schema's own error names its place in the document (it used to be "bad.yaml:1: #/properties/size/...")
    assert "bad.yaml:19: #/components/schemas/Thing/properties/size/minimum: invalid spec:" in str(verdict), verdict
    # nothing of the speed-up outlives the validation
    assert (Registry.resolver_with_root, OAS31Validator.check_schema) == before
    with pytest.raises(SchemaError):
        OAS31Validator.check_schema({"type": 7})


# Documents whose verdicts cover each outcome: clean, slips (3.0 and 3.1), a structural error, a schema error
# in a 3.1 dialect check, a broken reference.
VERDICT_CASES = {
    "clean-30.yaml": HEAD + "        name: {type: string}\n",
    "slips-30.yaml": HEAD + "".join(f"        {schema}\n" for schema, _, _ in SLIPS),
    "clean-31.yaml": SPEC_31,
    "slip-31.yaml": SPEC_31.replace("minimum: 0", "minimum: 0, default: -1, maximum: 9"),
    "error-31.yaml": SPEC_31.replace("minimum: 0", "minimum: zero"),
    "error-30.yaml": HEAD.replace("      operationId: list_things\n", "      operationId: [list_things]\n")
    + "        name: {type: string}\n",
    "bad-items-31.yaml": SPEC_31.replace('items: {$ref: "#/components/schemas/Thing"}', "items: 7"),
}


def _verdict_and_work(path: Path) -> tuple[object, int]:
    """The verdict on ``path`` and how many references ``referencing`` resolved and validators jsonschema
    built (for OpenAPI 3.0's schema, a draft 4 one) for it."""
    import referencing._core as core
    from jsonschema import Draft4Validator

    work = 0
    lookup, evolve = core.Resolver.lookup, Draft4Validator.evolve

    def counted_lookup(self: object, ref: str) -> object:
        nonlocal work
        work += 1
        return lookup(self, ref)  # type: ignore[arg-type]

    def counted_evolve(self: object, **changes: object) -> object:
        nonlocal work
        work += 1
        return evolve(self, **changes)  # type: ignore[arg-type]

    core.Resolver.lookup = counted_lookup  # type: ignore[method-assign,assignment]
    Draft4Validator.evolve = counted_evolve  # type: ignore[method-assign]
    try:
        verdict = _verdict(path)
    finally:
        core.Resolver.lookup, Draft4Validator.evolve = lookup, evolve  # type: ignore[method-assign]
    return verdict, work


def test_validators_and_references_made_once_give_the_same_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib

    from jsonschema import Draft4Validator, Draft202012Validator
    from openapi_schema_validator import OAS31Validator
    from referencing._core import Resolver

    from clientgen import validation

    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(validation, "write_entry", lambda *args: None)  # each verdict computed, not read back
    from pathable import accessors

    before = (
        Resolver.lookup,
        Draft4Validator.evolve,
        Draft202012Validator.evolve,
        OAS31Validator.evolve,
        accessors.Subscriptable,
    )
    specs = [write(tmp_path / name, text) for name, text in VERDICT_CASES.items()]
    specs.append(ROOT / "specs" / "airflow-2.10.5" / "v1.yaml")
    made_once = [_verdict_and_work(spec) for spec in specs]
    with monkeypatch.context() as plain:
        plain.setattr(validation, "_descents_made_once", contextlib.nullcontext)
        each_time = [_verdict_and_work(spec) for spec in specs]
    assert [verdict for verdict, _ in made_once] == [verdict for verdict, _ in each_time]
    outcomes = [str(verdict)[:12] for verdict, _ in made_once]
    assert outcomes.count("()") == 3 and sum(o.startswith("SpecError") for o in outcomes) == 3, outcomes
    assert sum(bool(v) and isinstance(v, tuple) for v, _ in made_once) == 2
    # Airflow 2.10.5's spec: thousands of resolutions and validators each time, a few hundred once per place
    assert made_once[-1][1] * 10 < each_time[-1][1], (made_once[-1][1], each_time[-1][1])
    after = (
        Resolver.lookup,
        Draft4Validator.evolve,
        Draft202012Validator.evolve,
        OAS31Validator.evolve,
        accessors.Subscriptable,
    )
    assert after == before


# The same inline object schema, with a slip in it, under many components (as big specs repeat their inline
# schemas: GitHub's repeats 60% of its nodes), plus one copy that is a structural error, once without a slip.
REPEATED_SUBTREE = "{type: object, properties: {id: {type: integer}, url: {type: string, const: a}}}"
REPEATED_SPEC = (
    HEAD
    + "        name: {type: string}\n"
    + "".join(f"    Copy{n}: {{type: object, properties: {{inner: {REPEATED_SUBTREE}}}}}\n" for n in range(40))
)


def _verdict_and_descents(path: Path) -> tuple[object, int]:
    """The verdict on ``path`` and how many descents into a subschema jsonschema made for it (for OpenAPI 3.0's
    schema, a draft 4 validator's)."""
    from jsonschema import Draft4Validator

    descents = 0
    descend = Draft4Validator.descend

    def counted(self: object, *args: object, **kwargs: object) -> object:
        nonlocal descents
        descents += 1
        return descend(self, *args, **kwargs)  # type: ignore[arg-type]

    Draft4Validator.descend = counted  # type: ignore[method-assign,assignment]
    try:
        verdict = _verdict(path)
    finally:
        Draft4Validator.descend = descend  # type: ignore[method-assign]
    return verdict, descents


@pytest.mark.parametrize(
    "case",
    ["clean copies", "slip in every copy", "error in the last copy", "alias"],
)
def test_equal_subtrees_are_checked_once_and_each_copy_keeps_its_own_errors(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientgen import validation

    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(validation, "write_entry", lambda *args: None)
    text = REPEATED_SPEC
    if case != "slip in every copy":
        text = text.replace(", const: a}", "}")
    if case == "error in the last copy":
        text = text.replace("Copy39: {type: object, properties:", "Copy39: {type: object, required: 7, properties:")
    if case == "alias":  # one container at two places (a YAML alias)
        text = text.replace("    Copy0: {", "    Copy0: &copy {").replace("Copy1: {type: object,", "Copy1: {")
        text = text.replace("    Copy1: {", "    Copy1: {x-self: *copy, ")
    spec = write(tmp_path / "repeated.yaml", text)
    once, descents_once = _verdict_and_descents(spec)
    with monkeypatch.context() as plain:
        plain.setattr(validation, "_clean_descents_once", lambda original, *args: original)
        each, descents_each = _verdict_and_descents(spec)
    assert once == each
    if case == "slip in every copy":
        assert isinstance(once, tuple) and len(once) == 21, once  # 20 located, the rest said once without
        pointers = [warning.pointer for warning in once if warning.pointer]
        assert len(pointers) == 20  # the first 20 located (_MAX_LOCATED), each at its own copy
        assert len(set(pointers)) == 20 and all(p.endswith("/inner/properties/url") for p in pointers)
        assert descents_once < descents_each, (descents_once, descents_each)  # their clean parts once
    elif case == "clean copies":
        assert once == ()
        assert descents_once * 5 < descents_each, (descents_once, descents_each)  # once, not 40 times
    elif case == "error in the last copy":
        assert isinstance(once, str) and once.startswith("SpecError") and "7 is not of type" in once, once
    else:
        assert isinstance(once, tuple)


def test_contents_number_equal_containers_alike_and_nothing_else() -> None:
    from clientgen.validation import _Contents

    contents = _Contents()
    number = contents.of
    assert number({"a": [1, {"b": None}]}) == number({"a": [1, {"b": None}]})
    different = [[1], [True], [1.0], ["1"], [[1]], [{}], [None], [1, 1]]
    assert len({number(value) for value in different}) == len(different)
    assert number({1: "x"}) != number({True: "x"}) != number({"1": "x"})
    assert number({"a": {"b": [1, 2]}}) != number({"a": {"b": [1, 3]}})
    looped: dict[str, object] = {"a": 1}
    looped["self"] = looped
    assert number(looped) is None and number(looped) is None
    assert number({"inside": looped}) is None
    assert number([{1, 2}]) is None  # a value that cannot be hashed
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    assert number(deep) is None
    assert number({"a": [1, {"b": None}]}) is not None  # still numbering after all that


UNITS_SPEC = (
    HEAD.replace(
        "components:\n",
        "".join(
            f"  /things/{n}:\n    get:\n      operationId: get_thing_{n}\n      responses:\n"
            f'        "200": {{description: ok}}\n'
            for n in range(5)
        )
        + "components:\n",
    )
    + "        name: {type: string}\n"
)

# One path item changed as a user edits a spec, and what the verdict must then be.
UNIT_CHANGES = {
    "clean": ("get_thing_3\n", "get_thing_3\n      summary: The third\n"),
    "slip": ("get_thing_3\n", "get_thing_3\n      title: Third\n"),
    "error": ("get_thing_3\n", "get_thing_3\n      parameters: 7\n"),
    "new component": ("        name: {type: string}\n", "        name: {type: string}\n    Other: {type: object}\n"),
}


def test_a_changed_30_spec_checks_again_only_the_units_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a clean verdict, the OAS-schema pass of a changed OpenAPI 3.0 spec checks only its changed
    path items and components; the verdict is the one a check from scratch gives (clean, a slip, or
    the error), and a spec whose units are all known is not checked again, whole or in units."""
    from clientgen import validation

    wholes: list[object] = []  # each OAS-schema pass over a whole document
    units: list[dict[str, object]] = []  # each unit checked alone
    counted, clean_alone, read_entry = validation._counted, validation._clean_alone, validation.read_entry

    def whole(errors: Any, seen: list[bool]) -> Any:
        wholes.append(errors)
        return counted(errors, seen)

    def alone(schema_validator: Any, unit: dict[str, object]) -> bool:
        units.append(unit)
        return clean_alone(schema_validator, unit)

    monkeypatch.setattr(validation, "_counted", whole)
    monkeypatch.setattr(validation, "_clean_alone", alone)
    # every verdict is worked out, not read back whole: only the units are remembered
    monkeypatch.setattr(validation, "read_entry", lambda kind, key: None if kind == "valid" else read_entry(kind, key))
    for name, (old, new) in UNIT_CHANGES.items():
        monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "cache" / name))
        spec = write(tmp_path / name / "spec.yaml", UNITS_SPEC)
        assert _verdict(spec) == ()
        assert (len(wholes), units) == (1, []), name
        wholes.clear()
        assert _verdict(spec) == (), name
        assert (wholes, units) == ([], []), name
        write(spec, UNITS_SPEC.replace(old, new))
        verdict = _verdict(spec)
        assert len(units) == 1, (name, units)  # the changed path item, or the new component
        if name in ("clean", "new component"):
            assert verdict == () and wholes == [], name
        else:  # a unit that does not check clean: the whole document is checked, for the exact verdict
            assert len(wholes) == 1, name
            assert "title" in str(verdict) if name == "slip" else str(verdict).startswith("SpecError"), verdict
        monkeypatch.setenv("CLIENTGEN_NO_CACHE", "1")
        assert verdict == _verdict(spec), name  # as from scratch
        monkeypatch.delenv("CLIENTGEN_NO_CACHE")
        wholes.clear()
        units.clear()


def test_units_are_not_remembered_clean_when_the_validator_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A validator that crashes part way (its verdict is a warning) vouches for no unit: the next run,
    changed elsewhere, checks the document whole and says the same as from scratch."""
    from clientgen import validation

    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "cache"))
    read_entry = validation.read_entry
    monkeypatch.setattr(validation, "read_entry", lambda kind, key: None if kind == "valid" else read_entry(kind, key))
    clean_alone = validation._clean_alone

    def crashing(errors: Any, seen: list[bool]) -> Any:
        raise RecursionError("deeper than the validator goes")
        yield  # a generator, as the pass it stands for

    spec = write(tmp_path / "spec.yaml", UNITS_SPEC)
    with monkeypatch.context() as broken:
        broken.setattr(validation, "_counted", crashing)
        first = _verdict(spec)
    assert "the validator stopped" in str(first)
    write(spec, UNITS_SPEC.replace("get_thing_3\n", "get_thing_3\n      summary: The third\n"))
    alone: list[object] = []
    monkeypatch.setattr(validation, "_clean_alone", lambda v, unit: alone.append(unit) or clean_alone(v, unit))
    assert _verdict(spec) == () and alone == []  # checked whole: nothing was known


# The keyword walk's own findings on OpenAPI 3.0: a required property no part defines (allOf), a parameter
# declared twice, a path parameter no operation declares.
WALK_CASES = {
    "extra-required-30.yaml": HEAD.replace("    Thing:\n", "    Base: {type: object}\n    Thing:\n")
    + "        name: {type: string}\n      allOf: [{$ref: '#/components/schemas/Base'}]\n      required: [ghost]\n",
    "duplicate-parameter-30.yaml": HEAD.replace(
        "      operationId: list_things\n",
        "      operationId: list_things\n      parameters:\n"
        + "        - {name: q, in: query, schema: {type: string}}\n" * 2,
    )
    + "        name: {type: string}\n",
    "undeclared-path-parameter-30.yaml": HEAD.replace("  /things:\n", "  /things/{id}:\n")
    + "        name: {type: string}\n",
}


def test_walk_paths_resolved_from_their_parents_give_the_same_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keyword walk reads the spec's paths, each resolved once from its parent's (``_paths_resolved_once``),
    not through jsonschema_path's LRU and prefixes: the same verdicts, and jsonschema_path resolves the root
    alone where it resolved thousands of paths (Airflow 2.10.5)."""
    from jsonschema_path.accessors import SchemaAccessor
    from jsonschema_path.resolvers import CachedPathResolver

    from clientgen import keyword_walk, validation

    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(validation, "write_entry", lambda *args: None)
    # the library's own walk, which reads through jsonschema_path (the replay reads the data: not here)
    monkeypatch.setattr(keyword_walk, "walks_clean", lambda validator, meta_clean=None, followed=None: False)
    before = SchemaAccessor.get_resolved
    resolve = CachedPathResolver.resolve
    specs = [write(tmp_path / name, text) for name, text in {**VERDICT_CASES, **WALK_CASES}.items()]
    specs.append(ROOT / "specs" / "airflow-2.10.5" / "v1.yaml")

    def verdicts_and_resolutions() -> list[tuple[object, int]]:
        found = []
        for spec in specs:
            resolutions = 0

            def counted(self: Any, node: Any, parts: Any) -> Any:
                nonlocal resolutions
                resolutions += 1
                return resolve(self, node, parts)

            with monkeypatch.context() as counting:
                counting.setattr(CachedPathResolver, "resolve", counted)
                found.append((_verdict(spec), resolutions))
        return found

    from_parents = verdicts_and_resolutions()
    with monkeypatch.context() as plain:
        plain.setattr(validation, "_resolved_from_parents", lambda: None)
        by_the_library = verdicts_and_resolutions()
    assert [verdict for verdict, _ in from_parents] == [verdict for verdict, _ in by_the_library]
    walk_found = [str(verdict)[:40] for verdict, _ in from_parents[len(VERDICT_CASES) : -1]]
    assert all(found != "()" for found in walk_found), walk_found  # each case has a finding of the walk
    assert from_parents[-1][1] <= 2 and by_the_library[-1][1] > 1000, (from_parents[-1], by_the_library[-1])
    assert SchemaAccessor.get_resolved is before
