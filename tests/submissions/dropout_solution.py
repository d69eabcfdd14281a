"""A correct student-style dropout submission (the solution notebook's code)."""
import numpy as np


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        rng = np.random.default_rng(dropout_param["seed"])
    else:
        rng = np.random.default_rng()

    mask = None
    out = None
    if mode == "train":
        # keep each unit with probability 1 - p, scale the kept ones up
        mask = rng.binomial(1, 1 - p, size=x.shape) / (1 - p)
        out = x * mask
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    dx = None
    if mode == "train":
        dx = dout * mask
    elif mode == "test":
        dx = dout
    return dx
