"""The validator's keyword walk by units (``validation._WalkUnits``): after a run that found nothing, a path item
that reads as it did then is not walked again, nor are the components when nothing outside ``paths`` changed;
whatever changed is walked, so its errors and slips are told as a whole walk tells them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clientgen.errors import SpecError
from clientgen.ir import Diagnostic
from clientgen.loader import load_spec
from clientgen.validation import validate_spec
from tests.conftest import write

SPEC = """
openapi: 3.0.3
info: {title: Walk, version: "1"}
paths:
  /pets:
    get:
      operationId: listPets
      summary: List pets
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
  /pets/{id}:
    get:
      operationId: getPet
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
  /owners:
    get:
      operationId: listOwners
      responses:
        "204": {description: none}
components:
  schemas:
    Pet:
      type: object
      properties:
        name: {type: string}
"""


@pytest.fixture
def walked(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """What each validation walked: the path items (by URL) and the components (``components``)."""
    from openapi_spec_validator.validation import keywords

    seen: dict[str, list[str]] = {"paths": [], "components": []}
    path_call = keywords.PathValidator.__call__
    components_call = keywords.ComponentsValidator.__call__

    def path(self: Any, url: str, item: Any) -> Iterator[Any]:
        seen["paths"].append(url)
        yield from path_call(self, url, item)

    def components(self: Any, found: Any) -> Iterator[Any]:
        seen["components"].append("components")
        yield from components_call(self, found)

    monkeypatch.setattr(keywords.PathValidator, "__call__", path)
    monkeypatch.setattr(keywords.ComponentsValidator, "__call__", components)
    return seen


def validated(spec: Path, seen: dict[str, list[str]]) -> tuple[tuple[Diagnostic, ...], dict[str, list[str]]]:
    for kind in seen.values():
        kind.clear()
    slips = validate_spec(load_spec(spec, validate=False))
    return slips, {kind: list(found) for kind, found in seen.items()}


def test_only_the_changed_path_item_is_walked_again(cache: Path, tmp_path: Path, walked: dict[str, list[str]]) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    assert validated(spec, walked) == ((), {"paths": ["/pets", "/pets/{id}", "/owners"], "components": ["components"]})
    write(spec, SPEC.replace("summary: List pets", "summary: List every pet"))
    assert validated(spec, walked) == ((), {"paths": ["/pets"], "components": []})
    write(spec, SPEC.replace("summary: List pets", "summary: List all the pets"))
    assert validated(spec, walked)[1] == {"paths": ["/pets"], "components": []}


def test_a_change_outside_paths_walks_everything(cache: Path, tmp_path: Path, walked: dict[str, list[str]]) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    validated(spec, walked)
    write(spec, SPEC.replace("name: {type: string}", "name: {type: string, maxLength: 9}"))
    assert validated(spec, walked)[1] == {"paths": ["/pets", "/pets/{id}", "/owners"], "components": ["components"]}


def test_an_error_in_the_changed_path_item_is_the_error_a_whole_walk_finds(
    cache: Path, tmp_path: Path, walked: dict[str, list[str]]
) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    validated(spec, walked)
    broken = SPEC.replace("  /owners:\n", "  /owners/{owner}:\n")  # a path parameter nothing declares
    write(spec, broken)
    with pytest.raises(SpecError) as kept:
        validated(spec, walked)
    assert walked["paths"] == ["/owners/{owner}"]
    whole = write(tmp_path / "whole.yaml", broken)  # another file: no unit of it is known
    with pytest.raises(SpecError) as fresh:
        validated(whole, walked)
    assert "Path parameter 'owner'" in str(kept.value)
    assert str(kept.value).replace("spec.yaml", "whole.yaml") == str(fresh.value)


def test_after_a_slip_nothing_is_remembered_and_the_slip_is_told_again(
    cache: Path, tmp_path: Path, walked: dict[str, list[str]]
) -> None:
    slipping = SPEC.replace("name: {type: string}", "name: {type: string, default: 1}")
    spec = write(tmp_path / "spec.yaml", slipping)
    first, _ = validated(spec, walked)
    assert first and "spec slip" in first[0].message
    write(spec, slipping.replace("summary: List pets", "summary: List every pet"))
    again, seen = validated(spec, walked)
    assert seen == {"paths": ["/pets", "/pets/{id}", "/owners"], "components": ["components"]}
    assert [(d.pointer, d.message) for d in again] == [(d.pointer, d.message) for d in first]


def test_a_reference_into_paths_walks_everything(cache: Path, tmp_path: Path, walked: dict[str, list[str]]) -> None:
    into_paths = SPEC.replace(
        '              schema: {$ref: "#/components/schemas/Pet"}\n  /owners:',
        '              schema: {$ref: "#/paths/~1pets/get/responses/200/content/application~1json/schema/items"}\n'
        "  /owners:",
    )
    assert into_paths != SPEC
    spec = write(tmp_path / "spec.yaml", into_paths)
    validated(spec, walked)
    write(spec, into_paths.replace("summary: List pets", "summary: List every pet"))
    assert validated(spec, walked)[1] == {"paths": ["/pets", "/pets/{id}", "/owners"], "components": ["components"]}


def test_the_early_validators_child_knows_a_reference_leads_into_paths(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child an early validator forks knows the spec only as handed over, its root file: that a reference
    leads into ``paths`` is the parent's to say (its ``check_refs`` resolved them all)."""
    from clientgen import validation

    marker = tmp_path / "cut-into-units"
    units_of = validation._WalkUnits.of

    def recorded(spec: Any) -> Any:
        units = units_of(spec)
        if units is not None:
            marker.touch()
        return units

    monkeypatch.setattr(validation._WalkUnits, "of", recorded)  # the child is forked with it
    into_paths = SPEC.replace(
        '              schema: {$ref: "#/components/schemas/Pet"}\n  /owners:',
        '              schema: {$ref: "#/paths/~1pets/get/responses/200/content/application~1json/schema/items"}\n'
        "  /owners:",
    )
    spec = load_spec(write(tmp_path / "into.yaml", into_paths), validate=False)
    assert validation.start_validation(spec, validation.EarlyValidator())() == () and not marker.exists()
    plain = load_spec(write(tmp_path / "plain.yaml", SPEC), validate=False)
    assert validation.start_validation(plain, validation.EarlyValidator())() == () and marker.exists()
