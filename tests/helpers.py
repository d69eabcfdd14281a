"""Shared helpers for the test suite: grade source text in-process (the judge) with
the real isolated worker, and run the CLI as a subprocess."""
import json
import os
import subprocess
import sys
import textwrap

from autograder import runner
from autograder.judge import grading
from autograder.judge.submission import Submission

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBMISSIONS = os.path.join(ROOT, "tests", "submissions")


def solution_source(assignment):
    with open(os.path.join(SUBMISSIONS, "%s_solution.py" % assignment)) as f:
        return f.read()


def grade_source(source, assignment, only=(), **options):
    """Grade a submission given as source text; returns {test name: TestResult} and
    the SubmissionReport."""
    sub = Submission("<test>", [{"source": textwrap.dedent(source), "label": "cell 1"}],
                     assignment)
    opts = runner.Options(assignment=assignment, only=tuple(only), **options)
    report = grading.grade_submission(sub, opts)
    return {r.name: r for r in report.results}, report


def with_replacement(assignment, function_source):
    """The correct solution with one function replaced (defined again after it)."""
    return solution_source(assignment) + "\n\n" + textwrap.dedent(function_source)


def run_cli(*args, cwd=None, timeout=300):
    """Run ``python -m autograder ARGS``; returns the CompletedProcess.  A folder's batch
    graded from the project's root gets a results store of its own (not one shared by
    test workers running at once) unless the test names one."""
    if cwd is None and len(args) > 1 and args[0] == "grade" and "--store" not in args and \
            os.path.isdir(os.path.join(ROOT, args[1])):
        import tempfile
        store_dir = tempfile.mkdtemp(prefix="autograder-store-")
        args = args + ("--store", os.path.join(store_dir, "results.sqlite"))
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=env, timeout=timeout)


def cli_json(*args, **kwargs):
    proc = run_cli(*args, "--format", "json", **kwargs)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def lost_points(source, assignment, seed=0):
    """Grade ``source`` in full; the tests that did not get full marks, as
    "name: status feedback" lines (empty for a correct answer), and the report."""
    results, report = grade_source(source, assignment, seed=seed)
    lost = ["%s: %s %s" % (name, r.status, r.feedback) for name, r in results.items()
            if r.status != "passed" or r.score != r.max_score]
    return lost, report


GATE_FEEDBACK = "no points for this "


def withheld_by_gate(result):
    """A structure/consistency test that passed on its own but scored 0 because a
    value test of its function failed (runner.apply_gates)."""
    return result.status == "failed" and result.feedback.startswith(GATE_FEEDBACK)
