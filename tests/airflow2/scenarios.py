"""What the generated client does against Airflow 2.10.5, written once.

Each scenario takes a ``Ctx`` and asserts on decoded, typed values. Live, ``ctx.client`` talks to a
real Airflow started by scripts/airflow_server.py (and may record); offline it replays the recording.
Inputs are fixed (no clock, no randomness) so a replay sends exactly what the recording sent; waiting
loops poll the server, and ``ctx.wait`` sleeps only when live.
"""

from __future__ import annotations

import ast
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

RUN_ID = "clientgen:run+1"  # ':' and '+' in a path segment
MAPPED_RUN_ID = "clientgen:mapped+1"


@dataclass
class Ctx:
    pkg: ModuleType  # the generated package (airflow_rest_2_10_5)
    client: Any
    wait: Callable[[float], None]
    bad_client: Any  # same server, wrong password

    @property
    def models(self) -> Any:
        return self.pkg.models


def wait_for_run(ctx: Ctx, dag_id: str, run_id: str, polls: int = 240) -> Any:
    for _ in range(polls):
        run = ctx.client.dag_run.get_dag_run(dag_id, run_id)
        if run.state in ("success", "failed"):
            return run
        ctx.wait(1.0)
    raise AssertionError(f"{dag_id}/{run_id} did not finish")


def monitoring(ctx: Ctx) -> None:
    health = ctx.client.monitoring.get_health()
    assert health.metadatabase.status == ctx.models.HealthStatus.HEALTHY
    assert health.scheduler.status == "healthy"
    assert isinstance(health.scheduler.latest_scheduler_heartbeat, datetime.datetime)
    version = ctx.client.monitoring.get_version()
    assert version.version == "2.10.5" and version.git_version


def dags(ctx: Ctx) -> None:
    c, m = ctx.client, ctx.models
    first = c.dag.get_dags(limit=1)
    assert first.total_entries >= 60 and len(first.dags) == 1
    every = list(c.dag.iter_dags(page_size=25))
    assert len(every) == first.total_entries
    assert len({d.dag_id for d in every}) == len(every)
    tagged = c.dag.get_dags(tags=["example"], limit=100)
    assert tagged.total_entries > 0 and all("example" in [t.name for t in d.tags] for d in tagged.dags)

    dag = c.dag.get_dag("example_bash_operator")
    assert dag.dag_id == "example_bash_operator" and dag.is_paused is True
    assert dag.schedule_interval == m.CronExpression(value="0 0 * * *")
    assert dag.fileloc.endswith("example_bash_operator.py")
    details = c.dag.get_dag_details("example_bash_operator")
    assert isinstance(details, m.DAGDetail) and details.catchup is False
    assert details.start_date == datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc)
    tasks = c.dag.get_tasks("example_bash_operator")
    assert sorted(t.task_id for t in tasks.tasks) == sorted(
        ["run_after_loop", "run_this_last", "runme_0", "runme_1", "runme_2", "also_run_this", "this_will_skip"]
    )
    task = c.dag.get_task("example_bash_operator", "runme_0")
    assert task.task_id == "runme_0" and task.class_ref.class_name == "BashOperator"
    assert task.downstream_task_ids == ["run_after_loop"]

    source = c.dag.get_dag_source(dag.file_token, accept="text/plain")
    assert isinstance(source, str) and 'dag_id="example_bash_operator"' in source
    as_json = c.dag.get_dag_source(dag.file_token)
    assert as_json.content == source

    paused = c.dag.patch_dag("example_trigger_target_dag", is_paused=False)
    assert paused.is_paused is False
    assert c.dag.patch_dag("example_trigger_target_dag", m.DAGRequest(is_paused=True)).is_paused is True
    many = c.dag.patch_dags(dag_id_pattern="example_trigger", is_paused=False)
    assert many.total_entries >= 2 and all(d.is_paused is False for d in many.dags)
    assert {d.dag_id for d in many.dags} >= {"example_trigger_target_dag", "example_trigger_controller_dag"}
    again = c.dag.patch_dags(dag_id_pattern="example_trigger", is_paused=True)
    assert all(d.is_paused is True for d in again.dags)

    assert c.dag.reparse_dag_file(dag.file_token) is None
    stats = c.dag_stats.get_dag_stats(dag_ids="example_bash_operator")
    assert stats.total_entries == 1 and stats.dags[0].dag_id == "example_bash_operator"
    assert {s.state for s in stats.dags[0].stats} >= {"queued", "running", "success", "failed"}
    warnings = c.dag_warning.get_dag_warnings()
    assert warnings.total_entries == len(warnings.dag_warnings)

    assert c.dag.delete_dag("example_short_circuit_decorator") is None
    with pytest.raises(ctx.pkg.NotFoundError) as missing:
        c.dag.get_dag("example_short_circuit_decorator")
    assert missing.value.status == 404 and missing.value.title == "DAG not found"


