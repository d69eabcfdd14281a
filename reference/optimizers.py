"""Reference for the optimizers assignment (SPEC.md, "optimizers").

Every rule is ``update(w, dw, config=None) -> (next_w, config)``. Missing config keys
get their defaults (written into config); the rule's state (velocity, cache, m, v, t)
starts at zeros and is stored back into config for the next step. ``w`` and ``dw``
are never modified; state arrays are replaced, never updated in place.
"""
import numpy as np


def sgd(w, dw, config=None):
    """Vanilla gradient descent: w - lr * dw."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    """Momentum: v = mu * v - lr * dw; w + v."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def nesterov_momentum(w, dw, config=None):
    """Nesterov momentum: v_new = mu * v - lr * dw; w - mu * v + (1 + mu) * v_new."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    mu = config["momentum"]
    v = config.get("velocity", np.zeros_like(w))
    v_new = mu * v - config["learning_rate"] * dw
    config["velocity"] = v_new
    return w - mu * v + (1 + mu) * v_new, config


def adagrad(w, dw, config=None):
    """Adagrad: cache += dw**2; w - lr * dw / (sqrt(cache) + eps)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w)) + dw ** 2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp: cache = d * cache + (1 - d) * dw**2; w - lr * dw / (sqrt(cache) + eps)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    d = config["decay_rate"]
    cache = d * config.get("cache", np.zeros_like(w)) + (1 - d) * dw ** 2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def adam(w, dw, config=None):
    """Adam: t += 1 first, then bias-corrected moments; w - lr * mhat / (sqrt(vhat) + eps)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    config["t"], config["m"], config["v"] = t, m, v
    mhat = m / (1 - b1 ** t)                            # bias correction
    vhat = v / (1 - b2 ** t)
    next_w = w - config["learning_rate"] * mhat / (np.sqrt(vhat) + config["epsilon"])
    return next_w, config


# ------------------------------------------------------------ learning-rate schedules

def inverse_time_decay(lr0, decay_rate, step):
    """lr0 / (1 + decay_rate * step)."""
    return lr0 / (1 + decay_rate * step)


def exponential_decay(lr0, decay_rate, step):
    """lr0 * decay_rate ** step."""
    return lr0 * decay_rate ** step
