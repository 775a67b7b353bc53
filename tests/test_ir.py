"""Normaliser decisions, asserted on the IR built from small inline specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import ir
from generator.loader import load_spec
from generator.normalise import normalise
from tests.conftest import SPECS, write

HEAD = """
openapi: 3.0.3
info: {title: T, version: "1"}
"""


def build(tmp_path: Path, body: str) -> ir.Api:
    return normalise(load_spec(write(tmp_path / "spec.yaml", HEAD + body)))


def op(api: ir.Api, name: str) -> ir.Operation:
    return next(o for o in api.operations if o.operation_id == name)


def model(api: ir.Api, name: str) -> ir.Model:
    return next(m for m in api.models if m.name == name)


def fields(m: ir.Model) -> dict[str, ir.Field]:
    return {f.wire_name: f for f in m.fields}


def test_path_item_and_operation_parameters_merge(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /dags/{dag_id}/runs:
    parameters:
      - {name: dag_id, in: path, required: true, schema: {type: string}}
      - {name: limit, in: query, schema: {type: integer}, description: shared}
    get:
      operationId: list_runs
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1}, description: own}
        - {name: state, in: query, schema: {type: array, items: {type: string}}}
        - {name: update_mask, in: query, style: form, explode: false, schema: {type: array, items: {type: string}}}
      responses: {"204": {description: ok}}
""",
    )
    params = {p.wire_name: p for p in op(api, "list_runs").parameters}
    assert list(params) == ["dag_id", "limit", "state", "update_mask"]
    assert params["limit"].description == "own"  # the operation's own parameter wins
    assert params["dag_id"].location == "path" and params["dag_id"].required
    assert params["state"].list_style == "repeat"
    assert params["update_mask"].list_style == "csv"


def test_literal_tilde_and_format_path(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /dags/~/dagRuns/list:
    post: {operationId: batch, responses: {"204": {description: ok}}}
  /variables/{variable_key}:
    get:
      operationId: get_variable
      parameters: [{name: variable_key, in: path, required: true, schema: {type: string, format: path}}]
      responses: {"204": {description: ok}}
""",
    )
    assert op(api, "batch").path == "/dags/~/dagRuns/list"
    assert op(api, "batch").path_params == ()
    assert op(api, "get_variable").path_params[0].type == ir.Primitive("str")


def test_all_of_envelope_and_inheritance(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths: {}
components:
  schemas:
    CollectionInfo:
      type: object
      properties: {total_entries: {type: integer}}
    Item:
      type: object
      properties: {name: {type: string}}
    ItemCollection:
      type: object
      allOf:
        - type: object
          properties:
            items: {type: array, items: {$ref: '#/components/schemas/Item'}}
        - $ref: '#/components/schemas/CollectionInfo'
    Detailed:
      allOf:
        - $ref: '#/components/schemas/Item'
        - type: object
          required: [extra]
          properties: {extra: {type: string}}
""",
    )
    collection = fields(model(api, "ItemCollection"))
    assert list(collection) == ["items", "total_entries"]
    assert collection["items"].type == ir.ListOf(ir.Ref("Item", "model"))
    detailed = fields(model(api, "Detailed"))
    assert list(detailed) == ["name", "extra"]
    assert detailed["extra"].required and not detailed["name"].required


