"""Grade one submission: load it into a fresh isolated worker, run each test, score.

Which assignment a submission is (``infer_assignment``), whether it was graded as the
wrong one (``wrong_assignment``), and the loop that keeps grading when the submission
kills its worker (``grade_submission``).
"""
import time

from .. import registry, runner
from ..errors import SubmissionError, WorkerLost
from .sandbox import Worker


def infer_assignment(sub, explicit=None):
    """The assignment ``sub`` is graded as: ``explicit`` (--assignment), else the one
    its metadata or file name declares, else the one whose functions it defines most."""
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


def grade_submission(sub, options):
    """Grade one Submission; never raises for anything the submission does."""
    started = time.monotonic()
    assignment = registry.load(infer_assignment(sub, options.assignment))
    tests = runner.select_tests(assignment, options.only, options.hidden)
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
                results.append(runner.make_result(assignment, test, "error", load_failure))
                continue
            results.append(runner.run_test(assignment, test, worker, options, source))
            if not worker.alive():
                try:
                    worker.restart()
                except WorkerLost as lost:
                    load_failure = "the submission could not be reloaded: %s" % lost.message
    finally:
        worker.stop()
    results = runner.apply_gates(tests, results)
    return runner.SubmissionReport(sub.path, assignment.id, results, load_errors,
                                   worker.output(), time.monotonic() - started,
                                   problem=problem)
