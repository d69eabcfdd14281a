"""Grade: load submission -> run each test against the isolated worker -> score.

Produces plain result records; rendering them is ``autograder.judge.report``'s job.
"""
import time
import traceback
from dataclasses import dataclass, field, replace

from . import config, registry
from .context import TestContext
from .errors import CheckFailed, StudentError, SubmissionError, UsageError, WorkerLost


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


def infer_assignment(sub, explicit=None):
    ids = registry.ASSIGNMENT_MODULES
    if explicit:
        registry.load(explicit)          # validates the id
        return explicit
    if sub.assignment in ids:
        return sub.assignment
    defined = sub.source.defined_names()
    overlap = {a.id: len(defined & set(a.functions)) for a in registry.all_assignments()}
    best = max(overlap, key=overlap.get)
    if overlap[best] == 0:
        raise SubmissionError("%s: cannot tell which assignment this is; pass --assignment "
                              "(one of %s)" % (sub.path, ", ".join(ids)))
    return best


def wrong_assignment(source, assignment, shown=3):
    """One line when the submission defines none of ``assignment``'s functions but some
    of another assignment's (it was graded as the wrong one); else None."""
    defined = source.defined_names()
    if defined & set(assignment.functions):
        return None
    found = {a.id: [f for f in a.functions if f in defined]
             for a in registry.all_assignments() if a.id != assignment.id}
    best = max(found, key=lambda a: len(found[a]))
    names = found[best]
    if not names:
        return None
    return ("this submission defines none of %s's functions but %d of %s's (%s%s): grade "
            "it with --assignment %s" % (assignment.id, len(names), best,
                                         ", ".join(names[:shown]),
                                         ", ..." if len(names) > shown else "", best))


def select_tests(assignment, only, hidden):
    tests = [t for t in assignment.tests if hidden or not t.hidden]
    if only:
        unknown = [f for f in only if f not in assignment.functions]
        if unknown:
            raise UsageError("--only: %s is not a function of %s%s" % (
                unknown[0], assignment.id, registry.did_you_mean(unknown[0], assignment.functions)))
        tests = [t for t in tests if t.function in only]
    return tests


def grade_submission(sub, options):
    """Grade one Submission; never raises for anything the submission does."""
    from .judge.sandbox import Worker    # the judge's side only: not in a student's kit

    started = time.monotonic()
    assignment = registry.load(infer_assignment(sub, options.assignment))
    tests = select_tests(assignment, options.only, options.hidden)
    source = sub.source
    problem = wrong_assignment(source, assignment)
    worker = Worker(sub.cells, memory_mb=options.memory_mb)
    results, load_errors, load_failure = [], [], problem
    try:
        try:
            info = {} if problem else worker.start()
            load_errors = info.get("cell_errors", [])
        except WorkerLost as lost:
            load_failure = "the submission could not be loaded: %s" % lost.message
        for test in tests:
            if load_failure:
                results.append(_result(assignment, test, "error", load_failure))
                continue
            results.append(run_test(assignment, test, worker, options, source))
            if not worker.alive():
                try:
                    worker.restart()
                except WorkerLost as lost:
                    load_failure = "the submission could not be reloaded: %s" % lost.message
    finally:
        worker.stop()
    results = apply_gates(tests, results)
    return SubmissionReport(sub.path, assignment.id, results, load_errors, worker.output(),
                            time.monotonic() - started, problem=problem)


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
        return _result(assignment, test, "failed", str(exc))
    except StudentError as exc:
        return _result(assignment, test, "error", str(exc))
    except WorkerLost as lost:
        return _result(assignment, test, lost.status, "%s %s" % (test.function, lost.message))
    except Exception as exc:  # noqa: BLE001 - a bug in a check must not stop grading
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return _result(assignment, test, "error",
                       "internal error in the grader's check (not your fault; please report "
                       "it): %s" % detail)
    return _result(assignment, test, "passed", "", test.points)


def _result(assignment, test, status, feedback, score=0.0):
    return TestResult(test.name, assignment.id, test.function, score, test.points, status,
                      feedback, test.hidden)
