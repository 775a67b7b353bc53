"""Discriminators (generator/normalise/discriminators.py): oneOf+mapping, base-with-mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientgen import ir
from clientgen.errors import SpecError
from tests.normalise import build, fields, model, op


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


def test_variants_that_only_wrap_their_base_are_models_not_a_cycle(tmp_path: Path) -> None:
    """Snowflake's table.yaml: ``PrimaryKey: {allOf: [$ref: Constraint]}`` and Constraint's mapping names
    PrimaryKey; taken as a plain wrapper, each was the other's type without end ("nesting too deep")."""
    api = build(
        tmp_path,
        """
paths:
  /c:
    get:
      operationId: get_constraint
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Constraint"}}}}
components:
  schemas:
    Constraint:
      type: object
      properties:
        name: {type: string}
        constraint_type: {type: string}
      discriminator:
        propertyName: constraint_type
        mapping: {PRIMARY KEY: PrimaryKey, FOREIGN KEY: ForeignKey}
    PrimaryKey:
      allOf: [{$ref: "#/components/schemas/Constraint"}]
      type: object
    ForeignKey:
      allOf: [{$ref: "#/components/schemas/Constraint"}]
      properties:
        referenced_table_name: {type: string}
""",
    )
    assert model(api, "PrimaryKey").tag == ("constraint_type", "PRIMARY KEY")
    assert set(fields(model(api, "PrimaryKey"))) == {"name"}
    assert model(api, "ForeignKey").tag == ("constraint_type", "FOREIGN KEY")
    result = op(api, "get_constraint").result_type
    assert isinstance(result, ir.Ref) and result.kind == "alias"


def test_a_mapping_entry_whose_target_is_missing_is_a_warning_and_left_out(tmp_path: Path) -> None:
    """Snowflake's cortex-analyst.yaml maps ``chart`` to a schema the document does not have."""
    api = build(
        tmp_path,
        """
paths:
  /m:
    get:
      operationId: get_message
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Content"}}}}
components:
  schemas:
    Content:
      oneOf: [{$ref: "#/components/schemas/Text"}, {$ref: "#/components/schemas/Sql"}]
      discriminator:
        propertyName: type
        mapping:
          text: "#/components/schemas/Text"
          sql: "#/components/schemas/Sql"
          chart: "#/components/schemas/Chart"
    Text: {type: object, properties: {type: {type: string}, text: {type: string}}}
    Sql: {type: object, properties: {type: {type: string}, statement: {type: string}}}
""",
    )
    assert model(api, "Text").tag == ("type", "text") and model(api, "Sql").tag == ("type", "sql")
    (warning,) = api.diagnostics
    assert warning.pointer == "/components/schemas/Content/discriminator/mapping/chart"
    assert "Chart" in warning.message and "left out" in warning.message and warning.line == 19


_CONST_TAGGED = """
paths: {}
components:
  schemas:
    Create: {type: object, required: [action], properties: {action: {type: string, const: create}}}
    Delete: {type: object, required: [action], properties: {action: {type: string, const: delete}}}
    Body:
      type: object
      properties:
        actions:
          type: array
          items: {oneOf: [{$ref: '#/components/schemas/Create'}, {$ref: '#/components/schemas/Delete'}]}
"""


def test_a_const_tagged_union_is_read_in_schemas_not_in_data(tmp_path: Path) -> None:
    """``oneOf`` alternatives told apart by a ``const`` property are tagged variants; the same list inside an
    example or an extension is data, which holds no schema (the walk that finds references skips it too)."""
    api = build(tmp_path, _CONST_TAGGED)
    assert model(api, "Create").tag == ("action", "create") and model(api, "Delete").tag == ("action", "delete")
    alternatives = "[{$ref: '#/components/schemas/Create'}, {$ref: '#/components/schemas/Delete'}]"
    in_data = _CONST_TAGGED.replace(
        "          items: {oneOf:", "          items: {type: object}\n          example: {oneOf:"
    )
    in_data = in_data.replace("    Body:", f"    Other: {{x-alternatives: {{anyOf: {alternatives}}}}}\n    Body:")
    api = build(tmp_path, in_data)
    assert model(api, "Create").tag is None and model(api, "Delete").tag is None


def test_a_component_named_like_data_is_read_as_a_schema(tmp_path: Path) -> None:
    """Components are named by the spec: a schema called ``default`` or ``example`` is a schema, its union is
    read and its references are checked (the walk skips those keys as data elsewhere)."""
    named = _CONST_TAGGED.replace("    Body:", "    default:")
    api = build(tmp_path, named)
    assert model(api, "Create").tag == ("action", "create")
    broken = named.replace("    default:", "    example: {$ref: '#/components/schemas/Missing'}\n    default:")
    with pytest.raises(SpecError, match="Missing"):
        build(tmp_path, broken)
