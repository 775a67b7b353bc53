"""The Airflow 3.3.2 scenarios against a real server started by scripts/airflow_server.py (`pytest -m live`).

Set CLIENTGEN_AIRFLOW3_URL to use a fresh server of your own instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.airflow2.harness import AIRFLOW3, PASSWORD, USER, live_server, package, run_live
from tests.live import edges

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def airflow_url() -> Iterator[str]:
    with live_server("3.3.2", "CLIENTGEN_AIRFLOW3_URL") as url:
        yield url


@pytest.mark.parametrize("name", list(AIRFLOW3.scenarios))
def test_scenario_against_real_airflow(name: str, airflow_url: str) -> None:
    assert run_live(AIRFLOW3, name, airflow_url)


# -- edges (issue 9): behaviour a call-every-operation-once suite cannot see ------------------------


def edge_client(url: str, **http: Any) -> tuple[Any, Any]:
    pkg = package(AIRFLOW3)
    auth = pkg.PasswordAuth(USER, PASSWORD, token_url=pkg.TOKEN_URL)
    return pkg, pkg.Client(url, auth=auth, http_client=httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0), **http))


def test_twenty_concurrent_first_calls_make_one_token_request_live(airflow_url: str) -> None:
    token_requests: list[str] = []

    def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/auth/token"):
            token_requests.append(request.method)

    _, c = edge_client(airflow_url, event_hooks={"request": [count]})
    barrier = threading.Barrier(20)

    def first_call() -> int:
        barrier.wait()
        # Not get_pools: 3.3.2 serialises a pool's occupied_slots with a blocking query on the
        # event loop, and 16+ concurrent get_pools exhaust the DB pool and deadlock the api-server
        # for good (docs/DEVELOPING.md, "The 3.3.2 get_pools deadlock").
        return int(c.variable.get_variables().total_entries)

    with ThreadPoolExecutor(20) as pool:
        totals = list(pool.map(lambda _: first_call(), range(20)))
    assert len(totals) == 20 and token_requests == ["POST"]


def test_logout_then_a_call_live(airflow_url: str) -> None:
    sent: list[tuple[str, str]] = []

    def log(request: httpx.Request) -> None:
        sent.append((request.url.path, request.headers.get("authorization", "")))

    _, c = edge_client(airflow_url, event_hooks={"request": [log]})
    assert c.pool.get_pools().total_entries >= 1
    old_token = sent[-1][1]
    c.login.logout()  # revokes the token server-side: it would now answer 403 "Invalid JWT token"
    revoked = httpx.get(f"{airflow_url}/api/v2/pools", headers={"Authorization": old_token}, timeout=30)
    assert revoked.status_code in (401, 403)
    assert c.pool.get_pools().total_entries >= 1
    assert [path for path, _ in sent].count("/auth/token") == 2 and sent[-1][1] != old_token


def test_a_token_revoked_by_another_holder_is_replaced_live(airflow_url: str) -> None:
    """The client did not log out: someone holding the same token did (as a restart with a new
    secret would, every old token is then answered 403 "Invalid JWT token"). The next call gets
    one new token and succeeds."""
    sent: list[tuple[str, str]] = []

    def log(request: httpx.Request) -> None:
        sent.append((request.url.path, request.headers.get("authorization", "")))

    _, c = edge_client(airflow_url, event_hooks={"request": [log]})
    assert c.pool.get_pools().total_entries >= 1
    old_token = sent[-1][1]
    httpx.get(f"{airflow_url}/api/v2/auth/logout", headers={"Authorization": old_token}, timeout=30)
    refused = httpx.get(f"{airflow_url}/api/v2/pools", headers={"Authorization": old_token}, timeout=30)
    assert refused.status_code == 403, refused.text  # AIRFLOW-FACTS: a revoked JWT is a 403
    assert c.pool.get_pools().total_entries >= 1
    assert [path for path, _ in sent].count("/auth/token") == 2 and sent[-1][1] != old_token


def test_paging_past_the_page_cap_live(airflow_url: str) -> None:
    _, c = edge_client(airflow_url)
    edges.paging_past_the_page_cap(c, lambda key: c.variable.post_variable(key=key, value="x"))


def test_patch_whose_fields_equal_the_resource_id_live(airflow_url: str) -> None:
    _, c = edge_client(airflow_url)
    edges.patches_whose_fields_equal_the_resource_id(
        c,
        lambda key: c.variable.post_variable(key=key, value="x"),
        # used to be a 422; the server requires include_deferred although the spec says optional
        lambda name, **fields: c.pool.patch_pool(name, pool=name, include_deferred=False, **fields),
        lambda key, **fields: c.variable.patch_variable(key, key=key, **fields),
    )


def test_a_stream_quiet_longer_than_the_read_timeout_live(airflow_url: str) -> None:
    """wait_dag_run_until_finished sends a line, then the next only after ``interval`` seconds: 35 s,
    more than the client's 30 s read timeout for ordinary calls."""
    _, c = edge_client(airflow_url)
    dag_id = "example_bash_operator"
    c.dag.patch_dag(dag_id, is_paused=True)  # the run stays queued: the stream has nothing new to say
    c.dag_run.trigger_dag_run(dag_id, dag_run_id="edge_quiet_stream", logical_date=None)
    stream = c.dag_run.wait_dag_run_until_finished_stream(dag_id, "edge_quiet_stream", interval=35)
    first = next(stream)
    started = time.monotonic()
    second = next(stream)
    quiet = time.monotonic() - started
    stream.close()
    assert quiet >= 30 and first["state"] == second["state"] == "queued"
    c.dag_run.delete_dag_run(dag_id, "edge_quiet_stream")
