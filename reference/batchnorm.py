"""Reference for the batchnorm assignment (SPEC.md, "batchnorm").

Batch normalisation (statistics per feature over the batch), its spatial version
(per channel over N, H, W) and layer normalisation (per example over features).
Only ``bn_param`` is changed: the running statistics are stored back into it.
"""
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    """x (N, D), gamma (D,), beta (D,) -> (out (N, D), cache).

    bn_param: 'mode' ('train' | 'test'), 'eps' (1e-5), 'momentum' (0.9),
    'running_mean' / 'running_var' (D,) (zeros when absent; stored back).
    Train: batch mean and biased variance, running = momentum * running
    + (1 - momentum) * batch. Test: the running statistics.
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))   # (D,)
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))     # (D,)

    if mode == "train":
        mu = x.mean(axis=0)                             # (D,)
        var = x.var(axis=0)                             # (D,) biased: divides by N
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        mu, var = running_mean, running_var
    else:
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var

    xc = x - mu                                         # (N, D)
    inv_std = 1.0 / np.sqrt(var + eps)                  # (D,)
    x_hat = xc * inv_std                                # (N, D)
    out = gamma * x_hat + beta                          # (N, D)
    return out, (mode, xc, var, eps, inv_std, x_hat, gamma)


def batchnorm_backward(dout, cache):
    """Backward through the computational graph, one node at a time -> (dx, dgamma, dbeta)."""
    mode, xc, var, eps, inv_std, x_hat, gamma = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)                            # (D,)
    dgamma = (dout * x_hat).sum(axis=0)                 # (D,)
    dx_hat = dout * gamma                               # (N, D)
    if mode == "test":                                  # mu and var are constants
        return dx_hat * inv_std, dgamma, dbeta
    # x_hat = xc * inv_std, inv_std = (var + eps)**-0.5, var = mean(xc**2), xc = x - mu
    dinv_std = (dx_hat * xc).sum(axis=0)                # (D,)
    dvar = dinv_std * -0.5 * (var + eps) ** -1.5        # (D,)
    dxc = dx_hat * inv_std + dvar * 2 * xc / N          # (N, D) both paths into xc
    dmu = -dxc.sum(axis=0)                              # (D,)
    dx = dxc + dmu / N                                  # (N, D)
    return dx, dgamma, dbeta


def _normalize_backward(dx_hat, x_hat, inv_std, axis):
    """dx for x_hat = (x - mean) * inv_std, mean and biased variance taken along ``axis``:
    dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)).
    """
    mean_dx_hat = dx_hat.mean(axis=axis, keepdims=True)
    mean_dx_hat_x_hat = (dx_hat * x_hat).mean(axis=axis, keepdims=True)
    return inv_std * (dx_hat - mean_dx_hat - x_hat * mean_dx_hat_x_hat)


def batchnorm_backward_alt(dout, cache):
    """Simplified closed form:
    dx = inv_std / N * (N * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)).
    """
    mode, xc, var, eps, inv_std, x_hat, gamma = cache
    dbeta = dout.sum(axis=0)                            # (D,)
    dgamma = (dout * x_hat).sum(axis=0)                 # (D,)
    dx_hat = dout * gamma                               # (N, D)
    if mode == "test":
        return dx_hat * inv_std, dgamma, dbeta
    return _normalize_backward(dx_hat, x_hat, inv_std, axis=0), dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """x (N, C, H, W), gamma (C,), beta (C,): batchnorm with statistics per channel."""
    N, C, H, W = x.shape
    x_flat = x.transpose(0, 2, 3, 1).reshape(-1, C)    # (N*H*W, C)
    out_flat, cache = batchnorm_forward(x_flat, gamma, beta, bn_param)
    out = out_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)   # (N, C, H, W)
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """dout (N, C, H, W) -> dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    N, C, H, W = dout.shape
    dout_flat = dout.transpose(0, 2, 3, 1).reshape(-1, C)       # (N*H*W, C)
    dx_flat, dgamma, dbeta = batchnorm_backward_alt(dout_flat, cache)
    dx = dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)      # (N, C, H, W)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """x (N, D), gamma (D,), beta (D,): statistics per example over its D features.

    ln_param: 'eps' (1e-5). No running statistics, same in train and test.
    """
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)                  # (N, 1)
    var = x.var(axis=1, keepdims=True)                  # (N, 1) biased
    inv_std = 1.0 / np.sqrt(var + eps)                  # (N, 1)
    x_hat = (x - mu) * inv_std                          # (N, D)
    out = gamma * x_hat + beta                          # (N, D)
    return out, (x_hat, inv_std, gamma)


def layernorm_backward(dout, cache):
    """dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,)."""
    x_hat, inv_std, gamma = cache
    dbeta = dout.sum(axis=0)                            # (D,)
    dgamma = (dout * x_hat).sum(axis=0)                 # (D,)
    dx = _normalize_backward(dout * gamma, x_hat, inv_std, axis=1)   # (N, D)
    return dx, dgamma, dbeta
