"""A changed spec validated from the last clean verdict on its file, by unit (``validation._KnownClean``): where
only path items changed and what the keyword walk reads of them did not, each changed item is checked against the
OAS schema alone and nothing else is walked; every verdict (clean, a slip with its line, an error with its place)
is the one the whole document's validation gives."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from clientgen import validation
from clientgen.errors import SpecError
from clientgen.ir import Diagnostic
from clientgen.loader import LoadedSpec, load_spec
from tests.test_loader_kept import GITHUB, changed, document

Verdict = tuple[Diagnostic, ...] | tuple[str, str | None, int | None, str | None]


def loaded(spec: Path, data: dict[str, Any]) -> LoadedSpec:
    spec.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return load_spec(spec, validate=False, keep_walks=True)


def outcome(run: Any) -> Verdict:
    try:
        return tuple(run())
    except SpecError as error:
        return (str(error), str(error.file), error.line, error.pointer)


class Runs:
    """Validations of a spec file in turn, each also validated whole (the verdict without the by-units one)."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.spec = tmp_path / "spec.json"
        self.whole_runs = 0
        whole = validation._validated_whole

        def counted(spec: LoadedSpec, followed: set[str] | None) -> Any:
            self.whole_runs += 1
            return whole(spec, followed)

        monkeypatch.setattr(validation, "_validated_whole", counted)
        self._whole = whole

    def validate(self, data: dict[str, Any]) -> tuple[Verdict, bool]:
        """The verdict on ``data`` (checked against the whole document's), and whether it was told by units."""
        spec = loaded(self.spec, data)
        before = self.whole_runs
        verdict = outcome(lambda: validation.validate_spec(spec))
        assert verdict == outcome(lambda: self._whole(loaded(self.spec, data), None)[0])
        return verdict, self.whole_runs == before


@pytest.fixture
def runs(kept: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runs:
    return Runs(tmp_path, monkeypatch)


GET = ("paths", "/pets", "get")


def test_a_changed_summary_is_told_by_units_without_the_library(runs: Runs) -> None:
    first = document()
    assert runs.validate(first) == ((), False)  # a first run: validated whole, its units kept
    second = changed(first, *GET, "summary", value="Every pet")
    assert runs.validate(second) == ((), True)
    third = changed(second, *GET, "description", value="Line\nafter line")
    spec = loaded(runs.spec, third)
    library = {name: module for name, module in sys.modules.items() if name.startswith("openapi_spec_validator")}
    for name in library:
        del sys.modules[name]
    try:
        assert validation.validate_spec(spec) == ()
        assert not [name for name in sys.modules if name.startswith("openapi_spec_validator")]
    finally:
        sys.modules.update(library)
    assert runs.validate(changed(third, *GET, "summary", value="Back")) == ((), True)


def test_a_changed_item_that_breaks_the_oas_schema_is_said_as_the_whole_says_it(runs: Runs) -> None:
    first = document()
    runs.validate(first)
    for value in (7, None, ["a"]):
        verdict, by_units = runs.validate(changed(first, *GET, "summary", value=value))
        assert not by_units and "invalid spec" in str(verdict[0])
    verdict, by_units = runs.validate(changed(first, *GET, "x-what", value={"deep": [1, {"a": None}]}))
    assert by_units and verdict == ()  # an extension: anything goes


@pytest.mark.parametrize(
    ("where", "value", "finds"),
    [
        ((*GET, "operationId"), "renamed", False),
        ((*GET, "responses", "200", "content", "application/json", "schema"), {"type": "string", "default": 7}, True),
        ((*GET, "responses", "200", "content", "application/json", "schema"), {"type": "string", "pattern": "("}, True),
        ((*GET, "parameters"), [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}], True),
        (
            ("paths", "/pets", "parameters"),
            [{"name": "q", "in": "query", "schema": {"type": "number", "default": "x"}}],
            True,
        ),
        (("paths", "/pets", "put"), {"operationId": "putPets", "responses": {"200": {"description": "ok"}}}, False),
    ],
)
def test_a_change_to_what_the_walk_reads_is_validated_whole(
    runs: Runs, where: tuple[str, ...], value: Any, finds: bool
) -> None:
    first = document()
    runs.validate(first)
    verdict, by_units = runs.validate(changed(first, *where, value=value))
    assert not by_units and bool(verdict) is finds


@pytest.mark.parametrize(
    ("where", "value", "remove"),
    [
        (("components", "schemas", "Kind", "default"), 7, False),  # a slip in a component
        (("components", "schemas", "Kind", "description"), "kind", False),  # harmless, but not in a path item
        (("paths", "/pets", "get"), None, True),
        (("paths", "/new"), {"get": {"operationId": "new", "responses": {"200": {"description": "ok"}}}}, False),
        (("info", "title"), "Renamed", False),  # the skeleton
        (("tags",), [{"name": "pets"}, {"name": "pets"}], False),  # a duplicate tag: an error of the walk
    ],
)
def test_a_change_outside_path_items_or_to_their_set_is_validated_whole(
    runs: Runs, where: tuple[str, ...], value: Any, remove: bool
) -> None:
    first = document()
    runs.validate(first)
    assert not runs.validate(changed(first, *where, value=value, remove=remove))[1]


