"""``autograder.notebook.check`` as nbgrader and an instructor see it (the instructor's
copy: hidden tests in the isolated judge), and the notebooks' own ``rel_error`` helper.

A visible check prints its feedback out of the function's full worth (its grade cell's
points) and returns None, so the cell shows no ``Out``; a grading check returns the
points, which nbgrader reads as the cell's partial credit.  The student's copy is
tested in tests/test_student_release.py.
"""
import ast
import contextlib
import io
import textwrap

import nbformat
import numpy as np
import pytest

from autograder import notebook, registry
from autograder.judge import check_cells

from .test_notebooks import (ASSIGNMENTS, KERNEL_TIMEOUT, check_head, nbgrader_meta, read,
                             release_path, result_of, solution_path, stdout_of, tool_env)

FUNCTION = "compute_distances_no_loops"
GRADE_CELL = 'from autograder.notebook import check\ncheck("%s")' % FUNCTION
# Right values, but a Python loop: loses only the no_python_loops test.
WITH_A_LOOP = textwrap.dedent('''\
    import numpy as np

    def compute_distances_no_loops(X_test, X_train):
        dists = np.zeros((X_test.shape[0], X_train.shape[0]))
        for i in range(X_test.shape[0]):
            dists[i] = np.sqrt(np.sum((X_train - X_test[i]) ** 2, axis=1))
        return dists
    ''')


def checks_of(function, hidden=None):
    return [t for t in registry.load("knn").tests if t.function == function
            and (hidden is None or t.hidden == hidden)]


def points(tests):
    return sum(t.points for t in tests)


def solved_cells():
    """The knn solution's code cells that define functions (no data loaders)."""
    nb = read(solution_path("knn"))
    return ["import numpy as np"] + [c.source for c in nb.cells
                                     if nbgrader_meta(c).get("solution")]


def run_check(*args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        value = notebook.check(*args, **kwargs)
    return value, out.getvalue()


# ---------------------------------------------------------------- check() itself
def test_visible_check_prints_out_of_the_cells_worth_and_returns_none():
    worth, seen = points(checks_of(FUNCTION)), points(checks_of(FUNCTION, hidden=False))
    assert 0 < seen < worth
    value, out = run_check(FUNCTION, hidden=False, cells=solved_cells())
    assert value is None
    assert out == "\n".join(
        ["%s: %g / %g points so far; hidden tests decide the other %g at grading"
         % (FUNCTION, seen, worth, worth - seen)]
        + ["  PASS    %s" % t.name for t in checks_of(FUNCTION, hidden=False)]) + "\n"


def test_grade_cell_check_prints_and_returns_the_points():
    worth = points(checks_of(FUNCTION))
    assert notebook.worth(FUNCTION) == worth
    value, out = run_check(FUNCTION, cells=solved_cells())      # grading: the default
    assert value == worth and isinstance(value, float)
    assert out.splitlines()[0] == "%s: %g / %g points" % (FUNCTION, worth, worth)
    assert sorted(out.splitlines()[1:]) == sorted("  PASS    %s" % t.name
                                                  for t in checks_of(FUNCTION))


def test_a_stub_scores_zero_out_of_the_cells_worth():
    stubs = ["import numpy as np"] + [c.source for c in read(release_path("knn")).cells
                                      if nbgrader_meta(c).get("solution")]
    worth, seen = points(checks_of(FUNCTION)), points(checks_of(FUNCTION, hidden=False))
    value, out = run_check(FUNCTION, hidden=False, cells=stubs)
    assert value is None
    assert out.splitlines()[0] == check_head(FUNCTION, 0, seen, worth)
    assert "not implemented" in out
    value, out = run_check(FUNCTION, hidden=True, cells=stubs)
    assert value == 0.0
    assert out.splitlines()[0] == "%s: 0 / %g points" % (FUNCTION, worth)


def test_when_grading_fails_a_grade_cell_returns_zero_not_none():
    """nbgrader gives full credit to a grade cell with no output value."""
    message = ("Could not grade %s: autograder: error: --timeout must be a positive "
               "number of seconds, got -1.0\n" % FUNCTION)
    assert run_check(FUNCTION, hidden=True, cells=solved_cells(), timeout=-1) == (0.0, message)
    assert run_check(FUNCTION, hidden=False, cells=solved_cells(), timeout=-1) == \
        (None, message)


def test_in_a_kernel_visible_check_has_no_out_and_grade_cell_gives_partial_credit(tmp_path):
    """A real kernel: the visible check cell prints feedback and no Out; the grade cell
    outputs the points, which nbgrader's own grading reads as partial credit."""
    from nbclient import NotebookClient
    from nbgrader.utils import determine_grade

    worth = points(checks_of(FUNCTION))
    loops = points(t for t in checks_of(FUNCTION) if t.name.endswith(".no_python_loops"))
    seen = points(checks_of(FUNCTION, hidden=False))
    assert 0 < loops < seen < worth
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(WITH_A_LOOP),
                nbformat.v4.new_code_cell('from autograder.notebook import check\n'
                                          'check("%s", hidden=False)' % FUNCTION),
                nbformat.v4.new_code_cell(GRADE_CELL)]
    nb.cells[2].metadata["nbgrader"] = {"grade": True, "solution": False, "points": worth,
                                        "grade_id": "check_" + FUNCTION, "locked": True,
                                        "schema_version": 3}
    NotebookClient(nb, timeout=KERNEL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=tool_env())
    _, visible, grade = nb.cells
    for cell in (visible, grade):
        assert {o.output_type for o in cell.outputs} <= {"stream", "execute_result"}
        assert not any(o.get("name") == "stderr" for o in cell.outputs), cell.outputs
    assert not any(o.output_type == "execute_result" for o in visible.outputs)
    assert stdout_of(visible).splitlines()[0] == check_head(FUNCTION, seen - loops, seen, worth)
    assert "  FAILED  %s.no_python_loops" % FUNCTION in stdout_of(visible).splitlines()
    assert result_of(grade) == worth - loops
    assert "%s: %g / %g points" % (FUNCTION, worth - loops, worth) in \
        stdout_of(grade).splitlines()
    assert determine_grade(grade) == (worth - loops, worth)


