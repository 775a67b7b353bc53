"""``clientgen drift SPEC RECORDINGS...`` on the project's recordings of real Airflow 2.10.5 and 3.3.2
servers: it rediscovers the fixes in specs/overlays/ that those recordings exercise, and its draft
overlay makes the spec match them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT, SPECS, run_cli

FIXTURES = ROOT / "tests" / "fixtures"
SPEC_2 = SPECS / "airflow-2.10.5" / "v1.yaml"
OVERLAYS_2 = [
    SPECS / "overlays" / name for name in ("airflow-2-fixes.yaml", "airflow-2.9-fixes.yaml", "airflow-2.10-fixes.yaml")
]
RECORDINGS_2 = sorted((FIXTURES / "airflow-2.10.5").glob("*.json"))


def drift(spec: Path, recordings: list[Path], *extra: str | Path) -> tuple[int, str, str]:
    result = run_cli("drift", spec, *recordings, *extra)
    return result.returncode, result.stdout, result.stderr


def actions(overlay: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(overlay.read_text())["actions"])


def test_the_2_10_5_recordings_rediscover_the_collection_fixes(tmp_path: Path) -> None:
    draft = tmp_path / "draft.yaml"
    code, out, err = drift(SPEC_2, RECORDINGS_2, "--draft", draft)
    assert code == 1 and err == ""
    assert "QueuedEventCollection.queued_events: undeclared field: 2x in GET /dags/{dag_id}/datasets/queuedEvent" in out
    assert "TaskInstanceHistoryCollection.task_instances: undeclared field: 2x" in out
    drafted = {(a["target"], key) for a in actions(draft) for key in a.get("update", {})}
    # the same places the hand-written overlays fix, found from the recordings alone
    for name in ("airflow-2.9-fixes.yaml", "airflow-2.10-fixes.yaml"):
        fixed = {(a["target"], key) for a in actions(SPECS / "overlays" / name) for key in a.get("update", {})}
        assert fixed <= drafted, name
    # what else the server sends that the spec does not say
    for found in ("Task.operator_name: undeclared field", "VariableCollectionItem.value: undeclared field"):
        assert found in out
    assert "POST /dags/{dag_id}/dagRuns: undeclared status (500)" in out


def test_with_the_projects_overlays_those_disagreements_are_gone() -> None:
    extra = [a for overlay in OVERLAYS_2 for a in ("--overlay", overlay)]
    code, out, _ = drift(SPEC_2, RECORDINGS_2, *extra)
    assert code == 1  # others remain (the report above)
    assert "queued_events" not in out.split("# draft overlay")[0] and "TaskInstanceHistoryCollection" not in out


def test_the_draft_makes_the_spec_match_what_it_can_fix(tmp_path: Path) -> None:
    draft = tmp_path / "draft.yaml"
    assert drift(SPEC_2, RECORDINGS_2, "--draft", draft)[0] == 1
    code, out, _ = drift(SPEC_2, RECORDINGS_2, "--overlay", draft, "--draft", tmp_path / "again.yaml")
    assert "undeclared field" not in out and "null in a non-nullable field" not in out
    assert actions(tmp_path / "again.yaml") == []
    assert code == 1  # statuses and media types are for a person to judge: reported, not drafted


def test_the_relative_delta_nulls_are_rediscovered_from_a_recording_and_from_har(tmp_path: Path) -> None:
    """tests/fixtures/airflow-2.10.5/schedules.json: a real 2.10.5 answering for a DAG whose schedule is a
    relativedelta; the same exchange exported as a browser would (HAR) gives the same draft."""
    absolute = (".year", ".month", ".hour", ".minute", ".second", ".microsecond")  # day is set in that DAG
    fixed = {
        a["target"]
        for a in actions(SPECS / "overlays" / "airflow-2-fixes.yaml")
        if a.get("update") == {"nullable": True} and a["target"].endswith(absolute)
    }
    assert len(fixed) == 6
    recording = FIXTURES / "airflow-2.10.5" / "schedules.json"
    exchange = json.loads(recording.read_text())["exchanges"][0]
    har = {
        "log": {
            "version": "1.2",
            "entries": [
                {
                    "request": {"method": "GET", "url": f"http://127.0.0.1:8080{exchange['request']['path']}"},
                    "response": {
                        "status": exchange["response"]["status"],
                        "content": {"mimeType": "application/json", "text": json.dumps(exchange["response"]["json"])},
                    },
                }
            ],
        }
    }
    (tmp_path / "session.har").write_text(json.dumps(har))
    for source in (recording, tmp_path / "session.har"):
        draft = tmp_path / "draft.yaml"
        code, out, _ = drift(SPEC_2, [source], "--draft", draft)
        assert code == 1
        assert "RelativeDelta.year: null in a non-nullable field: 1x in GET /dags/{dag_id}/details" in out
        assert fixed <= {a["target"] for a in actions(draft) if a.get("update") == {"nullable": True}}
        code, out, _ = drift(SPEC_2, [source], "--overlay", OVERLAYS_2[0])
        assert "RelativeDelta" not in out  # (the answer has other disagreements: template_searchpath)


def test_the_3_3_2_recordings(tmp_path: Path) -> None:
    recordings = sorted((FIXTURES / "airflow-3.3.2").glob("*.json"))
    code, out, _ = drift(
        SPECS / "airflow-3.3.2" / "v2-rest-api-generated.yaml", recordings, "--draft", tmp_path / "d.yaml"
    )
    assert code == 1
    assert out.splitlines()[0] == "89 recorded answers checked; 1 disagreement(s) with the spec"
    assert "DELETE /api/v2/dags/{dag_id}: undeclared status (204)" in out
    assert "1 request path(s) no operation serves: POST /auth/token" in out


def test_unreadable_recordings_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"something": 1}')
    code, out, err = drift(SPEC_2, [bad])
    assert code == 2 and out == "" and "neither a HAR file nor clientgen's recordings" in err and err.count("\n") == 1
