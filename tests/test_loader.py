"""Loader: formats, references across files, overlays, line numbers, the validate command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from clientgen.documents import Documents, Location
from clientgen.errors import SpecError
from clientgen.loader import load_spec
from clientgen.normalise import normalise
from clientgen.overlay import compile_path, select
from tests.conftest import MINIMAL, ROOT, run_cli, write


def test_yaml_uses_libyaml_and_keeps_timestamps_as_strings(tmp_path: Path) -> None:
    from clientgen import documents

    assert issubclass(documents._spec_loader(), yaml.CSafeLoader)
    spec = write(
        tmp_path / "s.yaml", MINIMAL.replace("name: {type: string}", "name: {type: string, example: 2024-01-01}")
    )
    data = load_spec(spec).data
    assert data["components"]["schemas"]["Item"]["properties"]["name"]["example"] == "2024-01-01"


def test_json_spec_gives_the_same_ir_as_yaml(tmp_path: Path, minimal_spec: Path) -> None:
    as_json = tmp_path / "spec.json"
    as_json.write_text(json.dumps(yaml.safe_load(minimal_spec.read_text())), encoding="utf-8")
    from_yaml, from_json = normalise(load_spec(minimal_spec)), normalise(load_spec(as_json))
    assert from_yaml.operations == from_json.operations
    assert [(m.name, m.fields) for m in from_yaml.models] == [(m.name, m.fields) for m in from_json.models]
    assert [m.source for m in from_json.models] == ["spec.json#/components/schemas/Item"]


def test_line_of_pointer(tmp_path: Path, minimal_spec: Path) -> None:
    docs = Documents(minimal_spec)
    docs.get(docs.root)
    assert docs.line_of(docs.root, "/paths/~1items~1{item_id}/get/operationId") == 6
    assert docs.line_of(docs.root, "/components/schemas/Item/properties/name") == 22
    assert docs.line_of(docs.root, "/components/schemas/Nope/deeper") == 17  # deepest node that exists


def test_lines_in_a_json_spec_are_found_without_composing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warning's line in a JSON spec used to compose the whole document as YAML nodes: 4 s and hundreds
    of MiB on GitHub's spec, paid by any JSON spec with one warning (Airflow's Kerberos scheme made the
    synthetic 5,000-operation spec 220 -> 507 MiB). The lines are the ones the composed nodes give: a
    member's key line, an item's first line, the deepest node that exists."""
    from clientgen import documents

    data = yaml.safe_load(MINIMAL)
    data["paths"]["/items/{item_id}"]["get"]["tags"] = ["a", {"b": [1, {"c\u00e9/~": "d"}]}]
    data["x-list"] = [[], {}, "s", 1.5e3, None, True, {"k": {'"quoted"': [0]}}]
    texts = {"pretty": json.dumps(data, indent=2), "compact": json.dumps(data), "odd": json.dumps(data, indent="\t")}
    texts["crlf"] = texts["pretty"].replace("\n", "\r\n")
    pointers = ["", "/openapi", "/paths/~1items~1{item_id}/get/operationId", "/paths/~1items~1{item_id}/get/tags/1/b/1"]
    pointers += ["/paths/~1items~1{item_id}/get/tags/1/b/1/c\u00e9~1~0", '/x-list/6/k/"quoted"/0', "/x-list/9"]
    pointers += ["/components/schemas/Item/properties/name", "/components/schemas/Nope/deeper", "/openapi/deeper"]
    expected = {}
    for name, text in texts.items():
        spec = tmp_path / f"{name}.json"
        spec.write_text(text, encoding="utf-8", newline="")
        docs = Documents(spec)
        docs.get(docs.root)
        expected[name] = [docs.line_of(docs.root, pointer) for pointer in pointers]
    composed = []
    compose = yaml.compose
    monkeypatch.setattr(yaml, "compose", lambda *args, **kwargs: composed.append(1) or compose(*args, **kwargs))
    for name in texts:
        lines = []
        for pointer in pointers:
            docs = Documents(tmp_path / f"{name}.json")
            docs.get(docs.root)
            lines.append(docs.line_of(docs.root, pointer))
        assert lines == expected[name], name
    assert not composed
    assert expected["pretty"][2] > 1 and expected["compact"] == [1] * len(pointers)
    # many lookups at once (a run's warnings): one pass over the text, the same lines, never composed
    decoded = []
    raw_decode = documents._JSON_DECODER.raw_decode
    monkeypatch.setattr(
        documents,
        "_JSON_DECODER",
        type("Counted", (), {"raw_decode": lambda self, *a: decoded.append(a[1]) or raw_decode(*a)})(),
    )
    for name in texts:
        docs = Documents(tmp_path / f"{name}.json")
        docs.get(docs.root)
        decoded.clear()
        assert docs.lines_of(docs.root, pointers * 2) == dict(zip(pointers, expected[name], strict=True)), name
        assert len(decoded) == len(set(decoded)), name  # no value decoded twice: one pass
    assert not composed
    # past a few lookups in one file, it is composed once and read from the nodes
    docs = Documents(tmp_path / "pretty.json")
    docs.get(docs.root)
    assert [docs.line_of(docs.root, pointer) for pointer in pointers * 2] == expected["pretty"] * 2
    assert len(composed) == 1


