"""The output read once, beside the run (``writer.output_digests``, ``pipeline._Ownership``): its files hashed in a
process forked as the run starts, the hand edits told from those digests once the spec is read, and ``write_tree``
writing the files whose digest differs from the one on disk; every refusal as before, in the same order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clientgen import pipeline, writer
from tests.test_output_safety import generate, spec, tree  # noqa: F401 - ``spec`` is a fixture

PACKAGE = "mini/client.py"


def state(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file's inode and modification time: what a write, even of the same bytes, changes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            status = path.stat()
            found[path.relative_to(folder).as_posix()] = (status.st_ino, status.st_mtime_ns)
    return found


def test_the_digests_are_those_of_each_listed_file_as_it_is(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path  # noqa: F811
) -> None:
    out = tmp_path / "out"
    assert generate(capsys, spec, out)[0] == 0
    listed = writer._listed(out)
    gone, link = sorted(name for name in listed if name.startswith("mini/") and name != PACKAGE)[:2]
    (out / PACKAGE).write_text("# edited\n")
    (out / gone).unlink()
    (out / "elsewhere.py").write_text("x = 1\n")
    (out / link).unlink()
    (out / link).symlink_to(out / "elsewhere.py")
    found = writer.output_digests(out)
    assert found[PACKAGE] == writer.sha256_bytes(b"# edited\n") and found[link] == ""
    assert gone not in found and writer.MANIFEST not in found and writer.BASE in found
    unchanged = set(listed) - {PACKAGE, link, gone, writer.MANIFEST}
    assert {name: found[name] for name in unchanged} == {name: listed[name] for name in unchanged}
    assert writer.edited_files(out, found) == writer.edited_files(out)


def test_a_file_whose_digest_is_the_one_on_disk_is_not_written_again_nor_read(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    out = tmp_path / "out"
    assert generate(capsys, spec, out)[0] == 0
    before = state(out)
    spec.write_text(spec.read_text().replace("title: Mini", "title: Mini Two"))
    monkeypatch.setattr(pipeline, "SCAN_BESIDE_BYTES", 0)  # read beside the run, however small
    parent, reads = os.getpid(), []
    read = writer._read

    def spy(path: str | Path, follow: bool = True) -> bytes:
        if os.getpid() == parent and str(out) in str(path) and writer.MANIFEST not in str(path):
            reads.append(path)
        return read(path, follow)

    monkeypatch.setattr(writer, "_read", spy)
    assert generate(capsys, spec, out)[0] == 0
    # hashed by the scan's process alone; BASE read for the lines of the files left as they are
    assert [str(path) for path in reads] == [str(writer.output_dir(out) / writer.BASE)]
    monkeypatch.undo()
    after = state(out)
    rewritten = {name for name in after if before.get(name) != after[name]}
    assert rewritten and rewritten < set(after)
    assert {writer.MANIFEST, writer.BASE} <= rewritten
    fresh = tmp_path / "fresh"
    assert generate(capsys, spec, fresh)[0] == 0
    assert tree(out) == tree(fresh)


def listed(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` with a manifest listing them."""
    digests = {name: writer.sha256_bytes(data) for name, data in files.items()}
    return {**files, writer.MANIFEST: writer.manifest_text(digests, {"spec_sha256": "x"}).encode()}


def test_digests_decide_what_write_tree_writes_and_their_absence_reads(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old = listed({"pkg/a.py": b"a = 1\n", "pkg/b.py": b"b = 1\n"})
    writer.write_tree(out, old)
    new = listed({"pkg/a.py": b"a = 1\n", "pkg/b.py": b"b = 2\n"})
    digests = {name: writer.sha256_bytes(data) for name, data in new.items() if name != writer.MANIFEST}
    on_disk = writer.output_digests(out)
    before = state(out)
    writer.write_tree(out, new, digests=digests, on_disk=on_disk)
    after = state(out)
    assert after["pkg/a.py"] == before["pkg/a.py"] and after["pkg/b.py"] != before["pkg/b.py"]
    assert tree(out) == new
    # a digest that says "the same" is believed: the files are not read (the scan read them this run) ...
    same = {"pkg/a.py": "0"}
    writer.write_tree(out, {**new, "pkg/a.py": b"changed\n"}, digests=same, on_disk=same)
    assert (out / "pkg" / "a.py").read_bytes() == b"a = 1\n"
    # ... and where one side has none (a link, a file the scan did not find), the file is read
    for on_disk_now in ({"pkg/a.py": ""}, {}):
        writer.write_tree(out, {**new, "pkg/a.py": b"read\n"}, digests=same, on_disk=on_disk_now)
        assert (out / "pkg" / "a.py").read_bytes() == b"read\n"
        before = state(out)
        writer.write_tree(out, {**new, "pkg/a.py": b"read\n"}, digests=same, on_disk=on_disk_now)
        assert state(out) == before  # read, and found the same


def test_an_edited_output_is_refused_first_even_where_the_spec_fails(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path  # noqa: F811
) -> None:
    out = tmp_path / "out"
    assert generate(capsys, spec, out)[0] == 0
    (out / PACKAGE).write_text("# my fix\n")
    before = tree(out)
    for broken in ("openapi: [", "openapi: 2.0\n", None):
        if broken is None:
            spec.unlink()
        else:
            spec.write_text(broken)
        code, err = generate(capsys, spec, out)
        assert code == 2 and f"{PACKAGE} changed since clientgen wrote it" in err, err
        assert len(err.strip().splitlines()) == 1 and tree(out) == before


def test_without_the_scan_s_answer_the_files_are_read_here(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    out = tmp_path / "out"
    assert generate(capsys, spec, out)[0] == 0
    (out / PACKAGE).write_text("# my fix\n")

    def failing(out_dir: Path, base: bytes | None = None) -> dict[str, str]:
        raise OSError("the scan failed")

    monkeypatch.setattr(pipeline, "output_digests", failing)
    scans = []
    check = writer.check_ownership

    def spy(out_dir: Path, force: bool, keep_edits: bool = False, on_disk: object = None) -> None:
        scans.append(on_disk)
        check(out_dir, force, keep_edits, on_disk)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "check_ownership", spy)
    code, err = generate(capsys, spec, out)
    assert code == 2 and f"{PACKAGE} changed since clientgen wrote it" in err
    assert scans == [None]
    assert generate(capsys, spec, out, "--keep-edits")[0] == 0
    assert "# my fix" in (out / PACKAGE).read_text()


def test_a_small_output_is_read_here_and_a_big_one_beside_the_run(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    out = tmp_path / "out"
    assert generate(capsys, spec, out)[0] == 0
    expected = writer.output_digests(out)
    for threshold, forked in ((1 << 40, False), (0, True)):
        monkeypatch.setattr(pipeline, "SCAN_BESIDE_BYTES", threshold)
        ownership = pipeline._Ownership(out, False, False)
        assert (ownership._scan is not None) is forked
        ownership.check()
        assert ownership.on_disk == expected
    assert pipeline._Ownership(out, True, False)._scan is None  # --force reads nothing of the output
