"""The worker process: the only process that runs student code (the judge's side).

Started by ``autograder.judge.sandbox`` as
``python -I -S worker_process.py CTL_IN CTL_OUT SETTINGS_JSON``.  It imports nothing
from the project (only the standard library and NumPy), so it runs without the project
on ``sys.path`` and student code cannot reach ``reference`` or the checks: the kit's
``autograder/worker.py`` (the ``Worker`` that loads cells and answers calls, and the
wire format) is loaded by its path before any student code runs.  It talks to the
judge over two pipes with length-prefixed JSON messages and sends back plain data only
(numbers, numeric arrays, lists, dicts, strings).

The process splits in two before any student code runs (``main``):

* a *supervisor* (the judge's direct child, trusted, tiny): a child subreaper, so
  every process the submission starts stays below it however it detaches (double
  fork, ``setsid``, a cleared environment); when the worker ends, or on SIGTERM from
  the judge, it kills that whole tree and exits with the worker's status;
* the *worker*, which drops every capability, sets ``no_new_privs`` and enters a
  Landlock domain (Linux >= 5.13) before loading the submission: it cannot read the
  project checkout (``reference/``, hidden checks, solutions) or raw devices, can
  write only below its scratch folder (and ``/dev/null``, ``/dev/shm``...), and cannot
  signal or ptrace any process outside its domain (the judge, the supervisor, the
  judge's ``/proc/PID/fd``).  Where Landlock is missing, an audit hook refuses to
  open the protected paths from Python (a speed bump only: ``ctypes`` or a
  subprocess gets around it).

The judge imports this module too, for the process-tree helpers (``children_of``,
``descendants_of``); that part has no side effects.  None of it ships to students.
"""
import json
import os
import sys

BLOCKED_PACKAGES = ("reference", "autograder", "tests")
WORKER_MODULE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "worker.py")      # autograder/worker.py, the kit's


def load_worker_module():
    """The kit's ``worker`` module, loaded by its path (this script runs with no
    project on ``sys.path``), under a name the import blocker does not refuse."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_grading_worker", WORKER_MODULE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class _BlockProjectImports:
    """Meta-path finder refusing the grader's own packages inside the worker."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_PACKAGES:
            raise ImportError("%r cannot be imported during grading" % name)
        return None


# ---------------------------------------------------------------- process tree (judge, supervisor)
def children_of(pid):
    """Direct children of ``pid`` (from /proc; empty when it is gone)."""
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids += [int(p) for p in f.read().split()]
        return kids
    except OSError:
        pass
    for entry in os.listdir("/proc"):          # kernels without CONFIG_PROC_CHILDREN
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry))
    return kids


def descendants_of(pid):
    """Every process below ``pid`` (a snapshot), parents before children."""
    out, todo = [], [pid]
    while todo and len(out) < 100000:
        kids = children_of(todo.pop())
        out += kids
        todo += kids
    return out


def _libc():
    import ctypes
    return ctypes.CDLL(None, use_errno=True)


PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36


def _prctl(*args):
    try:
        return _libc().prctl(*[int(a) for a in args] + [0] * (5 - len(args)))
    except (OSError, AttributeError):
        return -1


# ---------------------------------------------------------------- supervisor
def _exit_like(status):
    """Exit with the status the worker had (same exit code, or the same signal)."""
    import signal

    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _kill_descendants():
    """Kill every process below this one (a subreaper: orphans come back to us), and
    reap them, until none is left."""
    import signal

    me = os.getpid()
    while True:
        for pid in children_of(me):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def _supervise(child):
    """The supervisor's life: wait for the worker (reaping adopted orphans on the way),
    then kill whatever the submission left and exit as the worker did.  SIGTERM (the
    judge's stop) or the judge's death kills the worker at once."""
    import signal

    def stop(signum, frame):
        try:
            os.kill(child, signal.SIGKILL)
        except OSError:
            pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    status = 0
    while True:
        try:
            pid, st = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            break
        if pid == child:
            status = st
            break
    _kill_descendants()
    _exit_like(status)


# ---------------------------------------------------------------- confinement (worker side)
LANDLOCK_READ_FILE = 1 << 2
LANDLOCK_WRITE_FILE = 1 << 1
LANDLOCK_TRUNCATE = 1 << 14
LANDLOCK_FILE_RIGHTS = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 14) | (1 << 15)
SAFE_DEVICES = ("null", "zero", "full", "random", "urandom", "tty", "ptmx")


def _drop_capabilities():
    """A worker started by root keeps uid 0 but loses every capability, now and after
    any exec (empty bounding set): no raw I/O, no mounts, no ptrace of others..."""
    import ctypes

    for cap in range(64):
        _prctl(PR_CAPBSET_DROP, cap)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)      # _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)()                      # effective, permitted, inheritable x2
    try:
        _libc().capset(header, data)
    except (OSError, AttributeError):
        pass


