"""Wall time of grading each assignment's full suite (hidden tests included).

    python benchmarks/grading_time.py [--repeat 3]

Grades the solution notebooks in solutions/ through the CLI (a fresh judge process
each time, as CI does) and prints the best of --repeat runs per assignment, plus the
time to grade all of them in one call (submissions graded in parallel).
"""
import argparse
import glob
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(args):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", *args,
                           "--format", "json"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("grading failed: %s" % proc.stderr.strip())
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    notebooks = sorted(glob.glob(os.path.join(ROOT, "solutions", "*", "*.ipynb")))
    total = 0.0
    for nb in notebooks:
        best = min(timed([nb]) for _ in range(args.repeat))
        total += best
        print("%-24s %6.2f s" % (os.path.basename(os.path.dirname(nb)), best))
    print("%-24s %6.2f s" % ("sum of the above", total))
    together = min(timed([os.path.join(ROOT, "solutions")]) for _ in range(args.repeat))
    print("%-24s %6.2f s  (one call, --jobs 2)" % ("all in one call", together))


if __name__ == "__main__":
    main()
