"""``python -m autograder grade|list|release``: exit 0 when a report was produced, 2
(with a one-line message, no traceback) for bad usage or an unreadable submission,
128 + the signal's number when a batch was interrupted (Ctrl-C: 130)."""
import argparse
import contextlib
import os
import signal
import sys
import tempfile
import threading

from .. import config, registry, runner
from . import batch, pools, processes, report, store
from ..errors import AutograderError, UsageError
from .progress import Progress


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise SystemExit("autograder: error: %s" % message)   # one line, exit 2 below


def build_parser():
    parser = _Parser(prog="python -m autograder",
                     description="Grade deep-learning assignment submissions in isolation.")
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade a notebook, a .py file or a folder of them")
    grade.add_argument("submission")
    grade.add_argument("--assignment")
    grade.add_argument("--only", help="comma-separated function names")
    grade.add_argument("--format", choices=tuple(report.RENDERERS), default="text")
    grade.add_argument("--out", help="write the report to this file instead of stdout "
                                     "(--format gradescope on a folder: to this folder, "
                                     "one results.json per submission)")
    grade.add_argument("--timeout", type=float, default=config.TIMEOUT_S,
                       help="wall-clock seconds per test (default %(default)s)")
    grade.add_argument("--memory-mb", type=int, default=config.MEMORY_MB,
                       help="memory limit of the student's process (default %(default)s)")
    grade.add_argument("--seed", type=int, default=config.SEED)
    grade.add_argument("--visible-only", action="store_true",
                       help="run only the tests the students see in their notebooks")
    grade.add_argument("--jobs", type=int,
                       help="submissions graded at once here (default %d)" % config.MAX_WORKERS)
    grade.add_argument("--cluster", metavar="ADDRESS",
                       help="grade a folder on the Dask cluster whose scheduler is at ADDRESS "
                            "(tcp://host:8786)")
    grade.add_argument("--store", help="results store of a folder's batch (default: %s "
                                       "next to the report)" % store.DEFAULT_NAME)
    grade.add_argument("--regrade", action="store_true",
                       help="grade every submission again, even those the store has")
    sub.add_parser("list", help="list assignments, functions and points")
    release = sub.add_parser("release", help="build the students' checks package "
                                             "(assignments/checks): visible checks and their "
                                             "recorded expected values, no hidden test")
    release.add_argument("--dest", help="folder to write (default assignments/checks)")
    return parser


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        if exc.code not in (0, None):
            print(exc.code if isinstance(exc.code, str) else "autograder: bad usage",
                  file=sys.stderr)
            return 2
        return 0
    processes.become_subreaper()
    try:
        if args.command == "list":
            print(list_text(), end="")
            return 0
        if args.command == "release":
            from . import release
            if not release.expected.instructor_copy():
                raise UsageError("release needs the reference implementations "
                                 "(the instructor's copy of the project)")
            print("wrote %s" % release.build(args.dest or release.DEFAULT_DEST))
            return 0
        return grade(args)
    except AutograderError as exc:
        print("autograder: error: %s" % exc, file=sys.stderr)
        return 2
    finally:
        processes.kill_children()      # every child left is a student's leftover


def grade(args):
    """Check every option, then plan, reuse and grade (``autograder.judge.batch``), then
    report.  A folder is a batch: its results go to the store as they finish, its
    progress and summary to stderr; Ctrl-C (or SIGTERM) stops it keeping them."""
    folder = os.path.isdir(args.submission)
    options = grade_options(args, folder)
    per_submission = folder and args.format == "gradescope"
    check_out(args.out, per_submission)
    with _stop_on_signals() as stop, contextlib.ExitStack() as cleanup:
        try:
            pool = pools.DaskPool(args.cluster, stop) if args.cluster else \
                pools.LocalPool(args.jobs or config.MAX_WORKERS)
        except pools.Interrupted as exc:
            print("interrupted (%s) while connecting to the cluster at %s: nothing graded"
                  % (signal.Signals(exc.signum).name, args.cluster), file=sys.stderr)
            return 128 + exc.signum
        cleanup.callback(pool.close)
        items = batch.plan(args.submission, options, strict=not folder)
        results = None
        if folder:
            results = store.Store(args.store or default_store(args.out))
            cleanup.callback(results.close)
        finished = _grade(args, items, options, pool, results, stop)
    skipped = sum(item.skipped for item in items)
    items = [item for item in items if not item.skipped]
    reports = [item.report for item in items if item.report is not None]
    if not finished:
        sys.stderr.write(report.render_summary(reports) if reports else "")
        print("interrupted (%s): %d of %d submissions finished%s; run %s again to grade "
              "the other %d" % (
                  signal.Signals(stop.signum).name, len(reports), len(items),
                  ", kept in %s" % results.path if results else "",
                  "it without --regrade" if args.regrade else "the same command",
                  len(items) - len(reports)), file=sys.stderr)
        return 128 + stop.signum
    write_reports(args, reports, per_submission, folder)
    if folder:
        if reports and (args.out or args.format != "text"):   # else the text report
            sys.stderr.write(report.render_summary(reports))  # ends with it
        statuses = [report.status_of(rep) for rep in reports]
        reused = sum(item.reused for item in items)
        print("%d submissions: %d graded, %d not graded, %d in error%s; this run graded %d "
              "and took %d from %s%s%s" % (
                  len(reports), statuses.count(report.GRADED),
                  statuses.count(report.NOT_GRADED), statuses.count(report.ERROR),
                  _skipped_text(skipped, options),
                  sum(bool(item.key and not item.reused and item.report is not None)
                      for item in items), reused,
                  results.path, " (--regrade grades them again)" if reused else "",
                  "; report in %s" % args.out if args.out else ""), file=sys.stderr)
    return 0


