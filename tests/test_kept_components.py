"""The component pass read back from the cache (``normalise.kept``): a spec changed only in its operations
regenerates to the same bytes as a run without any cache, and anything the pass reads that changed (a
component, a variant an operation tags, a reference into ``paths``, the generator) makes it run again."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest

from clientgen import cache as cache_module
from clientgen import ir
from clientgen.cli import main
from clientgen.loader import load_spec
from clientgen.normalise import Normaliser
from clientgen.normalise.kept import KIND, KeptComponents, inputs_key
from clientgen.writer import MANIFEST
from tests.conftest import write

SPEC = """
openapi: 3.0.3
info: {title: Kept, version: "1.0"}
paths:
  /pets:
    get:
      operationId: listPets
      summary: List pets
      tags: [pets]
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
    post:
      operationId: createPet
      tags: [pets]
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}
      responses:
        "201":
          description: made
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
  /shapes:
    post:
      operationId: drawShape
      tags: [shapes]
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Shape"}
      responses:
        "204": {description: drawn}
  /actions:
    post:
      operationId: act
      tags: [shapes]
      requestBody:
        content:
          application/json:
            schema:
              oneOf: [{$ref: "#/components/schemas/Create"}, {$ref: "#/components/schemas/Delete"}]
      responses:
        "204": {description: done}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
        kind: {$ref: "#/components/schemas/Kind"}
        status: {type: string, enum: [available, sold]}
        labels: {$ref: "#/components/schemas/Labels"}
        friend: {$ref: "#/components/schemas/Node"}
    Kind: {type: string, enum: [cat, dog]}
    Labels: {type: array, items: {type: string}}
    Node:
      type: object
      properties:
        children: {type: array, items: {$ref: "#/components/schemas/Node"}}
    Loop: {type: array, items: {$ref: "#/components/schemas/Loop"}}
    Shape:
      oneOf: [{$ref: "#/components/schemas/Circle"}, {$ref: "#/components/schemas/Square"}]
      discriminator: {propertyName: type}
    Circle:
      type: object
      required: [type]
      properties: {type: {type: string}, radius: {type: number}}
    Square:
      type: object
      required: [type]
      properties: {type: {type: string}, side: {type: number}}
    Create:
      type: object
      properties: {action: {type: string, const: create}, name: {type: string}}
    Delete:
      type: object
      properties: {action: {type: string, const: delete}, id: {type: integer}}
"""


@pytest.fixture
def recalls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each run found the component pass's state in the cache."""
    found: list[bool] = []
    recall = KeptComponents.recall

    def spy(self: KeptComponents, key: str) -> object:
        state = recall(self, key)
        found.append(state is not None)
        return state

    monkeypatch.setattr(KeptComponents, "recall", spy)
    return found


