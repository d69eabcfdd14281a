"""A batch: every submission under a folder (or one file), in small steps:

``plan`` finds the submissions: in nbgrader's layout (``submitted/<student>/<assignment>/``)
one per student and assignment folder, that assignment's notebook, the folder's other
files going with it; elsewhere one per file.  One that cannot be read or graded becomes
an entry of its own with a one-line ``error``; the rest are graded.  ``reuse`` takes
the results the store already has for the same code, grader and options, ``grade``
grades the rest in a pool (threads here, or a Dask cluster) and records each result in
the store as it finishes, so that an interrupted batch loses no finished result.
"""
import os
import re
import time
from dataclasses import dataclass, replace

from .. import registry, runner
from . import grading, pools, store, submission as submissions
from ..errors import ClusterError, SubmissionError, UsageError
from ..runner import SubmissionReport, TestResult

POLL_S = 0.05              # how often finished submissions are collected
NBGRADER_SUBMITTED = "submitted"     # nbgrader's submitted/<student>/<assignment>/...
SKIPPED_FOLDERS = ("__pycache__", ".ipynb_checkpoints")
MAX_FILE_BYTES = 16 << 20            # a submission's other file larger than this stays
MAX_FILES_BYTES = 32 << 20           # behind, as do those past this total


@dataclass
class Item:
    path: str                     # the graded file (or the folder, when none could be told)
    student: str = None
    sub: submissions.Submission = None
    assignment: str = None        # the assignment it is graded as
    key: str = None               # its results' key in the store (see autograder.judge.store)
    report: SubmissionReport = None   # once known: an error entry, reused, or graded
    reused: bool = False
    rel: str = None               # its path below the batch's folder: its store rows
    options: runner.Options = None    # what it is graded with (its assignment, its --only)
    skipped: bool = False         # --only names none of its assignment's functions
    home: str = None              # its student's folder (``submitted/alice``), if any
    alone: bool = False           # the command's one file (not a batch's)


def layout(path, root=None):
    """(student, assignment folder) from a submission's path: after a ``submitted``
    folder as nbgrader lays them out (``submitted/<student>/<assignment>/...``), else
    the first two folders below the graded folder ``root``; a file directly in
    ``root`` is its own student (``alice.ipynb``).  None where the path does not say."""
    student, folder, _ = _place(path, root)
    return student, folder


def _place(path, root=None):
    """``layout`` plus the student's folder as a path (None where there is none)."""
    parts = os.path.abspath(path).split(os.sep)
    folders = parts[:-1]
    if NBGRADER_SUBMITTED in folders:
        at = len(folders) - 1 - folders[::-1].index(NBGRADER_SUBMITTED)
        below = folders[at + 1:]
        if below:
            home = os.path.join(os.path.dirname(path), *[".."] * (len(below) - 1))
            return below[0], (below[1] if len(below) > 1 else None), os.path.normpath(home)
    if root is None:
        return None, None, None
    rel = os.path.relpath(path, root).split(os.sep)
    if len(rel) == 1:
        return os.path.splitext(rel[0])[0], None, None
    return rel[0], (rel[1] if len(rel) > 2 else None), os.path.join(root, rel[0])


def plan(target, options, strict=False):
    """The Items of ``target`` (a file, or every submission under a folder), in path
    order.  ``strict`` (a single file): a file that cannot be read or graded raises
    instead of becoming an error entry."""
    if strict or not os.path.isdir(target):
        return [_single(path, options, strict) for path in submissions.find(target)]
    root = target
    groups = {}
    for path in submissions.find(target):
        student, folder, home = _place(path, root)
        where = os.path.join(home, folder) if home and folder else path
        groups.setdefault(where, (student, folder, home, []))[3].append(path)
    items = []
    for where, (student, folder, home, files) in sorted(groups.items()):
        if where in files:                          # a file of its own
            item = Item(where, student, home=home)
            _read(item, options, None)
        else:
            item = _submission(where, student, folder, home, files, options)
        item.rel = os.path.relpath(item.path, root)
        items.append(item)
    return items


