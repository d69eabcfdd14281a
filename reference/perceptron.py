"""Reference for the perceptron assignment (SPEC.md, "perceptron"): "deep learning from
scratch", chapters 2-4.

Logic gates are single perceptrons ``1 if w . x + b > 0 else 0`` with the book's weights;
XOR is the book's two-layer network. Activations, losses and the numerical gradient
follow the book, made stable where the book's one-liners overflow. NumPy float64;
inputs are never modified (``numerical_gradient`` perturbs ``x`` in place, as the book
does, so that a loss reading the same array sees the change, and restores it exactly).
"""
import numpy as np

CE_EPS = 1e-7   # cross_entropy_error adds this inside the log (the book's delta): log(0) -> -16.1
GRAD_H = 1e-4   # numerical_gradient's step: central differences, the book's h


# ------------------------------------------------------------------------ gates

def _perceptron(x1, x2, w, b):
    """1 if w . (x1, x2) + b > 0 else 0 (a Python int)."""
    return 1 if w[0] * x1 + w[1] * x2 + b > 0 else 0


def AND(x1, x2):
    return _perceptron(x1, x2, (0.5, 0.5), -0.7)


def NAND(x1, x2):
    return _perceptron(x1, x2, (-0.5, -0.5), 0.7)


def OR(x1, x2):
    return _perceptron(x1, x2, (0.5, 0.5), -0.2)


def XOR(x1, x2):
    """Two layers: NAND and OR of the inputs, then AND of the two (not linearly
    separable, so no single perceptron can do it)."""
    return AND(NAND(x1, x2), OR(x1, x2))


# ------------------------------------------------------------------ activations

def step_function(x):
    """1 where x > 0, else 0 (int array; step(0) = 0, as the book)."""
    return (np.asarray(x) > 0).astype(np.int64)


def sigmoid(x):
    """1 / (1 + exp(-x)) without overflow: exp only ever sees -|x| <= 0."""
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))                                 # in (0, 1]
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def relu(x):
    return np.maximum(0.0, np.asarray(x, dtype=np.float64))


def softmax(a):
    """exp(a) / sum(exp(a)) along the last axis (a 1-D vector, or each row of a 2-D
    batch); the max is subtracted first, so large scores cannot overflow."""
    a = np.asarray(a, dtype=np.float64)
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))      # same shape, every entry <= 1
    return e / np.sum(e, axis=-1, keepdims=True)


# ------------------------------------------------------------------------ losses

def mean_squared_error(y, t):
    """0.5 * sum((y - t)**2): summed over everything, not averaged (the book's)."""
    return 0.5 * np.sum((np.asarray(y, dtype=np.float64) - np.asarray(t)) ** 2)


def cross_entropy_error(y, t):
    """Mean over the batch of -log(y[label] + 1e-7).

    y (N, C) probabilities, or (C,) for a batch of one; t one-hot (same size as y) or
    integer labels (N,) (a scalar label for a 1-D y). One-hot rows are read through
    their argmax, so both forms give the same number.
    """
    y = np.asarray(y, dtype=np.float64)
    t = np.asarray(t)
    if y.ndim == 1:
        y = y.reshape(1, -1)                               # (1, C)
        t = t.reshape(1, -1)                               # (1, C) or (1, 1)
    if t.size == y.size:
        t = t.reshape(y.shape).argmax(axis=1)              # one-hot (N, C) -> labels (N,)
    labels = t.reshape(-1).astype(np.int64)                # (N,)
    picked = y[np.arange(y.shape[0]), labels]              # (N,)
    return -np.sum(np.log(picked + CE_EPS)) / y.shape[0]


# --------------------------------------------------------------------- gradients

def numerical_gradient(f, x):
    """df/dx by central differences (f(x + h) - f(x - h)) / 2h, h = 1e-4, entry by entry,
    for a float array x of any shape; returns float64 of x's shape.

    Each entry is changed IN PLACE and put back exactly (the saved value, not
    x + h - h), so f may ignore its argument and read x through a net's parameters,
    as the book's ``lambda W: net.loss(x, t)`` does.
    """
    grad = np.zeros(np.shape(x), dtype=np.float64)        # x's shape
    for idx in np.ndindex(*np.shape(x)):                  # () once for a 0-d array
        saved = x[idx]
        x[idx] = saved + GRAD_H
        f_plus = f(x)
        x[idx] = saved - GRAD_H
        f_minus = f(x)
        x[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2 * GRAD_H)
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """step_num steps of x <- x - lr * numerical_gradient(f, x) from a float64 copy of
    init_x (left unchanged); returns the final x."""
    x = np.array(init_x, dtype=np.float64)                # a copy
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x
