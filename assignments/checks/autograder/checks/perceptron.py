"""Checks of the perceptron assignment (catalog: SPEC.md, "perceptron"): "deep learning
from scratch", chapters 2-4.

Gates are graded on their truth tables, on inputs exactly on the line w . x + b = 0
(0 there) and, hidden, on real-valued inputs near it (the book's weights); XOR by
behaviour and by its source (built from the gates). Activations and losses are compared
with the reference away from kinks; the boundary conventions (step_function(0) = 0,
softmax with each row's own max) each have a small test of their own.
``numerical_gradient`` and ``gradient_descent`` are fed judge-written functions of
known gradient, defined in the submission's process (``HELPERS``), one of them reading x
through a closure as the book's ``lambda W: net.loss(x, t)`` does.
"""
import ast
import numbers

import numpy as np
from hypothesis import strategies as st


from ..cases import cases, sizes
from ..compare import as_number, check_array, check_scalar, describe, fmt
from ..context import Helper, StudentFn
from ..errors import CheckFailed, StudentError
from ..registry import STRUCTURE, Assignment

ASSIGNMENT = Assignment("perceptron", "Perceptrons to numerical gradients")
GATES = {"AND": ((0.5, 0.5), -0.7), "NAND": ((-0.5, -0.5), 0.7), "OR": ((0.5, 0.5), -0.2)}
for _gate in tuple(GATES) + ("XOR",):
    ASSIGNMENT.function(_gate, ("x1", "x2"))
for _name in ("step_function", "sigmoid", "relu"):
    ASSIGNMENT.function(_name, ("x",))
ASSIGNMENT.function("softmax", ("a",))
ASSIGNMENT.function("mean_squared_error", ("y", "t"))
ASSIGNMENT.function("cross_entropy_error", ("y", "t"))
# x is perturbed in place and must be put back: checked with a tolerance by its own test
# (x + h - 2h + h is x up to an ulp), not by the exact inputs-unchanged check.
ASSIGNMENT.function("numerical_gradient", ("f", "x"), may_modify=("x",))
# The book's own gradient_descent updates init_x in place: that costs its own test only.
ASSIGNMENT.function("gradient_descent", ("f", "init_x", "lr", "step_num"),
                    may_modify=("init_x",))

INPUTS = ((0, 0), (1, 0), (0, 1), (1, 1))
TRUTH = {"AND": (0, 0, 0, 1), "NAND": (1, 1, 1, 0), "OR": (0, 1, 1, 1), "XOR": (0, 1, 1, 0)}
MARGIN = 1e-3        # real gate inputs and activations stay this far from a decision line
GRAD_RTOL = 1e-6     # central differences of smooth functions vs their exact gradient:
GRAD_ATOL = 1e-7     # truncation h^2/6 f''' ~ 2e-8 at most here; forward differences are
                     # off by h/2 f'' ~ 1e-4
DESCENT_ATOL = 1e-7  # rounding of f(x +- h) / 2h (~1e-9 per step, damped) vs a wrong step
RESTORE_TOL = 1e-12  # x after numerical_gradient, relative to max(1, |x|): a few ulps