def dag_runs_and_task_instances(ctx: Ctx) -> None:
    c, m = ctx.client, ctx.models
    dag_id = "tutorial_taskflow_api"
    c.dag.patch_dag(dag_id, is_paused=False)
    conf = {"nested": {"values": [1, 2.5, None], "flag": True}, "text": "é ü"}
    run = c.dag_run.post_dag_run(dag_id, dag_run_id=RUN_ID, conf=conf, note="triggered by clientgen")
    assert run.dag_run_id == RUN_ID and run.conf == conf and run.external_trigger is True
    assert run.state in ("queued", "running") and run.run_type == "manual"
    with pytest.raises(ctx.pkg.ConflictError) as duplicate:
        c.dag_run.post_dag_run(dag_id, dag_run_id=RUN_ID)
    assert duplicate.value.status == 409 and RUN_ID in str(duplicate.value.detail)

    done = wait_for_run(ctx, dag_id, RUN_ID)
    assert done.state == m.DagState.SUCCESS and isinstance(done.end_date, datetime.datetime)
    runs = c.dag_run.get_dag_runs(dag_id)
    assert RUN_ID in [r.dag_run_id for r in runs.dag_runs]
    assert [r.dag_run_id for r in c.dag_run.iter_dag_runs(dag_id, page_size=1)] == [r.dag_run_id for r in runs.dag_runs]
    batch = c.dag_run.get_dag_runs_batch(dag_ids=[dag_id], states=["success"])
    assert [r.dag_run_id for r in batch.dag_runs] == [RUN_ID]
    noted = c.dag_run.set_dag_run_note(dag_id, RUN_ID, note="checked")
    assert noted.note == "checked"
    events = c.dag_run.get_upstream_dataset_events(dag_id, RUN_ID)
    assert events.total_entries == 0 and events.dataset_events == []

    tis = c.task_instance.get_task_instances(dag_id, RUN_ID)
    assert sorted(t.task_id for t in tis.task_instances) == ["extract", "load", "transform"]
    assert all(t.state == m.TaskState.SUCCESS for t in tis.task_instances)
    ti = c.task_instance.get_task_instance(dag_id, RUN_ID, "extract")
    assert ti.try_number == 1 and ti.operator == "_PythonDecoratedOperator" and ti.map_index == -1
    batch_tis = c.task_instance.get_task_instances_batch(dag_ids=[dag_id], task_ids=["extract"])
    assert [t.dag_run_id for t in batch_tis.task_instances] == [RUN_ID]

    text = c.task_instance.get_log(dag_id, RUN_ID, "extract", 1, accept="text/plain")
    assert isinstance(text, str) and "Done. Returned value was" in text
    log = c.task_instance.get_log(dag_id, RUN_ID, "extract", 1)
    # Airflow 2 sends `content` as the repr of a list of (host, text) tuples, not JSON.
    chunks = ast.literal_eval(log.content)
    assert isinstance(chunks, list) and all(isinstance(host, str) for host, _ in chunks)
    assert "Done. Returned value was" in "".join(text for _, text in chunks)

    tries = c.task_instance.get_task_instance_tries(dag_id, RUN_ID, "extract")
    assert tries.total_entries == 1 and tries.task_instances[0].try_number == 1
    detail = c.task_instance.get_task_instance_try_details(dag_id, RUN_ID, "extract", 1)
    assert detail.task_id == "extract" and detail.state == "success"
    deps = c.task_instance.get_task_instance_dependencies(dag_id, RUN_ID, "extract")
    assert deps.dependencies == []
    links = c.task_instance.get_extra_links(dag_id, RUN_ID, "extract")
    assert isinstance(links, m.ExtraLinkCollection)
    noted_ti = c.task_instance.set_task_instance_note(dag_id, RUN_ID, "load", note="fine")
    assert noted_ti.note == "fine"
    preview = c.task_instance.patch_task_instance(
        dag_id, RUN_ID, "load", dry_run=True, new_state=m.UpdateTaskState.FAILED
    )
    assert preview.task_id == "load" and preview.dag_run_id == RUN_ID
    # the server requires every include_* flag although the spec marks them optional
    would_set = c.dag.post_set_task_instances_state(
        dag_id, dry_run=True, task_id="extract", dag_run_id=RUN_ID, new_state=m.UpdateTaskState.FAILED,
        include_upstream=False, include_downstream=True, include_future=False, include_past=False,
    )  # fmt: skip
    assert sorted(t.task_id for t in would_set.task_instances) == ["extract", "load", "transform"]
    would_clear = c.dag.post_clear_task_instances(
        dag_id, dry_run=True, dag_run_id=RUN_ID, task_ids=["load"], only_failed=False
    )
    assert [t.task_id for t in would_clear.task_instances] == ["load"]

    xcoms = c.x_com.get_xcom_entries(dag_id, RUN_ID, "extract")
    assert [x.key for x in xcoms.xcom_entries] == ["return_value"]
    entry = c.x_com.get_xcom_entry(dag_id, RUN_ID, "extract", "return_value")
    assert entry.key == "return_value" and "1001" in str(entry.value)

    dry = c.dag_run.clear_dag_run(dag_id, RUN_ID, dry_run=True)
    assert isinstance(dry, m.TaskInstanceCollection) and len(dry.task_instances) == 3  # no total_entries here
    marked = c.dag_run.update_dag_run_state(dag_id, RUN_ID, state=m.UpdateDagRunStateState.FAILED)
    assert marked.state == "failed"
    cleared = c.dag_run.clear_dag_run(dag_id, RUN_ID, dry_run=False)
    assert isinstance(cleared, m.DAGRun) and cleared.dag_run_id == RUN_ID
    assert wait_for_run(ctx, dag_id, RUN_ID).state == "success"
    assert c.dag_run.delete_dag_run(dag_id, RUN_ID) is None
    with pytest.raises(ctx.pkg.NotFoundError):
        c.dag_run.get_dag_run(dag_id, RUN_ID)
    c.dag.patch_dag(dag_id, is_paused=True)


