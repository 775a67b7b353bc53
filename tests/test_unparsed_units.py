"""Units of a big JSON root file left unparsed (``documents.Unparsed``): where a unit's text at its place is the one
an earlier run parsed there (its length and the digest of its place and text kept), it is not read at all until
something asks for its data. The loader's and the normaliser's readers that know such a unit read its summary
(its own ``$ref``, a path item's operationIds, a discriminator, string consts, the unions of references in it);
``LoadedSpec.data`` and every other way in parse it first. Whatever is left unparsed, each load says and holds
what the whole file parsed says and holds, and each regeneration writes what a run with no cache writes."""

from __future__ import annotations

import json
import marshal
from pathlib import Path
from typing import Any

import pytest

from clientgen import cache as cache_module
from clientgen import validation, walks
from clientgen.documents import Unparsed
from clientgen.errors import SpecError
from clientgen.loader import LoadedSpec, load_spec
from tests.test_kept_components import generate, tree
from tests.test_loader_kept import changed, document, documents_state, load, operation, ref, schema


def loaded(tmp_path: Path, data: dict[str, Any], text: str | None = None) -> tuple[list[tuple[str, ...]], LoadedSpec]:
    """The spec of ``data`` (or of ``text``) loaded by units, after checking that it loads as the whole file
    parsed does (state, errors, data); the units it left unparsed, as the load left them."""
    spec = tmp_path / "spec.json"
    spec.write_text(text if text is not None else json.dumps(data, indent=1), encoding="utf-8")
    by_units, whole = load(spec, kept=True), load(spec, kept=False)
    if isinstance(whole, SpecError):
        assert isinstance(by_units, SpecError) and str(by_units) == str(whole)
        assert (by_units.line, by_units.pointer) == (whole.line, whole.pointer)
        raise by_units
    assert isinstance(by_units, LoadedSpec), f"the load by units found an error: {by_units}"
    kept_walks = by_units.documents.walks()
    assert kept_walks is not None
    left = [unit.place for unit in kept_walks.units if type(unit.value) is Unparsed]
    assert kept_walks.unparsed == len(left)
    assert documents_state(by_units.documents) == documents_state(whole.documents)  # parses what it compares
    assert json.dumps(by_units.data) == json.dumps(whole.data)  # every unit parsed, in its place
    assert not any(type(node) is Unparsed for node in nodes(by_units.tree))
    assert kept_walks.unparsed == 0
    store = by_units.store_walks()
    if store is not None:
        store()
    return left, by_units


def nodes(data: Any) -> list[Any]:
    found, stack = [], [data]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.values() if type(node) is dict else node if type(node) is list else ())
    return found


def places(data: dict[str, Any]) -> list[tuple[str, ...]]:
    """Every unit of ``data``, as ``walks`` cuts it."""
    return [unit.place for unit in walks._cut(data)[1]]


def loaded_twice(tmp_path: Path) -> dict[str, Any]:
    """``document()``, loaded by a first run and by a second, which leaves every unit unparsed."""
    first = document()
    loaded(tmp_path, first)
    assert loaded(tmp_path, first)[0] == places(first)
    return first


def test_a_regeneration_leaves_every_unit_unparsed_but_the_changed_one(kept: list[str], tmp_path: Path) -> None:
    first = document()
    left, _ = loaded(tmp_path, first)
    assert left == []  # a first run parses the file whole; its keeper keeps the units' texts and lengths
    left, _ = loaded(tmp_path, first)
    assert left == places(first)
    second = changed(first, "paths", "/pets", "get", "summary", value="List cats")  # as long as before
    left, _ = loaded(tmp_path, second)
    assert left == [place for place in places(second) if place != ("paths", "/pets")]
    third = changed(second, "components", "schemas", "Kind", "enum", value=["cat", "dog", "cow"])
    left, _ = loaded(tmp_path, third)
    assert left == [place for place in places(third) if place != ("components", "schemas", "Kind")]
    assert not kept


def test_an_operation_id_taken_again_beside_an_unparsed_unit_is_refused_as_the_whole_file_refuses_it(
    kept: list[str], tmp_path: Path
) -> None:
    first = loaded_twice(tmp_path)
    taken = changed(first, "paths", "/errors", "get", "operationId", value="makePet")  # /pets' post, unparsed
    with pytest.raises(SpecError, match="duplicate operationId 'makePet'") as raised:
        loaded(tmp_path, taken)
    assert raised.value.pointer == "/paths/~1errors/get/operationId"


