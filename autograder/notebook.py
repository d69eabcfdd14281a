"""Checks from inside a notebook: ``check("svm_loss_naive")``.

The check does not trust the kernel it is called from: it writes the cells the
kernel has executed so far to a scratch notebook and grades that in a fresh judge
process (``python -m autograder grade``), which runs them in its own isolated worker.
So the score depends on the notebook's source, not on objects a student could patch.
It prints the feedback (stdout only: nbgrader zeroes a cell that writes to stderr)
and returns the points, which nbgrader takes as the grade cell's partial credit.
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


def check(function, hidden=False, cells=None, timeout=None, quiet=False):
    """Grade one catalog function on the notebook's code; print feedback, return points.

    ``hidden=True`` (grade cells) runs the full suite, hidden tests included;
    ``cells`` (a list of source strings) overrides the kernel history, for scripts.
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
        return 0.0
    report = json.loads(proc.stdout)
    if not quiet:
        print(summary(function, report))
    return float(report["score"])


def summary(function, report):
    lines = ["%s: %g / %g points" % (function, report["score"], report["max_score"])]
    for test in report["tests"]:
        mark = "PASS" if test["status"] == "passed" else test["status"].upper()
        lines.append("  %-7s %s" % (mark, test["name"]))
        if test["feedback"]:
            lines.append("          %s" % test["feedback"])
    return "\n".join(lines)
