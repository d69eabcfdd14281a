"""Checks of the backprop assignment (catalog: SPEC.md, "backprop (gates and layers)").

Every forward/backward pair gets an ``example`` (forward vs reference on fixed,
non-square inputs) and a ``gradients`` test (``layercheck.check_layer``: backward with
the submission's own cache vs the reference, vs central differences of its own forward,
zero upstream -> zero gradients), and the same checks on generated inputs.  Expected
values come from ``t.reference``.  The course's worked examples run through the
submission's own gates, the caches staying in the worker.

Inputs stay at least ``KINK`` away from every kink (relu/leaky relu/elu at 0, max-gate
ties, hinge margins at 0), so the gradient is defined and the finite differences
(step 1e-6) never straddle a kink.  Softmax cases keep every class probability at least
``PROB_FLOOR`` (scores scaled down, no redraw), so the course's ``-log(p + eps)`` is
right.  The initialisers and TwoLayerNet are in ``backprop_net``.
"""
import numpy as np
from hypothesis import strategies as st

from ..cases import cases, sizes
from ..compare import as_number, as_tuple, check_array, check_scalar, fmt
from ..errors import CheckFailed
from ..gradcheck import check_gradient
from ..layercheck import check_layer, forward_out, grads_of
from ..registry import CONSISTENCY, Assignment
from .linear_classifiers import LARGE_OFFSET, unstable_softmax

ASSIGNMENT = Assignment("backprop", "backpropagation: gates, layers and losses")

KINK = 1e-3          # generated inputs stay this far from kinks (1000x the FD step)
KINKED = ("relu", "leaky_relu", "elu")


# ------------------------------------------------------------------ input builders
def _shapes(min_dims, max_dims):
    return st.lists(st.integers(1, 5), min_size=min_dims, max_size=max_dims).map(tuple)


def _scale(index):
    return 10.0 ** (index - 1)                    # 0.1, 1, 10


def _away_from_zero(rng, x):
    """Redraw the entries of x within KINK of 0 (same distribution)."""
    x = np.array(x, dtype=np.float64)
    scale = max(float(np.max(np.abs(x), initial=0.0)), 1.0)
    while True:
        small = np.abs(x) < KINK
        if not small.any():
            return x
        x[small] = rng.standard_normal(int(small.sum())) * scale


def _gate_inputs(rng, op, shape, scale):
    """x, y of one shape (0-d arrays for scalars); for max, no near-ties."""
    x = np.asarray(rng.standard_normal(shape) * scale, dtype=np.float64)
    y = np.asarray(rng.standard_normal(shape) * scale, dtype=np.float64)
    if op == "max":
        while True:
            tie = np.abs(x - y) < KINK
            if not tie.any():
                break
            y = np.where(tie, y + 4 * KINK * np.sign(rng.standard_normal(shape)), y)
            y = np.asarray(y, dtype=np.float64)
    if x.ndim == 0:
        return float(x), float(y)
    return x, y


def _activation_input(rng, op, shape, scale):
    x = np.asarray(rng.standard_normal(shape) * scale, dtype=np.float64)
    return _away_from_zero(rng, x) if op in KINKED else x


def _affine_inputs(rng, N, dims, M):
    x = rng.standard_normal((N,) + tuple(dims))                  # (N, d1, ..., dk)
    D = int(np.prod(dims))
    w = rng.standard_normal((D, M)) / np.sqrt(D)                  # (D, M)
    b = rng.standard_normal(M)                                    # (M,)
    return x, w, b


# One entry per forward/backward pair:
# op: (forward params, gradient names, case strategy, inputs(rng, case) -> (args, kwargs),
#      examples(rng) -> [(what, args, kwargs)] for the forward, and for the backward)
ALPHAS = {"leaky_relu": ("default", 0.05, 0.2, 0.5), "elu": ("default", 0.5, 1.0, 2.0)}
EXAMPLE_ALPHA = {"leaky_relu": 0.2, "elu": 0.5}


