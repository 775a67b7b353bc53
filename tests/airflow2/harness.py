"""Runs the Airflow 2.10.5 scenarios live (optionally recording) or from recorded fixtures."""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from tests.airflow2.recording import RecordingTransport, ReplayTransport, load, save
from tests.airflow2.scenarios import SCENARIOS, Ctx

ROOT = Path(__file__).resolve().parents[2]
PACKAGE, PACKAGE_DIR = "airflow_rest_2_10_5", ROOT / "generated" / "airflow_rest_2_10_5"
FIXTURES = ROOT / "tests" / "fixtures" / "airflow-2.10.5"
USER, PASSWORD = "admin", "admin"
REPLAY_URL = "http://airflow.recorded:8080"


def package() -> ModuleType:
    if str(PACKAGE_DIR) not in sys.path:
        sys.path.insert(0, str(PACKAGE_DIR))
    return importlib.import_module(PACKAGE)


def _ctx(pkg: ModuleType, base_url: str, transport: httpx.BaseTransport, live: bool) -> Ctx:
    def client(password: str) -> Any:
        http = httpx.Client(transport=transport, timeout=60.0)
        return pkg.Client(base_url, auth=pkg.BasicAuth(USER, password), http_client=http)

    return Ctx(pkg, client(PASSWORD), time.sleep if live else (lambda _s: None), client("wrong-password"))


def run_live(name: str, base_url: str, record: bool = False) -> list[dict[str, Any]]:
    """Run one scenario against a live server; with ``record``, save its exchanges as the fixture."""
    pkg = package()
    transport = RecordingTransport()
    SCENARIOS[name](_ctx(pkg, base_url, transport, live=True))
    if record:
        save(FIXTURES / f"{name}.json", name, "2.10.5", transport.exchanges)
    return transport.exchanges


def replay(name: str) -> ReplayTransport:
    """Run one scenario against its recording; every recorded exchange must be used, in order."""
    transport = ReplayTransport(load(FIXTURES / f"{name}.json"))
    SCENARIOS[name](_ctx(package(), REPLAY_URL, transport, live=False))
    assert transport.finished, f"{name}: {len(transport.exchanges) - transport.position} recorded exchanges unused"
    return transport


def server_from_state() -> str | None:
    state = ROOT / ".local" / "airflow-2.10.5" / "server.json"
    return json.loads(state.read_text())["base_url"] if state.exists() else None
