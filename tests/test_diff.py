"""`clientgen diff`: changes at the level of the generated client, classified for callers."""

from __future__ import annotations

import collections
import json
from pathlib import Path

from clientgen.diff import diff
from clientgen.loader import load_spec
from clientgen.normalise import normalise
from tests.conftest import SPECS, run_cli, write

V224, V2105, V332 = (
    SPECS / "airflow-2.2.4/v1.yaml",
    SPECS / "airflow-2.10.5/v1.yaml",
    SPECS / "airflow-3.3.2/v2-rest-api-generated.yaml",
)


def changes_between(old: Path, new: Path) -> dict[str, object]:
    result = run_cli("diff", old, new, "--format", "json")
    assert result.returncode == 1, result.stderr  # both upgrades break something
    document: dict[str, object] = json.loads(result.stdout)
    return document


def find(document: dict[str, object], kind: str, subject: str) -> dict[str, object]:
    matches = [c for c in document["changes"] if c["kind"] == kind and c["subject"] == subject]  # type: ignore[attr-defined, index]
    assert len(matches) == 1, (kind, subject)
    return matches[0]  # type: ignore[no-any-return]


def test_airflow_2_2_4_to_2_10_5() -> None:
    d = changes_between(V224, V2105)
    kinds = collections.Counter(c["kind"] for c in d["changes"])  # type: ignore[attr-defined]
    assert kinds["operation added"] == 30 and kinds["operation removed"] == 0
    assert find(d, "model renamed", "models.ClearTaskInstance")["detail"] == "now models.ClearTaskInstances"
    assert find(d, "model renamed", "models.ClearTaskInstance")["breaking"] is True
    assert find(d, "field removed", "models.Pool.used_slots")["breaking"] is True
    assert find(d, "field added", "models.Pool.running_slots")["breaking"] is False
    assert find(d, "field removed", "models.PluginCollectionItem.number")["breaking"] is True
    xcom = find(d, "field type changed", "models.XCom.value")
    assert xcom["breaking"] is True and str(xcom["detail"]).startswith("str -> str | float | int | bool")
    assert find(d, "enum value removed", "models.TaskState.SENSING")["breaking"] is True
    assert find(d, "enum value added", "models.TaskState.RESTARTING")["breaking"] is False
    assert d["breaking"] == 26 and len(d["changes"]) == 228  # type: ignore[arg-type]


def test_airflow_2_10_5_to_3_3_2_complete_changelog() -> None:
    d = changes_between(V2105, V332)
    counts = collections.Counter((c["kind"], c["breaking"]) for c in d["changes"])  # type: ignore[attr-defined]
    assert dict(counts) == {
        ("auth scheme added", False): 2, ("auth scheme removed", True): 3, ("base path changed", True): 1,
        ("enum added", False): 14, ("enum removed", True): 8, ("field added", False): 34,
        ("field made required", False): 184, ("field made required", True): 6,
        ("field nullability changed", False): 5, ("field nullability changed", True): 22, ("field removed", True): 8,
        ("field type changed", True): 47, ("media type added", False): 2, ("media type removed", True): 1,
        ("model added", False): 108, ("model removed", True): 51, ("model renamed", True): 42,
        ("operation added", False): 73, ("operation moved", True): 8, ("operation path changed", False): 55,
        ("operation removed", True): 34, ("parameter added", False): 175, ("parameter removed", True): 21,
        ("parameter type changed", True): 55, ("required parameter added", True): 4, ("result type changed", True): 49,
    }  # fmt: skip
    assert find(d, "base path changed", "Client(base_url)")["detail"] == "/api/v1 -> /"
    assert find(d, "operation path changed", "client.dag.get_dags")["detail"] == "GET /dags -> GET /api/v2/dags"


def test_markdown_changelog_and_exit_codes(tmp_path: Path) -> None:
    same = run_cli("diff", V2105, V2105)
    assert same.returncode == 0 and "0 changes, 0 breaking." in same.stdout
    text = run_cli("diff", V224, V2105).stdout
    assert text.startswith("# Client changes: specs/airflow-2.2.4/v1.yaml")
    assert "## Breaking (26)" in text and "### operation added (30)" in text
    assert "- `models.Pool.used_slots`: int" in text


BASE = """
openapi: 3.0.3
info: {title: T, version: "1"}
paths:
  /items:
    get:
      operationId: list_items
      parameters: [PARAMS]
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
components:
  schemas:
    Item:
      type: object
      properties:
        name: {type: string}
        size: {type: integer, nullable: NULLABLE}
        state: {$ref: '#/components/schemas/State'}
    State: {type: string, enum: [STATES]}
"""


def api(tmp_path: Path, name: str, params: str, nullable: str, states: str):  # type: ignore[no-untyped-def]
    text = BASE.replace("PARAMS", params).replace("NULLABLE", nullable).replace("STATES", states)
    return normalise(load_spec(write(tmp_path / f"{name}.yaml", text)))


def test_classification_rules(tmp_path: Path) -> None:
    old = api(tmp_path, "old", "{name: q, in: query, schema: {type: string}}", "false", "a, b")
    params = (
        "{name: q, in: query, required: true, schema: {type: string}}, {name: extra, in: query, schema: {type: string}}"
    )
    new = api(tmp_path, "new", params, "true", "a, c")
    got = {(c.kind, c.subject): c.breaking for c in diff(old, new)}
    assert got == {
        ("parameter added", "client.default.list_items(extra=)"): False,
        ("parameter made required", "client.default.list_items(q=)"): True,
        ("field nullability changed", "models.Item.size"): True,
        ("enum value added", "models.State.C"): False,
        ("enum value removed", "models.State.B"): True,
    }
    assert (
        diff(new, old) != []
        and all(c.breaking is False for c in diff(new, old) if c.kind == "parameter removed") is False
    )