def _gate_examples(op):
    def examples(rng):
        x, y = _gate_inputs(rng, op, (3, 4), 2.0)
        xs, ys = _gate_inputs(rng, op, (), 2.0)
        return [("x, y of shape (3, 4)", (x, y), {}), ("scalars x, y", (xs, ys), {})]
    return examples


def _gate_case_inputs(op):
    def inputs(case):
        return _gate_inputs(case.rng(), op, case.shape, _scale(case.scale)), {}
    return inputs


def _activation_examples(op):
    def examples(rng):
        x = _activation_input(rng, op, (4, 5), 2.0)
        found = [("x of shape (4, 5)%s" % (", default alpha" if op in ALPHAS else ""),
                  (x,), {})]
        if op in ALPHAS:
            found.append(("x of shape (4, 5), alpha=%g" % EXAMPLE_ALPHA[op], (x,),
                          {"alpha": EXAMPLE_ALPHA[op]}))
        return found
    return examples


def _activation_case_inputs(op):
    def inputs(case):
        x = _activation_input(case.rng(), op, case.shape, _scale(case.scale))
        alpha = case.get("alpha", "default")
        return (x,), ({} if alpha == "default" else {"alpha": alpha})
    return inputs


def _activation_case(op):
    extra = {"alpha": st.sampled_from(ALPHAS[op])} if op in ALPHAS else {}
    return cases(shape=_shapes(1, 4), scale=sizes(0, 2), **extra)


def _affine_forward_examples(rng):
    return [("x of shape (4, 5), w of shape (5, 3)", _affine_inputs(rng, 4, (5,), 3), {})]


def _affine_backward_examples(rng):
    return [("x of shape (3, 2, 4, 3), w of shape (24, 5)",
             _affine_inputs(rng, 3, (2, 4, 3), 5), {}),
            ("x of shape (4, 6), w of shape (6, 3)", _affine_inputs(rng, 4, (6,), 3), {})]


def _affine_case_inputs(case):
    return _affine_inputs(case.rng(), case.N, case.dims, case.M), {}


PAIRS = {
    "add": (("x", "y"), ("dx", "dy"), cases(shape=_shapes(0, 3), scale=sizes(0, 2)),
            _gate_case_inputs("add"), _gate_examples("add"), _gate_examples("add")),
    "multiply": (("x", "y"), ("dx", "dy"), cases(shape=_shapes(0, 3), scale=sizes(0, 2)),
                 _gate_case_inputs("multiply"), _gate_examples("multiply"),
                 _gate_examples("multiply")),
    "max": (("x", "y"), ("dx", "dy"), cases(shape=_shapes(0, 3), scale=sizes(0, 2)),
            _gate_case_inputs("max"), _gate_examples("max"), _gate_examples("max")),
    "affine": (("x", "w", "b"), ("dx", "dw", "db"),
               cases(N=sizes(1, 5), dims=_shapes(1, 3), M=sizes(1, 6)),
               _affine_case_inputs, _affine_forward_examples, _affine_backward_examples),
}
for _op in ("sigmoid", "relu", "tanh", "leaky_relu", "elu"):
    PAIRS[_op] = ((("x", "alpha") if _op in ALPHAS else ("x",)), ("dx",), _activation_case(_op),
                  _activation_case_inputs(_op), _activation_examples(_op),
                  _activation_examples(_op))


def _with_context(what, run):
    """Run ``run()``; a failure's feedback gets ``[what]`` appended."""
    try:
        run()
    except CheckFailed as exc:
        raise CheckFailed("%s [%s]" % (exc, what)) from None


