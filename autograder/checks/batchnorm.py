"""Checks of the batchnorm assignment (catalog: SPEC.md, "batchnorm").

Batches are drawn with a per-feature offset and, often, a SMALL spread (std 1e-3, so the
variance 1e-6 is below eps = 1e-5): there the classic slips (unbiased variance,
``sqrt(var) + eps``) change the output by percents instead of parts per million.

Tolerances: the defaults (rtol 1e-6, atol 1e-8 scaled by the largest expected entry).
Measured over 3000 batches drawn as here (N 2..12, D 1..9, offsets up to 3, std 1e-3
to 4), correct implementations differ from the reference by at most 6e-13 (two-pass
variance, np.var, np.std**2, the step-by-step graph and the closed-form backward) and
1.8e-10 (the one-pass E[x^2] - E[x]^2 variance, which cancels digits when the offset
dwarfs the spread; offsets are kept <= 3 for it): a margin of 50 or more, while every
bug these checks catch moves the output by 1e-3 or more. Backward checks draw offsets of
at most 3 spreads (see _gradient_problem). Checked end to end: the reference, the
student-style solution and a one-pass-variance variant score full marks on 150 seeds.
"""
import numpy as np
from hypothesis import strategies as st

# BEGIN HIDDEN TESTS
from reference import batchnorm as ref

from ..cases import cases, sizes
# END HIDDEN TESTS
from ..compare import check_array, describe
from ..errors import CheckFailed
from ..layercheck import check_layer, forward_full
from ..registry import Assignment

ASSIGNMENT = Assignment("batchnorm", "Batch normalization and layer normalization")
ASSIGNMENT.function("batchnorm_forward", ("x", "gamma", "beta", "bn_param"),
                    may_modify=("bn_param",))
ASSIGNMENT.function("batchnorm_backward", ("dout", "cache"))
ASSIGNMENT.function("batchnorm_backward_alt", ("dout", "cache"))
ASSIGNMENT.function("spatial_batchnorm_forward", ("x", "gamma", "beta", "bn_param"),
                    may_modify=("bn_param",))
ASSIGNMENT.function("spatial_batchnorm_backward", ("dout", "cache"))
ASSIGNMENT.function("layernorm_forward", ("x", "gamma", "beta", "ln_param"),
                    may_modify=("ln_param",))
ASSIGNMENT.function("layernorm_backward", ("dout", "cache"))

STDS = (1e-3, 3e-3, 1e-2, 1.0, 4.0)   # spreads of generated batches (1e-3: var < eps)
MAX_OFFSET = 3.0                      # per-feature means (see the tolerance note above)
EPS, MOMENTUM = 1e-5, 0.9             # the catalog's defaults
EPS_CHOICES = (None, 1e-4, 1e-3)      # None: left out of bn_param (the default applies)
MOMENTUM_CHOICES = (None, 0.5, 0.95)
NAMES = ("dx", "dgamma", "dbeta")
STAT_RTOL = 1e-6                      # statistics of the output, computed in float64


# ------------------------------------------------------------------ data
def _params(rng, C):
    gamma = rng.uniform(0.5, 2.0, C) * rng.choice([-1.0, 1.0], C)    # (C,) signs mixed
    beta = rng.standard_normal(C)                                    # (C,)
    return gamma, beta


def _batch(rng, shape, std, per_example=False, max_offset=MAX_OFFSET):
    """x of ``shape`` = offset + std * noise; offsets per feature/channel (axis 1), or
    per example (axis 0) for layer norm, uniform in +-max_offset."""
    if per_example:
        offset_shape = (shape[0],) + (1,) * (len(shape) - 1)         # (N, 1)
    else:
        offset_shape = (1, shape[1]) + (1,) * (len(shape) - 2)       # (1, C[, 1, 1])
    offset = rng.uniform(-max_offset, max_offset, offset_shape)
    return offset + std * rng.standard_normal(shape)


