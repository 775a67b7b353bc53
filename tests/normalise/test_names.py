"""Names (generator/normalise/api.py, base.py, names.py): Python-safe, deterministic, order-independent."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientgen import ir
from clientgen.loader import load_spec
from clientgen.normalise import normalise
from tests.conftest import ROOT, SPECS, write
from tests.normalise import build, model, op


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
    spec = ROOT / "specs" / "airflow-2.10.5" / "v1.yaml"
    assert normalise(load_spec(spec)) == normalise(load_spec(spec))


@pytest.mark.parametrize(
    ("version", "operations", "update_masks", "paged"), [("2.10.5", 89, 7, 20), ("2.2.4", 59, 6, 13)]
)
def test_airflow_specs(version: str, operations: int, update_masks: int, paged: int) -> None:
    spec = ROOT / "specs" / f"airflow-{version}" / "v1.yaml"
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
