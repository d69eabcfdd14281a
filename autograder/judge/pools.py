"""Where a batch's submissions are graded: threads of this process (``LocalPool``), or
the workers of a Dask distributed cluster (``DaskPool``).  Both run ``grade_task``,
which grades one submission exactly as a single-file run does (one isolated worker
process per submission, ``grading.grade_submission``) and returns plain JSON-able
data, so a result is the same wherever it was computed."""
import base64
import os
import select
import socket
import struct
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from .. import runner
from . import grading, processes, store
from ..errors import ClusterError
from .submission import Submission, files_cell

CONNECT_TIMEOUT_S = 10     # reaching the scheduler, and waiting for a first worker
STOP_POLL_S = 0.05


def payload(sub, options):
    """What a task needs, as plain data (the submission's cells and other files travel
    with it, so a cluster's workers need no access to the course's files)."""
    return {"path": sub.path, "cells": sub.cells, "assignment": sub.assignment,
            "files": {name: base64.b64encode(data).decode("ascii")
                      for name, data in (sub.files or {}).items()},
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
    files = {name: base64.b64decode(data) for name, data in task.get("files", {}).items()}
    cells = ([files_cell(files)] if files else []) + task["cells"]
    sub = Submission(task["path"], cells, task["assignment"], files or None)
    try:
        report = grading.grade_submission(sub, runner.Options(**task["options"]))
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


class Interrupted(Exception):
    """SIGINT or SIGTERM (the CLI's ``stop`` event) arrived while connecting."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


GREETING_MAX_BYTES = 1 << 20   # a Dask handshake is a few hundred bytes


def probe(address, host, port, stop=None, timeout=None):
    """Check that a Dask scheduler listens at ``host:port`` before Dask connects to
    it (a Dask client waits forever for a peer that does not answer its handshake):
    a Dask peer greets at once with its handshake, a message that starts with its
    length (8 bytes, little-endian).  An HTTP server (the dashboard) says nothing
    until asked; another service greets with a banner.  Raises ClusterError, or
    Interrupted when ``stop`` is set; never blocks more than ``timeout`` seconds
    (default CONNECT_TIMEOUT_S) beyond the name's look-up."""
    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    deadline = time.monotonic() + timeout

    def wait(sock, reading):
        while True:
            if stop is not None and stop.is_set():
                raise Interrupted(stop.signum)
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready = select.select([sock] if reading else [], [] if reading else [sock],
                                  [], min(STOP_POLL_S * 2, left))
            if ready[0] or ready[1]:
                return True

    def fail(why):
        return ClusterError("--cluster %s: %s" % (address, why))

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise fail("cannot reach the scheduler (%s)" % (exc.strerror or exc)) from None
    family, kind, proto, _, where = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        sock.connect_ex(where)
        if not wait(sock, False):
            raise fail("cannot reach the scheduler (no connection within %g s)" % timeout)
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise fail("cannot reach the scheduler (%s)" % os.strerror(error))
        received = b""
        while len(received) < 8:
            if not wait(sock, True):
                raise fail("not a Dask scheduler: it accepted the connection but sent "
                           "nothing within %g s (a Dask scheduler greets at once; an HTTP "
                           "server such as Dask's dashboard, port 8787, waits for a "
                           "request; the scheduler's port is 8786 by default)" % timeout)
            try:
                chunk = sock.recv(64)
            except OSError as exc:
                raise fail("cannot reach the scheduler (%s)" % exc.strerror) from None
            if not chunk:
                raise fail("not a Dask scheduler: it closed the connection without a "
                           "Dask greeting%s" % _shown(received))
            received += chunk
        length, = struct.unpack("<Q", received[:8])
        if not 0 < length <= GREETING_MAX_BYTES:
            raise fail("not a Dask scheduler: it greeted with %s, not Dask's protocol"
                       % _shown(received, True))
    finally:
        sock.close()


def _shown(data, always=False):
    """The first line of what a service sent, for a message."""
    if not data:
        return "" if not always else "nothing"
    line = data.splitlines()[0][:60] if data.splitlines() else data[:60]
    text = line.decode("ascii", "replace")
    if not text.isprintable() or not text.strip():
        text = data[:16].hex(" ")
        return (" (it sent bytes %s)" if not always else "bytes %s") % text
    return (" (it sent %r)" if not always else "%r") % text


def _bounded(call, stop, deadline, what):
    """``call()`` in a thread of its own, waited for until ``deadline`` (ClusterError
    ``what`` after it) or until ``stop`` is set (Interrupted), so that a Dask call
    that hangs never holds the command past its deadline nor past a signal."""
    done, box = threading.Event(), {}

    def run():
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc
        done.set()

    threading.Thread(target=run, daemon=True, name="autograder-connect").start()
    while not done.wait(STOP_POLL_S * 2):
        if stop is not None and stop.is_set():
            raise Interrupted(stop.signum)
        if time.monotonic() > deadline:
            raise ClusterError(what)
    if "error" in box:
        raise box["error"]
    return box.get("value")


class DaskPool:
    """One Dask task per submission on the cluster whose scheduler is at
    ``address``; each worker process grades one submission at a time.  Connecting
    takes at most about 3 x CONNECT_TIMEOUT_S and stops at once when ``stop`` (the
    CLI's signal event) is set."""

    def __init__(self, address, stop=None):
        try:
            import distributed
        except ImportError:
            raise ClusterError("--cluster needs Dask: pip install 'dask[distributed]' "
                               "(or this project's [cluster] extra)") from None
        from distributed.comm.addressing import parse_address, parse_host_port
        try:
            scheme, location = parse_address(address, strict=False)
            if scheme in ("tcp", "tls"):
                host, port = parse_host_port(location)
        except ValueError as exc:         # checked first: a Client made of it hangs
            raise ClusterError("--cluster %s: not a scheduler address (%s; expected "
                               "tcp://host:port)" % (address, exc)) from None
        if scheme == "tcp":
            probe(address, host, port, stop)
        self.client = None
        try:
            self.client = _bounded(
                lambda: distributed.Client(address, timeout=CONNECT_TIMEOUT_S,
                                           set_as_default=False),
                stop, time.monotonic() + CONNECT_TIMEOUT_S + 5,
                "--cluster %s: no answer as a Dask scheduler within %d s"
                % (address, CONNECT_TIMEOUT_S + 5))
        except (ClusterError, Interrupted):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever Dask raised: one line
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ClusterError("--cluster %s: cannot reach the scheduler (%s)"
                               % (address, text)) from None
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        try:
            while True:
                try:
                    _bounded(lambda: self.client.wait_for_workers(1, timeout=0.5), stop,
                             time.monotonic() + 10, "--cluster %s: the scheduler stopped "
                                                    "answering" % address)
                    break
                except (OSError, TimeoutError):
                    if time.monotonic() > deadline:
                        raise ClusterError("--cluster %s: the scheduler has no worker "
                                           "(none joined within %d s)"
                                           % (address, CONNECT_TIMEOUT_S)) from None
        except BaseException:
            self.close()
            raise

    def submit(self, task):
        return self.client.submit(grade_on_worker, task, pure=False)

    def stop(self, futures):
        """Cancel every task; a task already running on a worker finishes there and
        its result is discarded."""
        self.client.cancel(list(futures))

    def close(self):
        if self.client is not None:
            try:
                _bounded(self.client.close, None, time.monotonic() + CONNECT_TIMEOUT_S,
                         "closing")
            except Exception:  # noqa: BLE001 - a scheduler gone: nothing to close
                pass
            self.client = None
