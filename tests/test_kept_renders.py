"""Formatted files kept between runs (``render.kept``): a file made from a part of the API alone (a group's
modules, a models module) is taken from the cache when that part is unchanged, and a regeneration writes the
same bytes as a run without any cache; a changed spec rewrites only the files whose text it changes."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2.meta
import pytest

from clientgen import render
from clientgen.render import kept as kept_module
from tests.conftest import write
from tests.test_kept_components import SPEC, generate, tree

CHANGED_SUMMARY = SPEC.replace("summary: List pets", "summary: List every pet")


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The files each run rendered (not taken from the cache)."""
    runs: list[set[str]] = []
    render_files = render.render_files

    def spy(*args: object, **kwargs: object) -> render.Rendered:
        made = render_files(*args, **kwargs)  # type: ignore[arg-type]
        runs.append(set(made.texts) - set(made.reused))
        return made

    monkeypatch.setattr(render, "render_files", spy)
    return runs


def _written(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_a_changed_summary_rewrites_only_the_files_that_say_it(cache: Path, tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    out = tmp_path / "out"
    generate(spec, out, "--no-cache")
    before, times = tree(out), _written(out)
    for path in out.rglob("*"):  # older than anything written next
        if path.is_file():
            os.utime(path, ns=(1, 1))
    write(spec, CHANGED_SUMMARY)
    generate(spec, out, "--no-cache")
    after = tree(out)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {
        ".clientgen-manifest.json",  # the spec's sha256, each file's
        ".clientgen-base.json",  # the text generated, for --keep-edits
        "README.md",  # its table of operations
        "kept/resources/_pets.py",  # the method's docstring
    }
    untouched = {name for name, stamp in _written(out).items() if stamp == 1}
    assert untouched == set(times) - changed  # nothing else was written again
    assert b"sha256" not in after["kept/models/_pets.py"].partition(b"\n")[0]


def test_a_regeneration_renders_what_changed_and_writes_the_same_bytes(
    cache: Path, rendered: list[set[str]], tmp_path: Path
) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out")
    write(spec, CHANGED_SUMMARY)
    generate(spec, tmp_path / "out")
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")
    first, second, fresh = rendered
    assert "kept/models/_pets.py" in first and first == fresh
    made_of_the_whole_api = {
        "README.md",
        "pyproject.toml",
        "kept/__init__.py",
        "kept/client.py",
        "kept/testing.py",
        "kept/_runtime.py",
        "kept/py.typed",
        "kept/_endpoints/__init__.py",
    }
    # and the changed operation's group (each of its modules is made from the whole group); no models module,
    # and no package made from the names of the models or groups alone (``models``, ``resources``...)
    pets = {"kept/resources/_pets.py", "kept/async_resources/_pets.py", "kept/_endpoints/_pets.py"}
    assert second == made_of_the_whole_api | pets


def test_a_kept_text_with_a_tab_and_characters_past_ascii_is_written_as_a_fresh_run_writes_it(
    cache: Path, rendered: list[set[str]], tmp_path: Path
) -> None:
    """What the writer made of a kept file's text (its sha256, whether its JSON string escapes a control
    character) is kept with it: the files taken from the cache must make the manifest and merge base a run
    without cache makes, whether their text escapes a tab or not."""
    described = SPEC.replace(
        "    Pet:\n      type: object\n",
        '    Pet:\n      type: object\n      description: "A pet:\\ttabbed, \\"quoted\\" \\\\ naïve — 😀"\n',
    )
    assert described != SPEC
    spec = write(tmp_path / "spec.yaml", described)
    generate(spec, tmp_path / "out")
    write(spec, described.replace("summary: List pets", "summary: List every pet"))
    generate(spec, tmp_path / "out")
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert "kept/models/_pets.py" not in rendered[1]  # taken from the cache
    out, fresh = tree(tmp_path / "out"), tree(tmp_path / "fresh")
    assert b"\ttabbed" in out["kept/models/_pets.py"]
    assert b"\\ttabbed" in out[".clientgen-base.json"] and "naïve".encode() in out[".clientgen-base.json"]
    assert out == fresh


@pytest.mark.parametrize(
    ("what", "old", "new"),
    [
        ("a model's field", "radius: {type: number}", "radius: {type: integer}"),
        ("the title (in every models docstring)", "title: Kept", "title: Kept again"),
        (
            "an operation's parameter",
            "{name: limit, in: query, schema: {type: integer}}",
            "{name: max, in: query, schema: {type: string}}",
        ),
        ("a group", "operationId: drawShape\n      tags: [shapes]", "operationId: drawShape\n      tags: [pets]"),
    ],
)
@pytest.mark.parametrize("layout", ["project", "package"])
def test_each_change_regenerates_to_the_bytes_of_a_run_without_cache(
    cache: Path, tmp_path: Path, what: str, old: str, new: str, layout: str
) -> None:
    assert old in SPEC, what
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out", "--layout", layout)
    write(spec, SPEC.replace(old, new))
    generate(spec, tmp_path / "out", "--layout", layout)
    generate(spec, tmp_path / "fresh", "--layout", layout, "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")


def test_the_other_layout_or_package_name_does_not_take_a_files_text(cache: Path, tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "project")
    generate(spec, tmp_path / "package", "--layout", "package")
    generate(spec, tmp_path / "fresh", "--layout", "package", "--no-cache")
    assert tree(tmp_path / "package") == tree(tmp_path / "fresh")
    assert b"# ruff: noqa" in tree(tmp_path / "package")["models/_pets.py"]


def test_an_entry_not_written_by_this_clientgen_is_not_used(cache: Path, tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out")
    entries = list((cache / kept_module.KIND).iterdir())
    assert entries
    for entry in entries:  # a hand edit: its tag no longer matches
        entry.write_bytes(entry.read_bytes().replace(b"class Pet", b"class Cat"))
    generate(spec, tmp_path / "again", "--force")
    assert tree(tmp_path / "again") == tree(tmp_path / "out")


def test_a_file_kept_by_its_inputs_is_rendered_from_those_inputs_alone() -> None:
    """A template whose file is kept by the digest of its inputs must not read anything else (the API
    whole, the package name): a change there would not reach the file. StrictUndefined makes a render fail
    where it does; this says it before any spec does."""
    env = render._environment()
    kept_files = {
        "package/models/module.py.jinja": {"module", "title"},
        "package/resources.py.jinja": {"groups", "module_name"},
        "package/async_resources.py.jinja": {"groups", "module_name"},
        "package/_endpoints.py.jinja": {"groups", "module_name"},
        "package/_lazy.py.jinja": {"doc", "members"},  # the models, resources and async_resources packages
    }
    for name, inputs in kept_files.items():
        source = env.loader.get_source(env, name)[0]
        read = jinja2.meta.find_undeclared_variables(env.parse(source)) - set(env.globals)
        assert read <= inputs, name


def test_models_read_back_with_the_component_pass_are_not_digested_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientgen import ir

    digested: list[str] = []
    digest = ir.digest

    def spy(value: object) -> str:
        if isinstance(value, ir.Model):
            digested.append(value.name)
        return digest(value)

    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out")
    monkeypatch.setattr(ir, "digest", spy)
    write(spec, CHANGED_SUMMARY)
    generate(spec, tmp_path / "out")
    assert "PetRequest" in digested  # built by the operations: digested
    assert not {"Pet", "Node", "Circle", "Square"} & set(digested)  # read back with the state, and its digests
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")


def test_a_first_run_takes_no_digest_before_its_files_are_made(
    cache: Path, tmp_path: Path, renders: list[render.Rendered]
) -> None:
    """With nothing kept, and the files made by one process (a small package), digesting the parts first would
    only cost time: the keeper's process takes the digests. (A big package's two processes take them as they go,
    where they cost half and overlap the other's rendering.)"""
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out")
    write(spec, CHANGED_SUMMARY)
    generate(spec, tmp_path / "out")
    first, second = renders
    assert first.inputs == {} and "kept/models/_pets.py" in first.pending and not first.reused
    assert "kept/models/_pets.py" in second.inputs and not second.pending
    assert "kept/models/_pets.py" in second.unchanged  # the output's file, as the first run wrote it: left as it is


def _seen_by_a_regeneration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, owner: object, name: str, *also: object
) -> list[object]:
    """The values ``owner.name`` (and the same function as the modules ``also`` import it) is called with while a
    spec changed in one summary is regenerated over its first run's output and caches (the output checked against
    a run without any cache)."""
    seen: list[object] = []
    original = getattr(owner, name)

    def spy(value: object) -> object:
        seen.append(value)
        return original(value)

    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out")
    for each in (owner, *also):
        assert getattr(each, name) is original
        monkeypatch.setattr(each, name, spy)
    write(spec, CHANGED_SUMMARY)
    generate(spec, tmp_path / "out")
    monkeypatch.undo()
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")
    return seen


def test_operations_replayed_are_not_digested_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group's modules are kept by the digests of its operations; an operation replayed from an earlier run's
    records (``normalise.replay``) comes with the digest that run's keeper took, and a group is digested by its
    operations' digests, never by its whole ``repr`` again."""
    from clientgen import ir

    digested = _seen_by_a_regeneration(tmp_path, monkeypatch, ir, "digest")
    operations = {value.operation_id for value in digested if isinstance(value, ir.Operation)}
    assert operations == {"listPets", "createPet"}  # /pets changed: typed again; /shapes replayed
    assert not [value for value in digested if isinstance(value, ir.Group)]


def test_the_references_of_what_was_read_back_are_not_walked_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which models module each model lives in follows the names every model and operation refers to
    (``normalise.modules``): those of the models read back with the component pass, and of what a replayed item
    made, are kept with them by the keeper's process and not walked for again."""
    from clientgen import ir
    from clientgen.normalise import kept, modules, replay

    walked = _seen_by_a_regeneration(tmp_path, monkeypatch, modules, "references", kept, replay)
    operations = {value.operation_id for value in walked if isinstance(value, ir.Operation)}
    assert operations == {"listPets", "createPet"}  # /pets changed: typed again; /shapes replayed
    models = {value.name for value in walked if isinstance(value, ir.Model)}
    assert "PetRequest" in models  # made by the item typed again
    assert not {"Pet", "Node", "Circle", "Square"} & models  # read back with the state


WITH_A_DOWNLOAD = SPEC.replace(
    "\n  /shapes:",
    """
  /files/{name}:
    get:
      operationId: getFile
      tags: [files]
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: the file
          content:
            application/octet-stream:
              schema: {type: string, format: binary}
  /shapes:""",
    1,
)


def test_an_operation_named_after_typing_is_digested_from_its_digest_before(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operation's helpers (``get_file_to_file``) are named once every operation is typed, which makes it a new
    object: its digest is made from the one it had before and the names it was given, not from its ``repr``."""
    from clientgen import ir

    digested: list[object] = []
    digest = ir.digest

    def spy(value: object) -> str:
        digested.append(value)
        return digest(value)

    spec = write(tmp_path / "spec.yaml", WITH_A_DOWNLOAD)
    generate(spec, tmp_path / "out")
    monkeypatch.setattr(ir, "digest", spy)
    write(spec, WITH_A_DOWNLOAD.replace("summary: List pets", "summary: List every pet"))
    generate(spec, tmp_path / "out")
    monkeypatch.undo()
    assert "get_file_to_file" in (tmp_path / "out/kept/resources/_files.py").read_text()
    assert not [value for value in digested if isinstance(value, ir.Operation) and value.operation_id == "getFile"]
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")


@pytest.mark.parametrize(("threshold", "regeneration_splits"), [(300, False), (100, True)])
def test_a_regeneration_looks_every_file_up_first_and_splits_only_what_is_left_to_make(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int, regeneration_splits: bool
) -> None:
    """With the parts' digests known (a regeneration), every file is looked up in one process; what is left is
    made there too, unless it weighs enough to be worth a second process (whose fork and answer cost more than
    the few files a one-operation change leaves). The spec's package weighs 590, its changed group's files 136."""
    monkeypatch.setattr(render, "_PARALLEL_MIN_WEIGHT", threshold)
    splits: list[list[str]] = []
    split = render._split

    def spy(jobs: list[render._Job], *args: object) -> object:
        splits.append(sorted(job.name for job in jobs))
        return split(jobs, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "_split", spy)
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out")
    assert len(splits) == 1 and "kept/models/_pets.py" in splits[0]  # a first run: the whole package split
    write(spec, CHANGED_SUMMARY)
    generate(spec, tmp_path / "out")
    if regeneration_splits:
        assert len(splits) == 2 and "kept/resources/_pets.py" in splits[1]
        assert not {"kept/models/_pets.py", "kept/resources/_shapes.py"} & set(splits[1])  # kept: not made
    else:
        assert len(splits) == 1
    monkeypatch.undo()
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")


PAGED = SPEC.replace(
    "components:\n",
    """  /owners:
    get:
      operationId: listOwners
      tags: [owners]
      responses:
        "200":
          description: a page of them, the next one linked
          headers: {Link: {schema: {type: string}}}
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
components:
""",
    1,
)


def test_a_first_regeneration_renders_only_what_changed_when_operations_were_renamed(
    cache: Path, tmp_path: Path, rendered: list[set[str]]
) -> None:
    """An operation named after typing (``listOwners``: its pages' iterator named) is digested from the operation as
    typed (``ir.renamed_digest``) by a first run as by the runs that read it back: the regeneration after a first
    run renders the changed group alone, not every group holding such an operation."""
    spec = write(tmp_path / "spec.yaml", PAGED)
    generate(spec, tmp_path / "out")
    write(spec, PAGED.replace("summary: List pets", "summary: List every pet"))
    generate(spec, tmp_path / "out")
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")
    first, second, _ = rendered
    assert "kept/resources/_owners.py" in first
    assert not {name for name in second if "owners" in name}, second
