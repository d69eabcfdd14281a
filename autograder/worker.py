"""The worker: the only process that runs student code.

Started by ``autograder.judge.sandbox`` as ``python -I -S worker.py CTL_IN CTL_OUT SETTINGS_JSON``.
It imports nothing from the project (only the standard library and NumPy), so it can
run without the project on ``sys.path``: student code cannot reach ``reference`` or
the checks.  It talks to the judge over two pipes with length-prefixed JSON messages
and sends back plain data only (numbers, numeric arrays, lists, dicts, strings).

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

This module is also imported by the judge for the shared wire format
(``encode``/``decode``/``send``/``recv``); that part has no side effects.
"""
import base64
import json
import os
import struct
import sys

HEADER = struct.Struct("<Q")
MAX_MESSAGE_BYTES = 512 * 1024 * 1024   # a larger reply is refused, not read
BLOCKED_PACKAGES = ("reference", "autograder", "tests")
NUMERIC_KINDS = "biufc"                 # bool, int, uint, float, complex
CONFINED = [0]                          # Landlock ABI the worker runs under (0: none)


# ---------------------------------------------------------------- wire format
def send(fd, message):
    """Write one length-prefixed JSON message to a file descriptor."""
    data = json.dumps(message, allow_nan=True).encode("utf-8")
    buf = HEADER.pack(len(data)) + data
    view = memoryview(buf)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd, n):
    chunks, remaining = [], n
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv(fd):
    """Read one message; EOFError when the peer is gone."""
    (size,) = HEADER.unpack(read_exact(fd, HEADER.size))
    if size > MAX_MESSAGE_BYTES:
        raise ValueError("message of %d bytes exceeds the limit" % size)
    return json.loads(read_exact(fd, size).decode("utf-8"))


def encode(value, _depth=0, raw=False):
    """Turn a value into plain JSON data.  Arrays keep dtype and shape; anything
    that is not a number, numeric array, str, list, tuple, dict or None becomes an
    ``__unsupported__`` marker naming its type (never pickled, never trusted)."""
    import numpy as np

    if _depth > 20:
        return {"__unsupported__": "nesting deeper than 20 levels"}
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return {"__int__": str(int(value))}
    if isinstance(value, (float, np.floating)):
        return {"__float__": float(value).hex()}
    if isinstance(value, np.ndarray) or (hasattr(value, "__array_interface__") and
                                         not isinstance(value, (str, bytes))):
        arr = np.asarray(value)
        if arr.dtype.kind not in NUMERIC_KINDS:
            return {"__unsupported__": "array of dtype %s" % arr.dtype}
        if raw:         # in-process (autograder.local): a private copy, no base64
            return {"__ndarray_obj__": np.array(arr, copy=True, order="C")}   # as on the wire
        return {"__ndarray__": base64.b64encode(arr.tobytes(order="C")).decode("ascii"),
                "dtype": arr.dtype.str, "shape": list(arr.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, _depth + 1, raw) for v in value]}
    if isinstance(value, list):
        return [encode(v, _depth + 1, raw) for v in value]
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            key = k if type(k) is str else encode(k, _depth + 1, raw)
            items.append([key, encode(v, _depth + 1, raw)])
        return {"__dict__": items}
    return {"__unsupported__": type(value).__name__}


class Unsupported:
    """A value the submission returned that is not plain data (judge side)."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return "<%s>" % self.what


def decode(data):
    """Inverse of ``encode``; builds only built-in types and fresh NumPy arrays.
    Never raises: anything malformed (the worker is not trusted) becomes Unsupported."""
    try:
        return _decode(data)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError,
            MemoryError):
        return Unsupported("malformed value")


def _decode(data):
    import numpy as np

    if data is None or type(data) in (bool, str, int, float):
        return data
    if type(data) is list:
        return [_decode(v) for v in data]
    if type(data) is dict:
        if "__float__" in data:
            return float.fromhex(data["__float__"])
        if "__int__" in data:
            return int(data["__int__"])
        if "__ndarray_obj__" in data:     # only ever an array in-process; JSON can't
            arr = data["__ndarray_obj__"]
            if type(arr) is np.ndarray and arr.dtype.kind in NUMERIC_KINDS:
                return arr
            return Unsupported("malformed array")
        if "__ndarray__" in data:
            dtype = np.dtype(data["dtype"])
            if dtype.kind not in NUMERIC_KINDS:
                return Unsupported("array of dtype %s" % dtype)
            shape = data["shape"]
            if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
                return Unsupported("malformed array")
            raw = base64.b64decode(data["__ndarray__"], validate=True)
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if "__tuple__" in data:
            return tuple(_decode(v) for v in data["__tuple__"])
        if "__dict__" in data:
            out = {}
            for k, v in data["__dict__"]:
                out[k if type(k) is str else _decode(k)] = _decode(v)
            return out
        if "__unsupported__" in data:
            return Unsupported(str(data["__unsupported__"]))
        if "__ref__" in data or "__fn__" in data:
            return data
    return Unsupported("malformed value")


# ---------------------------------------------------------------- worker side
class _BlockProjectImports:
    """Meta-path finder refusing the grader's own packages inside the worker."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_PACKAGES:
            raise ImportError("%r cannot be imported during grading" % name)
        return None


