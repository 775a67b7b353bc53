"""The OAS-schema pass asked of jsonschema-rs first (validation._clean_to_rust): jsonschema's pass is skipped
only where jsonschema-rs finds the document clean and its verdict is known to be jsonschema's, and every
verdict is the one jsonschema alone gives."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, write
from tests.test_validation_slips import HEAD, VERDICT_CASES

# Documents where jsonschema-rs alone would say clean and jsonschema does not: a key ending in a newline
# where the OAS schema checks keys by a pattern ending in "$" and allows others (Python's "$" matches
# before a final newline, so jsonschema checks the value; jsonschema-rs's pattern does not match it).
DIVERGING = {
    # a parameter with no "in"
    "newline-key.yaml": HEAD
    + "        name: {type: string}\n"
    + '  parameters:\n    "Limit\\n": {name: limit, schema: {type: integer}}\n',
    # a reference that is no string
    "newline-ref.yaml": HEAD.replace(
        'schema: {$ref: "#/components/schemas/Thing"}', 'schema: {$ref: "#/components/schemas/Thing", "$ref\\n": 7}'
    )
    + "        name: {type: string}\n",
}
# Values where the two agree without help: the same verdicts.
ALIKE = {
    # draft 4's "integer" (the OAS 3.0 schema's) is no float, to both
    "integral-float.yaml": HEAD + "        name: {type: string, maxLength: 5.0}\n",
    # a digit that is no ASCII digit in a response code: Python's \d matches it, jsonschema-rs's not (stricter)
    "arabic-digits.yaml": HEAD.replace('"200":', '"2\\u0660\\u0660":') + "        name: {type: string}\n",
}


def _verdict(path: Path) -> object:
    from clientgen.loader import load_spec
    from clientgen.validation import validate_spec

    try:
        return validate_spec(load_spec(path, (), validate=False))
    except Exception as exc:  # the verdict, compared by the callers
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[object]:
    """Each OAS-schema pass jsonschema makes over a whole document; every verdict worked out, none read back."""
    from clientgen import validation

    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(validation, "write_entry", lambda *args: None)
    made: list[object] = []
    counted = validation._counted

    def whole(errors: Any, seen: list[bool]) -> Any:
        made.append(errors)
        return counted(errors, seen)

    monkeypatch.setattr(validation, "_counted", whole)
    return made


def _rust_alone_says_clean(path: Path) -> bool:
    import jsonschema_rs

    from clientgen.loader import load_spec
    from clientgen.validation import _oas_schema

    spec = load_spec(path, (), validate=False)
    schema = _oas_schema(spec.openapi_version.startswith("3.1."))
    return bool(jsonschema_rs.validator_for(dict(schema), validate_formats=False).is_valid(spec.data))


def test_every_verdict_is_jsonschemas_and_clean_documents_skip_its_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passes: list[object]
) -> None:
    from clientgen import validation

    cases = {**VERDICT_CASES, **DIVERGING, **ALIKE}
    specs = [write(tmp_path / name, text) for name, text in cases.items()]
    specs += [
        ROOT / "specs" / "airflow-2.10.5" / "v1.yaml",
        ROOT / "specs" / "airflow-3.3.2" / "v2-rest-api-generated.yaml",
    ]
    with_rust = []
    for spec in specs:
        passes.clear()
        verdict = _verdict(spec)
        with_rust.append(verdict)
        if spec.name.startswith("clean") or spec.parent.name.startswith("airflow"):
            assert passes == [], spec.name  # jsonschema-rs found it clean: jsonschema's pass skipped
        elif spec.name in DIVERGING or spec.name == "integral-float.yaml":
            assert len(passes) == 1, spec.name  # left to jsonschema
    monkeypatch.setattr(validation, "_clean_to_rust", lambda oas_schema, document, keys_plain=False: False)
    assert with_rust == [_verdict(spec) for spec in specs]


@pytest.mark.parametrize("name", sorted(DIVERGING))
def test_where_jsonschema_rs_alone_would_say_clean_jsonschema_finds_the_error(
    name: str, tmp_path: Path, passes: list[object]
) -> None:
    spec = write(tmp_path / name, DIVERGING[name])
    assert _rust_alone_says_clean(spec)
    verdict = _verdict(spec)
    assert verdict != () and len(passes) == 1, verdict
    word = "'in' is a required property" if "key" in name else "7 is not of type 'string'"
    assert word in str(verdict), verdict


def test_without_jsonschema_rs_jsonschema_makes_the_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passes: list[object]
) -> None:
    spec = write(tmp_path / "clean.yaml", VERDICT_CASES["clean-30.yaml"])
    bad = write(tmp_path / "bad.yaml", VERDICT_CASES["error-30.yaml"])
    found = _verdict(spec), _verdict(bad)
    assert passes != [] and len(passes) == 1  # the error's
    monkeypatch.setitem(sys.modules, "jsonschema_rs", None)  # as where it is not installed
    passes.clear()
    assert (_verdict(spec), _verdict(bad)) == found and len(passes) == 2


@pytest.mark.parametrize(
    ("document", "found"),
    [
        ({"a": [1, "x", None, True, {"b": 2.5}]}, False),
        ({"a": [1, {"k\n": 2.0}]}, True),
        ({"a": {"b": [[{"c": {"k\n": 1}}]]}}, True),
        ({"k\n": 1}, True),
        ({"a": {"k\nx": 1}}, False),  # a newline inside the key: no "$" matches there, in either
        ({"a": {"k\r": 1}}, False),  # only "\n" is special to Python's "$"
        ({1: "x", "a": {2: {}}}, False),
    ],
)
def test_keys_ending_in_a_newline_are_found_at_any_depth(document: Any, found: bool) -> None:
    from clientgen.validation import _judged_by_jsonschema_alone

    assert _judged_by_jsonschema_alone(document) is found


@pytest.mark.parametrize(
    ("document", "clean"),
    [
        ({"info": {"title": datetime.date(2020, 1, 1), "version": "1"}}, False),  # not read: jsonschema judges
        ({"info": {"title": b"bytes", "version": "1"}}, False),
        ({"info": {"title": "t", "version": "1"}, 7: "x"}, False),
        ({"info": {"title": "t", "version": 1.0}}, False),  # an error to both
        ({"info": {"title": "t", "version": "1"}, "x-when": datetime.date(2020, 1, 1)}, True),  # checked by neither
        ({"info": {"title": "t", "version": "1"}, "x-n": float("nan")}, True),
        ({"info": {"title": "t", "version": "1"}}, True),
    ],
)
def test_jsonschema_rs_says_clean_only_where_jsonschema_does(document: Any, clean: bool) -> None:
    from jsonschema.validators import validator_for

    from clientgen.validation import _clean_to_rust, _oas_schema

    document = {"openapi": "3.0.3", "paths": {}, **document}
    schema = _oas_schema(False)
    assert _clean_to_rust(schema, document) is clean
    if clean:
        assert validator_for(schema)(schema).is_valid(document)


def test_a_panic_in_jsonschema_rs_leaves_the_pass_to_jsonschema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passes: list[object]
) -> None:
    """jsonschema-rs reports a Rust panic as pyo3's PanicException, a BaseException: the pass goes to
    jsonschema and the verdict is its own, not a crash of the validation."""
    import jsonschema_rs

    class PanicException(BaseException):
        pass

    def panics(*args: object, **kwargs: object) -> object:
        raise PanicException("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(jsonschema_rs, "validator_for", panics)
    spec = write(tmp_path / "clean.yaml", VERDICT_CASES["clean-30.yaml"])
    assert _verdict(spec) == () and len(passes) == 1


# Schemas for openapi-schema-validator's check against OpenAPI 3.0's dialect (draft 4's meta-schema, with
# format "regex" on "pattern"), each with whether it is clean.
META_CASES = [
    # (schema, clean, jsonschema skipped: jsonschema-rs's verdict taken)
    ({"type": "string", "pattern": "^[a-z]+$"}, True, True),
    ({"type": "string", "pattern": "("}, False, False),  # no regex: a slip, from jsonschema
    ({"type": "string", "pattern": "^[\\p{L}]+$"}, False, False),  # a regex to Rust, not to Python's re
    ({"properties": {"a": {"items": {"pattern": "["}}}}, False, False),  # however deep
    ({"properties": {"pattern": {"type": "string"}}}, True, True),  # a property named "pattern"
    ({"type": "object", "example": {"pattern": "("}}, True, False),  # data it does not check: left to jsonschema
    ({"type": "strin"}, False, False),
    ({"type": "string", "minLength": 1.0}, False, False),  # no integer to draft 4
    ({"enum": [1, 1.0]}, False, False),  # not unique
    ({"enum": [1, True]}, True, True),
    ({"required": []}, False, False),
    ({"properties": {"a\n": {"type": 3}}}, False, False),
    ({"properties": {"a\n": {"type": "string"}}}, True, False),  # left to jsonschema, clean to it
    ({"type": "string", "default": datetime.date(2020, 1, 1)}, True, True),  # where neither looks
    ({"type": "number", "default": float("nan")}, True, True),
    ({1: {"type": "string"}}, True, False),
]


def _meta_verdict(schema: Any) -> str:
    from jsonschema.exceptions import SchemaError
    from openapi_schema_validator import OAS30Validator

    from clientgen.validation import _crawled_roots

    with _crawled_roots():
        try:
            OAS30Validator.check_schema(schema)
        except SchemaError as error:
            return f"error: {error.message}"
    return "clean"


@pytest.mark.parametrize(("schema", "clean", "skipped"), META_CASES)
def test_a_schemas_check_against_its_dialect_is_jsonschemas_verdict(
    schema: Any, clean: bool, skipped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openapi-spec-validator checks each schema against its dialect; jsonschema-rs is asked first where its
    verdict is jsonschema's (``_meta_clean_to_rust``) and every verdict, error message included, is the one
    jsonschema alone gives."""
    from jsonschema import Draft4Validator

    from clientgen import validation

    checked: list[object] = []
    iter_errors = Draft4Validator.iter_errors

    def counted(self: Any, instance: Any, *args: Any, **kwargs: Any) -> Any:
        checked.append(instance)
        return iter_errors(self, instance, *args, **kwargs)

    monkeypatch.setattr(Draft4Validator, "iter_errors", counted)
    verdict = _meta_verdict(schema)
    assert (verdict == "clean") is clean, verdict
    assert (checked == []) is skipped
    monkeypatch.setattr(validation, "_rust_meta_validator", lambda meta_schema: None)
    assert _meta_verdict(schema) == verdict
    assert checked != []  # without jsonschema-rs, jsonschema checks every schema


def test_only_draft_4s_meta_schema_with_its_one_format_is_asked_of_jsonschema_rs() -> None:
    from openapi_schema_validator import OAS30Validator, OAS31Validator

    from clientgen.validation import _rust_meta_validator

    assert _rust_meta_validator(OAS30Validator.META_SCHEMA) is not None
    assert _rust_meta_validator(OAS31Validator.META_SCHEMA) is None
    with_uri = {**OAS30Validator.META_SCHEMA, "properties": {"a": {"format": "uri"}}}
    assert _rust_meta_validator(with_uri) is None