def _declare_pair(op):
    params, grads, strategy, inputs, forward_examples, backward_examples = PAIRS[op]
    forward, backward = op + "_forward", op + "_backward"
    ASSIGNMENT.function(forward, params)
    ASSIGNMENT.function(backward, ("dout", "cache"))

    def check_forward(t, args, kwargs):
        out = forward_out(t, forward, args, kwargs)
        check_array("%s: out" % forward, out, t.reference(forward, *args, **kwargs)[0])

    def check_pair(t, args, kwargs):
        check_layer(t, forward, backward, args, grads, forward, backward, kwargs=kwargs)

    @ASSIGNMENT.test(forward, points=1, name="example")
    def forward_example(t):
        """out agrees with the reference on fixed non-square inputs."""
        for what, args, kwargs in forward_examples(t.rng):
            _with_context(what, lambda: check_forward(t, args, kwargs))


    @ASSIGNMENT.test(backward, points=3 if op == "affine" else 2, name="gradients")
    def backward_gradients(t):
        """With its own forward cache and a random upstream gradient: the gradients
        agree with the reference and with central differences of its own forward; a zero
        upstream gradient gives zero gradients."""
        for what, args, kwargs in backward_examples(t.rng):
            _with_context(what, lambda: check_pair(t, args, kwargs))



for _op in PAIRS:
    _declare_pair(_op)


@ASSIGNMENT.test("affine_forward", points=1)
def image_batch(t):
    """x of shape (N, d1, d2, d3), e.g. a batch of images, is flattened to (N, D)."""
    x, w, b = _affine_inputs(t.rng, 2, (3, 4, 2), 5)
    out = forward_out(t, "affine_forward", (x, w, b))
    check_array("affine_forward: out for x of shape (2, 3, 4, 2), w of shape (24, 5)", out,
                t.reference("affine_forward", x, w, b)[0])


@ASSIGNMENT.test("max_backward", points=1)
def tie_goes_to_x(t):
    """Where x == y the gradient goes to x, none to y (the catalog's convention); the
    other entries go to the larger input."""
    x, y = _gate_inputs(t.rng, "max", (4, 5), 2.0)
    tie = t.rng.random((4, 5)) < 0.4
    tie[0, 0], tie[-1, -1] = True, False               # both kinds present
    y = np.where(tie, x, y)                             # (4, 5), ties where tie
    dout = t.rng.standard_normal((4, 5))
    forward_out(t, "max_forward", (x, y), keep="fwd")
    dx, dy = grads_of(t, "max_backward", dout, "fwd", ("dx", "dy"))
    dx = _gradient_array("max_backward: dx", dx, x.shape)
    dy = _gradient_array("max_backward: dy", dy, x.shape)
    expected_dx, expected_dy = t.reference("max_backward", dout, (x, y))
    ties = int(tie.sum())
    if np.allclose(dy[tie], dout[tie]) and np.allclose(dx[tie], 0):
        raise CheckFailed("max_backward sends the gradient of a tie (x == y, %d entries) to "
                          "y; the convention is that a tie goes to x (compare with x >= y)"
                          % ties)
    check_array("max_backward: dx (%d ties x == y go to x)" % ties, dx, expected_dx)
    check_array("max_backward: dy (%d ties x == y give 0 to y)" % ties, dy, expected_dy)


# ------------------------------------------------------------------ course examples
def _s(value):
    """A scalar as a Python float, as in the course's circuits."""
    return float(value)


def _number(label, value):
    return _s(as_number(label, value))


# The gate under test is the submission's; the other gates of a circuit are computed
# here (SPEC.md: a bug costs points only under its function).  The forward is called
# for its cache only: its output is graded by its own tests.
@ASSIGNMENT.test("add_backward", points=2)
def course_circuit(t):
    """f(x, y, z) = (x + y) * z at x = -2, y = 5, z = -4: q = 3, f = -12; backward from
    df = 1 the multiply gate gives df/dq = z = -4, and the add gate passes it to both
    inputs: dx = dy = -4."""
    forward_out(t, "add_forward", (_s(-2.0), _s(5.0)), keep="q")
    dx, dy = grads_of(t, "add_backward", _s(-4.0), "q", ("dx", "dy"))
    check_scalar("df/dx from add_backward(df/dq=-4, cache)", dx, -4.0)
    check_scalar("df/dy from add_backward(df/dq=-4, cache)", dy, -4.0)


def _gradient_array(label, value, shape):
    if not isinstance(value, np.ndarray) or value.shape != shape:
        check_array(label, value, np.zeros(shape))       # fails, naming type or shape
    return value