def _under(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _landlock(protected, scratch, allowed):
    """Enter a Landlock domain: read anything but ``protected`` (and raw devices), write
    only below ``scratch`` and a few safe devices, no signals or ptrace outside.
    Returns the ABI version used, or 0 when the kernel has no Landlock."""
    import ctypes

    libc = _libc()
    syscall = libc.syscall
    syscall.restype = ctypes.c_long
    abi = syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))   # ..._VERSION
    if abi < 1:
        return 0
    write_rights = (1 << 1) | (0x1FF << 4)              # WRITE_FILE, REMOVE_*, MAKE_*
    if abi >= 2:
        write_rights |= 1 << 13                        # REFER
    if abi >= 3:
        write_rights |= LANDLOCK_TRUNCATE
    handled = LANDLOCK_READ_FILE | write_rights
    scoped = 0b11 if abi >= 6 else 0                   # abstract unix sockets, signals

    class RulesetAttr(ctypes.Structure):
        _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64),
                    ("scoped", ctypes.c_uint64)]

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]

    attr = RulesetAttr(handled, 0, scoped)
    ruleset = syscall(444, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
                      ctypes.c_uint32(0))
    if ruleset < 0:
        return 0

    def allow(path, rights):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        try:
            import stat
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                rights &= LANDLOCK_FILE_RIGHTS
            rule = PathBeneath(rights & handled, fd)
            syscall(445, ctypes.c_int(ruleset), ctypes.c_int(1), ctypes.byref(rule),
                    ctypes.c_uint32(0))
        finally:
            os.close(fd)

    def cover(folder, hidden):
        """READ_FILE below ``folder`` except below any of ``hidden``."""
        if any(_under(folder, h) for h in hidden):
            return
        if not any(_under(h, folder) for h in hidden):
            allow(folder, LANDLOCK_READ_FILE)
            return
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            path = entry.path
            try:
                if entry.is_symlink():
                    real = os.path.realpath(path)
                    if not any(_under(real, h) or _under(h, real) for h in hidden):
                        allow(path, LANDLOCK_READ_FILE)
                elif entry.is_dir(follow_symlinks=False):
                    cover(path, hidden)
                else:
                    allow(path, LANDLOCK_READ_FILE)
            except OSError:
                continue

    try:
        protected = sorted({os.path.realpath(p) for p in protected})
        cover("/", protected + ["/dev"])
        for folder in allowed:                       # Python itself, even inside the checkout
            folder = os.path.realpath(folder)
            cover(folder, [p for p in protected if not _under(folder, p)])
        for name in SAFE_DEVICES:
            allow("/dev/" + name, LANDLOCK_READ_FILE | LANDLOCK_WRITE_FILE | LANDLOCK_TRUNCATE)
        try:
            gpu = [n for n in os.listdir("/dev") if n.startswith(("nvidia", "dri"))]
        except OSError:
            gpu = []
        for name in gpu:
            allow("/dev/" + name, LANDLOCK_READ_FILE | LANDLOCK_WRITE_FILE)
        for folder in ("/dev/pts", "/dev/shm", scratch):
            allow(folder, handled)
        if _prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:
            return 0
        if syscall(446, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return 0
        return abi
    finally:
        os.close(ruleset)


class _RefuseProtectedFiles:
    """Audit hook: opening a protected path from Python fails with a clear message.
    Where Landlock works this only improves the message; where it does not, it is the
    only (bypassable) barrier.  Python's own folders stay readable even inside a
    protected one (a virtual environment in the checkout), as under Landlock."""

    def __init__(self, protected, allowed=()):
        self.protected = tuple(os.path.realpath(p) for p in protected)
        self.allowed = tuple(os.path.realpath(a) for a in allowed)

    def refused(self, path):
        return any(_under(path, p) and not any(
            _under(path, a) and _under(a, p) and a != p and
            not any(_under(path, q) and _under(q, a) for q in self.protected)
            for a in self.allowed) for p in self.protected)

    def __call__(self, event, args):
        if event != "open" or not args or not isinstance(args[0], (str, bytes)):
            return
        try:
            path = os.path.realpath(os.fsdecode(args[0]))
        except Exception:  # noqa: BLE001 - never break an open the hook cannot judge
            return
        if self.refused(path):
            raise PermissionError("%s: the grader's files cannot be read during grading"
                                  % path)


def confine(settings):
    """Everything the worker does to itself before running student code."""
    _drop_capabilities()
    abi = 0
    if settings.get("protected"):
        try:
            abi = _landlock(settings["protected"], settings["scratch"], settings["allowed"])
        except Exception:  # noqa: BLE001 - no ctypes, odd kernel: fall back to the hook
            abi = 0
        sys.addaudithook(_RefuseProtectedFiles(settings["protected"],
                                               settings.get("allowed", ())))
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    return abi


# ---------------------------------------------------------------- main
def main(argv):
    ctl_in, ctl_out = int(argv[1]), int(argv[2])
    settings = json.loads(argv[3])
    wire = load_worker_module()      # before confinement: the package becomes unreadable
    judge = settings.get("judge_pid")
    # The supervisor: this process, a subreaper; the worker: a fork of it.
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_PDEATHSIG, 15)                        # the judge died: SIGTERM -> stop
    if judge and os.getppid() != judge:
        return 1
    supervisor = os.getpid()
    child = os.fork()
    if child:
        os.close(ctl_in)
        os.close(ctl_out)
        _supervise(child)                               # never returns
    _prctl(PR_SET_PDEATHSIG, 9)                         # the supervisor died: die too
    if os.getppid() != supervisor:
        os._exit(1)
    sys.path.extend(settings.get("site_dirs", []))
    sys.meta_path.insert(0, _BlockProjectImports())
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_PACKAGES:
            del sys.modules[name]
    wire.CONFINED[0] = confine(settings)
    import builtins
    import _sitebuiltins                                # what ``-S`` left out:
    builtins.exit = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")   # exit() works
    builtins.quit = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")   # as in Jupyter
    import numpy  # noqa: F401 - imported before student code so it cannot be faked
    worker = wire.Worker()
    me = os.getpid()
    while True:
        try:
            request = wire.recv(ctl_in)
        except EOFError:
            return 0
        try:
            reply = worker.handle(request)
        except BaseException as exc:  # noqa: BLE001
            reply = {"ok": False, "error": wire.error_summary(exc)}
        if os.getpid() != me:      # a fork of the worker returned from student code:
            os._exit(0)            # only the worker itself may answer the judge
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - a student may have replaced it
                pass
        wire.send(ctl_out, reply)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