def test_a_reference_into_an_unparsed_unit_parses_it_and_a_chain_of_them_is_followed_by_summaries(
    kept: list[str], tmp_path: Path
) -> None:
    first = loaded_twice(tmp_path)
    inside = changed(first, "paths", "/errors", "get", "parameters", value=[{"$ref": "#/components/parameters/Limit"}])
    inside["paths"]["/errors"]["get"]["responses"]["200"] = {
        "description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet/properties/name"}}},
    }
    left, spec = loaded(tmp_path, inside)
    # Pet is read into (parsed); Alias -> Chained -> Pet, Shape's union and the others are followed unparsed
    assert ("components", "schemas", "Pet") not in left
    assert {("components", "schemas", "Alias"), ("components", "schemas", "Chained")} <= set(left)
    assert spec.documents.deref({"$ref": "#/components/schemas/Alias"}, spec.root)[0] == schema(
        properties={"name": {"type": "string"}, "kind": ref("Kind")}
    )


def test_a_unit_no_summary_tells_is_parsed_at_every_run(kept: list[str], tmp_path: Path) -> None:
    first = document()
    first["components"]["schemas"]["Odd"] = {"type": "object", "properties": ["not", "an", "object"]}
    loaded(tmp_path, first)
    left, _ = loaded(tmp_path, first)
    assert left == [place for place in places(first) if place != ("components", "schemas", "Odd")]


def test_a_text_past_ascii_leaves_its_units_unparsed_alike(kept: list[str], tmp_path: Path) -> None:
    """Read a byte a character, its offsets its bytes': a unit, a key or a value past ASCII read again as UTF-8."""
    first = document()
    first["info"]["title"] = "Kept \u00e9"
    first["components"]["schemas"]["Kind"]["description"] = "A kind \U0001f600"  # 4 bytes a character as text
    first["paths"]["/pets"]["get"]["description"] = "Lists pets \u2014 all of them"
    first["paths"]["/caf\u00e9s"] = {"get": operation("listCaf\u00e9s", {"type": "string"})}  # a key past ASCII
    first["x-note"] = "\u00fcber"  # a value of the skeleton past ASCII
    text = json.dumps(first, indent=1, ensure_ascii=False)
    assert loaded(tmp_path, first, text)[0] == []  # parsed whole; its keeper keeps the units' texts and lengths
    assert loaded(tmp_path, first, text)[0] == places(first)
    second = changed(first, "paths", "/errors", "get", "summary", value="Errors \u00e9\U0001f600")
    left, _ = loaded(tmp_path, second, json.dumps(second, indent=1, ensure_ascii=False))
    assert left == [place for place in places(second) if place != ("paths", "/errors")]


@pytest.mark.parametrize("damage", ["lengths", "summaries"])
def test_kept_lengths_or_summaries_that_do_not_fit_leave_their_units_parsed(
    kept: list[str], tmp_path: Path, damage: str
) -> None:
    first = document()
    _, cold = loaded(tmp_path, first)
    kept_walks = cold.documents.walks()
    assert kept_walks is not None
    key = kept_walks._key()
    records, texts, lengths = walks._entry(cache_module.read_entry(walks.KIND, key) or b"")
    assert len(lengths) == len(records) == len(places(first))
    if damage == "lengths":  # each a byte short, or one more: another text's digest
        lengths = {place: length + (1 if index % 2 else -1) for index, (place, length) in enumerate(lengths.items())}
    else:  # each another shape
        records = {digest: (record[0], record[1], record[2][:3]) for digest, record in records.items()}
    cache_module.write_entry(walks.KIND, key, marshal.dumps((records, texts, lengths)))
    left, _ = loaded(tmp_path, first)
    assert left == []
    left, _ = loaded(tmp_path, first)  # written again whole
    assert left == places(first)


