"""The grading process's own children: what a submission leaves behind comes back to
us (a child subreaper) and is killed; the worker supervisors of a batch that is
being stopped are cut short.  Linux only; elsewhere these do nothing (the sandbox's
own token scan still applies)."""
import os
import signal

from .sandbox import WORKER_PATH
from .worker_process import PR_SET_CHILD_SUBREAPER, children_of


def become_subreaper():
    """Orphans of student processes re-parent to this process, so none outlives
    grading (``kill_children`` then ends them)."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:  # noqa: BLE001 - not Linux: the token scan still applies
        pass


def children():
    """Pids of this process's children (of every thread: a grading thread's worker
    supervisor is that thread's child)."""
    return set(children_of(os.getpid()))


def kill_children(only=None):
    """SIGKILL and reap children (all, or those in ``only``) until none is left: by
    the time this runs they are student leftovers."""
    for _ in range(20):
        left = children() if only is None else children() & set(only)
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass


def stop_supervisors():
    """SIGTERM every worker supervisor this process started (it kills its worker and
    all it started, then exits); the test running in it ends as a lost worker."""
    needle = WORKER_PATH.encode()
    for pid in children():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
