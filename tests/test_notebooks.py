"""The teaching notebooks: solutions/ (nbgrader source) and assignments/ (release).

The release is what nbgrader makes from the source; the solutions score full marks
through the CLI (as notebooks and as .py exports), in a real kernel and through a real
``nbgrader autograde``; the released stubs score 0 without crashing the grader.
"""
import functools
import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import notebook, registry

from .helpers import ROOT, cli_json, run_cli

ASSIGNMENTS = registry.ASSIGNMENT_MODULES
BIN = os.path.dirname(sys.executable)
KERNEL_TIMEOUT = 300       # seconds per cell: a grade cell runs two checks
# Ungraded solution cells where the student puts earlier assignments' functions that a
# graded function needs (the grader runs each notebook alone).
CARRIED = {"conv": ["backprop_layers"]}
# The earlier notebooks a notebook's experiments load the student's functions from.
LOADS = {"optimizers": ["backprop"], "batchnorm": ["backprop"],
         "dropout": ["backprop", "optimizers"]}


def solution_path(assignment):
    return os.path.join(ROOT, "solutions", assignment, "%s.ipynb" % assignment)


def release_path(assignment):
    return os.path.join(ROOT, "assignments", assignment, "%s.ipynb" % assignment)


def read(path):
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def grade_cells(nb):
    return [c for c in nb.cells if nbgrader_meta(c).get("grade")]


def function_of(cell):
    return nbgrader_meta(cell)["grade_id"][len("check_"):]


@functools.lru_cache(maxsize=None)
def solution_report(assignment, visible_only=False):
    """The CLI's JSON report on the solution notebook (cached: several tests read it)."""
    return cli_json("grade", solution_path(assignment), *(["--visible-only"] if visible_only
                                                          else []))


def check_head(function, score, seen, worth):
    """The first line a check prints: ``score`` of the ``seen`` points its tests ran
    for, out of the function's ``worth``."""
    if seen < worth:
        return ("%s: %g / %g points so far; hidden tests decide the other %g at grading"
                % (function, score, worth, worth - seen))
    return "%s: %g / %g points" % (function, score, worth)


def function_report(report, function):
    """The part of ``report`` on one function: what ``--only FUNCTION`` reports."""
    tests = [t for t in report["tests"] if t["function"] == function]
    return {"score": sum(t["score"] for t in tests),
            "max_score": sum(t["max_score"] for t in tests), "tests": tests}


def tool_env():
    """Environment for nbgrader / jupyter / kernels: the project importable, the
    venv's scripts (alembic, jupyter) on PATH, plots headless."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["MPLBACKEND"] = "Agg"
    return env


def run_tool(args, cwd, timeout=600):
    proc = subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=tool_env(),
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (args, proc.stdout, proc.stderr[-5000:])
    return proc


GENERATE = """
import json, os, shutil, sys, tempfile
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from traitlets.config.loader import PyFileConfigLoader
empty = os.path.join(tempfile.mkdtemp(), "gradebook.db")
Gradebook("sqlite:///" + empty).close()        # alembic's migrations, once
for root, assignment in json.loads(sys.argv[1]):
    shutil.copy(empty, os.path.join(root, "gradebook.db"))
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    config.CourseDirectory.root = root
    result = NbGraderAPI(config=config).generate_assignment(assignment, force=True)
    if not result["success"]:
        sys.exit("generate_assignment %s failed:\\n%s" % (assignment, result["log"]))
