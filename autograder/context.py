"""What a test sees: calls into the submission (across the process boundary),
a seeded generator, and the submission's source for structural checks."""
import hashlib
from dataclasses import dataclass, field

import numpy as np

from . import compare, config
from . import worker as wire
from .errors import CheckFailed, StudentError


class Ref:
    """A worker-side object, e.g. the cache of a forward call kept as ``keep="fwd"``:
    ``Ref("fwd", 1)`` is item 1 of what that call returned."""

    def __init__(self, key, *path):
        self.key, self.path = key, path


class Helper:
    """A judge-supplied helper function defined in the worker (``TestContext.define``).
    As an argument it is passed to the submission; as a Call's ``fn`` it is called,
    ``label`` (the student's name it wraps, e.g. a class) names it in feedback and
    ``params`` names its parameters (an array argument must come back unchanged)."""

    def __init__(self, name, label=None, params=()):
        self.name, self.label, self.params = name, label or name, tuple(params)


class StudentFn:
    """One of the submission's own functions, passed as an argument by name."""

    def __init__(self, name):
        self.name = name


def encode_arg(value, raw=False):
    if isinstance(value, Ref):
        return {"__ref__": [value.key, *value.path]}
    if isinstance(value, Helper):
        return {"__helper__": value.name}
    if isinstance(value, StudentFn):
        return {"__fn__": value.name}
    return wire.encode(value, raw=raw)


@dataclass
class Call:
    """One call of a submission function; ``ret`` limits what comes back (``"none"``
    or a list of tuple indices) so that non-data items such as caches stay put."""
    fn: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    keep: str = None
    ret: object = "value"
    measure_memory: bool = False
    method_of: str = None     # call a method of a kept object: fn is the method name
    count_lines: bool = False  # count the Python lines the call runs (Outcome.python_lines)

    @property
    def label(self):
        """The name feedback gives the call."""
        return self.fn.label if isinstance(self.fn, Helper) else self.fn

    def refs(self):
        """The keep keys of the worker-side objects passed as arguments (a cache)."""
        values = list(self.args) + list(self.kwargs.values())
        return sorted({v.key for v in values if isinstance(v, Ref)})

    def spec(self, raw=False):
        if isinstance(self.fn, Helper):
            target = {"helper": self.fn.name}
        elif self.method_of:
            target = {"ref": [self.method_of], "attr": self.fn}
        else:
            target = self.fn
        return {"fn": target, "args": [encode_arg(a, raw) for a in self.args],
                "kwargs": {k: encode_arg(v, raw) for k, v in self.kwargs.items()},
                "keep": self.keep, "return": self.ret, "return_args": True,
                "measure_memory": self.measure_memory, "kept_args": self.refs(),
                "count_lines": self.count_lines}


@dataclass
class Outcome:
    value: object
    args_after: list
    kwargs_after: dict
    peak_bytes: int = None
    seconds: float = 0.0
    python_lines: int = None


def seed_for(seed, test_name):
    """A per-test seed: stable across runs, different for every test and --seed."""
    digest = hashlib.sha256(("%d:%s" % (seed, test_name)).encode()).digest()
    return int.from_bytes(digest[:8], "little")


