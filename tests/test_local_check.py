"""Visible checks in the student's own kernel (``autograder.local``): on the live
functions, re-running no cell, stopping a function that hangs."""
import contextlib
import io
import time

from autograder import notebook, registry
from tests.helpers import solution_source


def _namespace(assignment, extra=""):
    namespace = {"__name__": "__main__"}
    exec(compile(solution_source(assignment) + "\n" + extra, "<cell 1>", "exec"), namespace)
    return namespace


def _check(*args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        value = notebook.check(*args, **kwargs)
    return value, out.getvalue()


def _visible(function):
    spec = registry.load(registry.assignment_of(function))
    return [t for t in spec.tests if t.function == function and not t.hidden]


def test_live_functions_pass_and_no_cell_is_rerun():
    """``cells`` are read for the structure checks, never run: a cell that would exit
    the process does not."""
    value, out = _check("svm_loss_vectorized", namespace=_namespace("linear_classifiers"),
                        cells=["import sys; sys.exit(3)", solution_source("linear_classifiers")])
    assert value is None
    shown = sum(t.points for t in _visible("svm_loss_vectorized"))
    assert out.splitlines()[0] == (
        "svm_loss_vectorized: %g / %g points so far; hidden tests decide the other %g at "
        "grading" % (shown, notebook.worth("svm_loss_vectorized"),
                     notebook.worth("svm_loss_vectorized") - shown))
    assert sorted(out.splitlines()[1:]) == sorted(
        "  PASS    %s" % t.name for t in _visible("svm_loss_vectorized"))


def test_the_function_as_the_kernel_holds_it_now():
    """Redefining a function in the kernel is what the next check sees."""
    namespace = _namespace("knn")
    exec("def predict_labels(dists, y_train, k=1):\n    return y_train[:len(dists)] * 0 + 99\n",
         namespace)
    _, out = _check("predict_labels", namespace=namespace, cells=[])
    assert "FAILED  predict_labels.nearest_neighbour" in out
    assert "5 of 5 labels differ: y_pred[0] expected" in out


def test_a_hanging_function_is_stopped_with_a_sentence():
    namespace = _namespace("linear_classifiers",
                           "def svm_loss_naive(W, X, y, reg):\n    while True:\n        pass\n")
    started = time.monotonic()
    _, out = _check("svm_loss_naive", namespace=namespace, cells=[], timeout=1)
    assert time.monotonic() - started < 5
    lines = out.splitlines()
    assert lines[0].startswith("svm_loss_naive: 0 / ")
    assert lines[1] == "  TIMEOUT svm_loss_naive.course_example"
    assert lines[2] == ("          svm_loss_naive did not finish within the 1 s limit and "
                        "was stopped (an endless loop?)")
    assert "not run: svm_loss_naive timed out in svm_loss_naive.course_example" in out


def test_structure_checks_read_the_function_source_when_no_history():
    """Without a kernel history (a plain script), the function's own source is read:
    a loop in a no-loops function is found."""
    namespace = _namespace("knn")
    source = ("import numpy as np\n"
              "def compute_distances_no_loops(X_test, X_train):\n"
              "    return np.array([[np.sqrt(np.sum((a - b) ** 2)) for b in X_train]\n"
              "                     for a in X_test])\n")
    import os
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(source)
    try:
        exec(compile(source, f.name, "exec"), namespace)
        _, out = _check("compute_distances_no_loops", namespace=namespace)
    finally:
        os.unlink(f.name)
    assert "FAILED  compute_distances_no_loops.no_python_loops" in out
    assert "a list comprehension" in out


def test_ctrl_c_stops_the_check_cell_and_a_pending_timer_survives():
    """KeyboardInterrupt inside the student's function is the student stopping the
    cell, not a failed test; and a timer the kernel had set before the check cell is
    still pending after it (what is left of it)."""
    import signal

    import pytest

    namespace = _namespace("linear_classifiers",
                           "def svm_loss_naive(W, X, y, reg):\n    raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        _check("svm_loss_naive", namespace=namespace, cells=[])

    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        _check("svm_loss_naive", namespace=_namespace("linear_classifiers"), cells=[])
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 20.0 < left < 30.0, left
        assert not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


WARM_UP = '''
import sys, threading
from autograder import local
import torch
from tests.helpers import solution_source
assert "torch._dynamo" not in sys.modules
namespace = {"__name__": "__main__"}
exec(compile(solution_source("cnn_training"), "<cell 1>", "exec"), namespace)
report = local.grade_here("pick_device", namespace, None)
assert report.score == report.max_score, report.results
for thread in threading.enumerate():
    if thread.name == "autograder-warm-up":
        thread.join(120)
print("torch._dynamo" in sys.modules)
'''
IMPORT_AFTER_TORCH = '''
import sys, threading
import torch
import autograder
for thread in threading.enumerate():
    if thread.name == "autograder-warm-up":
        thread.join(120)
print("torch._dynamo" in sys.modules)
'''


def test_the_first_cnn_training_check_warms_up_the_optimizer_import():
    """After a cnn_training check cell, torch._dynamo (imported by a process's first
    torch.optim optimizer, ~1 s) is imported in the background, so the train_one_epoch
    check cell does not wait for it (benchmarks/check_latency.py measures the latency)."""
    import subprocess
    import sys

    from tests.helpers import ROOT
    for script in (WARM_UP, IMPORT_AFTER_TORCH):    # a check cell; import autograder
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True,
                              text=True, cwd=ROOT, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.strip() == "True"