def _bn_param(mode, eps=None, momentum=None, **running):
    bp = {"mode": mode}
    if eps is not None:
        bp["eps"] = eps
    if momentum is not None:
        bp["momentum"] = momentum
    bp.update(running)
    return bp


def _copy(d):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in d.items()}


def _train_update(bp, x, momentum=MOMENTUM):
    """``bp`` (a copy) with the running statistics after a train batch ``x`` (N, D):
    running = momentum * running + (1 - momentum) * batch statistic, from zeros."""
    bp = _copy(bp)
    momentum = bp.get("momentum", momentum)
    zeros = np.zeros(x.shape[1], dtype=x.dtype)
    bp["running_mean"] = momentum * bp.get("running_mean", zeros) + \
        (1 - momentum) * x.mean(axis=0)
    bp["running_var"] = momentum * bp.get("running_var", zeros) + \
        (1 - momentum) * x.var(axis=0)
    return bp


def _normalize(x, mean, var, eps, gamma, beta, std=None):
    """gamma * (x - mean) / sqrt(var + eps) + beta (or / (std + eps) when std given)."""
    denom = np.sqrt(var + eps) if std is None else std + eps
    return gamma * (x - mean) / denom + beta


# ------------------------------------------------------------------ helpers
def _matches(got, wrong):
    wrong = np.asarray(wrong, dtype=np.float64)
    if not isinstance(got, np.ndarray) or got.shape != wrong.shape or got.dtype.kind != "f":
        return False
    scale = max(1.0, float(np.max(np.abs(wrong), initial=0.0)))
    return bool(np.all(np.abs(got - wrong) <= 1e-8 * scale + 1e-6 * np.abs(wrong)))


def _check(label, got, expected, hints=()):
    """check_array; when the answer matches a known mistake instead, say which."""
    try:
        check_array(label, got, expected)
    except CheckFailed as exc:
        for hint, wrong in hints:
            if _matches(got, wrong):
                raise CheckFailed("%s. %s" % (exc, hint)) from None
        raise


def _running(label, bp_after, key, expected, hints=()):
    if not isinstance(bp_after, dict) or key not in bp_after:
        raise CheckFailed("%s: bn_param has no %r after a train-mode call; store the updated "
                          "running statistics back into bn_param (bn_param[%r] = ...)"
                          % (label, key, key))
    _check("%s: bn_param[%r]" % (label, key), bp_after[key], expected, hints)


def _forward(t, fn, x, gamma, beta, bp):
    """(out, bn_param after the call)."""
    out, outcome = forward_full(t, fn, (x, gamma, beta, bp))
    return out, outcome.args_after[3] if len(outcome.args_after) > 3 else None


def _check_statistics(label, out, x, gamma, beta, axes, eps=EPS):
    """Per group (feature or channel) the output has mean beta and standard deviation
    |gamma| * sqrt(var / (var + eps)), var the biased variance of x over ``axes``;
    gamma and beta broadcast against x."""
    if not isinstance(out, np.ndarray) or out.shape != x.shape:
        check_array("out", out, x)                           # fails, naming what came back
    var = x.var(axis=axes, keepdims=True)                    # (1, D) or (1, C, 1, 1)
    check_array("mean of out %s" % label, out.mean(axis=axes, keepdims=True),
                np.broadcast_to(beta, var.shape), rtol=STAT_RTOL)
    check_array("standard deviation of out %s" % label, out.std(axis=axes, keepdims=True),
                np.abs(gamma) * np.sqrt(var / (var + eps)), rtol=STAT_RTOL)


# ------------------------------------------------------------------ batchnorm_forward
@ASSIGNMENT.test("batchnorm_forward", points=1)
def train_statistics(t):
    """Train mode: each feature (column) of out has mean beta and std |gamma|."""
    N, D = 40, 6
    x = _batch(t.rng, (N, D), 2.0)                                   # (N, D)
    gamma, beta = _params(t.rng, D)
    out, _ = _forward(t, "batchnorm_forward", x, gamma, beta, _bn_param("train"))
    _check_statistics("per feature (over the batch, axis 0)", out, x, gamma, beta, (0,))


