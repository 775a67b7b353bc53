"""The Airflow 2.10.5 scenarios against a real server: `pytest -m live`.

The server is installed and started by scripts/airflow_server.py and stopped afterwards. To use one you
started yourself (a fresh one: the scenarios create named resources), set CLIENTGEN_AIRFLOW2_URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.airflow2.harness import AIRFLOW2, PASSWORD, USER, live_server, package, run_live
from tests.airflow2.scenarios import SCENARIOS
from tests.live import edges

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def airflow_url() -> Iterator[str]:
    with live_server("2.10.5", "CLIENTGEN_AIRFLOW2_URL") as url:
        yield url


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_against_real_airflow(name: str, airflow_url: str) -> None:
    exchanges = run_live(AIRFLOW2, name, airflow_url)
    assert exchanges, name


# -- edges (issue 9): behaviour a call-every-operation-once suite cannot see ------------------------


def edge_client(url: str) -> Any:
    pkg = package(AIRFLOW2)
    return pkg, pkg.Client(url, auth=pkg.BasicAuth(USER, PASSWORD))


def test_paging_past_the_page_cap_live(airflow_url: str) -> None:
    _, c = edge_client(airflow_url)
    edges.paging_past_the_page_cap(c, lambda key: c.variable.post_variables(key=key, value="x"))


def test_patch_whose_fields_equal_the_resource_id_live(airflow_url: str) -> None:
    _, c = edge_client(airflow_url)
    edges.patches_whose_fields_equal_the_resource_id(
        c,
        lambda key: c.variable.post_variables(key=key, value="x"),
        lambda name, **fields: c.pool.patch_pool(name, name=name, **fields),  # used to be a 400
        lambda key, **fields: c.variable.patch_variable(key, key=key, **fields),  # the mask says "val"
    )
