"""Wall time of grading a class: the CLI's batch with --jobs 1 and 2, on a Dask
LocalCluster of 1 and 2 workers, the resume cost, and nbgrader autograde on the same
submissions, side by side.

    python benchmarks/batch.py [--count 40] [--assignments knn,backprop,...] [--no-nbgrader]

The class is ``--count`` students in nbgrader's layout (submitted/s01/knn/knn.ipynb,
...), each submitting the solution notebook of one assignment, round robin.  Every
CLI run is a fresh judge (``python -m autograder grade submitted``) with a fresh
results store, except "resume", which runs the --jobs 2 command again on its finished
store.  The cluster's start is timed apart (a real cluster is already up).
nbgrader autograde grades one assignment after another in a scratch course, as
instructors run it (it has no parallel mode); its time includes running each notebook
in a kernel (the CLI runs only the cells the graded functions need).
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The solutions that grade in about a second; cnn_training's trains a CNN (~12 s).
DEFAULT = "knn,linear_classifiers,backprop,optimizers,batchnorm,dropout,conv"


def make_class(course, count, assignments):
    """submitted/sNN/<assignment>/<assignment>.ipynb for ``count`` students."""
    for i in range(count):
        a = assignments[i % len(assignments)]
        folder = os.path.join(course, "submitted", "s%02d" % (i + 1), a)
        os.makedirs(folder)
        shutil.copy(os.path.join(ROOT, "solutions", a, a + ".ipynb"), folder)


def env():
    return dict(os.environ, MPLBACKEND="Agg",
                PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])


def grade(course, name, *args, resume=False):
    """Wall seconds of one CLI batch (store and CSV named ``name``); checks that
    every submission has full marks, and was graded in this run (``resume``: none
    was, all came from the store)."""
    out = os.path.join(course, name + ".csv")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "submitted",
                           "--format", "csv", "--out", out,
                           "--store", os.path.join(course, name + ".sqlite"), *args],
                          cwd=course, env=env(), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("%s failed: %s" % (name, proc.stderr.strip().splitlines()[-1]))
    with open(out) as f:
        rows = list(csv.DictReader(f))
    wrong = [r["submission"] for r in rows
             if r["status"] != "graded" or r["score"] != r["max_score"]]
    if wrong:
        sys.exit("%s: not full marks for %s" % (name, wrong))
    graded_now = int(proc.stderr.rsplit("this run graded ", 1)[1].split()[0])
    if graded_now != (0 if resume else len(rows)):
        sys.exit("%s: graded %d of %d" % (name, graded_now, len(rows)))
    return wall


def on_cluster(course, workers):
    """(cluster start seconds, batch seconds) on a LocalCluster of ``workers``."""
    from distributed import LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        started = time.perf_counter() - start
        return started, grade(course, "cluster%d" % workers, "--cluster",
                              cluster.scheduler_address)


def nbgrader_autograde(course, assignments):
    """Wall seconds of `nbgrader autograde`, one assignment after another (the
    assignments generated beforehand, not timed)."""
    shutil.copytree(os.path.join(ROOT, "solutions"), os.path.join(course, "solutions"),
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
    tool = [sys.executable, "-m", "nbgrader"]
    for a in assignments:
        subprocess.run(tool + ["generate_assignment", a, "--force"], cwd=course, env=env(),
                       check=True, capture_output=True)
    start = time.perf_counter()
    for a in assignments:
        subprocess.run(tool + ["autograde", a], cwd=course, env=env(), check=True,
                       capture_output=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--assignments", default=DEFAULT)
    parser.add_argument("--no-nbgrader", action="store_true")
    args = parser.parse_args()
    assignments = args.assignments.split(",")
    n = args.count
    with tempfile.TemporaryDirectory() as course:
        make_class(course, n, assignments)
        print("a class of %d solution notebooks (%s), %d CPU cores"
              % (n, ", ".join(assignments), os.cpu_count()), flush=True)
        one = grade(course, "jobs1", "--jobs", "1")
        row("autograder --jobs 1", one, n)
        two = grade(course, "jobs2", "--jobs", "2")
        row("autograder --jobs 2", two, n, "speed-up %.2fx" % (one / two))
        row("resume (the --jobs 2 run again)", grade(course, "jobs2", "--jobs", "2", resume=True),
        n, "all %d from the store" % n)
        start1, cluster1 = on_cluster(course, 1)
        row("LocalCluster, 1 worker", cluster1, n, "cluster start %.1f s" % start1)
        start2, cluster2 = on_cluster(course, 2)
        row("LocalCluster, 2 workers", cluster2, n, "cluster start %.1f s; speed-up %.2fx "
            "over 1 worker" % (start2, cluster1 / cluster2))
        if not args.no_nbgrader:
            row("nbgrader autograde", nbgrader_autograde(course, assignments), n,
                "one notebook at a time, each run in a kernel")


def row(name, wall, count, note=""):
    print("%-34s %7.1f s  %5.2f s/submission  %s" % (name, wall, wall / count, note),
          flush=True)


if __name__ == "__main__":
    main()