def test_a_yaml_spec_s_lines_come_from_the_nodes_its_parse_composed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A YAML file is composed once, by its parse: a warning's line no longer composes it again (~50 ms of
    every Airflow run), and the lines are those of a fresh compose. Merge keys, which the parse flattens
    into the nodes, and anchors leave it to a fresh compose as before."""

    def pointers_of(node: object, pointer: str = "") -> list[str]:
        found = [pointer]
        if isinstance(node, dict):
            for key, value in node.items():
                found += pointers_of(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += pointers_of(value, f"{pointer}/{index}")
        return found

    def counted(compose: Any, calls: list[int]) -> Any:
        return lambda *args, **kwargs: calls.append(1) or compose(*args, **kwargs)

    airflow = ROOT / "specs" / "airflow-2.10.5" / "v1.yaml"
    merged = write(
        tmp_path / "merged.yaml",
        MINIMAL.replace("components:", "x-base: &base {a: 1}\nx-merged:\n  <<: *base\n  b: 2\ncomponents:", 1),
    )
    inline_merge = write(tmp_path / "inline.yaml", MINIMAL + "x-merged:\n  <<: {a: 1}\n  b: 2\n")
    for spec in (airflow, merged, inline_merge):
        fresh = Documents(spec)
        data = fresh.get(fresh.root)
        pointers = [*pointers_of(data)[::7], "/x-merged/a", "/x-merged/b", "/nope/deeper"]
        fresh._line_maps.clear()
        expected = [fresh.line_of(fresh.root, pointer) for pointer in pointers]
        composed: list[int] = []
        with monkeypatch.context() as patch:
            patch.setattr(yaml, "compose", counted(yaml.compose, composed))
            docs = Documents(spec)
            docs.get(docs.root)
            assert [docs.line_of(docs.root, pointer) for pointer in pointers] == expected, spec.name
        assert len(composed) == (0 if spec == airflow else 1), spec.name


def test_cross_file_refs_resolve_relative_to_the_referring_file(tmp_path: Path) -> None:
    write(
        tmp_path / "shared" / "params.yaml",
        """
        components:
          parameters:
            itemId: {name: item_id, in: path, required: true, schema: {$ref: 'types.yaml#/components/schemas/Id'}}
        """,
    )
    write(
        tmp_path / "shared" / "types.yaml",
        """
        components:
          schemas:
            Id: {type: string, format: path}
        """,
    )
    spec = write(tmp_path / "spec.yaml", MINIMAL.replace(
        "- {name: item_id, in: path, required: true, schema: {type: string}}",
        "- $ref: 'shared/params.yaml#/components/parameters/itemId'",
    ))  # fmt: skip
    loaded = load_spec(spec)
    assert sorted(p.name for p in loaded.documents.files()) == ["params.yaml", "spec.yaml", "types.yaml"]
    op = normalise(loaded).operations[0]
    assert [(p.wire_name, p.location) for p in op.parameters] == [("item_id", "path")]
    # the digest covers every input file, so a change in a referenced file is a new spec
    before = loaded.sha256
    (tmp_path / "shared" / "types.yaml").write_text("components: {schemas: {Id: {type: string}}}\n")
    assert load_spec(spec).sha256 != before


def test_snowflake_multi_file_spec(shared_snowflake: Path) -> None:
    loaded = load_spec(shared_snowflake)
    assert sorted(p.name for p in loaded.documents.files()) == ["common.yaml", "task.yaml"]
    api = normalise(loaded)
    assert len(api.operations) == 16
    names = {o.py_name for o in api.operations}
    assert {"execute_task", "resume_task", "suspend_task", "fetch_task", "list_tasks"} <= names
    execute = next(o for o in api.operations if o.py_name == "execute_task")
    assert execute.path.endswith("/tasks/{name}:execute") and execute.polls_location
    create = next(o for o in api.operations if o.py_name == "create_task")
    mode = next(p for p in create.parameters if p.wire_name == "createMode")
    assert "CreateMode" in str(mode.type)
    deprecated = [o.py_name for o in api.operations if o.deprecated]
    assert deprecated and all(n.endswith("_deprecated") for n in deprecated)


def test_validate_command_reports(shared_snowflake: Path) -> None:
    result = run_cli("validate", shared_snowflake)
    assert result.returncode == 0, result.stderr
    assert "valid OpenAPI 3.0.0; 16 operations" in result.stdout and "common.yaml" in result.stdout


# -- overlays ------------------------------------------------------------------------------------

OVERLAY = """
overlay: 1.0.0
info: {title: fixes, version: "1"}
actions:
  - target: $.components.schemas.Item.properties.name
    update: {nullable: true, description: Patched.}
  - target: $.paths['/items/{item_id}'].get
    update: {summary: Fetch one item}
  - target: $.paths.*.get.parameters[?(@.name == 'item_id')]
    update: {description: The id.}
  - target: $.components.schemas.Item.properties.id
    remove: true
