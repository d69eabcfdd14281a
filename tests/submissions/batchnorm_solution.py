"""A correct student-style batchnorm submission (the solution notebook's code)."""
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        # step by step, as in the computational graph
        mu = 1.0 / N * np.sum(x, axis=0)          # (D,)
        xmu = x - mu                              # (N, D)
        sq = xmu ** 2                             # (N, D)
        var = 1.0 / N * np.sum(sq, axis=0)        # (D,)
        sqrtvar = np.sqrt(var + eps)              # (D,)
        ivar = 1.0 / sqrtvar                      # (D,)
        xhat = xmu * ivar                         # (N, D)
        gammax = gamma * xhat
        out = gammax + beta
        cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)

        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        xhat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * xhat + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape

    dbeta = np.sum(dout, axis=0)
    dgammax = dout
    dgamma = np.sum(dgammax * xhat, axis=0)
    dxhat = dgammax * gamma

    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / N * np.ones((N, D)) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dx = (ivar / N) * (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    x2 = np.moveaxis(x, 1, -1).reshape(N * H * W, C)            # (N*H*W, C)
    out2, cache = batchnorm_forward(x2, gamma, beta, bn_param)
    out = np.moveaxis(out2.reshape(N, H, W, C), -1, 1)          # (N, C, H, W)
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    dout2 = np.moveaxis(dout, 1, -1).reshape(N * H * W, C)
    dx2, dgamma, dbeta = batchnorm_backward_alt(dout2, cache)
    dx = np.moveaxis(dx2.reshape(N, H, W, C), -1, 1)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    # layer norm is batch norm of the transposed input, without running averages
    xt = x.T                                          # (D, N)
    mu = xt.mean(axis=0)                              # (N,)
    xmu = xt - mu
    var = (xmu ** 2).mean(axis=0)                     # (N,)
    ivar = 1.0 / np.sqrt(var + eps)
    xhat = (xmu * ivar).T                             # (N, D)
    out = gamma * xhat + beta
    cache = (xhat, gamma, ivar)
    return out, cache


def layernorm_backward(dout, cache):
    xhat, gamma, ivar = cache
    D = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = (dout * gamma).T                          # (D, N)
    xhat_t = xhat.T
    dx = (ivar / D) * (D * dxhat - dxhat.sum(axis=0) - xhat_t * (dxhat * xhat_t).sum(axis=0))
    return dx.T, dgamma, dbeta
