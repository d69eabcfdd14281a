"""Checks of the backprop assignment's network part: the Xavier / He initialisers and
``TwoLayerNet`` (affine - relu - affine - softmax, penalty ``0.5 * reg * sum(W**2)``).

The net is a class, so the judge drives it through small helpers defined in the worker
(plain scaffolding, not secret): build the student's net, install known parameters,
call ``loss``.  Only plain data comes back.  Hidden pre-activations stay at least
``KINK`` away from the ReLU's kink, so finite differences never straddle it, and every
class probability stays at least ``backprop.PROB_FLOOR``, so ``-log(p + eps)`` is right.

Statistical checks (initialisers, weight_scale) use bounds of at least 7 standard
deviations of the estimate: a correct answer never fails them.
"""
import numpy as np

from ..compare import as_number, as_tuple, check_array, check_scalar, describe, fmt
from ..context import Helper, StudentFn
from ..errors import CheckFailed
from ..gradcheck import check_gradient
from ..registry import CONSISTENCY
from .backprop import ASSIGNMENT, KINK, probability_bound

NET = "TwoLayerNet"
PARAMS = ("W1", "b1", "W2", "b2")

HELPERS = '''
import numpy as _np

def net_params(cls, args, kwargs):
    return cls(*args, **kwargs).params

def net_loss(cls, reg, W1, b1, W2, b2, X, y=None):
    net = cls(W1.shape[0], W1.shape[1], W2.shape[1], reg=reg)
    net.params.update(W1=W1.copy(), b1=b1.copy(), W2=W2.copy(), b2=b2.copy())
    return net.loss(X) if y is None else net.loss(X, y)

def init_with_seed(init, fan_in, fan_out, seed):
    return init(fan_in, fan_out, _np.random.default_rng(seed))
'''
LOSS = Helper("net_loss", NET, ("TwoLayerNet", "reg", "W1", "b1", "W2", "b2", "X", "y"))

ASSIGNMENT.function("xavier_init", ("fan_in", "fan_out", "rng"))
ASSIGNMENT.function("he_init", ("fan_in", "fan_out", "rng"))
ASSIGNMENT.function(NET, ("input_dim", "hidden_dim", "num_classes", "weight_scale", "reg"))


# ------------------------------------------------------------------ initialisers
INITS = {"xavier_init": (1.0, "sqrt(1 / fan_in)"), "he_init": (2.0, "sqrt(2 / fan_in)")}
# (fan_in, fan_out): many fan-outs per fan-in and the reverse, so that a formula that
# uses fan_out (or the sum of both) is told apart from one that uses fan_in.
INIT_SHAPES = ((200, 150), (4, 2500))


def _std_hint(std, fan_in, fan_out):
    """Name the formula the observed std matches, if it is a known wrong one."""
    candidates = {"sqrt(1 / fan_in)": np.sqrt(1.0 / fan_in),
                  "sqrt(2 / fan_in)": np.sqrt(2.0 / fan_in),
                  "sqrt(1 / fan_out)": np.sqrt(1.0 / fan_out),
                  "sqrt(2 / fan_out)": np.sqrt(2.0 / fan_out),
                  "sqrt(2 / (fan_in + fan_out))": np.sqrt(2.0 / (fan_in + fan_out)),
                  "1 (no scaling)": 1.0}
    for formula, value in candidates.items():
        if abs(std / value - 1) < 0.05:
            return "; that is %s" % formula
    return ""


