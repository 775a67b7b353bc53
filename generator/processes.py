"""Child processes that never outlive clientgen: a ``kill -9`` of the parent takes its workers along."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Generic, TypeVar

_T = TypeVar("_T")

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """Called first in every forked child, with the parent's pid as the parent saw it before forking:
    a parent killed between the fork and this call has already left the child to init, and the
    child must not outlive it (``os.getppid()`` read here would name init and hide that). On Linux
    the kernel kills the child when its parent dies (``PR_SET_PDEATHSIG``); elsewhere a thread
    notices the parent is gone within 0.2 s. A Ctrl-C, sent to the whole process group, is the
    parent's to handle: it stops its children (a child's own KeyboardInterrupt printed a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid() if parent is None else parent
    if os.getppid() != parent:
        os._exit(1)
    if sys.platform == "linux":
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent died before the request took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="clientgen-parent-watch", daemon=True).start()


def can_fork() -> bool:
    return hasattr(os, "fork") and os.name == "posix"


# What the processes here need of ``multiprocessing`` (a forked process, pipes carrying pickled objects, a wait on
# several), written out: importing it took ~8-11 ms of every run's start, before the first fork (its connections,
# reductions and utilities import sockets, selectors, tempfile and subprocess).


class Connection:
    """One end of a pipe carrying pickled objects, each behind its length (8 bytes, big-endian)."""

    def __init__(self, reading: int | None, writing: int | None) -> None:
        self._reading, self._writing = reading, writing

    def fileno(self) -> int:
        assert self._reading is not None, "a sending end"
        return self._reading

    def send(self, value: object) -> None:
        if self._writing is None:
            raise OSError("a receiving end")
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        for part in (len(payload).to_bytes(8, "big"), payload):  # one writer a pipe: nothing comes between
            view = memoryview(part)
            while view:
                view = view[os.write(self._writing, view) :]

    def recv(self) -> Any:
        """The next object; EOFError where the other end closed before sending it whole."""
        size = int.from_bytes(self._read(8), "big")
        return pickle.loads(self._read(size))  # noqa: S301 - sent by a process this one forked, or its parent

    def _read(self, size: int) -> bytes:
        if self._reading is None:
            raise OSError("a sending end")
        parts: list[bytes] = []
        left = size
        while left:
            part = os.read(self._reading, min(left, 1 << 20))
            if not part:
                raise EOFError("the other end of the pipe closed")
            parts.append(part)
            left -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        for descriptor in (self._reading, self._writing):
            if descriptor is not None:
                with contextlib.suppress(OSError):
                    os.close(descriptor)
        self._reading = self._writing = None


def pipe(duplex: bool = True) -> tuple[Connection, Connection]:
    """Two connected ends; not ``duplex``: the first receives, the second sends."""
    down, up = os.pipe()
    if not duplex:
        return Connection(down, None), Connection(None, up)
    back_down, back_up = os.pipe()
    return Connection(down, back_up), Connection(back_down, up)


def wait(connections: list[Connection]) -> list[Connection]:
    """Those of ``connections`` with something to read (or closed at the other end), once one has."""
    import select

    ready: list[Connection] = select.select(connections, [], [])[0]
    return ready


class Process:
    """``target(*args)`` in a process forked at ``start``, which then exits (1 where ``target`` raised: each
    caller reports its child's failures itself, and a child prints no traceback)."""

    _started: ClassVar[set[Process]] = set()

    def __init__(self, target: Callable[..., object], args: tuple[object, ...]) -> None:
        self._target, self._args = target, args
        self.pid: int | None = None
        self._exitcode: int | None = None

    def start(self) -> None:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                self._target(*self._args)
                code = 0
            except BaseException:  # noqa: S110 - said by its answer, or by the answer it never sent
                pass
            finally:
                os._exit(code)
        self.pid = pid
        Process._started.add(self)

    @property
    def exitcode(self) -> int | None:
        self._reap(os.WNOHANG)
        return self._exitcode

    def kill(self) -> None:
        if self.pid is not None and self.exitcode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def join(self) -> None:
        self._reap(0)

    def _reap(self, flags: int) -> None:
        if self.pid is None or self._exitcode is not None:
            return
        try:
            pid, status = os.waitpid(self.pid, flags)
        except ChildProcessError:  # reaped elsewhere
            pid, status = self.pid, 0
        if pid:
            self._exitcode = os.waitstatus_to_exitcode(status)
            Process._started.discard(self)

    @classmethod
    def running(cls) -> list[Process]:
        """The processes started here and not yet ended (those ended are reaped)."""
        return [process for process in list(cls._started) if process.exitcode is None]