class TestContext:
    __test__ = False      # not a pytest class
    def __init__(self, assignment, test, worker, deadline, seed, source):
        self.assignment = assignment
        self.test = test
        self.worker = worker
        self.deadline = deadline
        self.base_seed = seed         # --seed; self.seed is this test's own
        self.seed = seed_for(seed, test.name)
        self.reference_calls = 0      # counts t.reference() calls (autograder.expected)
        self.rng = np.random.default_rng(self.seed)
        self.source = source          # autograder.structure.Source of the submission
        self.kept_inputs = {}         # keep key -> (Call, args and kwargs after that call)

    # ------------------------------------------------------------ calling
    def calls(self, calls):
        """Run several calls in one round trip; returns their Outcomes.  Raises
        StudentError if any raised, CheckFailed if one changed an input it must not."""
        raw = getattr(self.worker, "in_process", False)
        reply = self.worker.request({"op": "call", "calls": [c.spec(raw) for c in calls]},
                                    self.deadline)
        if not reply.get("ok"):
            raise StudentError("the grader's worker could not run the call: %s"
                               % reply.get("error"))
        outcomes = []
        for call, result in zip(calls, reply["results"]):
            if result.get("missing"):
                raise StudentError(self.missing_message(result.get("name") or call.label))
            if not result.get("ok"):
                raise StudentError(student_error_message(call.label, result["error"]))
            outcome = Outcome(wire.decode(result.get("value")),
                              [wire.decode(a) for a in result.get("args_after", [])],
                              {k: wire.decode(v) for k, v in result.get("kwargs_after", {}).items()},
                              result.get("peak_bytes"), result.get("seconds", 0.0),
                              result.get("python_lines"))
            self._check_inputs_unchanged(call, outcome)
            self._check_kept_inputs_unchanged(call, result.get("kept_args") or {})
            if call.keep:
                self.kept_inputs[call.keep] = (call, outcome.args_after, outcome.kwargs_after)
            outcomes.append(outcome)
        return outcomes

    def call_full(self, fn, *args, **kwargs):
        """One call; keyword options ``keep``, ``ret``, ``measure_memory``, ``method_of``
        configure the Call, the rest are passed to the function."""
        options = {k: kwargs.pop(k) for k in ("keep", "ret", "measure_memory", "method_of",
                                              "count_lines") if k in kwargs}
        return self.calls([Call(fn, args, kwargs, **options)])[0]

    def call(self, fn, *args, **kwargs):
        """Call a submission function and return its (plain-data) result."""
        return self.call_full(fn, *args, **kwargs).value

    def define(self, source):
        """Define judge-supplied helper functions in the worker (not secret: plain
        test scaffolding such as a known loss function)."""
        reply = self.worker.request({"op": "define", "source": source}, self.deadline)
        if not reply.get("ok"):
            raise StudentError("the grader could not define its helper: %s" % reply.get("error"))

    def _check_inputs_unchanged(self, call, outcome):
        """Only the function under test is charged for changing its inputs: a forward
        called to make its backward's cache may be in-place without costing the
        backward (SPEC.md: a bug costs points only under its function)."""
        if call.method_of or (not isinstance(call.fn, Helper) and
                              call.fn != self.test.function):
            return
        if isinstance(call.fn, Helper):   # the student's code sees the helper's arrays
            params, allowed = call.fn.params, ()
        else:
            function = self.assignment.functions.get(call.fn)
            params = function.params if function else ()
            allowed = function.may_modify if function else ()
        sent = list(zip(range(len(call.args)), call.args)) + list(call.kwargs.items())
        after = dict(enumerate(outcome.args_after))
        after.update(outcome.kwargs_after)
        for key, before in sent:
            name = params[key] if isinstance(key, int) and key < len(params) else str(key)
            if name in allowed or not isinstance(before, np.ndarray):
                continue
            now = after.get(key)
            if not (isinstance(now, np.ndarray) and now.shape == before.shape and
                    np.array_equal(now, before, equal_nan=True)):
                changed = "" if not isinstance(now, np.ndarray) or now.shape != before.shape \
                    else " (%d of %d entries changed)" % (_count_changed(before, now),
                                                          before.size)
                raise CheckFailed("%s modified its input %s in place%s; it must not change "
                                  "its arguments (work on a copy)" % (call.label, name, changed))

    def _check_kept_inputs_unchanged(self, call, kept_args):
        """A call given a kept object (a backward given its forward's cache) must not
        change, through it, the arrays the kept call received.  Fails closed: a reply
        without them (a worker tampered with by the submission) scores nothing."""
        for key in call.refs():
            if key not in self.kept_inputs:
                continue
            data = kept_args.get(key)
            if not isinstance(data, dict):
                raise CheckFailed("%s: the submission's process did not send back the "
                                  "arrays %s received, so they cannot be checked unchanged"
                                  % (call.label, self.kept_inputs[key][0].label))
            made_by, args_before, kwargs_before = self.kept_inputs[key]
            params = self.assignment.functions[made_by.fn].params \
                if made_by.fn in self.assignment.functions else ()
            before = list(enumerate(args_before)) + list(kwargs_before.items())
            after = dict(enumerate(wire.decode(a) for a in data.get("args", [])))
            after.update({k: wire.decode(v) for k, v in data.get("kwargs", {}).items()})
            for index, old in before:
                if not isinstance(old, np.ndarray):
                    continue
                new = after.get(index)
                if isinstance(new, np.ndarray) and new.shape == old.shape and \
                        np.array_equal(new, old, equal_nan=True):
                    continue
                name = params[index] if isinstance(index, int) and index < len(params) \
                    else str(index)
                changed = "" if not isinstance(new, np.ndarray) or new.shape != old.shape \
                    else " (%d of %d entries changed)" % (_count_changed(old, new), old.size)
                raise CheckFailed("%s changed %s, an input of %s, through the cache%s; a "
                                  "backward must not modify the arrays its forward received "
                                  "(work on a copy)" % (call.label, name, made_by.label,
                                                        changed))

    def missing_message(self, fn):
        """Why ``fn`` is missing: the cell that defines it but failed, else a near miss
        among the submission's own names (never another catalog function)."""
        from .registry import all_assignments, did_you_mean

        info = self.worker.load_info or {}
        reason = failed_definition(fn, info.get("cell_errors", []),
                                   getattr(self.worker, "skipped", {}),
                                   getattr(self.worker, "cells", []))
        if reason:
            return "%s is not defined in the submission: %s" % (fn, reason)
        catalog = {name for a in all_assignments() for name in a.functions}
        names = [n for n in info.get("names", []) if n not in catalog]
        hint = did_you_mean(fn, names) if names else ""
        if "choose from" in hint:
            hint = ""
        return "%s is not defined in the submission%s" % (fn, hint)

    # ------------------------------------------------------------ helpers for tests
    def examples(self, strategy, body, max_examples=config.HYPOTHESIS_EXAMPLES):
        """Run ``body(case)`` on hypothesis-generated cases (seeded by --seed and the
        test's name; no shrinking, so a failure costs one evaluation).  The failing
        case's description is added to the feedback."""
        from hypothesis import HealthCheck, Phase, given, seed, settings

        failure = []

        @seed(self.seed)
        @settings(max_examples=max_examples, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], derandomize=False,
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                  print_blob=False)
        @given(strategy)
        def run(case):
            if failure:
                return
            try:
                body(case)
            except (CheckFailed, StudentError) as exc:
                failure.append((exc, case))

        run()
        if failure:
            exc, case = failure[0]
            where = getattr(case, "describe", lambda: "")()
            raise type(exc)("%s%s" % (exc, " [case: %s]" % where if where else ""))

    def require_no_loops(self, fn):
        """Fail if the submission's definition of ``fn`` loops in Python (or is still
        an unimplemented stub: a stub has no loop, but earns no points for that)."""
        if self.source.unimplemented(fn):
            raise StudentError("%s is not implemented yet (it raises NotImplementedError)"
                               % fn)
        problem = self.source.loop_in(fn)
        if problem:
            raise CheckFailed("%s must not use Python loops, but %s" % (fn, problem))

    def reference(self, name, *args, **kwargs):
        """The reference implementation's ``name(*args, **kwargs)``: computed where the
        reference is installed, else read from the values recorded for the visible
        checks (``autograder.expected``).  Arguments are never modified."""
        from . import expected
        return expected.lookup(self, name, args, kwargs)

    def compare(self, label, got, expected, **tolerances):
        compare.check_array(label, got, expected, **tolerances)


