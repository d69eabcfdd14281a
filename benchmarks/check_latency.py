"""Check-cell latency on the student's side, and nbgrader autograde time per notebook.

    python benchmarks/check_latency.py [--assignments knn,backprop,...]

Student's side: each released notebook, solutions typed in, runs in a fresh kernel
that has the students' copy of the checks (assignments/checks first on the path, the
reference not importable), once as is and once after a 20 s cell; the latency of a
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
STUDENT_COPY = ("import sys\nsys.modules['reference'] = None   # a student's copy: no "
                "reference\nsys.path.insert(0, %r)" % CHECKS)


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


def run(nb, folder, env):
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": folder}}).execute(env=env)
    return time.perf_counter() - start


def student_latency(assignment, env, warm_up_seconds):
    """(notebook wall time, [check cell seconds]) in a student's copy."""
    nb = solved_release(assignment)
    nb.cells.insert(0, nbformat.v4.new_code_cell(STUDENT_COPY))
    if warm_up_seconds:
        nb.cells.insert(1, nbformat.v4.new_code_cell(
            "import time\ntime.sleep(%d)   # a long experiment" % warm_up_seconds))
    with tempfile.TemporaryDirectory() as folder:
        wall = run(nb, folder, env)
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
    args = parser.parse_args()
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    print("check-cell latency, student's copy (seconds; kernel execution time of the cell)")
    print("%-20s %8s %8s %8s %8s   %s" % ("notebook", "median", "first", "after", "worst",
                                          "worst check"))
    rows = []
    for assignment in args.assignments.split(","):
        wall, fresh = student_latency(assignment, env, 0)
        _, later = student_latency(assignment, env, args.sleep)
        times = [s for _, s in fresh]
        worst = max(fresh + later, key=lambda item: item[1])
        print("%-20s %8.3f %8.3f %8.3f %8.3f   %s" % (
            assignment, statistics.median(times), times[0],
            statistics.median(s for _, s in later), worst[1], worst[0]))
        rows.append((assignment, wall))
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
