"""Checks from inside a notebook: ``check("svm_loss_naive")``.

The check does not trust the kernel it is called from: it writes the cells the
kernel has executed so far to a scratch notebook and grades that in a fresh judge
process (``python -m autograder grade``), which runs them in its own isolated worker.
So the score depends on the notebook's source, not on objects a student could patch.
It prints the feedback (stdout only: nbgrader zeroes a cell that writes to stderr),
out of the function's full worth, which is its grade cell's ``points``. A grade cell's
check (``hidden=True``) returns the points, which nbgrader takes as the cell's partial
credit; a visible check returns None, so the cell shows its feedback and no ``Out``.
"""
import json
import os
import subprocess
import sys
import tempfile

from . import registry

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def assignment_of(function):
    for a in registry.all_assignments():
        if function in a.functions:
            return a.id
    names = [f for a in registry.all_assignments() for f in a.functions]
    raise registry.UsageError("no assignment has a function %r%s"
                              % (function, registry.did_you_mean(function, names)))


def executed_cells():
    """The code cells this kernel has run, oldest first, minus the current one."""
    try:
        shell = get_ipython()  # noqa: F821 - defined inside IPython
    except NameError:
        return []
    history = list(shell.user_ns.get("In", []))[1:-1]
    return [{"cell_type": "code", "source": src, "outputs": [], "execution_count": None,
             "metadata": {"autograder": {"label": "In [%d]" % (i + 1)}}}
            for i, src in enumerate(history) if src.strip()]


def worth(function):
    """All the points of ``function``'s tests, hidden ones included: its grade cell's worth."""
    spec = registry.load(assignment_of(function))
    return sum(t.points for t in spec.tests if t.function == function)


def check(function, hidden=False, cells=None, timeout=None):
    """Grade one catalog function on the notebook's code and print the feedback.

    ``hidden=True`` (grade cells) runs the full suite, hidden tests included, and
    returns the points (0.0 when grading fails: nbgrader gives full credit for no
    output); a visible check returns None. ``cells`` (a list of source strings)
    overrides the kernel history, for scripts.
    """
    assignment = assignment_of(function)
    if cells is not None:
        cells = [{"cell_type": "code", "source": src, "outputs": [], "execution_count": None,
                  "metadata": {}} for src in cells]
    else:
        cells = executed_cells()
    notebook = {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
                "metadata": {"autograder": {"assignment": assignment}}}
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as tmp:
        path = os.path.join(tmp, "%s.ipynb" % assignment)
        with open(path, "w") as f:
            json.dump(notebook, f)
        command = [sys.executable, "-m", "autograder", "grade", path, "--assignment",
                   assignment, "--only", function, "--format", "json"]
        if not hidden:
            command.append("--visible-only")
        if timeout:
            command += ["--timeout", str(timeout)]
        env = dict(os.environ)
        env["PYTHONPATH"] = PROJECT_ROOT + os.pathsep + env.get("PYTHONPATH", "")
        proc = subprocess.run(command, capture_output=True, text=True, cwd=tmp, env=env)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["exit status %d" % proc.returncode])[-1]
        print("Could not grade %s: %s" % (function, last))
        return 0.0 if hidden else None
    report = json.loads(proc.stdout)
    print(summary(function, report, worth(function)))
    return float(report["score"]) if hidden else None


def summary(function, report, worth):
    """The feedback: a ``x / worth points`` line, then one line per test (and its
    feedback). When the report left out hidden tests, the line says what they decide."""
    left = worth - report["max_score"]
    if left > 0:
        head = "%s: %g / %g points so far; hidden tests decide the other %g at grading" % (
            function, report["score"], worth, left)
    else:
        head = "%s: %g / %g points" % (function, report["score"], worth)
    lines = [head]
    for test in report["tests"]:
        mark = "PASS" if test["status"] == "passed" else test["status"].upper()
        lines.append("  %-7s %s" % (mark, test["name"]))
        if test["feedback"]:
            lines.append("          %s" % test["feedback"])
    return "\n".join(lines)
