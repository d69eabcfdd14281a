"""Start, talk to and kill the worker process that runs a submission.

The judge (this process) never imports student code: it sends cells and call
requests down a pipe and gets plain data back (``autograder.worker`` wire format).
Limits: a wall-clock deadline per request, a memory limit (RLIMIT_DATA, plus a watch
on resident anonymous and shared memory, which RLIMIT_DATA does not see), no core
dumps, bounded file writes, output truncated; every process the submission started
is killed (the worker's supervisor is a subreaper, see
``autograder.judge.worker_process``); the worker cannot read the project checkout nor
write outside its scratch folder (Landlock, where the kernel has it).

Cells are loaded one at a time: a cell that kills the worker (``os._exit``, a
segfault) or does not finish in time is skipped, the worker restarted without it,
and the skip reported as a load error; the other cells' functions are still graded.
"""
import importlib.util
import json
import os
import select
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from .. import config
from .. import worker as wire
from . import worker_process
from ..errors import WorkerLost

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # autograder/
PROJECT = os.path.dirname(PACKAGE)         # the checkout, or site-packages when installed
WORKER_PATH = os.path.abspath(worker_process.__file__)
TOKEN_VAR = "AUTOGRADER_SANDBOX"


MAX_SKIPPED_CELLS = 3     # cells that kill the worker at load before we give up
MEMORY_HEADROOM_MB = 512  # resident memory allowed beyond --memory-mb before a kill
WATCH_INTERVAL_S = 0.2    # how often the memory watch looks while waiting


def _site_dirs():
    """Third-party package folders the worker may import from (NumPy etc.), without
    the project checkout itself (an editable install adds it via a .pth file that
    ``-S`` skips)."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and site.getusersitepackages():
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if os.path.isdir(d) and os.path.abspath(d) != PROJECT]


def protected_paths():
    """What student code must not read: the project checkout (reference solutions,
    hidden checks, solution notebooks, tests) and, wherever they are installed, the
    ``autograder`` and ``reference`` packages."""
    paths = set()
    sites = {os.path.realpath(d) for d in site.getsitepackages() + _site_dirs()}
    python = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
    if (os.path.isdir(os.path.join(PROJECT, "reference")) and
            os.path.realpath(PROJECT) not in sites | python | {"/"}):
        paths.add(PROJECT)
    for name in ("autograder", "reference"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        for folder in (spec and spec.submodule_search_locations) or ():
            paths.add(folder)
    return sorted(os.path.realpath(p) for p in paths)


def _python_dirs():
    """Where the worker's Python and its packages live (readable even when the
    virtual environment sits inside the checkout)."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
            os.path.dirname(os.__file__)}
    return sorted(d for d in dirs | set(_site_dirs()) if d and os.path.isdir(d))


def resident_mb(pid):
    """Private plus shared resident memory of one process, in MB (0 if gone)."""
    total = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("RssAnon:", "RssShmem:")):
                    total += int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return total // 1024


def _remove_tree(folder):
    """rmtree that also removes what the submission made read-only."""
    def retry(func, path, _exc):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
            func(path)
        except OSError:
            pass
    shutil.rmtree(folder, onerror=retry)
    if os.path.exists(folder):
        shutil.rmtree(folder, ignore_errors=True)


class OutputSink(threading.Thread):
    """Drains the worker's stdout+stderr, keeping only the first bytes."""

    def __init__(self, fd, limit):
        super().__init__(daemon=True)
        self.fd, self.limit = fd, limit
        self.kept = bytearray()
        self.dropped = 0

    def run(self):
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            room = self.limit - len(self.kept)
            self.kept += chunk[:max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)
        os.close(self.fd)

    def text(self):
        out = self.kept.decode("utf-8", "replace")
        if self.dropped:
            out += "\n[... %d more bytes of output dropped]" % self.dropped
        return out


def _limit_resources(memory_mb):
    import resource

    def apply():
        mem = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        size = config.FILE_SIZE_LIMIT_BYTES
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # writes fail instead of killing
    return apply


