"""Reference for the conv assignment (SPEC.md, "conv").

Convolution layers compute a cross-correlation (the kernel is NOT flipped, as in every
deep-learning library) with zero padding ``pad`` and step ``stride``; the output is
``1 + (H + 2*pad - HH) // stride`` high (floor: trailing rows and columns that no window
covers are ignored and get a zero gradient). Max pooling windows may overlap, and then
add their gradients. The naive versions loop over every output element; the fast ones
loop at most over the kernel offsets (HH*WW or pool_height*pool_width), whatever N and
the output size. NumPy float64; inputs are never modified.
"""
import numpy as np

from reference.backprop import affine_backward, affine_forward, relu_backward, relu_forward
from reference.backprop import softmax_loss


def _out_size(size, k, pad, stride):
    """Number of window positions along one axis (floor division)."""
    return 1 + (size + 2 * pad - k) // stride


def _pad(x, pad):
    """x (N, C, H, W) with ``pad`` zeros on each side of H and W (np.pad, only faster)."""
    N, C, H, W = x.shape
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))            # (N, C, H+2p, W+2p)
    x_pad[:, :, pad:pad + H, pad:pad + W] = x
    return x_pad


# ------------------------------------------------------------------------ naive conv

def conv_forward_naive(x, w, b, conv_param):
    """x (N, C, H, W), w (F, C, HH, WW), b (F,) -> (out (N, F, H_out, W_out), cache).

    out[n, f, i, j] = sum(x_pad[n, :, i*s : i*s+HH, j*s : j*s+WW] * w[f]) + b[f].
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = _out_size(H, HH, pad, stride), _out_size(W, WW, pad, stride)
    x_pad = _pad(x, pad)                                          # (N, C, H+2p, W+2p)
    out = np.zeros((N, F, H_out, W_out))                         # (N, F, H_out, W_out)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH,
                                   j * stride:j * stride + WW]  # (C, HH, WW)
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    """dout (N, F, H_out, W_out) -> dx (N, C, H, W), dw (F, C, HH, WW), db (F,).

    Each output element sends dout * w[f] back to its window of x_pad and adds
    dout * window to dw[f]; the padding's gradient is then cut off.
    """
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = _pad(x, pad)                                          # (N, C, H+2p, W+2p)
    dx_pad = np.zeros_like(x_pad)                                 # (N, C, H+2p, W+2p)
    dw = np.zeros_like(w)                                         # (F, C, HH, WW)
    db = dout.sum(axis=(0, 2, 3))                                 # (F,)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, rows, cols]
                    dx_pad[n, :, rows, cols] += dout[n, f, i, j] * w[f]
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]                   # (N, C, H, W) not [p:-p]
    return dx, dw, db


# ------------------------------------------------------------------------ naive pool

def max_pool_forward_naive(x, pool_param):
    """x (N, C, H, W) -> (out (N, C, H_out, W_out), cache), H_out = 1 + (H - ph) // s."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out, W_out = _out_size(H, ph, 0, stride), _out_size(W, pw, 0, stride)
    out = np.zeros((N, C, H_out, W_out))                         # (N, C, H_out, W_out)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            out[:, :, i, j] = window.max(axis=(2, 3))           # (N, C)
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    """dout (N, C, H_out, W_out) -> dx (N, C, H, W).

    Each window's gradient goes to its maximum only (a tie: to the first maximum in
    row-major order, as np.argmax); overlapping windows ADD into dx.
    """
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)                                         # (N, C, H, W)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    r, s = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + r, j * stride + s] += dout[n, c, i, j]
    return dx


# --------------------------------------------------------------------- fast conv

def _windows(x_pad, HH, WW, stride, H_out, W_out):
    """Read-only view (N, C, HH, WW, H_out, W_out) of every window of x_pad (padded for
    a conv, x itself for a pool), no copy:
    [n, c, p, q, i, j] = x_pad[n, c, i*stride + p, j*stride + q]."""
    sn, sc, sh, sw = x_pad.strides
    return np.lib.stride_tricks.as_strided(
        x_pad, (x_pad.shape[0], x_pad.shape[1], HH, WW, H_out, W_out),
        (sn, sc, sh, sw, sh * stride, sw * stride), writeable=False)