def mapped_task_instances(ctx: Ctx) -> None:
    c, m = ctx.client, ctx.models
    dag_id = "example_dynamic_task_mapping"
    c.dag.patch_dag(dag_id, is_paused=False)
    c.dag_run.post_dag_run(dag_id, dag_run_id=MAPPED_RUN_ID)
    assert wait_for_run(ctx, dag_id, MAPPED_RUN_ID).state == "success"
    mapped = c.task_instance.get_mapped_task_instances(dag_id, MAPPED_RUN_ID, "add_one")
    assert mapped.total_entries == 3 and [t.map_index for t in mapped.task_instances] == [0, 1, 2]
    one = c.task_instance.get_mapped_task_instance(dag_id, MAPPED_RUN_ID, "add_one", 1)
    assert one.map_index == 1 and one.state == m.TaskState.SUCCESS
    tries = c.task_instance.get_mapped_task_instance_tries(dag_id, MAPPED_RUN_ID, "add_one", 1)
    assert tries.total_entries == 1
    detail = c.task_instance.get_mapped_task_instance_try_details(dag_id, MAPPED_RUN_ID, "add_one", 1, 1)
    assert detail.map_index == 1 and detail.try_number == 1
    deps = c.task_instance.get_mapped_task_instance_dependencies(dag_id, MAPPED_RUN_ID, "add_one", 1)
    assert deps.dependencies == []
    noted = c.task_instance.set_mapped_task_instance_note(dag_id, MAPPED_RUN_ID, "add_one", 2, note="third")
    assert noted.note == "third" and noted.map_index == 2
    preview = c.task_instance.patch_mapped_task_instance(
        dag_id, MAPPED_RUN_ID, "add_one", 0, dry_run=True, new_state=m.UpdateTaskState.SUCCESS
    )
    assert preview.task_id == "add_one"
    second = c.x_com.get_xcom_entry(dag_id, MAPPED_RUN_ID, "add_one", "return_value", map_index=1)
    assert second.map_index == 1 and str(second.value) == "3"  # add_one(2)
    c.dag.patch_dag(dag_id, is_paused=True)


