"""The instructor's check cell: grade the cells a kernel ran with the isolated judge.

``autograder.notebook.check`` in the instructor's copy (an instructor trying a
solution) and the nbgrader preprocessors (``autograder.judge.nbgrader_judge``) write
the cells to a notebook file and grade it with ``python -m autograder grade`` in a
subprocess: the kernel that ran the cells never computes a score.
"""
import json
import os
import subprocess
import sys
import tempfile

from .. import notebook
from .sandbox import PROJECT


def grade_cells(function, assignment, cells, grading, timeout):
    """The judge's report on ``cells`` (default: the kernel's history) for one
    function, or a one-line reason it could not grade."""
    if cells is not None:
        cells = [{"cell_type": "code", "source": src, "outputs": [], "execution_count": None,
                  "metadata": {}} for src in cells]
    else:
        cells = notebook.executed_cells()
    document = {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
                "metadata": {"autograder": {"assignment": assignment}}}
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as tmp:
        path = os.path.join(tmp, "%s.ipynb" % assignment)
        with open(path, "w") as f:
            json.dump(document, f)
        extra = ["--only", function] + ([] if grading else ["--visible-only"])
        return run_judge(path, assignment, extra, timeout, tmp)


def run_judge(path, assignment, extra, timeout, cwd):
    """``python -m autograder grade`` on one notebook file: its JSON report, or the
    one-line reason it could not grade (the CLI's last stderr line)."""
    command = [sys.executable, "-m", "autograder", "grade", path, "--assignment", assignment,
               "--format", "json"] + extra + (["--timeout", str(timeout)] if timeout else [])
    env = dict(os.environ)
    env["PYTHONPATH"] = PROJECT + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
    if proc.returncode != 0:
        return (proc.stderr.strip().splitlines() or ["exit status %d" % proc.returncode])[-1]
    return json.loads(proc.stdout)


def function_report(report, function):
    """The part of a JSON report on one function."""
    tests = [t for t in report["tests"] if t["function"] == function]
    return {"score": sum(t["score"] for t in tests),
            "max_score": sum(t["max_score"] for t in tests), "tests": tests}
