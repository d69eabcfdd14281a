"""The student's side, end to end: a clean virtual environment with only what the
README's "For students" section installs (the released checks package; a kernel to run
notebooks), the released folders copied elsewhere, each notebook run top to bottom
with the solutions typed in: every visible check passes, at once, and nothing of the
answer key is there."""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import textwrap

import nbformat
import pytest

from autograder import notebook, registry
from autograder.judge import check_cells
from tests.helpers import ROOT, cli_json
from tests.test_notebooks import (ASSIGNMENTS, LOADS, grade_cells, nbgrader_meta, read,
                                  release_path, solution_path)
from tests.test_release import _files, _flat, _reference_bodies

pytestmark = pytest.mark.slow
CHECKS = os.path.join(ROOT, "assignments", "checks")
# The README's student install, minus JupyterLab's web front end: the kernel and the
# notebook runner a student's JupyterLab uses; PyTorch for cnn_training (its CPU wheel).
STUDENT_INSTALL = [CHECKS, "ipykernel", "nbclient", "torch==2.13.0"]


@pytest.fixture(scope="session")
def student_python(tmp_path_factory):
    """The student's virtual environment, built once per run and shared by the test
    workers (the first to get the lock builds it, the others wait for it)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent                     # the run's folder, above each worker's
    venv = root / "student-venv"
    python = str(venv / "bin" / "python")
    with open(root / "student-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / "ready").exists():
            _build_student_venv(venv, root / "student-release")
            (venv / "ready").touch()
    return python


def _build_student_venv(venv, scratch):
    shutil.rmtree(venv, ignore_errors=True)    # a build that failed half way
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # Built from a copy: pip builds in the source folder.
    checks = str(scratch / "checks")
    shutil.rmtree(checks, ignore_errors=True)
    shutil.copytree(CHECKS, checks)
    install = [checks if item == CHECKS else item for item in STUDENT_INSTALL]
    # --no-compile: the kernels write the bytecode of what they import (see _in_venv),
    # instead of pip compiling all of PyTorch up front (~25 s).
    proc = subprocess.run([python, "-m", "pip", "install", "-q", "--no-compile", *install],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # The kit's own bytecode, as pip would write it (the leak scan reads it too).
    subprocess.run([python, "-c", "import compileall, os, sysconfig; compileall.compile_dir("
                    "os.path.join(sysconfig.get_paths()['purelib'], 'autograder'), quiet=1)"],
                   check=True, timeout=120)


def _in_venv(python, code, *args, cwd=None, timeout=900):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run([python, "-c", textwrap.dedent(code), *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_the_student_copy_has_no_answer_key(student_python, tmp_path):
    out = _in_venv(student_python, '''
        import importlib.util, json, os, autograder
        try:
            import reference
            print(json.dumps({"reference": True}))
        except ImportError:
            print(json.dumps({"reference": False,
                              "package": os.path.dirname(autograder.__file__)}))
        ''', cwd=str(tmp_path))
    found = json.loads(out)
    assert found["reference"] is False
    package = found["package"]
    assert "site-packages" in package and not package.startswith(ROOT)
    hidden = {t.name for a in registry.all_assignments() for t in a.tests if t.hidden}
    bodies = _reference_bodies(registry.ASSIGNMENT_MODULES)
    leaks = []
    for rel in _files(package):
        with open(os.path.join(package, rel), errors="replace") as f:
            text = f.read()
        flat = _flat(text)
        leaks += [(rel, h) for h in hidden if h in text]
        leaks += [(rel, fn) for _, fn, pair in bodies if pair in flat]
    assert leaks == []


RUN = '''
    import json, sys, time
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(sys.argv[1], as_version=4)
    start = time.monotonic()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
    nbformat.write(nb, sys.argv[1])
    print(json.dumps({"seconds": time.monotonic() - start}))
    '''


def _solved_release(assignment, folder, replace=None):
    """The released folder copied to ``folder``, its solution cells filled in."""
    shutil.copytree(os.path.dirname(release_path(assignment)), folder)
    solved = {nbgrader_meta(c)["grade_id"]: c.source for c in read(solution_path(assignment)).cells
              if nbgrader_meta(c).get("solution")}
    solved.update(replace or {})
    path = os.path.join(folder, "%s.ipynb" % assignment)
    nb = read(path)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution"):
            assert "raise NotImplementedError()" in cell.source
            cell.source = solved[nbgrader_meta(cell)["grade_id"]]
    nbformat.write(nb, path)
    return path


def _stdout(cell):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream"
                   and o.name == "stdout")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebook_with_solutions_passes_every_visible_check(student_python,
                                                                       tmp_path, assignment):
    for earlier in LOADS.get(assignment, []):      # done before: its loaders find them
        _solved_release(earlier, str(tmp_path / earlier))
    path = _solved_release(assignment, str(tmp_path / assignment))
    _in_venv(student_python, RUN, path, os.path.dirname(path), cwd=os.path.dirname(path))
    nb = read(path)
    errors = [(o.ename, o.evalue) for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors == []
    spec = registry.load(assignment)
    for cell in grade_cells(nb):
        function = nbgrader_meta(cell)["grade_id"][len("check_"):]
        visible = [t for t in spec.tests if t.function == function and not t.hidden]
        shown = sum(t.points for t in visible)
        worth = nbgrader_meta(cell)["points"]
        lines = _stdout(cell).splitlines()
        head = "%s: %g / %g points" % (function, shown, worth)
        if shown < worth:
            head += " so far; hidden tests decide the other %g at grading" % (worth - shown)
        assert lines[0] == head, lines
        assert sorted(lines[1:]) == sorted("  PASS    %s" % t.name for t in visible)
        assert not any(o.output_type == "execute_result" for o in cell.outputs)
        assert not any(o.get("name") == "stderr" for o in cell.outputs)


def test_a_wrong_answer_gets_the_judges_visible_feedback(student_python, tmp_path):
    """The student's check cell says what the instructor's judge says, visible part."""
    wrong = textwrap.dedent('''\
        def predict_labels(dists, y_train, k=1):
            nearest = np.argsort(dists, axis=1)[:, :1]           # k ignored
            return np.array([np.bincount(row).argmax() for row in y_train[nearest]])
        ''')
    path = _solved_release("knn", str(tmp_path / "knn"), {"predict_labels": wrong})
    _in_venv(student_python, RUN, path, os.path.dirname(path), cwd=os.path.dirname(path))
    cell = next(c for c in grade_cells(read(path))
                if nbgrader_meta(c)["grade_id"] == "check_predict_labels")
    judge = cli_json("grade", path, "--visible-only", "--only", "predict_labels")
    assert judge["score"] < judge["max_score"]
    part = check_cells.function_report(judge, "predict_labels")
    worth = nbgrader_meta(cell)["points"]
    assert _stdout(cell).rstrip("\n") == notebook.summary("predict_labels", part, worth)
