"""Expected values of the visible checks: from the reference where it is installed
(instructors, CI), from values recorded for the checks' fixed inputs where it is not
(a student's copy, which must hold no reference implementation: SPEC.md).

A visible test asks ``t.reference("svm_loss_naive", W, X, y, reg)``.  With the
reference at hand the call is computed, and recorded when ``record()`` is active;
in a student's copy the i-th such call of a test is answered from
``autograder/expected/<assignment>.json``, after checking that the inputs match the
recorded summary of them (the inputs come from the test's seeded generator, so they are
the same as when recorded up to the last bits: ``10.0 ** x`` or ``np.exp`` round
differently on another CPU's SIMD path, so the summary is compared with a tolerance,
never by its bits; a mismatch beyond it means the file is stale).  ``python -m
autograder release`` rewrites the files; a test fails when they are stale.
"""
import copy
import importlib
import json
import math
import os

import numpy as np

from . import config
from . import worker as wire
from .errors import AutograderError

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected")
_recording = []          # a stack: the active recorder's {test name: [entries]}
_loaded = {}             # assignment id -> recorded entries (student copies)


class StaleExpectations(AutograderError):
    """The recorded expected values do not match the checks (rebuild them with
    ``python -m autograder record``), or a recorded value was asked for with
    another --seed than the default."""


def reference_module(assignment_id):
    """The reference implementation, or None in a student's copy."""
    try:
        return importlib.import_module("reference.%s" % assignment_id)
    except ImportError:
        return None


def instructor_copy():
    """True where the reference is installed: hidden tests and the judge are there
    (instructors, CI); False in a student's copy."""
    return reference_module("knn") is not None


INPUT_RTOL = 1e-9         # recorded inputs vs this machine's: last-bit differences only
VALUE_RTOL = 1e-7         # a fresh recording vs the committed one (tests/test_release.py)


def summary(name, args, kwargs):
    """What identifies a reference call's inputs, as plain JSON data: exact for ints,
    strings and shapes, a float (or an array's sums) compared with a tolerance."""
    return {"fn": name, "inputs": _summarise([list(args), dict(sorted(kwargs.items()))])}


def _summarise(value):
    if value is None or type(value) in (bool, str, int) or isinstance(value, np.bool_):
        return value if not isinstance(value, np.bool_) else bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return {"float": float(value)}
    if isinstance(value, np.ndarray):
        flat = value.ravel()
        if value.dtype.kind in "biu":                                   # exact
            ints = flat.astype(np.int64)
            weights = np.arange(ints.size) % 7 - 3
            return {"shape": list(value.shape), "ints": [int(ints.sum()),
                                                         int(np.abs(ints).sum()),
                                                         int(ints @ weights)]}
        if value.dtype.kind != "f":
            return {"shape": list(value.shape), "dtype": value.dtype.str}
        flat = flat.astype(np.float64)                                  # (n,)
        weights = (np.arange(flat.size) % 7 - 3).astype(np.float64)     # exact, any CPU
        with np.errstate(all="ignore"):
            stats = [np.sum(flat), np.sum(np.abs(flat)), np.dot(flat, weights)]
        return {"shape": list(value.shape), "sums": [float(x) for x in stats]}
    if isinstance(value, (list, tuple)):
        return [_summarise(v) for v in value]
    if isinstance(value, dict):
        return {"keys": [str(k) for k in value],
                "values": [_summarise(v) for v in value.values()]}
    return {"type": type(value).__name__}


