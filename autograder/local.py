"""Visible checks on live functions, in the calling process: a student's check cell.

The student's kernel is the student's own business, so nothing needs isolating there:
the checks call the functions the kernel holds now, without re-running any cell,
through the worker's own call protocol (``worker.Worker.handle`` with the kernel's
namespace), so the same check code serves here and in the isolated judge.  A call
that runs past the test's deadline is interrupted (SIGALRM, so only on the main
thread, where a kernel runs its cells; elsewhere calls run without a limit) and the
test reports a time-out; a timer the kernel had pending is restored after each call,
and Ctrl-C (KeyboardInterrupt) stops the check cell.  Scores that count are decided by the isolated judge (CLI,
nbgrader), never here.
"""
import signal
import threading
import time

from . import registry, runner, warmup
from .errors import WorkerLost
from .structure import Source
from .worker import Worker


class _Interrupted(BaseException):
    """Raised inside the student's function when its time is up."""


class LocalWorker:
    """``sandbox.Worker``'s interface, answered in this process from ``namespace``."""

    in_process = True           # TestContext sends arrays as private copies

    def __init__(self, namespace, timeout):
        self.timeout = timeout
        self.worker = Worker()
        self.worker.namespace = namespace
        self.worker.filenames = _StudentFiles()     # error locations: the student's frames
        self.worker.raw = True                      # no JSON, no base64: private copies
        self.worker.passes_through = (KeyboardInterrupt,)
        self.load_info = {"names": sorted(k for k, v in namespace.items()
                                          if callable(v) and not k.startswith("_"))}
        self.fired = False

    def request(self, message, deadline, during="the test"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WorkerLost("timeout", "timed out during %s" % during)
        use_alarm = threading.current_thread() is threading.main_thread()
        if use_alarm:
            self.fired = False
            started = time.monotonic()
            previous = signal.signal(signal.SIGALRM, self._interrupt)
            pending, interval = signal.setitimer(signal.ITIMER_REAL, remaining)
        try:
            reply = self.worker.handle(message)
        except _Interrupted:
            self.fired = True
            reply = None
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                if pending > 0:     # the kernel's own timer: what is left of it
                    left = max(pending - (time.monotonic() - started), 1e-3)
                    signal.setitimer(signal.ITIMER_REAL, left, interval)
        if self.fired:
            raise WorkerLost("timeout", "did not finish within the %g s limit and was "
                                        "stopped (an endless loop?)" % self.timeout)
        return reply

    def _interrupt(self, signum, frame):
        self.fired = True
        raise _Interrupted()

    def alive(self):
        return True

    def restart(self):
        pass


class _StudentFiles:
    """Contains every code file name except those of Python, its packages and this
    package: the frames of a student's cells (``<ipython-input-...>``, a kernel's
    temporary cell files, a script)."""

    def __contains__(self, filename):
        import os
        import sysconfig

        if filename.startswith("<frozen"):
            return False
        path = os.path.abspath(filename)
        own = os.path.dirname(os.path.abspath(__file__))
        libraries = {sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")}
        return not any(path.startswith(folder + os.sep) for folder in libraries | {own})


def grade_here(function, namespace, cells, options=None):
    """Grade the visible tests of ``function`` on ``namespace`` (a kernel's globals);
    ``cells`` (source strings) are read, never run, for the structure checks.  Returns
    a ``runner.SubmissionReport``."""
    started = time.monotonic()
    options = options or runner.Options(hidden=False)
    assignment = registry.load(registry.assignment_of(function))
    tests = runner.select_tests(assignment, (function,), options.hidden)
    worker = LocalWorker(namespace, options.timeout)
    if cells is None:
        cells = _function_sources(namespace)
    source = Source([{"source": src, "label": "cell %d" % i}
                     for i, src in enumerate(cells, 1)])
    results, hung = [], None
    for test in tests:
        if hung:        # one wait is enough: the other tests would hang the same way
            results.append(runner.TestResult(
                test.name, assignment.id, test.function, 0.0, test.points, "timeout",
                "not run: %s timed out in %s" % (test.function, hung), test.hidden))
            continue
        results.append(runner.run_test(assignment, test, worker, options, source))
        if results[-1].status == "timeout":
            hung = test.name
    results = runner.apply_gates(tests, results)
    warmup.warm_up()
    return runner.SubmissionReport("<kernel>", assignment.id, results,
                                   seconds=time.monotonic() - started)


def _function_sources(namespace):
    """The source of each function in ``namespace`` that Python can find (IPython keeps
    cell sources; a plain ``exec`` does not), for the structure checks."""
    import inspect

    sources = []
    for value in list(namespace.values()):
        if inspect.isfunction(value):
            try:
                sources.append(inspect.getsource(value))
            except (OSError, TypeError):
                continue
    return sources
