"""The teaching notebooks: solutions/ (nbgrader source) and assignments/ (release).

The release is what nbgrader makes from the source; the solutions score full marks
through the CLI (as notebooks and as .py exports), in a real kernel and through a real
``nbgrader autograde``; the released stubs score 0 without crashing the grader.
"""
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import registry

from .helpers import ROOT, cli_json, run_cli

ASSIGNMENTS = ("knn", "linear_classifiers", "backprop", "optimizers", "batchnorm", "dropout")
BIN = os.path.dirname(sys.executable)
KERNEL_TIMEOUT = 300       # seconds per cell: a grade cell runs two checks


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


def make_course(root, assignment):
    """A scratch nbgrader course (its own gradebook) with one assignment released."""
    os.makedirs(os.path.join(root, "solutions"))
    shutil.copytree(os.path.join(ROOT, "solutions", assignment),
                    os.path.join(root, "solutions", assignment))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), root)
    run_tool(["nbgrader", "generate_assignment", assignment, "--force",
              "--CourseDirectory.root=%s" % root], cwd=root)
    return root


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """``course(assignment)``: the scratch course of that assignment, made once per
    module (the sync test reads its release, the autograde test grades in it)."""
    made = {}

    def get(assignment):
        if assignment not in made:
            made[assignment] = make_course(str(tmp_path_factory.mktemp("course")), assignment)
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
    assert sorted(nbgrader_meta(c)["grade_id"] for c in solutions) == sorted(spec.functions)
    points = {}
    for cell in grade_cells(nb):
        meta = nbgrader_meta(cell)
        function = meta["grade_id"][len("check_"):]
        points[function] = meta["points"]
        assert cell.source == (
            'from autograder.notebook import check\ncheck("%s")\n### BEGIN HIDDEN TESTS\n'
            'check("%s", hidden=True)\n### END HIDDEN TESTS' % (function, function))
    assert points == {f: sum(t.points for t in spec.tests if t.function == f)
                      for f in spec.functions}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


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
    report = cli_json("grade", solution_path(assignment))
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
def test_student_notebook_with_solutions_passes_its_check_cells(tmp_path, assignment):
    """The released notebook with the solution code typed in, run top to bottom in a
    real kernel as a student would: no cell errors, every check cell prints PASS."""
    from nbclient import NotebookClient

    solved = {nbgrader_meta(c)["grade_id"]: c.source for c in read(solution_path(assignment)).cells
              if nbgrader_meta(c).get("solution")}
    nb = read(release_path(assignment))
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution"):
            assert "raise NotImplementedError()" in cell.source
            cell.source = solved[nbgrader_meta(cell)["grade_id"]]
    client = NotebookClient(nb, timeout=KERNEL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=tool_env())
    assert errors_in(nb) == []
    spec = registry.load(assignment)
    checks = grade_cells(nb)
    assert len(checks) == len(spec.functions)
    for cell in checks:
        function = nbgrader_meta(cell)["grade_id"][len("check_"):]
        visible = [t for t in spec.tests if t.function == function and not t.hidden]
        out = stdout_of(cell)
        assert not any(o.output_type == "stream" and o.name == "stderr" for o in cell.outputs)
        lines = [line.split() for line in out.splitlines()[1:] if line.startswith("  ")
                 and not line.startswith("          ")]
        assert sorted(name for _, name in lines) == sorted(t.name for t in visible), out
        assert {mark for mark, _ in lines} == {"PASS"}, out
        assert result_of(cell) == sum(t.points for t in visible)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_autograde(course, assignment):
    """A real nbgrader course: the solution notebook gets full marks, the untouched
    release gets 0, and the autograded solution has no error output."""
    from nbgrader.api import Gradebook

    course = course(assignment)
    name = "%s.ipynb" % assignment
    for student, source in (("student1", solution_path(assignment)),
                            ("student2", os.path.join(course, "assignments", assignment, name))):
        folder = os.path.join(course, "submitted", student, assignment)
        os.makedirs(folder)
        shutil.copy(source, os.path.join(folder, name))
    run_tool(["nbgrader", "autograde", assignment, "--CourseDirectory.root=%s" % course,
              "--Execute.timeout=%d" % KERNEL_TIMEOUT], cwd=course)

    expected = sum(nbgrader_meta(c)["points"] for c in grade_cells(read(solution_path(assignment))))
    assert expected == registry.load(assignment).max_score
    with Gradebook("sqlite:///%s" % os.path.join(course, "gradebook.db")) as gb:
        full = gb.find_submission(assignment, "student1")
        empty = gb.find_submission(assignment, "student2")
        scores = {"student1": (full.score, full.max_score),
                  "student2": (empty.score, empty.max_score)}
        failed_cells = [g.name for g in gb.find_submission_notebook(
            assignment, assignment, "student1").grades
            if g.score != g.max_score]
    assert scores == {"student1": (expected, expected), "student2": (0.0, expected)}, failed_cells

    graded = read(os.path.join(course, "autograded", "student1", assignment, name))
    assert errors_in(graded) == []
    for cell in grade_cells(graded):
        assert "### BEGIN HIDDEN TESTS" in cell.source     # nbgrader restored them
        assert "PASS" in stdout_of(cell)
        assert result_of(cell) == nbgrader_meta(cell)["points"]
