"""Check cells: ``check("svm_loss_naive")``, one call per cell, for students and graders.

What it does depends on the copy of this package the kernel has:

* a student's copy (``pip install ./assignments/checks``: no reference, no hidden
  test) runs the function's visible checks at once on the live functions of the
  calling kernel (``autograder.local``), re-running no cell; it prints the feedback
  and returns None, so the cell shows no ``Out``;
* the instructor's copy (an instructor trying a solution) grades the function with the
  full hidden suite in the isolated judge, which never trusts the kernel, on the cells
  the kernel has executed, and returns the points (0.0 when grading fails).  Under
  ``nbgrader autograde`` (``NBGRADER_EXECUTION=autograde``) it grades nothing and
  returns 0.0: the points nbgrader records come from the judge, through the
  preprocessors of ``autograder.judge.nbgrader_judge`` (registered in nbgrader_config.py),
  which grade the submission nbgrader holds and overwrite every grade cell's output;
  nothing the kernel runs can change them.

Feedback goes to stdout only (nbgrader zeroes a cell that writes to stderr), out of the
function's full worth (its grade cell's ``points``).  Hidden tests' feedback never
shows the inputs of their generated cases.
"""
import os
import re
import sys

from . import expected, registry


def assignment_of(function):
    return registry.assignment_of(function)


def worth(function):
    """All the points of ``function``'s tests, hidden ones included: its grade cell's
    worth (recorded in a student's copy, which has no hidden tests)."""
    if expected.instructor_copy():
        spec = registry.load(assignment_of(function))
        return sum(t.points for t in spec.tests if t.function == function)
    return float(expected.points()[function])


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


def check(function, hidden=None, cells=None, timeout=None, namespace=None):
    """Check one catalog function and print the feedback (see the module docstring).

    ``hidden``: None chooses by the copy (full grading where the hidden tests exist);
    False runs the visible tests only.  ``namespace``: run the visible tests here, on
    these live functions (default in a student's copy: the caller's globals).
    ``cells`` (source strings) replaces the kernel history, for scripts.
    """
    assignment = assignment_of(function)
    grading = expected.instructor_copy() if hidden is None else bool(hidden)
    if os.environ.get("NBGRADER_EXECUTION") == "autograde" and not expected.instructor_copy():
        # Fail closed: a student's copy has no hidden tests, and nbgrader would give
        # full credit to a grade cell that returns None.
        print("Could not grade %s: this kernel has the student's copy of the checks "
              "(no hidden tests); autograde needs the instructor's autograder" % function)
        return 0.0
    if namespace is not None or not expected.instructor_copy():
        if namespace is None:
            namespace = sys._getframe(1).f_globals
        return _check_here(function, namespace, cells, timeout)
    if grading and os.environ.get("NBGRADER_EXECUTION") == "autograde":
        # The kernel ran the student's cells: nothing it computes can be trusted.
        print("%s: graded by the isolated judge, whose points replace this cell's output "
              "(autograder.judge.nbgrader_judge)" % function)
        return 0.0
    from .judge import check_cells      # the instructor's copy only: the kit has no judge

    report = check_cells.grade_cells(function, assignment, cells, grading, timeout)
    if isinstance(report, str):
        print("Could not grade %s: %s" % (function, report))
        return 0.0 if grading else None
    part = check_cells.function_report(report, function)
    print(summary(function, part, worth(function)))
    return float(part["score"]) if grading else None


def _check_here(function, namespace, cells, timeout):
    from . import local, runner

    options = runner.Options(hidden=False)
    if timeout:
        options.timeout = float(timeout)
    if cells is None:
        history = executed_cells()
        cells = [c["source"] for c in history] if history else None
    report = local.grade_here(function, namespace, cells, options)
    part = {"score": report.score, "max_score": report.max_score,
            "tests": [{"name": r.name, "status": r.status, "feedback": r.feedback,
                       "hidden": r.hidden} for r in report.results]}
    print(summary(function, part, worth(function)))
    return None


CASE = re.compile(r" \[case: [^\]]*\]$")


def summary(function, report, worth):
    """The feedback: a ``x / worth points`` line, then one line per test (and its
    feedback; a hidden test's without its generated inputs).  When the report left out
    hidden tests, the first line says what they decide."""
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
        feedback = test["feedback"]
        if feedback and test.get("hidden"):
            feedback = CASE.sub("", feedback)
        if feedback:
            lines.append("          %s" % feedback)
    return "\n".join(lines)