# Functions of known gradient, defined in the submission's process (plain scaffolding).
HELPERS = '''
import numpy as np

def function_2(x):
    """The book's f(x0, x1) = x0**2 + x1**2 (any shape: the sum of squares)."""
    return np.sum(x ** 2)

def weighted_sine(x):
    """sum(k * sin(x)), k = 1, 2, ... in x's own order: each entry its own weight."""
    return np.sum(np.arange(1.0, x.size + 1).reshape(x.shape) * np.sin(x))

def shaped_exp(x):
    """Only for x of shape (3, 4): a flattened or reshaped copy does not broadcast."""
    return np.sum(np.arange(12.0).reshape(3, 4) / 6.0 * np.exp(0.5 * x))

class SimpleNet:
    """The book's simpleNet pattern: the loss reads the weights from the net."""

    def __init__(self, W):
        self.W = W

    def loss(self):
        return weighted_sine(self.W)

def closure_gradient(numerical_gradient, W):
    """The book's numerical_gradient(f, net.W) with f = lambda w: net.loss(x, t): f ignores
    its argument and reads the weights through the net."""
    net = SimpleNet(np.array(W, dtype=np.float64))
    f = lambda w: net.loss()
    return numerical_gradient(f, net.W)

def bowl(x):
    """sum(a * (x - c)**2) with a, c fixed per entry (a 3-vector or a 2 x 3 matrix)."""
    a = np.array([1.0, 2.0, 0.5, 1.5, 0.8, 1.2])[:x.size].reshape(x.shape)
    c = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 0.25])[:x.size].reshape(x.shape)
    return np.sum(a * (x - c) ** 2)
'''
BOWL_A = np.array([1.0, 2.0, 0.5, 1.5, 0.8, 1.2])
BOWL_C = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 0.25])
GRADIENTS = {
    "function_2": lambda x: 2 * x,
    "weighted_sine": lambda x: np.arange(1.0, x.size + 1).reshape(x.shape) * np.cos(x),
    "shaped_exp": lambda x: np.arange(12.0).reshape(3, 4) / 6.0 * 0.5 * np.exp(0.5 * x),
    "bowl": lambda x: 2 * BOWL_A[:x.size].reshape(x.shape) * (x - BOWL_C[:x.size].reshape(
        x.shape)),
}


# ------------------------------------------------------------------------ gates

def _bit(label, got):
    """A gate's output as 0 or 1: ints, floats 0.0/1.0, bools and one-element arrays."""
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.reshape(()).item()
    if isinstance(got, (bool, np.bool_)):
        return int(got)
    if isinstance(got, numbers.Real) and got in (0, 1):
        return int(got)
    raise CheckFailed("%s: expected 0 or 1, got %s" % (
        label, fmt(got) if isinstance(got, numbers.Real) else describe(got)))


def _truth_table(t, gate):
    """The four outputs, checked against the gate's truth table."""
    for (x1, x2), want in zip(INPUTS, TRUTH[gate]):
        got = _bit("%s(%d, %d)" % (gate, x1, x2), t.call(gate, x1, x2))
        if got != want:
            table = ", ".join("%s%s = %d" % (gate, xs, y) for xs, y in zip(INPUTS, TRUTH[gate]))
            raise CheckFailed("%s(%d, %d): expected %d, got %d (the truth table: %s)"
                              % (gate, x1, x2, want, got, table))


# Inputs exactly on each gate's line w . x + b = 0 in floating point, however the sum is
# written (np.sum(w * x) + b, np.dot, w1*x1 + w2*x2 + b, the book's x1*w1 + x2*w2 <= theta):
# 0.5 * 0.7 is half of the float 0.7, two halves add back to it exactly, 0.7 - 0.7 is 0.
ON_THE_LINE = {"AND": ((0.7, 0.7), (1.4, 0.0), (0.0, 1.4)),
               "NAND": ((0.7, 0.7), (1.4, 0.0), (0.0, 1.4)),
               "OR": ((0.2, 0.2), (0.4, 0.0), (0.0, 0.4))}


def _line_hint(t, gate):
    """When the truth table is right, the gate only gets the line itself wrong."""
    try:
        _truth_table(t, gate)
    except (CheckFailed, StudentError):
        return ""
    return (": compare with > 0, not >= 0%s"
            % ("; NAND is a perceptron of its own, not 1 - AND (which is 1 where AND's "
               "w . x + b is 0)" if gate == "NAND" else ""))


