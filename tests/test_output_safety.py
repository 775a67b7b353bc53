"""The output directory belongs to the user: clientgen replaces or removes only files its manifest lists
(and whose hashes still match), writes through a symlinked output, leaves no litter, and a run killed at
any point leaves the previous output intact or finished by the next run."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from clientgen import writer
from clientgen.cli import main
from tests.conftest import MINIMAL, ROOT, SPECS, write

SECOND_GROUP = """
  /orders:
    get:
      operationId: list_orders
      tags: [Order]
      responses: {"204": {description: none}}
"""


def generate(capsys: pytest.CaptureFixture[str], spec: Path, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["generate", str(spec), "-o", str(out), "--package-name", "mini", *extra])
    captured = capsys.readouterr()
    return code, captured.err


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    return write(tmp_path / "spec.yaml", MINIMAL.replace("components:", SECOND_GROUP.lstrip("\n") + "components:"))


def test_files_the_user_added_survive_regeneration(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert generate(capsys, spec, out)[0] == 0
    (out / "tests").mkdir()
    (out / "tests" / "test_mine.py").write_text("assert True\n")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "mini" / "extras.py").write_text("EXTRA = 1\n")
    # the spec changes: files are rewritten, and one group's modules no longer exist
    spec.write_text(spec.read_text().replace("title: Mini", "title: Mini Two"))
    code = main(["generate", str(spec), "-o", str(out), "--package-name", "mini"])
    assert code == 0
    assert "mini: kept 2 file(s) clientgen did not write: mini/extras.py, tests/test_mine.py" in (
        capsys.readouterr().out
    )
    assert (out / "tests" / "test_mine.py").read_text() == "assert True\n"
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (out / "mini" / "extras.py").read_text() == "EXTRA = 1\n"
    assert "Mini Two" in (out / "README.md").read_text()
    manifest = json.loads((out / ".clientgen-manifest.json").read_text())
    assert "tests/test_mine.py" not in manifest["files"]
    assert generate(capsys, spec, out)[0] == 0  # unchanged: user files do not make it stale
    assert not (out / ".clientgen-staging").exists() and not (out / ".clientgen-journal.json").exists()


def test_files_the_new_package_no_longer_has_are_removed_and_empty_folders_pruned(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert generate(capsys, spec, out)[0] == 0
    fake = json.loads((out / ".clientgen-manifest.json").read_text())
    extra = out / "mini" / "old" / "gone.py"
    extra.parent.mkdir()
    extra.write_text("x = 1\n")
    fake["files"]["mini/old/gone.py"] = writer.sha256_bytes(b"x = 1\n")
    fake["spec_sha256"] = "0" * 64  # stale, so the next run writes
    (out / ".clientgen-manifest.json").write_text(json.dumps(fake))
    assert generate(capsys, spec, out)[0] == 0
    assert not extra.exists() and not extra.parent.exists()


def test_a_generated_file_edited_by_hand_is_not_replaced_without_force(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert generate(capsys, spec, out)[0] == 0
    (out / "mini" / "client.py").write_text("# my fix\n")
    spec.write_text(spec.read_text().replace("title: Mini", "title: Mini Two"))
    before = tree(out)
    code, err = generate(capsys, spec, out)
    assert code == 2 and "mini/client.py changed since clientgen wrote it" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1 and tree(out) == before
    assert generate(capsys, spec, out, "--force")[0] == 0
    assert "my fix" not in (out / "mini" / "client.py").read_text()


def test_a_copied_manifest_cannot_make_clientgen_replace_or_remove_a_foreign_folder(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path
) -> None:
    ours = tmp_path / "ours"
    assert generate(capsys, spec, ours)[0] == 0
    foreign = tmp_path / "foreign"
    (foreign / "mini").mkdir(parents=True)
    (foreign / "mini" / "client.py").write_text("their code\n")
    (foreign / "mini" / "resources.py").write_text("their code\n")
    (foreign / "notes.txt").write_text("theirs\n")
    manifest = json.loads((ours / ".clientgen-manifest.json").read_text())
    manifest["files"]["../outside.txt"] = writer.sha256_bytes(b"")
    manifest["spec_sha256"] = "0" * 64
    (foreign / ".clientgen-manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "outside.txt").write_text("")
    before = tree(foreign)
    code, err = generate(capsys, spec, foreign)
    assert code == 2 and "changed since clientgen wrote it" in err
    assert tree(foreign) == before
    assert (tmp_path / "outside.txt").exists()


def test_a_new_generated_file_never_lands_on_a_users_file_without_force(tmp_path: Path) -> None:
    from clientgen.errors import SpecError

    out = tmp_path / "out"
    old, new = _files("old"), _files("new")
    writer.write_tree(out, old)
    (out / "pkg" / "only_new.py").write_text("the user's own module\n")
    with pytest.raises(SpecError, match=r"only_new\.py is in the way"):
        writer.write_tree(out, new)
    assert (out / "pkg" / "only_new.py").read_text() == "the user's own module\n"
    assert tree(out)[writer.MANIFEST] == old[writer.MANIFEST]
    writer.write_tree(out, new, force=True)
    assert (out / "pkg" / "only_new.py").read_bytes() == new["pkg/only_new.py"]


def test_a_symlinked_output_is_written_through(capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert generate(capsys, spec, link)[0] == 0
    assert link.is_symlink() and (real / "mini" / "client.py").is_file()
    spec.write_text(spec.read_text().replace("title: Mini", "title: Mini Two"))
    assert generate(capsys, spec, link)[0] == 0
    assert link.is_symlink() and "Mini Two" in (real / "README.md").read_text()


def test_a_dangling_symlink_and_a_file_in_the_way_are_one_line_errors(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path
) -> None:
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    code, err = generate(capsys, spec, dangling)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "symbolic link" in err
    assert not (tmp_path / "nowhere").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = generate(capsys, spec, blocker / "out")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert blocker.read_text() == "x"


def test_output_dot(capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path, monkeypatch) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert generate(capsys, spec, Path("."))[0] == 0
    assert (here / "mini" / "client.py").is_file()
    assert generate(capsys, spec, Path("."))[0] == 0
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("x")
    monkeypatch.chdir(busy)
    code, err = generate(capsys, spec, Path("."))
    assert code == 2 and len(err.strip().splitlines()) == 1 and sorted(os.listdir(busy)) == ["mine.txt"]


@pytest.mark.parametrize("where", ["a file", "the merge base"])
def test_a_write_error_is_one_line_and_leaves_the_previous_output(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A disk that fills up while a file is written (the third ``write_bytes``), or the merge base (written part by
    part: ``os.writev``), is one line, and the output is the one before."""
    out = tmp_path / "out"
    assert generate(capsys, spec, out)[0] == 0
    before = tree(out)
    spec.write_text(spec.read_text().replace("title: Mini", "title: Mini Two"))
    calls: list[object] = []

    def full_at(call: int, write: Callable[..., int]) -> Callable[..., int]:
        def disk_full(*args: Any) -> int:
            calls.append(args[0])
            if len(calls) == call:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return write(*args)

        return disk_full

    if where == "a file":
        monkeypatch.setattr(Path, "write_bytes", full_at(3, Path.write_bytes))
    else:
        monkeypatch.setattr(os, "writev", full_at(1, os.writev))
    code, err = generate(capsys, spec, out)
    assert calls and code == 2 and len(err.strip().splitlines()) == 1 and "No space left on device" in err, err
    assert tree(out) == before and sorted(os.listdir(tmp_path)) == ["out", "spec.yaml"]