@ASSIGNMENT.test("multiply_backward", points=2)
def copied_value_adds_gradients(t):
    """A value used twice gets the sum of the gradients of its uses: in f = (x + y) * x,
    df/dx = (gradient through the add gate) + (gradient through the multiply gate)
    = 2x + y; in x * x, the two inputs' gradients add up to 2x."""
    x, y = _gate_inputs(t.rng, "multiply", (3, 4), 1.5)
    dout = t.rng.standard_normal((3, 4))
    forward_out(t, "multiply_forward", (x + y, x), keep="f")
    dq, dx_mul = grads_of(t, "multiply_backward", dout, "f", ("dq", "dx"))
    dq = _gradient_array("dq from multiply_backward", dq, x.shape)
    dx_mul = _gradient_array("dx from multiply_backward", dx_mul, x.shape)
    dx_add = dy = dq                                  # the add gate passes dq on
    check_array("df/dx of f = (x + y) * x: x feeds the add gate and the multiply gate, so "
                "df/dx = dx (add gate, = dq) + dx (multiply gate) = (2x + y) * dout",
                dx_add + dx_mul, (2 * x + y) * dout)
    check_array("df/dy of f = (x + y) * x (the add gate passes dq = x * dout)", dy, x * dout)
    forward_out(t, "multiply_forward", (x, x.copy()), keep="square")
    da, db = grads_of(t, "multiply_backward", dout, "square", ("dx", "dy"))
    da = _gradient_array("dx from multiply_backward (x * x)", da, x.shape)
    db = _gradient_array("dy from multiply_backward (x * x)", db, x.shape)
    check_array("d(x * x)/dx = dx + dy of the multiply gate = 2x * dout", da + db,
                2 * x * dout)


# The course's two-layer sigmoid network (no biases) and its squared-error cost.
NET_X = np.array([0.35, 0.9])
NET_W1 = np.array([[0.1, 0.8], [0.4, 0.6]])     # row i feeds hidden unit i
NET_W2 = np.array([0.3, 0.9])
NET_TARGET = 0.5


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@ASSIGNMENT.test("sigmoid_backward", points=2)
def course_network(t):
    """The course's network: input [0.35, 0.9], W1 [[0.1, 0.8], [0.4, 0.6]], w2
    [0.3, 0.9], sigmoid units, target 0.5: output 0.690, cost 0.5 * (out - 0.5)^2 =
    0.018, dC/dw2[0] = 0.02767 (the course's 0.02763 is 0.027636, from intermediates
    rounded to 3 decimals, cut to 5).  The submission's sigmoid gates carry the
    gradient through both layers; the multiply and add gates are computed here."""
    a_e = (NET_W1 * NET_X).sum(axis=1)                  # (2,) hidden pre-activations
    h_e = _sigmoid(a_e)
    z_e = float(NET_W2 @ h_e)                           # output pre-activation
    o_e = _sigmoid(z_e)
    dz_e = (o_e - NET_TARGET) * o_e * (1 - o_e)
    dw2_e = dz_e * h_e
    da_e = dz_e * NET_W2 * h_e * (1 - h_e)
    dW1_e = np.outer(da_e, NET_X)

    forward_out(t, "sigmoid_forward", (a_e.copy(),), keep="h")
    forward_out(t, "sigmoid_forward", (_s(z_e),), keep="o")
    (dz,) = grads_of(t, "sigmoid_backward", _s(o_e - NET_TARGET), "o", ("dx",))
    dz = _number("dC/dz from sigmoid_backward", dz)
    check_scalar("dC/dz at the output unit's input (sigmoid_backward, upstream "
                 "out - target = %s)" % fmt(o_e - NET_TARGET), dz, dz_e)
    check_scalar("dC/dw2[0] = dC/dz * h[0], the first output weight (0.02767; 0.02763 in "
                 "the course from rounded intermediates)", dz * h_e[0], dw2_e[0])
    (da,) = grads_of(t, "sigmoid_backward", dz * NET_W2, "h", ("dx",))
    da = _gradient_array("dC/da from sigmoid_backward", da, (2,))
    check_array("dC/da at the hidden units' inputs (sigmoid_backward)", da, da_e)
    check_array("dC/dW1 = outer(dC/da, x)", np.outer(da, NET_X), dW1_e)