def generate(spec: Path, out: Path, *extra: str) -> None:
    assert main(["generate", str(spec), "-o", str(out), "--package-name", "kept", *extra]) == 0


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def regenerated(tmp_path: Path, first: str, second: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The output of ``second`` regenerated over that of ``first`` with the cache, and generated with none."""
    spec = write(tmp_path / "spec.yaml", first)
    generate(spec, tmp_path / "out")
    write(spec, second)
    generate(spec, tmp_path / "out")
    generate(spec, tmp_path / "fresh", "--no-cache")
    return tree(tmp_path / "out"), tree(tmp_path / "fresh")


def test_a_spec_changed_in_its_operations_reads_the_component_pass_back_and_writes_the_same_bytes(
    cache: Path, recalls: list[bool], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = SPEC.replace("summary: List pets", "summary: List every pet").replace(
        "        - {name: limit, in: query, schema: {type: integer}}",
        "        - {name: limit, in: query, schema: {type: integer}}\n"
        "        - {name: order, in: query, schema: {type: string, enum: [asc, desc]}}",
    )
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out")
    capsys.readouterr()
    write(spec, changed)
    generate(spec, tmp_path / "out")
    told = capsys.readouterr().err
    generate(spec, tmp_path / "fresh", "--no-cache")
    kept, fresh = tree(tmp_path / "out"), tree(tmp_path / "fresh")
    assert recalls == [False, True]  # the first run kept it, the second read it back (--no-cache asks nothing)
    assert kept == fresh
    assert b"List every pet" in kept["kept/resources/_pets.py"]
    assert b"PetRequest" in b"".join(kept.values())  # a request shape the operations built on the state read back
    # the pass's own warning, kept with its state, is told at its line in the changed spec (one line down)
    assert b"recursive schema" in kept[MANIFEST]
    assert "spec.yaml:70: #/components/schemas/Loop: recursive schema" in told


@pytest.mark.parametrize(
    ("what", "old", "new"),
    [
        ("a component", "radius: {type: number}", "radius: {type: integer}"),
        (
            "a variant only an operation's oneOf tags",
            'oneOf: [{$ref: "#/components/schemas/Create"}, ',
            'anyOf: [{$ref: "#/components/schemas/Create"}, {type: string}, ',
        ),
        ("the title (in every docstring)", "title: Kept", "title: Kept again"),
    ],
)
def test_what_the_component_pass_reads_changed_runs_it_again(
    cache: Path, recalls: list[bool], tmp_path: Path, what: str, old: str, new: str
) -> None:
    assert old in SPEC, what
    kept, fresh = regenerated(tmp_path, SPEC, SPEC.replace(old, new))
    assert recalls == [False, False]
    assert kept == fresh


def test_a_reference_into_paths_keeps_nothing(cache: Path, tmp_path: Path) -> None:
    into_paths = SPEC.replace(
        "    Kind: {type: string, enum: [cat, dog]}",
        '    Kind: {$ref: "#/paths/~1pets/get/parameters/0/schema"}',
    )
    spec = load_spec(write(tmp_path / "spec.yaml", into_paths))
    assert inputs_key(spec, Normaliser(spec)._tags) is None
    plain = load_spec(write(tmp_path / "plain.yaml", SPEC))
    assert inputs_key(plain, Normaliser(plain)._tags) is not None


def test_the_key_holds_the_generators_fingerprint(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from clientgen import writer

    spec = load_spec(write(tmp_path / "spec.yaml", SPEC))
    tags = Normaliser(spec)._tags
    before = inputs_key(spec, tags)
    monkeypatch.setattr(writer, "fingerprint", lambda: "another generator")
    assert inputs_key(spec, tags) not in (None, before)


def test_no_cache_reads_and_keeps_nothing(cache: Path, tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out", "--no-cache")
    assert not (cache / KIND).exists()


def test_an_entry_of_another_shape_or_planted_is_not_used(cache: Path, recalls: list[bool], tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "first")
    (entry,) = (cache / KIND).iterdir()
    cache_module.write_entry(KIND, entry.name, pickle.dumps(("not", "a", "state")))  # tagged, but no state
    generate(spec, tmp_path / "second", "--force")
    tag = entry.read_bytes().partition(b"\n")[0]
    entry.write_bytes(tag + b"\n" + pickle.dumps(("planted",)))  # an edit without the secret: the tag fails
    generate(spec, tmp_path / "third", "--force")
    assert recalls == [False, False, False]
    assert tree(tmp_path / "second") == tree(tmp_path / "first") == tree(tmp_path / "third")


def test_the_state_is_written_beside_and_by_the_caller_when_the_writer_fails(
    cache: Path, recalls: list[bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientgen import processes

    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "forked")  # written by a forked process
    (written,) = (cache / KIND).iterdir()
    written.unlink()

    class Failed:  # the writer's process could not be had, or died
        def __init__(self, function: object) -> None:
            pass

        def result(self) -> None:
            return None

    monkeypatch.setattr(processes, "Forked", Failed)
    generate(spec, tmp_path / "failed", "--force")
    assert [entry.name for entry in (cache / KIND).iterdir()] == [written.name]  # written here instead
    generate(spec, tmp_path / "read", "--force")
    assert recalls == [False, False, True]
    assert tree(tmp_path / "forked") == tree(tmp_path / "failed") == tree(tmp_path / "read")


def test_a_reference_into_paths_first_followed_by_the_pass_keeps_nothing(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reference ``check_refs`` does not walk (none is known today) and the pass follows into ``paths``: the
    key was made before it was seen, so the state is not kept under it."""
    from clientgen.documents import Documents

    asked: list[bool] = []

    def into_paths_once_the_pass_ran(self: Documents) -> bool:
        asked.append(True)
        return len(asked) > 1  # not when the key is made, but by the end of the pass

    monkeypatch.setattr(Documents, "refers_into_paths", into_paths_once_the_pass_ran)
    generate(write(tmp_path / "spec.yaml", SPEC), tmp_path / "out")
    assert len(asked) >= 2  # the key made, then the pass ended (and the operations pass, which asks again)
    assert not (cache / KIND).exists()


THROUGH_EXTENSION = """
openapi: 3.0.3
info: {title: T, version: "1.0"}
x-defs:
  Foo:
    type: object
    properties:
      t: {$ref: 'third.yaml#/T'}
paths:
  /foo:
    get:
      operationId: getFoo
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Foo'}
components:
  schemas:
    Foo: {$ref: '#/x-defs/Foo'}
"""


def test_a_file_the_pass_reads_first_keeps_nothing(cache: Path, recalls: list[bool], tmp_path: Path) -> None:
    """A file reached only through a schema under an ``x-`` key (which the reference walk leaves: data) is read
    by the pass itself, after the key was made without it: a state kept then was read back after that file
    changed."""
    spec = write(tmp_path / "spec.yaml", THROUGH_EXTENSION)
    write(tmp_path / "third.yaml", "T: {type: object, properties: {old_field: {type: string}}}\n")
    generate(spec, tmp_path / "out")
    write(spec, THROUGH_EXTENSION.replace("operationId: getFoo", "operationId: getFoo\n      description: changed"))
    write(tmp_path / "third.yaml", "T: {type: object, properties: {new_field: {type: integer}}}\n")
    generate(spec, tmp_path / "out")
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert recalls == [False, False]
    assert not (cache / KIND).exists()
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")
    assert b"new_field" in tree(tmp_path / "out")["kept/models/_default.py"]


TAGGED_IN_OPERATIONS = """
openapi: 3.1.0
info: {title: T, version: "1.0"}
paths:
  /pets:
    post:
      operationId: addPet
      requestBody:
        content:
          application/json:
            schema:
              oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Bird'}]
      responses: {'204': {description: ok}}
    get:
      operationId: getPet
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}
components:
  schemas:
    Pet:
      type: object
      required: [kind]
      properties: {kind: {type: string}}
      discriminator: {propertyName: kind, mapping: {dog: '#/components/schemas/Dog'}}
    Dog:
      allOf: [{$ref: '#/components/schemas/Pet'}]
      properties: {kind: {type: string, const: dog}, bark: {type: string}}
    Cat:
      allOf: [{$ref: '#/components/schemas/Pet'}]
      properties: {kind: {type: string, const: cat}, meow: {type: string}}
    Bird:
      allOf: [{$ref: '#/components/schemas/Pet'}]
      properties: {kind: {type: string, const: bird}, tweet: {type: string}}
"""


def test_the_order_operations_tag_variants_in_is_in_the_key(cache: Path, recalls: list[bool], tmp_path: Path) -> None:
    swapped = TAGGED_IN_OPERATIONS.replace(
        "oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Bird'}]",
        "oneOf: [{$ref: '#/components/schemas/Bird'}, {$ref: '#/components/schemas/Cat'}]",
    )
    kept, fresh = regenerated(tmp_path, TAGGED_IN_OPERATIONS, swapped)
    assert recalls == [False, False]
    assert kept == fresh


def test_a_yaml_set_keeps_nothing(cache: Path, tmp_path: Path) -> None:
    """A set's order differs from one process to the next: a key made of it would never be met again, and
    each run would push another spec's state out."""
    with_set = SPEC.replace(
        'info: {title: Kept, version: "1.0"}', 'info: {title: Kept, version: "1.0"}\nx-set: !!set {a, b, c}'
    )
    spec = load_spec(write(tmp_path / "spec.yaml", with_set))
    assert inputs_key(spec, Normaliser(spec)._tags) is None


def test_a_failed_write_leaves_no_partial_entry(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", full_disk)
    cache_module.write_entry(KIND, "k" * 64, b"x" * 1000)
    assert [p.name for p in (cache / KIND).iterdir()] == []


def test_a_render_that_fails_still_waits_for_the_writer(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Else the writer, still running when the process ends, is killed mid-write."""
    from clientgen import pipeline

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("render failed")

    store = KeptComponents.store

    def slow_store(self: KeptComponents) -> None:
        time.sleep(0.5)  # still writing when the render has failed
        store(self)

    monkeypatch.setattr(KeptComponents, "store", slow_store)
    monkeypatch.setattr(pipeline, "_package_texts", failing)
    with pytest.raises(RuntimeError, match="render failed"):
        generate(write(tmp_path / "spec.yaml", SPEC), tmp_path / "out")
    (entry,) = (cache / KIND).iterdir()
    assert not entry.name.endswith(".tmp")


def test_a_file_reached_through_an_extension_is_an_input_of_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file reached only through a schema under an ``x-`` key (which the reference walk leaves: it is data
    there) is first read by the normaliser, after the spec's digest was made: the output was taken for up to
    date after that file changed (even without any cache). The IR's digest now holds every file read."""
    spec = write(tmp_path / "spec.yaml", THROUGH_EXTENSION)
    write(tmp_path / "third.yaml", "T: {type: object, properties: {old_field: {type: string}}}\n")
    generate(spec, tmp_path / "out", "--no-cache")
    write(tmp_path / "third.yaml", "T: {type: object, properties: {new_field: {type: integer}}}\n")
    capsys.readouterr()
    generate(spec, tmp_path / "out", "--no-cache")
    assert "(written)" in capsys.readouterr().out
    assert b"new_field" in tree(tmp_path / "out")["kept/models/_default.py"]
    generate(spec, tmp_path / "out", "--no-cache", "--check")  # and then up to date


MAPPED_ELSEWHERE = """
openapi: 3.0.3
info: {title: T, version: "1.0"}
paths:
  /pets:
    get:
      operationId: getPet
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}
components:
  schemas:
    Pet:
      type: object
      required: [kind]
      properties: {kind: {type: string}}
      discriminator: {propertyName: kind, mapping: {cat: 'other.yaml#/Cat'}}
"""


def test_a_file_only_a_discriminator_mapping_names_is_an_input_of_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mapping's value is no ``$ref``, so no reference walk reads its file: the normaliser does, and the
    output's digest (every file's first line, the manifest) holds it (``LoadedSpec.digest_of_all_read``)."""
    spec = write(tmp_path / "spec.yaml", MAPPED_ELSEWHERE)
    cat = "Cat: {allOf: [{$ref: 'spec.yaml#/components/schemas/Pet'}, {properties: {%s: {type: string}}}]}\n"
    write(tmp_path / "other.yaml", cat % "meow")
    generate(spec, tmp_path / "out", "--no-cache")
    write(tmp_path / "other.yaml", cat % "purr")
    capsys.readouterr()
    generate(spec, tmp_path / "out", "--no-cache")
    assert "(written)" in capsys.readouterr().out
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")
    assert b"purr" in b"".join(tree(tmp_path / "out").values())


def test_a_json_spec_reads_the_pass_back_over_a_changed_operation_and_not_over_a_changed_component(
    cache: Path, recalls: list[bool], tmp_path: Path
) -> None:
    """JSON data is keyed by ``marshal``'s bytes (YAML's by JSON text): the same answers."""
    import json

    import yaml

    data = yaml.safe_load(SPEC)
    spec = tmp_path / "spec.json"
    for change in (
        lambda d: None,
        lambda d: d["paths"]["/pets"]["get"].update(summary="List every pet"),
        lambda d: d["components"]["schemas"]["Circle"]["properties"]["radius"].update(type="integer"),
    ):
        change(data)
        spec.write_text(json.dumps(data))
        generate(spec, tmp_path / "out")
        generate(spec, tmp_path / "fresh", "--no-cache")
        assert tree(tmp_path / "out") == tree(tmp_path / "fresh")
    assert recalls == [False, True, False]


SHARED_FIELDS = """
openapi: 3.0.3
info: {title: Shared, version: "1.0"}
paths:
  /a:
    get:
      operationId: getA
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/A"}
components:
  schemas:
    A:
      type: object
      properties:
        name: {type: string, description: The name}
        tags: {type: array, items: {type: string}}
    B:
      type: object
      properties:
        name: {type: string, description: The name}
        tags: {type: array, items: {type: string}}
"""


def test_the_state_is_kept_with_equal_values_as_one_object(cache: Path, tmp_path: Path) -> None:
    """``ir.Sharing``: the state reads back with each field, type and member held once."""
    spec = write(tmp_path / "spec.yaml", SHARED_FIELDS)
    generate(spec, tmp_path / "out")
    key = Normaliser(load_spec(spec), KeptComponents())._type_components()
    assert key is not None
    recalled = KeptComponents().recall(key)
    assert recalled is not None
    a, b = recalled.models["A"], recalled.models["B"]
    assert a.fields == b.fields and all(x is y for x, y in zip(a.fields, b.fields, strict=True))
    generate(spec, tmp_path / "again", "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "again")


PETS = """
openapi: 3.0.3
info: {title: Pets, version: "1.0"}
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
    put:
      operationId: putPet
      summary: Put a pet
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}
      responses:
        "204": {description: done}
