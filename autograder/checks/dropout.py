"""Checks of the dropout assignment (catalog: SPEC.md, "dropout").

The mask's random stream is the student's business (np.random.rand, a Generator,
binomial or uniform draws, `<` or `>=`), so no check compares masks with the
reference: they check properties every correct answer has. Inputs never contain
zeros, so a zero output means a dropped unit, and out / x is the mask the forward
applied: the backward is judged against that mask (SPEC: a backward is the derivative
of its own forward), so a forward's bug (unscaled, mask / p, ...) costs the forward only.
"""
import numpy as np

from ..compare import _index, check_array, describe
from ..context import Call, Ref
from ..errors import CheckFailed
from ..registry import CONSISTENCY, Assignment

ASSIGNMENT = Assignment("dropout", "Inverted dropout")
ASSIGNMENT.function("dropout_forward", ("x", "dropout_param"))
ASSIGNMENT.function("dropout_backward", ("dout", "cache"))

# Kept units are x / (1 - p) up to rounding: x * (1 / (1 - p)) and x / (1 - p) differ by
# an ulp or two, far below this tolerance; a wrong scale is off by 10% or more.
SCALE_RTOL = 1e-12

# Share of dropped units: UNITS draws per p, accepted within SIGMAS standard deviations
# sqrt(p (1 - p) / UNITS) of p. The Chernoff bound exp(-n KL(p +- d || p)) gives, for
# each of the three p, a probability below 4.7e-11 that a correct answer lands outside
# (the exact binomial tail is 2.6e-12); for all three together < 1.4e-10 < 1e-9, on
# any seed. The band (0.6 to 0.8 percentage points) is two orders of magnitude
# narrower than the mistakes it catches (keeping with probability p: 25% vs 75%).
UNITS = 200_000
SIGMAS = 7.0
DROP_PS = (0.25, 0.5, 0.8)


def _inputs(rng, shape):
    """Values in +-[0.5, 2]: never zero, so out == 0 means dropped."""
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _seed(rng):
    return int(rng.integers(0, 2**31 - 1))


def _out(t, x, dropout_param, keep=None, strict=True):
    """out of dropout_forward (the cache stays in the worker under ``keep``); unless
    ``strict``, whatever came back (a backward's test reads it only as a guide)."""
    value = t.calls([Call("dropout_forward", (x, dropout_param), keep=keep, ret=[0])])[0].value
    out = value[0] if isinstance(value, tuple) and len(value) == 1 else value
    if strict and (not isinstance(out, np.ndarray) or out.shape != x.shape):
        if isinstance(value, tuple) and len(value) != 1:
            raise CheckFailed("dropout_forward: expected a tuple (out, cache), got %s"
                              % describe(value))
        check_array("out", out, x)              # fails, naming what came back
    return out


# ------------------------------------------------------------------ dropout_forward
@ASSIGNMENT.test("dropout_forward", points=2)
def kept_units_scaled(t):
    """Train mode: each output is 0 (dropped) or x / (1 - p) (kept, inverted dropout)."""
    p = 0.3
    x = _inputs(t.rng, (20, 3, 7))                                  # any shape
    out = _out(t, x, {"p": p, "mode": "train", "seed": _seed(t.rng)})
    kept_value = x / (1 - p)
    dropped = out == 0
    kept = np.abs(out - kept_value) <= SCALE_RTOL * np.abs(kept_value)
    wrong = ~(dropped | kept)
    if not wrong.any():
        if dropped.all():       # 420 units, p = 0.3: all dropped by chance is 1e-220
            raise CheckFailed("out is 0 everywhere: with p = %g each unit is kept with "
                              "probability 1 - p = %g, so about %d of these %d units must be "
                              "kept (x / (1 - p))" % (p, 1 - p, round((1 - p) * x.size),
                                                      x.size))
        return
    if np.allclose(out[~dropped], x[~dropped], rtol=SCALE_RTOL, atol=0):
        raise CheckFailed("out: the kept units equal x, unscaled; inverted dropout scales "
                          "them by 1 / (1 - p) in train mode (here x / 0.7) so that test mode "
                          "is the identity")
    idx = np.unravel_index(int(np.argmax(wrong)), x.shape)
    raise CheckFailed("out%s = %.6g with x%s = %.6g and p = %g: each output must be 0 "
                      "(dropped) or x / (1 - p) = %.6g (kept); %d of %d outputs are neither"
                      % (_index(idx), out[idx], _index(idx), x[idx], p, kept_value[idx],
                         int(wrong.sum()), x.size))