def _line_counter(count):
    """A trace function counting the Python lines run and the Python functions called
    (in any file): the interpreted work of a call, which a vectorized function keeps
    the same whatever the size of its arrays."""
    def local(frame, event, arg):
        if event == "line":
            count[0] += 1
        return local

    def on_call(frame, event, arg):
        count[0] += 1
        return local
    return on_call


def _compile_cell(source, filename):
    """Compile a cell as written; only if that fails, retry with IPython magics and
    shell escapes stripped (so a continuation line like ``% (k, acc))`` survives)."""
    try:
        return compile(source, filename, "exec")
    except SyntaxError:
        return compile(strip_magics(source), filename, "exec")


# Cell magics whose body is Python that runs in the kernel's namespace (its
# definitions stay); any other cell magic (%%bash, %%writefile, %%timeit, ...) is not.
PYTHON_CELL_MAGICS = ("time", "capture", "prun")


def strip_magics(source):
    """The cell as plain Python: IPython line magics and shell escapes become ``pass``
    (same line numbers); a ``%%time``-like cell keeps its body, other cell magics are
    dropped.  Shared with the judge's source parser (``autograder.structure``)."""
    import re

    lines = source.splitlines()
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        name = first[2:].split()[0] if first[2:].split() else ""
        if name not in PYTHON_CELL_MAGICS:
            return ""
        lines = ["pass  # " + first] + lines[1:]
    magic = re.compile(r"\s*(%[A-Za-z_]|!)")      # `%time x`, `!pip ...`; not `% (a, b)`
    return "\n".join(l[:len(l) - len(l.lstrip())] + "pass  # " + l.lstrip()
                     if magic.match(l) else l
                     for l in lines)


def _error_summary(exc, filenames=()):
    """'ValueError: msg (line 3 of cell 5, in f)' from the innermost student frame."""
    import traceback

    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in filenames:
            where = " (line %d of %s, in %s)" % (frame.lineno, frame.filename.strip("<>"),
                                                frame.name)
    try:
        msg = str(exc.code) if isinstance(exc, SystemExit) else str(exc)
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        msg = "<unprintable %s>" % type(exc).__name__
    if len(msg) > 300:
        msg = msg[:300] + "..."
    return {"type": type(exc).__name__, "message": msg, "where": where}


def defined_in(source):
    """The top-level ``def``/``class`` names of a cell, read as text (it may not parse)."""
    import re

    return re.findall(r"^(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)", source, re.M)


def first_line(source):
    """The line a cell starts at (a .py file's statements keep the file's numbers)."""
    return len(source) - len(source.lstrip("\n")) + 1


def _line_in(exc, filename):
    """The line of ``filename`` where ``exc`` was raised (its last frame there)."""
    import traceback

    if isinstance(exc, SyntaxError) and exc.filename == filename:
        return exc.lineno              # the cell did not compile
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


class MissingName(Exception):
    """A submission name the judge asked for is not defined."""


