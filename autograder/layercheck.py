"""Checks shared by every forward/backward pair (gates, layers, batch norm, dropout).

A backward check feeds the submission's OWN forward cache to its backward (the cache
stays in the worker: ``keep`` + ``Ref``), with a random upstream gradient, never all
ones; it compares with the reference, runs a numerical gradient check against the
submission's own forward, and checks that a zero upstream gradient gives zeros.
"""
import numpy as np

from .compare import as_tuple, check_array, describe, fmt
from .context import Call, Ref
from .errors import CheckFailed
from .gradcheck import check_gradient


def forward_out(t, forward, args, kwargs=None, keep=None):
    """Call ``forward(*args)`` -> ``(out, cache)``; return ``out`` (cache kept in the
    worker under ``keep``)."""
    return forward_full(t, forward, args, kwargs, keep)[0]


def forward_full(t, forward, args, kwargs=None, keep=None):
    """Like ``forward_out``, but returns ``(out, outcome)``: the Outcome also has the
    arguments as they were after the call (``args_after``), e.g. a state dict such as
    ``bn_param`` with the running statistics the forward stored back into it."""
    outcome = t.calls([Call(forward, tuple(args), kwargs or {}, keep=keep, ret=[0])])[0]
    value = outcome.value
    if isinstance(value, tuple) and len(value) == 1:    # the worker sent item 0 only
        return value[0], outcome
    return as_tuple(forward, value, ("out", "cache"))[0], outcome   # fails, naming it


def grads_of(t, backward, dout, cache_key, names):
    """``backward(dout, cache)`` with the forward's own cache; returns the gradients."""
    value = t.call(backward, dout, Ref(cache_key, 1))
    if len(names) == 1:
        if isinstance(value, (tuple, list)) and len(value) == 1:
            value = value[0]
        return (value,)
    return as_tuple(backward, value, names)


def check_layer(t, forward, backward, args, names, ref_forward, ref_backward,
                wrt=None, kwargs=None, rtol=1e-6, atol=1e-8, gradcheck=True):
    """Backward (fed its own forward's cache) vs reference, vs the numerical gradient
    of the submission's forward (when that forward's output is right), and zero
    upstream -> zero gradients.  The forward's output costs nothing here.

    ``ref_forward`` and ``ref_backward`` name the reference functions (asked for with
    ``t.reference``, so that the check also runs where the reference is not installed).
    ``names`` label the gradients backward returns (``("dx", "dw", "db")``); ``wrt``
    maps each to the index of the forward argument it is the gradient of (default:
    the first ``len(names)`` arguments).
    """
    kwargs = kwargs or {}
    wrt = wrt if wrt is not None else list(range(len(names)))
    expected_out, ref_cache = t.reference(ref_forward, *args, **kwargs)
    out = forward_out(t, forward, args, kwargs, keep="fwd")
    try:        # the forward's own tests grade its output; here it only feeds the check
        check_array("%s: out" % forward, out, expected_out, rtol=rtol, atol=atol)
        forward_right = True
    except CheckFailed:
        forward_right = False
    dout = _upstream(t.rng.standard_normal(np.shape(expected_out)))   # random, never all ones
    got = grads_of(t, backward, dout, "fwd", names)
    expected = t.reference(ref_backward, dout, ref_cache)
    expected = expected if isinstance(expected, tuple) else (expected,)
    for name, g, e in zip(names, got, expected):
        check_array("%s: %s" % (backward, name), g, e, rtol=rtol, atol=atol)
    if gradcheck and forward_right:     # numerical gradients of a wrong forward say nothing
        for name, index, g in zip(names, wrt, got):
            check_gradient(t, forward, args, index, g,
                           lambda v: float(np.sum(_first(v) * dout)),
                           "%s: %s" % (backward, name), kwargs=kwargs, ret=[0])
    elif gradcheck:
        # Draw the random directions the gradient checks would have drawn: what t.rng
        # gives next (the inputs of a caller's next example) must not depend on the
        # submission, or the expected values recorded for it would not match.
        for index in wrt:
            t.rng.standard_normal(np.asarray(args[index], dtype=np.float64).shape)
    zeros = grads_of(t, backward, _upstream(np.zeros_like(dout)), "fwd", names)
    for name, g, e in zip(names, zeros, expected):
        if not isinstance(g, np.ndarray) and not np.isscalar(g):
            raise CheckFailed("%s: with a zero upstream gradient %s is %s, not an array of "
                              "zeros" % (backward, name, describe(g)))
        # Zero up to rounding: terms that vanish mathematically leave ~1e-17.
        floor = atol * max(1.0, float(np.max(np.abs(e), initial=0.0)))
        g = np.asarray(g, dtype=np.float64)
        nonzero = ~(np.abs(g) <= floor)
        if np.any(nonzero):
            raise CheckFailed("%s: a zero upstream gradient must give %s = 0, but %d of %d "
                              "entries are non-zero (largest %s; tolerance %g)"
                              % (backward, name, np.count_nonzero(nonzero), np.size(g),
                                 fmt(float(np.max(np.abs(g)))), floor))


def _upstream(dout):
    """A scalar output (a gate on scalars) gets a Python float upstream gradient, as
    the course's circuits do; arrays stay arrays."""
    return float(dout) if np.ndim(dout) == 0 else dout


def _first(value):
    item = value[0] if isinstance(value, (tuple, list)) else value
    return np.asarray(item, dtype=np.float64)
