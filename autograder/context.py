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


def encode_arg(value):
    if isinstance(value, Ref):
        return {"__ref__": [value.key, *value.path]}
    if isinstance(value, Helper):
        return {"__helper__": value.name}
    if isinstance(value, StudentFn):
        return {"__fn__": value.name}
    return wire.encode(value)


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

    @property
    def label(self):
        """The name feedback gives the call."""
        return self.fn.label if isinstance(self.fn, Helper) else self.fn

    def spec(self):
        if isinstance(self.fn, Helper):
            target = {"helper": self.fn.name}
        elif self.method_of:
            target = {"ref": [self.method_of], "attr": self.fn}
        else:
            target = self.fn
        return {"fn": target, "args": [encode_arg(a) for a in self.args],
                "kwargs": {k: encode_arg(v) for k, v in self.kwargs.items()},
                "keep": self.keep, "return": self.ret, "return_args": True,
                "measure_memory": self.measure_memory}


@dataclass
class Outcome:
    value: object
    args_after: list
    kwargs_after: dict
    peak_bytes: int = None
    seconds: float = 0.0


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
        self.seed = seed_for(seed, test.name)
        self.rng = np.random.default_rng(self.seed)
        self.source = source          # autograder.structure.Source of the submission

    # ------------------------------------------------------------ calling
    def calls(self, calls):
        """Run several calls in one round trip; returns their Outcomes.  Raises
        StudentError if any raised, CheckFailed if one changed an input it must not."""
        reply = self.worker.request({"op": "call", "calls": [c.spec() for c in calls]},
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
                              result.get("peak_bytes"), result.get("seconds", 0.0))
            self._check_inputs_unchanged(call, outcome)
            outcomes.append(outcome)
        return outcomes

    def call_full(self, fn, *args, **kwargs):
        """One call; keyword options ``keep``, ``ret``, ``measure_memory``, ``method_of``
        configure the Call, the rest are passed to the function."""
        options = {k: kwargs.pop(k) for k in ("keep", "ret", "measure_memory", "method_of")
                   if k in kwargs}
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
        if call.method_of:
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
                    else " (%d of %d entries changed)" % (
                        np.count_nonzero(~((now == before) | (np.isnan(now) & np.isnan(before)))),
                        before.size)
                raise CheckFailed("%s modified its input %s in place%s; it must not change "
                                  "its arguments (work on a copy)" % (call.label, name, changed))

    def missing_message(self, fn):
        from .registry import did_you_mean

        names = self.worker.load_info.get("names", []) if self.worker.load_info else []
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

    def compare(self, label, got, expected, **tolerances):
        compare.check_array(label, got, expected, **tolerances)


def student_error_message(fn, error):
    kind, message = error.get("type", "Exception"), error.get("message", "")
    if kind == "NotImplementedError":
        return "%s is not implemented yet (it raised NotImplementedError)" % fn
    if kind == "SystemExit":
        return "%s called exit() (SystemExit %s)" % (fn, message)
    return "%s raised %s: %s%s" % (fn, kind, message, error.get("where", ""))
