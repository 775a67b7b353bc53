"""``clientgen diff OLD NEW --usage PATH...``: the lines of a user's own code a client change affects,
on a small sample application written against the Airflow 2.2.4 client (tests/fixtures/usage_sample),
upgraded to 2.10.5 and to 3.3.2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clientgen.config import load_targets
from tests.conftest import ROOT, run_cli

SAMPLE = ROOT / "tests" / "fixtures" / "usage_sample"
JOBS = "tests/fixtures/usage_sample/myapp/jobs.py"
TARGETS = {t.name: t for t in load_targets(ROOT / "pyproject.toml")}


def usage(new: str, *paths: str | Path, json_format: bool = False) -> tuple[int, str, str]:
    old_target, new_target = TARGETS["airflow-2.2.4"], TARGETS[f"airflow-{new}"]
    args: list[str | Path] = ["diff", old_target.spec, new_target.spec]
    args += [a for o in old_target.overlays for a in ("--old-overlay", o)]
    args += [a for o in new_target.overlays for a in ("--new-overlay", o)]
    args += ["--usage", *paths] + (["--format", "json"] if json_format else [])
    result = run_cli(*args)
    return result.returncode, result.stdout, result.stderr


def test_the_sample_against_2_10_5_lists_each_affected_line() -> None:
    code, out, err = usage("2.10.5", SAMPLE)
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"{JOBS}:11: BREAKING models.Pool.used_slots: field removed (int)",
        f"{JOBS}:15: BREAKING models.ClearTaskInstance: model renamed (now models.ClearTaskInstances)",
        f"{JOBS}:20: BREAKING models.TaskInstance.queue: field nullability changed (may now be None)",
        f"{JOBS}:20: BREAKING models.TaskState.SENSING: enum value removed ('sensing')",
        f"{JOBS}:30: BREAKING models.XCom.value: field type changed "
        "(str -> str | float | int | bool | list[Any] | dict[str, Any] | None)",
        f"{JOBS}:34: BREAKING models.DAGDetail.timezone: field nullability changed (may now be None)",
        "6 use(s) affected, 6 breaking.",
    ]


def test_the_sample_against_3_3_2_sees_moved_operations_removed_parameters_and_models() -> None:
    code, out, _ = usage("3.3.2", SAMPLE)
    assert code == 1
    lines = out.splitlines()
    for expected in [
        f"{JOBS}:6: BREAKING models.TaskState: enum removed",
        f"{JOBS}:10: BREAKING client.pool.get_pool(...): result type changed (Pool -> PoolResponse)",
        f"{JOBS}:11: BREAKING models.Pool.slots: model removed (v1.yaml#/components/schemas/Pool)",
        f"{JOBS}:16: BREAKING client.dag.post_clear_task_instances(...): operation moved "
        "(now client.task_instance.post_clear_task_instances)",
        f"{JOBS}:24: BREAKING client.dag.get_dags(only_active=): parameter removed (query only_active)",
    ]:
        assert expected in lines
    assert not any("get_dags(limit=)" in line for line in lines)  # limit is still there
    assert lines[-1].endswith("breaking.") and int(lines[-1].split()[0]) > 10


def test_json_and_code_the_change_does_not_touch(tmp_path: Path) -> None:
    untouched = tmp_path / "ok.py"
    untouched.write_text("from airflow_rest_2_2_4 import models\n\nprint(models.DAG(dag_id='x').dag_id)\n")
    code, out, err = usage("2.10.5", untouched, json_format=True)
    assert (code, err) == (0, "")
    assert json.loads(out) == {"breaking": 0, "uses": []}
    code, out, _ = usage("2.10.5", SAMPLE / "myapp" / "jobs.py", json_format=True)
    report = json.loads(out)
    assert code == 1 and report["breaking"] == 6
    assert report["uses"][0] == {
        "file": JOBS,
        "line": 11,
        "code": "models.Pool.used_slots",
        "kind": "field removed",
        "subject": "models.Pool.used_slots",
        "detail": "int",
        "breaking": True,
    }


def test_generated_output_in_the_scanned_folder_is_skipped(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "app")
    shutil.copytree(ROOT / "generated" / "airflow_rest_2_2_4", tmp_path / "app" / "vendored")
    code, out, _ = usage("2.10.5", tmp_path / "app")
    assert code == 1 and "vendored" not in out and out.splitlines()[-1] == "6 use(s) affected, 6 breaking."


@pytest.mark.parametrize(
    ("text", "message"), [("def f(:\n", "cannot read as Python: invalid syntax"), (None, "no such")]
)
def test_an_unreadable_path_is_one_line(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "bad.py"
    if text is not None:
        path.write_text(text)
    code, out, err = usage("2.10.5", path)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1
