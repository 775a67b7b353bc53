"""The committed Airflow clients: importable, complete, and correct on the response bodies that
../shared/docs/AIRFLOW-FACTS.md quotes from real Airflow 2.10.5 servers (until live recordings
replace them)."""

from __future__ import annotations

import asyncio
import datetime
import importlib
import json
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx
import pytest

from clientgen.loader import load_spec
from clientgen.normalise import normalise
from tests.conftest import AIRFLOW_TARGETS, SPECS


def load_package(version: str) -> ModuleType:
    package, folder = AIRFLOW_TARGETS[version]
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(package)


@pytest.fixture(params=sorted(AIRFLOW_TARGETS))
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


Handler = Callable[[httpx.Request], httpx.Response]


def client_for(pkg: ModuleType, handler: Handler, **kwargs: Any) -> Any:
    transport = httpx.MockTransport(handler)
    return pkg.Client("http://airflow.test:8080", http_client=httpx.Client(transport=transport), **kwargs)


def test_every_operation_is_reachable_sync_and_async(version: str) -> None:
    pkg = load_package(version)
    api = normalise(load_spec(SPECS / f"airflow-{version}" / "v1.yaml"))
    client = pkg.Client("http://localhost:8080")
    async_client = pkg.AsyncClient("http://localhost:8080")
    missing = []
    for op in api.operations:
        for c in (client, async_client):
            if not callable(getattr(getattr(c, op.group, None), op.py_name, None)):
                missing.append(f"{type(c).__name__}.{op.group}.{op.py_name}")
    assert missing == []
    expected = {"2.10.5": 89, "2.2.4": 59}[version]
    assert len(api.operations) == expected
    assert client.dag.get_dags and client.dag_run.post_dag_run and client.dag.patch_dag


def test_package_name_does_not_collide_with_the_official_client() -> None:
    for package, _ in AIRFLOW_TARGETS.values():
        assert package != "airflow_client" and not package.startswith("airflow_client.")


def test_schedule_interval_decoded_by_tag(version: str) -> None:
    models = load_package(version).models
    import msgspec

    for body, expected in [
        ({"__type": "CronExpression", "value": "0 0 * * *"}, models.CronExpression(value="0 0 * * *")),
        (
            {"__type": "TimeDelta", "days": 1, "seconds": 0, "microseconds": 0},
            models.TimeDelta(days=1, seconds=0, microseconds=0),
        ),
        (None, None),
    ]:
        dag = msgspec.json.decode(json.dumps({"dag_id": "x", "schedule_interval": body}), type=models.DAG)
        assert dag.schedule_interval == expected
    relative = {
        "__type": "RelativeDelta",
        "years": 0,
        "months": 1,
        "days": 0,
        "leapdays": 0,
        "hours": 0,
        "minutes": 0,
        "seconds": 0,
        "microseconds": 0,
        "year": None,
        "month": None,
        "day": 1,
        "weekday": None,
        "hour": 0,
        "minute": 0,
        "second": 0,
        "microsecond": 0,
    }
    dag = msgspec.json.decode(json.dumps({"dag_id": "x", "schedule_interval": relative}), type=models.DAG)
    assert isinstance(dag.schedule_interval, models.RelativeDelta)  # peers decode this as TimeDelta
    assert dag.schedule_interval.months == 1


def test_unknown_fields_and_enum_values_are_tolerated() -> None:
    models = load_package("2.10.5").models
    import msgspec

    body = {"task_id": "t", "state": "some_state_from_airflow_4", "brand_new_field": {"x": 1}}
    ti = msgspec.json.decode(json.dumps(body), type=models.TaskInstance)
    assert ti.state == "some_state_from_airflow_4"
    assert isinstance(ti.state, models.TaskState)
    assert msgspec.json.decode(b'{"state": "none"}', type=models.TaskInstance).state is models.TaskState.NONE
    assert msgspec.json.decode(b'{"state": null}', type=models.TaskInstance).state is None
    from airflow_rest_2_10_5 import UNSET

    assert msgspec.json.decode(b"{}", type=models.TaskInstance).state is UNSET


def test_unset_is_distinct_from_null() -> None:
    pkg = load_package("2.10.5")
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"dag_run_id": "r", "note": None})

    client = client_for(pkg, handler)
    client.dag_run.set_dag_run_note("d", "r", note=None)
    assert json.loads(sent[-1].content) == {"note": None}
    client.dag_run.post_dag_run("d", dag_run_id="r")
    assert json.loads(sent[-1].content) == {"dag_run_id": "r"}