def variables(ctx: Ctx) -> None:
    c, pkg = ctx.client, ctx.pkg
    key = "clientgen/settings.json"  # format: path: a '/' inside one segment
    created = c.variable.post_variables(key=key, value='{"a": 1}', description="made by clientgen")
    assert created.key == key and created.value == '{"a": 1}'
    assert c.variable.get_variable(key).description == "made by clientgen"
    listed = c.variable.get_variables(limit=100)
    assert key in [v.key for v in listed.variables] and listed.total_entries == len(list(c.variable.iter_variables()))
    # the derived mask leaves out `key` (it names the variable) and says `val`, the server's name for
    # the value (set by specs/overlays/airflow-2-fixes.yaml): a plain wire-name mask `value` is a 400
    with pytest.raises(pkg.BadRequestError) as refused:
        c.variable.patch_variable(key, key=key, value="2", update_mask=["value"])
    assert refused.value.detail == "'value' is unknown or cannot be updated."
    updated = c.variable.patch_variable(key, key=key, value="2")
    assert updated.value == "2"
    described = c.variable.patch_variable(key, key=key, value="3", description=key)  # equal to the key
    assert (described.value, described.description) == ("3", key)
    whole = c.variable.patch_variable(key, key=key, value="4", update_mask=[])  # no mask: full update
    assert whole.value == "4"
    assert c.variable.delete_variable(key) is None
    with pytest.raises(pkg.NotFoundError) as missing:
        c.variable.get_variable(key)
    assert missing.value.status == 404 and missing.value.title == "Variable not found"


def connections(ctx: Ctx) -> None:
    c, pkg = ctx.client, ctx.pkg
    conn_id = "clientgen_http"
    made = c.connection.post_connection(
        connection_id=conn_id, conn_type="http", host="example.invalid", login="user", password="s3cret", port=8080,
        extra='{"verify": false}', description="clientgen test",
    )  # fmt: skip
    assert made.connection_id == conn_id and made.port == 8080 and made.password is pkg.UNSET  # write-only
    got = c.connection.get_connection(conn_id)
    assert got.host == "example.invalid" and got.extra == '{"verify": false}'
    assert conn_id in [x.connection_id for x in c.connection.iter_connections(page_size=10)]
    patched = c.connection.patch_connection(
        conn_id, body_connection_id=conn_id, conn_type="http", host="api.example.invalid"
    )
    assert patched.host == "api.example.invalid" and patched.port == 8080  # mask: conn_type,host
    with pytest.raises(pkg.PermissionDeniedError) as disabled:
        c.connection.test_connection(connection_id=conn_id, conn_type="http")
    assert disabled.value.status == 403
    assert c.connection.delete_connection(conn_id) is None
    with pytest.raises(pkg.NotFoundError):
        c.connection.get_connection(conn_id)


