"""Discriminators (generator/normalise/discriminators.py): oneOf+mapping, base-with-mapping."""

from __future__ import annotations

from pathlib import Path

from generator import ir
from tests.normalise import build, fields, model


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