@ASSIGNMENT.test("batchnorm_forward", points=1)
def biased_variance(t):
    """Normalises with the biased batch variance (divide by N), as np.var does."""
    N, D = 4, 5
    x = _batch(t.rng, (N, D), 1.0)
    gamma, beta = _params(t.rng, D)
    out, _ = _forward(t, "batchnorm_forward", x, gamma, beta, _bn_param("train"))
    mean = x.mean(axis=0)
    _check("out (batch of N=4)", out,
           t.reference("batchnorm_forward", x, gamma, beta, {"mode": "train"})[0],
           [("It matches the UNBIASED variance (divided by N - 1): batch norm uses the "
             "biased one, divided by N (np.var(x, axis=0))",
             _normalize(x, mean, x.var(axis=0, ddof=1), EPS, gamma, beta))])


@ASSIGNMENT.test("batchnorm_forward", points=1)
def eps_inside_sqrt(t):
    """With a batch variance (1e-6) below eps (1e-5), out = gamma (x - mu) / sqrt(var + eps)."""
    N, D = 16, 5
    x = _batch(t.rng, (N, D), 1e-3)
    gamma, beta = _params(t.rng, D)
    bp = _bn_param("train", eps=EPS)
    out, _ = _forward(t, "batchnorm_forward", x, gamma, beta, bp)
    mean = x.mean(axis=0)
    _check("out (batch variance ~1e-6, eps 1e-5)", out,
           t.reference("batchnorm_forward", x, gamma, beta, bp)[0],
           [("It matches (x - mu) / (sqrt(var) + eps): eps goes INSIDE the square root, "
             "(x - mu) / sqrt(var + eps)", _normalize(x, mean, None, EPS, gamma, beta,
                                                       std=x.std(axis=0)))])


@ASSIGNMENT.test("batchnorm_forward", points=2)
def running_averages(t):
    """Four train batches with momentum 0.7: running_mean/var follow
    running = momentum * running + (1 - momentum) * batch, carried in bn_param."""
    D = 5
    gamma, beta = _params(t.rng, D)
    bp = _bn_param("train", momentum=0.7)
    expected_bp = _copy(bp)
    for step in range(1, 5):
        x = _batch(t.rng, (12, D), float(t.rng.uniform(0.5, 3.0)))
        sent = _copy(bp)
        out, bp = _forward(t, "batchnorm_forward", x, gamma, beta, bp)
        expected_out, _ = t.reference("batchnorm_forward", x, gamma, beta, expected_bp)
        expected_bp = _train_update(expected_bp, x)
        label = "after train batch %d (momentum 0.7)" % step
        check_array("out (%s)" % label, out, expected_out)
        for key, stat in (("running_mean", x.mean(axis=0)), ("running_var", x.var(axis=0))):
            before = sent.get(key, np.zeros(D))
            _running(label, bp, key, expected_bp[key], [(
                "It matches (1 - momentum) * running + momentum * batch: the running "
                "statistic keeps the share `momentum` (0.7) of its old value",
                (1 - 0.7) * before + 0.7 * stat)])