def kill_tagged(token):
    """Kill every process carrying our sandbox token in its environment (children
    the submission started, even in a new session), repeating until none is left."""
    needle = ("%s=%s" % (TOKEN_VAR, token)).encode()
    for _ in range(50):
        found = False
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open("/proc/%s/environ" % pid, "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            if needle in env:
                found = True
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        if not found:
            return
        time.sleep(0.01)


class Worker:
    """One worker process with a submission loaded; restartable."""

    def __init__(self, cells, memory_mb=config.MEMORY_MB, load_timeout=config.LOAD_TIMEOUT_S):
        self.cells = cells
        self.memory_mb = memory_mb
        self.load_timeout = load_timeout
        self.proc = None
        self.load_info = None
        self.outputs = []
        self.skipped = {}          # cell index -> load error of a cell that killed the worker
        self.protected = protected_paths()

    # ------------------------------------------------------------ lifecycle
    def start(self):
        """Start the process and execute the submission's cells, one at a time; returns
        the load reply (``cell_errors`` includes the cells that had to be skipped).
        Raises WorkerLost when the worker cannot even start."""
        while True:
            self._spawn()
            deadline = time.monotonic() + self.load_timeout
            errors = []
            try:
                # The worker itself must come up (Python, NumPy, confinement) before
                # any cell can be blamed.
                self.request({"op": "ping"}, deadline, during="start-up")
                for index, cell in enumerate(self.cells):
                    if index in self.skipped:
                        errors.append(self.skipped[index])
                        continue
                    label = cell.get("label") or "cell %d" % (index + 1)
                    try:
                        reply = self.request({"op": "load", "cells": [
                            {"source": cell["source"], "label": label}]}, deadline,
                            during="loading")
                    except WorkerLost as lost:
                        if len(self.skipped) >= MAX_SKIPPED_CELLS:
                            raise
                        self.skipped[index] = self._skip_note(index, cell, label, lost)
                        break
                    errors += reply.get("cell_errors", [])
                else:
                    info = self.request({"op": "load", "cells": []}, deadline,
                                        during="loading")
                    info["cell_errors"] = errors
                    self.load_info = info
                    return info
            except WorkerLost:
                self.stop()
                raise
            self.stop()            # a cell was skipped: start again without it

    def _skip_note(self, index, cell, label, lost):
        source = cell.get("source", "")
        line = len(source) - len(source.lstrip("\n")) + 1
        where = " (line %d of %s)" % (line, label.strip("<>")) if line > 1 else \
            " (%s)" % label.strip("<>")
        if lost.status == "timeout":
            what = "this cell did not finish within %g s" % self.load_timeout
        else:
            what = lost.message.replace("during loading", "while running this cell")
        return {"type": "SkippedCell", "where": where,
                "message": "%s; the cell was skipped and the rest loaded without it" % what}

    def _spawn(self):
        self.token = uuid.uuid4().hex
        self.scratch = tempfile.mkdtemp(prefix="autograder-")
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        out_r, out_w = os.pipe()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.scratch, "TMPDIR": self.scratch, "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            TOKEN_VAR: self.token,
        }
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):   # see the machine notes
            if var in os.environ:
                env[var] = os.environ[var]
        settings = {"site_dirs": _site_dirs(), "protected": self.protected,
                    "allowed": _python_dirs(), "scratch": self.scratch,
                    "judge_pid": os.getpid()}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", WORKER_PATH, str(to_worker_r), str(from_worker_w),
             json.dumps(settings)],
            stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, cwd=self.scratch, env=env,
            pass_fds=(to_worker_r, from_worker_w), start_new_session=True,
            preexec_fn=_limit_resources(self.memory_mb))
        for fd in (to_worker_r, from_worker_w, out_w):
            os.close(fd)
        self.ctl_out, self.ctl_in = to_worker_w, from_worker_r
        self.sink = OutputSink(out_r, config.OUTPUT_LIMIT_BYTES)
        self.sink.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Kill the worker, everything it started, and remove its scratch folder."""
        if self.proc is None:
            return
        for fd in (self.ctl_out, self.ctl_in):
            try:
                os.close(fd)
            except OSError:
                pass
        # The supervisor kills the worker and its whole tree, then exits.
        try:
            self.proc.send_signal(signal.SIGTERM)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        # Belt and braces: the process group, then anything carrying our token.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()
        kill_tagged(self.token)
        self.sink.join(timeout=2)
        self.outputs.append(self.sink.text())
        _remove_tree(self.scratch)
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def output(self):
        """Student output so far (truncated)."""
        current = self.sink.text() if self.proc is not None else ""
        return "".join(self.outputs) + current

    # ------------------------------------------------------------ talking
    def request(self, message, deadline, during="the test"):
        """Send one request and wait for its reply until ``deadline`` (monotonic).
        Raises WorkerLost (after killing the worker) on timeout or death."""
        try:
            wire.send(self.ctl_out, message)
        except OSError:
            raise self._lost(during)
        buf = bytearray()
        need = wire.HEADER.size
        size = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise WorkerLost("timeout", "timed out during %s (limit reached, worker killed)"
                                 % during)
            ready, _, _ = select.select([self.ctl_in], [], [], min(remaining, WATCH_INTERVAL_S))
            if not ready:
                self._watch_memory(during)
                continue
            try:
                chunk = os.read(self.ctl_in, max(need - len(buf), 1 << 16))
            except OSError:
                chunk = b""
            if not chunk:
                raise self._lost(during)
            buf += chunk
            if size is None and len(buf) >= wire.HEADER.size:
                (size,) = wire.HEADER.unpack(bytes(buf[:wire.HEADER.size]))
                if size > wire.MAX_MESSAGE_BYTES:
                    self.stop()
                    raise WorkerLost("error", "the submission's reply was too large")
                need = wire.HEADER.size + size
            if size is not None and len(buf) >= need:
                try:
                    reply = json.loads(bytes(buf[wire.HEADER.size:need]).decode("utf-8"))
                except (ValueError, RecursionError):
                    reply = None
                if type(reply) is dict:
                    return reply
                self.stop()
                raise WorkerLost("error", "the worker sent a malformed reply")

    def _watch_memory(self, during):
        """Kill the worker when one of its processes holds far more resident memory
        than the limit (shared mappings and /dev/shm escape RLIMIT_DATA)."""
        limit = self.memory_mb + MEMORY_HEADROOM_MB
        for pid in [self.proc.pid] + worker_process.descendants_of(self.proc.pid):
            used = resident_mb(pid)
            if used > limit:
                self.stop()
                raise WorkerLost("error", "the submission's process used %d MB of memory "
                                 "(more than the %d MB limit, shared memory included) during "
                                 "%s; it was killed" % (used, self.memory_mb, during))

    def _lost(self, during):
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        code = self.proc.returncode if self.proc else None
        self.stop()
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = "signal %d" % -code
            how = "was killed by %s" % name
            if -code == signal.SIGKILL:
                how += " (memory limit or external kill)"
        else:
            how = "exited with status %s" % code
        return WorkerLost("error", "the submission's process %s during %s" % (how, during))
