"""Check that jsonschema-rs never finds clean what jsonschema does not, on real specs; prints counts and
exits 1 if it ever does.

validation.py asks jsonschema-rs first for the OAS-schema pass and skips jsonschema's when it says clean
(``_clean_to_rust``). That is only sound if every document it calls clean is clean to jsonschema too. For
each OpenAPI 3.0/3.1 spec given (files, or folders searched for *.json / *.yaml), this runs both on the
document as clientgen loads it and tallies: both clean, both not, jsonschema only (jsonschema-rs said no
or was not asked: the pass is made as before) and jsonschema-rs only (a wrong verdict: listed).

Usage: python scripts/compare_oas_pass.py SPEC_OR_FOLDER [...]
"""

from __future__ import annotations

import collections
import sys
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
    for path in paths:
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
    for kind, count in sorted(tally.items()):
        print(f"{kind:30} {count}")
    for path in wrong:
        print(f"jsonschema-rs clean, jsonschema not: {path}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
