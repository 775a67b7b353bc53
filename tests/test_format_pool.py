"""Issue 13: the formatting workers (``processes.FormatPool``): the second worker is forked by the first after its
imports; answers come back in order whatever worker made them; big texts either way cannot block the pipes; a
task's exception is raised in the parent; a worker that dies is said, never waited for; a pool never used is
stopped at once, even mid-import; the CLI's early pool is the one formatting, and the main process does not
import black."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from clientgen.processes import Connection, FormatPool, Process, WorkerDied, can_fork, pipe, wait
from tests.conftest import MINIMAL, ROOT, write

pytestmark = pytest.mark.skipif(not can_fork(), reason="the pool forks its workers")


def nothing() -> None:
    pass


def stall() -> None:
    time.sleep(600)


def pid_and_text(text: str) -> tuple[int, str]:
    return os.getpid(), text


def echo(text: str) -> str:
    return text


def fail_on_boom(text: str) -> str:
    if text == "boom":
        raise KeyError(text)
    return text


def die_on_die(text: str) -> str:
    if text == "die":
        os._exit(3)
    time.sleep(0.001)
    return text


def test_answers_come_back_in_order_from_both_workers() -> None:
    pool = FormatPool(nothing)
    try:
        texts = [str(n) for n in range(400)]
        answers = pool.map(pid_and_text, texts, 3)
        assert [text for _, text in answers] == texts
        workers = {pid for pid, _ in answers}
        assert len(workers) == 2 and os.getpid() not in workers and pool.process.pid in workers
    finally:
        pool.close()
    assert pool.process.exitcode == 0


def test_texts_bigger_than_a_pipe_go_both_ways() -> None:
    pool = FormatPool(nothing)
    try:
        texts = [chr(65 + n) * (3 << 20) for n in range(6)]  # 3 MiB each, 64 KiB pipes
        assert pool.map(echo, texts, 1) == texts
    finally:
        pool.close()


def test_a_tasks_exception_is_raised_in_the_parent_and_the_pool_goes_on() -> None:
    pool = FormatPool(nothing)
    try:
        with pytest.raises(KeyError, match="boom"):
            pool.map(fail_on_boom, ["a", "boom", "c"], 1)
        assert pool.map(fail_on_boom, ["x", "y"], 1) == ["x", "y"]
    finally:
        pool.close()


@pytest.mark.parametrize("position", [0, 1, 37])
def test_a_worker_that_dies_is_said_not_waited_for(position: int) -> None:
    pool = FormatPool(nothing)
    texts = [str(n) for n in range(60)]
    texts[position] = "die"
    try:
        with pytest.raises(WorkerDied):
            pool.map(die_on_die, texts, 1)
        with pytest.raises(WorkerDied):  # broken: never an answer meant for another call
            pool.map(echo, ["a", "b"], 1)
    finally:
        pool.close()


def test_a_pool_never_used_is_stopped_at_once_even_mid_import() -> None:
    pool = FormatPool(stall)
    pool.close()
    assert pool.process.exitcode == -9  # killed, not waited for


def test_the_cli_formats_on_its_early_pool_without_importing_black_or_multiprocessing(tmp_path: Path) -> None:
    """black is imported by the workers alone; the processes are forked without ``multiprocessing`` (~11 ms of
    imports before the first fork)."""
    spec = write(tmp_path / "spec.yaml", MINIMAL)
    probe = textwrap.dedent(f"""
        import sys
        from clientgen import cli, processes
        used = []
        original = processes.FormatPool.map
        def counted(self, function, texts, chunksize):
            used.append(len(texts))
            return original(self, function, texts, chunksize)
        processes.FormatPool.map = counted
        code = cli.main(["generate", {str(spec)!r}, "-o", {str(tmp_path / "out")!r}, "--package-name", "mini"])
        print(code, bool(used), "black" in sys.modules, "multiprocessing" in sys.modules)
        """)
    environment = {**os.environ, "CLIENTGEN_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.splitlines()[-1].split() == ["0", "True", "False", "False"], result.stdout + result.stderr


def _running(group: int) -> list[str]:
    """The processes of ``group`` not yet finished (a zombie left to init has finished)."""
    listed = subprocess.run(["ps", "-o", "stat=", "-g", str(group)], capture_output=True, text=True).stdout
    return [state for state in listed.split() if not state.startswith("Z")]


@pytest.mark.parametrize("after", [0.25, 0.5, 0.9, 1.3])  # once the CLI runs: its children at work
def test_a_ctrl_c_ends_the_run_and_its_children_without_a_traceback(tmp_path: Path, after: float) -> None:
    import signal

    environment = {**os.environ, "CLIENTGEN_CACHE_DIR": str(tmp_path / "cache")}  # cold: every child busy
    spec = ROOT / "specs" / "airflow-3.3.2" / "v2-rest-api-generated.yaml"
    command = [
        sys.executable,
        "-m",
        "clientgen",
        "generate",
        str(spec),
        "-o",
        str(tmp_path / "out"),
        "--package-name",
        "af3",
    ]
    run = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    time.sleep(after)
    os.killpg(run.pid, signal.SIGINT)  # what a terminal sends the foreground group
    _, errors = run.communicate(timeout=60)
    assert run.returncode in (0, 130)  # 0: it had finished
    assert b"Traceback" not in errors and b"Process " not in errors, errors.decode()
    deadline = time.monotonic() + 10
    while _running(run.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(run.pid)


def test_one_core_one_worker() -> None:
    pool = FormatPool(nothing, workers=1)
    try:
        answers = pool.map(pid_and_text, [str(n) for n in range(50)], 2)
        assert {pid for pid, _ in answers} == {pool.process.pid}
        assert [text for _, text in answers] == [str(n) for n in range(50)]
    finally:
        pool.close()
    assert pool.process.exitcode == 0


def test_a_worker_gone_before_the_work_is_said_too() -> None:
    pool = FormatPool(nothing)
    pool.process.kill()
    pool.process.join()
    try:
        with pytest.raises(WorkerDied):
            pool.map(echo, ["x" * (1 << 20)] * 4, 1)  # bigger than a pipe: the send itself fails
    finally:
        pool.close()


# -- one-shot forks (processes.Forked): the parallel render's other half --------------------------------


def test_forked_answer_comes_back_from_another_process() -> None:
    from clientgen.processes import Forked

    here = os.getpid()
    assert Forked(lambda: (os.getpid() != here, {"a": "b" * 1_000_000})).result() == (True, {"a": "b" * 1_000_000})


@pytest.mark.parametrize(
    "failing",
    [
        lambda: 1 / 0,  # raises
        lambda: os._exit(3),  # dies before answering
        lambda: lambda: None,  # an answer that does not pickle
        lambda: os.kill(os.getpid(), 9),  # killed
    ],
    ids=["raises", "exits", "unpicklable", "killed"],
)
def test_forked_failure_is_none_and_leaves_no_process(failing: object) -> None:
    from clientgen.processes import Forked

    forked = Forked(failing)  # type: ignore[arg-type]
    assert forked.result() is None
    assert forked.process.exitcode is not None  # joined: nothing left running


def test_parallel_render_is_the_serial_render_and_survives_a_failed_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """The render's forked half is the same text, in the same order of files; a fork that fails (here: its
    answer never comes) leaves its files to this process, with the same result."""
    from clientgen import processes, render
    from clientgen.loader import load_spec
    from clientgen.normalise import normalise

    api = normalise(load_spec(ROOT / "specs" / "airflow-3.3.2" / "v2-rest-api-generated.yaml", validate=False))
    serial = render.render_package(api, "airflow", "3.3.2", "package")
    monkeypatch.setattr(render, "_PARALLEL_MIN_WEIGHT", 0)
    forks: list[int] = []
    real = processes.Forked.__init__

    def counted(self: processes.Forked[object], function: object) -> None:
        forks.append(1)
        real(self, function)  # type: ignore[arg-type]

    monkeypatch.setattr(processes.Forked, "__init__", counted)
    parallel = render.render_package(api, "airflow", "3.3.2", "package", parallel=True)
    assert forks and list(parallel.items()) == list(serial.items())
    monkeypatch.setattr(processes.Forked, "result", lambda self: (self.process.kill(), self.process.join(), None)[2])
    fallen_back = render.render_package(api, "airflow", "3.3.2", "package", parallel=True)
    assert list(fallen_back.items()) == list(serial.items())


# -- the pipes and processes themselves (``processes.pipe``, ``processes.Process``) ----------------------------


def _echo_back(end: Connection, other: Connection) -> None:
    other.close()  # the parent's end: its closing is then this end's end of file
    while True:
        try:
            value = end.recv()
        except EOFError:
            return
        end.send(value)


def _raise() -> None:
    raise RuntimeError("a child's failure")


def _send_half(end: Connection) -> None:
    os.write(end._writing, (1000).to_bytes(8, "big") + b"x" * 10)  # type: ignore[arg-type]  # then dies


def test_objects_of_megabytes_go_both_ways_whole_and_an_end_closed_is_said() -> None:
    mine, theirs = pipe()
    child = Process(_echo_back, (theirs, mine))
    child.start()
    theirs.close()
    big = {"text": "é" * 3_000_000, "parts": list(range(100_000))}
    for value in (None, big, ("small", 1), b"\x00" * (1 << 21)):
        mine.send(value)
        assert wait([mine]) == [mine] and mine.recv() == value
    mine.close()  # the child reads an end of file and returns
    child.join()
    assert child.exitcode == 0 and child not in Process.running()
    receiving, sending = pipe(duplex=False)
    sending.close()
    with pytest.raises(EOFError):
        receiving.recv()
    receiving.close()
    receiving, sending = pipe(duplex=False)
    receiving.close()
    with pytest.raises(OSError):  # no reader left: a broken pipe, not a signal
        sending.send("x" * 100_000)
    sending.close()


def test_a_message_cut_short_and_a_failing_or_killed_child_are_told() -> None:
    receiving, sending = pipe(duplex=False)
    child = Process(_send_half, (sending,))
    child.start()
    sending.close()
    with pytest.raises(EOFError):
        receiving.recv()
    child.join()
    receiving.close()
    failing = Process(_raise, ())
    failing.start()
    failing.join()
    assert failing.exitcode == 1  # and no traceback printed by the child
    stalled = Process(stall, ())
    stalled.start()
    assert stalled in Process.running() and stalled.exitcode is None
    stalled.kill()
    stalled.join()
    assert stalled.exitcode == -9 and not Process.running()