# ------------------------------------------------------------------ sigmoid stability
LARGE = np.array([-800.0, -710.0, -100.0, -40.0, -1.0, 0.5, 1.0, 40.0, 100.0, 710.0, 800.0])


def _large_inputs(rng):
    return np.stack([LARGE, rng.uniform(-800.0, 800.0, LARGE.size)])       # (2, 11)


def _require_finite(label, got, x, hint):
    if isinstance(got, np.ndarray) and got.shape == x.shape and got.dtype.kind == "f":
        bad = ~np.isfinite(got)
        if bad.any():
            i = tuple(int(k) for k in np.argwhere(bad)[0])
            raise CheckFailed("%s is %s at x = %s (%d of %d entries are not finite): %s"
                              % (label, fmt(got[i]), fmt(x[i]), int(bad.sum()), got.size,
                                 hint))


SIGMOID_HINT = ("exp overflowed; use exp(-|x|), which never overflows (1 / (1 + exp(-x)) "
                "for x >= 0 and exp(x) / (1 + exp(x)) for x < 0)")


@ASSIGNMENT.test("sigmoid_forward", points=1)
def stable_for_large_inputs(t):
    """sigmoid(x) for |x| up to 800 is finite (0 or 1 where exp would overflow)."""
    x = _large_inputs(t.rng)
    out = forward_out(t, "sigmoid_forward", (x,))
    _require_finite("sigmoid_forward: out", out, x, SIGMOID_HINT)
    check_array("sigmoid_forward: out (|x| up to 800)", out,
                t.reference("sigmoid_forward", x)[0])


@ASSIGNMENT.test("sigmoid_backward", points=1, name="stable_for_large_inputs")
def backward_stable_for_large_inputs(t):
    """With |x| up to 800 the gradient is finite (0 where the sigmoid saturates)."""
    x = _large_inputs(t.rng)
    dout = t.rng.standard_normal(x.shape)
    out = forward_out(t, "sigmoid_forward", (x,), keep="fwd")
    _require_finite("sigmoid_forward: out", out, x, SIGMOID_HINT)
    (dx,) = grads_of(t, "sigmoid_backward", dout, "fwd", ("dx",))
    _require_finite("sigmoid_backward: dx", dx, x,
                    "compute the gradient from the forward output s as s * (1 - s)")
    _, cache = t.reference("sigmoid_forward", x)
    check_array("sigmoid_backward: dx (|x| up to 800)", dx,
                t.reference("sigmoid_backward", dout, cache))


# ------------------------------------------------------------------ losses
COURSE_SCORES = np.array([[3.2, 5.1, -1.7],     # cat
                          [1.3, 4.9, 2.0],      # car
                          [2.2, 2.5, -3.1]])    # frog
COURSE_LABELS = np.array([0, 1, 2])

# Every class probability of a graded softmax case (softmax_loss here, TwoLayerNet in
# backprop_net) is at least this (SPEC, "Same verdict everywhere": above 1e-10), so the
# course's -log(p + eps) with eps <= 1e-12 stays within the loss's tolerance (its error
# is at most eps / p per sample).
PROB_FLOOR = 1e-6


def probability_bound(scores):
    """The factor (at most 1) that scales the scores (N, C) so that every softmax
    probability is at least PROB_FLOOR: log p >= -(row max - row min) - log C."""
    spread = float(np.max(np.ptp(scores, axis=1)))               # largest row spread
    limit = 0.9 * (np.log(1.0 / PROB_FLOOR) - np.log(scores.shape[1]))
    return limit / spread if spread > limit else 1.0


