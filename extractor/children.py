"""Child processes that die with the process that started them: nothing outlives a `kill -9` or a Ctrl-C."""

from __future__ import annotations

import ctypes
import os
import select
import signal
import threading
import time

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """For a direct child (a preexec_fn): the kernel (Linux) SIGKILLs it when `parent` exits, however."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it exited before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)


def die_with(pid: int) -> None:
    """For a grandchild (a batch worker, whose parent is the forkserver, which lives as long as its
    workers do): a thread that SIGKILLs this process the moment process `pid` exits."""

    def watch() -> None:
        try:
            select.select([os.pidfd_open(pid)], [], [])  # readable when `pid` exits
        except (OSError, AttributeError):  # no pidfd (an old kernel): look twice a second
            while _alive(pid):
                time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