def differ(recorded_summary, summary_now, rtol=INPUT_RTOL):
    """Where two summaries disagree beyond rounding, as a path string; None if they
    agree.  Floats agree within ``rtol`` of their magnitude; an array's three sums within
    ``rtol`` of its sum of absolute values (a sum that cancels stays comparable)."""
    a, b = recorded_summary, summary_now
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return "length %d, now %d" % (len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            where = differ(x, y, rtol)
            if where:
                return "[%d]%s" % (i, where)
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return ": keys %s, now %s" % (sorted(a), sorted(b))
        if "float" in a:
            return None if _close(a["float"], b["float"], abs(a["float"]), rtol) \
                else ": %r, now %r" % (a["float"], b["float"])
        if "sums" in a and a.get("shape") == b.get("shape"):
            scale = max(abs(a["sums"][1]), abs(b["sums"][1]))
            ok = all(_close(x, y, scale, rtol) for x, y in zip(a["sums"], b["sums"]))
            return None if ok else ": array sums %s, now %s" % (a["sums"], b["sums"])
        for key in sorted(a):
            where = differ(a[key], b[key], rtol)
            if where:
                return ".%s%s" % (key, where)
        return None
    return None if a == b else ": %r, now %r" % (a, b)


def _close(x, y, scale, rtol):
    if not (math.isfinite(x) and math.isfinite(y)):
        return x == y or (math.isnan(x) and math.isnan(y))
    return abs(x - y) <= rtol * scale + 1e-300


def lookup(t, name, args, kwargs):
    """The reference's ``name(*args, **kwargs)`` for test context ``t``."""
    index = t.reference_calls
    t.reference_calls += 1
    module = reference_module(t.assignment.id)
    if module is not None:
        value = getattr(module, name)(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        if _recording and t.base_seed == config.SEED:
            encoded = wire.encode(value)
            if "__unsupported__" in json.dumps(encoded):
                raise StaleExpectations("reference %s returned a value that cannot be "
                                        "recorded" % name)
            entries = _recording[-1].setdefault(t.assignment.id, {}).setdefault(
                t.test.name, [])
            entries.append(dict(summary(name, args, kwargs), value=encoded))
        return value
    if t.base_seed != config.SEED:
        raise StaleExpectations("visible checks run with the default seed (%d) only, "
                                "not --seed %d, without the reference" % (config.SEED,
                                                                          t.base_seed))
    entries = recorded(t.assignment.id).get(t.test.name, [])
    if index >= len(entries) or entries[index].get("fn") != name:
        raise StaleExpectations("no recorded expected value for call %d of %s in %s: the "
                                "recorded values are stale" % (index + 1, name, t.test.name))
    where = differ(entries[index].get("inputs"), summary(name, args, kwargs)["inputs"])
    if where:
        raise StaleExpectations("the inputs of call %d of %s in %s differ from the recorded "
                                "ones (inputs%s): the recorded values are stale"
                                % (index + 1, name, t.test.name, where))
    return wire.decode(entries[index]["value"])


def stale_entries(committed, fresh):
    """The tests whose recorded calls differ between two recordings of one assignment
    (``{test: [entries]}``) beyond rounding: inputs within ``INPUT_RTOL``, values within
    ``VALUE_RTOL``, so a recording made on another CPU is not stale."""
    stale = []
    for test in sorted(set(committed) | set(fresh)):
        old, new = committed.get(test), fresh.get(test)
        if old is None or new is None or len(old) != len(new):
            stale.append(test)
            continue
        for a, b in zip(old, new):
            if a.get("fn") != b.get("fn") or differ(a.get("inputs"), b.get("inputs")) or \
                    differ(_summarise(wire.decode(a["value"])),
                           _summarise(wire.decode(b["value"])), VALUE_RTOL):
                stale.append(test)
                break
    return stale


def recorded(assignment_id):
    if assignment_id not in _loaded:
        path = os.path.join(FOLDER, "%s.json" % assignment_id)
        try:
            with open(path) as f:
                _loaded[assignment_id] = json.load(f)
        except OSError:
            _loaded[assignment_id] = {}
    return _loaded[assignment_id]


def points():
    """{function: all its points, hidden tests included}, recorded for a student's copy
    (which has no hidden tests) so that check cells print the grade cell's worth."""
    if "points" not in _loaded:
        with open(os.path.join(FOLDER, "points.json")) as f:
            _loaded["points"] = json.load(f)
    return _loaded["points"]


class record:
    """``with record() as values:`` collects every reference call of the tests run
    inside it, as {assignment: {test: [entries]}}."""

    def __enter__(self):
        self.values = {}
        _recording.append(self.values)
        return self.values

    def __exit__(self, *exc):
        _recording.pop()
        return False


def write(values, worths, folder=FOLDER):
    """The recorded values, one file per assignment, and every function's worth."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "points.json"), "w") as f:
        json.dump(worths, f, indent=0, sort_keys=True)
        f.write("\n")
    for assignment_id, tests in sorted(values.items()):
        with open(os.path.join(folder, "%s.json" % assignment_id), "w") as f:
            json.dump(tests, f, indent=0, sort_keys=True)
            f.write("\n")