def test_trigger_never_sends_read_only_fields(version: str) -> None:
    pkg = load_package(version)
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        # POST dagRuns answers 200 (not 201), per AIRFLOW-FACTS.
        return httpx.Response(
            200,
            json={
                "dag_run_id": "manual__2026-11-21T04:17:58.936582+00:00",
                "dag_id": "example_bash_operator",
                "state": "queued",
                "external_trigger": True,
                "conf": {"nested": {"a": [1, 2]}},
                "execution_date": "2026-11-21T04:17:58.936582+00:00",
            },
        )

    client = client_for(pkg, handler)
    run = client.dag_run.post_dag_run("example_bash_operator", conf={"nested": {"a": [1, 2]}})
    assert json.loads(sent[-1].content) == {"conf": {"nested": {"a": [1, 2]}}}
    assert sent[-1].url.path == "/api/v1/dags/example_bash_operator/dagRuns"
    assert run.state == "queued" and run.external_trigger is True
    assert run.execution_date == datetime.datetime(2026, 11, 21, 4, 17, 58, 936582, tzinfo=datetime.timezone.utc)


def test_patch_dag_derives_update_mask(version: str) -> None:
    pkg = load_package(version)
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"dag_id": "example", "is_paused": True})

    client = client_for(pkg, handler)
    dag = client.dag.patch_dag("example", is_paused=True)
    assert sent[-1].method == "PATCH"
    assert sent[-1].url.params.get_list("update_mask") == ["is_paused"]
    assert json.loads(sent[-1].content) == {"is_paused": True}
    assert dag.is_paused is True
    client.dag.patch_dag("example", is_paused=False, update_mask=["is_paused", "description"])
    assert sent[-1].url.params.get_list("update_mask") == ["is_paused,description"]


def test_problem_json_errors_are_typed(version: str) -> None:
    pkg = load_package(version)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/dags/example"):
            body = {
                "detail": "Property is read-only - 'description'",
                "status": 400,
                "title": "Bad Request",
                "type": "https://airflow.apache.org/docs/apache-airflow/2.10.5/stable-rest-api-ref.html#section/Errors/BadRequest",
            }
            return httpx.Response(400, json=body, headers={"content-type": "application/problem+json"})
        body = {
            "detail": None,
            "status": 401,
            "title": "Unauthorized",
            "type": "https://airflow.apache.org/docs/apache-airflow/2.10.5/stable-rest-api-ref.html#section/Errors/Unauthenticated",
        }
        return httpx.Response(401, json=body, headers={"content-type": "application/problem+json"})

    client = client_for(pkg, handler, auth=pkg.BasicAuth("admin", "s3cret-pw"))
    with pytest.raises(pkg.BadRequestError) as bad:
        client.dag.patch_dag("example", is_paused=True, update_mask=["description"])
    assert bad.value.status == 400 and bad.value.detail == "Property is read-only - 'description'"
    assert bad.value.title == "Bad Request"
    with pytest.raises(pkg.AuthenticationError) as unauth:
        client.monitoring.get_version()
    assert unauth.value.status == 401 and unauth.value.detail is None and unauth.value.title == "Unauthorized"
    assert isinstance(unauth.value, pkg.ApiError)
    assert "s3cret-pw" not in str(unauth.value) and "s3cret-pw" not in repr(client)


def test_html_500_for_a_bad_run_id_keeps_the_page(version: str) -> None:
    pkg = load_package(version)
    page = "<!DOCTYPE html><html><head><title>Airflow 500</title></head><body>Ooops!</body></html>"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text=page, headers={"content-type": "text/html; charset=utf-8"})

    client = client_for(pkg, handler, max_retries=0)
    with pytest.raises(pkg.ServerError) as err:
        client.dag_run.get_dag_run("example", "bad id")
    assert err.value.body == page and err.value.status == 500
    assert err.value.url.endswith("/dags/example/dagRuns/bad%20id")