def test_a_read_only_parent_is_one_line_and_leaves_nothing(
    capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    if os.geteuid() == 0:  # root writes into a read-only folder anyway: refuse as the kernel would
        real_mkdir = Path.mkdir

        def locked_mkdir(self: Path, *args: Any, **kwargs: Any) -> None:
            if self.parent == parent:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
            real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", locked_mkdir)
    try:
        code, err = generate(capsys, spec, parent / "out")
    finally:
        parent.chmod(0o755)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert (
        "Permission denied" in err
        and os.listdir(parent) == []
        and sorted(os.listdir(tmp_path))
        == [
            "locked",
            "spec.yaml",
        ]
    )


def test_output_files_get_the_users_umask(capsys: pytest.CaptureFixture[str], spec: Path, tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        assert generate(capsys, spec, tmp_path / "out")[0] == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "out" / "mini").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "out" / "mini" / "client.py").stat().st_mode) == 0o644


# -- a kill at every step of a write --------------------------------------------------------------


def _files(version: str) -> dict[str, bytes]:
    files = {f"pkg/mod{i}.py": f"# {version} {i}\n".encode() for i in range(4)}
    files["pkg/only_" + version + ".py"] = b"x\n"
    files["README.md"] = f"{version}\n".encode()
    digests = {name: writer.sha256_bytes(data) for name, data in files.items()}
    files[writer.MANIFEST] = writer.manifest_text(digests, {"spec_sha256": version}).encode()
    return files