def _declare_gate_tests(gate):
    w, b = GATES[gate]

    @ASSIGNMENT.test(gate, points=1, name="truth_table")
    def truth_table(t):
        """The gate's truth table on the inputs 0 and 1."""
        _truth_table(t, gate)

    @ASSIGNMENT.test(gate, points=1, name="on_the_line")
    def on_the_line(t):
        """On the line itself, w . x + b == 0, the gate gives 0: a perceptron is 1 only
        where w . x + b > 0 (inputs whose w . x + b is exactly 0.0 in floating point)."""
        for x1, x2 in ON_THE_LINE[gate]:
            want = t.reference(gate, x1, x2)
            got = _bit("%s(%s, %s)" % (gate, x1, x2), t.call(gate, x1, x2))
            if got != want:
                raise CheckFailed(
                    "%s(%s, %s): expected %d, got %d: with the book's weights w = (%s, %s), "
                    "b = %s, w . x + b is exactly 0 here, and a perceptron gives 1 only if "
                    "w . x + b > 0 (0 when it is <= 0)%s"
                    % (gate, x1, x2, want, got, w[0], w[1], b, _line_hint(t, gate)))



for _gate in GATES:
    _declare_gate_tests(_gate)


@ASSIGNMENT.test("XOR", points=1, name="truth_table")
def xor_truth_table(t):
    """XOR's truth table (1 exactly when one input is 1)."""
    try:
        _truth_table(t, "XOR")
    except (CheckFailed, StudentError) as exc:
        raise type(exc)("%s%s" % (exc, _gates_hint(t))) from None


def _gates_hint(t):
    """XOR is built from the student's own gates (SPEC): name those that are wrong."""
    wrong = []
    for gate in GATES:
        try:
            _truth_table(t, gate)
        except (CheckFailed, StudentError):
            wrong.append(gate)
    if not wrong:
        return ""
    return "; XOR is built from your gates, and %s %s a wrong truth table (see %s own checks)" \
        % (", ".join(wrong), "has" if len(wrong) == 1 else "have",
           "its" if len(wrong) == 1 else "their")


XOR_CALLS = {"logical_xor", "bitwise_xor", "xor", "not_equal", "__xor__", "__ne__"}