def test_logs_as_text_or_json(version: str) -> None:
    pkg = load_package(version)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["accept"])
        if request.headers["accept"] == "text/plain":
            return httpx.Response(
                200, text="a1b2c3.host\n*** Reading local file\n", headers={"content-type": "text/plain"}
            )
        body = {
            "content": "[('a1b2c3.host', '*** Reading local file')]",
            "continuation_token": "eyJlbmRfb2ZfbG9nIjp0cnVlfQ",
        }
        return httpx.Response(200, json=body)

    client = client_for(pkg, handler)
    run_id = "manual__2026-11-21T04:17:58.936582+00:00"
    text = client.task_instance.get_log("example", run_id, "runme_0", 1, accept="text/plain")
    assert isinstance(text, str) and text.startswith("a1b2c3.host")
    log = client.task_instance.get_log("example", run_id, "runme_0", 1)
    assert log.content.startswith("[('a1b2c3.host'") and log.continuation_token
    assert seen == ["text/plain", "application/json"]  # never */*


def test_path_segments_encoded_and_query_serialised(version: str) -> None:
    pkg = load_package(version)
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"dag_runs": [], "total_entries": 0})

    client = client_for(pkg, handler)
    client.dag_run.get_dag_runs(
        "~", limit=5, end_date_gte=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    )
    assert sent[-1].url.raw_path == b"/api/v1/dags/~/dagRuns?limit=5&end_date_gte=2026-01-02T03%3A04%3A05%2B00%3A00"
    if version == "2.10.5":  # the state filter arrived after 2.2.4
        client.dag_run.get_dag_runs("~", state=["success", "failed"])
        assert sent[-1].url.raw_path == b"/api/v1/dags/~/dagRuns?state=success&state=failed"
    client.dag_run.get_dag_runs("a/../b", limit=1)
    assert sent[-1].url.raw_path.startswith(b"/api/v1/dags/a%2F..%2Fb/dagRuns")


def test_iterator_pages_until_total_entries() -> None:
    pkg = load_package("2.10.5")
    offsets: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        offsets.append(offset)
        dags = [{"dag_id": f"dag_{i}"} for i in range(offset, min(offset + limit, 7))]
        return httpx.Response(200, json={"dags": dags, "total_entries": 7})

    client = client_for(pkg, handler)
    assert [d.dag_id for d in client.dag.iter_dags(page_size=3, only_active=True)] == [f"dag_{i}" for i in range(7)]
    assert offsets == [0, 3, 6]


def test_async_client_matches_sync() -> None:
    pkg = load_package("2.10.5")

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"dag_id": request.url.path.rsplit("/", 1)[-1], "is_paused": False})

    async def main() -> list[str]:
        transport = httpx.MockTransport(handler)
        async with pkg.AsyncClient("http://airflow.test", http_client=httpx.AsyncClient(transport=transport)) as client:
            dags = await asyncio.gather(*(client.dag.get_dag(f"d{i}") for i in range(20)))
            return [d.dag_id for d in dags]

    assert asyncio.run(main()) == [f"d{i}" for i in range(20)]


def test_clear_dag_run_union_decoded_by_fields() -> None:
    pkg = load_package("2.10.5")

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("dry_run"):
            return httpx.Response(200, json={"task_instances": [{"task_id": "t1"}], "total_entries": 1})
        return httpx.Response(200, json={"dag_run_id": "r", "dag_id": "d", "state": "queued"})

    client = client_for(pkg, handler)
    dry = client.dag_run.clear_dag_run("d", "r", dry_run=True)
    assert isinstance(dry, pkg.models.TaskInstanceCollection) and dry.task_instances[0].task_id == "t1"
    real = client.dag_run.clear_dag_run("d", "r", dry_run=False)
    assert isinstance(real, pkg.models.DAGRun) and real.state == "queued"


def test_every_generated_file_has_the_header_and_matches_the_manifest() -> None:
    import hashlib

    from tests.conftest import COMMITTED

    for _, folder in COMMITTED.values():
        manifest = json.loads((folder / ".clientgen-manifest.json").read_text())
        assert manifest["generator"].startswith("clientgen ") and len(manifest["spec_sha256"]) == 64
        assert len(manifest["files"]) >= 9
        base = json.loads((folder / ".clientgen-base.json").read_text())  # the merge base of hand edits
        assert sorted(base) == sorted(set(manifest["files"]) - {".clientgen-base.json"})
        for name, digest in manifest["files"].items():
            data = (folder / name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, name
            if name == ".clientgen-base.json":
                continue
            assert base[name] == data.decode(), name
            first = data.decode().splitlines()[0]
            assert "Generated by clientgen" in first and "Do not edit" in first, name
            # the manifest names the spec, the files do not: a changed spec rewrites only the files it changes
            assert "sha256" not in first, name
