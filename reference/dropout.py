"""Reference for the dropout assignment (SPEC.md, "dropout").

Inverted dropout: ``p`` is the probability of DROPPING a unit (as in PyTorch); kept
units are scaled by 1 / (1 - p) in train mode so that test mode is the identity.
"""
import numpy as np


def dropout_forward(x, dropout_param):
    """x (any shape) -> (out, cache).

    dropout_param: 'p' (drop probability, 0 <= p < 1), 'mode' ('train' | 'test'),
    optional 'seed' (same seed, same mask).
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if not 0 <= p < 1:
        raise ValueError(f"dropout_param['p'] must be in [0, 1), got {p!r}")
    if mode == "train":
        rng = (np.random.default_rng(dropout_param["seed"]) if "seed" in dropout_param
               else np.random.default_rng())
        mask = (rng.random(x.shape) >= p) / (1 - p)     # (x.shape) 0 or 1 / (1 - p)
        out = x * mask
    elif mode == "test":
        mask = None
        out = x.copy()
    else:
        raise ValueError(f"dropout_param['mode'] must be 'train' or 'test', got {mode!r}")
    return out, (mode, mask)


def dropout_backward(dout, cache):
    """The gradient flows through the kept units with the forward's scaling."""
    mode, mask = cache
    return dout * mask if mode == "train" else dout.copy()
