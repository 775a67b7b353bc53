"""Files a regeneration leaves as they are (``render.Rendered.unchanged``): a file made from a part whose inputs are
those the last run on the output made it from, found there as that run wrote it (its digest, the manifest's and
``BASE``'s, as ``output_digests`` took them), is neither read back from the cache nor made nor written, its line of
``BASE`` taken from the ``BASE`` there; every output is byte for byte a run without any cache's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clientgen import cache as cache_module
from clientgen import render, writer
from clientgen.cli import main
from clientgen.errors import SpecError
from clientgen.render import kept as kept_module
from tests.conftest import write
from tests.test_kept_components import SPEC, generate, tree
from tests.test_kept_renders import CHANGED_SUMMARY

MODELS = "kept/models/_pets.py"


def regenerated(tmp_path: Path, *extra: str, change: object = None) -> tuple[Path, Path]:
    """A first run, ``change`` done to its output, then a regeneration after a changed summary; and the output of a
    run without any cache on the changed spec."""
    spec = write(tmp_path / "spec.yaml", SPEC)
    out = tmp_path / "out"
    generate(spec, out)
    if callable(change):
        change(out)
    write(spec, CHANGED_SUMMARY)
    generate(spec, out, *extra)
    fresh = tmp_path / "fresh"
    generate(spec, fresh, "--no-cache")
    return out, fresh


def test_a_file_as_it_was_written_is_left_unread_and_the_output_is_a_fresh_run_s(
    cache: Path, tmp_path: Path, renders: list[render.Rendered]
) -> None:
    out, fresh = regenerated(tmp_path)
    first, second = renders[0], renders[1]
    assert not first.unchanged
    assert MODELS in second.unchanged and MODELS not in second.texts and MODELS not in second.reused
    assert "kept/resources/_pets.py" in second.texts  # its docstring changed
    assert set(second.unchanged) == set(second.inputs) - set(second.texts)
    assert tree(out) == tree(fresh)
    manifest = json.loads((out / writer.MANIFEST).read_text())
    assert manifest["files"][MODELS] == second.unchanged[MODELS] == writer.sha256_bytes((out / MODELS).read_bytes())


@pytest.mark.parametrize(
    "change",
    [
        "base edited",  # its lines are not the texts' any more: every text is read back, BASE made anew
        "base gone",
        "base a link",  # to a copy of itself: a link is an edit (output_digests), never read as the merge base
        "model file edited",
        "model file gone",
    ],
)
def test_an_output_not_as_written_is_made_as_a_fresh_run_makes_it(
    cache: Path, tmp_path: Path, renders: list[render.Rendered], change: str
) -> None:
    def changed(out: Path) -> None:
        if change == "base edited":
            base = out / writer.BASE
            base.write_bytes(base.read_bytes().replace(b"class ", b"klass ", 1))
        elif change == "base gone":
            (out / writer.BASE).unlink()
        elif change == "base a link":
            base = out / writer.BASE
            base.rename(out / "copy-of-base")
            base.symlink_to(out / "copy-of-base")
        elif change == "model file edited":
            (out / MODELS).write_text("# edited\n")
        else:
            (out / MODELS).unlink()

    forced = change == "model file edited"  # else refused; and --force reads no file of the output
    out, fresh = regenerated(tmp_path, *(["--force"] if forced else []), change=changed)
    second = renders[1]
    if change.startswith("base") or forced:
        assert not second.unchanged
    else:
        assert MODELS not in second.unchanged and second.unchanged
    assert not (out / writer.BASE).is_symlink()
    assert {name: data for name, data in tree(out).items() if name != "copy-of-base"} == tree(fresh)


def test_with_keep_edits_or_check_nothing_is_left_unread(
    cache: Path, tmp_path: Path, renders: list[render.Rendered]
) -> None:
    """Edits are merged into the new texts, and ``--check`` compares every file: each text is had."""
    out, fresh = regenerated(tmp_path, "--keep-edits")
    assert not renders[1].unchanged and tree(out) == tree(fresh)
    spec = write(tmp_path / "spec.yaml", SPEC)
    assert main(["generate", str(spec), "-o", str(out), "--package-name", "kept", "--check"]) == 1
    assert not renders[-1].unchanged and len(renders[-1].texts) == len(tree(fresh)) - 2  # all but BASE and the manifest


def test_the_record_of_what_was_written_is_trusted_only_whole(
    cache: Path, tmp_path: Path, renders: list[render.Rendered], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = kept_module.KeptTexts(tmp_path / "out")._written_key

    def garbled(out: Path) -> None:
        cache_module.write_entry(kept_module.WRITTEN_KIND, key, b"\x00not marshal")

    out, fresh = regenerated(tmp_path, change=garbled)
    assert not renders[1].unchanged and tree(out) == tree(fresh)
    monkeypatch.setattr(cache_module, "_switched_off", False)  # by the run with --no-cache
    assert kept_module.KeptTexts(out).written()  # the run wrote it anew


def test_base_lines_are_file_bytes_own_and_a_file_changed_meanwhile_fails_the_run(cache: Path, tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", SPEC)
    out = tmp_path / "out"
    generate(spec, out)
    listed = dict(writer._listed(out))
    del listed[writer.MANIFEST], listed[writer.BASE]

    def merge_base(content: bytes) -> writer.MergeBase:
        return writer.MergeBase(content, writer.sha256_bytes(content), writer.base_lines(content))

    read = writer.read_merge_base(out)
    assert read is not None and writer.sha256_bytes(read) == writer.output_digests(out)[writer.BASE]
    escaped = writer.kept_escapes(out, listed, merge_base(read))
    assert escaped == {name: writer.file_bytes((out / name).read_text()).escaped for name in listed}
    assert writer.kept_escapes(out, listed, None) == escaped  # each read from its file
    base = json.loads(read)
    wanted = {MODELS: listed[MODELS]}
    lacking = (json.dumps({n: t for n, t in base.items() if n != MODELS}, indent=0, sort_keys=True) + "\n").encode()
    assert writer.kept_escapes(out, wanted, merge_base(lacking)) == {MODELS: escaped[MODELS]}  # read from the file
    (out / writer.BASE).write_text(json.dumps({**base, MODELS: "# another text\n"}, indent=0, sort_keys=True))
    assert writer.kept_escapes(out, wanted, merge_base(read)) == {MODELS: escaped[MODELS]}  # the bytes read, as hashed
    assert writer.output_digests(out, read)[writer.BASE] == writer.sha256_bytes(read)  # not the file's
    (out / MODELS).write_text("# changed meanwhile\n")
    with pytest.raises(SpecError, match="changed while clientgen ran"):
        writer.kept_escapes(out, wanted, merge_base(lacking))
    files = writer.OutputFiles(out, {"a.py": b"a\n"}, {MODELS: listed[MODELS]})
    assert MODELS in files and "b.py" not in files and len(files) == 2 and list(files) == ["a.py", MODELS]
    with pytest.raises(SpecError, match="changed while clientgen ran"):
        files[MODELS]
