"""``python -m autograder grade|list``: exit 0 when a report was produced, 2 (with a
one-line message, no traceback) for bad usage or an unreadable submission."""
import argparse
import os
import sys

from . import config, registry, report, runner
from .errors import AutograderError


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
    grade.add_argument("--out", help="write the report to this file instead of stdout")
    grade.add_argument("--timeout", type=float, default=config.TIMEOUT_S,
                       help="wall-clock seconds per test (default %(default)s)")
    grade.add_argument("--memory-mb", type=int, default=config.MEMORY_MB,
                       help="memory limit of the student's process (default %(default)s)")
    grade.add_argument("--seed", type=int, default=config.SEED)
    grade.add_argument("--visible-only", action="store_true",
                       help="run only the tests the students see in their notebooks")
    grade.add_argument("--jobs", type=int, default=config.MAX_WORKERS,
                       help="submissions graded at once (default %(default)s)")
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
    _become_subreaper()
    try:
        if args.command == "list":
            print(list_text(), end="")
            return 0
        if args.command == "release":
            from . import release
            if not release.expected.instructor_copy():
                raise registry.UsageError("release needs the reference implementations "
                                          "(the instructor's copy of the project)")
            print("wrote %s" % release.build(args.dest or release.DEFAULT_DEST))
            return 0
        return grade(args)
    except AutograderError as exc:
        print("autograder: error: %s" % exc, file=sys.stderr)
        return 2
    finally:
        _reap_orphans()


def grade(args):
    if not (0 < args.timeout < float("inf")):
        raise registry.UsageError("--timeout must be a positive number of seconds, got %s"
                                  % args.timeout)
    if args.memory_mb < 64:
        raise registry.UsageError("--memory-mb must be at least 64, got %s" % args.memory_mb)
    only = tuple(f.strip() for f in args.only.split(",") if f.strip()) if args.only else ()
    options = runner.Options(assignment=args.assignment, only=only, timeout=args.timeout,
                             memory_mb=args.memory_mb, seed=args.seed,
                             hidden=not args.visible_only, jobs=max(1, args.jobs))
    reports = runner.grade_path(args.submission, options)
    text = report.render(reports, args.format)
    if args.out:
        write_report(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


def write_report(path, text):
    """Write the report through a fresh file renamed over ``path``: whatever is at
    ``path`` by then (a forged report, a symlink planted by a submission) is replaced,
    never written through."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".autograder-report-", dir=folder)
    except OSError as exc:
        raise registry.UsageError("--out %s: %s" % (path, exc.strerror))
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
        raise registry.UsageError("--out %s: %s" % (path, exc.strerror))


def list_text():
    lines = []
    for a in registry.all_assignments():
        lines.append("%s (%s): %g points" % (a.id, a.title, a.max_score))
        for name in a.functions:
            tests = [t for t in a.tests if t.function == name]
            lines.append("  %-32s %5g points in %d tests" % (
                name, sum(t.points for t in tests), len(tests)))
    return "\n".join(lines) + "\n"


def _become_subreaper():
    """Orphans of student processes re-parent to us, so none outlives grading."""
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        libc.prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER
    except Exception:  # noqa: BLE001 - not Linux: the token scan still applies
        pass


def _reap_orphans():
    """Kill and reap every child left (all are student leftovers by now)."""
    import signal

    for _ in range(20):
        children = []
        try:
            with open("/proc/%d/task/%d/children" % (os.getpid(), os.getpid())) as f:
                children = [int(p) for p in f.read().split()]
        except OSError:
            return
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
