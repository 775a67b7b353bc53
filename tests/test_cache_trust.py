"""The cache is input clientgen did not check: an entry edited, planted or copied in is ignored and rebuilt,
never trusted (formatter output into a package, a verdict that lets an invalid spec through)."""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from clientgen.cli import main
from tests.conftest import MINIMAL, ROOT, write


def generate(capsys: pytest.CaptureFixture[str], spec: Path, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["generate", str(spec), "-o", str(out), "--package-name", "mini", *extra])
    return code, capsys.readouterr().err


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def black_entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.glob("black-*/*") if p.is_file())


def test_an_edited_formatter_entry_never_reaches_a_package(
    capsys: pytest.CaptureFixture[str], cache: Path, tmp_path: Path
) -> None:
    spec = write(tmp_path / "spec.yaml", MINIMAL)
    assert generate(capsys, spec, tmp_path / "first")[0] == 0
    entries = black_entries(cache)
    assert entries
    for entry in entries:  # keep the tag line, change the code: what an attacker without the secret can do
        tag, _, code = entry.read_bytes().partition(b"\n")
        entry.write_bytes(tag + b"\n" + b"import os; os.system('echo pwned')\n" + code)
    shutil.rmtree(cache / "proven")  # so the second run asks black's entries again,
    shutil.rmtree(cache / "formatted-files")  # not the files formatted from them (tests/test_kept_renders.py)
    assert generate(capsys, spec, tmp_path / "second")[0] == 0
    second = tree(tmp_path / "second")
    assert not any(b"pwned" in text for text in second.values())
    assert second == tree(tmp_path / "first")
    assert not any(b"pwned" in entry.read_bytes() for entry in black_entries(cache))  # rebuilt


def test_a_forged_validation_verdict_does_not_let_an_invalid_spec_through(
    capsys: pytest.CaptureFixture[str], cache: Path, tmp_path: Path
) -> None:
    valid = write(tmp_path / "valid.yaml", MINIMAL)
    assert generate(capsys, valid, tmp_path / "out")[0] == 0
    verdicts = sorted((cache / "valid").iterdir())
    assert len(verdicts) == 1
    invalid = write(tmp_path / "invalid.yaml", MINIMAL.replace("in: path, ", ""))
    from clientgen.loader import load_spec
    from clientgen.validation import _verdict_key

    key = _verdict_key(load_spec(invalid, validate=False))
    (cache / "valid" / key).write_bytes(verdicts[0].read_bytes())  # a genuine tag, for another key
    code, err = generate(capsys, invalid, tmp_path / "bad")
    assert code == 2 and "invalid spec" in err, err
    (cache / "valid" / key).write_bytes(b"0" * 64 + b"\n[]")
    code, err = generate(capsys, invalid, tmp_path / "bad")
    assert code == 2 and "invalid spec" in err, err


def test_the_secret_is_private_and_a_readable_one_turns_caching_off(
    capsys: pytest.CaptureFixture[str], cache: Path, tmp_path: Path
) -> None:
    from clientgen import cache as cache_module

    spec = write(tmp_path / "spec.yaml", MINIMAL)
    assert generate(capsys, spec, tmp_path / "out")[0] == 0
    secret = cache / "secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    other = tmp_path / "other-cache"
    other.mkdir()
    (other / "secret").write_bytes(os.urandom(32))
    os.chmod(other / "secret", 0o644)
    assert cache_module._secret(other) is None
    os.environ["CLIENTGEN_CACHE_DIR"] = str(other)
    assert generate(capsys, spec, tmp_path / "out2")[0] == 0
    assert sorted(p.name for p in other.iterdir()) == ["secret"]  # nothing cached under a key others can read


