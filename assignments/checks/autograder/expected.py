"""Expected values of the visible checks: from the reference where it is installed
(instructors, CI), from values recorded for the checks' fixed inputs where it is not
(a student's copy, which must hold no reference implementation: SPEC.md).

A visible test asks ``t.reference("svm_loss_naive", W, X, y, reg)``.  With the
reference at hand the call is computed, and recorded when ``record()`` is active;
in a student's copy the i-th such call of a test is answered from
``autograder/expected/<assignment>.json``, after checking that the inputs hash to the
recorded digest (the inputs come from the test's seeded generator, so they are the
same as when recorded: a mismatch means the file is stale).  ``python -m autograder
record`` rewrites the files; a test fails when they are stale.
"""
import copy
import hashlib
import importlib
import json
import os

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


def digest(name, args, kwargs):
    data = json.dumps(wire.encode((name, list(args), dict(sorted(kwargs.items())))),
                      sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


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
            entries.append({"fn": name, "digest": digest(name, args, kwargs),
                            "value": encoded})
        return value
    if t.base_seed != config.SEED:
        raise StaleExpectations("visible checks run with the default seed (%d) only, "
                                "not --seed %d, without the reference" % (config.SEED,
                                                                          t.base_seed))
    entries = recorded(t.assignment.id).get(t.test.name, [])
    if index >= len(entries) or entries[index]["fn"] != name or \
            entries[index]["digest"] != digest(name, args, kwargs):
        raise StaleExpectations("no recorded expected value for call %d of %s in %s: the "
                                "recorded values are stale" % (index + 1, name, t.test.name))
    return wire.decode(entries[index]["value"])


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
