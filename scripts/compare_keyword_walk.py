"""Compare validation's keyword walk replayed over the data (``clientgen.keyword_walk``) with
openapi-spec-validator's own walk, on real specs; prints counts, and exits 1 if any verdict differs.

For each spec given (files, or folders searched for *.json / *.yaml / *.yml), loaded as clientgen loads it:
- the whole verdict of ``validate_spec`` (every warning with its file, line and pointer, or the error with its
  place), once as clientgen runs it (the replay where it applies) and once with the replay off: they must be
  equal;
- where the replay applies (OpenAPI 3.0, one file), both walks alone, in the contexts validation runs them in:
  where the replay says clean, the library's walk must yield nothing, not crash, and visit and meta-check the
  same schemas (by identity).

With ``--mutations N``, each such spec is also copied N times with one random node changed as the walk
reads it (a schema, a reference to a random node or to nowhere, a default, a ``required`` list, a
parameter, a key deleted...), and the two walks alone are compared on each copy as above: the OAS-schema
pass, which would stop most of these first, is left out, so the walk's own rules are what is tried.

Caches are off: every verdict is worked out. A spec over ``--max-mb`` is skipped (counted).

Usage: python scripts/compare_keyword_walk.py [--max-mb N] [--mutations N] SPEC_OR_FOLDER [...]
"""

from __future__ import annotations

import argparse
import collections
import copy
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-mb", type=float, default=None, help="skip spec files bigger than this")
    parser.add_argument("--mutations", type=int, default=0, help="copies of each 3.0 one-file spec, one node changed")
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args()
    os.environ["CLIENTGEN_NO_CACHE"] = "1"
    sys.path.insert(0, str(ROOT))
    sys.setrecursionlimit(1000)  # as clientgen runs (the library's recursion errors are part of verdicts)

    specs: list[Path] = []
    for argument in args.paths:
        found = (p for p in argument.rglob("*") if p.suffix in (".json", ".yaml", ".yml"))
        specs += sorted(found) if argument.is_dir() else [argument]
    tally: collections.Counter[str] = collections.Counter()
    differing: list[str] = []
    started = time.monotonic()
    for number, path in enumerate(specs, 1):
        if args.max_mb is not None and path.stat().st_size > args.max_mb * 2**20:
            tally["skipped (bigger than --max-mb)"] += 1
            continue
        outcome, problem = _compare(path, args.mutations, tally)
        tally[outcome] += 1
        if problem:
            differing.append(f"{path}: {problem}")
            print(f"DIFFERS {path}: {problem}", flush=True)
        if number % 100 == 0:
            print(f"... {number}/{len(specs)} in {time.monotonic() - started:.0f} s", flush=True)
    compared = sum(count for kind, count in tally.items() if kind.startswith("compared"))
    for kind, count in sorted(tally.items()):
        print(f"{kind:70} {count}")
    print(f"specs compared: {compared}, equal: {compared - len(differing)}, differing: {len(differing)}")
    mutated = sum(count for kind, count in tally.items() if kind.startswith("mutation"))
    if mutated:
        wrong = tally["mutation: the replay clean, the library's walk not (WRONG)"]
        print(f"mutated copies compared: {mutated}, equal: {mutated - wrong}, differing: {wrong}")
    return 1 if differing else 0


def _compare(path: Path, mutations: int, tally: collections.Counter[str]) -> tuple[str, str | None]:
    """What kind of spec ``path`` is and how it was compared; what differs, if anything. The walks on its
    mutated copies are tallied in ``tally``; a copy where they differ is a difference of the spec."""
    from clientgen.errors import SpecError
    from clientgen.loader import load_spec

    try:
        spec = load_spec(path, (), validate=False)
    except (SpecError, OSError, UnicodeError, RecursionError, ValueError):
        return "not loaded (clientgen refuses it before validation)", None
    with_replay, replayed = _verdict(spec, replay=True)
    without, _ = _verdict(spec, replay=False)
    if with_replay != without:
        return "compared: verdicts differ", f"with the replay {with_replay!r}, without {without!r}"
    one_file_30 = not spec.openapi_version.startswith("3.1.") and spec.documents.single_file()
    if not one_file_30:
        return "compared, replay not applicable (OpenAPI 3.1, or several files)", None
    walks = _walks(spec.data, spec.documents.root.as_uri())
    verdict = "clean" if without == [] else "slips" if isinstance(without, list) else "error"
    kind = f"compared, OpenAPI 3.0 one file, verdict {verdict}: replay {'clean' if replayed else 'stood aside'}"
    chance = random.Random(str(path))  # noqa: S311 - reproducible mutations, not secrets
    places = list(_places(spec.data, [])) if mutations else []
    for _ in range(mutations):
        mutated = _mutated(spec.data, places, chance)
        found = _walks(mutated, spec.documents.root.as_uri(), tally)
        walks = walks or found
    return kind, walks