def test_no_cache_reads_and_writes_nothing(capsys: pytest.CaptureFixture[str], cache: Path, tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", MINIMAL)
    assert generate(capsys, spec, tmp_path / "out", "--no-cache")[0] == 0
    assert not cache.exists() or list(cache.rglob("*")) == []
    assert main(["validate", str(spec), "--no-cache"]) == 0
    assert not cache.exists() or list(cache.rglob("*")) == []


def test_a_planted_or_stale_list_of_proven_pieces_is_not_trusted(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces proven in black's layout are remembered as one list of keys per run: a list edited without
    the secret, or written by another generator (another fingerprint: its proofs are not this code's), must
    not keep a piece black would change; a genuine one is what lets a run skip the proof."""
    from clientgen import cache as cache_module
    from clientgen import writer

    messy = {"pkg/a.py": "x=1\n"}
    assert writer.format_sources(messy)["pkg/a.py"] == "x = 1\n"
    key = writer._piece_key("x=1\n")
    claim = f"{key}\n".encode()
    genuine = f"{writer.fingerprint()}-{writer.sha256_bytes(claim)}"
    (cache / "proven").mkdir(exist_ok=True)
    (cache / "proven" / genuine).write_bytes(b"0" * 64 + b"\n" + claim)  # no secret: a forged tag
    assert writer.format_sources(messy)["pkg/a.py"] == "x = 1\n"
    cache_module.write_entry("proven", f"{'f' * 64}-{writer.sha256_bytes(claim)}", claim)  # another generator's
    assert writer.format_sources(messy)["pkg/a.py"] == "x = 1\n"
    cache_module.write_entry("proven", genuine, claim)  # this generator's, with the secret: believed
    assert writer.format_sources(messy)["pkg/a.py"] == "x=1\n"


def test_proven_pieces_cost_one_cache_entry_per_run_and_the_lists_kept_are_bounded(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientgen import layout_proof, writer

    package = ROOT / "generated" / "airflow_rest_2_10_5" / "airflow_rest_2_10_5"
    files = {path.relative_to(package).as_posix(): path.read_text(encoding="utf-8") for path in package.rglob("*.py")}
    first = writer.format_sources(files)
    assert first == files  # committed files are black's own
    proven_lists = sorted((cache / "proven").iterdir())
    assert len(proven_lists) == 1
    proven_keys = set(proven_lists[0].read_bytes().decode().split("\n")[1:-1])  # after the tag line
    assert len(proven_keys) > 100
    assert not proven_keys & {entry.name for entry in black_entries(cache)}  # no entry of their own

    def no_proof(*args: object, **kwargs: object) -> set[str]:
        raise AssertionError("every piece was proven by the last run")

    with monkeypatch.context() as patched:
        patched.setattr(layout_proof, "proven_pieces", no_proof)
        assert writer.format_sources(files) == first
    for other in range(writer._PROVEN_KEPT + 3):  # runs of other generators' versions
        monkeypatch.setattr(writer, "fingerprint", lambda other=other: f"{other:064x}")
        writer.format_sources({"pkg/a.py": f"x = {other}\n"})
    assert len(list((cache / "proven").iterdir())) == writer._PROVEN_KEPT


def test_texts_formatted_on_the_workers_are_cached_for_the_next_run(
    capsys: pytest.CaptureFixture[str], cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientgen import writer

    spec = ROOT / "specs" / "airflow-2.2.4" / "v1.yaml"  # enough lines to format on worker processes
    assert generate(capsys, spec, tmp_path / "first")[0] == 0
    assert black_entries(cache)
    shutil.rmtree(cache / "proven")  # the next run proves every piece again: its texts for black are asked again

    def no_black(text: str) -> str:
        raise AssertionError(f"black asked for a text the last run formatted: {text[:200]!r}")

    monkeypatch.setattr(writer, "_format_one", no_black)
    assert generate(capsys, spec, tmp_path / "second")[0] == 0
    assert tree(tmp_path / "second") == tree(tmp_path / "first")


def test_many_entries_are_read_from_one_listing_and_checked_as_one_is(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_entries: an absent folder (a cold cache) opens nothing; present keys are read and checked as
    read_entry checks them (an edited entry is left out); absent keys are never opened."""
    from clientgen import cache as cache_module

    opened: list[str] = []
    checked = cache_module._checked  # what read_entry reads and checks an entry with
    monkeypatch.setattr(
        cache_module, "_checked", lambda path, secret, kind, key: opened.append(key) or checked(path, secret, kind, key)
    )
    keys = [f"{n:064x}" for n in range(300)]
    assert cache_module.read_entries("black-test", keys) == {} and opened == []
    for key in keys[:3]:
        cache_module.write_entry("black-test", key, key.encode())
    edited = cache / "black-test" / keys[1]
    edited.write_bytes(edited.read_bytes().replace(keys[1].encode(), b"x" * 64))
    assert cache_module.read_entries("black-test", keys) == {keys[0]: keys[0].encode(), keys[2]: keys[2].encode()}
    assert sorted(opened) == sorted(keys[:3])


def test_an_entry_read_as_a_view_is_checked_as_one_read_whole(cache: Path) -> None:
    """read_view: the content as written, not copied out of what was read; an edited, truncated or renamed entry is
    none, as read_entry says."""
    from clientgen import cache as cache_module

    content = bytes(range(256)) * 64
    cache_module.write_entry("kind-test", "a" * 64, content)
    view = cache_module.read_view("kind-test", "a" * 64)
    assert isinstance(view, memoryview) and view == content and view.obj is not content
    assert cache_module.read_entry("kind-test", "a" * 64) == content
    entry = cache / "kind-test" / ("a" * 64)
    stored = entry.read_bytes()
    for edited in (stored[:-1] + b"\x00", stored[:-1], stored[:40]):
        entry.write_bytes(edited)
        assert cache_module.read_view("kind-test", "a" * 64) is None
        assert cache_module.read_entry("kind-test", "a" * 64) is None
    entry.write_bytes(stored)
    assert cache_module.read_view("kind-test", "b" * 64) is None  # another key's name
    shutil.copy(entry, cache / "kind-test" / ("b" * 64))
    assert cache_module.read_view("kind-test", "b" * 64) is None  # copied under another key: its tag is the first's


def test_an_entry_in_two_parts_reads_its_tail_only_when_asked_and_from_the_file_its_head_came_from(cache: Path) -> None:
    """write_parts / read_head: each part checked; the tail read once, when called, from the file the head was read
    from (a newer entry written under the key since, or the entry gone, does not change it); an edited head is no
    entry, an edited tail no tail; the two kinds of entry are not taken for each other."""
    from clientgen import cache as cache_module

    key, head, tail = "c" * 64, b"head" * 1000, bytes(range(256)) * 100
    cache_module.write_parts("parts-test", key, head, tail)
    read = cache_module.read_head("parts-test", key)
    assert read is not None and read[0] == head
    cache_module.write_parts("parts-test", key, b"another head", b"another tail")  # written meanwhile
    assert read[1]() == tail and read[1]() is None  # the first file's, once
    read = cache_module.read_head("parts-test", key)
    assert read is not None and read[0] == b"another head"
    (cache / "parts-test" / key).unlink()  # evicted meanwhile
    assert read[1]() == b"another tail"
    assert cache_module.read_head("parts-test", key) is None
    cache_module.write_parts("parts-test", key, head, tail)
    entry = cache / "parts-test" / key
    stored = entry.read_bytes()
    for edited, head_read, tail_read in (
        (stored[:-1] + bytes([stored[-1] ^ 1]), True, False),  # the tail edited
        (stored[:-1], True, False),  # cut short in the tail
        (stored.replace(b"headhead", b"headHead", 1), False, False),
        (stored[:200], False, False),  # cut short in the head
        (stored[:10], False, False),
    ):
        entry.write_bytes(edited)
        got = cache_module.read_head("parts-test", key)
        assert (got is not None) is head_read
        if got is not None:
            assert got[0] == head and (got[1]() is not None) is tail_read
    entry.write_bytes(stored)
    shutil.copy(entry, cache / "parts-test" / ("d" * 64))
    assert cache_module.read_head("parts-test", "d" * 64) is None  # under another key
    assert cache_module.read_entry("parts-test", key) is None  # not an entry of one part
    cache_module.write_entry("parts-test", "e" * 64, stored)
    assert cache_module.read_head("parts-test", "e" * 64) is None


def test_the_fingerprint_is_read_back_only_while_no_source_file_changed(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``writer.fingerprint`` is the digest of the generator's files; kept under their stats, it is read back until
    one of them is written (even to the same size and modification time: its change time moves), added or removed.
    Bytecode beside them does not count."""
    from clientgen import cache as cache_module
    from clientgen import writer

    package, templates = tmp_path / "clientgen", tmp_path / "templates"
    (package / "__pycache__").mkdir(parents=True)
    templates.mkdir()
    (package / "a.py").write_text("A = 1\n")
    (templates / "t.jinja").write_text("{{ a }}\n")
    taken: list[str] = []
    original = writer._fingerprint_of

    def spy(*args: Any) -> str:
        taken.append(original(*args))
        return taken[-1]

    monkeypatch.setattr(writer, "_fingerprint_of", spy)
    first = writer._kept_fingerprint(package, templates)
    assert writer._kept_fingerprint(package, templates) == first and len(taken) == 1
    (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"bytecode")
    assert writer._kept_fingerprint(package, templates) == first and len(taken) == 1
    facts = (package / "a.py").stat()
    time.sleep(0.01)
    (package / "a.py").write_text("A = 2\n")  # the same size, then the same modification time
    os.utime(package / "a.py", ns=(facts.st_atime_ns, facts.st_mtime_ns))
    second = writer._kept_fingerprint(package, templates)
    assert second != first and len(taken) == 2
    (templates / "u.jinja").write_text("more\n")
    assert writer._kept_fingerprint(package, templates) not in (first, second) and len(taken) == 3
    cache_module.use_cache(False)
    try:
        assert writer._kept_fingerprint(package, templates) == taken[-1] and len(taken) == 4  # no cache: taken anew
    finally:
        cache_module.use_cache(True)
