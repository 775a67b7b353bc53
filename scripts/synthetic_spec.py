"""Synthetic specs of any size made of Airflow 2.10.5's real operation and schema shapes, for scaling figures.

    python scripts/synthetic_spec.py 1000 OUT.json     # 1,000 operations

Copy k of the spec gets every path under ``/copy{k}``, every operationId, tag and component name suffixed
with ``C{k}`` (references rewritten alike), so the result has Airflow's mix of shapes, many times over, and
no two copies share a name. Operations are taken copy by copy until the count is reached.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "specs" / "airflow-2.10.5" / "v1.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_REF = re.compile(r'"#/components/(\w+)/([^"/]+)"')


def synthetic(operations: int, source: Path = SOURCE) -> dict[str, Any]:
    base = yaml.safe_load(source.read_text(encoding="utf-8"))
    text = json.dumps({"paths": base["paths"], "components": base.get("components", {})})
    spec: dict[str, Any] = {
        "openapi": base["openapi"],
        "info": {"title": f"Synthetic {operations}", "version": "1.0.0"},
        "paths": {},
        "components": {},
    }
    taken, copy = 0, 0
    while taken < operations:
        suffix = f"C{copy}"
        part = json.loads(_REF.sub(rf'"#/components/\1/\2{suffix}"', text))
        for kind, members in part["components"].items():
            if isinstance(members, dict) and kind != "securitySchemes":
                spec["components"].setdefault(kind, {}).update({f"{k}{suffix}": v for k, v in members.items()})
            else:
                spec["components"].setdefault(kind, members)
        for path, item in part["paths"].items():
            kept = {}
            for key, value in item.items():
                if key in METHODS:
                    if taken == operations:
                        continue
                    taken += 1
                    value["operationId"] = f"{value.get('operationId', key)}{suffix}"
                    value["tags"] = [f"{tag}{suffix}" for tag in value.get("tags", [])]
                kept[key] = value
            if any(key in METHODS for key in kept):
                spec["paths"][f"/copy{copy}{path}"] = kept
        copy += 1
    return spec


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].isdigit():
        print(__doc__)
        return 2
    Path(argv[1]).write_text(json.dumps(synthetic(int(argv[0])), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
