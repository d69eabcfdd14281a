"""A batch: every submission file under a folder (or one file), in small steps:

``plan`` reads each file (one that cannot be read or graded becomes an entry of its
own, with a one-line ``error``; the rest are graded), ``reuse`` takes the results the
store already has for the same content, grader and options, ``grade`` grades the rest
in a pool (threads here, or a Dask cluster) and records each result in the store as it
finishes, so that an interrupted batch loses no finished result.
"""
import os
import time
from dataclasses import dataclass, replace

from . import pools, registry, runner, store, submission as submissions
from .errors import ClusterError, SubmissionError, UsageError
from .runner import SubmissionReport

POLL_S = 0.05              # how often finished submissions are collected
NBGRADER_SUBMITTED = "submitted"     # nbgrader's submitted/<student>/<assignment>/...


@dataclass
class Item:
    path: str
    student: str = None
    sub: submissions.Submission = None
    assignment: str = None        # the assignment it is graded as
    key: str = None               # its results' key in the store (see autograder.store)
    report: SubmissionReport = None   # once known: an error entry, reused, or graded
    reused: bool = False


def layout(path, root=None):
    """(student, assignment folder) from a submission's path: after a ``submitted``
    folder as nbgrader lays them out (``submitted/<student>/<assignment>/...``), else
    the first two folders below the graded folder ``root``; a file directly in
    ``root`` is its own student (``alice.ipynb``).  None where the path does not say."""
    parts = os.path.abspath(path).split(os.sep)
    folders = parts[:-1]
    if NBGRADER_SUBMITTED in folders:
        at = len(folders) - 1 - folders[::-1].index(NBGRADER_SUBMITTED)
        below = folders[at + 1:]
        if below:
            return below[0], (below[1] if len(below) > 1 else None)
    if root is None:
        return None, None
    rel = os.path.relpath(path, root).split(os.sep)
    if len(rel) == 1:
        return os.path.splitext(rel[0])[0], None
    return rel[0], (rel[1] if len(rel) > 2 else None)


def plan(target, options, strict=False):
    """The Items of ``target`` (a file, or every submission file under a folder), in
    path order.  ``strict`` (a single file): a file that cannot be read or graded
    raises instead of becoming an error entry."""
    files = submissions.find(target)
    root = target if os.path.isdir(target) else None
    items = []
    for path in files:
        student, folder = layout(path, root)
        item = Item(path, student)
        try:
            item.sub = submissions.read(path)
            item.assignment = runner.infer_assignment(item.sub, options.assignment)
            runner.select_tests(registry.load(item.assignment), options.only, options.hidden)
        except (SubmissionError, UsageError) as exc:
            if strict:
                raise
            stem = os.path.splitext(os.path.basename(path))[0]
            guess = options.assignment or _known(folder) or _known(
                item.sub.assignment if item.sub else stem)
            item.report = SubmissionReport(path, guess, [], error=_reason(exc, path),
                                           student=student)
        else:
            item.key = store.submission_key(item.sub, options)
        items.append(item)
    return items


def reuse(items, results):
    """Take from the store ``results`` every result it has for an item's path and
    key; returns how many were taken."""
    count = 0
    for item in items:
        if item.report is None:
            found = results.get(item.path, item.key)
            if found is not None:
                item.report = replace(found, path=item.path, student=item.student)
                item.reused = True
                count += 1
    return count


def grade(items, options, pool, results=None, progress=None, stop=None):
    """Grade, in ``pool``, every item that has no report yet; each result is recorded
    in the store ``results`` (if any) the moment it arrives, then shown by
    ``progress``.  When the event ``stop`` is set (Ctrl-C), the results already
    finished are kept, the rest are cut short and discarded, and False is returned;
    True once every item has its report.  Raises ClusterError when the pool's workers
    run another version of the grader."""
    running = {pool.submit(pools.payload(item.sub, options)): item
               for item in items if item.report is None}
    try:
        while running:
            for future in [f for f in running if f.done()]:
                item = running.pop(future)
                item.report, keep = _collect(item, future)
                if keep and results is not None:
                    results.put(item.path, item.key, item.report)
                if progress is not None:
                    progress.finished(item.report)
            if not running or (stop is not None and stop.is_set()):
                break
            time.sleep(POLL_S)
    finally:
        if running:
            pool.stop(list(running))
    return not running


def _collect(item, future):
    """(report, whether to store it) of a finished task."""
    try:
        reply = future.result()
    except Exception as exc:  # noqa: BLE001 - a lost task (a cluster's worker died)
        reply = {"error": "the grading task was lost (%s: %s); run again to retry"
                          % (type(exc).__name__, str(exc).splitlines()[0] if str(exc)
                             else "no detail")}
    if "refused" in reply:
        raise ClusterError(reply["refused"])
    if "error" in reply:
        return SubmissionReport(item.path, item.assignment, [], error=reply["error"],
                                student=item.student), False
    report = store.from_record(reply["report"])
    return replace(report, student=item.student), True


def _known(assignment):
    return assignment if assignment in registry.ASSIGNMENT_MODULES else None


def _reason(exc, path):
    """The error's message without the path it starts with (the entry shows it)."""
    text = str(exc)
    return text[len(path) + 2:] if text.startswith(path + ": ") else text
