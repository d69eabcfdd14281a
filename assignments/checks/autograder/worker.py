"""The worker: loads a submission's cells and answers the checks' calls on them.

Both sides use it.  In the judge's isolated process (``autograder.judge.worker_process``,
which loads this file by its path) it is the only code that runs student code, and it
talks to the judge over two pipes with length-prefixed JSON messages, sending back
plain data only (numbers, numeric arrays, lists, dicts, strings).  In a student's
kernel (``autograder.local``) the same ``Worker`` answers the visible checks in
process.  It imports nothing from the project (only the standard library and NumPy).

The judge imports it too for the shared wire format (``encode``/``decode``/``send``/
``recv``); that part has no side effects.
"""
import base64
import builtins
import json
import os
import struct
import sys

HEADER = struct.Struct("<Q")
MAX_MESSAGE_BYTES = 512 * 1024 * 1024   # a larger reply is refused, not read
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


def error_summary(exc, filenames=()):
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
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.kept = {}
        self.raw = False        # True in-process: arrays travel as private copies
        self.kept_args = {}     # keep key -> (args, kwargs) of the call that made it
        self.helpers = {"__builtins__": builtins}
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
                summary = error_summary(exc, self.filenames)
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
            return {"ok": False, "error": error_summary(exc, self.filenames)}
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