def pools(ctx: Ctx) -> None:
    c, pkg = ctx.client, ctx.pkg
    made = c.pool.post_pool(name="clientgen_pool", slots=3, description="for tests")
    assert made.name == "clientgen_pool" and made.slots == 3 and made.open_slots == 3
    assert c.pool.get_pool("clientgen_pool").description == "for tests"
    assert sorted(p.name for p in c.pool.get_pools().pools) == ["clientgen_pool", "default_pool"]
    assert [p.name for p in c.pool.iter_pools(page_size=1)] == ["default_pool", "clientgen_pool"]
    resized = c.pool.patch_pool("clientgen_pool", name="clientgen_pool", slots=5)  # derived mask: slots
    assert resized.slots == 5 and resized.description == "for tests"
    assert c.pool.delete_pool("clientgen_pool") is None
    with pytest.raises(pkg.NotFoundError) as missing:
        c.pool.get_pool("clientgen_pool")
    assert missing.value.detail == "Pool with name:'clientgen_pool' not found"


def datasets(ctx: Ctx) -> None:
    c, m = ctx.client, ctx.models
    uri = "s3://dag1/output_1.txt"  # ':' and '/' in a format: path segment
    listed = c.dataset.get_datasets(uri_pattern="dag1")
    assert [d.uri for d in listed.datasets] == [uri]
    dataset = c.dataset.get_dataset(uri)
    assert dataset.uri == uri and "dataset_consumes_1" in [d.dag_id for d in dataset.consuming_dags]
    consumer = "dataset_consumes_1_and_2"  # waits for two datasets, so one event leaves it queued
    c.dag.patch_dag(consumer, is_paused=False)
    event = c.dataset.create_dataset_event(dataset_uri=uri, extra={"from": "clientgen"})
    assert isinstance(event, m.DatasetEvent) and event.dataset_uri == uri and event.extra["from"] == "clientgen"
    events = c.dataset.get_dataset_events(dataset_id=dataset.id)
    assert events.total_entries >= 1 and events.dataset_events[-1].extra["from"] == "clientgen"
    queued = c.dataset.get_dag_dataset_queued_events(consumer)
    assert [q.uri for q in queued.queued_events] == [uri] and queued.queued_events[0].dag_id == consumer
    one = c.dataset.get_dag_dataset_queued_event(consumer, uri)
    assert one.uri == uri and isinstance(one.created_at, datetime.datetime)
    by_dataset = c.dataset.get_dataset_queued_events(uri)
    assert consumer in [q.dag_id for q in by_dataset.queued_events]
    assert c.dataset.delete_dag_dataset_queued_event(consumer, uri) is None
    c.dataset.create_dataset_event(dataset_uri=uri)
    assert c.dataset.delete_dag_dataset_queued_events(consumer) is None
    c.dataset.create_dataset_event(dataset_uri=uri)
    assert c.dataset.delete_dataset_queued_events(uri) is None
    with pytest.raises(ctx.pkg.NotFoundError):
        c.dataset.get_dag_dataset_queued_events(consumer)
    c.dag.patch_dag(consumer, is_paused=True)


