"""Child processes that never outlive clientgen: a ``kill -9`` of the parent takes its workers along."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """Called first in every forked child, with the parent's pid as the parent saw it before forking:
    a parent killed between the fork and this call has already left the child to init, and the
    child must not outlive it (``os.getppid()`` read here would name init and hide that). On Linux
    the kernel kills the child when its parent dies (``PR_SET_PDEATHSIG``); elsewhere a thread
    notices the parent is gone within 0.2 s."""
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