def xor_shortcut(source):
    """Why XOR is not built from the gates, or None: it may use its inputs only as
    arguments of AND, NAND and OR, and must not use ``^``, ``!=`` or an xor function."""
    node = source.defs.get("XOR")
    if node is None:
        return "its definition (def XOR) was not found in the source, so it cannot be checked"
    inputs = {a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
    gate_args = set()          # the argument nodes of gate calls: the only place for inputs
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in GATES:
            gate_args.update(id(a) for a in sub.args)
            gate_args.update(id(k.value) for k in sub.keywords)
    where = "line %%d of %s" % source.labels["XOR"]
    for sub in ast.walk(node):
        line = getattr(sub, "lineno", node.lineno)
        if isinstance(sub, (ast.BinOp, ast.AugAssign)) and isinstance(sub.op, ast.BitXor):
            return "XOR uses ^ (%s)" % (where % line)
        if isinstance(sub, ast.Compare) and any(isinstance(op, ast.NotEq) for op in sub.ops):
            return "XOR uses != (%s)" % (where % line)
        if isinstance(sub, ast.Call):
            callee = sub.func.attr if isinstance(sub.func, ast.Attribute) else \
                getattr(sub.func, "id", None)
            if callee in XOR_CALLS:
                return "XOR calls %s() (%s)" % (callee, where % line)
        if isinstance(sub, ast.Name) and sub.id in inputs and isinstance(sub.ctx, ast.Load) \
                and id(sub) not in gate_args:
            return ("XOR uses its input %s other than as an argument of AND, NAND or OR (%s)"
                    % (sub.id, where % line))
    return None


@ASSIGNMENT.test("XOR", points=1, kind=STRUCTURE)
def built_from_gates(t):
    """XOR is a two-layer network of the gates: its inputs go only into AND, NAND and OR
    (no ^, no !=, no comparison of the inputs)."""
    if t.source.unimplemented("XOR"):
        raise StudentError("XOR is not implemented yet (it raises NotImplementedError)")
    problem = xor_shortcut(t.source)
    if problem:
        raise CheckFailed("%s: build XOR from the gates in two layers, as the book does: "
                          "AND(NAND(x1, x2), OR(x1, x2))" % problem)


# ------------------------------------------------------------------ activations

def _away_from(rng, shape, kink, scale):
    """Values of ``shape`` drawn around 0 at ``scale``, none within MARGIN of ``kink``."""
    x = rng.standard_normal(shape) * scale                       # shape
    near = np.abs(x - kink) < MARGIN
    x[near] = kink + np.where(x[near] >= kink, 2, -2) * MARGIN
    return x


def _check_activation(t, name, x, expected, what=""):
    got = t.call(name, x)
    if isinstance(got, np.ndarray) and got.dtype.kind == "b":
        got = got.astype(np.int64)          # a step function's bools are its 0s and 1s
    check_array("%s(x)%s" % (name, what), got, expected)


def _declare_activation_tests(name, kink, doc):
    def values(t):
        x = _away_from(t.rng, (4, 5), kink, 3.0)                 # (4, 5)
        _check_activation(t, name, x, t.reference(name, x), " (x of shape (4, 5))")
        x = _away_from(t.rng, (7,), kink, 3.0)                   # (7,)
        _check_activation(t, name, x, t.reference(name, x), " (x of shape (7,))")
    values.__doc__ = doc
    ASSIGNMENT.test(name, points=1, name="values")(values)



_declare_activation_tests("step_function", 0.0,
                          "1 where x > 0, 0 elsewhere, elementwise on 1-D and 2-D arrays.")
_declare_activation_tests("sigmoid", 0.0, "1 / (1 + exp(-x)) elementwise.")
_declare_activation_tests("relu", 0.0, "max(0, x) elementwise.")


@ASSIGNMENT.test("step_function", points=1, name="zero_gives_zero")
def step_at_zero(t):
    """step_function(0) is 0, as the book's x > 0: exact zeros (and -0.0) inside a 1-D and
    a 2-D array give 0."""
    x = np.array([-1.5, 0.0, 2.0, 0.0, -0.0, 0.5])                  # (6,)
    for shape in ((6,), (2, 3)):
        xs = x.reshape(shape)
        got = t.call("step_function", xs)
        if isinstance(got, np.ndarray) and got.shape == xs.shape and got.dtype.kind in "biuf" \
                and np.all(got[xs == 0] == 1) and np.all(got[xs != 0] == (xs[xs != 0] > 0)):
            raise CheckFailed("step_function(x) for x = %s (shape %s) gives 1 where x is 0: the "
                              "step is 1 only where x > 0, so step_function(0) is 0 (x > 0, not "
                              "x >= 0)" % (x.tolist(), shape))
        _check_activation(t, "step_function", xs, t.reference("step_function", xs),
                          " (x = %s, shape %s)" % (x.tolist(), shape))


@ASSIGNMENT.test("softmax", points=1)
def rows_sum_to_one(t):
    """exp(a) / sum(exp(a)) for a vector, and for each row of a 2-D batch (each row sums
    to 1)."""
    a = t.rng.standard_normal(6) * 2.0                          # (6,)
    check_array("softmax(a) (a of shape (6,))", t.call("softmax", a), t.reference("softmax", a))
    a = t.rng.standard_normal((4, 5)) * 2.0                     # (4, 5)
    got = t.call("softmax", a)
    if isinstance(got, np.ndarray) and got.shape == a.shape and got.dtype.kind == "f" and \
            np.allclose(np.sum(got), 1.0, rtol=1e-9):
        raise CheckFailed("softmax(a) for a of shape (4, 5) sums to 1 over the whole batch; "
                          "each ROW must sum to 1 (sum along the last axis, keepdims=True)")
    check_array("softmax(a) (a of shape (4, 5), one softmax per row)", got,
                t.reference("softmax", a))


@ASSIGNMENT.test("softmax", points=1)
def stable(t):
    """Scores near 1000 (exp overflows): the max is subtracted first, so the result is
    finite and the same as for the scores minus 1000."""
    for shape in ((5,), (3, 4)):
        a = 1000.0 + t.rng.standard_normal(shape) * 2.0         # shape
        got = t.call("softmax", a)
        if isinstance(got, np.ndarray) and got.dtype.kind == "f" and \
                not np.all(np.isfinite(got)):
            raise CheckFailed("softmax(a) with scores near 1000 (shape %s) returned NaN or inf: "
                              "exp(1000) overflows; subtract the max first, "
                              "exp(a - max(a)) / sum(exp(a - max(a)))" % (shape,))
        check_array("softmax(a) (scores near 1000, shape %s)" % (shape,), got,
                    t.reference("softmax", a))


@ASSIGNMENT.test("softmax", points=1, name="each_row_its_own_max")
def each_row_its_own_max(t):
    """A batch whose rows lie far apart (scores near 0, near 1000 and near -30): each row
    subtracts its OWN max; the batch's max would leave exp(-1000) = 0 in the other rows."""
    offsets = np.array([[0.0], [1000.0], [-30.0]])                  # (3, 1)
    a = offsets + t.rng.standard_normal((3, 5)) * 2.0               # (3, 5)
    expected = t.reference("softmax", a)
    got = t.call("softmax", a)
    label = "softmax(a) (shape (3, 5), rows near 0, 1000 and -30)"
    try:
        check_array(label, got, expected)
    except CheckFailed as exc:
        if isinstance(got, np.ndarray) and got.shape == a.shape and got.dtype.kind == "f":
            with np.errstate(invalid="ignore"):
                wrong = ~np.all(np.isclose(got, expected, rtol=1e-6, atol=1e-12), axis=1)
            if not wrong[1] and wrong[0] and wrong[2]:
                raise CheckFailed(
                    "%s; rows 0 and 2 are wrong%s, row 1 is right: subtract each row's own max, "
                    "np.max(a, axis=-1, keepdims=True); with the batch's max (about 1000) "
                    "exp(a - max) is 0 in the rows far below it (0 / 0)"
                    % (exc, " (NaN)" if not np.all(np.isfinite(got)) else "")) from None
        raise




# ------------------------------------------------------------------------ losses

def _probabilities(rng, N, C):
    """Rows of probabilities to feed the losses: whole-number weights over their (exact)
    row sum, so that the inputs, and a student's copy's recorded values for them, are
    the same bits on every CPU (no exp, whose last bit varies with the SIMD code)."""
    weights = rng.integers(1, 40, size=(N, C)).astype(np.float64)     # (N, C)
    return weights / weights.sum(axis=1, keepdims=True)


def _one_hot(labels, C):
    t = np.zeros((labels.size, C))                                   # (N, C)
    t[np.arange(labels.size), labels] = 1.0
    return t


@ASSIGNMENT.test("mean_squared_error", points=1)
def book_example(t):
    """The book's example: y = softmax output for ten classes, t one-hot for 2; then a
    batch (0.5 * the sum of squares over everything, not a mean)."""
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    target = np.zeros(10)
    target[2] = 1.0
    check_scalar("mean_squared_error(y, t) (the book's example, 0.0975)",
                 t.call("mean_squared_error", y, target), 0.0975)
    y = _probabilities(t.rng, 4, 3)                                  # (4, 3)
    target = _one_hot(t.rng.integers(0, 3, size=4), 3)              # (4, 3)
    check_scalar("mean_squared_error(y, t) (a batch of 4, y and t of shape (4, 3))",
                 t.call("mean_squared_error", y, target),
                 t.reference("mean_squared_error", y, target))




def _check_ce(label, got, expected, batch):
    """A cross-entropy value against the expected mean; a sum over the batch of ``batch``
    examples is named as such."""
    try:
        check_scalar(label, got, expected)
    except CheckFailed as exc:
        try:
            value = as_number(label, got)
        except CheckFailed:
            raise exc from None
        if batch > 1 and abs(value - batch * expected) <= 1e-6 * abs(batch * expected):
            raise CheckFailed("%s; got is %d x the expected value: sum over the batch instead "
                              "of the mean? Divide by the batch size, y.shape[0]"
                              % (exc, batch)) from None
        raise


@ASSIGNMENT.test("cross_entropy_error", points=1)
def one_hot_and_labels(t):
    """The book's example (a 1-D y is a batch of one, t one-hot), then a batch with one-hot
    targets and the same batch with label targets: the mean of -log(y[label] + 1e-7)."""
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    target = np.zeros(10)
    target[2] = 1.0
    check_scalar("cross_entropy_error(y, t) (the book's example, -log(0.6 + 1e-7))",
                 t.call("cross_entropy_error", y, target),
                 t.reference("cross_entropy_error", y, target))
    y = _probabilities(t.rng, 5, 4)                                  # (5, 4)
    labels = t.rng.integers(0, 4, size=5)                            # (5,)
    expected = t.reference("cross_entropy_error", y, labels)
    _check_ce("cross_entropy_error(y, t) (a batch of 5, t one-hot of shape (5, 4))",
              t.call("cross_entropy_error", y, _one_hot(labels, 4)), expected, 5)
    _check_ce("cross_entropy_error(y, t) (a batch of 5, t labels of shape (5,))",
              t.call("cross_entropy_error", y, labels), expected, 5)


@ASSIGNMENT.test("cross_entropy_error", points=1)
def delta_inside_the_log(t):
    """A label whose probability is 0 or tiny: -log(y + 1e-7), the book's delta inside
    the log (log(0) would be -inf)."""
    y = np.array([[0.0, 0.3, 0.7], [2e-7, 0.5, 0.5 - 2e-7], [0.2, 0.8, 0.0]])   # (3, 3)
    labels = np.array([0, 0, 1], dtype=np.int64)       # the recorded value's dtype everywhere
    got = t.call("cross_entropy_error", y, labels)
    label = ("cross_entropy_error(y, t) (y[0, label] = 0 and y[1, label] = 2e-7, t labels "
             "[0, 0, 1])")
    if isinstance(got, numbers.Real) and not np.isfinite(got):
        raise CheckFailed("%s: got %s: log(0) is -inf; add the book's delta inside the log, "
                          "-log(y[label] + 1e-7)" % (label, got))
    _check_ce(label, got, t.reference("cross_entropy_error", y, labels), 3)




# --------------------------------------------------------------------- gradients

def _numerical_gradient(t, helper, x, what=""):
    """The submission's gradient of ``helper`` at x, compared with the exact gradient;
    returns x as the submission left it."""
    t.define(HELPERS)
    label = "numerical_gradient(%s, x)%s" % (helper, what)
    outcome = t.call_full("numerical_gradient", Helper(helper), x)
    _check_gradient(label, outcome.value, helper, x)
    return outcome.args_after[1] if len(outcome.args_after) > 1 else None


def _check_gradient(label, got, helper, x):
    """A numerical gradient of ``helper`` at x against the exact one; forward differences
    are named as such."""
    try:
        check_array(label, got, GRADIENTS[helper](x), rtol=GRAD_RTOL, atol=GRAD_ATOL)
    except CheckFailed:
        if isinstance(got, np.ndarray) and got.shape == x.shape and got.dtype.kind == "f" \
                and np.allclose(got, _forward_difference(helper, x), rtol=1e-7, atol=1e-9):
            raise CheckFailed("%s: these are forward differences (f(x + h) - f(x)) / h; use "
                              "central differences (f(x + h) - f(x - h)) / (2h), h = 1e-4 "
                              "(their error is ~h**2 instead of ~h)" % label) from None
        raise


def _forward_difference(helper, x):
    """(f(x + h) - f(x)) / h for the judge's copy of a helper (feedback only)."""
    scope = {}
    exec(HELPERS, scope)
    f = scope[helper]
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        shifted = x.copy()
        shifted[idx] += 1e-4
        grad[idx] = (f(shifted) - f(x)) / 1e-4
    return grad


@ASSIGNMENT.test("numerical_gradient", points=1)
def book_example(t):    # noqa: F811
    """The book's function_2 = x0**2 + x1**2: its gradient at (3, 4) is (6, 8), at (0, 2)
    (0, 4), at (3, 0) (6, 0)."""
    for point in ((3.0, 4.0), (0.0, 2.0), (3.0, 0.0)):
        _numerical_gradient(t, "function_2", np.array(point), " at x = (%g, %g)" % point)


@ASSIGNMENT.test("numerical_gradient", points=2)
def any_shape(t):
    """Central differences for every entry of arrays of shape (5,), (3, 4) and (2, 3, 2),
    each entry in its place, f called on x itself (not a flattened copy)."""
    _numerical_gradient(t, "weighted_sine", t.rng.uniform(-2, 2, 5), " (x of shape (5,))")
    _numerical_gradient(t, "shaped_exp", t.rng.uniform(-2, 2, (3, 4)), " (x of shape (3, 4))")
    _numerical_gradient(t, "weighted_sine", t.rng.uniform(-2, 2, (2, 3, 2)),
                        " (x of shape (2, 3, 2))")


@ASSIGNMENT.test("numerical_gradient", points=1, name="perturbs_x_in_place")
def perturbs_x_in_place(t):
    """As in the book's simpleNet, f ignores its argument and reads the weights through
    the net, f = lambda W: net.loss(x, t): numerical_gradient must perturb x ITSELF (in
    place), so that f sees each change."""
    t.define(HELPERS)
    W = t.rng.uniform(-2, 2, (2, 3))                                # (2, 3)
    label = "numerical_gradient(f, net.W) (f = lambda W: net.loss(), net.W of shape (2, 3))"
    got = t.call(Helper("closure_gradient", "numerical_gradient"), StudentFn("numerical_gradient"),
                 W)
    try:
        _check_gradient(label, got, "weighted_sine", W)
    except CheckFailed as exc:
        if isinstance(got, np.ndarray) and got.shape == W.shape and got.dtype.kind in "iuf" \
                and np.all(got == 0):
            raise CheckFailed("%s; every entry is 0: f ignores its argument and reads the "
                              "weights from net (as the book's f = lambda W: net.loss(x, t)), so "
                              "it did not see changes made to a copy of x; change x itself in "
                              "place (tmp_val = x[idx]; x[idx] = tmp_val + h; fxh1 = f(x); ...; "
                              "x[idx] = tmp_val)" % exc) from None
        raise


@ASSIGNMENT.test("numerical_gradient", points=1, kind=STRUCTURE)
def x_restored(t):
    """x holds its original values afterwards (each entry put back after its two
    evaluations)."""
    for shape in ((4,), (3, 4)):
        x = t.rng.uniform(-2, 2, shape)                             # shape
        helper = "shaped_exp" if shape == (3, 4) else "weighted_sine"
        after = _numerical_gradient(t, helper, x, " (x of shape %s)" % (shape,))
        if not isinstance(after, np.ndarray) or after.shape != x.shape:
            raise CheckFailed("numerical_gradient: the submission's process did not send x "
                              "back, so it cannot be checked unchanged")
        off = np.abs(after - x) > RESTORE_TOL * np.maximum(1.0, np.abs(x))
        if off.any():
            i = tuple(int(v) for v in np.argwhere(off)[0])
            raise CheckFailed(
                "numerical_gradient changed x: afterwards x%s = %s, before %s (%d of %d "
                "entries changed; x of shape %s): put each entry back after computing f(x + h) "
                "and f(x - h) (tmp_val = x[idx]; ...; x[idx] = tmp_val)"
                % (list(i), fmt(after[i]), fmt(x[i]), int(off.sum()), x.size, shape))




def _bowl_descent(x0, lr, steps):
    """Gradient descent on bowl, exactly: x <- x - lr * 2a (x - c) (central differences
    are exact on a quadratic up to rounding)."""
    a, c = BOWL_A[:x0.size].reshape(x0.shape), BOWL_C[:x0.size].reshape(x0.shape)
    x = x0.copy()
    for _ in range(steps):
        x = x - lr * 2 * a * (x - c)
    return x


def _descend(t, helper, init_x, expected, label, **kwargs):
    t.define(HELPERS)
    try:
        outcome = t.call_full("gradient_descent", Helper(helper), init_x, **kwargs)
        check_array(label, outcome.value, expected, atol=DESCENT_ATOL)
    except (CheckFailed, StudentError) as exc:
        raise type(exc)("%s%s" % (exc, _gradient_hint(t, helper, init_x))) from None
    return outcome.args_after[1] if len(outcome.args_after) > 1 else None


def _gradient_hint(t, helper, x):
    """gradient_descent is built from the student's own numerical_gradient (SPEC): say so
    when that gives a wrong gradient of the same function at the start, or leaves x
    changed."""
    try:
        x = np.array(x, dtype=np.float64)
        after = _numerical_gradient(t, helper, x)
        if after is not None and np.any(np.abs(after - x) > RESTORE_TOL *
                                        np.maximum(1.0, np.abs(x))):
            return ("; gradient_descent steps along your numerical_gradient, which leaves x "
                    "changed (see its own checks)")
    except (CheckFailed, StudentError):
        return ("; gradient_descent steps along your numerical_gradient, which gives a wrong "
                "gradient here (see its own checks)")
    return ""


@ASSIGNMENT.test("gradient_descent", points=1)
def book_descent(t):
    """The book's example: 100 steps of lr 0.1 on x0**2 + x1**2 from (-3, 4) end at
    (-3, 4) * 0.8**100 ~ (0, 0); the defaults (lr 0.01, 100 steps) end at (-3, 4) * 0.98**100."""
    init_x = np.array([-3.0, 4.0])
    _descend(t, "function_2", init_x, init_x * 0.8 ** 100,
             "gradient_descent(function_2, init_x=(-3, 4), lr=0.1, step_num=100)",
             lr=0.1, step_num=100)
    _descend(t, "function_2", init_x, init_x * 0.98 ** 100,
             "gradient_descent(function_2, init_x=(-3, 4)) (defaults lr=0.01, step_num=100)")


@ASSIGNMENT.test("gradient_descent", points=1)
def other_functions(t):
    """A bowl sum(a * (x - c)**2) from a random 2 x 3 start: each step moves x by
    -lr * gradient, exactly step_num steps (lr 0.05, 7 and 30 steps)."""
    init_x = t.rng.uniform(-3, 3, (2, 3))                           # (2, 3)
    for steps in (7, 30):
        _descend(t, "bowl", init_x, _bowl_descent(init_x, 0.05, steps),
                 "gradient_descent(bowl, init_x of shape (2, 3), lr=0.05, step_num=%d)" % steps,
                 lr=0.05, step_num=steps)


@ASSIGNMENT.test("gradient_descent", points=1, kind=STRUCTURE)
def init_x_unchanged(t):
    """init_x keeps its values: the descent works on a copy."""
    init_x = t.rng.uniform(-3, 3, 3)                                # (3,)
    after = _descend(t, "bowl", init_x, _bowl_descent(init_x, 0.1, 5),
                     "gradient_descent(bowl, init_x of shape (3,), lr=0.1, step_num=5)",
                     lr=0.1, step_num=5)
    if not isinstance(after, np.ndarray) or after.shape != init_x.shape or \
            not np.array_equal(after, init_x):
        raise CheckFailed("gradient_descent changed init_x in place (it now holds the final x): "
                          "start from a copy, x = init_x.copy() (or np.array(init_x, "
                          "dtype=float)), so that the caller's array is left as it was")


