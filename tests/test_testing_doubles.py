"""``PKG.testing`` (issue 15): the typed test double every generated package ships. ``MockApi`` answers
through ``httpx.MockTransport``, so the client's real encoding, decoding, errors and paging run; the
committed Airflow clients are exercised directly, and a sample user project (tests/samples/mock_user)
passes pytest and ``mypy --strict`` against the committed 2.10.5 client."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.conftest import COMMITTED
from tests.test_runtime_edges import load

SAMPLE = Path(__file__).parent / "samples" / "mock_user"


@pytest.fixture(scope="module")
def af2() -> ModuleType:
    load("2.10.5")
    import airflow_rest_2_10_5.testing as testing

    return testing


@pytest.fixture(scope="module")
def af3() -> ModuleType:
    load("3.3.2")
    import airflow_rest_3_3_2.testing as testing

    return testing


def test_every_committed_package_ships_testing() -> None:
    for package, folder in COMMITTED.values():
        source = (folder / package / "testing.py").read_text()
        assert "class MockApi(MockApiBase):" in source, package


def test_returns_answers_through_the_clients_decoding_and_records_the_decoded_call(af2: ModuleType) -> None:
    models = sys.modules["airflow_rest_2_10_5"].models
    mock = af2.MockApi()
    mock.dag.get_dag.returns(models.DAG(dag_id="a/b", is_paused=True))
    got = mock.client(auth=sys.modules["airflow_rest_2_10_5"].BasicAuth("admin", "s3cret")).dag.get_dag(
        "a/b", fields=["dag_id", "is_paused"]
    )
    assert got == models.DAG(dag_id="a/b", is_paused=True)
    (call,) = mock.dag.get_dag.calls
    assert call.method == "GET" and call.path == {"dag_id": "a/b"}  # sent percent-encoded as one segment
    assert call.query == {"fields": ["dag_id", "is_paused"]}  # form, exploded: as the spec says
    assert call.body is None
    assert call.headers["authorization"] == "***" and "s3cret" not in repr(call)


def test_answers_are_queued_and_the_last_one_repeats(af2: ModuleType) -> None:
    pkg = sys.modules["airflow_rest_2_10_5"]
    mock = af2.MockApi()
    mock.pool.get_pool.returns(pkg.models.Pool(name="p", slots=1)).raises(pkg.NotFoundError, detail="gone")
    client = mock.client()
    assert client.pool.get_pool("p").slots == 1
    for _ in range(2):
        with pytest.raises(pkg.NotFoundError) as caught:
            client.pool.get_pool("p")
        assert caught.value.status == 404 and caught.value.detail == "gone"
    assert len(mock.pool.get_pool.calls) == 3


def test_raises_maps_each_error_to_the_status_the_client_turns_into_it(af2: ModuleType) -> None:
    pkg = sys.modules["airflow_rest_2_10_5"]
    mock = af2.MockApi()
    client = mock.client()
    for error, status in (
        (pkg.BadRequestError, 400),
        (pkg.AuthenticationError, 401),
        (pkg.PermissionDeniedError, 403),
        (pkg.ConflictError, 409),
        (pkg.ServerError, 500),
    ):
        mock.variable.get_variable.raises(error)
        with pytest.raises(error) as caught:
            client.variable.get_variable("k")
        assert caught.value.status == status
        mock.variable.get_variable._answers.clear()
    mock.variable.get_variable.raises(pkg.ServerError, status=503)
    with pytest.raises(pkg.ServerError, match="503"):
        client.variable.get_variable("k")
    with pytest.raises(TypeError, match="give its status="):
        mock.variable.get_variable.raises(pkg.UnexpectedStatusError)
    with pytest.raises(TypeError, match="the client raises ServerError for 500"):
        mock.variable.get_variable.raises(pkg.NotFoundError, status=500)


def test_a_value_of_the_wrong_shape_fails_when_given_not_in_production(af3: ModuleType) -> None:
    models = sys.modules["airflow_rest_3_3_2"].models
    mock = af3.MockApi()
    pool = models.PoolResponse(
        name="p", slots=1, description=None, include_deferred=False, occupied_slots=0, running_slots=0,
        queued_slots=0, scheduled_slots=0, open_slots=1, deferred_slots=0, team_name=None,
    )  # fmt: skip
    with pytest.raises(TypeError, match=r"get_dag.returns\(\): not what the spec declares for 200"):
        mock.dag.get_dag.returns(pool)
    mock.pool.get_pool.returns(pool)
    assert mock.client().pool.get_pool("p") == pool


def test_unexpected_calls_fail_loudly(af2: ModuleType) -> None:
    mock = af2.MockApi()
    with pytest.raises(af2.UnexpectedCallError, match="GET /api/v1/dags/x: get_dag was given no answer"):
        mock.client().dag.get_dag("x")
    assert len(mock.dag.get_dag.calls) == 1  # recorded all the same
    raw = httpx.Client(transport=mock.transport)
    with pytest.raises(af2.UnexpectedCallError, match="no operation of the spec has this method and path"):
        raw.get(f"{mock.base_url}/api/v1/nothing/here")
    with pytest.raises(af2.UnexpectedCallError, match="no operation"):
        raw.put(f"{mock.base_url}/api/v1/dags/x")  # the path exists, not with PUT
    assert isinstance(af2.UnexpectedCallError("x"), AssertionError)


def test_a_literal_segment_wins_over_a_parameter(af2: ModuleType) -> None:
    """``/dags/~/dagRuns/list`` (POST get_dag_runs_batch) is not ``/dags/{dag_id}/dagRuns/{dag_run_id}``."""
    pkg = sys.modules["airflow_rest_2_10_5"]
    mock = af2.MockApi()
    mock.dag_run.get_dag_runs_batch.returns(pkg.models.DAGRunCollection(dag_runs=[], total_entries=0))
    assert mock.client().dag_run.get_dag_runs_batch(dag_ids=["a"]).total_entries == 0
    (call,) = mock.dag_run.get_dag_runs_batch.calls
    assert call.path == {} and call.body == pkg.models.ListDagRunsForm(dag_ids=["a"])


def test_the_async_client_is_answered_alike(af2: ModuleType) -> None:
    pkg = sys.modules["airflow_rest_2_10_5"]
    mock = af2.MockApi()
    mock.dag.get_dag.returns(pkg.models.DAG(dag_id="x"))

    async def main() -> Any:
        async with mock.async_client() as client:
            return await client.dag.get_dag("x")

    assert asyncio.run(main()).dag_id == "x"
    assert mock.dag.get_dag.calls[0].path == {"dag_id": "x"}


@pytest.mark.slow
def test_a_sample_user_project_passes_pytest_and_mypy_strict(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(SAMPLE, project)
    package_dir = str(COMMITTED["2.10.5"][1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package_dir, str(project)]), "MYPYPATH": package_dir}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_app.py"],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert tests.returncode == 0 and "5 passed" in tests.stdout, tests.stdout + tests.stderr

    def mypy(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *files],
            cwd=project, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip

    checked = mypy("app.py", "test_app.py")
    assert checked.returncode == 0, checked.stdout
    # a wrong answer type, or a call of no such operation, is the user's mypy error
    (project / "wrong.py").write_text(
        "from airflow_rest_2_10_5 import models\n"
        "from airflow_rest_2_10_5.testing import MockApi\n\n"
        "mock = MockApi()\n"
        'mock.dag.get_dag.returns(models.Pool(name="p"))\n'
        "mock.dag.no_such_operation.returns(None)\n"
    )
    wrong = mypy("wrong.py")
    assert 'incompatible type "Pool"; expected "DAG"' in wrong.stdout, wrong.stdout
    assert '"DagApiMock" has no attribute "no_such_operation"' in wrong.stdout, wrong.stdout


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_replay_serves_every_recorded_session_of_a_real_server(version: str) -> None:
    """Each scenario recorded against a real Airflow (tests/fixtures) runs again with its client on a
    ``MockApi`` that only replays the recording: every exchange is used, none is left."""
    from tests.airflow2.harness import AIRFLOW2, AIRFLOW3, _ctx

    flavor = AIRFLOW2 if version == "2.10.5" else AIRFLOW3
    load(version)
    testing = importlib.import_module(f"{flavor.package}.testing")
    for name, scenario in flavor.scenarios.items():
        mock = testing.MockApi()
        mock.replay(flavor.fixtures / f"{name}.json")
        scenario(_ctx(flavor, mock.base_url, mock.transport, live=False))
        assert mock.unreplayed == [], f"{name}: {len(mock.unreplayed)} recorded exchanges unused"


def test_replay_matches_method_path_and_query_and_uses_each_exchange_once(af2: ModuleType, tmp_path: Path) -> None:
    pkg = sys.modules["airflow_rest_2_10_5"]
    pool = {"name": "p", "slots": 3, "occupied_slots": 0}
    recording = tmp_path / "session.json"
    recording.write_text(
        json.dumps(
            {
                "exchanges": [
                    {
                        "request": {"method": "GET", "path": "/api/v1/pools/p", "query": []},
                        "response": {"status": 200, "headers": {"content-type": "application/json"}, "json": pool},
                    },
                    {
                        "request": {"method": "GET", "path": "/api/v1/pools/p", "query": []},
                        "response": {"status": 404, "headers": {"content-type": "application/json"}, "json": {}},
                    },
                ]
            }
        )
    )
    mock = af2.MockApi()
    mock.replay(recording)
    client = mock.client()
    assert client.pool.get_pool("p").slots == 3
    with pytest.raises(pkg.NotFoundError):
        client.pool.get_pool("p")  # the second recorded answer: each exchange is used once
    with pytest.raises(af2.UnexpectedCallError, match="no recorded exchange left matches it"):
        client.pool.get_pool("p")
    assert mock.unreplayed == [] and len(mock.pool.get_pool.calls) == 3

    mock = af2.MockApi()
    mock.replay(recording)
    mock.pool.get_pool.returns(pkg.models.Pool(name="given"))  # an answer given wins over the recording
    assert mock.client().pool.get_pool("p").name == "given" and len(mock.unreplayed) == 2
    with pytest.raises(af2.UnexpectedCallError):
        mock.client().pool.get_pools(limit=5)  # no answer, and no recorded exchange with this query

    (tmp_path / "not-a-recording.json").write_text('{"scenario": "x"}')
    with pytest.raises(ValueError, match="not a recording"):
        mock.replay(tmp_path / "not-a-recording.json")


def test_replay_reads_har_as_browsers_and_proxies_export_it(tmp_path: Path) -> None:
    """The pools scenario's real recording, exported as HAR (absolute URLs with their query, header
    lists, bodies as text or base64, a content-encoding the body no longer has), replays alike."""
    import base64

    from tests.airflow2.harness import AIRFLOW2, _ctx

    load("2.10.5")
    testing = importlib.import_module("airflow_rest_2_10_5.testing")
    recorded = json.loads((AIRFLOW2.fixtures / "pools.json").read_text())["exchanges"]
    entries = []
    for i, exchange in enumerate(recorded):
        sent, got = exchange["request"], exchange["response"]
        query = "&".join(f"{k}={v}" for k, v in sent["query"])
        body = json.dumps(got["json"]).encode() if "json" in got else got.get("text", "").encode()
        media = got["headers"].get("content-type", "")
        content = {"mimeType": media, "text": body.decode()}
        if i % 2:
            content = {"mimeType": media, "text": base64.b64encode(body).decode(), "encoding": "base64"}
        headers = [{"name": k.title(), "value": v} for k, v in got["headers"].items()]
        headers.append({"name": "Content-Encoding", "value": "gzip"})  # the HAR body is already decoded
        url = f"http://airflow.example{sent['path']}{'?' * bool(query)}{query}"
        entries.append(
            {
                "request": {"method": sent["method"], "url": url},
                "response": {"status": got["status"], "headers": headers, "content": content},
            }
        )
    har = tmp_path / "session.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    mock = testing.MockApi()
    mock.replay(har)
    AIRFLOW2.scenarios["pools"](_ctx(AIRFLOW2, mock.base_url, mock.transport, live=False))
    assert mock.unreplayed == []


def test_threads_take_the_queued_answers_in_turn(af2: ModuleType) -> None:
    """Ten answers queued, forty calls from eight threads: each of the first nine is answered exactly
    once, the last one repeats for the rest, and every call is recorded."""
    from concurrent.futures import ThreadPoolExecutor

    pkg = sys.modules["airflow_rest_2_10_5"]
    mock = af2.MockApi()
    for slots in range(10):
        mock.pool.get_pool.returns(pkg.models.Pool(name="p", slots=slots))
    client = mock.client()
    with ThreadPoolExecutor(8) as pool:
        seen = sorted(pool.map(lambda _: client.pool.get_pool("p").slots, range(40)))
    assert seen == list(range(9)) + [9] * 31
    assert len(mock.pool.get_pool.calls) == 40