def const_tagged() -> dict[str, Any]:
    """OpenAPI 3.1: a union told apart by each option's ``const`` property, in a path item and in a component."""
    data = document()
    data["openapi"] = "3.1.0"
    schemas = data["components"]["schemas"]
    for name in ("Create", "Delete"):
        action = {"type": "string", "const": name.lower()}
        schemas[name] = schema(properties={"action": action, "id": {"type": "integer"}}, required=["action"])
    schemas["Action"] = {"oneOf": [ref("Create"), ref("Delete")]}
    data["paths"]["/actions"] = {
        "post": {
            "operationId": "act",
            "requestBody": {"content": {"application/json": {"schema": {"oneOf": [ref("Create"), ref("Delete")]}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": ref("Action")}}}},
        }
    }
    return data


SHAPE = ("components", "schemas", "Shape")  # a discriminator's base: the discriminators' scan reads it
E = ("components", "responses", "E")
ACTIONS = [("components", "schemas", name) for name in ("Create", "Delete", "Action")]


@pytest.mark.parametrize(
    ("name", "data", "change", "parsed"),
    [
        ("3.0", document(), ("paths", "/errors", "get", "summary"), [SHAPE, E]),
        ("3.1 const tags", const_tagged(), ("paths", "/errors", "get", "summary"), [SHAPE, E]),
        (
            "3.1, the union's own item changed",
            const_tagged(),
            ("paths", "/actions", "post", "summary"),
            [SHAPE, *ACTIONS],
        ),
        ("a component changed: typed anew", const_tagged(), ("components", "schemas", "Kind", "description"), None),
    ],
)
def test_a_regeneration_reads_summaries_parses_little_and_writes_what_a_run_without_cache_writes(
    kept: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    data: dict[str, Any],
    change: tuple[str, ...],
    parsed: list[tuple[str, ...]] | None,
) -> None:
    asked: list[tuple[str, ...]] = []
    value = walks.KeptWalks.value

    def counted(self: walks.KeptWalks, node: Any) -> Any:
        if type(node) is Unparsed and type(node.unit.value) is Unparsed:
            asked.append(node.unit.place)
        return value(self, node)

    monkeypatch.setattr(walks.KeptWalks, "value", counted)
    monkeypatch.setattr(validation, "EARLY_MAX_BYTES", -1)  # validated as a big spec is: forked after the load
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(data, indent=1), encoding="utf-8")
    generate(spec, tmp_path / "out")
    generate(spec, tmp_path / "out")  # every unit's text kept by the first run's keeper
    spec.write_text(json.dumps(changed(data, *change, value="changed"), indent=1), encoding="utf-8")
    asked.clear()
    generate(spec, tmp_path / "out")
    parsed_by_the_regeneration = list(asked)
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh"), name
    # a discriminator's base, and what typing the changed item reads into (its references); the component pass,
    # typing every component anew, reads them all
    if parsed is not None:
        assert parsed_by_the_regeneration == parsed
    assert not kept


@pytest.mark.parametrize(
    ("where", "old", "new"),
    [
        ("a key written raw and escaped, in a unit", '"operationId": "listPets"', '"caf\\u00e9": 1, "café": 2'),
        ("a path written raw and escaped", '"/pets": {', '"/caf\\u00e9": {}, "/café": {}, "/pets": {'),
        ("bytes that are not UTF-8, in a unit", '"summary": "List pets"', '"summary": "List \udcff pets"'),
    ],
)
def test_an_error_past_ascii_after_a_kept_run_is_said_as_the_whole_file_says_it(
    kept: list[str], tmp_path: Path, where: str, old: str, new: str
) -> None:
    first = document()
    first["info"]["title"] = "Kept \u00e9"
    text = json.dumps(first, indent=1, ensure_ascii=False)
    loaded(tmp_path, first, text)
    loaded(tmp_path, first, text)
    assert old in text, where
    spec = tmp_path / "spec.json"
    spec.write_bytes(text.replace(old, new, 1).encode("utf-8", "surrogateescape"))  # \udcff: the byte 0xff
    by_units, whole = load(spec, kept=True), load(spec, kept=False)
    assert isinstance(whole, SpecError), where
    assert isinstance(by_units, SpecError) and str(by_units) == str(whole), where
    assert (by_units.line, by_units.pointer) == (whole.line, whole.pointer), where


def test_a_unit_left_unparsed_that_changed_since_the_last_clean_verdict_is_validated_from_its_data(
    kept: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last clean verdict on the file (``validation._KnownClean``) can be older than the units' texts kept: a run
    with a slip keeps the texts, not a verdict. A path item changed since that verdict is then left unparsed, and
    the verdict by units reads its data."""
    whole_runs: list[str] = []
    whole = validation._validated_whole

    def counted(spec: LoadedSpec, followed: set[str] | None) -> Any:
        whole_runs.append(str(spec.path))
        return whole(spec, followed)

    monkeypatch.setattr(validation, "_validated_whole", counted)
    spec = tmp_path / "spec.json"

    def verdict(data: dict[str, Any]) -> tuple[Any, ...]:
        spec.write_text(json.dumps(data, indent=1), encoding="utf-8")
        loaded_spec = load_spec(spec, validate=False, keep_walks=True)
        found = validation.validate_spec(loaded_spec)
        store = loaded_spec.store_walks()
        if store is not None:
            store()
        return found

    first = document()
    assert verdict(first) == ()  # clean: its units kept for the verdicts after it
    renamed = changed(first, "paths", "/pets", "get", "summary", value="Every pet")
    slipped = changed(renamed, "paths", "/errors", "get", "description", value="x")
    slipped["paths"]["/errors"]["get"]["responses"]["200"] = {
        "description": "ok",
        "content": {"application/json": {"schema": {"type": "string", "default": 7}}},  # a slip: no new verdict kept
    }
    assert verdict(slipped) != ()
    runs_before = len(whole_runs)
    spec.write_text(json.dumps(renamed, indent=1), encoding="utf-8")
    again = load_spec(spec, validate=False, keep_walks=True)
    kept_walks = again.documents.walks()
    assert kept_walks is not None
    left = [unit.place for unit in kept_walks.units if type(unit.value) is Unparsed]
    assert ("paths", "/pets") in left and ("paths", "/errors") not in left
    assert validation.validate_spec(again) == ()
    assert len(whole_runs) == runs_before  # told by units: /pets read from its data, checked alone
