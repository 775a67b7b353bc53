"""msgspec's union limits (generator/normalise/unions.py): flattening, nullability, untagged struct unions."""

from __future__ import annotations

import ast
import importlib
import json
import sys
from pathlib import Path

import pytest

from clientgen import ir
from clientgen.normalise.unions import UnionFacts, decodable_union
from clientgen.render import render_package
from tests.conftest import ROOT, package_source, run_cli
from tests.normalise import build, fields, model, real, targets


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


UNTAGGED_SPEC = """
paths: {}
components:
  schemas:
    A: {type: object, properties: {a: {type: string}, when: {type: string, format: date-time}}}
    B: {type: object, properties: {b: {type: integer}}}
    Holder:
      type: object
      properties:
        items:
          type: array
          description: The things.
          items: {oneOf: [{$ref: '#/components/schemas/A'}, {$ref: '#/components/schemas/B'}]}
        one:
          nullable: true
          anyOf: [{$ref: '#/components/schemas/A'}, {$ref: '#/components/schemas/B'}]
        plain: {$ref: '#/components/schemas/A'}
"""


def test_untagged_struct_unions_are_recorded_on_the_field(tmp_path: Path) -> None:
    api = build(tmp_path, UNTAGGED_SPEC)
    holder = {f.wire_name: f for f in next(m for m in api.models if m.name == "Holder").fields}
    assert holder["items"].type == ir.ListOf(ir.MapOf(ir.ANY))
    assert holder["items"].untagged_options == ("A", "B")
    assert holder["one"].untagged_options == ("A", "B")
    assert holder["plain"].untagged_options == ()


def test_untagged_union_fields_say_why_they_are_dicts(tmp_path: Path) -> None:
    api = build(tmp_path, UNTAGGED_SPEC)
    out = tmp_path / "pkg"
    out.mkdir()
    source = package_source(render_package(api, "untagged_pkg"), "untagged_pkg", "models")
    tree = ast.parse(source)
    holder = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Holder")
    docs = {}
    for prev, node in zip(holder.body, holder.body[1:], strict=False):
        if isinstance(prev, ast.AnnAssign) and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            assert isinstance(prev.target, ast.Name)
            docs[prev.target.id] = node.value.value
    assert docs["items"].startswith("The things.")
    assert "plain dicts" in docs["items"] and "A | B" in docs["items"]
    assert "no discriminator" in docs["items"]
    assert "msgspec.convert(item, models.A)" in docs["items"]
    assert "msgspec.convert(value, models.A)" in docs["one"]
    assert "plain" not in docs


def test_clear_task_instances_items_documented_and_convertible(tmp_path: Path) -> None:
    api = real("3.3.2")
    response = next(m for m in api.models if m.name == "ClearTaskInstanceCollectionResponse")
    items = next(f for f in response.fields if f.wire_name == "task_instances")
    assert items.untagged_options == ("TaskInstanceResponse", "NewTaskResponse")
    out = tmp_path / "client"
    target = targets()["3.3.2"]
    assert run_cli("generate", target.spec, "-o", out, "--package-name", "af3_models").returncode == 0
    text = package_source(out, "af3_models", "models")
    assert "msgspec.convert(item, models.TaskInstanceResponse)" in text
    assert "NewTaskResponse" in text.split("class ClearTaskInstanceCollectionResponse")[1].split("class ")[0]
    # the recipe the docstring gives works on a recorded item
    sys.path.insert(0, str(out))
    try:
        models = importlib.import_module("af3_models.models")
        import msgspec

        recorded = json.loads(
            (ROOT / "tests" / "fixtures" / "airflow-3.3.2" / "dag_runs_and_task_instances.json").read_text()
        )
        item = next(
            e["response"]["json"]["task_instances"][0]
            for e in recorded["exchanges"]
            if isinstance(e["response"].get("json"), dict) and e["response"]["json"].get("task_instances")
        )
        converted = msgspec.convert(item, models.TaskInstanceResponse)
        assert converted.task_id == item["task_id"]
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.startswith("af3_models")]:
            del sys.modules[name]


# -- the pass alone: IR in, IR out ------------------------------------------------------------------

FACTS = UnionFacts(
    aliases={
        "Pet": ir.Alias("Pet", "", ir.UnionOf((ir.Ref("Cat", "model"), ir.Ref("Dog", "model")), tagged="kind"), "")
    },
    enums={
        "Colour": ir.EnumModel("Colour", "", (ir.EnumMember("RED", "red"),), "str"),
        "Level": ir.EnumModel("Level", "", (ir.EnumMember("V_1", 1),), "int"),
    },
    models={
        "Cat": ir.Model("Cat", "", (), "", tag=("kind", "cat")),
        "Dog": ir.Model("Dog", "", (), "", tag=("kind", "dog")),
        "A": ir.Model("A", "", (), ""),
        "B": ir.Model("B", "", (), ""),
    },
)
STR, INT = ir.Primitive("str"), ir.Primitive("int")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([STR, ir.Ref("Colour", "enum"), ir.Primitive("datetime")], STR),  # one alternative per JSON kind
        ([INT, ir.Ref("Level", "enum"), ir.NONE], ir.UnionOf((INT, ir.NONE))),
        ([ir.ListOf(STR), ir.ListOf(INT)], ir.ListOf(ir.ANY)),
        ([STR, ir.ANY], ir.ANY),
        ([ir.NONE, ir.NONE], ir.NONE),
        (
            [ir.Ref("Pet", "alias"), ir.NONE],
            ir.UnionOf((ir.Ref("Cat", "model"), ir.Ref("Dog", "model"), ir.NONE), tagged="kind"),
        ),
        (
            [ir.Ref("A", "model"), ir.Ref("B", "model")],
            ir.UnionOf((ir.Ref("A", "model"), ir.Ref("B", "model")), by_fields=True),
        ),
        ([ir.Ref("A", "model"), ir.MapOf(STR), STR], ir.UnionOf((ir.MapOf(ir.ANY), STR))),
    ],
)
def test_decodable_union_is_a_pass_over_ir_values(options: list[ir.TypeExpr], expected: ir.TypeExpr) -> None:
    assert decodable_union(options, FACTS) == expected