def _loss_problem(rng, N, C, scale, svm):
    """Scores x (N, C), labels y (N,); for the hinge, no margin within KINK of 0; for
    the softmax, every class probability at least PROB_FLOOR (x scaled down, no redraw)."""
    for _ in range(1000):
        x = rng.standard_normal((N, C)) * scale                     # (N, C)
        y = rng.integers(0, C, size=N)                              # (N,)
        if not svm:
            return x * probability_bound(x), y
        margins = x - x[np.arange(N), y][:, None] + 1
        margins[np.arange(N), y] = 1.0
        if np.min(np.abs(margins)) > KINK:
            return x, y
    raise RuntimeError("could not draw a hinge problem away from kinks")


def _loss_and_dx(name, got, shape):
    loss, dx = as_tuple(name, got, ("loss", "dx"))
    loss = as_number("%s: loss" % name, loss)
    if not isinstance(dx, np.ndarray) or dx.shape != shape:
        check_array("%s: dx" % name, dx, np.zeros(shape))     # fails with type or shape
    return loss, dx


def _declare_loss(name):
    svm = name == "svm_loss"
    ASSIGNMENT.function(name, ("x", "y"))

    def check(t, x, y, what=""):
        loss, dx = _loss_and_dx(name, t.call(name, x, y), x.shape)
        expected, expected_dx = t.reference(name, x, y)
        check_scalar("%s: loss%s" % (name, what), loss, expected)
        check_array("%s: dx%s" % (name, what), dx, expected_dx)
        return loss, dx

    @ASSIGNMENT.test(name, points=1)
    def course_example(t):
        """The course's cat/car/frog scores: mean hinge loss 5.27, or softmax loss 2.04
        for the cat row (2.76 averaged over the three rows)."""
        if svm:
            check(t, COURSE_SCORES, COURSE_LABELS, " (cat/car/frog scores, 5.27)")
        else:
            check(t, COURSE_SCORES[:1], COURSE_LABELS[:1], " (cat row, 2.04)")
            check(t, COURSE_SCORES, COURSE_LABELS, " (mean over cat/car/frog, 2.76)")


    @ASSIGNMENT.test(name, points=2, kind=CONSISTENCY)
    def gradient_check(t):
        """dx agrees with central differences of the submission's own loss."""
        x, y = _loss_problem(t.rng, 7, 5, 2.0, svm)
        _, dx = _loss_and_dx(name, t.call(name, x, y), x.shape)
        check_gradient(t, name, (x, y), 0, dx,
                       lambda v: as_number("%s: loss" % name, as_tuple(name, v, ("loss", "dx"))[0]),
                       "%s: dx" % name)

    @ASSIGNMENT.test(name, points=1, kind=CONSISTENCY)
    def loss_at_zero_scores(t):
        """All scores 0: every class ties, so the loss is C - 1 (hinge: each of the C - 1
        wrong classes has margin 1) or log C (softmax: uniform probabilities)."""
        N, C = 6, 5
        y = t.rng.integers(0, C, size=N)
        loss, _ = _loss_and_dx(name, t.call(name, np.zeros((N, C)), y), (N, C))
        expected = C - 1.0 if svm else np.log(C)
        check_scalar("%s: loss at x = 0 with N = %d, C = %d (%s)"
                     % (name, N, C, "C - 1" if svm else "log C"), loss, expected)

    if not svm:
        @ASSIGNMENT.test(name, points=1)
        def stable_for_large_scores(t):
            """Every score near 1000 (a large common offset) gives the right finite loss
            and dx: subtracting each row's maximum before exp achieves it."""
            x, y = _loss_problem(t.rng, 5, 4, 2.0, svm)
            x = x + LARGE_OFFSET                                # (5, 4), all near 1000
            loss, dx = _loss_and_dx(name, t.call(name, x, y), x.shape)
            if not np.isfinite(loss) or not np.all(np.isfinite(dx)):
                raise CheckFailed(unstable_softmax("%s: " % name, loss, "dx", dx))
            expected, expected_dx = t.reference(name, x, y)
            check_scalar("%s: loss (every score near 1000)" % name, loss, expected)
            check_array("%s: dx (every score near 1000)" % name, dx, expected_dx)


for _name in ("softmax_loss", "svm_loss"):
    _declare_loss(_name)


from . import backprop_net  # noqa: E402,F401 - registers the initialiser and TwoLayerNet checks