def test_after_a_verdict_with_a_slip_every_run_is_validated_whole_its_lines_moved(runs: Runs) -> None:
    first = changed(document(), "components", "schemas", "Kind", "default", value=7)
    verdict, _ = runs.validate(first)
    assert verdict and all(isinstance(slip, Diagnostic) for slip in verdict)
    second = changed(first, *GET, "description", value="a\nb")
    third = changed(second, "paths", "/pets", "post", "summary", value="x")  # lines above the slips move
    for data in (second, third):
        moved, by_units = runs.validate(data)
        assert not by_units and len(moved) == len(verdict)
    assert [slip.line for slip in moved] != [slip.line for slip in verdict]  # type: ignore[union-attr]


def test_a_reference_followed_into_paths_keeps_no_verdict_by_units(runs: Runs) -> None:
    """The walk reads what a reference into ``paths`` leads to, which need not be what it reads of a path item:
    here a request body's schema (not walked as such), reached from a component."""
    into = "#/paths/~1pets/post/requestBody/content/application~1json/schema"
    first = changed(document(), "components", "schemas", "Through", value={"$ref": into})
    body = {"content": {"application/json": {"schema": {"type": "string"}}}}
    first = changed(first, "paths", "/pets", "post", "requestBody", value=body)
    assert runs.validate(first)[0] == ()
    slipped = changed(first, "paths", "/pets", "post", "requestBody", "content", "application/json", "schema",
                      value={"type": "string", "default": 7})  # fmt: skip
    verdict, by_units = runs.validate(slipped)
    assert not by_units and len(verdict) == 1  # the default is checked, through the reference


def test_a_verdict_is_kept_only_where_the_replay_walked(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    from clientgen import keyword_walk

    first = document()
    with monkeypatch.context() as off:
        off.setattr(keyword_walk, "walks_clean", lambda validator, meta_clean=None, followed=None: False)
        assert runs.validate(first) == ((), False)  # the library walked: what it read is not known
    assert not runs.validate(changed(first, *GET, "summary", value="x"))[1]
    assert runs.validate(changed(first, *GET, "summary", value="y"))[1]  # the run before kept its units


def test_without_jsonschema_rs_or_with_another_schema_file_it_is_validated_whole(
    runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = document()
    runs.validate(first)
    with monkeypatch.context() as other:
        other.setattr(validation, "_OAS_30_SCHEMA", ("resources/schemas/v3.0/schema.json", "0" * 64))
        validation._oas_30_schema_as_shipped.cache_clear()
        assert not runs.validate(changed(first, *GET, "summary", value="x"))[1]
    validation._oas_30_schema_as_shipped.cache_clear()
    with monkeypatch.context() as without:
        without.setitem(sys.modules, "jsonschema_rs", None)  # its import fails
        assert not runs.validate(changed(first, *GET, "summary", value="y"))[1]
    assert runs.validate(changed(first, *GET, "summary", value="z"))[1]


def test_an_entry_of_another_shape_is_not_trusted(runs: Runs) -> None:
    first = document()
    runs.validate(first)
    spec = loaded(runs.spec, first)
    known = validation._KnownClean.of(spec)
    assert known is not None
    for entry in (b"not marshal", b"\xe9\x00", __import__("marshal").dumps((1, 2))):
        validation.write_entry(known.KIND, known._key(), entry)
        assert not runs.validate(changed(first, *GET, "summary", value=len(entry) * "x"))[1]
    assert runs.validate(changed(first, *GET, "summary", value="again"))[1]


def test_the_entry_kept_is_the_one_taken_afresh(runs: Runs) -> None:
    """A path item unchanged keeps its walked part's digest from the last entry; one changed (here what the walk
    reads of it, so validated whole) has it taken again."""
    first = document()
    runs.validate(first)
    parameter = [{"name": "q", "in": "query", "schema": {"type": "string"}}]
    second = changed(first, *GET, "parameters", value=parameter)
    assert not runs.validate(second)[1]
    third = changed(second, *GET, "summary", value="x")
    assert runs.validate(third)[1]
    spec = loaded(runs.spec, third)
    walks = spec.documents.walks()
    known = validation._KnownClean.of(spec)
    assert walks is not None and known is not None
    paths = [unit for unit in walks.units if unit.place[0] == "paths"]
    afresh = {unit.place[1]: validation._walked_digest(unit.value) for unit in paths}
    assert known._stored() == (walks.skeleton_digest(), [unit.digest for unit in walks.units], afresh)


def test_a_yaml_or_3_1_spec_is_validated_whole(runs: Runs, tmp_path: Path) -> None:
    first = changed(document(), "openapi", value="3.1.0")
    runs.validate(first)
    assert not runs.validate(changed(first, *GET, "summary", value="x"))[1]
    yaml_spec = tmp_path / "spec.yaml"
    yaml_spec.write_text(json.dumps(document()), encoding="utf-8")  # JSON is YAML: read by the YAML loader
    assert validation._KnownClean.of(load_spec(yaml_spec, validate=False, keep_walks=True)) is None


@pytest.mark.skipif(not GITHUB.is_file(), reason="GitHub's spec comes with the corpus (scripts/corpus.py fetch)")
def test_github_s_spec_after_a_changed_summary_is_told_by_units(runs: Runs) -> None:
    first = json.loads(GITHUB.read_text(encoding="utf-8"))
    runs.validate(first)
    path, item = next(iter(first["paths"].items()))
    method = next(iter(item))
    assert runs.validate(changed(first, "paths", path, method, "summary", value="Changed")) == ((), True)