def conv_forward_im2col(x, w, b, conv_param):
    """Same as conv_forward_naive, as one batched matrix product.

    im2col: every window of example n becomes a column of cols[n], and a last row of
    ones carries the bias (the bias trick): out[n] = [w_row | b] @ cols[n], where
    w_row is w reshaped to (F, C*HH*WW). The sliding sums become one BLAS call, and
    the result comes out in (N, F, ...) order.
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = _out_size(H, HH, pad, stride), _out_size(W, WW, pad, stride)
    K = C * HH * WW
    x_pad = _pad(x, pad)                                          # (N, C, H+2p, W+2p)
    cols = np.empty((N, K + 1, H_out * W_out))                    # (N, K+1, Ho*Wo)
    cols[:, K] = 1.0                                              # the bias row
    cols[:, :K].reshape(N, C, HH, WW, H_out, W_out)[...] = \
        _windows(x_pad, HH, WW, stride, H_out, W_out)             # one strided copy
    w_aug = np.concatenate([w.reshape(F, K), b[:, None]], axis=1)  # (F, K+1)
    out = w_aug @ cols                                            # (N, F, Ho*Wo)
    return out.reshape(N, F, H_out, W_out), (x.shape, w, cols, conv_param)


def conv_backward_im2col(dout, cache):
    """dout (N, F, H_out, W_out) -> (dx, dw, db): two matrix products and col2im.

    [dw | db] = sum_n dout[n] @ cols[n].T (the ones row gives db); dcols[n] =
    w_row.T @ dout[n]; col2im adds each kernel offset's slice of dcols into the strided
    positions of dx_pad: a loop over the HH*WW offsets only, and within one offset no
    two windows touch the same element, so a sliced += is exact (no np.add.at needed).
    """
    x_shape, w, cols, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x_shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    dout_rows = dout.reshape(N, F, H_out * W_out)                 # (N, F, Ho*Wo)
    dw_aug = (dout_rows @ cols.transpose(0, 2, 1)).sum(axis=0)    # (F, K+1)
    dw, db = dw_aug[:, :-1].reshape(w.shape), dw_aug[:, -1].copy()   # (F, C, HH, WW), (F,)
    dcols = w.reshape(F, -1).T @ dout_rows                        # (N, K, Ho*Wo)
    dcols = dcols.reshape(N, C, HH, WW, H_out, W_out)
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))           # (N, C, H+2p, W+2p)
    for p in range(HH):
        for q in range(WW):
            dx_pad[:, :, p:p + stride * H_out:stride, q:q + stride * W_out:stride] += \
                dcols[:, :, p, q]                                 # (N, C, Ho, Wo)
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]                   # (N, C, H, W) not [p:-p]
    return np.ascontiguousarray(dx), dw, db


# --------------------------------------------------------------------- fast pool

def max_pool_forward_fast(x, pool_param):
    """Same as max_pool_forward_naive: the max over a strided view of all windows.

    Ties go to the first maximum in row-major window order (np.argmax), as the naive one.
    """
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out, W_out = _out_size(H, ph, 0, stride), _out_size(W, pw, 0, stride)
    windows = _windows(x, ph, pw, stride, H_out, W_out)          # (N, C, ph, pw, Ho, Wo)
    flat = windows.reshape(N, C, ph * pw, H_out, W_out)          # copy
    argmax = flat.argmax(axis=2)                                  # (N, C, Ho, Wo) in [0, ph*pw)
    out = np.take_along_axis(flat, argmax[:, :, None], axis=2)[:, :, 0]   # (N, C, Ho, Wo)
    return out, (x.shape, argmax, pool_param)


def max_pool_backward_fast(dout, cache):
    """dout (N, C, H_out, W_out) -> dx (N, C, H, W): a loop over the ph*pw window
    offsets; each adds dout where that offset was the argmax (overlaps add up)."""
    x_shape, argmax, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, H_out, W_out = dout.shape
    dx = np.zeros(x_shape)                                        # (N, C, H, W)
    for p in range(ph):
        for q in range(pw):
            dx[:, :, p:p + stride * H_out:stride, q:q + stride * W_out:stride] += \
                dout * (argmax == p * pw + q)                     # (N, C, Ho, Wo)
    return dx


# -------------------------------------------------------------------------- the net

class ThreeLayerConvNet:
    """conv - relu - 2x2 max pool - affine - relu - affine - softmax.

    The conv has stride 1 and pad (filter_size - 1) // 2 (same size for odd filters);
    L2 penalty 0.5 * reg * sum(W**2) over W1, W2, W3.
    """

    def __init__(self, input_dim=(1, 8, 8), num_filters=16, filter_size=3, hidden_dim=64,
                 num_classes=10, weight_scale=1e-3, reg=0.0, seed=0):
        rng = np.random.default_rng(seed)
        C, H, W = input_dim
        self.reg = reg
        self.conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        self.pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        pad = self.conv_param["pad"]
        H_pool = _out_size(_out_size(H, filter_size, pad, 1), 2, 0, 2)
        W_pool = _out_size(_out_size(W, filter_size, pad, 1), 2, 0, 2)
        D = num_filters * H_pool * W_pool
        self.params = {
            "W1": weight_scale * rng.standard_normal(
                (num_filters, C, filter_size, filter_size)),                     # (F, C, k, k)
            "b1": np.zeros(num_filters),                                         # (F,)
            "W2": weight_scale * rng.standard_normal((D, hidden_dim)),           # (D, H)
            "b2": np.zeros(hidden_dim),                                          # (H,)
            "W3": weight_scale * rng.standard_normal((hidden_dim, num_classes)), # (H, C)
            "b3": np.zeros(num_classes),                                         # (C,)
        }

    def loss(self, X, y=None):
        """X (N, C, H, W) -> scores (N, C) when y is None, else (loss, grads)."""
        p = self.params
        a1, conv_cache = conv_forward_im2col(X, p["W1"], p["b1"], self.conv_param)  # (N, F, H, W)
        r1, relu1_cache = relu_forward(a1)
        h1, pool_cache = max_pool_forward_fast(r1, self.pool_param)   # (N, F, H/2, W/2)
        a2, affine2_cache = affine_forward(h1, p["W2"], p["b2"])     # (N, hidden)
        h2, relu2_cache = relu_forward(a2)
        scores, affine3_cache = affine_forward(h2, p["W3"], p["b3"])  # (N, classes)
        if y is None:
            return scores

        data_loss, dscores = softmax_loss(scores, y)
        weights = ("W1", "W2", "W3")
        loss = data_loss + 0.5 * self.reg * sum(np.sum(p[k] ** 2) for k in weights)
        grads = {}
        dh2, grads["W3"], grads["b3"] = affine_backward(dscores, affine3_cache)
        da2 = relu_backward(dh2, relu2_cache)
        dh1, grads["W2"], grads["b2"] = affine_backward(da2, affine2_cache)
        dr1 = max_pool_backward_fast(dh1, pool_cache)
        da1 = relu_backward(dr1, relu1_cache)
        _, grads["W1"], grads["b1"] = conv_backward_im2col(da1, conv_cache)
        for k in weights:
            grads[k] = grads[k] + self.reg * p[k]
        return loss, grads
