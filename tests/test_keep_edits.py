"""Hand edits of a vendored client are never lost: a regeneration refuses to overwrite them by default,
``--keep-edits`` re-applies them to the new output (three-way merge from the text clientgen wrote
before), ``--force`` discards them. On a real regeneration, Airflow 2.10.5 -> 2.11.2."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientgen.config import load_targets
from clientgen.merge import merge3
from tests.conftest import ROOT, run_cli

# -- the merge ------------------------------------------------------------------------------------

BASE = "a\nb\nc\nd\ne\n"


@pytest.mark.parametrize(
    ("ours", "theirs", "merged"),
    [
        ("a\nB\nc\nd\ne\n", "a\nb\nc\nD\ne\n", "a\nB\nc\nD\ne\n"),  # each side changed its own line
        ("a\nb\nc\nd\ne\nmine\n", "new\na\nb\nc\nd\ne\n", "new\na\nb\nc\nd\ne\nmine\n"),  # additions at both ends
        ("a\nX\nc\nd\ne\n", "a\nX\nc\nd\ne\n", "a\nX\nc\nd\ne\n"),  # the same change on both sides
        ("a\nc\nd\ne\n", "a\nb\nc\nd\nE\n", "a\nc\nd\nE\n"),  # a line removed by hand, another changed
        (BASE, "z\n", "z\n"),  # no edit: the new text
        ("a\nb\nc\nd\ne\nno newline", BASE, "a\nb\nc\nd\ne\nno newline"),
    ],
)
def test_merge_applies_both_sides(ours: str, theirs: str, merged: str) -> None:
    assert merge3(BASE, ours, theirs) == (merged, 0)


def test_merge_marks_a_conflict_with_both_sides_and_the_base() -> None:
    text, conflicts = merge3(BASE, "a\nmine\nc\nd\ne\n", "a\ntheirs\nc\nd\nE\n")
    assert conflicts == 1
    assert text == (
        "a\n<<<<<<< your edit\nmine\n||||||| generated before\nb\n=======\ntheirs\n>>>>>>> generated now\nc\nd\nE\n"
    )
    text, conflicts = merge3("x\n", "x\nmine", "x\ntheirs\n")  # the last line unended on one side
    assert conflicts == 1 and "mine\n||||||| generated before\n=======\ntheirs\n>>>>>>> generated now\n" in text


# -- a real regeneration ----------------------------------------------------------------------------

TARGETS = {t.name: t for t in load_targets(ROOT / "pyproject.toml")}
PACKAGE = "airflow_client"
RESOURCE = f"{PACKAGE}/resources/_dag.py"
MODEL = f"{PACKAGE}/models/_dag.py"
# The edit a user makes in get_tasks (as the official client's maintainers did by hand once).
ORIGINAL = '            query={"order_by": order_by},\n            options=options,\n        )\n\n    def patch_dag('
EDITED = ORIGINAL.replace("options=options,", "options=options,  # local fix")


def generate(version: str, out: Path, *flags: str) -> tuple[int, str, str]:
    target = TARGETS[f"airflow-{version}"]
    overlays = [a for overlay in target.overlays for a in ("--overlay", overlay)]
    result = run_cli("generate", target.spec, "-o", out, "--package-name", PACKAGE, *overlays, *flags)
    return result.returncode, result.stdout, result.stderr


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What 2.11.2 generates into an empty folder."""
    out = tmp_path_factory.mktemp("fresh") / "client"
    assert generate("2.11.2", out)[0] == 0
    return tree(out)


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """A 2.10.5 client with a hand edit in resources/_dag.py."""
    out = tmp_path / "client"
    assert generate("2.10.5", out)[0] == 0
    path = out / RESOURCE
    text = path.read_text()
    assert text.count(ORIGINAL) == 1
    path.write_text(text.replace(ORIGINAL, EDITED))
    return out


@pytest.mark.slow
def test_a_regeneration_refuses_to_overwrite_an_edit_by_default(edited: Path) -> None:
    before = tree(edited)
    code, out, err = generate("2.11.2", edited)
    assert code == 2 and out == ""
    assert f"{RESOURCE} changed since clientgen wrote it" in err and "--keep-edits" in err and "--force" in err
    assert err.count("\n") == 1
    assert tree(edited) == before


