"""The version bump a generated package's API change implies (``clientgen diff --semver``), read from
the generated package, and a target whose package version follows it (``semver = true``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from clientgen.config import load_targets
from clientgen.semver import next_version
from tests.conftest import ROOT, run_cli

TARGETS = {t.name: t for t in load_targets(ROOT / "pyproject.toml")}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Pets", "version": "1.0.0"},
    "paths": {
        "/pets/{pet_id}": {
            "get": {
                "operationId": "get_pet",
                "tags": ["pet"],
                "parameters": [
                    {"name": "pet_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "fields", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "a pet",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Pet": {
                "type": "object",
                "description": "A pet.",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            }
        }
    },
}


def changed(edit: str) -> dict[str, Any]:
    spec = copy.deepcopy(SPEC)
    operation = spec["paths"]["/pets/{pet_id}"]["get"]
    pet = spec["components"]["schemas"]["Pet"]
    if edit == "optional parameter added":
        operation["parameters"].append({"name": "verbose", "in": "query", "schema": {"type": "boolean"}})
    elif edit == "operation added":
        spec["paths"]["/pets"] = {"get": {**copy.deepcopy(operation), "operationId": "list_pets", "parameters": []}}
    elif edit == "description changed":
        pet["description"] = "A pet, as the shop knows it."
    elif edit == "required field added":
        pet["required"] = ["name", "owner"]
        pet["properties"]["owner"] = {"type": "string"}
    elif edit == "parameter removed":
        operation["parameters"].pop()
    elif edit == "operation removed":
        spec["paths"]["/pets"] = spec["paths"].pop("/pets/{pet_id}")
        spec["paths"]["/pets"]["get"]["operationId"] = "get_pets"
        spec["paths"]["/pets"]["get"]["parameters"] = []
    return spec


def write(path: Path, spec: dict[str, Any]) -> Path:
    path.write_text(json.dumps(spec))
    return path


@pytest.mark.parametrize(
    ("edit", "level"),
    [
        ("nothing", "none"),
        ("description changed", "patch"),
        ("optional parameter added", "minor"),
        ("operation added", "minor"),
        ("required field added", "major"),
        ("parameter removed", "major"),
        ("operation removed", "major"),
    ],
)
def test_diff_semver_reads_the_bump_from_the_generated_package(tmp_path: Path, edit: str, level: str) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()  # the same file name: docstrings name the schema's file
    old, new = write(tmp_path / "old" / "pets.json", SPEC), write(tmp_path / "new" / "pets.json", changed(edit))
    result = run_cli("diff", old, new, "--semver")
    assert result.stdout.splitlines()[0] == level, result.stdout + result.stderr
    assert result.returncode == (1 if level == "major" else 0)


def test_diff_semver_on_airflow_2_10_5_to_2_11_2_is_major_for_weight_rule() -> None:
    old, new = TARGETS["airflow-2.10.5"], TARGETS["airflow-2.11.2"]
    result = run_cli("diff", old.spec, new.spec, "--semver")
    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == ["major", "  removed: models.WeightRule"]
    assert "  changed: models.Task.weight_rule" in result.stdout.splitlines()


def test_next_version() -> None:
    assert [next_version("2.10.5", level) for level in ("none", "patch", "minor", "major")] == [
        "2.10.5",
        "2.10.6",
        "2.11.0",
        "3.0.0",
    ]
    assert next_version("1", "minor") == "1.1.0"


@pytest.mark.slow
def test_a_semver_target_bumps_its_version_by_what_its_api_changed(tmp_path: Path) -> None:
    spec = write(tmp_path / "pets.json", SPEC)
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.clientgen.targets]]\nspec = "pets.json"\noutput = "out"\npackage-name = "pets"\n'
        'package-version = "1.0.0"\nsemver = true\n'
    )

    def regenerate(edit: str) -> str:
        write(spec, changed(edit))
        result = run_cli("generate", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        manifest = json.loads((tmp_path / "out" / ".clientgen-manifest.json").read_text())
        version = str(manifest["package_version"])
        assert f'version = "{version}"' in (tmp_path / "out" / "pyproject.toml").read_text()
        return version

    assert regenerate("nothing") == "1.0.0"
    assert regenerate("nothing") == "1.0.0"  # unchanged
    assert regenerate("operation added") == "1.1.0"
    assert regenerate("operation added") == "1.1.0"
    assert regenerate("nothing") == "2.0.0"  # the operation is gone again
    assert regenerate("description changed") == "2.0.1"
    assert run_cli("generate", "--semver", cwd=tmp_path).returncode == 2  # --semver is for a SPEC argument
