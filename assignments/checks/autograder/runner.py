"""Run a function's tests against a worker and score them: the part of grading both
sides share (the judge's isolated worker, ``autograder.judge.grading``; a student's
kernel, ``autograder.local``).

Produces plain result records; rendering them is ``autograder.judge.report``'s job.
"""
import time
import traceback
from dataclasses import dataclass, field, replace

from . import config, registry
from .context import TestContext
from .errors import CheckFailed, StudentError, UsageError, WorkerLost


@dataclass
class TestResult:
    name: str
    assignment: str
    function: str
    score: float
    max_score: float
    status: str           # passed | failed | error | timeout
    feedback: str
    hidden: bool = False


@dataclass
class SubmissionReport:
    path: str
    assignment: str
    results: list
    load_errors: list = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0
    problem: str = None    # why nothing was graded (wrong_assignment), in one line
    error: str = None      # why a file of a batch could not be read or graded, in one line
    student: str = None    # in a batch, from the path (nbgrader's submitted/<student>/...)

    @property
    def score(self):
        return sum(r.score for r in self.results)

    @property
    def max_score(self):
        return sum(r.max_score for r in self.results)


@dataclass
class Options:
    assignment: str = None
    only: tuple = ()
    timeout: float = config.TIMEOUT_S
    memory_mb: int = config.MEMORY_MB
    seed: int = config.SEED
    hidden: bool = True      # False: only the visible tests (notebook check cells)


def select_tests(assignment, only, hidden):
    tests = [t for t in assignment.tests if hidden or not t.hidden]
    if only:
        unknown = [f for f in only if f not in assignment.functions]
        if unknown:
            raise UsageError("--only: %s is not a function of %s%s" % (
                unknown[0], assignment.id, registry.did_you_mean(unknown[0], assignment.functions)))
        tests = [t for t in tests if t.function in only]
    return tests


def apply_gates(tests, results):
    """Structure and self-consistency tests keep their points only when every value
    test of the same function (among those run) passed."""
    by_name = {t.name: t for t in tests}
    failed_value = {}
    for r in results:
        test = by_name.get(r.name)
        if test and not test.gated and r.status != "passed":
            failed_value.setdefault(r.function, r.name)
    gated = []
    for r in results:
        test = by_name.get(r.name)
        if test and test.gated and r.status == "passed" and r.function in failed_value:
            r = replace(r, score=0.0, status="failed", feedback=(
                "no points for this %s check until %s's values are right (%s failed); "
                "it passed on its own" % (test.kind, r.function, failed_value[r.function])))
        gated.append(r)
    return gated


def run_test(assignment, test, worker, options, source):
    limit = max(options.timeout, test.min_timeout or 0)   # training tests need longer
    ctx = TestContext(assignment, test, worker, time.monotonic() + limit, options.seed, source)
    try:
        test.run(ctx)
    except CheckFailed as exc:
        return make_result(assignment, test, "failed", str(exc))
    except StudentError as exc:
        return make_result(assignment, test, "error", str(exc))
    except WorkerLost as lost:
        return make_result(assignment, test, lost.status, "%s %s" % (test.function, lost.message))
    except Exception as exc:  # noqa: BLE001 - a bug in a check must not stop grading
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return make_result(assignment, test, "error",
                           "internal error in the grader's check (not your fault; please report "
                           "it): %s" % detail)
    return make_result(assignment, test, "passed", "", test.points)


def make_result(assignment, test, status, feedback, score=0.0):
    return TestResult(test.name, assignment.id, test.function, score, test.points, status,
                      feedback, test.hidden)
