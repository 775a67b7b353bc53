from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SPECS = ROOT / "specs"
GENERATED = ROOT / "generated"
AIRFLOW_TARGETS = {
    "2.10.5": ("airflow_rest_2_10_5", GENERATED / "airflow_rest_2_10_5"),
    "2.2.4": ("airflow_rest_2_2_4", GENERATED / "airflow_rest_2_2_4"),
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


MINIMAL = """
openapi: 3.0.3
info: {title: Mini, version: "1.0"}
paths:
  /items/{item_id}:
    get:
      operationId: get_item
      tags: [Item]
      parameters:
        - {name: item_id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
components:
  schemas:
    Item:
      type: object
      properties:
        id: {type: string, readOnly: true}
        name: {type: string}
"""


@pytest.fixture
def minimal_spec(tmp_path: Path) -> Path:
    return write(tmp_path / "spec.yaml", MINIMAL)


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh interpreter: exit code, stdout and stderr as a user sees them."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="session")
def shared_snowflake() -> Path:
    task = SHARED / "specs" / "snowflake" / "task.yaml"
    if not task.is_file():
        pytest.skip(f"../shared is absent: {task} not found (Snowflake spec is read from ../shared, never copied)")
    return task