def _skipped_text(skipped, options):
    """The submissions --only left out of a batch (not in its report), said."""
    if not skipped:
        return ""
    return " (%d more skipped, not in the report: --only %s names no function of their " \
           "assignment)" % (skipped, ",".join(options.only))


def write_reports(args, reports, per_submission, folder=False):
    """The report to --out or stdout; ``per_submission``: one Gradescope results.json
    per submission below the --out folder; ``folder``: a batch's report."""
    if per_submission:
        for name, text in report.gradescope_files(reports, args.submission):
            path = os.path.join(args.out, name)
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
            except OSError as exc:
                raise UsageError("--out %s: %s" % (os.path.dirname(path), exc.strerror))
            write_report(path, text)
        return
    text = report.render(reports, args.format, batch=folder)
    if args.out:
        write_report(args.out, text)
    else:
        sys.stdout.write(text)


def _grade(args, items, options, pool, results, stop):
    """Reuse what the store has, then grade the rest in ``pool``, showing progress
    for a folder; False when ``stop`` cut it short."""
    if results is None:
        return batch.grade(items, options, pool, stop=stop)
    reused = 0 if args.regrade else batch.reuse(items, results)
    skipped = sum(item.skipped for item in items)
    todo = sum(item.report is None and not item.skipped for item in items)
    print("%d submissions in %s: %d to grade, %d graded before (in %s), %d that cannot be "
          "read or graded%s" % (len(items) - skipped, args.submission, todo, reused,
                                results.path, len(items) - skipped - todo - reused,
                                _skipped_text(skipped, options)), file=sys.stderr)
    progress = Progress(todo)
    try:
        return batch.grade(items, options, pool, results, progress, stop)
    finally:
        progress.close()


def grade_options(args, folder):
    """runner.Options from the command line, every value checked before any work (a
    single file's --only is checked against its assignment when it is read)."""
    if not (0 < args.timeout < float("inf")):
        raise UsageError("--timeout must be a positive number of seconds, got %s"
                         % args.timeout)
    if args.memory_mb < 64:
        raise UsageError("--memory-mb must be at least 64, got %s" % args.memory_mb)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1, got %d" % args.jobs)
    if not folder and (args.store or args.regrade):
        raise UsageError("--store and --regrade are for a folder's batch; %s is one file"
                         % args.submission)
    if args.jobs is not None and args.cluster:
        raise UsageError("--jobs is for grading here; with --cluster the cluster's "
                         "workers grade (one submission at a time each)")
    only = tuple(f.strip() for f in args.only.split(",") if f.strip()) if args.only else ()
    if args.assignment:
        runner.select_tests(registry.load(args.assignment), only, True)
    functions = {f for a in registry.all_assignments() for f in a.functions}
    for name in only if folder else ():
        if name not in functions:
            raise UsageError("--only: %s is not a function of any assignment%s"
                             % (name, registry.did_you_mean(name, sorted(functions))))
    return runner.Options(assignment=args.assignment, only=only, timeout=args.timeout,
                          memory_mb=args.memory_mb, seed=args.seed,
                          hidden=not args.visible_only)


def default_store(out):
    """The store's path when --store is not given: next to the report."""
    folder = os.path.dirname(os.path.abspath(out)) if out else os.getcwd()
    return os.path.join(folder, store.DEFAULT_NAME)


def check_out(out, folder):
    """Fail before any grading when the report cannot be written: ``out`` must be a
    file in a writable folder, or (``folder``: one results.json per submission) a
    folder, made here if missing, in which files can be made."""
    if not out:
        if folder:
            raise UsageError("--format gradescope on a folder writes one results.json per "
                             "submission: give --out a folder to write them to")
        return
    if folder:
        if os.path.exists(out) and not os.path.isdir(out):
            raise UsageError("--out %s: not a folder (--format gradescope on a folder "
                             "writes one results.json per submission)" % out)
        try:
            os.makedirs(out, exist_ok=True)
        except OSError as exc:
            raise UsageError("--out %s: %s" % (out, exc.strerror))
        target = out
    else:
        if os.path.isdir(out):
            raise UsageError("--out %s: is a folder; give the report's file name" % out)
        target = os.path.dirname(os.path.abspath(out))
    try:
        os.unlink(tempfile.mkstemp(prefix=".autograder-check-", dir=target)[1])
    except OSError as exc:
        raise UsageError("--out %s: %s" % (out, exc.strerror))


class _stop_on_signals:
    """While a batch grades, SIGINT and SIGTERM set an event (the batch then stops
    cleanly, keeping what finished) instead of raising in the middle of its work."""

    def __enter__(self):
        self.event, self.event.signum = threading.Event(), None
        self.previous = {}

        def handler(signum, frame):
            self.event.signum = self.event.signum or signum
            self.event.set()

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, handler)
        return self.event

    def __exit__(self, *exc):
        for sig, previous in self.previous.items():
            signal.signal(sig, previous)


def write_report(path, text):
    """Write the report through a fresh file renamed over ``path``: whatever is at
    ``path`` by then (a forged report, a symlink planted by a submission) is replaced,
    never written through."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".autograder-report-", dir=folder)
    except OSError as exc:
        raise UsageError("--out %s: %s" % (path, exc.strerror))
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise UsageError("--out %s: %s" % (path, exc.strerror))


def list_text():
    lines = []
    for a in registry.all_assignments():
        lines.append("%s (%s): %g points" % (a.id, a.title, a.max_score))
        for name in a.functions:
            tests = [t for t in a.tests if t.function == name]
            lines.append("  %-32s %5g points in %d tests" % (
                name, sum(t.points for t in tests), len(tests)))
    return "\n".join(lines) + "\n"
