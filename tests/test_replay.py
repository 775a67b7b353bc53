"""The operations pass replayed per path item (``normalise.replay``): a regeneration replays the path items an
earlier run typed from the same component state while every item before them is in step, and writes the same
bytes as a run without any cache, whatever changed: an item's text, its effects on the state (a new model, a
name another item wanted), items added or removed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from clientgen.cli import main
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


LATE_FILE = """
openapi: 3.0.3
info: {title: T, version: '1.0'}
paths:
  /a:
    get:
      operationId: getA
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/x-defs/A'}}}}}
  /b:
    get:
      operationId: getB
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/x-defs/B'}}}}}
x-defs:
  A: {type: object, properties: {x: {$ref: 'ext.yaml#/X'}}}
  B: {type: object, properties: {y: {$ref: 'ext.yaml#/Y'}}}
"""


def test_a_file_first_read_by_the_operations_pass_keeps_no_items(cache: Path, tmp_path: Path) -> None:
    """ext.yaml is reached only through ``x-`` keys (not walked at load): /a's typing reads it first, and /b reads
    it too, though neither item's digest covers it. (A review found /b replayed with its old type.)"""
    write(tmp_path / "ext.yaml", "X: {type: string}\nY: {type: string}\n")
    regenerate(tmp_path, LATE_FILE)
    write(tmp_path / "ext.yaml", "X: {type: string}\nY: {type: integer}\n")
    regenerate(tmp_path, LATE_FILE)
    assert b"y: int" in tree(tmp_path / "out")["kept/models/_default.py"]


def test_a_reference_into_paths_followed_by_the_operations_pass_keeps_no_items(cache: Path, tmp_path: Path) -> None:
    into_paths = """
openapi: 3.0.3
info: {title: T, version: '1.0'}
paths:
  /a:
    get:
      operationId: getA
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/x-defs/A'}}}}}
  /b:
    get:
      operationId: getB
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {type: object, properties: {v: {type: string}}}}}
x-defs:
  A:
    type: object
    properties:
      p: {$ref: '#/paths/~1b/get/responses/200/content/application~1json/schema/properties/v'}
"""
    regenerate(tmp_path, into_paths, into_paths.replace("v: {type: string}", "v: {type: integer}"))


@pytest.mark.parametrize("where", ["paths", "components"])
def test_yaml_bytes_are_not_digested_as_the_text_of_their_repr(cache: Path, tmp_path: Path, where: str) -> None:
    """``!!binary aGk=`` is b'hi': written as its ``repr`` it digested as the string "b'hi'" (a review found the
    item replayed, and the component state read back, after that edit)."""
    schema = "{type: object, properties: {k: {enum: [VALUE]}}}"
    body = "{$ref: '#/components/schemas/C'}" if where == "components" else schema
    spec = (
        "openapi: 3.0.3\ninfo: {title: T, version: '1.0'}\npaths:\n"
        f"  /a: {{get: {{operationId: getA, responses: {{'200': {{description: ok, content: "
        f"{{application/json: {{schema: {body}}}}}}}}}}}}}\n"
        f"components: {{schemas: {{C: {schema}}}}}\n"
    )
    regenerate(tmp_path, spec.replace("VALUE", "!!binary aGk="), spec.replace("VALUE", "\"b'hi'\""))


FIRST_VISIT = """
openapi: 3.0.3
info: {title: T, version: '1.0'}
paths:
  /a:
    get:
      operationId: getA
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {c: {$ref: '#/components/schemas/C'}}}
  /b:
    get:
      operationId: getB
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/C'}}}
components:
  schemas:
    Base: {type: object, properties: {id: {type: string}}}
    C: {allOf: [{$ref: '#/components/schemas/Base'}], required: [missing]}
"""


def test_the_validators_verdict_after_a_path_item_goes_is_a_whole_walks(cache: Path, tmp_path: Path) -> None:
    """openapi-spec-validator checks a schema once, under the first path item that reaches it, and one of its
    checks only where that visit is at the top: C's ``required`` is refused when /b reaches it first. Leaving
    out the path items an earlier clean run walked (tried in the eleventh session) let this spec through once /a
    was gone; a review found it, and validation walks every path item again."""
    spec = write(tmp_path / "spec.yaml", FIRST_VISIT)
    generate(spec, tmp_path / "out")
    without_a = FIRST_VISIT[: FIRST_VISIT.index("  /a:")] + FIRST_VISIT[FIRST_VISIT.index("  /b:") :]
    write(spec, without_a)
    assert main(["generate", str(spec), "-o", str(tmp_path / "out"), "--package-name", "kept"]) == 2
    assert main(["generate", str(spec), "-o", str(tmp_path / "fresh"), "--package-name", "kept", "--no-cache"]) == 2


TWO_ITEMS_ALIKE = """
openapi: 3.0.3
info: {title: Alike, version: "1.0"}
paths:
  /a:
    get:
      operationId: getA
      parameters:
        - {name: limit, in: query, description: How many, schema: {type: integer, default: 10}}
      responses:
        "204": {description: done}
  /b:
    get:
      operationId: getB
      parameters:
        - {name: limit, in: query, description: How many, schema: {type: integer, default: 10}}
      responses:
        "204": {description: done}
"""


def test_records_are_kept_with_equal_values_as_one_object(cache: Path, tmp_path: Path) -> None:
    """``ir.Sharing`` over the records of the items typed anew: equal parameters of two path items read back as
    one object (the records read back faster)."""
    from clientgen.loader import load_spec
    from clientgen.normalise import Normaliser
    from clientgen.normalise.kept import KeptComponents

    spec = write(tmp_path / "spec.yaml", TWO_ITEMS_ALIKE)
    generate(spec, tmp_path / "out")
    key = Normaliser(load_spec(spec), KeptComponents())._type_components()
    assert key is not None
    records = {record.path: record for record in KeptComponents().recall_items(key)}
    (a,), (b,) = records["/a"].operations, records["/b"].operations
    assert a.parameters == b.parameters and a.parameters[0] is b.parameters[0]
    assert a.responses[0] is b.responses[0]
    regenerate(tmp_path, TWO_ITEMS_ALIKE.replace("operationId: getB", "operationId: getB\n      summary: B"))
