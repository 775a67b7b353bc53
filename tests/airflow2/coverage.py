"""Which operations of Airflow 2.10.5 the live recordings exercise, from the fixtures themselves."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re

from tests.airflow2.harness import AIRFLOW2, Flavor, package

# Operations not exercised against the live server, and why (each is still covered offline by the
# generated-client and runtime tests through httpx.MockTransport).
OFFLINE_ONLY: dict[str, str] = {}


def _patterns(flavor: Flavor = AIRFLOW2) -> list[tuple[str, str, re.Pattern[str]]]:
    package(flavor)
    import sys

    endpoints = importlib.import_module(f"{flavor.package}._endpoints")  # a module per group
    declared = {}
    for group in pkgutil.iter_modules(endpoints.__path__):
        declared |= vars(importlib.import_module(f"{endpoints.__name__}.{group.name}"))
    base_path = sys.modules[f"{flavor.package}.client"].BASE_PATH
    found = []
    for name, value in declared.items():
        if name.isupper() and hasattr(value, "path"):
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(value.path))
            found.append((name.lower(), value.method, re.compile(f"^{re.escape(base_path)}{regex}$")))
    # a literal segment (~/dagRuns/list) beats a parameter in the same place
    found.sort(key=lambda item: item[2].pattern.count("[^/]+"))
    return found


def exercised(flavor: Flavor = AIRFLOW2) -> dict[str, set[str]]:
    """operation -> scenarios that called it."""
    patterns = _patterns(flavor)
    fixtures = flavor.fixtures
    used: dict[str, set[str]] = {}
    for path in sorted(fixtures.glob("*.json")):
        for exchange in json.loads(path.read_text())["exchanges"]:
            request = exchange["request"]
            for op, method, pattern in patterns:
                if method == request["method"] and pattern.match(request["path"]):
                    used.setdefault(op, set()).add(path.stem)
                    break
    return used


def all_operations(flavor: Flavor = AIRFLOW2) -> list[str]:
    return sorted(op for op, _, _ in _patterns(flavor))
