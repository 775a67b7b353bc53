"""Check that jsonschema-rs never finds clean what jsonschema does not, on real specs; prints counts and
exits 1 if it ever does.

validation.py asks jsonschema-rs first for the OAS-schema pass and skips jsonschema's when it says clean
(``_clean_to_rust``). That is only sound if every document it calls clean is clean to jsonschema too. For
each OpenAPI 3.0/3.1 spec given (files, or folders searched for *.json / *.yaml), this runs both on the
document as clientgen loads it and tallies: both clean, both not, jsonschema only (jsonschema-rs said no
or was not asked: the pass is made as before) and jsonschema-rs only (a wrong verdict: listed).

The same for each schema of an OpenAPI 3.0 spec that openapi-spec-validator checks against its dialect
(``_meta_clean_to_rust``): the spec is validated as clientgen validates it, and each schema jsonschema-rs
finds clean there is checked by jsonschema too.

Usage: python scripts/compare_oas_pass.py SPEC_OR_FOLDER [...]
"""

from __future__ import annotations

import collections
import contextlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from jsonschema.validators import validator_for

    from clientgen import validation
    from clientgen.errors import SpecError
    from clientgen.loader import load_spec

    paths: list[Path] = []
    for argument in map(Path, sys.argv[1:]):
        paths += (
            sorted(p for p in argument.rglob("*") if p.suffix in (".json", ".yaml"))
            if argument.is_dir()
            else [argument]
        )
    tally: collections.Counter[str] = collections.Counter()
    wrong: list[Path] = []
    current: list[Path] = []
    schemas = _compare_meta_checks(current, wrong)
    for path in paths:
        current[:] = [path]
        try:
            spec = load_spec(path, (), validate=False)
        except (SpecError, OSError, UnicodeError):
            tally["not loaded"] += 1
            continue
        if not spec.openapi_version.startswith(("3.0.", "3.1.")):
            tally["not 3.0/3.1"] += 1
            continue
        schema = validation._oas_schema(spec.openapi_version.startswith("3.1."))
        try:
            with validation._crawled_roots(), validation._descents_made_once():  # as validate_spec runs it
                by_jsonschema = next(iter(validator_for(schema)(schema).iter_errors(spec.data)), None) is None
        except Exception:  # jsonschema's own crash: the pass is not clean for it
            by_jsonschema = False
        by_rust = validation._clean_to_rust(schema, spec.data)
        kind = {(True, True): "both clean", (False, False): "both not", (True, False): "jsonschema only"}
        tally[kind.get((by_jsonschema, by_rust), "jsonschema-rs only (WRONG)")] += 1
        if by_rust and not by_jsonschema:
            wrong.append(path)
        if spec.openapi_version.startswith("3.0."):
            with contextlib.suppress(Exception):  # an invalid spec: its schemas up to the error are compared
                validation.validate_spec(spec)
    for kind, count in sorted({**tally, **schemas}.items()):
        print(f"{kind:45} {count}")
    for path in dict.fromkeys(wrong):
        print(f"jsonschema-rs clean, jsonschema not: {path}")
    return 1 if wrong else 0


def _compare_meta_checks(current: list[Path], wrong: list[Path]) -> collections.Counter[str]:
    """Has validation's ``_meta_clean_to_rust`` check with jsonschema each schema it finds clean; the tally
    it keeps, and the spec being validated (``current``) added to ``wrong`` where the two differ."""
    from jsonschema.validators import validator_for
    from openapi_schema_validator import OAS30Validator
    from openapi_schema_validator._specifications import REGISTRY

    from clientgen import validation

    os.environ["CLIENTGEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="compare-oas-")  # no verdict read back
    schemas: collections.Counter[str] = collections.Counter()
    meta = OAS30Validator.META_SCHEMA
    by_jsonschema = validator_for(meta)(meta, format_checker=OAS30Validator.FORMAT_CHECKER, registry=REGISTRY)
    meta_clean = validation._meta_clean_to_rust

    def compared(rust: object, schema: object, format_checker: object, within_plain: bool = False) -> bool:
        clean = meta_clean(rust, schema, format_checker, within_plain)
        if not clean:
            schemas["schemas left to jsonschema"] += 1
        elif by_jsonschema.is_valid(schema):
            schemas["schemas clean to both"] += 1
        else:
            schemas["schemas clean to jsonschema-rs only (WRONG)"] += 1
            wrong.append(current[0])
        return clean

    validation._meta_clean_to_rust = compared  # type: ignore[assignment]
    return schemas


if __name__ == "__main__":
    sys.exit(main())