def test_discriminator_without_mapping_uses_schema_names(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths: {}
components:
  schemas:
    ScheduleInterval:
      nullable: true
      readOnly: true
      anyOf:
        - $ref: "#/components/schemas/TimeDelta"
        - $ref: "#/components/schemas/CronExpression"
      discriminator: {propertyName: __type}
    TimeDelta:
      type: object
      required: [__type, days]
      properties:
        __type: {type: string}
        days: {type: integer}
    CronExpression:
      type: object
      required: [__type, value]
      properties:
        __type: {type: string}
        value: {type: string}
""",
    )
    alias = next(a for a in api.aliases if a.name == "ScheduleInterval")
    assert alias.type == ir.UnionOf(
        (ir.Ref("TimeDelta", "model"), ir.Ref("CronExpression", "model"), ir.NONE), tagged="__type"
    )
    assert model(api, "TimeDelta").tag == ("__type", "TimeDelta")
    assert "__type" not in fields(model(api, "TimeDelta"))  # carried by the tag, not a field


def test_base_class_discriminator_with_mapping(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths: {}
components:
  schemas:
    Task:
      type: object
      properties: {schedule: {$ref: '#/components/schemas/TaskSchedule'}}
    TaskSchedule:
      type: object
      required: [schedule_type]
      properties:
        schedule_type: {type: string, enum: [CRON_TYPE, MINUTES_TYPE]}
      discriminator:
        propertyName: schedule_type
        mapping:
          CRON_TYPE: '#/components/schemas/CronSchedule'
          MINUTES_TYPE: '#/components/schemas/MinutesSchedule'
    CronSchedule:
      allOf:
        - $ref: '#/components/schemas/TaskSchedule'
        - {type: object, properties: {cron_expr: {type: string}}}
    MinutesSchedule:
      allOf:
        - $ref: '#/components/schemas/TaskSchedule'
        - {type: object, properties: {minutes: {type: integer}}}
""",
    )
    assert model(api, "CronSchedule").tag == ("schedule_type", "CRON_TYPE")
    assert list(fields(model(api, "CronSchedule"))) == ["cron_expr"]
    schedule = fields(model(api, "Task"))["schedule"].type
    assert schedule == ir.Ref("TaskSchedule", "alias")
    alias = next(a for a in api.aliases if a.name == "TaskSchedule")
    assert alias.type == ir.UnionOf(
        (ir.Ref("CronSchedule", "model"), ir.Ref("MinutesSchedule", "model")), tagged="schedule_type"
    )


def test_any_of_without_discriminator_and_nullability(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths: {}
components:
  schemas:
    State: {type: string, enum: [running, success, null, none], nullable: true}
    XCom:
      type: object
      properties:
        value:
          anyOf:
            - {type: string}
            - {type: number}
            - {type: integer}
            - {type: boolean}
            - {type: array, items: {}}
            - {type: object, nullable: true}
        state: {$ref: '#/components/schemas/State'}
        old_state: {$ref: '#/components/schemas/Plain', nullable: true}
        when: {type: string, format: datetime}
        free: {type: object}
    Plain: {type: string}
""",
    )
    xcom = fields(model(api, "XCom"))
    assert ir.annotation(xcom["value"].type) == "str | float | int | bool | list[Any] | dict[str, Any] | None"
    assert ir.annotation(xcom["state"].type) == "State | None"
    state = next(e for e in api.enums if e.name == "State")
    assert [m.value for m in state.members] == ["running", "success", "none"]
    assert [m.py_name for m in state.members] == ["RUNNING", "SUCCESS", "NONE"]
    assert ir.annotation(xcom["old_state"].type) == "str | None"  # nullable beside $ref (2.2.4)
    assert xcom["when"].type == ir.Primitive("datetime")  # non-standard format: datetime
    assert xcom["free"].type == ir.MapOf(ir.ANY)


def test_read_only_never_in_requests_write_only_never_required_in_responses(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /runs:
    post:
      operationId: post_run
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Run'}}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/Run'}}}
components:
  schemas:
    Run:
      type: object
      required: [password]
      properties:
        run_id: {type: string}
        state: {type: string, readOnly: true}
        external_trigger: {type: boolean, readOnly: true}
        password: {type: string, writeOnly: true}
""",
    )
    post = op(api, "post_run")
    assert post.body is not None and post.body.model == "RunRequest"
    assert [f.wire_name for f in post.body.fields] == ["run_id", "password"]
    assert fields(model(api, "RunRequest"))["password"].required
    response = fields(model(api, "Run"))
    assert not response["password"].required and response["state"].read_only
    assert post.result_type == ir.Ref("Run", "model")