@pytest.mark.slow
def test_keep_edits_reapplies_the_edit_to_the_new_output(edited: Path, fresh: dict[str, bytes]) -> None:
    code, out, err = generate("2.11.2", edited, "--keep-edits")
    assert code == 0, err
    assert f"re-applied your edits to: {RESOURCE}" in out
    now = tree(edited)
    # the new header line and every other file are 2.11.2's; the edit is still there
    assert now[RESOURCE] == fresh[RESOURCE].replace(ORIGINAL.encode(), EDITED.encode())
    assert now[RESOURCE].splitlines()[0] == fresh[RESOURCE].splitlines()[0]
    assert {k: v for k, v in now.items() if k != RESOURCE} == {k: v for k, v in fresh.items() if k != RESOURCE}
    # still an edit: again refused without the flag, kept with it, and `--check --keep-edits` is clean
    assert generate("2.11.2", edited)[0] == 2
    assert generate("2.11.2", edited, "--keep-edits")[0] == 0 and tree(edited) == now
    code, out, _ = generate("2.11.2", edited, "--keep-edits", "--check")
    assert code == 0 and "(up to date)" in out


@pytest.mark.slow
def test_a_conflicting_edit_is_marked_and_exits_1(edited: Path, fresh: dict[str, bytes]) -> None:
    model = edited / MODEL
    old_line = "    weight_rule: WeightRule | UnsetType = UNSET\n"
    model.write_text(model.read_text().replace(old_line, "    weight_rule: WeightRule | str | UnsetType = UNSET\n"))
    code, out, err = generate("2.11.2", edited, "--keep-edits")
    assert code == 1
    assert f"re-applied your edits to: {RESOURCE}" in out
    assert "edits that conflict with the new output" in err and MODEL in err
    text = model.read_text()
    assert (
        "<<<<<<< your edit\n    weight_rule: WeightRule | str | UnsetType = UNSET\n"
        f"||||||| generated before\n{old_line}"
        "=======\n    weight_rule: str | UnsetType = UNSET\n>>>>>>> generated now\n"
    ) in text
    assert tree(edited)[RESOURCE] == fresh[RESOURCE].replace(ORIGINAL.encode(), EDITED.encode())


@pytest.mark.slow
def test_force_discards_the_edit(edited: Path, fresh: dict[str, bytes]) -> None:
    code, _, err = generate("2.11.2", edited, "--force")
    assert code == 0, err
    assert tree(edited) == fresh
    assert generate("2.11.2", edited, "--force", "--keep-edits")[2].startswith("error: --force discards hand edits")


@pytest.mark.slow
def test_an_edited_file_the_new_spec_no_longer_generates_is_kept_as_the_users(edited: Path) -> None:
    """2.10.5 -> 2.2.4: the dataset group does not exist in 2.2.4, so resources/_dataset.py is not generated."""
    gone = edited / PACKAGE / "resources" / "_dataset.py"
    gone.write_text(gone.read_text() + "\n# my helper notes\n")
    mine = gone.read_bytes()
    untouched = edited / PACKAGE / "resources" / "_dag_stats.py"  # also gone in 2.2.4, not edited: removed
    assert untouched.exists()
    code, out, err = generate("2.2.4", edited, "--keep-edits")
    assert code == 0, err
    assert f"edited and no longer generated, kept as your own: {PACKAGE}/resources/_dataset.py" in out
    assert gone.read_bytes() == mine and not untouched.exists()
    manifest = (edited / ".clientgen-manifest.json").read_text()
    assert "resources/_dataset.py" not in manifest and "resources/_dag.py" in manifest
    # the kept file is the user's now: a regeneration names only the fixture's edit of _dag.py, never it
    code, _, err = generate("2.2.4", edited)
    assert code == 2 and "resources/_dag.py changed" in err and "_dataset" not in err
    assert generate("2.2.4", edited, "--keep-edits")[0] == 0 and gone.read_bytes() == mine