@ASSIGNMENT.test("dropout_forward", points=2)
def drop_rate(t):
    """The share of dropped units is p (p is the DROP probability): p = 0.25, 0.5, 0.8
    on 200,000 units each, within 7 standard deviations."""
    for p in DROP_PS:
        x = _inputs(t.rng, (UNITS // 500, 500))
        out = _out(t, x, {"p": p, "mode": "train", "seed": _seed(t.rng)})
        share = float(np.mean(out == 0))
        band = SIGMAS * np.sqrt(p * (1 - p) / UNITS)
        if abs(share - p) > band:
            hint = ""
            if abs(share - (1 - p)) <= band:
                hint = ("; that is 1 - p: p is the probability of DROPPING a unit (as in "
                        "PyTorch), so keep each unit with probability 1 - p")
            raise CheckFailed("with p = %g, %.2f%% of the units were dropped (set to 0), "
                              "expected %.2f%% +- %.2f%%%s" % (p, 100 * share, 100 * p,
                                                               100 * band, hint))


@ASSIGNMENT.test("dropout_forward", points=1, kind=CONSISTENCY)
def test_mode_identity(t):
    """Test mode returns x unchanged (no mask, no scaling)."""
    x = _inputs(t.rng, (6, 9))
    out = _out(t, x, {"p": 0.6, "mode": "test"})
    try:
        check_array("out (test mode)", out, x, rtol=0, atol=0)
    except CheckFailed as exc:
        ratio = out / x
        if np.allclose(ratio, ratio.flat[0], rtol=1e-9) and ratio.flat[0] != 0:
            raise CheckFailed("%s. out = %.6g * x: with inverted dropout the scaling happens "
                              "in train mode only; test mode is the identity"
                              % (exc, ratio.flat[0])) from None
        raise


@ASSIGNMENT.test("dropout_forward", points=1, kind=CONSISTENCY)
def seed_reproducible(t):
    """The same seed gives the same mask; another seed gives another mask."""
    x = _inputs(t.rng, (40, 50))
    s = _seed(t.rng)
    first, again, other = (_out(t, x, {"p": 0.5, "mode": "train", "seed": seed})
                           for seed in (s, s, s + 1))
    if not np.array_equal(first == 0, again == 0):
        raise CheckFailed("two calls with seed %d dropped different units (%d of %d differ): "
                          "when dropout_param has a 'seed', draw the mask from a generator "
                          "seeded with it, e.g. np.random.default_rng(seed)"
                          % (s, int(np.sum((first == 0) != (again == 0))), x.size))
    if np.array_equal(first == 0, other == 0):
        raise CheckFailed("seeds %d and %d dropped exactly the same units: the mask must "
                          "come from dropout_param['seed'], not a fixed one" % (s, s + 1))


# ------------------------------------------------------------------ dropout_backward
def _rtol(out):
    """Tolerance of a mask read as out / x: a few ulps of the output's precision."""
    return max(1e-9, 50 * float(np.finfo(out.dtype).eps)) if out.dtype.kind == "f" else 1e-9


def _forward_mask(out, x):
    """The mask the forward applied, out / x (x has no zeros), when its output shows
    one: a finite array of x's shape keeping at least one unit, every kept unit scaled
    alike (each entry 0 or the same c).  None when the output is no guide."""
    if not isinstance(out, np.ndarray) or out.shape != x.shape or out.dtype.kind not in "iuf":
        return None
    with np.errstate(all="ignore"):
        mask = out.astype(np.float64) / x                               # (x.shape)
    kept = mask != 0
    if not np.all(np.isfinite(mask)) or not kept.any():
        return None
    values = mask[kept]
    if np.ptp(values) > _rtol(out) * np.max(np.abs(values)):
        return None
    return mask


def _dx_array(dx, x):
    """dx as float64, or CheckFailed naming what came back."""
    if not isinstance(dx, np.ndarray) or dx.shape != x.shape or dx.dtype.kind not in "iuf":
        check_array("dx", dx, x)                   # fails, naming what came back
    return dx.astype(np.float64)


def _check_dx_own_mask(dx, dout, mask, rtol):
    """dx == dout * mask (the mask the forward applied), with a hint for the usual slips."""
    expected = dout * mask                                              # (x.shape)
    dx = _dx_array(dx, dout)
    if np.all(np.abs(dx - expected) <= rtol * np.abs(expected)):
        return
    dropped = mask == 0
    if dropped.any() and np.all(np.abs(dx - dout) <= rtol * np.abs(dout)):
        raise CheckFailed("dx = dout, but the forward dropped %d of these %d units (out == 0): "
                          "no gradient flows through a dropped unit, so dx = dout * mask, "
                          "with the mask the forward stored in the cache"
                          % (int(dropped.sum()), dout.size))
    if not np.array_equal(dx == 0, dropped):
        raise CheckFailed("dx is non-zero for %d units the forward dropped and zero for %d "
                          "units it kept (of %d): multiply dout by the mask stored in the "
                          "cache, the one the forward applied"
                          % (int(np.sum((dx != 0) & dropped)), int(np.sum((dx == 0) & ~dropped)),
                             dout.size))
    scale = float(mask[~dropped][0])            # what the forward multiplied kept units by
    ratio = dx[~dropped] / expected[~dropped]
    if np.ptp(ratio) <= rtol * np.max(np.abs(ratio)):
        factor = float(ratio[0])
        hint = ""
        if abs(factor - scale) <= rtol * abs(scale) and abs(scale - 1) > rtol:
            hint = ("; that is the forward's scale applied twice: the mask in the cache "
                    "already holds it, multiply by the mask once")
        raise CheckFailed("dx = %.6g * dout * mask on the kept units: the forward multiplied "
                          "each kept unit by %.6g (out / x), so its gradient is dout * %.6g%s"
                          % (factor, scale, scale, hint))
    check_array("dx (expected dout * mask, the mask the forward applied: out / x)", dx,
                expected, rtol=rtol, atol=0)


def _check_dx_alone(dx, dout, p):
    """Without a mask from the forward: dx / dout must be a mask (0, or one scale for
    every kept unit) dropping a share p of the units (a zero dx is no mask)."""
    dx = _dx_array(dx, dout)
    mask = dx / dout                                                    # (x.shape)
    kept = mask != 0
    values = mask[kept]
    if kept.any() and (not np.all(np.isfinite(values))
                       or np.ptp(values) > 1e-9 * np.max(np.abs(values))):
        low, high = (np.unravel_index(int(i), mask.shape)
                     for i in (np.argmin(np.where(kept, mask, np.inf)),
                               np.argmax(np.where(kept, mask, -np.inf))))
        raise CheckFailed("dx%s / dout%s = %.6g but dx%s / dout%s = %.6g: dropout's backward "
                          "multiplies dout by the forward's mask, 0 for a dropped unit and the "
                          "same scale (1 / (1 - p) = %.6g) for every kept unit"
                          % (_index(low), _index(low), mask[low], _index(high), _index(high),
                             mask[high], 1 / (1 - p)))
    share = float(np.mean(~kept))
    band = SIGMAS * np.sqrt(p * (1 - p) / dout.size)
    if abs(share - p) > band:
        raise CheckFailed("the forward's output shows no mask to compare with, and dx is 0 for "
                          "%.1f%% of the units, expected the forward's dropped share p = %g%% "
                          "(+- %.1f%%): dx = dout * mask, with the mask of the forward's cache"
                          % (100 * share, 100 * p, 100 * band))


@ASSIGNMENT.test("dropout_backward", points=2)
def uses_forward_mask(t):
    """Train mode, with the forward's own cache: dx = dout * mask, the mask the forward
    applied, read from its output on the same (seeded) call as out / x.  A backward is
    judged as the derivative of its own forward, so a forward bug costs the forward
    only.  Where the output shows no mask (everything dropped, not an array of x's
    shape, not 0-or-one-scale), dx / dout must be a mask dropping a share p."""
    p = 0.4
    x = _inputs(t.rng, (60, 50))     # 3000 units: the dropped share is p +- 6.3% (7 sigma)
    out = _out(t, x, {"p": p, "mode": "train", "seed": _seed(t.rng)}, keep="fwd",
               strict=False)
    dout = _inputs(t.rng, x.shape)   # no zeros: dx / dout is the backward's mask
    dx = t.call("dropout_backward", dout, Ref("fwd", 1))
    mask = _forward_mask(out, x)
    if mask is None:
        _check_dx_alone(dx, dout, p)
    else:
        _check_dx_own_mask(dx, dout, mask, _rtol(out))


@ASSIGNMENT.test("dropout_backward", points=1, kind=CONSISTENCY)
def test_mode_passes_gradient(t):
    """In test mode the forward is the identity, so dx == dout (or, beside a forward
    that is not the identity there, dout times its own constant out / x)."""
    x = _inputs(t.rng, (5, 8))
    out = _out(t, x, {"p": 0.5, "mode": "test"}, keep="fwd", strict=False)
    dout = t.rng.standard_normal(x.shape)
    dx = t.call("dropout_backward", dout, Ref("fwd", 1))
    try:
        check_array("dx (test mode)", dx, dout, rtol=0, atol=0)
    except CheckFailed:
        own = _forward_mask(out, x)      # a forward that is not the identity in test mode
        if own is None or np.all(np.abs(own - 1) <= _rtol(out)):
            raise
        check_array("dx (test mode: dout * out / x, the derivative of the forward's test "
                    "mode)", dx, dout * own, rtol=_rtol(out), atol=0)
