"""The Airflow 2.10.5 scenarios against a real server: `pytest -m live`.

The server is installed and started by scripts/airflow_server.py and stopped afterwards. To use one you
started yourself (a fresh one: the scenarios create named resources), set CLIENTGEN_AIRFLOW2_URL.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from tests.airflow2.harness import AIRFLOW2, ROOT, run_live
from tests.airflow2.scenarios import SCENARIOS

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def airflow_url() -> Iterator[str]:
    given = os.environ.get("CLIENTGEN_AIRFLOW2_URL")
    if given:
        yield given
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    import airflow_server

    server = airflow_server.start()
    try:
        yield server.base_url
    finally:
        airflow_server.stop()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_against_real_airflow(name: str, airflow_url: str) -> None:
    exchanges = run_live(AIRFLOW2, name, airflow_url)
    assert exchanges, name
