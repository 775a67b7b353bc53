"""Child processes that never outlive clientgen: a ``kill -9`` of the parent takes its workers along."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

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
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and os.name == "posix"


class FormatPool:
    """One or two worker processes mapping functions over texts for the parent. The first is forked and runs
    ``preload`` (importing black and what the tasks need), then forks the second, which inherits it all: one
    import for both. Forked by the CLI before anything else is read, that import runs on the core the
    parent's own imports and reading leave idle, and the parent never imports black.

    Each worker has its own pipe and one chunk in flight: the next goes to whichever answers first, and
    neither side can block the other with a big message. A worker gone (killed, crashed) is an end of
    file on its pipe, said as ``WorkerDied``; a task's exception is raised in the parent."""

    def __init__(self, preload: Callable[[], None], workers: int = 2) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        pipes = [context.Pipe() for _ in range(max(1, min(2, workers)))]
        self.ends = [parent_end for parent_end, _ in pipes]
        worker_ends = [worker_end for _, worker_end in pipes]
        self.used = False
        self.broken = False
        self.process: Any = context.Process(
            target=_first_worker, args=(os.getpid(), preload, worker_ends, self.ends), daemon=True
        )
        self.process.start()
        for worker_end in worker_ends:
            worker_end.close()

    def map(self, function: Callable[[str], _T], texts: list[str], chunksize: int) -> list[_T]:
        from multiprocessing.connection import wait

        if self.broken:
            raise WorkerDied("a formatting worker process died")
        self.used = True
        chunks = [texts[start : start + chunksize] for start in range(0, len(texts), chunksize)]
        results: list[list[_T]] = [[] for _ in chunks]
        busy: dict[Any, int] = {}
        failure: BaseException | None = None
        sent = 0
        try:
            for end in self.ends[: len(chunks)]:
                end.send((function, chunks[sent]))
                busy[end] = sent
                sent += 1
            while busy:
                for ready in wait(list(busy)):
                    answering: Any = ready
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


def _first_worker(parent: int, preload: Callable[[], None], worker_ends: list[Any], parent_ends: list[Any]) -> None:
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


def _serve(end: Any) -> None:
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
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.end, child_end = context.Pipe(duplex=False)
        self.process: Any = context.Process(target=_answer, args=(os.getpid(), function, child_end), daemon=True)
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


def _answer(parent: int, function: Callable[[], Any], end: Any) -> None:
    die_with_parent(parent)
    import gc

    gc.disable()  # short-lived: a collection would only touch, and so copy, the parent's pages
    try:
        answer: tuple[str, object] = ("ok", function())
    except BaseException:  # the parent does the work itself, and meets the error there
        answer = ("error", None)
    end.send(answer)
    end.close()
