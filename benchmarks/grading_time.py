"""Wall time of grading each assignment's full suite (hidden tests included).

    python benchmarks/grading_time.py [--repeat 3]

Grades the solution notebooks in solutions/ through the CLI (a fresh judge process
each time, as CI does) and prints the best of --repeat runs per assignment, plus the
time to grade all of them in one call (submissions graded in parallel).  Where the
time goes: "start" is the judge's own start-up (importing the engine, the checks and
the references: ``python -m autograder list``), "grading" the report's seconds for the
submission (worker start, loading its cells, running every test).
"""
import json
import argparse
import glob
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(args, command="grade"):
    """(wall seconds, the report's per-submission seconds summed)."""
    start = time.perf_counter()
    extra = ["--format", "json"] if command == "grade" else []
    proc = subprocess.run([sys.executable, "-m", "autograder", command, *args, *extra],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("grading failed: %s" % proc.stderr.strip())
    if command != "grade":
        return wall, 0.0
    report = json.loads(proc.stdout)
    return wall, sum(s["seconds"] for s in report["submissions"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    notebooks = sorted(glob.glob(os.path.join(ROOT, "solutions", "*", "*.ipynb")))
    start = min(timed([], "list")[0] for _ in range(args.repeat))
    print("%-24s %6.2f s  (judge start-up: python -m autograder list)" % ("start", start))
    total = 0.0
    for nb in notebooks:
        wall, grading = min(timed([nb]) for _ in range(args.repeat))
        total += wall
        print("%-24s %6.2f s  (grading %.2f s, tests %d)" % (
            os.path.basename(os.path.dirname(nb)), wall, grading, _tests(nb)))
    print("%-24s %6.2f s" % ("sum of the above", total))
    together = min(timed([os.path.join(ROOT, "solutions")])[0] for _ in range(args.repeat))
    print("%-24s %6.2f s  (one call, --jobs 2)" % ("all in one call", together))


def _tests(notebook):
    sys.path.insert(0, ROOT)
    from autograder import registry

    return len(registry.load(os.path.basename(os.path.dirname(notebook))).tests)


if __name__ == "__main__":
    main()