@ASSIGNMENT.test("batchnorm_forward", points=1)
def running_stats_start_at_zero(t):
    """bn_param with only 'mode': running statistics start at zeros, momentum 0.9 and
    eps 1e-5 by default, and the new running statistics are stored in bn_param."""
    N, D = 10, 4
    x = _batch(t.rng, (N, D), 1e-3)            # var < eps: the default eps shows in out
    gamma, beta = _params(t.rng, D)
    out, bp = _forward(t, "batchnorm_forward", x, gamma, beta, {"mode": "train"})
    expected_out, _ = t.reference("batchnorm_forward", x, gamma, beta, {"mode": "train"})
    expected_bp = _train_update({"mode": "train"}, x)
    check_array("out (bn_param = {'mode': 'train'}: eps defaults to 1e-5)", out, expected_out)
    for key, stat in (("running_mean", x.mean(axis=0)), ("running_var", x.var(axis=0))):
        _running("first train batch, bn_param without running statistics", bp, key,
                 expected_bp[key],
                 [("It matches the batch statistic itself: start from zeros, so that after "
                   "one batch running = (1 - momentum) * batch = 0.1 * batch", stat),
                  ("It matches a start from ones: running statistics absent from bn_param "
                   "start at zeros", MOMENTUM + (1 - MOMENTUM) * stat)])


@ASSIGNMENT.test("batchnorm_forward", points=1)
def test_mode_uses_running_stats(t):
    """Test mode normalises with bn_param's running statistics and leaves them unchanged."""
    N, D = 8, 5
    x = _batch(t.rng, (N, D), 1.5)
    gamma, beta = _params(t.rng, D)
    rm = t.rng.standard_normal(D)                                    # (D,) not the batch's
    rv = t.rng.uniform(0.2, 3.0, D)                                  # (D,)
    bp = _bn_param("test", running_mean=rm.copy(), running_var=rv.copy())
    out, after = _forward(t, "batchnorm_forward", x, gamma, beta, bp)
    _check("out (test mode)", out, _normalize(x, rm, rv, EPS, gamma, beta),
           [("It matches a normalisation with the BATCH's statistics: in test mode use "
             "bn_param['running_mean'] and bn_param['running_var']",
             _normalize(x, x.mean(axis=0), x.var(axis=0), EPS, gamma, beta))])
    for key, value in (("running_mean", rm), ("running_var", rv)):
        got = after.get(key) if isinstance(after, dict) else None
        if got is None:
            raise CheckFailed("test mode removed bn_param[%r]; it must leave the running "
                              "statistics as they are" % key)
        check_array("bn_param[%r] after a test-mode call (test mode must not update the "
                    "running statistics)" % key, got, value, rtol=0, atol=0)


# BEGIN HIDDEN TESTS
def _forward_sequence(t, fn, reference, x_list, gamma, beta, bp, label):
    """Train, train, test on the batches of x_list, carrying bn_param from call to call;
    out and the running statistics agree with the reference after each call."""
    expected_bp = _copy(bp)
    for i, x in enumerate(x_list):
        mode = "train" if i < len(x_list) - 1 else "test"
        bp["mode"] = expected_bp["mode"] = mode
        out, bp = _forward(t, fn, x, gamma, beta, bp)
        expected_out, _ = reference(x, gamma, beta, expected_bp)
        where = "%s, call %d (%s mode)" % (label, i + 1, mode)
        check_array("out (%s)" % where, out, expected_out)
        for key in ("running_mean", "running_var"):
            _running(where, bp, key, expected_bp[key])
# END HIDDEN TESTS


SHAPES_2D = st.tuples(st.integers(2, 9), st.integers(1, 10)).filter(lambda s: s[0] != s[1])


# BEGIN HIDDEN TESTS
def _norm_case(shape=SHAPES_2D, momentum=True):
    """Indices into STDS, EPS_CHOICES (and MOMENTUM_CHOICES where running stats matter)."""
    params = dict(shape=shape, std=sizes(0, len(STDS) - 1), eps=sizes(0, len(EPS_CHOICES) - 1))
    if momentum:
        params["momentum"] = sizes(0, len(MOMENTUM_CHOICES) - 1)
    return cases(**params)