# ---------------------------------------------------------------- rel_error helpers
def rel_error_helpers(path):
    """Each ``rel_error`` defined in the notebook's code cells, as a function."""
    helpers = []
    for cell in read(path).cells:
        if cell.cell_type != "code" or "def rel_error" not in cell.source:
            continue
        tree = ast.parse(cell.source)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "rel_error":
                space = {"np": np}
                exec(compile(ast.Module([node], []), path, "exec"), space)
                helpers.append(space["rel_error"])
    return helpers


@pytest.mark.parametrize("path", [where(a) for a in ASSIGNMENTS
                                  for where in (solution_path, release_path)])
def test_rel_error_says_when_shapes_differ(path):
    helpers = rel_error_helpers(path)
    if any(a in path for a in ("backprop", "batchnorm")):
        assert len(helpers) == 1
    for rel_error in helpers:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert rel_error(np.ones((3, 4)), np.ones((4, 3))) == np.inf
            assert rel_error(np.ones(3), np.ones((3, 1))) == np.inf
        assert out.getvalue() == ("rel_error: shapes differ: (3, 4) vs (4, 3)\n"
                                  "rel_error: shapes differ: (3,) vs (3, 1)\n")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
            assert rel_error([1.0, 3.0], [1.0, 1.0]) == pytest.approx(0.5)
            assert rel_error(2.0, np.float64(2.0)) == 0.0
        assert out.getvalue() == ""


def test_summary_never_shows_a_hidden_cases_inputs():
    report = {"score": 0.0, "max_score": 3.0, "tests": [
        {"name": "f.matches_reference", "status": "failed", "hidden": True,
         "feedback": "dW[0, 1]: expected 1, got 2 (rel. error 0.5) [case: N=3, D=2, reg=1]"},
        {"name": "f.example", "status": "failed", "hidden": False,
         "feedback": "dW: expected shape (2, 3), got shape (3, 2) [case: N=1]"}]}
    assert notebook.summary("f", report, 3.0).splitlines() == [
        "f: 0 / 3 points",
        "  FAILED  f.matches_reference",
        "          dW[0, 1]: expected 1, got 2 (rel. error 0.5)",
        "  FAILED  f.example",
        "          dW: expected shape (2, 3), got shape (3, 2) [case: N=1]"]


def forged(path):
    """The notebook at ``path`` as nbgrader holds it after running a kernel that forged
    every grade cell: full points returned, nothing on stderr."""
    nb = read(path)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade"):
            cell.outputs = [nbformat.v4.new_output(
                "execute_result", data={"text/plain": repr(float(nbgrader_meta(cell)["points"]))},
                execution_count=1)]
    return nb


