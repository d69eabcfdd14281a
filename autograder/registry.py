"""Declaring checks: each catalog function of an assignment gets its tests, once.

The same declarations serve the notebook check cells, the nbgrader grade cells and
the command-line grader.  A test is a function ``test(t)`` taking a
``autograder.context.TestContext``; it passes by returning and fails by raising
``CheckFailed`` with the feedback.
"""
import importlib
from dataclasses import dataclass, field

from .errors import UsageError

# What a test looks at.  A VALUE test compares results with known right values (the
# reference, a worked example); STRUCTURE (no loops, peak memory) and CONSISTENCY
# (a gradient check against the submission's own loss, an invariance, a property that
# a constant can satisfy) tests score only when every value test of the same function
# passed: code that does nothing useful earns nothing for its shape (SPEC.md).
VALUE, STRUCTURE, CONSISTENCY = "value", "structure", "consistency"
GATED = (STRUCTURE, CONSISTENCY)

ASSIGNMENT_MODULES = ("knn", "linear_classifiers", "backprop", "optimizers", "batchnorm",
                      "dropout", "conv", "cnn_training", "perceptron", "detection")


@dataclass
class Test:
    name: str               # unique within the assignment: "<function>.<what>"
    function: str           # the catalog function it grades
    points: float
    run: object             # callable(t)
    hidden: bool = False    # hidden tests run only in grade cells and the CLI
    doc: str = ""
    kind: str = VALUE       # VALUE, or a kind in GATED (points only when values are right)
    min_timeout: float = None   # seconds this test gets at least (a training run)

    @property
    def gated(self):
        return self.kind in GATED


@dataclass
class Function:
    name: str
    params: tuple           # parameter names, for feedback ("X_train was modified")
    may_modify: tuple = ()  # parameters the catalog allows it to change (state dicts)
    loops_allowed: bool = True


@dataclass
class Assignment:
    id: str
    title: str
    functions: dict = field(default_factory=dict)
    tests: list = field(default_factory=list)

    def function(self, name, params, may_modify=(), loops_allowed=True):
        self.functions[name] = Function(name, tuple(params), tuple(may_modify), loops_allowed)

    def test(self, function, points, hidden=False, name=None, kind=VALUE, min_timeout=None):
        """Decorator registering ``run(t)`` as a test of ``function``; ``kind`` says
        whether its points depend on the function's values being right; ``min_timeout``
        raises the per-test time limit for this test (a training run)."""
        if function not in self.functions:
            raise UsageError("unknown function %s in %s" % (function, self.id))
        if kind not in (VALUE,) + GATED:
            raise UsageError("unknown test kind %r" % kind)

        def register(run):
            test_name = "%s.%s" % (function, name or run.__name__)
            self.tests.append(Test(test_name, function, float(points), run, hidden,
                                   (run.__doc__ or "").strip(), kind, min_timeout))
            return run
        return register

    @property
    def max_score(self):
        return sum(t.points for t in self.tests)


def load(assignment_id):
    """The Assignment declared in ``autograder.checks.<id>``."""
    if assignment_id not in ASSIGNMENT_MODULES:
        raise UsageError("unknown assignment %r%s" % (assignment_id, did_you_mean(
            assignment_id, ASSIGNMENT_MODULES)))
    module = importlib.import_module("autograder.checks.%s" % assignment_id)
    return module.ASSIGNMENT


def all_assignments():
    return [load(a) for a in ASSIGNMENT_MODULES]


def did_you_mean(word, choices):
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1)
    if close:
        return " (did you mean %s?)" % close[0]
    return " (choose from %s)" % ", ".join(choices)


def assignment_of(function):
    """The id of the assignment whose catalog has ``function``."""
    for a in all_assignments():
        if function in a.functions:
            return a.id
    names = [f for a in all_assignments() for f in a.functions]
    raise UsageError("no assignment has a function %r%s" % (function,
                                                           did_you_mean(function, names)))
