"""Files made of a part per group (``render.parts``): README's table of a group's operations and ``testing.py``'s
mock class of a group are kept between runs by the group's digest, and a file made of its skeleton and those parts
is the file rendered whole, byte for byte, whatever was kept."""

from __future__ import annotations

from pathlib import Path

import jinja2.meta
import pytest

from clientgen import ir, render
from clientgen.loader import load_spec
from clientgen.normalise import normalise
from clientgen.render import parts as parts_module
from clientgen.render.parts import KeptParts
from tests.conftest import MINIMAL, ROOT, SPECS, write
from tests.test_kept_components import SPEC, generate, tree
from tests.test_kept_renders import CHANGED_SUMMARY
from tests.test_loader_kept import GITHUB

PACKAGE = "kept"
# The files made of a part per group, in each layout.
BY_GROUP = {"project": ("README.md", f"{PACKAGE}/testing.py"), "package": ("README.md", "testing.py")}

NO_GROUPS = """
openapi: 3.0.3
info: {title: Empty, version: "1.0"}
paths: {}
"""

AUTH = SPEC.replace(
    'info: {title: Kept, version: "1.0"}',
    'info: {title: Kept, version: "1.0"}\nsecurity: [{key: []}, {basic: []}]',
).replace(
    "components:\n  schemas:",
    "components:\n  securitySchemes:\n    key: {type: apiKey, in: header, name: X-Key}\n"
    "    basic: {type: http, scheme: basic}\n  schemas:",
)


def _api(spec: Path) -> ir.Api:
    return normalise(load_spec(spec, validate=False))


def _by_group(api: ir.Api, layout: render.Layout, parts: KeptParts | None) -> dict[str, str]:
    texts = render.render_files(api, PACKAGE, None, layout, parts=parts).texts
    return {name: texts[name] for name in BY_GROUP[layout]}


def _whole_and_by_parts(api: ir.Api, layout: render.Layout) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The files rendered whole (no cache); by parts with nothing kept; by parts all taken from what the first kept."""
    whole = _by_group(api, layout, None)
    first = KeptParts()
    made = _by_group(api, layout, first)
    first.store()  # what the keeper's process does once the files are made
    return whole, made, _by_group(api, layout, KeptParts())


def _fixture_specs(tmp_path: Path) -> list[Path]:
    written = [
        write(tmp_path / "kept.yaml", SPEC),
        write(tmp_path / "auth.yaml", AUTH),
        write(tmp_path / "minimal.yaml", MINIMAL),
        write(tmp_path / "none.yaml", NO_GROUPS),
    ]
    return [*written, *sorted(SPECS.glob("airflow-*/*.yaml")), *sorted((ROOT / "tests" / "specs").glob("*.yaml"))]


@pytest.mark.parametrize("layout", ["project", "package"])
def test_a_file_made_by_parts_is_the_file_made_whole(cache: Path, tmp_path: Path, layout: render.Layout) -> None:
    specs = _fixture_specs(tmp_path)
    assert len(specs) >= 8
    for spec in specs:
        whole, made, taken = _whole_and_by_parts(_api(spec), layout)
        assert made == whole, spec.name
        assert taken == whole, spec.name


def test_the_fixtures_have_what_the_layout_depends_on(tmp_path: Path) -> None:
    """The specs above cover no group at all, one group, several, and the README's auth line (a ``loop.last``)."""
    apis = [_api(spec) for spec in _fixture_specs(tmp_path)]
    assert {len(api.groups) for api in apis} >= {0, 1, 2}
    assert any(len(api.auth_options) >= 2 for api in apis)


@pytest.mark.skipif(not GITHUB.is_file(), reason="GitHub's spec is in the corpus (.local/corpus), not here")
@pytest.mark.parametrize("layout", ["project", "package"])
def test_githubs_files_made_by_parts_are_the_files_made_whole(cache: Path, layout: render.Layout) -> None:
    whole, made, taken = _whole_and_by_parts(_api(GITHUB), layout)
    assert made == whole
    assert taken == whole


@pytest.fixture
def parts_made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each part rendered (not taken from what was kept), as (the macro's name, the group)."""
    made: list[tuple[str, str]] = []
    render_part = parts_module.GroupParts.render_part

    def spy(self: parts_module.GroupParts, group: ir.Group) -> tuple[str, str]:
        made.append((self.macro_name, group.attr))
        return render_part(self, group)

    monkeypatch.setattr(parts_module.GroupParts, "render_part", spy)
    return made


@pytest.mark.parametrize("layout", ["project", "package"])
def test_a_regeneration_renders_the_changed_groups_parts_alone(
    cache: Path, tmp_path: Path, parts_made: list[tuple[str, str]], layout: str
) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out", "--layout", layout)
    assert {group for _, group in parts_made} == {"pets", "shapes"}
    parts_made.clear()
    write(spec, CHANGED_SUMMARY)  # listPets, in the group "pets"
    generate(spec, tmp_path / "out", "--layout", layout)
    assert sorted(parts_made) == [("mock_class", "pets"), ("operations_table", "pets")]
    parts_made.clear()
    generate(spec, tmp_path / "out", "--layout", layout, "--force")  # nothing changed: every part taken
    assert parts_made == []
    generate(spec, tmp_path / "fresh", "--layout", layout, "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")


def test_a_part_is_taken_only_from_this_files_entry_as_written(
    cache: Path, tmp_path: Path, parts_made: list[tuple[str, str]]
) -> None:
    """An entry altered by hand (its tag no longer matches), one of another package or generator, or a part
    kept for a group as it was (another digest), is not used."""
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out")
    entries = sorted((cache / parts_module.KIND).iterdir())
    assert len(entries) == 2  # README's and testing.py's
    for entry in entries:
        entry.write_bytes(entry.read_bytes().replace(b"PetsMock", b"CatsMock").replace(b"pets", b"cats"))
    parts_made.clear()
    generate(spec, tmp_path / "again", "--force")
    assert len(parts_made) == 4  # every part of both files rendered again
    assert tree(tmp_path / "again") == tree(tmp_path / "out")

    parts_made.clear()
    assert main_generate(spec, tmp_path / "other", "other") == 0  # another package: its own entries
    assert len(parts_made) == 4
    assert len(list((cache / parts_module.KIND).iterdir())) == 4

    write(spec, CHANGED_SUMMARY)
    parts_made.clear()
    generate(spec, tmp_path / "out")
    generate(spec, tmp_path / "fresh", "--no-cache")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")
    assert [group for _, group in parts_made] == ["pets", "pets"]  # the part kept for pets as it was: not used


def test_another_generator_does_not_read_the_entries(
    cache: Path, tmp_path: Path, parts_made: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    generate(spec, tmp_path / "out")
    import clientgen.writer

    monkeypatch.setattr(clientgen.writer, "fingerprint", lambda: "another-generator")
    parts_made.clear()
    generate(spec, tmp_path / "again", "--force")
    assert len(parts_made) == 4


def main_generate(spec: Path, out: Path, package: str) -> int:
    from clientgen.cli import main

    return main(["generate", str(spec), "-o", str(out), "--package-name", package])


def test_a_part_is_rendered_from_its_group_alone() -> None:
    """A part kept by its group's digest must not read anything else (the API whole, the package name): a
    change there would not reach it. StrictUndefined makes a render fail where it does; this says it first."""
    env = render._environment()
    for name in ("package/_testing_parts.jinja", "_readme_parts.jinja"):
        source = env.loader.get_source(env, name)[0]
        assert jinja2.meta.find_undeclared_variables(env.parse(source)) - set(env.globals) == set(), name