def _single(path, options, strict):
    """A file graded on its own (the command's one file): as before batches had
    folders, its assignment from --assignment, its metadata, its name or its code."""
    item = Item(path, rel=os.path.basename(path), alone=True)
    try:
        item.sub = submissions.read(path)
        item.assignment = grading.infer_assignment(item.sub, options.assignment)
        runner.select_tests(registry.load(item.assignment), options.only, options.hidden)
    except (SubmissionError, UsageError) as exc:
        if strict:
            raise
        item.report = _entry(item, options.assignment or _known(item.sub.assignment if
                                                               item.sub else None),
                             options, error=_reason(exc, path))
        return item
    item.options = replace(options, assignment=item.assignment)
    item.key = store.submission_key(item.sub, item.options)
    return item


def _submission(where, student, folder, home, files, options):
    """The Item of a student's assignment folder ``where``: its notebook is graded
    (as the folder's assignment when the folder names one), its other files go with
    it."""
    main, why = _main_file(where, folder, files)
    item = Item(main or where, student, home=home)
    if main is None:
        item.report = _entry(item, options.assignment or _known(folder), options, error=why)
        return _skip_if_other(item, options)
    return _read(item, options, folder, _other_files(where, main))


def _read(item, options, folder, files=None):
    """Read ``item``'s file and decide its assignment: --assignment, else the folder's
    (a notebook that says it is another assignment's is not graded, with a note),
    else its metadata or name, else its code."""
    try:
        item.sub = submissions.read(item.path)
    except SubmissionError as exc:
        item.report = _entry(item, options.assignment or _known(folder) or _known(
            _stem(item.path)), options, error=_reason(exc, item.path))
        return _skip_if_other(item, options)
    item.sub.files = files or None
    declared = _known(item.sub.assignment)
    assignment = options.assignment or _known(folder) or declared
    if assignment is None:
        try:
            assignment = grading.infer_assignment(item.sub)
        except SubmissionError:
            item.report = _entry(item, None, options, error=(
                "cannot tell which assignment this is: put it in %s or set its notebook's "
                "metadata autograder.assignment (one of %s)" % (
                    _home_hint(item, "<assignment>"),
                    ", ".join(registry.ASSIGNMENT_MODULES))))
            return item
    item.assignment = assignment
    if not options.assignment and declared and declared != assignment:
        item.report = _entry(item, assignment, options, problem=(
            "%s is %s's notebook (its %s says so), in the folder of %s: not graded as %s; "
            "if it is %s's %s submission, put it in %s" % (
                os.path.basename(item.path), declared,
                "file name" if declared == _stem(item.path) else "metadata", assignment,
                assignment, item.student or "the student", declared,
                _home_hint(item, declared))))
        return _skip_if_other(item, options)
    only = _only_for(assignment, options)
    if only is None:
        item.skipped = True
        return item
    item.options = replace(options, assignment=assignment, only=only)
    item.key = store.submission_key(item.sub, item.options)
    return item


def _main_file(where, folder, files):
    """(the file of the folder ``where`` to grade, None) or (None, why none): the one
    named after the folder (``knn/knn.ipynb``, else ``knn/knn.py``), else the folder's
    only notebook, else its only .py file, else the only one of those that defines a
    function of the folder's assignment (of any assignment, when the folder names
    none)."""
    for suffix in submissions.SUFFIXES:
        path = os.path.join(where, folder + suffix)
        if path in files:
            return path, None
    notebooks = [f for f in files if f.endswith(".ipynb")]
    candidates = notebooks or files
    if len(candidates) == 1:
        return candidates[0], None
    wanted = set(registry.load(folder).functions) if _known(folder) else {
        f for a in registry.all_assignments() for f in a.functions}
    defining = []
    for path in candidates:
        try:
            if submissions.read(path).source.defined_names() & wanted:
                defining.append(path)
        except SubmissionError:
            continue
    if len(defining) == 1:
        return defining[0], None
    names = ", ".join(os.path.relpath(f, where) for f in candidates)
    return None, ("cannot tell which file is the submission: %s %s (%s), none named %s.ipynb%s"
                  % (len(candidates), "notebooks" if notebooks else ".py files", names,
                     folder, "" if notebooks else " or %s.py" % folder))