components:
  schemas:
    Pet:
      type: object
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
        tags: {type: array, items: {type: object, properties: {label: {type: string}}}}
"""


def test_the_memo_below_the_components_is_read_back_only_when_typing_reaches_there(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The state's memo of the schemas inside components (97% of GitHub's 35k entries) and the names it gave are kept
    apart and read back only when an item typed again looks one up or names a schema: a changed operation that only
    names components by reference does not (``listPets``: the state's entry for ``Pet`` answers); one that types a
    component in another shape does (``putPet``'s request body). Each run writes what a run without any cache
    writes."""
    from clientgen.normalise import kept

    read: list[int] = []
    call = kept.cache.Tail.__call__

    def spy(tail: kept.cache.Tail) -> object:  # the entry's tail, read from the file only here
        content = call(tail)
        read.append(len(content or b""))
        return content

    monkeypatch.setattr(kept.cache.Tail, "__call__", spy)
    spec = write(tmp_path / "spec.yaml", PETS)
    generate(spec, tmp_path / "out")
    for old, new, reads in (("List pets", "List every pet", 0), ("Put a pet", "Put one pet", 1)):
        read.clear()
        write(spec, spec.read_text().replace(old, new))
        generate(spec, tmp_path / "out")
        assert len(read) == reads, old
        generate(spec, tmp_path / "fresh", "--no-cache", "--force")
        assert tree(tmp_path / "out") == tree(tmp_path / "fresh")


