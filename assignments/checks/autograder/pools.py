"""Where a batch's submissions are graded: threads of this process (``LocalPool``), or
the workers of a Dask distributed cluster (``DaskPool``).  Both run ``grade_task``,
which grades one submission exactly as a single-file run does (one isolated worker
process per submission, ``runner.grade_submission``) and returns plain JSON-able
data, so a result is the same wherever it was computed."""
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from . import processes, runner, store
from .errors import ClusterError
from .submission import Submission

CONNECT_TIMEOUT_S = 10     # reaching the scheduler, and waiting for a first worker
STOP_POLL_S = 0.05


def payload(sub, options):
    """What a task needs, as plain data (the submission's cells travel with it, so a
    cluster's workers need no access to the course's files)."""
    return {"path": sub.path, "cells": sub.cells, "assignment": sub.assignment,
            "options": dict(vars(options)),
            "grader": store.grader_version()}


def grade_task(task):
    """Grade one submission here; returns ``{"report": record}``, ``{"error": line}``
    (the grader failed on it: not stored, so a rerun tries again) or
    ``{"refused": line}`` (this process runs another version of the grader)."""
    mine = store.grader_version()
    if task["grader"] != mine:
        return {"refused": "a worker runs grader version %s, this checkout %s: install "
                           "the same checkout on the cluster's workers" % (mine, task["grader"])}
    sub = Submission(task["path"], task["cells"], task["assignment"])
    try:
        report = runner.grade_submission(sub, runner.Options(**task["options"]))
    except Exception as exc:  # noqa: BLE001 - one submission must not stop the batch
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return {"error": "internal error while grading (not the submission's fault; "
                         "please report it): %s" % detail}
    return {"report": store.to_record(report)}


_ONE_AT_A_TIME = threading.Lock()


def grade_on_worker(task):
    """``grade_task`` on a Dask worker, with the CLI's guarantees: this process
    becomes a subreaper, grades one submission at a time, and kills whatever the
    submission left behind afterwards."""
    with _ONE_AT_A_TIME:
        processes.become_subreaper()
        before = processes.children()
        try:
            return grade_task(task)
        finally:
            processes.kill_children(only=processes.children() - before)


class LocalPool:
    """``jobs`` submissions at once, each in a thread of this process that drives the
    submission's isolated worker process."""

    def __init__(self, jobs):
        self.executor = ThreadPoolExecutor(max_workers=jobs)

    def submit(self, task):
        return self.executor.submit(grade_task, task)

    def stop(self, futures):
        """Cancel what has not started and cut short what runs: its worker processes
        are stopped until every grading thread has returned (those results are
        discarded by the caller)."""
        for future in futures:
            future.cancel()
        while not all(f.done() for f in futures):
            processes.stop_supervisors()
            time.sleep(STOP_POLL_S)

    def close(self):
        self.executor.shutdown(wait=True)


class DaskPool:
    """One Dask task per submission on the cluster whose scheduler is at
    ``address``; each worker process grades one submission at a time."""

    def __init__(self, address):
        try:
            import distributed
        except ImportError:
            raise ClusterError("--cluster needs Dask: pip install 'dask[distributed]' "
                               "(or this project's [cluster] extra)") from None
        from distributed.comm.addressing import parse_address, parse_host_port
        try:
            scheme, location = parse_address(address, strict=False)
            if scheme in ("tcp", "tls"):
                parse_host_port(location)
        except ValueError as exc:         # checked first: a Client made of it hangs
            raise ClusterError("--cluster %s: not a scheduler address (%s; expected "
                               "tcp://host:port)" % (address, exc)) from None
        try:
            self.client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S,
                                             set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError("--cluster %s: cannot reach the scheduler (%s)"
                               % (address, str(exc).splitlines()[0] if str(exc)
                                  else type(exc).__name__)) from None
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError):
            self.client.close()
            raise ClusterError("--cluster %s: the scheduler has no worker (none joined "
                               "within %d s)" % (address, CONNECT_TIMEOUT_S)) from None

    def submit(self, task):
        return self.client.submit(grade_on_worker, task, pure=False)

    def stop(self, futures):
        """Cancel every task; a task already running on a worker finishes there and
        its result is discarded."""
        self.client.cancel(list(futures))

    def close(self):
        self.client.close()
