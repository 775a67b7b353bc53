"""Runs an Airflow version's scenarios live (optionally recording) or from recorded fixtures."""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from tests.airflow2.recording import RecordingTransport, ReplayTransport, load, save
from tests.airflow2.scenarios import Ctx

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "admin", "admin"
REPLAY_URL = "http://airflow.recorded:8080"


@dataclass(frozen=True)
class Flavor:
    version: str
    package: str
    scenarios: dict[str, Callable[[Ctx], None]]
    auth: Callable[[ModuleType, str], Any]  # (package, password) -> httpx.Auth

    @property
    def package_dir(self) -> Path:
        return ROOT / "generated" / self.package

    @property
    def fixtures(self) -> Path:
        return ROOT / "tests" / "fixtures" / f"airflow-{self.version}"


def package(flavor: Flavor) -> ModuleType:
    if str(flavor.package_dir) not in sys.path:
        sys.path.insert(0, str(flavor.package_dir))
    return importlib.import_module(flavor.package)


def _ctx(flavor: Flavor, base_url: str, transport: httpx.BaseTransport, live: bool) -> Ctx:
    pkg = package(flavor)

    def client(password: str) -> Any:
        http = httpx.Client(transport=transport, timeout=60.0)
        return pkg.Client(base_url, auth=flavor.auth(pkg, password), http_client=http)

    return Ctx(pkg, client(PASSWORD), time.sleep if live else (lambda _s: None), client("wrong-password"))


def run_live(flavor: Flavor, name: str, base_url: str, record: bool = False) -> list[dict[str, Any]]:
    """Run one scenario against a live server; with ``record``, save its exchanges as the fixture."""
    transport = RecordingTransport()
    flavor.scenarios[name](_ctx(flavor, base_url, transport, live=True))
    if record:
        save(flavor.fixtures / f"{name}.json", name, flavor.version, transport.exchanges)
    return transport.exchanges


def replay(flavor: Flavor, name: str) -> ReplayTransport:
    """Run one scenario against its recording; every recorded exchange must be used, in order."""
    transport = ReplayTransport(load(flavor.fixtures / f"{name}.json"))
    flavor.scenarios[name](_ctx(flavor, REPLAY_URL, transport, live=False))
    assert transport.finished, f"{name}: {len(transport.exchanges) - transport.position} recorded exchanges unused"
    return transport


@contextmanager
def live_server(version: str, env_var: str) -> Iterator[str]:
    """A server for the live suites: the one ``env_var`` names (a fresh one of yours), else one that
    scripts/airflow_server.py installs, starts and afterwards stops."""
    given = os.environ.get(env_var)
    if given:
        yield given
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    import airflow_server

    server = airflow_server.start(version)
    try:
        yield server.base_url
    finally:
        airflow_server.stop(version)


def server_from_state(version: str) -> str | None:
    state = ROOT / ".local" / f"airflow-{version}" / "server.json"
    return json.loads(state.read_text())["base_url"] if state.exists() else None


def _airflow2() -> Flavor:
    from tests.airflow2.scenarios import SCENARIOS

    return Flavor("2.10.5", "airflow_rest_2_10_5", SCENARIOS, lambda pkg, password: pkg.BasicAuth(USER, password))


def _airflow3() -> Flavor:
    from tests.airflow3.scenarios import SCENARIOS

    def auth(pkg: ModuleType, password: str) -> Any:
        return pkg.PasswordAuth(USER, password, token_url=pkg.TOKEN_URL)

    return Flavor("3.3.2", "airflow_rest_3_3_2", SCENARIOS, auth)


AIRFLOW2 = _airflow2()
AIRFLOW3 = _airflow3()
FLAVORS = {"2.10.5": AIRFLOW2, "3.3.2": AIRFLOW3}