def _verdict(spec: Any, replay: bool) -> tuple[object, bool]:
    """``validate_spec``'s verdict on ``spec``, and whether the replay's verdict was taken."""
    from clientgen import keyword_walk
    from clientgen.errors import SpecError
    from clientgen.validation import validate_spec

    original = keyword_walk.walks_clean
    if not replay:
        keyword_walk.walks_clean = lambda validator, meta_clean=None: False  # type: ignore[assignment]
    before = keyword_walk.replays["clean"]
    try:
        return [repr(d) for d in validate_spec(spec)], keyword_walk.replays["clean"] > before
    except SpecError as exc:
        return f"error {exc.message!r} {exc.file} {exc.line} {exc.pointer}", False
    finally:
        keyword_walk.walks_clean = original  # type: ignore[assignment]


def _walks(data: Any, base_uri: str, tally: collections.Counter[str] | None = None) -> str | None:
    """Both walks alone, as validation runs them: what differs, if anything. With ``tally``, the outcome is
    counted there (a mutated copy)."""
    from openapi_spec_validator import OpenAPIV30SpecValidator

    from clientgen import keyword_walk, validation

    def made() -> Any:
        validator = OpenAPIV30SpecValidator(data, base_uri=base_uri)
        validation._index_visited_schemas(validator)
        return validator

    with validation._crawled_roots(), validation._descents_made_once(), validation._paths_resolved_once(True):
        clean = keyword_walk.walks_clean(made())
        library = made()
        try:
            errors: list[Any] | str = list(library.root_validator(library.schema_path))
        except Exception as exc:
            errors = f"crashes: {type(exc).__name__}: {exc}"
        replay = keyword_walk._Replay(made(), None)
        if clean:
            replay.walk()
    problem = None
    if clean and errors:
        problem = f"the replay is clean, the library's walk {errors if isinstance(errors, str) else errors[0]}"
    elif clean:
        registries = library.keyword_validators_registry["schema"]
        if replay.visited != registries.visited_schema_ids._ids:
            problem = "the replay visits other schemas"
        elif replay.meta_checked != registries.meta_checked_schema_ids._ids:
            problem = "the replay meta-checks other schemas"
    if tally is not None:
        if problem:
            tally["mutation: the replay clean, the library's walk not (WRONG)"] += 1
        else:
            library_says = "clean" if not errors else "crashes" if isinstance(errors, str) else "errors"
            tally[f"mutation: the library's walk {library_says}, the replay {'clean' if clean else 'stood aside'}"] += 1
    return problem


def _places(node: Any, path: list[Any]) -> Any:
    yield path
    items = node.items() if type(node) is dict else enumerate(node) if type(node) is list else ()
    for key, child in items:
        yield from _places(child, [*path, key])


def _mutated(data: Any, places: list[list[Any]], chance: random.Random) -> Any:
    """A copy of ``data`` (aliases kept) with one node changed in a way the walk reads."""
    from clientgen.documents import join_pointer

    document = copy.deepcopy(data)
    place = chance.choice(places[1:])
    parent = document
    for key in place[:-1]:
        parent = parent[key]
    target = "#" + join_pointer("", *chance.choice(places))
    replacements: list[Any] = [
        *(7, "x", [], {}, None, True, False, {"type": 7}, {"$ref": target}, {"$ref": "#/nowhere"}, {"$ref": 5}),
        *({"$ref": "#"}, {"allOf": [{"$ref": target}]}, {"items": [{"type": "string"}]}, {"items": {"$ref": target}}),
        *(
            {"default": None},
            {"type": "string", "nullable": True, "default": None},
            {"type": "integer", "default": "x"},
        ),
        *({"allOf": [{"properties": {"a": {}}}], "required": ["a", "b"]}, {"required": 7, "allOf": [{}]}),
        *({"name": "id", "in": "path"}, {"name": "id", "in": "query"}, {"properties": {"$ref": {"type": "string"}}}),
        *("delete", "delete", "a copy under another key"),
    ]
    replacement = chance.choice(replacements)
    if replacement == "delete" and type(parent) is dict:
        del parent[place[-1]]
    elif replacement == "a copy under another key" and type(parent) is dict:
        parent[f"{place[-1]}_copy"] = parent[place[-1]]
    elif type(replacement) is dict and type(parent[place[-1]]) is dict and chance.random() < 0.5:
        parent[place[-1]].update(copy.deepcopy(replacement))  # beside what is there
    else:
        parent[place[-1]] = copy.deepcopy(replacement)
    return document


if __name__ == "__main__":
    raise SystemExit(main())
