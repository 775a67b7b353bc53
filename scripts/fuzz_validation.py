"""Check that incremental validation, the checks asked of jsonschema-rs first (the OAS-schema pass, a schema
against its dialect), the keyword walk replayed over the data (``keyword_walk``) and its paths resolved from
their parents (``_paths_resolved_once``) give the verdicts jsonschema and jsonschema_path give from scratch;
prints counts, asserts nothing.

For each spec given: N times, validate the spec itself (so its units are remembered), then a copy with one
random node replaced, deleted, copied or renamed, once with the caches (the incremental path, where it
applies), once with none, once with none and without jsonschema-rs, once with none and the keyword walk
made by the library (not replayed: ``keyword_walk``), and once more with the walk's paths read by
jsonschema_path alone; the five verdicts (every warning with its line and pointer, or the error with its
line and pointer) must be equal. Whole verdicts are never read back, so each is worked out.

Usage: python scripts/fuzz_validation.py [--runs N] SPEC [SPEC ...]
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
REPLACEMENTS: list[Any] = [
    *(7, "zero", [], {}, None, {"type": 7}, {"$ref": "#/nope"}, True, 5.0, -1.5, 1.0),
    *("(", "^[\\p{L}]+$", {"type": "string", "pattern": "["}, {"enum": [1, 1.0]}),
    *("delete", "copy", "key ending in a newline"),
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60, help="mutations per spec")
    parser.add_argument("specs", nargs="+", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="clientgen-fuzz-"))
    os.environ["CLIENTGEN_CACHE_DIR"] = str(work / "cache")
    sys.path.insert(0, str(ROOT))
    from clientgen import keyword_walk, validation

    read_entry = validation.read_entry
    validation.read_entry = lambda kind, key: None if kind == "valid" else read_entry(kind, key)  # type: ignore[assignment]
    skipped = 0
    clean = validation._SchemaUnits.clean

    def counted(self: Any, schema_validator: Any) -> bool:
        nonlocal skipped
        outcome = clean(self, schema_validator)
        skipped += outcome
        return outcome

    validation._SchemaUnits.clean = counted  # type: ignore[method-assign]
    tally: collections.Counter[str] = collections.Counter()
    differ = 0
    for source in args.specs:
        base = yaml.safe_load(source.read_text(encoding="utf-8"))
        places = list(_places(base, []))[1:]
        chance = random.Random(11)  # noqa: S311 - reproducible mutations, not secrets
        spec = work / source.parent.name / "spec.json"
        spec.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(args.runs):
            spec.write_text(json.dumps(base), encoding="utf-8")
            _verdict(spec)
            place = chance.choice(places)
            changed = _changed(base, place, chance.choice(REPLACEMENTS))
            spec.write_text(json.dumps(changed), encoding="utf-8")
            before, replays = skipped, keyword_walk.replays["clean"]
            incremental = _verdict(spec)
            os.environ["CLIENTGEN_NO_CACHE"] = "1"
            scratch = _verdict(spec)
            clean_to_rust, validation._clean_to_rust = validation._clean_to_rust, lambda *args: False
            rust_meta, validation._rust_meta_validator = validation._rust_meta_validator, lambda meta_schema: None
            by_jsonschema = _verdict(spec)
            validation._clean_to_rust, validation._rust_meta_validator = clean_to_rust, rust_meta
            replay, keyword_walk.walks_clean = keyword_walk.walks_clean, lambda validator, meta_clean=None: False
            by_library_walk = _verdict(spec)
            from_parents, validation._resolved_from_parents = validation._resolved_from_parents, lambda: None
            by_library_paths = _verdict(spec)
            validation._resolved_from_parents, keyword_walk.walks_clean = from_parents, replay
            del os.environ["CLIENTGEN_NO_CACHE"]
            kind = incremental.split(" ", 1)[0] if isinstance(incremental, str) else "slips" if incremental else "clean"
            kind += " (OAS-schema pass skipped)" if skipped > before else ""
            tally[kind + (", walk replayed" if keyword_walk.replays["clean"] > replays else "")] += 1
            if not incremental == scratch == by_jsonschema == by_library_walk == by_library_paths:
                differ += 1
                print(f"DIFFERS {source} {place}: {incremental!r} vs {scratch!r} vs {by_jsonschema!r}")
                print(f"    the library's walk: {by_library_walk!r}")
                print(f"    the library's walk, paths by jsonschema_path alone: {by_library_paths!r}")
    print(dict(tally), f"differ: {differ}")
    return 0


def _places(node: Any, path: list[Any]) -> Any:
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield from _places(child, [*path, key])


def _changed(base: Any, place: list[Any], replacement: Any) -> Any:
    document = copy.deepcopy(base)
    parent = document
    for key in place[:-1]:
        parent = parent[key]
    if replacement == "delete" and isinstance(parent, dict):
        del parent[place[-1]]
    elif replacement == "copy" and isinstance(parent, dict):
        parent[f"{place[-1]}_copy"] = copy.deepcopy(parent[place[-1]])
    elif replacement == "key ending in a newline" and isinstance(parent, dict):
        parent[f"{place[-1]}\n"] = parent.pop(place[-1])
    else:
        parent[place[-1]] = replacement
    return document


def _verdict(spec: Path) -> object:
    from clientgen.errors import SpecError
    from clientgen.loader import load_spec
    from clientgen.validation import validate_spec

    try:
        return [repr(d) for d in validate_spec(load_spec(spec, (), validate=False))]
    except SpecError as exc:
        return f"error {exc.message!r} {exc.line} {exc.pointer}"


if __name__ == "__main__":
    raise SystemExit(main())