"""


def make_courses(roots):
    """Scratch nbgrader courses, ``{assignment: root}``, each with its own gradebook and
    its assignment released; made by one process (nbgrader's start-up and the
    gradebook's migrations, ~3 s each, once for all)."""
    for assignment, root in roots.items():
        os.makedirs(os.path.join(root, "solutions"))
        shutil.copytree(os.path.join(ROOT, "solutions", assignment),
                        os.path.join(root, "solutions", assignment))
        shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), root)
    proc = subprocess.run([sys.executable, "-c", GENERATE, json.dumps(sorted(
        (root, a) for a, root in roots.items()))], env=tool_env(), capture_output=True,
        text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    return roots


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """``course(assignment)``: the scratch course of that assignment; every assignment's
    is made at the first call, once per test process (the sync test reads its release,
    the autograde test grades in it)."""
    made = {}

    def get(assignment):
        if not made:
            made.update(make_courses({a: str(tmp_path_factory.mktemp("course-" + a))
                                      for a in ASSIGNMENTS}))
        return made[assignment]
    return get


# ---------------------------------------------------------------- the notebooks
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_declares_every_function_once(assignment):
    nb = read(solution_path(assignment))
    assert nb.metadata["autograder"] == {"assignment": assignment}
    assert nb.metadata["kernelspec"]["name"] == "python3"
    spec = registry.load(assignment)
    solutions = [c for c in nb.cells if nbgrader_meta(c).get("solution")]
    assert sorted(nbgrader_meta(c)["grade_id"] for c in solutions) == sorted(
        list(spec.functions) + CARRIED.get(assignment, []))
    points = {}
    for cell in grade_cells(nb):
        meta = nbgrader_meta(cell)
        function = meta["grade_id"][len("check_"):]
        points[function] = meta["points"]
        # One call: a student's copy runs the visible checks, the instructor's grades
        # (no hidden-test block, so nbgrader's checksums of the cell never change).
        assert cell.source == 'from autograder.notebook import check\ncheck("%s")' % function
    assert points == {f: sum(t.points for t in spec.tests if t.function == f)
                      for f in spec.functions}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_cell_points_are_what_its_check_returns_and_prints(assignment):
    """Each grade cell (source and release) is worth the most its check can return (the
    judge's max for the function), and both checks print "x / y points" with that y;
    the visible one says what the hidden tests decide."""
    full, visible = solution_report(assignment), solution_report(assignment, True)
    most = {t["function"]: function_report(full, t["function"])["max_score"]
            for t in full["tests"]}
    for path in (solution_path(assignment), release_path(assignment)):
        points = {function_of(c): nbgrader_meta(c)["points"] for c in grade_cells(read(path))}
        assert points == most, "%s: grade cell points differ from the checks' max" % path
    for function, worth in most.items():
        assert notebook.worth(function) == worth
        head = notebook.summary(function, function_report(full, function), worth)
        assert head.splitlines()[0] == "%s: %g / %g points" % (function, worth, worth)
        seen = function_report(visible, function)
        assert seen["tests"] and seen["score"] == seen["max_score"] <= worth
        assert notebook.summary(function, seen, worth).splitlines()[0] == check_head(
            function, seen["score"], seen["max_score"], worth)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebook_is_in_sync_with_the_solution(course, assignment):
    released = os.path.join(course(assignment), "assignments", assignment)
    fresh = read(os.path.join(released, "%s.ipynb" % assignment))
    committed = read(release_path(assignment))

    def summary(nb):
        return [(c.cell_type, c.source, {k: nbgrader_meta(c).get(k)
                                         for k in ("grade", "solution", "points", "grade_id")})
                for c in nb.cells]
    assert summary(committed) == summary(fresh), (
        "assignments/%s is stale: run `nbgrader generate_assignment %s --force`"
        % (assignment, assignment))
    assert committed.metadata["autograder"] == {"assignment": assignment}
    text = json.dumps(committed)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert sorted(os.listdir(os.path.dirname(release_path(assignment)))) == \
        sorted(os.listdir(released)) == ["%s.ipynb" % assignment]


# ---------------------------------------------------------------- the CLI
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_scores_full_marks(assignment):
    report = solution_report(assignment)
    assert report["max_score"] == registry.load(assignment).max_score
    assert report["score"] == report["max_score"]
    assert {t["status"] for t in report["tests"]} == {"passed"}
    assert {t["assignment"] for t in report["tests"]} == {assignment}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_exported_as_script_scores_full_marks(tmp_path, assignment):
    run_tool(["nbconvert", "--to", "script", solution_path(assignment),
              "--output-dir", str(tmp_path)], cwd=str(tmp_path))
    script = tmp_path / ("%s.py" % assignment)
    assert script.exists()
    report = cli_json("grade", str(script), "--assignment", assignment)
    assert report["score"] == report["max_score"] == registry.load(assignment).max_score
    assert {t["status"] for t in report["tests"]} == {"passed"}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_stubs_score_zero_with_errors(assignment):
    proc = run_cli("grade", release_path(assignment), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["score"] == 0
    assert report["max_score"] == registry.load(assignment).max_score
    for test in report["tests"]:
        assert test["status"] == "error", test
        assert "not implemented" in test["feedback"], test


# ---------------------------------------------------------------- real kernels
def errors_in(nb):
    return [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]


def stdout_of(cell):
    return "".join(o.text for o in cell.outputs
                   if o.output_type == "stream" and o.name == "stdout")


def result_of(cell):
    values = [o.data["text/plain"] for o in cell.outputs if o.output_type == "execute_result"]
    return float(values[-1]) if values else None


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_autograde(course, assignment):
    """A real nbgrader course: the solution notebook gets full marks, the release with
    only its first function solved gets that function's cell in full and 0 in every
    other (untouched) cell (partial credit is the number each grade cell's check
    returns), and the autograded solution has no error output.  (The untouched release
    as a whole scores 0 in test_released_stubs_score_zero_with_errors.)"""
    from nbgrader.api import Gradebook

    course = course(assignment)
    name = "%s.ipynb" % assignment
    release = os.path.join(course, "assignments", assignment, name)
    one_solved = read(release)
    first = next(c for c in one_solved.cells if nbgrader_meta(c).get("solution"))
    first_id = nbgrader_meta(first)["grade_id"]
    first.source = next(c.source for c in read(solution_path(assignment)).cells
                        if nbgrader_meta(c).get("grade_id") == first_id)
    for student, source in (("student1", solution_path(assignment)),
                            ("student3", one_solved)):
        folder = os.path.join(course, "submitted", student, assignment)
        os.makedirs(folder)
        if isinstance(source, str):
            shutil.copy(source, os.path.join(folder, name))
        else:
            nbformat.write(source, os.path.join(folder, name))
    for earlier in LOADS.get(assignment, []):       # graded before: the loaders find it
        folder = os.path.join(course, "autograded", "student1", earlier)
        os.makedirs(folder, exist_ok=True)
        shutil.copy(solution_path(earlier), folder)
    proc = run_tool(["nbgrader", "autograde", assignment,
                     "--CourseDirectory.root=%s" % course], cwd=course)
    assert "checksum" not in (proc.stdout + proc.stderr).lower()     # no false warnings

    points = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"]
              for c in grade_cells(read(solution_path(assignment)))}
    expected = sum(points.values())
    assert expected == registry.load(assignment).max_score
    with Gradebook("sqlite:///%s" % os.path.join(course, "gradebook.db")) as gb:
        full = gb.find_submission(assignment, "student1")
        part = gb.find_submission(assignment, "student3")
        scores = {"student1": (full.score, full.max_score),
                  "student3": (part.score, part.max_score)}
        failed_cells = [g.name for g in gb.find_submission_notebook(
            assignment, assignment, "student1").grades
            if g.score != g.max_score]
        partial = {g.name: g.score for g in gb.find_submission_notebook(
            assignment, assignment, "student3").grades}
    assert scores == {"student1": (expected, expected),
                      "student3": (points["check_" + first_id], expected)}, failed_cells
    assert partial == {cell: points[cell] if cell == "check_" + first_id else 0.0
                       for cell in points}

    graded = read(os.path.join(course, "autograded", "student1", assignment, name))
    assert errors_in(graded) == []
    for cell in grade_cells(graded):
        worth = nbgrader_meta(cell)["points"]
        function = function_of(cell)
        lines = stdout_of(cell).splitlines()
        assert lines[0] == check_head(function, worth, worth, worth)     # once, hidden
        assert sum(line.startswith(function + ":") for line in lines) == 1
        assert sorted(line.split()[1] for line in lines[1:]) == sorted(
            t.name for t in registry.load(assignment).tests if t.function == function)
        assert result_of(cell) == worth
    graded = read(os.path.join(course, "autograded", "student3", assignment, name))
    assert {nbgrader_meta(c)["grade_id"]: result_of(c) for c in grade_cells(graded)} == partial
    # The feedback HTML shows each grade cell's result once.
    run_tool(["nbgrader", "generate_feedback", assignment,
              "--CourseDirectory.root=%s" % course], cwd=course)
    with open(os.path.join(course, "feedback", "student3", assignment,
                           "%s.html" % assignment)) as f:
        html = f.read()
    for cell in points:
        function = cell[len("check_"):]
        head = "%s: %g / %g points" % (function, partial[cell], points[cell])
        assert len(re.findall(r"(?<![\w])" + re.escape(head), html)) == 1, head


FORGE = """
import autograder.notebook as _nb
import autograder.judge.check_cells as _cc
_real = _cc.function_report
def _forged(report, function):
    part = _real(report, function)
    return dict(part, score=part["max_score"])
_cc.function_report = _forged
_nb.check = lambda function, *a, **k: float(_nb.worth(function))
"""


@pytest.mark.slow
def test_nbgrader_autograde_cannot_be_forged_from_the_kernel(course):
    """A solution cell that patches the checks in the kernel (function_report claims
    full points, check returns the worth) gets no point it did not earn: nbgrader
    records the isolated judge's points (0 for the unsolved functions)."""
    from nbgrader.api import Gradebook

    assignment = "knn"
    course = course(assignment)
    name = "%s.ipynb" % assignment
    forged = read(os.path.join(course, "assignments", assignment, name))
    first = next(c for c in forged.cells if nbgrader_meta(c).get("solution"))
    first.source += "\n" + FORGE
    folder = os.path.join(course, "submitted", "forger", assignment)
    os.makedirs(folder)
    nbformat.write(forged, os.path.join(folder, name))
    run_tool(["nbgrader", "autograde", assignment, "--student", "forger",
              "--CourseDirectory.root=%s" % course], cwd=course)
    with Gradebook("sqlite:///%s" % os.path.join(course, "gradebook.db")) as gb:
        grades = {g.name: g.score for g in gb.find_submission_notebook(
            assignment, assignment, "forger").grades}
        total = gb.find_submission(assignment, "forger").score
    functions = registry.load(assignment).functions
    assert grades == {"check_" + f: 0.0 for f in functions} and total == 0.0
    graded = read(os.path.join(course, "autograded", "forger", assignment, name))
    for cell in grade_cells(graded):
        function = function_of(cell)
        assert result_of(cell) == 0.0
        assert stdout_of(cell).splitlines()[0] == "%s: 0 / %g points" % (
            function, nbgrader_meta(cell)["points"])
