"""The Airflow 2.10.5 scenarios against a real server: `pytest -m live`.

The server is installed and started by scripts/airflow_server.py and stopped afterwards. To use one you
started yourself (a fresh one: the scenarios create named resources), set CLIENTGEN_AIRFLOW2_URL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.airflow2.harness import AIRFLOW2, live_server, run_live
from tests.airflow2.scenarios import SCENARIOS

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def airflow_url() -> Iterator[str]:
    with live_server("2.10.5", "CLIENTGEN_AIRFLOW2_URL") as url:
        yield url


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_against_real_airflow(name: str, airflow_url: str) -> None:
    exchanges = run_live(AIRFLOW2, name, airflow_url)
    assert exchanges, name
