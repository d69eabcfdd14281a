"""Start, talk to and kill the worker process that runs a submission.

The judge (this process) never imports student code: it sends cells and call
requests down a pipe and gets plain data back (``autograder.worker`` wire format).
Limits: a wall-clock deadline per request, a memory limit, no core dumps, bounded
file writes, output truncated; every process the submission started is killed.
"""
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

from . import config
from . import worker as wire
from .errors import WorkerLost

WORKER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
TOKEN_VAR = "AUTOGRADER_SANDBOX"


def _site_dirs():
    """Third-party package folders the worker may import from (NumPy etc.), without
    the project checkout itself (an editable install adds it via a .pth file that
    ``-S`` skips)."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and site.getusersitepackages():
        dirs.append(site.getusersitepackages())
    project = os.path.dirname(os.path.dirname(WORKER_PATH))
    return [d for d in dirs if os.path.isdir(d) and os.path.abspath(d) != project]


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

    # ------------------------------------------------------------ lifecycle
    def start(self):
        """Start the process and execute the submission; returns the load reply."""
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
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", WORKER_PATH, str(to_worker_r), str(from_worker_w),
             json.dumps(_site_dirs())],
            stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, cwd=self.scratch, env=env,
            pass_fds=(to_worker_r, from_worker_w), start_new_session=True,
            preexec_fn=_limit_resources(self.memory_mb))
        for fd in (to_worker_r, from_worker_w, out_w):
            os.close(fd)
        self.ctl_out, self.ctl_in = to_worker_w, from_worker_r
        self.sink = OutputSink(out_r, config.OUTPUT_LIMIT_BYTES)
        self.sink.start()
        self.load_info = self.request({"op": "load", "cells": self.cells},
                                      time.monotonic() + self.load_timeout, during="loading")
        return self.load_info

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
        shutil.rmtree(self.scratch, ignore_errors=True)
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
            ready, _, _ = select.select([self.ctl_in], [], [], min(remaining, 0.5))
            if not ready:
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
                    return json.loads(bytes(buf[wire.HEADER.size:need]).decode("utf-8"))
                except ValueError:
                    self.stop()
                    raise WorkerLost("error", "the worker sent a malformed reply")

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