def _declare_init(name):
    gain, formula = INITS[name]

    def draw(t, fan_in, fan_out, seed):
        t.define(HELPERS)
        return t.call(Helper("init_with_seed", name), StudentFn(name), fan_in, fan_out, seed)

    def shape_and_scale(t):
        for fan_in, fan_out in INIT_SHAPES:
            W = draw(t, fan_in, fan_out, int(t.rng.integers(2**31)))
            shape = (fan_in, fan_out)
            label = "%s(fan_in=%d, fan_out=%d)" % (name, fan_in, fan_out)
            if not isinstance(W, np.ndarray) or W.shape != shape or W.dtype.kind != "f":
                raise CheckFailed("%s: expected a float array of shape %s, got %s"
                                  % (label, shape, describe(W)))
            std, mean = float(np.std(W)), float(np.mean(W))
            target = np.sqrt(gain / fan_in)
            if abs(std / target - 1) > 0.05:          # the estimate's sd is <= 0.7 %
                raise CheckFailed("%s: the weights' standard deviation is %s, expected "
                                  "%s = %s%s" % (label, fmt(std), formula, fmt(target),
                                                 _std_hint(std, fan_in, fan_out)))
            if abs(mean) > 0.05 * target:             # the mean's sd is <= 0.7 % of it
                raise CheckFailed("%s: the weights' mean is %s, expected 0 (a normal "
                                  "distribution centred at 0)" % (label, fmt(mean)))

    shape_and_scale.__doc__ = ("A (fan_in, fan_out) float array with mean 0 and standard "
                               "deviation %s, for a wide and a tall layer." % formula)
    ASSIGNMENT.test(name, points=1, name="shape_and_scale")(shape_and_scale)

    @ASSIGNMENT.test(name, points=1, name="uses_the_given_rng", kind=CONSISTENCY)
    def uses_the_given_rng(t):
        """The draws come from the ``rng`` argument: the same seed gives the same
        weights, another seed other weights (no global np.random)."""
        seed = int(t.rng.integers(2**31))
        first, again, other = (draw(t, 30, 20, s) for s in (seed, seed, seed + 1))
        label = "%s(30, 20, rng)" % name
        check_array("%s drawn twice from np.random.default_rng(%d)" % (label, seed), again,
                    first)
        if isinstance(first, np.ndarray) and np.array_equal(first, other):
            raise CheckFailed("%s gives the same weights for rng seeds %d and %d: draw "
                              "them from rng (rng.standard_normal), not from a fixed "
                              "seed" % (label, seed, seed + 1))


for _name in INITS:
    _declare_init(_name)


# ------------------------------------------------------------------ TwoLayerNet
# Every class probability of a graded net case is at least PROB_FLOOR (backprop's, shared
# with softmax_loss), so the course's -log(p + eps) is right.
def _net_problem(rng, N, D, H, C, scale=1.0, reg=0.0):
    """X (N, D), labels, params with every hidden pre-activation at least KINK from 0
    and every class probability at least PROB_FLOOR."""
    for _ in range(1000):
        X = rng.standard_normal((N, D)) * scale                    # (N, D)
        params = {"W1": rng.standard_normal((D, H)) / np.sqrt(D),  # (D, H)
                  "b1": rng.standard_normal(H) * 0.5,              # (H,)
                  "W2": rng.standard_normal((H, C)) / np.sqrt(H),  # (H, C)
                  "b2": rng.standard_normal(C) * 0.5}              # (C,)
        hidden = X @ params["W1"] + params["b1"]                   # (N, H)
        if np.min(np.abs(hidden)) > KINK:
            _bound_probabilities(params, np.maximum(hidden, 0.0))
            return X, rng.integers(0, C, size=N), params
    raise RuntimeError("could not draw a net problem away from the ReLU's kink")


def _bound_probabilities(params, relu):
    """Scale W2 and b2 down (in place) so that every softmax probability of the scores
    ``relu @ W2 + b2`` is at least PROB_FLOOR (``backprop.probability_bound``)."""
    factor = probability_bound(relu @ params["W2"] + params["b2"])  # scores (N, C)
    if factor < 1.0:
        params["W2"] = params["W2"] * factor                       # (H, C)
        params["b2"] = params["b2"] * factor                       # (C,)