class Worker:
    def __init__(self):
        self.namespace = {"__name__": "__main__", "__builtins__": __builtins__}
        self.kept = {}
        self.raw = False        # True in-process: arrays travel as private copies
        self.kept_args = {}     # keep key -> (args, kwargs) of the call that made it
        self.helpers = {"__builtins__": __builtins__}
        self.filenames = set()
        self.passes_through = ()  # exceptions a call re-raises (in a kernel: Ctrl-C)

    def load(self, cells):
        errors = []
        for i, cell in enumerate(cells):
            filename = "<%s>" % cell.get("label", "cell %d" % (i + 1))
            self.filenames.add(filename)
            code = None
            try:
                code = _compile_cell(cell["source"], filename)
                exec(code, self.namespace)
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                summary = _error_summary(exc, self.filenames)
                line = _line_in(exc, filename)
                if isinstance(exc, SyntaxError) and exc.filename == filename:
                    summary["message"] = exc.msg or summary["message"]
                    summary["where"] = " (line %s of %s)" % (exc.lineno, filename.strip("<>"))
                # What feedback needs to say why a function is missing: the names this
                # cell defines as written (it may not even parse), where it starts, the
                # line that failed and whether the cell compiled at all.
                summary.update(cell=filename.strip("<>"), defines=defined_in(cell["source"]),
                               start=first_line(cell["source"]), line=line,
                               compiled=code is not None)
                errors.append(summary)
        names = sorted(k for k, v in self.namespace.items()
                       if callable(v) and not k.startswith("__"))
        return {"ok": True, "cell_errors": errors, "names": names, "confined": CONFINED[0]}

    def resolve(self, data):
        """Decode an argument, resolving references to worker-side objects."""
        if type(data) is dict and "__ref__" in data:
            obj = self.kept[data["__ref__"][0]]
            for index in data["__ref__"][1:]:
                obj = obj[index]
            return obj
        if type(data) is dict and "__fn__" in data:
            if data["__fn__"] not in self.namespace:
                raise MissingName(data["__fn__"])
            return self.namespace[data["__fn__"]]
        if type(data) is dict and "__helper__" in data:
            return self.helpers[data["__helper__"]]
        if type(data) is list:
            return [self.resolve(v) for v in data]
        if type(data) is dict and "__dict__" in data:
            return {k: self.resolve(v) for k, v in data["__dict__"]}
        if type(data) is dict and "__tuple__" in data:
            return tuple(self.resolve(v) for v in data["__tuple__"])
        return decode(data)

    def call(self, spec):
        import time

        target = spec["fn"]
        if isinstance(target, dict) and "helper" in target:
            fn = self.helpers[target["helper"]]
        elif isinstance(target, dict):
            fn = getattr(self.resolve({"__ref__": target["ref"]}), target["attr"])
        elif target not in self.namespace:
            return {"ok": False, "missing": True, "name": target}
        else:
            fn = self.namespace[target]
        try:
            args = [self.resolve(a) for a in spec.get("args", [])]
            kwargs = {k: self.resolve(v) for k, v in spec.get("kwargs", {}).items()}
        except MissingName as exc:      # a StudentFn argument the submission lacks
            return {"ok": False, "missing": True, "name": exc.args[0]}
        measure = spec.get("measure_memory", False)
        if measure:
            import tracemalloc
            tracemalloc.start()
        lines = [0] if spec.get("count_lines") else None
        if lines is not None:
            previous_trace = sys.gettrace()
            sys.settrace(_line_counter(lines))
        start = time.perf_counter()
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - SystemExit included
            if isinstance(exc, self.passes_through):
                raise
            return {"ok": False, "error": _error_summary(exc, self.filenames)}
        finally:
            seconds = time.perf_counter() - start
            if lines is not None:
                sys.settrace(previous_trace)
            if measure:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
        if spec.get("keep"):
            self.kept[spec["keep"]] = value
            self.kept_args[spec["keep"]] = (args, kwargs)
        reply = {"ok": True, "seconds": seconds}
        ret = spec.get("return", "value")
        if ret == "value":
            reply["value"] = encode(value, raw=self.raw)
        elif isinstance(ret, list) and isinstance(value, (tuple, list)):
            try:   # only some items of a returned tuple (a cache stays in the worker)
                reply["value"] = encode(tuple(value[i] for i in ret), raw=self.raw)
            except Exception:  # noqa: BLE001
                reply["value"] = encode(value, raw=self.raw)
        if spec.get("return_args"):
            reply["args_after"] = [encode(a, raw=self.raw) for a in args]
            reply["kwargs_after"] = {k: encode(v, raw=self.raw) for k, v in kwargs.items()}
        if measure:
            reply["peak_bytes"] = peak
        if lines is not None:
            reply["python_lines"] = lines[0]
        for key in spec.get("kept_args", ()):   # e.g. a forward's inputs, after its backward
            if key in self.kept_args:
                kept_args, kept_kwargs = self.kept_args[key]
                reply.setdefault("kept_args", {})[key] = {
                    "args": [encode(a, raw=self.raw) for a in kept_args],
                    "kwargs": {k: encode(v, raw=self.raw) for k, v in kept_kwargs.items()}}
        return reply

    def handle(self, request):
        op = request["op"]
        if op == "load":
            return self.load(request["cells"])
        if op == "call":
            return {"ok": True, "results": [self.call(spec) for spec in request["calls"]]}
        if op == "define":   # the judge's own scaffolding, kept apart from student names
            exec(compile(request["source"], "<grader helper>", "exec"), self.helpers)
            return {"ok": True}
        if op == "ping":
            return {"ok": True}
        return {"ok": False, "error": {"type": "ProtocolError", "message": op, "where": ""}}


# ---------------------------------------------------------------- process tree (both sides)
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
    CONFINED[0] = confine(settings)
    import builtins
    import _sitebuiltins                                # what ``-S`` left out:
    builtins.exit = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")   # exit() works
    builtins.quit = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")   # as in Jupyter
    import numpy  # noqa: F401 - imported before student code so it cannot be faked
    worker = Worker()
    me = os.getpid()
    while True:
        try:
            request = recv(ctl_in)
        except EOFError:
            return 0
        try:
            reply = worker.handle(request)
        except BaseException as exc:  # noqa: BLE001
            reply = {"ok": False, "error": _error_summary(exc)}
        if os.getpid() != me:      # a fork of the worker returned from student code:
            os._exit(0)            # only the worker itself may answer the judge
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - a student may have replaced it
                pass
        send(ctl_out, reply)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
