"""The worker: the only process that runs student code.

Started by ``autograder.sandbox`` as ``python -I -S worker.py CTL_IN CTL_OUT SITE_DIRS_JSON``.
It imports nothing from the project (only the standard library and NumPy), so it can
run without the project on ``sys.path``: student code cannot reach ``reference`` or
the checks.  It talks to the judge over two pipes with length-prefixed JSON messages
and sends back plain data only (numbers, numeric arrays, lists, dicts, strings).

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


def encode(value, _depth=0):
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
        arr = np.ascontiguousarray(arr)
        return {"__ndarray__": base64.b64encode(arr.tobytes()).decode("ascii"),
                "dtype": arr.dtype.str, "shape": list(arr.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, _depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            key = k if type(k) is str else encode(k, _depth + 1)
            items.append([key, encode(v, _depth + 1)])
        return {"__dict__": items}
    return {"__unsupported__": type(value).__name__}


class Unsupported:
    """A value the submission returned that is not plain data (judge side)."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return "<%s>" % self.what


def decode(data):
    """Inverse of ``encode``; builds only built-in types and fresh NumPy arrays."""
    import numpy as np

    if data is None or type(data) in (bool, str, int, float):
        return data
    if type(data) is list:
        return [decode(v) for v in data]
    if type(data) is dict:
        if "__float__" in data:
            return float.fromhex(data["__float__"])
        if "__int__" in data:
            return int(data["__int__"])
        if "__ndarray__" in data:
            dtype = np.dtype(data["dtype"])
            if dtype.kind not in NUMERIC_KINDS:
                return Unsupported("array of dtype %s" % dtype)
            raw = base64.b64decode(data["__ndarray__"])
            return np.frombuffer(raw, dtype=dtype).reshape(data["shape"]).copy()
        if "__tuple__" in data:
            return tuple(decode(v) for v in data["__tuple__"])
        if "__dict__" in data:
            out = {}
            for k, v in data["__dict__"]:
                out[k if type(k) is str else decode(k)] = decode(v)
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


def _strip_magics(source):
    """IPython magics and shell escapes mean nothing outside a kernel."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return ""
    return "\n".join("pass  # " + l if l.lstrip().startswith(("%", "!")) else l
                     for l in lines)


def _error_summary(exc, filenames=()):
    """'ValueError: msg (line 3 of cell 5, in f)' from the innermost student frame."""
    import traceback

    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in filenames:
            where = " (line %d of %s, in %s)" % (frame.lineno, frame.filename.strip("<>"),
                                                frame.name)
    msg = str(exc)
    if len(msg) > 300:
        msg = msg[:300] + "..."
    return {"type": type(exc).__name__, "message": msg, "where": where}


class Worker:
    def __init__(self):
        self.namespace = {"__name__": "__main__", "__builtins__": __builtins__}
        self.kept = {}
        self.helpers = {"__builtins__": __builtins__}
        self.filenames = set()

    def load(self, cells):
        errors = []
        for i, cell in enumerate(cells):
            filename = "<%s>" % cell.get("label", "cell %d" % (i + 1))
            self.filenames.add(filename)
            try:
                code = compile(_strip_magics(cell["source"]), filename, "exec")
                exec(code, self.namespace)
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                summary = _error_summary(exc, self.filenames)
                if isinstance(exc, SyntaxError):
                    summary["where"] = " (line %s of %s)" % (exc.lineno, filename.strip("<>"))
                errors.append(summary)
        names = sorted(k for k, v in self.namespace.items()
                       if callable(v) and not k.startswith("__"))
        return {"ok": True, "cell_errors": errors, "names": names}

    def resolve(self, data):
        """Decode an argument, resolving references to worker-side objects."""
        if type(data) is dict and "__ref__" in data:
            obj = self.kept[data["__ref__"][0]]
            for index in data["__ref__"][1:]:
                obj = obj[index]
            return obj
        if type(data) is dict and "__fn__" in data:
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
        if isinstance(target, dict):
            fn = getattr(self.resolve({"__ref__": target["ref"]}), target["attr"])
        elif target not in self.namespace:
            return {"ok": False, "missing": True}
        else:
            fn = self.namespace[target]
        args = [self.resolve(a) for a in spec.get("args", [])]
        kwargs = {k: self.resolve(v) for k, v in spec.get("kwargs", {}).items()}
        measure = spec.get("measure_memory", False)
        if measure:
            import tracemalloc
            tracemalloc.start()
        start = time.perf_counter()
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - SystemExit included
            return {"ok": False, "error": _error_summary(exc, self.filenames)}
        finally:
            seconds = time.perf_counter() - start
            if measure:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
        if spec.get("keep"):
            self.kept[spec["keep"]] = value
        reply = {"ok": True, "seconds": seconds}
        ret = spec.get("return", "value")
        if ret == "value":
            reply["value"] = encode(value)
        elif isinstance(ret, list):   # only some items of a returned tuple
            try:
                reply["value"] = encode(tuple(value[i] for i in ret))
            except Exception:  # noqa: BLE001
                reply["value"] = encode(value)
        if spec.get("return_args"):
            reply["args_after"] = [encode(a) for a in args]
            reply["kwargs_after"] = {k: encode(v) for k, v in kwargs.items()}
        if measure:
            reply["peak_bytes"] = peak
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


def main(argv):
    ctl_in, ctl_out = int(argv[1]), int(argv[2])
    sys.path.extend(json.loads(argv[3]))
    sys.meta_path.insert(0, _BlockProjectImports())
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_PACKAGES:
            del sys.modules[name]
    import numpy  # noqa: F401 - imported before student code so it cannot be faked
    worker = Worker()
    while True:
        try:
            request = recv(ctl_in)
        except EOFError:
            return 0
        try:
            reply = worker.handle(request)
        except BaseException as exc:  # noqa: BLE001
            reply = {"ok": False, "error": _error_summary(exc)}
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - a student may have replaced it
                pass
        send(ctl_out, reply)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