def _count_changed(before, now):
    with np.errstate(invalid="ignore"):
        same = (now == before) | (np.isnan(now) & np.isnan(before))
    return int(np.count_nonzero(~same))


def student_error_message(fn, error):
    kind, message = error.get("type", "Exception"), error.get("message", "")
    if kind == "NotImplementedError":
        return "%s is not implemented yet (it raised NotImplementedError)" % fn
    if kind == "SystemExit":
        return "%s called exit() (SystemExit %s)" % (fn, message)
    return "%s raised %s: %s%s" % (fn, kind, message, error.get("where", ""))


def failed_definition(fn, cell_errors, skipped=None, cells=()):
    """Why ``fn`` is missing when a cell whose text defines it failed while loading,
    e.g. "cell 3 did not run (SyntaxError at line 5: invalid syntax)"; else None.
    ``cell_errors`` are the worker's load errors, ``skipped`` maps the index of each
    cell that killed the worker to its note."""
    reason = None
    for error in cell_errors:
        if fn in error.get("defines", ()):
            at = " at line %s" % error["line"] if error.get("line") else ""
            said = ": %s" % error["message"] if error.get("message") else ""
            did = "stopped before defining it" if error.get("compiled") else "did not run"
            reason = "%s %s (%s%s%s)" % (_place(error["cell"], error.get("start", 1)), did,
                                         error.get("type"), at, said)
    for index, note in sorted((skipped or {}).items()):
        source = cells[index].get("source", "") if index < len(cells) else ""
        if fn in wire.defined_in(source):
            label = cells[index].get("label") or "cell %d" % (index + 1)
            reason = "%s was skipped (%s)" % (_place(label, wire.first_line(source)),
                                             note.get("message", "").split(";")[0])
    return reason


def _place(label, start):
    """A cell by its label; a statement of a .py file by its first line."""
    return "the statement at line %d of %s" % (start, label) if label.endswith(".py") \
        else label