"""


def test_overlay_applies_update_and_remove_before_validation(tmp_path: Path, minimal_spec: Path) -> None:
    overlay = write(tmp_path / "fixes.yaml", OVERLAY)
    spec = load_spec(minimal_spec, (overlay,))
    item = spec.data["components"]["schemas"]["Item"]
    assert item["properties"]["name"] == {"type": "string", "nullable": True, "description": "Patched."}
    assert "id" not in item["properties"]
    get = spec.data["paths"]["/items/{item_id}"]["get"]
    assert get["summary"] == "Fetch one item" and get["parameters"][0]["description"] == "The id."
    assert load_spec(minimal_spec).sha256 != spec.sha256


def test_overlay_errors_name_the_overlay_file_and_action(tmp_path: Path, minimal_spec: Path) -> None:
    overlay = write(
        tmp_path / "bad.yaml",
        """
        overlay: 1.0.0
        info: {title: x, version: "1"}
        actions:
          - target: "$..[?(@.a > 3)]"
            update: {x: 1}
        """,
    )
    with pytest.raises(SpecError) as err:
        load_spec(minimal_spec, (overlay,))
    assert str(err.value).endswith("#/actions/0/target: unsupported JSONPath '$..[?(@.a > 3)]'")
    assert "bad.yaml:4" in str(err.value)


def test_overlay_that_breaks_the_spec_fails_validation(tmp_path: Path, minimal_spec: Path) -> None:
    overlay = write(
        tmp_path / "o.yaml",
        """
        overlay: 1.0.0
        info: {title: x, version: "1"}
        actions:
          - target: $.paths['/items/{item_id}'].get.parameters[0]
            update: {in: nowhere}
        """,
    )
    result = run_cli("generate", minimal_spec, "-o", tmp_path / "out", "--package-name", "c", "--overlay", overlay)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "#/paths/~1items~1{item_id}/get/parameters/0" in result.stderr


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.a.b", [("b", 1)]),
        ("$['a']['b']", [("b", 1)]),
        ("$.list[1]", [(1, {"k": "y"})]),
        ("$.list[-1]", [(1, {"k": "y"})]),
        ("$.list[*].k", [("k", "x"), ("k", "y")]),
        ("$.list[?(@.k == 'y')]", [(1, {"k": "y"})]),
        ("$..k", [("k", "x"), ("k", "y")]),
        ("$.missing", []),
    ],
)
def test_jsonpath_subset(path: str, expected: list[tuple[object, object]]) -> None:
    doc = {"a": {"b": 1}, "list": [{"k": "x"}, {"k": "y"}]}
    steps = compile_path(path)
    assert steps is not None
    assert [(key, parent[key]) for parent, key in select(doc, steps)] == expected


def test_location_child_escapes_tokens() -> None:
    at = Location(Path("x.yaml"), "").child("paths", "/a/{b}", "get")
    assert at.pointer == "/paths/~1a~1{b}/get"


REF_NAMES = """openapi: 3.0.3
info: {title: Refs, version: "1"}
paths:
  /schemas:
    get:
      operationId: get_schema
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/JSONSchemaProps"}
              example: {"$ref": "#/definitions/not-in-this-document"}
        default: {$ref: "#/components/responses/Error"}