class FormatPool:
    """One or two worker processes mapping functions over texts for the parent. The first is forked and runs
    ``preload`` (importing black and what the tasks need), then forks the second, which inherits it all: one
    import for both. Forked by the CLI before anything else is read, that import runs on the core the
    parent's own imports and reading leave idle, and the parent never imports black.

    Each worker has its own pipe and one chunk in flight: the next goes to whichever answers first, and
    neither side can block the other with a big message. A worker gone (killed, crashed) is an end of
    file on its pipe, said as ``WorkerDied``; a task's exception is raised in the parent."""

    def __init__(self, preload: Callable[[], None], workers: int = 2) -> None:
        pipes = [pipe() for _ in range(max(1, min(2, workers)))]
        self.ends = [parent_end for parent_end, _ in pipes]
        worker_ends = [worker_end for _, worker_end in pipes]
        self.used = False
        self.broken = False
        self.process = Process(_first_worker, (os.getpid(), preload, worker_ends, self.ends))
        self.process.start()
        for worker_end in worker_ends:
            worker_end.close()

    def map(self, function: Callable[[str], _T], texts: list[str], chunksize: int) -> list[_T]:
        if self.broken:
            raise WorkerDied("a formatting worker process died")
        self.used = True
        chunks = [texts[start : start + chunksize] for start in range(0, len(texts), chunksize)]
        results: list[list[_T]] = [[] for _ in chunks]
        busy: dict[Connection, int] = {}
        failure: BaseException | None = None
        sent = 0
        try:
            for end in self.ends[: len(chunks)]:
                end.send((function, chunks[sent]))
                busy[end] = sent
                sent += 1
            while busy:
                for answering in wait(list(busy)):
                    kind, value = answering.recv()
                    index = busy.pop(answering)
                    if kind == "error":
                        failure = failure or value  # raised once every chunk sent is answered: none left behind
                    else:
                        results[index] = value
                    if sent < len(chunks) and failure is None:
                        answering.send((function, chunks[sent]))
                        busy[answering] = sent
                        sent += 1
        except (EOFError, OSError):  # a pipe closed by a worker's exit, reading or writing
            self.broken = True
            raise WorkerDied("a formatting worker process died") from None
        if failure is not None:
            raise failure
        return [result for chunk in results for result in chunk]

    def close(self, abandon: bool = False) -> None:
        """Ends the workers once their chunks are done; at once when they were never given work (they may
        still be importing), a worker died, or the work is ``abandon``ed (an error, a Ctrl-C)."""
        if self.used and not self.broken and not abandon and self.process.exitcode is None:
            for end in self.ends:
                with contextlib.suppress(OSError):
                    end.send(None)
        else:
            self.process.kill()
        self.process.join()
        for end in self.ends:
            end.close()


class WorkerDied(RuntimeError):
    pass


def _first_worker(
    parent: int, preload: Callable[[], None], worker_ends: list[Connection], parent_ends: list[Connection]
) -> None:
    die_with_parent(parent)
    for end in parent_ends:
        end.close()
    preload()
    first = os.getpid()
    if len(worker_ends) == 2:
        if os.fork() == 0:
            try:
                die_with_parent(first)
                worker_ends[0].close()
                _serve(worker_ends[1])
            finally:
                os._exit(0)
        worker_ends[1].close()  # the second worker's pipe: its end of file is the second worker's exit
    _serve(worker_ends[0])
    with contextlib.suppress(ChildProcessError):
        os.wait()


def _serve(end: Connection) -> None:
    while True:
        try:
            task = end.recv()
        except EOFError:
            return
        if task is None:
            return
        function, chunk = task
        try:
            answer: tuple[str, object] = ("ok", [function(text) for text in chunk])
        except BaseException as exc:  # the parent raises it
            answer = ("error", exc)
        try:
            end.send(answer)
        except Exception:  # an exception that does not pickle
            end.send(("error", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}")))


# Set by the CLI, whose process ends at once after its runs (``cli.run``: ``os._exit``): what a run made (the
# parsed spec, the IR, the texts: ~300k objects on GitHub's spec) is left for the exit to drop with the process,
# not freed object by object on the way out of the run (~20 ms). A library caller's runs free theirs as usual.
_left: list[object] | None = None


def leave_to_exit() -> None:
    """From now on what runs make is left to the process's exit (``left_to_exit``)."""
    global _left
    _left = []


def left_to_exit(*values: object) -> None:
    if _left is not None:
        _left.append(values)


_early: FormatPool | None = None


@contextlib.contextmanager
def early_format_pool(preload: Callable[[], None]) -> Iterator[None]:
    """While it lasts, ``early_pool()`` is a FormatPool forked now (where fork is available), of as many
    workers as there are cores, up to two."""
    global _early
    _early = FormatPool(preload, workers=os.cpu_count() or 1) if can_fork() else None
    abandon = True
    try:
        yield
        abandon = False
    finally:
        pool, _early = _early, None
        if pool is not None:
            pool.close(abandon)


def early_pool() -> FormatPool | None:
    return _early


class Forked(Generic[_T]):
    """``function()`` computed in a process forked now, which inherits everything this one has built (the
    IR, the compiled templates): its answer is pickled back, the work itself never is. ``result()`` is the
    answer, or None when the process failed in any way (raised, died, was killed, sent what does not
    unpickle): the caller then does the work itself, so a failure here never changes what is made."""

    def __init__(self, function: Callable[[], _T]) -> None:
        self.end, child_end = pipe(duplex=False)
        self.process: Process | None = Process(_answer, (os.getpid(), function, child_end))
        try:
            self.process.start()
        except OSError:  # no process to be had (a limit on processes, no memory to fork)
            self.process = None
        child_end.close()

    def result(self) -> _T | None:
        if self.process is None:
            self.end.close()
            return None
        answer: tuple[str, Any] = ("error", None)
        try:
            answer = self.end.recv()
        except Exception:  # noqa: S110 - the pipe closed (the process died) or its answer did not unpickle
            pass
        finally:
            self.end.close()
            if answer[0] != "ok":
                self.process.kill()
            self.process.join()
        return answer[1] if answer[0] == "ok" else None


def _answer(parent: int, function: Callable[[], Any], end: Connection) -> None:
    die_with_parent(parent)
    import gc

    gc.disable()  # short-lived: a collection would only touch, and so copy, the parent's pages
    try:
        answer: tuple[str, object] = ("ok", function())
    except BaseException:  # the parent does the work itself, and meets the error there
        answer = ("error", None)
    end.send(answer)
    end.close()