def _other_files(where, main):
    """{path relative to ``where``: bytes} of every file of the folder ``where`` but
    ``main`` (hidden files, caches, links and files past the size limits left out):
    what the submission may import or read."""
    found, total = {}, 0
    for folder, subfolders, names in os.walk(where):
        subfolders[:] = sorted(d for d in subfolders
                               if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        for name in sorted(names):
            path = os.path.join(folder, name)
            if path == main or name.startswith(".") or not os.path.isfile(path) \
                    or os.path.islink(path):
                continue
            try:
                size = os.path.getsize(path)
                if size > MAX_FILE_BYTES or total + size > MAX_FILES_BYTES:
                    continue
                with open(path, "rb") as f:
                    found[os.path.relpath(path, where)] = f.read()
                total += size
            except OSError:
                continue
    return found


def _only_for(assignment, options):
    """The --only functions of ``assignment`` (all its tests when --only is not
    given); None when --only names none of them (the item is skipped)."""
    if not options.only:
        return ()
    mine = tuple(f for f in options.only if f in registry.load(assignment).functions)
    return mine or None


def _skip_if_other(item, options):
    """An entry of an assignment that --only names no function of is skipped."""
    assignment = item.report.assignment if item.report else item.assignment
    if options.only and assignment and _only_for(assignment, options) is None:
        item.skipped, item.report = True, None
    return item


def _entry(item, assignment, options, error=None, problem=None):
    """An entry that was not graded: every test of ``assignment`` (the --only ones)
    scores 0 with the reason as its feedback, so that the entry carries the
    assignment's max_score (a percentage of it is 0, never a division by 0)."""
    results = []
    if assignment is not None:
        tests = runner.select_tests(registry.load(assignment),
                                    _only_for(assignment, options) or (), options.hidden)
        results = [TestResult(t.name, assignment, t.function, 0.0, t.points, "error",
                              error or problem, t.hidden) for t in tests]
    return SubmissionReport(item.path, assignment, results, error=error, problem=problem,
                            student=item.student)


def reuse(items, results):
    """Take from the store ``results`` every result it has for an item's path (below
    the batch's folder) and key; returns how many were taken."""
    count = 0
    for item in items:
        if item.report is None and not item.skipped:
            found = results.get(item.rel, item.key)
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
    running = {pool.submit(pools.payload(item.sub, item.options or options)): item
               for item in items if item.report is None and not item.skipped}
    try:
        while running:
            for future in [f for f in running if f.done()]:
                item = running.pop(future)
                item.report, keep = _collect(item, future, options)
                if keep and results is not None:
                    results.put(item.rel or item.path, item.key, item.report)
                if progress is not None:
                    progress.finished(item.report)
            if not running or (stop is not None and stop.is_set()):
                break
            time.sleep(POLL_S)
    finally:
        if running:
            pool.stop(list(running))
    return not running


def _collect(item, future, options):
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
        return _entry(item, item.assignment, item.options or options,
                      error=reply["error"]), False
    report = store.from_record(reply["report"])
    return replace(report, student=item.student, problem=_batch_hint(report.problem, item)), True


WRONG_ASSIGNMENT_HINT = re.compile(r": grade it with --assignment (\w+)$")


def _batch_hint(problem, item):
    """The runner's hint for one file ("grade it with --assignment X") made one for a
    batch, where --assignment would apply to every file: where to put the file (in a
    student's folder), or to grade that file on its own (a file of a flat folder).  The
    command's one file keeps the runner's hint."""
    if not problem or item.alone:
        return problem

    def hint(match):
        other = match.group(1)
        if item.home is None:
            advice = "if it is a %s submission, grade this file on its own (--assignment %s)" % (
                other, other)
        else:
            advice = "if it is %s's %s submission, put it in %s" % (
                item.student or "the student", other, _home_hint(item, other))
        return ": not graded as %s; %s" % (item.assignment, advice)
    return WRONG_ASSIGNMENT_HINT.sub(hint, problem)


def _home_hint(item, assignment):
    """Where a submission of ``assignment`` by ``item``'s student belongs."""
    if item.home is None:
        return os.path.join(os.path.dirname(item.path) or ".",
                            item.student or "<student>", assignment) + os.sep
    return os.path.join(item.home, assignment) + os.sep


def _known(assignment):
    return assignment if assignment in registry.ASSIGNMENT_MODULES else None


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def _reason(exc, path):
    """The error's message without the path it starts with (the entry shows it)."""
    text = str(exc)
    return text[len(path) + 2:] if text.startswith(path + ": ") else text
