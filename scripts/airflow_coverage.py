"""Print the README's table of Airflow 2.10.5 operations exercised live (from the recorded fixtures).

python scripts/airflow_coverage.py        # paste between the markers in README.md (a test checks it)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.airflow2.coverage import OFFLINE_ONLY, all_operations, exercised


def table() -> str:
    used = exercised()
    ops = all_operations()
    lines = [
        f"Live: {len(used)} of {len(ops)} operations ({100 * len(used) // len(ops)}%). "
        f"Offline only: {len(ops) - len(used)}.",
        "",
        "| Operation | Covered | Scenario (tests/airflow2/scenarios.py) |",
        "| --- | --- | --- |",
    ]
    for op in ops:
        if op in used:
            lines.append(f"| `{op}` | live | {', '.join(sorted(used[op]))} |")
        else:
            lines.append(f"| `{op}` | offline only | {OFFLINE_ONLY.get(op, 'no live scenario yet')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
