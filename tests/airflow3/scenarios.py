"""The Airflow 2.10.5 scenarios, where Airflow 3.3.2's /api/v2 offers them (see tests/airflow2/scenarios.py).

Auth is PasswordAuth: a token from /auth/token (the spec's OAuth2 password flow) sent as a bearer.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from tests.airflow2.scenarios import Ctx

RUN_ID = "clientgen:run+1"


def monitoring(ctx: Ctx) -> None:
    health = ctx.client.monitor.get_health()
    assert health.metadatabase.status == "healthy" and health.scheduler.status == "healthy"
    # a plain string in this spec (no date-time format), so it stays one
    assert datetime.datetime.fromisoformat(health.scheduler.latest_scheduler_heartbeat).tzinfo is not None
    assert ctx.client.version.get_version().version == "3.3.2"


def dags(ctx: Ctx) -> None:
    c, m = ctx.client, ctx.models
    first = c.dag.get_dags(limit=1)
    assert first.total_entries >= 60 and len(first.dags) == 1
    every = list(c.dag.iter_dags(page_size=40, order_by=["dag_id"]))
    assert len(every) == first.total_entries and len({d.dag_id for d in every}) == len(every)
    tagged = c.dag.get_dags(tags=["example"], limit=100)
    assert tagged.total_entries > 0 and all("example" in [t.name for t in d.tags] for d in tagged.dags)
    assert "example" in c.dag.get_dag_tags(limit=100).tags

    dag = c.dag.get_dag("example_bash_operator")
    assert dag.dag_id == "example_bash_operator" and dag.is_paused is True
    details = c.dag.get_dag_details("example_bash_operator")
    assert details.catchup is False
    assert details.start_date == datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc)
    tasks = c.task.get_tasks("example_bash_operator")
    assert len(tasks.tasks) == tasks.total_entries and "runme_0" in [t.task_id for t in tasks.tasks]
    task = c.task.get_task("example_bash_operator", "runme_0")
    assert task.task_id == "runme_0" and task.operator_name == "BashOperator"
    source = c.dag_source.get_dag_source("example_bash_operator")
    assert 'dag_id="example_bash_operator"' in source.content and source.dag_id == "example_bash_operator"

    assert c.dag.patch_dag("example_trigger_target_dag", is_paused=False).is_paused is False
    assert c.dag.patch_dag("example_trigger_target_dag", m.DAGPatchBodyPatch(is_paused=True)).is_paused is True
    many = c.dag.patch_dags(dag_id_pattern="example_trigger", is_paused=False)
    assert many.total_entries >= 2 and all(d.is_paused is False for d in many.dags)
    c.dag.patch_dags(dag_id_pattern="example_trigger", is_paused=True)
    stats = c.dag_stats.get_dag_stats(dag_ids=["example_bash_operator"])
    assert stats.total_entries == len(stats.dags) == 0  # 3.x lists no stats for a DAG that never ran
    warnings = c.dag_warning.list_dag_warnings()
    assert warnings.total_entries == len(warnings.dag_warnings)
    assert c.dag.delete_dag("example_short_circuit_decorator") is None
    with pytest.raises(ctx.pkg.NotFoundError) as missing:
        c.dag.get_dag("example_short_circuit_decorator")
    assert missing.value.status == 404 and "example_short_circuit_decorator" in str(missing.value.detail)


def dag_runs_and_task_instances(ctx: Ctx) -> None:
    c, m = ctx.client, ctx.models
    dag_id = "tutorial_taskflow_api"
    c.dag.patch_dag(dag_id, is_paused=False)
    conf = {"nested": {"values": [1, 2.5, None], "flag": True}, "text": "é ü"}
    run = c.dag_run.trigger_dag_run(dag_id, dag_run_id=RUN_ID, logical_date=None, conf=conf, note="by clientgen")
    assert run.dag_run_id == RUN_ID and run.conf == conf and run.run_type == "manual"
    with pytest.raises(ctx.pkg.ConflictError) as duplicate:
        c.dag_run.trigger_dag_run(dag_id, dag_run_id=RUN_ID, logical_date=None)
    assert duplicate.value.status == 409

    # the ndjson stream: one JSON object per line while the run goes on, the final state last
    updates = list(c.dag_run.wait_dag_run_until_finished_stream(dag_id, RUN_ID, interval=1))
    assert updates and updates[-1]["state"] == "success"
    done = c.dag_run.get_dag_run(dag_id, RUN_ID)
    assert done.state == m.DagRunState.SUCCESS and isinstance(done.end_date, datetime.datetime)
    assert RUN_ID in [r.dag_run_id for r in c.dag_run.get_dag_runs(dag_id).dag_runs]
    batch = c.dag_run.get_list_dag_runs_batch("~", dag_ids=[dag_id])
    assert [r.dag_run_id for r in batch.dag_runs] == [RUN_ID]
    assert c.dag_run.patch_dag_run(dag_id, RUN_ID, note="checked").note == "checked"

    tis = c.task_instance.get_task_instances(dag_id, RUN_ID)
    assert sorted(t.task_id for t in tis.task_instances) == ["extract", "load", "transform"]
    assert all(t.state == m.TaskInstanceState.SUCCESS for t in tis.task_instances)
    ti = c.task_instance.get_task_instance(dag_id, RUN_ID, "extract")
    assert ti.try_number == 1 and ti.map_index == -1
    log = c.task_instance.get_log(dag_id, RUN_ID, "extract", 1)
    assert log.content  # Airflow 3: a list of structured log events (JSON only)
    xcoms = c.x_com.get_xcom_entries(dag_id, RUN_ID, "extract")
    assert [x.key for x in xcoms.xcom_entries] == ["return_value"]
    entry = c.x_com.get_xcom_entry(dag_id, RUN_ID, "extract", "return_value")
    assert entry.key == "return_value" and "1001" in str(entry.value)

    dry = c.dag_run.clear_dag_run(dag_id, RUN_ID, dry_run=True)
    assert isinstance(dry, m.ClearTaskInstanceCollectionResponse) and len(dry.task_instances) == 3
    assert c.dag_run.delete_dag_run(dag_id, RUN_ID) is None
    with pytest.raises(ctx.pkg.NotFoundError):
        c.dag_run.get_dag_run(dag_id, RUN_ID)
    c.dag.patch_dag(dag_id, is_paused=True)


def mapped_task_instances(ctx: Ctx) -> None:
    c, m = ctx.client, ctx.models
    dag_id, run_id = "example_dynamic_task_mapping", "clientgen:mapped+1"
    c.dag.patch_dag(dag_id, is_paused=False)
    c.dag_run.trigger_dag_run(dag_id, dag_run_id=run_id, logical_date=None)
    updates = list(c.dag_run.wait_dag_run_until_finished_stream(dag_id, run_id, interval=1))
    assert updates[-1]["state"] == "success"
    mapped = c.task_instance.get_mapped_task_instances(dag_id, run_id, "add_one")
    assert mapped.total_entries == 3 and sorted(t.map_index for t in mapped.task_instances) == [0, 1, 2]
    one = c.task_instance.get_mapped_task_instance(dag_id, run_id, "add_one", 1)
    assert one.map_index == 1 and one.state == m.TaskInstanceState.SUCCESS
    tries = c.task_instance.get_mapped_task_instance_tries(dag_id, run_id, "add_one", 1)
    assert tries.total_entries == 1
    second = c.x_com.get_xcom_entry(dag_id, run_id, "add_one", "return_value", map_index=1)
    assert second.map_index == 1 and str(second.value) == "3"  # add_one(2)
    c.dag.patch_dag(dag_id, is_paused=True)


def assets(ctx: Ctx) -> None:
    c, m = ctx.client, ctx.models
    listed = c.asset.get_assets(uri_pattern="dag1/output_1")
    assert [a.uri for a in listed.assets] == ["s3://dag1/output_1.txt"]
    asset = c.asset.get_asset(listed.assets[0].id)
    assert asset.uri == "s3://dag1/output_1.txt" and asset.name
    event = c.asset.create_asset_event(asset_id=asset.id, extra={"from": "clientgen"})
    assert isinstance(event, m.AssetEventResponse) and event.asset_id == asset.id and event.extra["from"] == "clientgen"
    events = c.asset.get_asset_events(asset_id=asset.id)
    assert events.total_entries >= 1 and events.asset_events[-1].extra["from"] == "clientgen"


def administration(ctx: Ctx) -> None:
    c, pkg = ctx.client, ctx.pkg
    logs = c.event_log.get_event_logs(limit=5, order_by=["-id"])
    assert logs.total_entries >= 1 and len(logs.event_logs) <= 5
    one = c.event_log.get_event_log(logs.event_logs[0].event_log_id)
    assert one.event_log_id == logs.event_logs[0].event_log_id and isinstance(one.when, datetime.datetime)
    errors = c.import_error.get_import_errors()
    assert errors.total_entries == len(errors.import_errors) == 0
    with pytest.raises(pkg.NotFoundError):
        c.import_error.get_import_error(999999)
    with pytest.raises(pkg.PermissionDeniedError):  # expose_config is off by default
        c.config.get_config()
    assert c.plugin.get_plugins().total_entries >= 0
    assert "apache-airflow-providers-standard" in [
        p.package_name for p in c.provider.get_providers(limit=100).providers
    ]
    jobs = c.job.get_jobs(is_alive=True)
    assert {"SchedulerJob"} <= {j.job_type for j in jobs.jobs}
    versions = c.dag_version.get_dag_versions("example_bash_operator")
    assert versions.total_entries >= 1 and versions.dag_versions[0].version_number == 1
    assert c.dag_version.get_dag_version("example_bash_operator", 1).dag_id == "example_bash_operator"


def variables(ctx: Ctx) -> None:
    c, pkg = ctx.client, ctx.pkg
    key = "clientgen_settings"
    created = c.variable.post_variable(key=key, value='{"a": 1}', description="made by clientgen")
    assert created.key == key and created.value == '{"a": 1}'
    assert c.variable.get_variable(key).description == "made by clientgen"
    assert key in [v.key for v in c.variable.iter_variables(page_size=10)]
    updated = c.variable.patch_variable(key, key=key, value="2")  # derived mask: value (key names it)
    assert updated.value == "2" and updated.description == "made by clientgen"
    assert c.variable.delete_variable(key) is None
    with pytest.raises(pkg.NotFoundError) as missing:
        c.variable.get_variable(key)
    assert missing.value.status == 404


def connections(ctx: Ctx) -> None:
    c, pkg = ctx.client, ctx.pkg
    conn_id = "clientgen_http"
    made = c.connection.post_connection(connection_id=conn_id, conn_type="http", host="example.invalid", port=8080)
    assert made.connection_id == conn_id and made.port == 8080
    assert c.connection.get_connection(conn_id).host == "example.invalid"
    assert conn_id in [x.connection_id for x in c.connection.iter_connections(page_size=10)]
    patched = c.connection.patch_connection(
        conn_id, body_connection_id=conn_id, conn_type="http", host="api.example.invalid"
    )
    assert patched.host == "api.example.invalid" and patched.port == 8080
    assert c.connection.delete_connection(conn_id) is None
    with pytest.raises(pkg.NotFoundError):
        c.connection.get_connection(conn_id)


def pools(ctx: Ctx) -> None:
    c, pkg = ctx.client, ctx.pkg
    made = c.pool.post_pool(name="clientgen_pool", slots=3, description="for tests")
    assert made.name == "clientgen_pool" and made.slots == 3
    assert sorted(p.name for p in c.pool.get_pools().pools) == ["clientgen_pool", "default_pool"]
    # the server requires include_deferred although the spec marks it optional
    resized = c.pool.patch_pool("clientgen_pool", pool="clientgen_pool", slots=5, include_deferred=False)
    assert resized.slots == 5 and resized.description == "for tests"
    assert c.pool.delete_pool("clientgen_pool") is None
    with pytest.raises(pkg.NotFoundError):
        c.pool.get_pool("clientgen_pool")


def errors(ctx: Ctx) -> None:
    pkg = ctx.pkg
    with pytest.raises(pkg.AuthenticationError) as refused:  # the token request itself is refused
        ctx.bad_client.dag.get_dags(limit=1)
    assert refused.value.status == 401 and refused.value.url.endswith("/auth/token")
    with pytest.raises(pkg.UnprocessableEntityError) as invalid:
        ctx.client.dag.get_dags(limit=-1)
    detail = invalid.value.detail
    assert isinstance(detail, list) and detail[0]["loc"] == ["query", "limit"] and detail[0]["type"]


SCENARIOS: dict[str, Callable[[Ctx], None]] = {
    fn.__name__: fn
    for fn in (
        monitoring,
        dags,
        dag_runs_and_task_instances,
        mapped_task_instances,
        assets,
        administration,
        variables,
        connections,
        pools,
        errors,
    )
}