def _killed_write(out: Path, files: dict[str, bytes], operation: str, after: int) -> int:
    """Run ``write_tree`` in a forked child that dies (``os._exit``, no cleanup: like SIGKILL) at the
    ``after``-th call of ``operation``; returns the child's exit status (9: it was killed)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        count = 0
        original = getattr(os, operation) if operation != "write_bytes" else Path.write_bytes

        def dying(*args: object, **kwargs: object) -> object:
            nonlocal count
            count += 1
            if count == after:
                os._exit(9)
            return original(*args, **kwargs)  # type: ignore[operator]

        if operation == "write_bytes":
            Path.write_bytes = dying  # type: ignore[method-assign,assignment]
        else:
            setattr(os, operation, dying)
        try:
            writer.write_tree(out, files)
        finally:
            os._exit(0)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _kill_points() -> Iterator[tuple[str, int]]:
    for after in range(1, 9):
        yield "write_bytes", after
    for after in range(1, 10):
        yield "replace", after
    for after in range(1, 4):
        yield "unlink", after


@pytest.mark.parametrize(("operation", "after"), list(_kill_points()))
def test_a_write_killed_at_any_step_is_intact_or_finished_by_the_next_run(
    tmp_path: Path, operation: str, after: int
) -> None:
    out = tmp_path / "out"
    old, new = _files("old"), _files("new")
    writer.write_tree(out, old)
    (out / "mine.txt").write_text("user file\n")
    status = _killed_write(out, new, operation, after)
    if status == 0:
        pytest.skip("the write finished before this step")
    assert status == 9
    now = {k: v for k, v in tree(out).items() if not k.startswith(".clientgen-") or k == writer.MANIFEST}
    journal = (out / writer.JOURNAL).exists()
    if not journal:  # killed before the commit point: the previous output, untouched
        assert now == {**old, "mine.txt": b"user file\n"}
    writer.recover(out)
    assert tree(out) in ({**old, "mine.txt": b"user file\n"}, {**new, "mine.txt": b"user file\n"})
    if journal:
        assert tree(out) == {**new, "mine.txt": b"user file\n"}
    writer.write_tree(out, new)  # and the next write is as if nothing had happened
    assert tree(out) == {**new, "mine.txt": b"user file\n"}
    assert sorted(p.name for p in out.iterdir()) == [writer.MANIFEST, "README.md", "mine.txt", "pkg"]


# -- SIGKILL during a real, large generation -------------------------------------------------------


def _start(spec: Path, out: Path, cache: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CLIENTGEN_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "clientgen", "generate", str(spec), "-o", str(out), "--package-name", "airflow"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigkill_at_several_points_of_an_airflow_3_generation(tmp_path: Path) -> None:
    """Airflow 2.10.5's client is in the output (with a user's file); Airflow 3.3.2's generation is
    killed with SIGKILL at several points (cold formatter cache, so black's workers are running). After
    each kill: no process of the run is left, the previous output is intact unless the write had
    committed, and the next run leaves Airflow 3.3.2's client and the user's file, and no litter."""
    old_spec = SPECS / "airflow-2.10.5" / "v1.yaml"
    new_spec = SPECS / "airflow-3.3.2" / "v2-rest-api-generated.yaml"
    warm = tmp_path / "warm-cache"
    out = tmp_path / "out"
    assert _start(old_spec, out, warm).wait(timeout=120) == 0
    (out / "mine.txt").write_text("user file\n")
    old = tree(out)
    snapshot = tmp_path / "snapshot"
    shutil.copytree(out, snapshot, symlinks=True)
    reference = tmp_path / "reference"
    started = time.monotonic()
    assert _start(new_spec, reference, warm).wait(timeout=180) == 0  # cold, and it warms the reruns' cache
    duration = time.monotonic() - started
    new = {**tree(reference), "mine.txt": b"user file\n"}

    for point, fraction in enumerate((0.2, 0.5, 0.8)):
        run = _start(new_spec, out, tmp_path / f"cold-{point}")
        time.sleep(duration * fraction)
        run.kill()
        run.wait()
        deadline = time.monotonic() + 5
        while _group_alive(run.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _group_alive(run.pid), f"a worker outlived the run killed at {fraction:.0%}"
        if not (out / writer.JOURNAL).exists():
            # not committed: the old client; committed (or finished before the kill, on a slow
            # reference run): the new one. Never a mix of the two.
            left = {k: v for k, v in tree(out).items() if not k.startswith(writer.STAGING)}
            assert left == old or left == new, f"the run killed at {fraction:.0%} left a mix"
            if run.returncode == 0:
                assert left == new
        rerun = _start(new_spec, out, warm)
        assert rerun.wait(timeout=180) == 0, rerun.stderr.read() if rerun.stderr else ""
        assert tree(out) == new
        assert not (out / writer.STAGING).exists() and not (out / writer.JOURNAL).exists()
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
        shutil.rmtree(out)  # back to Airflow 2's client for the next point
        shutil.copytree(snapshot, out, symlinks=True)


def test_a_forked_child_whose_parent_died_before_it_asked_to_die_with_it_exits() -> None:
    """The race a SIGKILL right after a fork leaves: the child, already re-parented, must not live on
    (one such validator child was found asleep 40 minutes after its test)."""
    import os

    from clientgen.processes import die_with_parent

    for parent, expected in ((os.getpid(), 0), (os.getpid() + 1_000_000, 1)):  # the real parent, a dead one
        child = os.fork()
        if child == 0:
            die_with_parent(parent)
            os._exit(0)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == expected


def _files_found_by_rglob(out_dir: Path) -> dict[str, Path]:
    """What the writer listed as the output's files before it walked the folder itself: the reference."""
    ignored = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", ".git", writer.STAGING}
    ignored.add(writer.JOURNAL)
    found = {}
    for path in out_dir.rglob("*"):
        rel = path.relative_to(out_dir)
        if path.is_file() and not (ignored & set(rel.parts)) and not any(p.endswith(".egg-info") for p in rel.parts):
            found[rel.as_posix()] = path
    return found


def test_the_files_of_an_output_are_those_a_recursive_glob_finds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outside = write(tmp_path / "outside" / "linked.py", "x = 1\n")
    for name in [
        "README.md",
        "pkg/__init__.py",
        "pkg/deep/er/mod.py",
        ".hidden/file",
        "pkg/__pycache__/mod.cpython-311.pyc",
        ".git/HEAD",
        "sub/.git",  # a worktree's .git is a file
        "build/lib/pkg/__init__.py",
        "pkg/build",
        "x.egg-info/PKG-INFO",
        "pkg/notes.egg-info",
        f"{writer.STAGING}/pkg/mod.py",
        writer.JOURNAL,
        ".mypy_cache/3.11/x.json",
        "tests/test_mine.py",
    ]:
        write(out / name, "text\n")
    (out / "pkg" / "link_to_file.py").symlink_to(out / "pkg" / "__init__.py")
    (out / "pkg" / "link_outside.py").symlink_to(outside)
    (out / "linked_folder").symlink_to(outside.parent, target_is_directory=True)
    (out / "dangling.py").symlink_to(out / "nowhere.py")
    (out / "loop").symlink_to(out / "loop")
    os.mkfifo(out / "pkg" / "a_pipe")
    (out / "empty_folder").mkdir()
    found = writer._existing_files(out)
    assert found == _files_found_by_rglob(out)
    assert sorted(found) == [
        ".hidden/file",
        "README.md",
        "pkg/__init__.py",
        "pkg/deep/er/mod.py",
        "pkg/link_outside.py",
        "pkg/link_to_file.py",
        "tests/test_mine.py",
    ]
    assert writer._existing_files(tmp_path / "absent") == {}


def test_the_edited_files_are_those_whose_content_or_kind_changed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = {f"pkg/mod{i}.py": f"# {i}\n".encode() for i in range(7)}
    files[writer.MANIFEST] = writer.manifest_text(
        {name: writer.sha256_bytes(data) for name, data in files.items()}, {"spec_sha256": "x"}
    ).encode()
    writer.write_tree(out, files)
    (out / "pkg" / "mod1.py").write_bytes(b"# edited\n")
    (out / "pkg" / "mod2.py").unlink()
    (out / "pkg" / "copy.py").write_bytes(b"# 3\n")
    (out / "pkg" / "mod3.py").unlink()
    (out / "pkg" / "mod3.py").symlink_to(out / "pkg" / "copy.py")  # the same bytes, but a link
    (out / "pkg" / "mod4.py").unlink()
    (out / "pkg" / "mod4.py").mkdir()
    (out / "pkg" / "mod5.py").unlink()
    (out / "pkg" / "mod5.py").symlink_to(out / "nowhere.py")
    (out / "pkg" / "mod6.py").unlink()
    os.mkfifo(out / "pkg" / "mod6.py")
    assert writer.edited_files(out) == {"pkg/mod1.py": b"# edited\n", "pkg/mod3.py": b"# 3\n"}
