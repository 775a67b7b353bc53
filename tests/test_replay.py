"""The operations pass replayed per path item (``normalise.replay``): a regeneration replays the path items an
earlier run typed from the same component state while every item before them is in step, and writes the same
bytes as a run without any cache, whatever changed: an item's text, its effects on the state (a new model, a
name another item wanted), items added or removed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from clientgen.normalise import replay
from tests.conftest import write
from tests.test_kept_components import SPEC, generate, tree


@pytest.fixture
def replayed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Per run with a component state kept: (path items replayed, path items)."""
    runs: list[tuple[int, int]] = []
    changed = replay.ItemReplay.changed

    def spy(self: replay.ItemReplay) -> bool:
        runs.append((self.replayed, len(self.records)))
        return changed(self)

    monkeypatch.setattr(replay.ItemReplay, "changed", spy)
    return runs


def regenerate(tmp_path: Path, *texts: str, name: str = "spec.yaml") -> None:
    """Generates each text in turn over the last output, with the cache, each compared with a run without."""
    spec = tmp_path / name
    for text in texts:
        write(spec, text)
        generate(spec, tmp_path / "out")
        generate(spec, tmp_path / "fresh", "--no-cache", "--force")
        assert tree(tmp_path / "out") == tree(tmp_path / "fresh")


def test_a_changed_summary_replays_every_other_path_item(
    cache: Path, tmp_path: Path, replayed: list[tuple[int, int]]
) -> None:
    regenerate(tmp_path, SPEC, SPEC.replace("summary: List pets", "summary: List every pet"))
    assert replayed == [(0, 3), (2, 3)]  # /actions and /shapes replayed, /pets typed again


def test_a_json_spec_replays_alike(cache: Path, tmp_path: Path, replayed: list[tuple[int, int]]) -> None:
    data = yaml.safe_load(SPEC)
    first = json.dumps(data)
    data["paths"]["/pets"]["get"]["summary"] = "List every pet"
    regenerate(tmp_path, first, json.dumps(data), name="spec.json")
    assert replayed == [(0, 3), (2, 3)]


def test_an_item_that_leaves_other_effects_puts_the_items_after_it_out_of_step(
    cache: Path, tmp_path: Path, replayed: list[tuple[int, int]]
) -> None:
    with_enum = SPEC.replace(
        "      operationId: act\n",
        "      operationId: act\n      parameters:\n"
        "        - {name: mode, in: query, schema: {type: string, enum: [a, b]}}\n",
    )
    assert with_enum != SPEC
    regenerate(tmp_path, SPEC, with_enum, SPEC)
    # /actions sorts first: its new enum is a new model, so /pets and /shapes are typed again each time
    assert replayed == [(0, 3), (0, 3), (0, 3)]


NAMES = """
openapi: 3.0.3
info: {title: Names, version: "1"}
paths:
  /a:
    post:
      operationId: make
      tags: [a]
      requestBody:
        content:
          application/json:
            schema: {type: object, title: Thing, properties: {x: {type: string}}}
      responses:
        "204": {description: ok}
  /b:
    post:
      operationId: build
      tags: [b]
      requestBody:
        content:
          application/json:
            schema: {type: object, title: Thing, properties: {y: {type: integer}}}
      responses:
        "204": {description: ok}
  /c:
    get:
      operationId: look
      tags: [b]
      summary: Look
      responses:
        "204": {description: ok}
"""


def test_a_name_an_earlier_item_gives_up_goes_to_the_item_after_it(
    cache: Path, tmp_path: Path, replayed: list[tuple[int, int]]
) -> None:
    """/a's body model takes its name first, /b's gets the next one; when /a's body is no longer a model of
    that name, /b's model takes it: /b must be typed again, not replayed under its old name."""
    without = NAMES.replace(
        "            schema: {type: object, title: Thing, properties: {x: {type: string}}}",
        "            schema: {type: string}",
    )
    assert without != NAMES
    regenerate(tmp_path, NAMES, without, NAMES, NAMES.replace("summary: Look", "summary: Look again"))
    assert replayed[1] == (0, 3) and replayed[2] == (0, 3)
    assert replayed[3] == (2, 3)  # /a and /b in step again: only /c typed


def test_items_added_and_removed(cache: Path, tmp_path: Path, replayed: list[tuple[int, int]]) -> None:
    added = SPEC.replace(
        "  /shapes:\n",
        "  /pets/{id}:\n    delete:\n      operationId: dropPet\n      tags: [pets]\n"
        "      parameters:\n        - {name: id, in: path, required: true, schema: {type: string}}\n"
        '      responses:\n        "204": {description: gone}\n  /shapes:\n',
    )
    assert added != SPEC
    regenerate(tmp_path, SPEC, added, SPEC)
    assert [items for _, items in replayed] == [3, 4, 3]


def test_a_path_item_given_by_a_reference_is_typed_every_run(
    cache: Path, tmp_path: Path, replayed: list[tuple[int, int]]
) -> None:
    block = (
        "  /shapes:\n    post:\n      operationId: drawShape\n      tags: [shapes]\n"
        "      requestBody:\n        content:\n          application/json:\n"
        '            schema: {$ref: "#/components/schemas/Shape"}\n'
        '      responses:\n        "204": {description: drawn}\n'
    )
    assert block in SPEC
    moved = block.replace("  /shapes:\n", "  shapes:\n")
    referred = SPEC.replace(block, '  /shapes:\n    $ref: "#/x-items/shapes"\n') + "x-items:\n" + moved
    regenerate(tmp_path, referred, referred.replace("summary: List pets", "summary: List every pet"))
    assert replayed[1][0] <= 1  # /actions at most: /pets changed, /shapes is a reference


def test_a_replayed_items_warning_is_told_at_its_line_today(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warned = SPEC.replace("      operationId: drawShape\n", "      operationId: drawShape\n      callbacks: {x: {}}\n")
    longer = warned.replace(
        "      summary: List pets\n", "      summary: List pets\n      description: |\n        a\n        b\n"
    )
    regenerate(tmp_path, warned)
    capsys.readouterr()
    regenerate(tmp_path, longer)
    told = capsys.readouterr().err
    line = (tmp_path / "spec.yaml").read_text().splitlines().index("      callbacks: {x: {}}") + 1
    assert f"spec.yaml:{line}: #/paths/~1shapes/post/callbacks: callbacks are not generated" in told
