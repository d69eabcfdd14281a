"""Checks of the dropout assignment (catalog: SPEC.md, "dropout").

The mask's random stream is the student's business (np.random.rand, a Generator,
binomial or uniform draws, `<` or `>=`), so no check compares masks with the
reference: they check properties every correct answer has. Inputs never contain
zeros, so a zero output means a dropped unit.
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


def _out(t, x, dropout_param, keep=None):
    """out of dropout_forward (the cache stays in the worker under ``keep``)."""
    value = t.calls([Call("dropout_forward", (x, dropout_param), keep=keep, ret=[0])])[0].value
    out = value[0] if isinstance(value, tuple) and len(value) == 1 else value
    if not isinstance(out, np.ndarray) or out.shape != x.shape:
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
@ASSIGNMENT.test("dropout_backward", points=2)
def uses_forward_mask(t):
    """With the forward's own cache: dx = dout * mask / (1 - p), the forward's mask and
    scale.  Read through the backward itself (dout = 1 gives mask / (1 - p)), so a
    forward whose output is wrong but whose cache is right costs the backward nothing;
    where the forward's output is right, the mask must be the one it applied, and
    elsewhere about a share p of dx must be zero (a backward returning zeros is no
    mask)."""
    p = 0.4
    x = _inputs(t.rng, (60, 50))     # 3000 units: the dropped share is p +- 6.3% (7 sigma)
    out = _out(t, x, {"p": p, "mode": "train"}, keep="fwd")      # unseeded: own stream
    dout = t.rng.standard_normal(x.shape)
    dx, dx_ones = t.calls([Call("dropout_backward", (dout, Ref("fwd", 1))),
                           Call("dropout_backward", (np.ones_like(x), Ref("fwd", 1)))])
    dx_ones = dx_ones.value
    check_array("dx for dout = 1 (shape)", dx_ones if not isinstance(dx_ones, np.ndarray)
                or dx_ones.shape != x.shape else np.zeros(x.shape), np.zeros(x.shape))
    scale = 1 / (1 - p)
    zero = dx_ones == 0
    scaled = np.abs(dx_ones - scale) <= SCALE_RTOL * scale
    if not (zero | scaled).all():
        idx = np.unravel_index(int(np.argmax(~(zero | scaled))), x.shape)
        raise CheckFailed("dx%s = %.6g for dout = 1 and p = %g: each entry must be 0 (a "
                          "dropped unit) or 1 / (1 - p) = %.6g (a kept unit, scaled as in "
                          "the forward); %d of %d are neither"
                          % (_index(idx), dx_ones[idx], p, scale,
                             int((~(zero | scaled)).sum()), x.size))
    forward_right = isinstance(out, np.ndarray) and np.all(
        (out == 0) | (np.abs(out - x * scale) <= SCALE_RTOL * np.abs(x * scale)))
    if forward_right and not np.array_equal(zero, out == 0):
        raise CheckFailed("dx is non-zero for %d units the forward dropped and zero for %d "
                          "units it kept (of %d): multiply dout by the mask stored in the "
                          "cache (and by 1 / (1 - p))" % (int(np.sum(~zero & (out == 0))),
                                                          int(np.sum(zero & (out != 0))),
                                                          x.size))
    # Where the forward's output is no guide (wrong, or everything dropped), the mask
    # read through the backward must still drop a share p (a zero dx is no mask).
    share = float(np.mean(zero))
    band = SIGMAS * np.sqrt(p * (1 - p) / x.size)
    if (not forward_right or np.all(out == 0)) and abs(share - p) > band:
        raise CheckFailed("dx for dout = 1 is 0 for %.1f%% of the units, expected the "
                          "forward's dropped share p = %g%% (+- %.1f%%): dx = dout * mask / "
                          "(1 - p), with the mask of the forward's cache"
                          % (100 * share, 100 * p, 100 * band))
    check_array("dx (expected dout * mask / (1 - p), the mask of the forward's cache)",
                dx.value, dout * dx_ones, rtol=SCALE_RTOL, atol=0)


@ASSIGNMENT.test("dropout_backward", points=1, kind=CONSISTENCY)
def test_mode_passes_gradient(t):
    """In test mode the forward is the identity, so dx == dout."""
    x = _inputs(t.rng, (5, 8))
    _out(t, x, {"p": 0.5, "mode": "test"}, keep="fwd")
    dout = t.rng.standard_normal(x.shape)
    dx = t.call("dropout_backward", dout, Ref("fwd", 1))
    check_array("dx (test mode)", dx, dout, rtol=0, atol=0)
