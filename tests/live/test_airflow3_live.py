"""The Airflow 3.3.2 scenarios against a real server started by scripts/airflow_server.py (`pytest -m live`).

Set CLIENTGEN_AIRFLOW3_URL to use a fresh server of your own instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.airflow2.harness import AIRFLOW3, live_server, run_live

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def airflow_url() -> Iterator[str]:
    with live_server("3.3.2", "CLIENTGEN_AIRFLOW3_URL") as url:
        yield url


@pytest.mark.parametrize("name", list(AIRFLOW3.scenarios))
def test_scenario_against_real_airflow(name: str, airflow_url: str) -> None:
    assert run_live(AIRFLOW3, name, airflow_url)