components:
  responses:
    Error: {description: failed}
  schemas:
    JSONSchemaProps:
      type: object
      properties:
        $ref: {type: string}
        default: {type: object, default: {"$ref": "data"}}
        x-kubernetes-embedded-resource: {type: boolean}
"""


def test_a_property_named_ref_and_ref_keys_in_data_are_not_references(tmp_path: Path) -> None:
    """Kubernetes' JSONSchemaProps has a property ``$ref``; examples and defaults may hold "$ref" keys."""
    api = normalise(load_spec(write(tmp_path / "refs.yaml", REF_NAMES)))
    props = next(m for m in api.models if m.name == "JSONSchemaProps")
    assert [f.wire_name for f in props.fields] == ["$ref", "default", "x-kubernetes-embedded-resource"]


def test_a_default_response_reference_is_still_checked(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "refs.yaml", REF_NAMES.replace('"#/components/responses/Error"', '"#/components/responses/Nope"')
    )
    with pytest.raises(SpecError, match="Nope") as error:
        load_spec(spec)
    assert error.value.pointer == "/paths/~1schemas/get/responses/default"


def test_every_reference_is_found_with_its_pointer_escaped() -> None:
    """``_iter_refs`` keeps each node's way down as links, to be made a pointer where one is needed: the
    pointers are the escaped ones; data, extensions and the names of ``properties`` are skipped."""
    from clientgen.documents import _iter_refs, join_pointer, tokens_of

    document = {
        "paths": {"/a/{b}~c": {"get": {"parameters": [{"$ref": "#/p"}, {"schema": {"$ref": "#/s"}}]}}},
        "components": {"schemas": {"S": {"properties": {"$ref": {"type": "string"}}, "allOf": [{"$ref": "#/t"}]}}},
        "x-extra": {"$ref": "#/nope"},
        "example": {"$ref": "#/nope"},
    }
    compositions: list[Any] = []
    found = [(ref, join_pointer("", *tokens_of(way))) for ref, way in _iter_refs(document, compositions)]
    assert sorted(found) == [
        ("#/p", "/paths/~1a~1{b}~0c/get/parameters/0"),
        ("#/s", "/paths/~1a~1{b}~0c/get/parameters/1/schema"),
        ("#/t", "/components/schemas/S/allOf/0"),
    ]


def test_a_json_spec_is_generated_without_importing_pyyaml(tmp_path: Path) -> None:
    """PyYAML is ~15 ms of each run's start: a JSON spec without overlays needs neither it nor the overlay
    grammar (~7 ms of patterns)."""
    import json
    import subprocess
    import sys

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(yaml.safe_load(MINIMAL)))
    probe = (
        "import sys\nfrom clientgen.cli import main\n"
        f"main(['generate', {str(spec)!r}, '-o', {str(tmp_path / 'out')!r}, '--package-name', 'probe'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', 'clientgen')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.strip().splitlines()[-1]
    assert "clientgen.normalise" in loaded and "'yaml'" not in loaded and "clientgen.overlay" not in loaded


@pytest.mark.parametrize(
    ("schemas", "extension"),
    [
        (  # a JSON Schema document kept in an extension: its references are its own, not the spec's
            "    Cfg: {$ref: '#/x-jsonschema'}\n",
            "x-jsonschema:\n  type: object\n"
            "  definitions: {Mode: {$ref: '#/definitions/Base'}, Base: {type: string}}\n",
        ),
        (  # an example's payload, pointed at, holds a "$ref" key that is data
            "    A: {type: object, example: {inner: {$ref: '#/missing'}}}\n"
            "    B: {$ref: '#/components/schemas/A/example'}\n",
            "",
        ),
    ],
)
def test_data_a_reference_leads_into_is_not_read_for_references(tmp_path: Path, schemas: str, extension: str) -> None:
    """A reference may lead into an extension or an example; what is below it is data, where "$ref" is a key
    like any other (walking it as the spec's turned both specs into errors: reverted)."""
    spec = write(tmp_path / "spec.yaml", MINIMAL + schemas + extension)
    normalise(load_spec(spec, validate=False))
