"""Numerical gradient checks of a submission against its OWN forward function.

Fast mode, as ``torch.autograd.gradcheck``: one random direction ``u`` per input,
comparing ``(f(x + eps*u) - f(x - eps*u)) / (2*eps)`` with ``<grad, u>``: two
evaluations whatever the size.  Only on failure does it fall back to element-wise
differences, to say WHICH element is wrong.  Callers choose inputs away from kinks.
"""
import numpy as np

from . import compare, config
from .context import Call
from .errors import CheckFailed

MAX_ELEMENTWISE = 200     # elements perturbed one by one in the fallback


def _close(numeric, analytic, scale):
    return abs(numeric - analytic) <= config.GRAD_RTOL * (abs(numeric) + abs(analytic)) + scale


def check_gradient(t, fn, args, wrt, grad, scalar_out, label, kwargs=None, ret="value"):
    """Check ``grad`` (the analytic gradient w.r.t. ``args[wrt]``) against central
    differences of ``fn(*args)``.

    ``scalar_out(value)`` turns what ``fn`` returned into the scalar being
    differentiated (the loss, or ``sum(out * upstream)`` for a layer's forward);
    ``ret`` limits what the worker sends back (``[0]``: only ``out``, not the cache).
    """
    kwargs = kwargs or {}
    name = getattr(fn, "label", fn)      # a judge Helper is named by what it wraps
    x = np.asarray(args[wrt], dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    eps = config.GRAD_EPS
    u = t.rng.standard_normal(x.shape)
    u /= max(np.linalg.norm(u), 1e-300)

    def shifted(delta):
        new = list(args)
        new[wrt] = x + delta
        return Call(fn, tuple(new), kwargs, ret=ret)

    plus, minus = t.calls([shifted(eps * u), shifted(-eps * u)])
    f_plus, f_minus = scalar_out(plus.value), scalar_out(minus.value)
    numeric = (f_plus - f_minus) / (2 * eps)
    analytic = float(np.sum(grad * u))
    floor = 1e-7 * max(1.0, abs(f_plus), abs(f_minus))
    if _close(numeric, analytic, floor):
        return
    # Element-wise fallback: which entries disagree?
    size = x.size
    picks = np.arange(size) if size <= MAX_ELEMENTWISE else np.sort(
        t.rng.choice(size, MAX_ELEMENTWISE, replace=False))
    calls = []
    for flat in picks:
        e = np.zeros(size)
        e[flat] = eps
        e = e.reshape(x.shape)
        calls += [shifted(e), shifted(-e)]
    values = [scalar_out(o.value) for o in t.calls(calls)]
    numeric_at = np.array([(values[2 * i] - values[2 * i + 1]) / (2 * eps)
                           for i in range(len(picks))])
    analytic_at = grad.reshape(-1)[picks]
    bad = [i for i in range(len(picks)) if not _close(numeric_at[i], analytic_at[i], floor)]
    if not bad:
        raise CheckFailed("%s disagrees with the numerical gradient of %s along a random "
                          "direction: numerical %s, analytic %s" % (
                              label, name, compare.fmt(numeric), compare.fmt(analytic)))
    worst = max(bad, key=lambda i: abs(numeric_at[i] - analytic_at[i]))
    idx = np.unravel_index(picks[worst], x.shape)
    rel = abs(numeric_at[worst] - analytic_at[worst]) / max(
        abs(numeric_at[worst]), abs(analytic_at[worst]), 1e-300)
    raise CheckFailed(
        "%s%s: analytic gradient %s, but the numerical gradient of %s's own output is %s "
        "(rel. error %.2g); %d of %d checked entries disagree" % (
            label, compare._index(idx), compare.fmt(analytic_at[worst]), name,
            compare.fmt(numeric_at[worst]), rel, len(bad), len(picks)))