def test_update_mask_and_pagination(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /pools:
    get:
      operationId: get_pools
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: offset, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/PoolCollection'}}}
  /pools/{name}:
    patch:
      operationId: patch_pool
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
        - {name: update_mask, in: query, style: form, explode: false, schema: {type: array, items: {type: string}}}
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Pool'}}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pool'}}}}
components:
  schemas:
    Pool: {type: object, properties: {name: {type: string}, slots: {type: integer}}}
    PoolCollection:
      allOf:
        - {type: object, properties: {pools: {type: array, items: {$ref: '#/components/schemas/Pool'}}}}
        - {type: object, properties: {total_entries: {type: integer}}}
""",
    )
    patch = op(api, "patch_pool")
    assert patch.update_mask is not None and patch.update_mask.wire_name == "update_mask"
    assert patch.pagination is None
    paging = op(api, "get_pools").pagination
    assert paging == ir.Pagination("iter_pools", "limit", "offset", "pools", "total_entries", ir.Ref("Pool", "model"))


def test_media_types_per_response(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /source:
    get:
      operationId: get_source
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {type: object, properties: {content: {type: string}}}}
            plain/text: {schema: {type: string}}
  /gone:
    delete:
      operationId: delete_it
      responses: {"204": {description: gone}}
""",
    )
    source = op(api, "get_source")
    assert [(c.media_type, c.kind) for c in source.accepts] == [("application/json", "json"), ("plain/text", "text")]
    assert source.result_type == ir.Ref("GetSourceResponse", "model")
    assert op(api, "delete_it").result_type == ir.NONE


