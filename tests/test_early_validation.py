"""Issue 13: the validating child forked before the spec is read (it imports the validator on the core the
reading leaves idle) gives the verdict validating in this process gives, for the data as read (overlays
applied), with the lines of the file it was read from; a child not needed is stopped; a child that died says
so; the collector thresholds of a run are put back."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from clientgen.errors import SpecError
from clientgen.loader import LoadedSpec, load_spec
from clientgen.processes import Process
from clientgen.validation import EarlyValidator, start_validation, validate_spec
from tests.conftest import MINIMAL, write
from tests.test_validation_slips import HEAD

SLIPPED = HEAD + "        name: {type: string, default: 1}\n        size: {type: integer, default: inf}\n"
BROKEN = HEAD.replace('      responses:\n        "200":', '      responsez:\n        "200":')
# An overlay that turns the valid spec into one with a slip: the child must judge the data as overlaid,
# not the file, and still say the line of the file.
SLIPPING_OVERLAY = """
overlay: 1.0.0
info: {title: slip, version: "1"}
actions:
  - target: $.components.schemas.Item.properties.name
    update: {default: 1}
"""


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "cache"))


def _verdict(spec: LoadedSpec, early: EarlyValidator | None) -> object:
    try:
        return start_validation(spec, early)()
    except SpecError as exc:
        return ("error", str(exc), exc.line, exc.pointer)


def _in_process(spec: LoadedSpec) -> object:
    try:
        return validate_spec(spec)
    except SpecError as exc:
        return ("error", str(exc), exc.line, exc.pointer)


@pytest.mark.parametrize("text", [SLIPPED, BROKEN, MINIMAL], ids=["slips", "broken", "clean"])
def test_the_early_child_gives_the_verdict_validating_here_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    path = write(tmp_path / "spec.yaml", text)
    spec = load_spec(path, validate=False)
    early = EarlyValidator()
    got = _verdict(spec, early)
    assert early.process.exitcode == 0
    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "another-cache"))  # not the child's verdict
    expected = _in_process(spec)
    assert got == expected
    if text is SLIPPED:
        assert isinstance(got, tuple) and len(got) == 2 and all(d.line for d in got)
    if text is BROKEN:
        assert isinstance(got, tuple) and got[0] == "error" and got[2] is not None and got[3]


def test_the_early_child_judges_the_data_as_overlaid_with_the_file_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "spec.yaml", MINIMAL)
    overlay = write(tmp_path / "slip.yaml", SLIPPING_OVERLAY)
    spec = load_spec(path, (overlay,), validate=False)
    (slip,) = start_validation(spec, EarlyValidator())()  # type: ignore[misc]
    assert slip.pointer == "/components/schemas/Item/properties/name/default"
    assert slip.line == path.read_text().splitlines().index("        name: {type: string}") + 1
    assert not start_validation(load_spec(path, validate=False), EarlyValidator())()  # the file alone is clean


def test_an_early_child_that_died_is_said_not_a_traceback(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path / "spec.yaml", MINIMAL), validate=False)
    early = EarlyValidator()
    early.process.kill()
    early.process.join()
    with pytest.raises(SpecError, match="validator process died"):
        start_validation(spec, early)()


def test_a_child_not_needed_is_stopped(tmp_path: Path) -> None:
    path = write(tmp_path / "spec.yaml", MINIMAL)
    spec = load_spec(path, validate=False)
    start_validation(spec, EarlyValidator())()  # the verdict is cached from here on
    early = EarlyValidator()
    assert start_validation(spec, early)() == ()
    assert early.process.exitcode is not None  # stopped, not left waiting for a spec
    early = EarlyValidator()
    early.stop()
    assert early.process.exitcode is not None and not Process.running()


def test_generating_leaves_no_child_behind_whatever_the_outcome(tmp_path: Path) -> None:
    from clientgen.config import Target
    from clientgen.pipeline import generate

    spec = write(tmp_path / "spec.yaml", MINIMAL)
    target = Target(name="t", spec=spec, output=tmp_path / "out", package="early_client")
    assert generate(target).status == "written"
    assert generate(target).status == "unchanged"  # up to date: the child forked for it is stopped
    broken = Target(name="b", spec=write(tmp_path / "broken.yaml", BROKEN), output=tmp_path / "b", package="b")
    with pytest.raises(SpecError):
        generate(broken)
    unreadable = Target(name="u", spec=write(tmp_path / "bad.yaml", "openapi: [\n"), output=tmp_path / "u", package="u")
    with pytest.raises(SpecError):
        generate(unreadable)
    assert not Process.running()


def test_a_spec_over_the_early_size_is_validated_by_a_child_forked_after_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clientgen.validation as validation

    path = write(tmp_path / "spec.yaml", SLIPPED)
    monkeypatch.setattr(validation, "EARLY_MAX_BYTES", path.stat().st_size - 1)
    assert EarlyValidator.for_spec(path) is None
    monkeypatch.setattr(validation, "EARLY_MAX_BYTES", path.stat().st_size)
    early = EarlyValidator.for_spec(path)
    assert early is not None
    early.stop()
    spec = load_spec(path, validate=False)
    late = start_validation(spec)()
    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "another-cache"))
    assert late == start_validation(spec, EarlyValidator())()


def test_a_run_puts_the_collector_thresholds_back(tmp_path: Path) -> None:
    from clientgen.cli import main

    before = gc.get_threshold()
    assert main(["validate", str(write(tmp_path / "spec.yaml", MINIMAL))]) == 0
    assert gc.get_threshold() == before


def test_handing_a_spec_over_never_waits_for_the_child(tmp_path: Path) -> None:
    """The child imports the validator while the parent reads the spec. A spec bigger than a pipe's buffer,
    sent through the pipe, held the parent until the child had finished importing (~80 ms of each run on
    lightsail and Airflow 2.10.5, with the parent's core idle): here the child is stopped while it is handed
    over, and the parent goes on."""
    import os
    import signal
    import threading

    padding = "x" * 100
    schemas = "".join(f"    Extra{i}: {{type: string, description: {padding}}}\n" for i in range(3000))
    spec = load_spec(write(tmp_path / "spec.yaml", SLIPPED + schemas), validate=False)
    early = EarlyValidator()
    os.kill(early.process.pid, signal.SIGSTOP)
    try:
        handing = threading.Thread(target=early.hand, args=(spec,), daemon=True)
        handing.start()
        handing.join(timeout=10)
        assert not handing.is_alive()  # it would wait for as long as the child is stopped
    finally:
        os.kill(early.process.pid, signal.SIGCONT)
    verdict = early.receiver.recv()
    early.process.join()
    assert verdict == ("ok", _in_process(spec)) and len(verdict[1]) == 2


# The slips spec's operation, its schema in a second file.
TWO_FILES = HEAD.split("components:")[0].replace(
    '"#/components/schemas/Thing"', '"common.yaml#/components/schemas/Thing"'
)
COMMON = """openapi: 3.0.3
info: {title: Common, version: "1"}
paths: {}
components:
  schemas:
    Thing: {type: object, properties: {name: {type: string}}}
"""


def test_the_early_child_reads_paths_from_parents_only_for_a_spec_of_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spec of several files keeps jsonschema_path's own reading (its registry rebinding spares reading a
    file again). The child knows the spec only as handed over, its root file: whether the spec is one file is
    the parent's to say, which has read every file its references reach."""
    from clientgen import validation

    marker = tmp_path / "read-from-parents"
    original = validation._resolved_from_parents

    def recorded() -> object:
        marker.touch()
        return original()

    monkeypatch.setattr(validation, "_resolved_from_parents", recorded)  # the child is forked with it
    write(tmp_path / "common.yaml", COMMON)
    two = load_spec(write(tmp_path / "two.yaml", TWO_FILES), validate=False)
    assert start_validation(two, EarlyValidator())() == () and not marker.exists()
    one = load_spec(write(tmp_path / "one.yaml", MINIMAL), validate=False)
    assert start_validation(one, EarlyValidator())() == () and marker.exists()


def test_a_spec_the_memory_file_cannot_hold_goes_through_the_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed write to the memory file (no room) left the child without the spec, said as "validator
    process died"; the pipe carries it then."""
    from clientgen import validation

    def full(descriptor: int, payload: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(validation, "_write_all", full)
    spec = load_spec(write(tmp_path / "spec.yaml", SLIPPED), validate=False)
    early = EarlyValidator()
    got = _verdict(spec, early)
    assert early.process.exitcode == 0
    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "another-cache"))
    assert got == _in_process(spec) and isinstance(got, tuple) and len(got) == 2