def administration(ctx: Ctx) -> None:
    c, pkg = ctx.client, ctx.pkg
    logs = c.event_log.get_event_logs(limit=5, order_by="-event_log_id")
    assert logs.total_entries >= 1 and len(logs.event_logs) <= 5
    one = c.event_log.get_event_log(logs.event_logs[0].event_log_id)
    assert one.event_log_id == logs.event_logs[0].event_log_id and isinstance(one.when, datetime.datetime)
    errors = c.import_error.get_import_errors()
    assert errors.total_entries == len(errors.import_errors) == 0
    with pytest.raises(pkg.NotFoundError):
        c.import_error.get_import_error(999999)
    with pytest.raises(pkg.PermissionDeniedError) as hidden:
        c.config.get_config()
    assert "not to expose the configuration" in hidden.value.detail
    with pytest.raises(pkg.PermissionDeniedError):
        c.config.get_value("core", "executor")
    assert c.plugin.get_plugins().total_entries >= 0
    providers = c.provider.get_providers()
    assert "apache-airflow-providers-http" in [p.package_name for p in providers.providers]

    roles = c.role.get_roles()
    assert {"Admin", "Viewer", "Op"} <= {r.name for r in roles.roles}
    assert len(c.role.get_role("Viewer").actions) > 0
    permissions = c.permission.get_permissions(limit=500)
    assert "can_read" in {a.name for a in permissions.actions}
    created = c.role.post_role(
        name="clientgen_role", actions=[{"action": {"name": "can_read"}, "resource": {"name": "DAGs"}}]
    )
    assert created.name is pkg.UNSET  # Airflow answers 200 with {} here, not the Role the spec promises
    role = c.role.get_role("clientgen_role")
    assert [(a.action.name, a.resource.name) for a in role.actions] == [("can_read", "DAGs")]
    renamed = c.role.patch_role("clientgen_role", name="clientgen_role2", update_mask=["name"])
    assert renamed.name == "clientgen_role2"
    assert c.role.delete_role("clientgen_role2") is None

    user = c.user.post_user(
        username="clientgen_user",
        password="pw-123456",
        email="cg@example.invalid",
        first_name="Client",
        last_name="Gen",
        roles=[{"name": "Viewer"}],
    )
    assert user.username == "clientgen_user" and [r.name for r in user.roles] == ["Viewer"]
    assert c.user.get_user("clientgen_user").email == "cg@example.invalid"
    assert "clientgen_user" in [u.username for u in c.user.get_users().users]
    # Airflow validates the whole user even when the mask names one field
    patched = c.user.patch_user(
        "clientgen_user",
        first_name="Renamed",
        last_name="Gen",
        email="cg@example.invalid",
        body_username="clientgen_user",
        update_mask=["first_name"],
    )
    assert patched.first_name == "Renamed"
    assert c.user.delete_user("clientgen_user") is None


def errors(ctx: Ctx) -> None:
    pkg = ctx.pkg
    with pytest.raises(pkg.AuthenticationError) as unauthorized:
        ctx.bad_client.dag.get_dags(limit=1)
    e = unauthorized.value
    assert (e.status, e.title, e.detail) == (401, "Unauthorized", None)
    assert e.type and e.type.endswith("#section/Errors/Unauthenticated")
    with pytest.raises(pkg.BadRequestError) as read_only:
        ctx.client.dag.patch_dag("example_bash_operator", is_paused=True, update_mask=["description"])
    assert read_only.value.detail == "Only `is_paused` field can be updated through the REST API"
    with pytest.raises(pkg.ServerError) as html:
        ctx.client.dag_run.post_dag_run("example_bash_operator", dag_run_id="has a space")
    assert html.value.status == 500 and isinstance(html.value.body, str) and "<html" in html.value.body.lower()


def schedules(ctx: Ctx) -> None:
    """The project's DAG whose schedule is a relativedelta (tests/airflow2/dags/): Airflow 2.x dumps every
    attribute, the absolute ones null unless set, which specs/overlays/airflow-2-fixes.yaml makes nullable."""
    detail = ctx.client.dag.get_dag_details("clientgen_relativedelta")
    schedule = detail.schedule_interval
    assert isinstance(schedule, ctx.models.RelativeDelta)
    assert (schedule.months, schedule.day) == (1, 1)
    assert schedule.year is None and schedule.month is None and schedule.hour is None


SCENARIOS: dict[str, Callable[[Ctx], None]] = {
    fn.__name__: fn
    for fn in (
        monitoring,
        dags,
        dag_runs_and_task_instances,
        mapped_task_instances,
        variables,
        connections,
        pools,
        datasets,
        administration,
        errors,
        schedules,
    )
}
