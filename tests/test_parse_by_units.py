"""A big JSON root file parsed by units (``walks``): each unit whose text an earlier run checked (at the same place)
is parsed without the duplicate-key check, the rest with it, and the data, the units' digests and every error are
those of the whole file parsed with the check (``Documents._parse_json``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clientgen import walks
from clientgen.documents import Documents
from clientgen.errors import SpecError
from clientgen.loader import LoadedSpec
from tests.test_loader_kept import GITHUB, changed, document, loaded_alike

PETS_GET = ("paths", "/pets")


def text_of(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1)


def loads_alike(tmp_path: Path, text: str) -> LoadedSpec | SpecError:
    """The spec of ``text`` loaded by units and whole, checked alike (state, errors), its data and its units'
    digests checked against the whole file parsed with the duplicate-key check."""
    spec = tmp_path / "spec.json"
    spec.write_text(text, encoding="utf-8")
    loaded = loaded_alike(spec)
    if isinstance(loaded, LoadedSpec):
        assert json.dumps(loaded.data) == json.dumps(Documents(spec)._parse_json(spec, text))  # order and types
        kept_walks = loaded.documents.walks()
        assert kept_walks is not None
        for unit in kept_walks.units:
            assert unit.digest == walks._digest(unit), unit.place
    return loaded


def kept_texts(tmp_path: Path, text: str) -> LoadedSpec | SpecError:
    """``text`` loaded twice: parsed whole (a first run), then by units (its units' texts kept)."""
    loads_alike(tmp_path, text)
    return loads_alike(tmp_path, text)


def checked(loaded: LoadedSpec | SpecError) -> list[tuple[str, ...]]:
    """The units of a load parsed with the duplicate-key check."""
    assert isinstance(loaded, LoadedSpec)
    kept_walks = loaded.documents.walks()
    assert kept_walks is not None and kept_walks.parsed_by_units
    return kept_walks.checked


def parsed_by_units(loaded: LoadedSpec | SpecError) -> bool:
    assert isinstance(loaded, LoadedSpec)
    kept_walks = loaded.documents.walks()
    assert kept_walks is not None
    return kept_walks.parsed_by_units


def all_units(loaded: LoadedSpec | SpecError) -> list[tuple[str, ...]]:
    assert isinstance(loaded, LoadedSpec)
    kept_walks = loaded.documents.walks()
    assert kept_walks is not None
    return [unit.place for unit in kept_walks.units]


def test_a_regeneration_checks_only_the_units_whose_text_changed(kept: list[str], tmp_path: Path) -> None:
    first = document()
    second = changed(first, "paths", "/pets", "get", "summary", value="List every pet")
    cold = loads_alike(tmp_path, text_of(first))
    assert not parsed_by_units(cold)  # a first run: parsed whole
    again = loads_alike(tmp_path, text_of(first))
    assert checked(again) == []  # the first run's keeper kept its units' texts: none checked again
    warm = loads_alike(tmp_path, text_of(second))
    assert checked(warm) == [PETS_GET]
    again = loads_alike(tmp_path, text_of(second))
    assert checked(again) == []
    assert not kept


def test_a_first_run_of_a_file_past_ascii_keeps_its_texts_too(kept: list[str], tmp_path: Path) -> None:
    """Its keeper reads it again a byte a character (not 2-4 bytes a character, as its text would take): the run
    after checks no unit."""
    data = document()
    data["info"]["title"] = "Caf\u00e9 \U0001f600"
    text = json.dumps(data, indent=1, ensure_ascii=False)
    loads_alike(tmp_path, text)
    assert checked(loads_alike(tmp_path, text)) == []


def test_a_unit_reformatted_is_checked_again_and_keeps_its_digest(kept: list[str], tmp_path: Path) -> None:
    data = document()
    kept_texts(tmp_path, text_of(data))
    compact = loads_alike(tmp_path, json.dumps(data))  # every unit's text changed, its data did not
    assert checked(compact) == all_units(compact)
    assert checked(loads_alike(tmp_path, json.dumps(data))) == []


def test_a_unit_moved_is_checked_at_its_new_place(kept: list[str], tmp_path: Path) -> None:
    """Its text is the same, but its digest is of its place too."""
    data = document()
    kept_texts(tmp_path, text_of(data))
    moved = dict(data)
    moved["paths"] = {("/animals" if path == "/pets" else path): item for path, item in data["paths"].items()}
    assert checked(loads_alike(tmp_path, text_of(moved))) == [("paths", "/animals")]


def duplicated(text: str, member: str, twin: str) -> str:
    """``text`` with ``twin`` (a member's text, ``"key": value``) inserted before the first ``member``."""
    at = text.index(member)
    return f"{text[:at]}{twin}, {text[at:]}"


@pytest.mark.parametrize(
    ("where", "member", "twin"),
    [
        ("in a changed unit", '"summary": "List pets"', '"summary": "twice"'),
        ("between path items", '"/shapes": {', '"/errors": {}'),
        ("between components", '"Kind": {', '"Pet": {}'),
        ("between kinds of components", '"schemas": {', '"responses": {}'),
        ("at the top", '"paths": {', '"openapi": "3.0.3"'),
        ("in the skeleton", '"name": "pets"', '"name": "again"'),
        ("in a scalar member's place", '"title": "Kept"', '"title": "again"'),
    ],
)
def test_a_duplicate_key_after_a_kept_run_is_refused_as_a_whole_parse_refuses_it(
    kept: list[str], tmp_path: Path, where: str, member: str, twin: str
) -> None:
    text = text_of(document())
    kept_texts(tmp_path, text)
    broken = loads_alike(tmp_path, duplicated(text, member, twin))
    assert isinstance(broken, SpecError) and "duplicate key" in str(broken), where
    assert broken.line is not None


@pytest.mark.parametrize(
    ("where", "old", "new"),
    [
        ("a unit", '"summary": "List pets"', '"summary": "List pets",'),
        ("between units", '"/shapes": {', '"/shapes" {'),
        ("the end", None, " x"),
        ("a byte order mark", None, "\ufeff"),
        ("a number past Python's digit limit", '"version": "1"', f'"version": {"9" * 5000}'),
        ("a control character in a key", '"summary": "List pets"', '"sum\tmary": "List pets"'),
    ],
)
def test_invalid_json_after_a_kept_run_is_refused_as_a_whole_parse_refuses_it(
    kept: list[str], tmp_path: Path, where: str, old: str | None, new: str
) -> None:
    text = text_of(document())
    kept_texts(tmp_path, text)
    if old is not None:
        broken_text = text.replace(old, new, 1)
    else:
        broken_text = new + text if new.startswith("\ufeff") else text + new
    broken = loads_alike(tmp_path, broken_text)
    assert isinstance(broken, SpecError), where


def test_a_root_of_another_shape_is_read_as_a_whole_parse_reads_it(kept: list[str], tmp_path: Path) -> None:
    kept_texts(tmp_path, text_of(document()))
    for text in ("[1, 2]", '"text"', "{}"):
        assert isinstance(loads_alike(tmp_path, text), SpecError)
    loads_alike(tmp_path, '  {"openapi": "3.0.3", "info": 1, "paths": [], "components": 1}  ')


def test_odd_members_are_read_alike(kept: list[str], tmp_path: Path) -> None:
    """A ``$ref`` member, scalars and lists where units stand, empty objects, non-ASCII text and escapes."""
    data = document()
    data["paths"]["/naïve ☃"] = {"summary": "caf\u00e9 \U0001f600 \\u0041", "get": {"operationId": "snow"}}
    data["paths"]["/list"] = [1, {"a": [2.5, -0.0, 1e300, None, True]}]
    data["paths"]["/scalar"] = 7
    data["components"]["schemas"]["Empty"] = {}
    data["components"]["headers"] = []
    data["x-map"] = {"$ref": {"a": [1]}, "k": {"v": [1]}, "s": "t"}
    data["tags"] = [{"name": "pets", "x": {"y": {}}}]
    text = json.dumps(data, indent=2, ensure_ascii=False).replace('"/scalar": 7', '"/scalar" :\t7')
    kept_texts(tmp_path, text)
    later = loads_alike(tmp_path, text.replace("caf\u00e9", "cafe"))
    assert checked(later) == [("paths", "/naïve ☃")]


def roomier(scan: Callable[[str, int], tuple[Any, int]]) -> Callable[[str, int], tuple[Any, int]]:
    """A scanner with more room on the stack than the whole parse has (as on Python 3.12+, whose C recursion
    limit is its own: a unit is parsed a few levels of JSON nearer the top than in the whole file)."""

    def scanning(text: str, start: int) -> tuple[Any, int]:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(limit + 20)
        try:
            return scan(text, start)
        finally:
            sys.setrecursionlimit(limit)

    return scanning


@pytest.mark.parametrize("room", ["as here", "more"])
def test_nesting_near_python_s_limit_is_refused_as_a_whole_parse_refuses_it(
    kept: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, room: str
) -> None:
    """What the whole parse cannot read (too deep for Python's stack) is refused with its error, however much
    room the units had."""
    if room == "more":
        monkeypatch.setattr(walks, "_CHECKED", roomier(walks._CHECKED))
        monkeypatch.setattr(walks, "_PLAIN", roomier(walks._PLAIN))
    data = document()
    text = text_of(data)
    kept_texts(tmp_path, text)
    limit = sys.getrecursionlimit()
    for levels in range(limit - 40, limit + 10, 7):
        deep = "[" * levels + "]" * levels
        loaded = loads_alike(tmp_path, text.replace('"summary": "List pets"', f'"summary": {deep}', 1))
        assert isinstance(loaded, SpecError)


def test_a_spec_parsed_whole_on_an_error_keeps_what_it_knew(kept: list[str], tmp_path: Path) -> None:
    text = text_of(document())
    kept_texts(tmp_path, text)
    loads_alike(tmp_path, text + "x")
    assert checked(loads_alike(tmp_path, text)) == []


def test_github_after_a_change_checks_one_unit(kept: list[str], tmp_path: Path) -> None:
    if not GITHUB.is_file():
        pytest.skip("the corpus is not fetched (python scripts/corpus.py fetch)")
    text = GITHUB.read_text(encoding="utf-8")
    kept_texts(tmp_path, text)
    at = text.index('"summary": "') + len('"summary": "')
    warm = loads_alike(tmp_path, f"{text[:at]}changed {text[at:]}")
    assert len(checked(warm)) == 1


def test_text_digests_of_another_shape_are_not_trusted(kept: list[str], tmp_path: Path) -> None:
    import marshal

    from clientgen import cache as cache_module

    cold = kept_texts(tmp_path, text_of(document()))
    assert isinstance(cold, LoadedSpec)
    kept_walks = cold.documents.walks()
    assert kept_walks is not None
    key = kept_walks._key()
    records, texts, lengths = walks._entry(cache_module.read_entry(walks.KIND, key) or b"")
    assert len(texts) == len(all_units(cold)) == len(lengths)
    cache_module.write_entry(walks.KIND, key, marshal.dumps((records, {text: "x" for text in texts}, lengths)))
    assert checked(loads_alike(tmp_path, text_of(document()))) == all_units(cold)
    assert checked(loads_alike(tmp_path, text_of(document()))) == []  # their texts kept again


@pytest.mark.parametrize(
    ("where", "old", "new"),
    [
        ("a changed unit", '"summary": "List pets"', '"summary": "List \\ud83d pets"'),
        ("the skeleton", '"name": "pets"', '"name": "\\udc00pets"'),
        ("a changed unit beside a kept pair", '"summary": "List pets"', '"summary": "\\ud83d\\ude00 \\ude00"'),
    ],
)
def test_a_lone_surrogate_after_a_kept_run_is_refused_as_a_whole_parse_refuses_it(
    kept: list[str], tmp_path: Path, where: str, old: str, new: str
) -> None:
    data = document()
    data["components"]["schemas"]["Kind"]["description"] = "\U0001f600"  # escaped as a pair by json.dumps
    text = text_of(data)
    kept_texts(tmp_path, text)
    broken = loads_alike(tmp_path, text.replace(old, new, 1))
    assert isinstance(broken, SpecError) and "lone surrogate" in str(broken), where


class Counted:
    """A compiled pattern whose ``sub`` calls are counted."""

    def __init__(self, pattern: Any) -> None:
        self.pattern, self.subs = pattern, 0

    def sub(self, *args: Any) -> Any:
        self.subs += 1
        return self.pattern.sub(*args)


def test_surrogate_pairs_in_kept_units_are_not_screened_again(
    kept: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Their text parsed without a lone surrogate before: only the rest of the file is screened."""
    from clientgen import documents

    data = document()
    data["components"]["schemas"]["Kind"]["description"] = "\U0001f600"
    counted = Counted(documents._JSON_PAIRED)
    monkeypatch.setattr(documents, "_JSON_PAIRED", counted)
    kept_texts(tmp_path, text_of(data))  # each load twice: by units (or whole, a first run) and whole
    assert counted.subs == 3  # the first run's two, then the whole parse's alone: its texts were kept
    loads_alike(tmp_path, text_of(changed(data, "paths", "/pets", "get", "summary", value="changed")))
    assert counted.subs == 4  # the whole parse's alone
    loads_alike(tmp_path, text_of(changed(data, "paths", "/pets", "get", "summary", value="\U0001f600")))
    assert counted.subs == 6


def test_a_duplicate_key_in_a_unit_after_a_first_run_is_refused(kept: list[str], tmp_path: Path) -> None:
    """After a first run (parsed whole, its units' texts kept), a unit whose text is new is parsed with the check."""
    text = text_of(document())
    loads_alike(tmp_path, text)
    broken = loads_alike(tmp_path, duplicated(text, '"summary": "List pets"', '"summary": "twice"'))
    assert isinstance(broken, SpecError) and "duplicate key" in str(broken)
