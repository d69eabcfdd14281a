"""nbgrader autograde takes its points from the isolated judge, never from the kernel.

nbgrader records a grade cell's points from the cell's output (``execute_result``, read
by ``nbgrader.utils.determine_grade``), and that output comes from the student's kernel,
where the student's own cells ran first: a cell that patches the checks can make a grade
cell claim full points.  Two preprocessors, registered in ``nbgrader_config.py``
around nbgrader's own autograde steps, take the points away from the kernel:

* ``GradeInJudge``, before ``Execute``: grades the submission nbgrader holds in memory
  (after sanitizing: locked cells restored, before any of its code has run) with the CLI
  judge in a subprocess, once per notebook, and keeps the report;
* ``RecordJudgeGrades``, after the kernel ran (just before ``SaveAutoGrades``):
  replaces the outputs of every ``check("...")`` grade cell with the judge's feedback
  and points for that function, whatever the kernel printed or returned.

A grading failure gives the cell 0 with its one-line reason.  The kernel's own
``check()`` grades nothing under autograde (it returns 0.0): without these steps every
grade cell scores 0, loudly, instead of trusting the kernel.
"""
import os
import re
import tempfile

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from .. import notebook, registry
from . import check_cells
from ..errors import UsageError

KEY = "autograder_judge"                 # resources key: {assignment: report or reason}
CHECK_CALL = re.compile(r"""^\s*check\(\s*["'](\w+)["']\s*\)\s*$""", re.M)


def checked_function(cell):
    """The catalog function a grade cell checks (``check("name")``), else None."""
    if cell.get("cell_type") != "code" or not cell.metadata.get("nbgrader", {}).get("grade"):
        return None
    match = CHECK_CALL.search(cell.source)
    if match is None:
        return None
    try:
        registry.assignment_of(match.group(1))
    except UsageError:
        return None
    return match.group(1)


def judge_reports(nb):
    """{assignment: the judge's JSON report, or a one-line reason it could not grade}
    for the assignments of the notebook's grade cells, each graded once."""
    assignments = sorted({registry.assignment_of(f)
                          for f in map(checked_function, nb.cells) if f})
    reports = {}
    for assignment in assignments:
        with tempfile.TemporaryDirectory(prefix="autograder-autograde-") as tmp:
            path = os.path.join(tmp, "%s.ipynb" % assignment)
            nbformat.write(nb, path)
            reports[assignment] = check_cells.run_judge(path, assignment, [], None, tmp)
    return reports


def judge_outputs(function, reports, execution_count=None):
    """A grade cell's outputs: the judge's feedback on stdout, then its points."""
    report = reports.get(registry.assignment_of(function), "the judge did not grade it")
    if isinstance(report, str):
        text, score = "Could not grade %s: %s" % (function, report), 0.0
    else:
        part = check_cells.function_report(report, function)
        text = notebook.summary(function, part, notebook.worth(function))
        score = float(part["score"])
    return [nbformat.v4.new_output("stream", name="stdout", text=text + "\n"),
            nbformat.v4.new_output("execute_result", data={"text/plain": repr(score)},
                                   execution_count=execution_count)]


class GradeInJudge(Preprocessor):
    """Grade the submission in the isolated judge before its kernel runs."""
    enabled = Bool(True)

    def preprocess(self, nb, resources):
        resources[KEY] = judge_reports(nb)
        return nb, resources


class RecordJudgeGrades(Preprocessor):
    """Replace each check grade cell's outputs with the judge's verdict."""
    enabled = Bool(True)

    def preprocess(self, nb, resources):
        reports = resources.get(KEY)
        if reports is None:           # GradeInJudge not configured: grade now
            reports = judge_reports(nb)
        for cell in nb.cells:
            function = checked_function(cell)
            if function:
                cell.outputs = judge_outputs(function, reports, cell.get("execution_count"))
        return nb, resources


def autograde_steps(default):
    """nbgrader's autograde preprocessors ``default`` with the two above around them."""
    steps = list(default)
    names = [s if isinstance(s, str) else s.__name__ for s in steps]
    names = [n.rsplit(".", 1)[-1] for n in names]
    steps.insert(names.index("Execute"), "autograder.judge.nbgrader_judge.GradeInJudge")
    steps.insert(names.index("SaveAutoGrades") + 1, "autograder.judge.nbgrader_judge.RecordJudgeGrades")
    return steps
