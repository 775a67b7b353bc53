"""The Airflow 3.3.2 scenarios against a real server started by scripts/airflow_server.py (`pytest -m live`).

Set CLIENTGEN_AIRFLOW3_URL to use a fresh server of your own instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from tests.airflow2.harness import AIRFLOW3, ROOT, run_live

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def airflow_url() -> Iterator[str]:
    given = os.environ.get("CLIENTGEN_AIRFLOW3_URL")
    if given:
        yield given
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    import airflow_server

    server = airflow_server.start("3.3.2")
    try:
        yield server.base_url
    finally:
        airflow_server.stop("3.3.2")


@pytest.mark.parametrize("name", list(AIRFLOW3.scenarios))
def test_scenario_against_real_airflow(name: str, airflow_url: str) -> None:
    assert run_live(AIRFLOW3, name, airflow_url)