def _reference_net(t, params, reg, X, y=None):
    """What the reference TwoLayerNet's ``loss(X)`` (the scores) or ``loss(X, y)``
    (loss, grads) gives with ``params``, from the reference layers (plain data in and
    out, so ``t.reference`` can answer): affine - relu - affine - softmax, plus the
    penalty 0.5 * reg * sum(W**2), as the reference net computes it."""
    a1, cache1 = t.reference("affine_forward", X, params["W1"], params["b1"])   # (N, H)
    h1, cache_relu = t.reference("relu_forward", a1)                          # (N, H)
    scores, cache2 = t.reference("affine_forward", h1, params["W2"], params["b2"])
    if y is None:
        return scores                                                         # (N, C)
    data_loss, dscores = t.reference("softmax_loss", scores, y)
    W1, W2 = params["W1"], params["W2"]
    loss = data_loss + 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    grads = {}
    dh1, grads["W2"], grads["b2"] = t.reference("affine_backward", dscores, cache2)
    da1 = t.reference("relu_backward", dh1, cache_relu)
    _, grads["W1"], grads["b1"] = t.reference("affine_backward", da1, cache1)
    grads["W1"] = grads["W1"] + reg * W1
    grads["W2"] = grads["W2"] + reg * W2
    return loss, grads


def _args(params, reg, X, y=None):
    args = (StudentFn(NET), float(reg)) + tuple(params[k] for k in PARAMS) + (X,)
    return args if y is None else args + (y,)


def _scores(t, params, X):
    t.define(HELPERS)
    return t.call(LOSS, *_args(params, 0.0, X))


def _loss_grads(t, params, reg, X, y):
    """The student's ``loss(X, y)`` -> (loss, {name: gradient}), shapes checked."""
    t.define(HELPERS)
    label = "%s.loss(X, y)" % NET
    loss, grads = as_tuple(label, t.call(LOSS, *_args(params, reg, X, y)), ("loss", "grads"))
    loss = as_number("%s: loss" % label, loss)
    if not isinstance(grads, dict) or set(PARAMS) - set(grads):
        missing = sorted(set(PARAMS) - set(grads)) if isinstance(grads, dict) else PARAMS
        raise CheckFailed("%s: grads must be a dict with keys W1, b1, W2, b2 (like "
                          "params); got %s%s" % (label, describe(grads), (
                              ", missing %s" % ", ".join(missing)) if isinstance(grads, dict)
                              else ""))
    for k in PARAMS:
        if not isinstance(grads[k], np.ndarray) or grads[k].shape != params[k].shape:
            check_array("%s: grads['%s']" % (label, k), grads[k], params[k])  # names it
    return loss, grads


def _check_against_reference(t, params, reg, X, y, what=""):
    label = "%s%s.loss(X, y)%s" % (NET, "(reg=%g)" % reg if reg else "", what)
    loss, grads = _loss_grads(t, params, reg, X, y)
    expected_loss, expected_grads = _reference_net(t, params, reg, X, y)
    check_scalar("%s: loss" % label, loss, expected_loss)
    for k in PARAMS:
        check_array("%s: grads['%s']" % (label, k), grads[k], expected_grads[k])


def _check_scores(t, params, X, what=""):
    check_array("%s.loss(X): scores%s" % (NET, what), _scores(t, params, X),
                _reference_net(t, params, 0.0, X))