def test_python_safe_names_keep_wire_names(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /x/{class}:
    get:
      operationId: getThing
      tags: [DAGRun]
      parameters:
        - {name: class, in: path, required: true, schema: {type: string}}
        - {name: type, in: query, schema: {type: string}}
        - {name: dagId, in: query, schema: {type: string}}
        - {name: dag_id, in: query, schema: {type: string}}
      responses: {"204": {description: ok}}
components:
  schemas:
    Weird:
      type: object
      properties:
        schema: {type: string}
        type: {type: string}
        import: {type: string}
        fooBar: {type: string}
        foo_bar: {type: string}
        "9lives": {type: string}
    list: {type: object, properties: {a: {type: string}}}
    Model: {type: object, properties: {a: {type: string}}}
    str: {type: string, enum: [a]}
""",
    )
    thing = op(api, "getThing")
    assert (thing.group, thing.py_name) == ("dag_run", "get_thing")
    assert [(p.wire_name, p.py_name) for p in thing.parameters] == [
        ("class", "class_"),
        ("type", "type_"),
        ("dagId", "dag_id"),
        ("dag_id", "dag_id_2"),
    ]
    weird = [(f.wire_name, f.py_name) for f in model(api, "Weird").fields]
    assert weird == [
        ("schema", "schema"),
        ("type", "type_"),
        ("import", "import_"),
        ("fooBar", "foo_bar"),
        ("foo_bar", "foo_bar_2"),
        ("9lives", "field_9lives"),
    ]
    assert {m.name for m in api.models} >= {"List", "ModelModel"}  # Model is the runtime's base class
    assert {e.name for e in api.enums} == {"Str"}


def test_determinism_of_the_whole_ir(tmp_path: Path) -> None:
    spec = Path(__file__).resolve().parent.parent / "specs" / "airflow-2.10.5" / "v1.yaml"
    assert normalise(load_spec(spec)) == normalise(load_spec(spec))


@pytest.mark.parametrize(
    ("version", "operations", "update_masks", "paged"), [("2.10.5", 89, 7, 20), ("2.2.4", 59, 6, 13)]
)
def test_airflow_specs(version: str, operations: int, update_masks: int, paged: int) -> None:
    spec = Path(__file__).resolve().parent.parent / "specs" / f"airflow-{version}" / "v1.yaml"
    api = normalise(load_spec(spec))
    assert len(api.operations) == operations
    assert len({o.operation_id for o in api.operations}) == operations
    assert sum(1 for o in api.operations if any(p.wire_name == "update_mask" for p in o.parameters)) == update_masks
    limit_offset = [o for o in api.operations if {"limit", "offset"} <= {p.wire_name for p in o.parameters}]
    assert len(limit_offset) == paged
    assert api.base_path == "/api/v1"
    dag_run = next(o for o in api.operations if o.operation_id == "post_dag_run")
    assert dag_run.group == "dag_run" and dag_run.body is not None
    assert "external_trigger" not in {f.wire_name for f in dag_run.body.fields}
    assert "state" not in {f.wire_name for f in dag_run.body.fields}
    schedule = next(a for a in api.aliases if a.name == "ScheduleInterval")
    assert isinstance(schedule.type, ir.UnionOf) and schedule.type.tagged == "__type"


@pytest.mark.parametrize("seed", [0, 1])
def test_names_do_not_depend_on_the_order_of_the_spec(tmp_path: Path, seed: int) -> None:
    """Shuffled schemas and paths give the same model names: an inline schema is named after the
    component it is written in (``UserCollectionItemRolesItem``), not after whichever schema reached it
    first (``User`` extends ``UserCollectionItem``; seed 0 used to give ``UserRolesItem``)."""
    import random

    import yaml

    spec = SPECS / "airflow-2.10.5" / "v1.yaml"
    data = yaml.safe_load(spec.read_text())
    shuffled = dict(data)
    for section, get in (("paths", lambda d: d["paths"]), ("schemas", lambda d: d["components"]["schemas"])):
        items = list(get(data).items())
        random.Random(seed).shuffle(items)
        if section == "paths":
            shuffled["paths"] = dict(items)
        else:
            shuffled["components"] = {**data["components"], "schemas": dict(items)}
    copy = tmp_path / "v1.yaml"
    copy.write_text(yaml.safe_dump(shuffled, sort_keys=False))

    def names(path: Path) -> tuple[list[str], dict[str, str]]:
        api = normalise(load_spec(path, validate=False))
        models = sorted(m.name for m in (*api.models, *api.enums, *api.aliases))
        return models, {op.operation_id: repr(op.result_type) for op in api.operations}

    original, reordered = names(spec), names(copy)
    assert "UserCollectionItemRolesItem" in original[0]
    assert reordered == original


COLLIDING = """
openapi: 3.0.3
info: {title: C, version: "1"}
paths:
  PATHS
"""
COLLIDING_PATHS = {
    "/first": "{get: {operationId: a_b, responses: {'200': {description: ok, content: {application/json: "
    "{schema: {type: object, properties: {first: {type: string}}}}}}}}}",
    "/second": "{get: {operationId: aB, responses: {'200': {description: ok, content: {application/json: "
    "{schema: {type: object, properties: {second: {type: string}}}}}}}}}",
}


def test_colliding_inline_names_are_settled_by_path_not_by_spec_order(tmp_path: Path) -> None:
    """``a_b`` and ``aB`` both want ``ABResponse``: which one gets the suffix follows the sorted paths,
    so reordering the spec cannot rename a model under its user."""

    def results(order: list[str]) -> dict[str, str]:
        paths = "\n  ".join(f"{p}: {COLLIDING_PATHS[p]}" for p in order)
        api = normalise(load_spec(write(tmp_path / "c.yaml", COLLIDING.replace("PATHS", paths)), validate=False))
        return {op.operation_id: repr(op.result_type) for op in api.operations}

    forward, backward = results(["/first", "/second"]), results(["/second", "/first"])
    assert forward == backward
    assert sorted(forward.values()) == ["Ref(name='ABResponse', kind='model')", "Ref(name='ABResponse2', kind='model')"]