@ASSIGNMENT.test("batchnorm_forward", points=2, name="matches_reference", hidden=True)
def bn_matches_reference(t):
    """out and running statistics agree with the reference over train, train, test calls
    on generated shapes and spreads, eps and momentum given or left to their defaults."""
    def body(case):
        rng = case.rng()
        x_list = [_batch(rng, case.shape, STDS[case.std]) for _ in range(3)]
        gamma, beta = _params(rng, case.shape[1])
        bp = _bn_param("train", EPS_CHOICES[case.eps], MOMENTUM_CHOICES[case.momentum])
        _forward_sequence(t, "batchnorm_forward", ref.batchnorm_forward, x_list, gamma, beta,
                          bp, "eps %s, momentum %s" % (bp.get("eps", "default"),
                                                        bp.get("momentum", "default")))
    t.examples(_norm_case(), body)
# END HIDDEN TESTS


# ------------------------------------------------------------------ backward (both forms)
def _gradient_problem(rng, shape, std, per_example=False):
    """Offsets at most 3 spreads: central differences of a forward that computes the
    variance in one pass (E[x^2] - E[x]^2) are noisy when the offset dwarfs the spread
    (offsets up to 3 with std 1e-3: relative errors up to 4e-5, above GRAD_RTOL 1e-5, on 3
    of 60 seeds, measured), and the gradient check must not fail that correct forward."""
    x = _batch(rng, shape, std, per_example, max_offset=3 * std)
    gamma, beta = _params(rng, shape[1])      # (D,) or (C,)
    return x, gamma, beta


def _declare_backward_tests(backward, forward, shapes, per_example=False,
                            param_name="bn_param"):
    """The gradient tests of ``backward``, fed by ``forward``'s own cache; the expected
    values come from the reference functions of the same names."""
    def param(eps=None):
        if param_name == "ln_param":
            return {} if eps is None else {"eps": eps}
        return _bn_param("train", eps)

    @ASSIGNMENT.test(backward, points=2)
    def gradient_check(t):
        """With the submission's own forward cache, on a batch whose variance (1e-6) is
        below eps: (dx, dgamma, dbeta) agree with the reference and with numerical
        gradients of the submission's forward; dout = 0 gives zero gradients."""
        x, gamma, beta = _gradient_problem(t.rng, shapes[0], 1e-3, per_example)
        check_layer(t, forward, backward, (x, gamma, beta, param()), NAMES, forward,
                    backward)

    # BEGIN HIDDEN TESTS
    @ASSIGNMENT.test(backward, points=2, hidden=True)
    def generated_shapes(t):
        """Same checks on generated shapes, spreads and eps."""
        def body(case):
            x, gamma, beta = _gradient_problem(case.rng(), case.shape, STDS[case.std],
                                               per_example)
            check_layer(t, forward, backward,
                        (x, gamma, beta, param(EPS_CHOICES[case.eps])), NAMES, forward,
                        backward)
        t.examples(_norm_case(shapes[1], momentum=False), body, max_examples=6)
    # END HIDDEN TESTS


_declare_backward_tests("batchnorm_backward", "batchnorm_forward", ((9, 5), SHAPES_2D))
_declare_backward_tests("batchnorm_backward_alt", "batchnorm_forward", ((7, 6), SHAPES_2D))


# ------------------------------------------------------------------ spatial
SHAPES_4D = st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4),
                      st.integers(2, 5)).filter(lambda s: s[0] * s[2] * s[3] >= 2)


@ASSIGNMENT.test("spatial_batchnorm_forward", points=1)
def per_channel_statistics(t):
    """Train mode: each channel of out (over N, H, W) has mean beta and std |gamma|;
    running statistics have one entry per channel."""
    N, C, H, W = 3, 4, 5, 2
    x = _batch(t.rng, (N, C, H, W), 2.0)                             # (N, C, H, W)
    gamma, beta = _params(t.rng, C)
    out, bp = _forward(t, "spatial_batchnorm_forward", x, gamma, beta, {"mode": "train"})
    axes = (0, 2, 3)
    for key in ("running_mean", "running_var"):         # the clearest sign, checked first
        if isinstance(bp, dict) and key in bp and np.shape(bp[key]) != (C,):
            raise CheckFailed("bn_param[%r] is %s, expected shape (%d,): one running statistic "
                              "per channel (statistics over N, H and W together)"
                              % (key, describe(bp[key]), C))
    _check_statistics("per channel (over N, H and W)", out, x, gamma[None, :, None, None],
                      beta[None, :, None, None], axes)
    for key, stat in (("running_mean", x.mean(axis=axes)), ("running_var", x.var(axis=axes))):
        _running("spatial batch norm, first train batch", bp, key, (1 - MOMENTUM) * stat)