@ASSIGNMENT.test(NET, points=1)
def init(t):
    """params holds W1 (D, H), b1 (H,), W2 (H, C), b2 (C,): biases zero, weights of
    mean 0 and standard deviation weight_scale (default 1e-3)."""
    t.define(HELPERS)
    D, H, C = 60, 100, 10
    for kwargs in ({"weight_scale": 0.05}, {}):
        scale = kwargs.get("weight_scale", 1e-3)
        label = "%s(%d, %d, %d%s).params" % (NET, D, H, C, "".join(
            ", %s=%g" % kv for kv in kwargs.items()))
        params = t.call(Helper("net_params", NET), StudentFn(NET), (D, H, C), kwargs)
        if not isinstance(params, dict) or set(PARAMS) - set(params):
            raise CheckFailed("%s: expected a dict with keys W1, b1, W2, b2, got %s" % (
                label, sorted(params) if isinstance(params, dict) else describe(params)))
        shapes = {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}
        for k in PARAMS:
            if not isinstance(params[k], np.ndarray) or params[k].shape != shapes[k]:
                raise CheckFailed("%s['%s']: expected an array of shape %s, got %s"
                                  % (label, k, shapes[k], describe(params[k])))
        for k in ("b1", "b2"):
            check_array("%s['%s'] (biases start at zero)" % (label, k), params[k],
                        np.zeros(shapes[k]))
        for k in ("W1", "W2"):
            std, mean = float(np.std(params[k])), float(np.mean(params[k]))
            if abs(std / scale - 1) > 0.25 or abs(mean) > 0.25 * scale:   # >= 8 sd
                raise CheckFailed("%s['%s']: mean %s and standard deviation %s; expected "
                                  "weight_scale * (standard normal): mean 0, std %s"
                                  % (label, k, fmt(mean), fmt(std), fmt(scale)))


@ASSIGNMENT.test(NET, points=2)
def scores(t):
    """loss(X) returns the scores (N, C) of affine - relu - affine, as the reference."""
    X, _, params = _net_problem(t.rng, 5, 6, 7, 4)
    _check_scores(t, params, X, " (N=5, D=6, H=7, C=4)")


@ASSIGNMENT.test(NET, points=3)
def loss_and_grads(t):
    """loss(X, y) returns the softmax loss with the L2 penalty and the gradients of
    every parameter, as the reference (non-square sizes, reg = 0.3)."""
    X, y, params = _net_problem(t.rng, 6, 5, 8, 3)
    _check_against_reference(t, params, 0.3, X, y, " (N=6, D=5, H=8, C=3)")


@ASSIGNMENT.test(NET, points=1)
def regularization(t):
    """The penalty is 0.5 * reg * (sum(W1**2) + sum(W2**2)) (biases not penalised), its
    gradient reg * W."""
    X, y, params = _net_problem(t.rng, 4, 5, 6, 3)
    reg = 0.7
    loss0, grads0 = _loss_grads(t, params, 0.0, X, y)
    loss1, grads1 = _loss_grads(t, params, reg, X, y)
    penalty = 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    got = loss1 - loss0
    if abs(got - 2 * penalty) < 1e-6 * penalty:
        raise CheckFailed("%s.loss: loss(reg=0.7) - loss(reg=0) is %s, twice the expected "
                          "%s: the penalty is 0.5 * reg * sum(W**2) here (gradient reg * W)"
                          % (NET, fmt(got), fmt(penalty)))
    check_scalar("%s.loss: loss(reg=0.7) - loss(reg=0), the penalty 0.5 * reg * "
                 "(sum(W1**2) + sum(W2**2))" % NET, got, penalty)
    for k in PARAMS:
        expected = reg * params[k] if k[0] == "W" else np.zeros_like(params[k])
        check_array("%s.loss: grads['%s'](reg=0.7) - grads['%s'](reg=0), expected %s"
                    % (NET, k, k, "reg * %s" % k if k[0] == "W" else "0 (biases are not "
                       "penalised)"), grads1[k] - grads0[k], expected)


@ASSIGNMENT.test(NET, points=2, kind=CONSISTENCY)
def gradient_check(t):
    """Every gradient agrees with central differences of the net's own loss."""
    X, y, params = _net_problem(t.rng, 5, 4, 6, 3)
    reg = 0.2
    _, grads = _loss_grads(t, params, reg, X, y)
    args = _args(params, reg, X, y)

    def loss_of(value):
        return as_number("%s.loss(X, y): loss" % NET, as_tuple(NET, value, ("loss", "grads"))[0])

    for i, k in enumerate(PARAMS):
        check_gradient(t, LOSS, args, 2 + i, grads[k], loss_of,
                       "%s.loss(X, y): grads['%s']" % (NET, k))


