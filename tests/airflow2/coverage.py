"""Which operations of Airflow 2.10.5 the live recordings exercise, from the fixtures themselves."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.airflow2.harness import FIXTURES, package

BASE_PATH = "/api/v1"

# Operations not exercised against the live server, and why (each is still covered offline by the
# generated-client and runtime tests through httpx.MockTransport).
OFFLINE_ONLY: dict[str, str] = {}


def _patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    package()
    import sys

    endpoints = sys.modules["airflow_rest_2_10_5._endpoints"]
    found = []
    for name, value in vars(endpoints).items():
        if name.isupper() and hasattr(value, "path"):
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(value.path))
            found.append((name.lower(), value.method, re.compile(f"^{re.escape(BASE_PATH)}{regex}$")))
    # a literal segment (~/dagRuns/list) beats a parameter in the same place
    found.sort(key=lambda item: item[2].pattern.count("[^/]+"))
    return found


def exercised(fixtures: Path = FIXTURES) -> dict[str, set[str]]:
    """operation -> scenarios that called it."""
    patterns = _patterns()
    used: dict[str, set[str]] = {}
    for path in sorted(fixtures.glob("*.json")):
        for exchange in json.loads(path.read_text())["exchanges"]:
            request = exchange["request"]
            for op, method, pattern in patterns:
                if method == request["method"] and pattern.match(request["path"]):
                    used.setdefault(op, set()).add(path.stem)
                    break
    return used


def all_operations() -> list[str]:
    return sorted(op for op, _, _ in _patterns())