def test_autograde_points_come_from_the_judge_not_the_kernel(monkeypatch):
    """nbgrader_judge's preprocessors grade the submission once (before its kernel runs)
    and overwrite every grade cell's output with the judge's verdict: forged outputs
    of an unsolved notebook read 0, a solved one's full points, with the feedback."""
    from nbgrader.utils import determine_grade

    from autograder.judge import nbgrader_judge

    calls = []
    judge = check_cells.run_judge

    def counting(*args, **kwargs):
        calls.append(args)
        return judge(*args, **kwargs)
    monkeypatch.setattr(check_cells, "run_judge", counting)
    spec = registry.load("knn")
    for path, solved in ((release_path("knn"), False), (solution_path("knn"), True)):
        nb, resources = forged(path), {}
        nb, resources = nbgrader_judge.GradeInJudge().preprocess(nb, resources)
        nb, resources = nbgrader_judge.RecordJudgeGrades().preprocess(nb, resources)
        cells = [c for c in nb.cells if nbgrader_meta(c).get("grade")]
        assert sorted(nbgrader_judge.checked_function(c) for c in cells) == \
            sorted(spec.functions)
        for cell in cells:
            function = nbgrader_judge.checked_function(cell)
            worth = points(checks_of(function))
            got = worth if solved else 0.0
            assert determine_grade(cell) == (got, worth), function
            assert stdout_of(cell).splitlines()[0] == "%s: %g / %g points" % (function, got,
                                                                               worth)
    assert [c[1:3] for c in calls] == [("knn", []), ("knn", [])]     # once per notebook


def test_autograde_fails_closed_when_the_judge_cannot_grade(monkeypatch):
    from nbgrader.utils import determine_grade

    from autograder.judge import nbgrader_judge

    monkeypatch.setattr(check_cells, "run_judge", lambda *args: "the judge crashed")
    nb, resources = nbgrader_judge.RecordJudgeGrades().preprocess(
        forged(solution_path("knn")), {})
    for cell in (c for c in nb.cells if nbgrader_meta(c).get("grade")):
        function = nbgrader_judge.checked_function(cell)
        assert determine_grade(cell) == (0.0, points(checks_of(function)))
        assert stdout_of(cell) == "Could not grade %s: the judge crashed\n" % function


def test_under_autograde_the_kernels_check_grades_nothing(monkeypatch):
    """The kernel ran the student's cells: its check() returns 0.0 (the judge's points
    replace it), so a forged autograder in the kernel has nothing to forge."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(check_cells, "run_judge", lambda *args: pytest.fail("graded in the kernel"))
    value, out = run_check(FUNCTION, cells=solved_cells())
    assert value == 0.0
    assert out.startswith("%s: graded by the isolated judge" % FUNCTION)


def test_autograde_steps_wrap_nbgraders_own():
    import os
    import types

    from nbgrader.converters.autograde import Autograde

    c = types.SimpleNamespace(CourseDirectory=types.SimpleNamespace(),
                              ExecutePreprocessor=types.SimpleNamespace(),
                              Autograde=types.SimpleNamespace())
    with open(os.path.join(os.path.dirname(solution_path("knn")), "..", "..",
                           "nbgrader_config.py")) as f:
        exec(f.read(), {"get_config": lambda: c})
    steps = [s if isinstance(s, str) else s.__name__ for s in c.Autograde.autograde_preprocessors]
    steps = [s.rsplit(".", 1)[-1] for s in steps]
    default = [s.__name__ for s in Autograde.class_traits()["autograde_preprocessors"].default()]
    assert [s for s in steps if s not in ("GradeInJudge", "RecordJudgeGrades")] == default
    assert steps.index("GradeInJudge") == steps.index("Execute") - 1
    assert steps.index("RecordJudgeGrades") == steps.index("SaveAutoGrades") - 1


def test_nbgrader_cell_timeout_outlasts_the_judges_worst_case():
    """A hang must end in the grader's "timed out" feedback, not nbgrader's
    CellTimeoutError: the cell timeout covers every test of the largest assignment
    timing out, each followed by a reload of the cells."""
    import os
    import types

    from autograder import config

    c = types.SimpleNamespace(CourseDirectory=types.SimpleNamespace(),
                              ExecutePreprocessor=types.SimpleNamespace(),
                              Autograde=types.SimpleNamespace())
    with open(os.path.join(os.path.dirname(solution_path("knn")), "..", "..",
                           "nbgrader_config.py")) as f:
        exec(f.read(), {"get_config": lambda: c})
    # every test times out (a training test after its own longer limit) and every
    # time-out reloads the cells, after the first load
    worst = max(sum(max(config.TIMEOUT_S, t.min_timeout or 0) + config.LOAD_TIMEOUT_S
                    for t in a.tests) for a in registry.all_assignments())
    assert c.ExecutePreprocessor.timeout >= worst + config.LOAD_TIMEOUT_S


def test_autograde_with_the_students_copy_fails_closed(monkeypatch):
    """nbgrader gives full credit to a grade cell that returns None: a kernel that has
    the student's copy of the checks (no hidden tests) must score the cell 0."""
    from autograder import expected

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(expected, "instructor_copy", lambda: False)
    value, out = run_check(FUNCTION)
    assert value == 0.0
    assert out.startswith("Could not grade %s: this kernel has the student's copy" % FUNCTION)