# BEGIN HIDDEN TESTS
@ASSIGNMENT.test("spatial_batchnorm_forward", points=2, name="matches_reference", hidden=True)
def spatial_matches_reference(t):
    """out and running statistics agree with the reference over train, train, test calls
    on generated (N, C, H, W) shapes and spreads."""
    def body(case):
        rng = case.rng()
        x_list = [_batch(rng, case.shape, STDS[case.std]) for _ in range(3)]
        gamma, beta = _params(rng, case.shape[1])
        bp = _bn_param("train", EPS_CHOICES[case.eps], MOMENTUM_CHOICES[case.momentum])
        _forward_sequence(t, "spatial_batchnorm_forward", ref.spatial_batchnorm_forward,
                          x_list, gamma, beta, bp, "x of shape %s" % (case.shape,))
    t.examples(_norm_case(SHAPES_4D), body)
# END HIDDEN TESTS


_declare_backward_tests("spatial_batchnorm_backward", "spatial_batchnorm_forward",
                        ((2, 3, 4, 5), SHAPES_4D))


# ------------------------------------------------------------------ layernorm
@ASSIGNMENT.test("layernorm_forward", points=1)
def per_example_statistics(t):
    """Each example (row) of (out - beta) / gamma has mean 0 and std ~1: statistics over
    the features of one example, not over the batch."""
    N, D = 6, 30
    x = _batch(t.rng, (N, D), 2.0, per_example=True)                 # (N, D)
    gamma, beta = _params(t.rng, D)
    out, _ = _forward(t, "layernorm_forward", x, gamma, beta, {})
    if not isinstance(out, np.ndarray) or out.shape != x.shape:
        check_array("out", out, x)
    x_hat = (out - beta) / gamma                                     # (N, D)
    var = x.var(axis=1, keepdims=True)                               # (N, 1)
    check_array("mean of (out - beta) / gamma per example (over axis 1)",
                x_hat.mean(axis=1, keepdims=True), np.zeros((N, 1)), rtol=STAT_RTOL)
    check_array("standard deviation of (out - beta) / gamma per example (over axis 1)",
                x_hat.std(axis=1, keepdims=True), np.sqrt(var / (var + EPS)), rtol=STAT_RTOL)


# BEGIN HIDDEN TESTS
@ASSIGNMENT.test("layernorm_forward", points=2, name="matches_reference", hidden=True)
def ln_matches_reference(t):
    """out agrees with the reference on generated shapes, spreads per example and eps."""
    def body(case):
        rng = case.rng()
        x = _batch(rng, case.shape, STDS[case.std], per_example=True)
        gamma, beta = _params(rng, case.shape[1])
        eps = EPS_CHOICES[case.eps]
        ln_param = {} if eps is None else {"eps": eps}
        out, _ = _forward(t, "layernorm_forward", x, gamma, beta, dict(ln_param))
        check_array("out (eps %s)" % ("default" if eps is None else eps), out,
                    ref.layernorm_forward(x, gamma, beta, ln_param)[0])
    t.examples(_norm_case(momentum=False), body)
# END HIDDEN TESTS


_declare_backward_tests("layernorm_backward", "layernorm_forward", ((5, 8), SHAPES_2D),
                        per_example=True, param_name="ln_param")
