"""One helper behind every value comparison: type, then shape, then dtype, then values.

Each failure raises ``CheckFailed`` with feedback a student can act on, in the spirit
of ``numpy.testing.assert_allclose``: which output, how many entries differ, the
worst ones with expected vs got and the relative error, and the tolerance used.
"""
import numbers

import numpy as np

from . import config
from .errors import CheckFailed
from .worker import Unsupported


def describe(value):
    """Short, human description of a returned value's type."""
    if isinstance(value, np.ndarray):
        return "an array of shape %s and dtype %s" % (tuple(value.shape), value.dtype)
    if isinstance(value, Unsupported):
        return "%s (not plain data)" % value.what
    if isinstance(value, tuple):
        return "a tuple of %d items" % len(value)
    if value is None:
        return "None"
    return "a %s" % type(value).__name__


def fmt(x):
    return "%.6g" % x if isinstance(x, (float, np.floating)) else str(x)


def _index(idx):
    return "[%s]" % ", ".join(str(int(i)) for i in idx)


def as_number(label, got):
    """A returned scalar as a float: Python/NumPy numbers and 0-d or 1-element arrays."""
    if isinstance(got, bool):
        raise CheckFailed("%s: expected a number, got a bool" % label)
    if isinstance(got, numbers.Real):
        return float(got)
    if isinstance(got, np.ndarray) and got.size == 1 and got.dtype.kind in "iuf":
        return float(got.reshape(()))
    raise CheckFailed("%s: expected a number, got %s" % (label, describe(got)))


def as_tuple(label, got, names):
    """Unpack a returned tuple such as ``(loss, dW)``; names say what each item is."""
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        raise CheckFailed("%s: expected a tuple (%s), got %s"
                          % (label, ", ".join(names), describe(got)))
    return tuple(got)


def check_scalar(label, got, expected, rtol=config.RTOL, atol=config.ATOL):
    value = as_number(label, got)
    if not np.isfinite(value) and np.isfinite(expected):
        raise CheckFailed("%s: expected %s, got %s" % (label, fmt(expected), fmt(value)))
    if abs(value - expected) > atol + rtol * abs(expected):
        rel = abs(value - expected) / max(abs(value), abs(expected), 1e-300)
        raise CheckFailed("%s: expected %s, got %s (rel. error %.2g)"
                          % (label, fmt(expected), fmt(value), rel))


def check_array(label, got, expected, rtol=config.RTOL, atol=config.ATOL, integer=False):
    """Compare a returned array with the expected one.

    ``atol`` is scaled by the largest expected magnitude (at least 1), so the
    tolerance does not depend on the units of the data.  ``integer`` compares labels
    (``check_labels``).
    """
    if integer:
        return check_labels(label, got, expected)
    expected = np.asarray(expected)
    if not isinstance(got, np.ndarray):
        if expected.ndim == 0 and isinstance(got, numbers.Real) and not isinstance(got, bool):
            got = np.asarray(got)
        else:
            raise CheckFailed("%s: expected an array of shape %s, got %s"
                              % (label, tuple(expected.shape), describe(got)))
    if got.shape != expected.shape:
        raise CheckFailed("%s: expected shape %s, got shape %s"
                          % (label, tuple(expected.shape), tuple(got.shape)))
    if got.dtype.kind not in "iuf":
        raise CheckFailed("%s: expected real numbers, got dtype %s" % (label, got.dtype))
    g, e = got.astype(np.float64), expected.astype(np.float64)
    scale = max(1.0, float(np.max(np.abs(e), initial=0.0)))
    with np.errstate(invalid="ignore"):
        wrong = ~(np.abs(g - e) <= atol * scale + rtol * np.abs(e))
    wrong &= ~(np.isnan(g) & np.isnan(e))
    tolerance = "rtol %g, atol %g" % (rtol, atol * scale)
    count = int(np.count_nonzero(wrong))
    if count == 0:
        return
    g = got.astype(np.float64)
    e = expected.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.where(np.isfinite(g), np.abs(g - e), np.inf)
    order = np.argsort(-np.where(wrong, err, -1.0), axis=None, kind="stable")
    shown = []
    for flat in order[:min(count, config.MAX_LISTED_ELEMENTS)]:
        idx = np.unravel_index(flat, got.shape)
        gv, ev = g[idx], e[idx]
        rel = abs(gv - ev) / max(abs(gv), abs(ev), 1e-300) if np.isfinite(gv) else np.inf
        where = "%s%s" % (label, _index(idx)) if got.ndim else label
        shown.append("%s: expected %s, got %s (rel. error %.2g)"
                     % (where, fmt(ev), fmt(gv), rel))
    raise CheckFailed("%s; %d of %d entries differ (%s)"
                      % ("; ".join(shown), count, got.size, tolerance))


def check_labels(label, got, expected):
    """Compare class labels by value: any integer dtype, float64 holding integral
    values, or a list are all fine (SPEC.md); a wrong shape, a non-integral value or a
    wrong label is not.  Feedback counts the wrong labels and shows the first ones."""
    expected = np.asarray(expected)
    if isinstance(got, (list, tuple)):
        try:
            got = np.asarray(got)
        except (ValueError, TypeError):
            raise CheckFailed("%s: expected %d labels, got a ragged list" % (label, expected.size))
    if not isinstance(got, np.ndarray):
        raise CheckFailed("%s: expected an array of %d label%s, got %s"
                          % (label, expected.size, "" if expected.size == 1 else "s",
                             describe(got)))
    if got.shape != expected.shape:
        raise CheckFailed("%s: expected shape %s, got shape %s"
                          % (label, tuple(expected.shape), tuple(got.shape)))
    if got.dtype.kind not in "iuf":
        raise CheckFailed("%s: expected integer labels, got dtype %s" % (label, got.dtype))
    if got.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(got) | (got != np.round(got)))
        if len(bad):
            i = np.unravel_index(bad[0], got.shape)
            raise CheckFailed("%s: labels must be whole numbers, but %s%s = %s is not "
                              "(%d of %d entries are non-integral)"
                              % (label, label.split(" ")[0], _index(i), fmt(got[i]), len(bad),
                                 got.size))
    wrong = np.flatnonzero(got.astype(np.float64) != expected.astype(np.float64))
    if len(wrong) == 0:
        return
    name = label.split(" ")[0]                # "y_pred (k=4)" -> y_pred[0]
    shown = []
    for flat in wrong[:config.MAX_LISTED_ELEMENTS]:
        i = np.unravel_index(flat, got.shape)
        shown.append("%s%s expected %d, got %d" % (name, _index(i) if got.ndim else "",
                                                   int(expected[i]), int(got[i])))
    raise CheckFailed("%s: %d of %d labels differ: %s%s" % (
        label, len(wrong), got.size, "; ".join(shown),
        "; ..." if len(wrong) > config.MAX_LISTED_ELEMENTS else ""))