def _normalised(spec: Path) -> tuple[ir.Api, KeptComponents]:
    from clientgen.render import part_digests

    kept = KeptComponents(part_digests)
    api = Normaliser(load_spec(spec), kept).build()
    kept.store()
    return api, kept


def test_the_models_modules_are_read_back_with_their_digests_only_for_the_same_inputs(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``KeptComponents.model_modules``: a run whose models, enums, aliases and groups' references are an earlier
    run's reads the modules back (made of this run's values), each with the digest the renderer takes of it where
    every member's digest is known; a group referring to other models, or an entry that does not place every value
    once, works them out again. Each answer is ``modules.model_modules``' own, each digest the renderer's."""
    from clientgen.normalise import kept as kept_module
    from clientgen.normalise.modules import model_modules
    from clientgen.render import part_digests

    worked_out: list[int] = []
    work = kept_module.model_modules

    def spy(*args: object) -> object:
        worked_out.append(1)
        return work(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(kept_module, "model_modules", spy)

    def check(spec: Path, works: bool, digests: bool) -> None:
        worked_out.clear()
        api, kept = _normalised(spec)
        assert bool(worked_out) is works
        assert api.model_modules == model_modules(api.groups, api.models, api.enums, api.aliases)
        values = {id(value) for value in (*api.models, *api.enums, *api.aliases)}
        for module in api.model_modules:
            assert all(id(value) in values for value in (*module.models, *module.enums, *module.aliases))
            known = kept.digests.get(id(module))
            assert (known is not None) is digests
            if known is not None:
                assert known[0] is module and known[1] == part_digests((module,), {})[0]

    spec = write(tmp_path / "spec.yaml", SPEC)
    with monkeypatch.context() as patched:  # a first run with more values than it digests for the key
        patched.setattr(kept_module, "DIGESTED_HERE", 0)
        check(spec, works=True, digests=False)  # nothing kept
        check(spec, works=True, digests=False)  # kept by references (the first run read nothing back), now by digests
        check(spec, works=False, digests=True)
    write(spec, SPEC.replace("summary: List pets", "summary: List every pet"))
    check(spec, works=False, digests=True)  # an item typed anew (its models digested), referring to what it did
    write(spec, SPEC.replace("summary: List pets", "summary: List every pet").replace("[cat, dog]", "[cat, dog, cow]"))
    check(spec, works=True, digests=False)  # the same modules, but one of an enum changed: its digest is another
    shapes = SPEC.replace(
        '        "204": {description: drawn}',
        '        "200":\n          description: drawn\n          content:\n'
        '            application/json:\n              schema: {$ref: "#/components/schemas/Kind"}',
    )
    write(spec, shapes)
    check(spec, works=True, digests=False)  # ``shapes`` refers to ``Kind`` now: another module for it
    check(spec, works=False, digests=True)
    for entry in (cache / kept_module.MODULES_KIND).iterdir():  # each module placed twice
        stored = cache_module.read_entry(kept_module.MODULES_KIND, entry.name)
        assert stored is not None
        kept_modules = pickle.loads(stored)
        garbled = pickle.dumps(tuple(kept_modules) * 2)
        cache_module.write_entry(kept_module.MODULES_KIND, entry.name, garbled)
    check(spec, works=True, digests=False)
