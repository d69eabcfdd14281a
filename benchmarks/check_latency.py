"""Check-cell latency on the student's side, and nbgrader autograde time per notebook.

    python benchmarks/check_latency.py [--assignments knn,backprop,...]
                                       [--student-venv DIR] [--skip-autograde]

Student's side: each released notebook, solutions typed in, runs in a fresh kernel of
a student's install: a virtual environment (``--student-venv``, made on first use)
with only what the README's "For students" section installs (the released
assignments/checks, a kernel, the CPU wheel of PyTorch), so the kernel has no
reference and no engine; once as is and once after a 20 s cell.  The latency of a
check cell is its kernel execution time (nbclient's execute_input -> execute_reply
timestamps), which includes the student's own function.

Instructor's side: a scratch nbgrader course per assignment; the solution is submitted
and graded with `nbgrader autograde` (its wall time, start-up included), next to the
notebook's own run time in a student kernel and the CLI's time on the same file.
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

from autograder import registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKS = os.path.join(ROOT, "assignments", "checks")
ASSIGNMENTS = registry.ASSIGNMENT_MODULES
STUDENT_INSTALL = [CHECKS, "ipykernel", "torch==2.13.0"]
KERNEL = "dl-assignments-student"


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def solved_release(assignment):
    """The released notebook with the solution cells filled in."""
    solution = nbformat.read(os.path.join(ROOT, "solutions", assignment,
                                          assignment + ".ipynb"), as_version=4)
    solved = {_meta(c)["grade_id"]: c.source for c in solution.cells
              if _meta(c).get("solution")}
    nb = nbformat.read(os.path.join(ROOT, "assignments", assignment, assignment + ".ipynb"),
                       as_version=4)
    for cell in nb.cells:
        if _meta(cell).get("solution"):
            cell.source = solved[_meta(cell)["grade_id"]]
    return nb


def _seconds(cell):
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def student_venv(folder):
    """A student's install in ``folder`` (made once): the released checks, a kernel and
    PyTorch's CPU wheel, with a kernel spec registered inside it; returns the JUPYTER_PATH
    that finds that kernel."""
    python = os.path.join(folder, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", folder], check=True)
        with tempfile.TemporaryDirectory() as build:      # pip builds in the source folder
            checks = os.path.join(build, "checks")
            shutil.copytree(CHECKS, checks)
            install = [checks if item == CHECKS else item for item in STUDENT_INSTALL]
            subprocess.run([python, "-m", "pip", "install", "-q", *install], check=True)
        subprocess.run([python, "-m", "ipykernel", "install", "--prefix", folder,
                        "--name", KERNEL], check=True, capture_output=True)
    return os.path.join(folder, "share", "jupyter")


def run(nb, folder, env, kernel="python3"):
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name=kernel, record_timing=True,
                   resources={"metadata": {"path": folder}}).execute(env=env)
    return time.perf_counter() - start


def student_latency(assignment, env, warm_up_seconds):
    """(notebook wall time, [check cell seconds]) in a student's install (the kernel
    ``KERNEL`` of ``student_venv``)."""
    nb = solved_release(assignment)
    if warm_up_seconds:       # after the set-up cells (imports): a long experiment
        nb.cells.insert(next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                             and "autograder" in c.source) + 1,
                        nbformat.v4.new_code_cell(
            "import time\ntime.sleep(%d)   # a long experiment" % warm_up_seconds))
    with tempfile.TemporaryDirectory() as folder:
        wall = run(nb, folder, env, KERNEL)
    checks = [(_meta(c)["grade_id"], _seconds(c)) for c in nb.cells if _meta(c).get("grade")]
    return wall, checks


def autograde_time(assignment, env):
    """Wall seconds of `nbgrader autograde` on the solution, in a scratch course."""
    with tempfile.TemporaryDirectory() as course:
        os.makedirs(os.path.join(course, "solutions"))
        shutil.copytree(os.path.join(ROOT, "solutions", assignment),
                        os.path.join(course, "solutions", assignment))
        shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
        tool = [sys.executable, "-m", "nbgrader"]
        subprocess.run(tool + ["generate_assignment", assignment, "--force"], cwd=course,
                       env=env, check=True, capture_output=True)
        folder = os.path.join(course, "submitted", "student1", assignment)
        os.makedirs(folder)
        shutil.copy(os.path.join(ROOT, "solutions", assignment, assignment + ".ipynb"), folder)
        start = time.perf_counter()
        subprocess.run(tool + ["autograde", assignment], cwd=course, env=env, check=True,
                       capture_output=True)
        return time.perf_counter() - start


def nbgrader_fixed_cost(env):
    """Wall seconds of `nbgrader autograde` on a one-cell notebook: nbgrader's own
    start-up, gradebook, sanitizing and kernel start, which no grader can remove."""
    with tempfile.TemporaryDirectory() as course:
        folder = os.path.join(course, "solutions", "empty")
        os.makedirs(folder)
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("x = 1")]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.write(nb, os.path.join(folder, "empty.ipynb"))
        shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
        tool = [sys.executable, "-m", "nbgrader"]
        subprocess.run(tool + ["generate_assignment", "empty", "--force"], cwd=course,
                       env=env, check=True, capture_output=True)
        submitted = os.path.join(course, "submitted", "student1", "empty")
        os.makedirs(submitted)
        shutil.copy(os.path.join(folder, "empty.ipynb"), submitted)
        start = time.perf_counter()
        subprocess.run(tool + ["autograde", "empty"], cwd=course, env=env, check=True,
                       capture_output=True)
        return time.perf_counter() - start


def cli_time(assignment, env):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade",
                    os.path.join(ROOT, "solutions", assignment, assignment + ".ipynb"),
                    "--format", "json"], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", default=",".join(ASSIGNMENTS))
    parser.add_argument("--sleep", type=int, default=20, help="seconds of the long cell")
    parser.add_argument("--student-venv", default=os.path.join(tempfile.gettempdir(),
                                                               "dl-student-venv"),
                        help="the student's install (made on first use)")
    parser.add_argument("--skip-autograde", action="store_true",
                        help="the student's side only")
    args = parser.parse_args()
    os.environ["JUPYTER_PATH"] = student_venv(args.student_venv)
    student_env = {k: v for k, v in os.environ.items()
                   if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    student_env["MPLBACKEND"] = "Agg"
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    print("check-cell latency, student's copy (seconds; kernel execution time of the cell)")
    print("%-20s %8s %8s %8s %8s %8s   %s" % ("notebook", "median", "first", "worst",
                                               "after", "worst", "worst check after"))
    rows = []
    for assignment in args.assignments.split(","):
        wall, fresh = student_latency(assignment, student_env, 0)
        _, later = student_latency(assignment, student_env, args.sleep)
        times = [s for _, s in fresh]
        worst = max(later, key=lambda item: item[1])
        print("%-20s %8.3f %8.3f %8.3f %8.3f %8.3f   %s" % (
            assignment, statistics.median(times), times[0], max(times),
            statistics.median(s for _, s in later), worst[1], worst[0]))
        rows.append((assignment, wall))
    if args.skip_autograde:
        return
    print()
    print("autograde per notebook (seconds)")
    print("%-20s %10s %10s %8s" % ("notebook", "autograde", "own run", "CLI"))
    for assignment, wall in rows:
        print("%-20s %10.2f %10.2f %8.2f" % (assignment, autograde_time(assignment, env),
                                             wall, cli_time(assignment, env)))
    print("%-20s %10.2f   (nbgrader's fixed cost: a one-cell notebook)"
          % ("nbgrader alone", nbgrader_fixed_cost(env)))
    print("(own run: the student's notebook top to bottom in a fresh kernel, checks "
          "included; autograde includes nbgrader's own start-up)")


if __name__ == "__main__":
    main()
