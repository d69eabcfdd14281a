"""A correct student-style conv submission (the solution notebook's code)."""
import numpy as np


def conv_forward_naive(x, w, b, conv_param):
    out = None
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')  # (N, C, H+2p, W+2p)
    out = np.zeros((N, F, H_out, W_out))                      # (N, F, H_out, W_out)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                hs = i * stride
                for j in range(W_out):
                    ws = j * stride
                    patch = x_pad[n, :, hs:hs + HH, ws:ws + WW]  # (C, HH, WW)
                    out[n, f, i, j] = np.sum(patch * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    dx, dw, db = None, None, None
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')  # (N, C, H+2p, W+2p)
    dx_pad = np.zeros_like(x_pad)                             # (N, C, H+2p, W+2p)
    dw = np.zeros_like(w)                                     # (F, C, HH, WW)
    db = np.sum(dout, axis=(0, 2, 3))                         # (F,)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                hs = i * stride
                for j in range(W_out):
                    ws = j * stride
                    g = dout[n, f, i, j]
                    dw[f] += g * x_pad[n, :, hs:hs + HH, ws:ws + WW]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += g * w[f]
    # cut the padding off (x_pad[:, :, pad:-pad] would be empty for pad = 0)
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]               # (N, C, H, W)
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    out = None
    ph, pw = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    N, C, H, W = x.shape
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride
    out = np.zeros((N, C, H_out, W_out))                      # (N, C, H_out, W_out)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    out[n, c, i, j] = np.max(x[n, c, hs:hs + ph, ws:ws + pw])
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    dx = None
    x, pool_param = cache
    ph, pw = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)                                     # (N, C, H, W)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs:hs + ph, ws:ws + pw]  # (ph, pw)
                    r, s = np.unravel_index(np.argmax(window), window.shape)
                    # += : with overlapping windows one input can win several times
                    dx[n, c, hs + r, ws + s] += dout[n, c, i, j]
    return dx


def conv_forward_im2col(x, w, b, conv_param):
    out, cache = None, None
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')  # (N, C, H+2p, W+2p)
    # im2col: cols[c, p, q, n, i, j] = x_pad[n, c, i*stride + p, j*stride + q]
    cols = np.empty((C, HH, WW, N, H_out, W_out))
    for p in range(HH):
        for q in range(WW):
            shifted = x_pad[:, :, p:p + stride * (H_out - 1) + 1:stride,
                            q:q + stride * (W_out - 1) + 1:stride]   # (N, C, H_out, W_out)
            cols[:, p, q] = shifted.transpose(1, 0, 2, 3)            # (C, N, H_out, W_out)
    cols = cols.reshape(C * HH * WW, N * H_out * W_out)              # (C*HH*WW, N*H_out*W_out)
    out = w.reshape(F, -1) @ cols + b[:, None]                       # (F, N*H_out*W_out)
    out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)      # (N, F, H_out, W_out)
    cache = (x.shape, w, conv_param, cols)
    return out, cache


def conv_backward_im2col(dout, cache):
    dx, dw, db = None, None, None
    x_shape, w, conv_param, cols = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x_shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    db = np.sum(dout, axis=(0, 2, 3))                                # (F,)
    dout_mat = dout.transpose(1, 0, 2, 3).reshape(F, -1)             # (F, N*H_out*W_out)
    dw = (dout_mat @ cols.T).reshape(w.shape)                        # (F, C, HH, WW)
    dcols = w.reshape(F, -1).T @ dout_mat                            # (C*HH*WW, N*H_out*W_out)
    dcols = dcols.reshape(C, HH, WW, N, H_out, W_out)
    # col2im: the inverse scatter; overlapping windows add up, one kernel offset at a time
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))              # (N, C, H+2p, W+2p)
    for p in range(HH):
        for q in range(WW):
            dx_pad[:, :, p:p + stride * (H_out - 1) + 1:stride,
                   q:q + stride * (W_out - 1) + 1:stride] += dcols[:, p, q].transpose(1, 0, 2, 3)
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]                      # (N, C, H, W)
    return dx, dw, db


def max_pool_forward_fast(x, pool_param):
    out, cache = None, None
    ph, pw = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    N, C, H, W = x.shape
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride
    # candidates[k] holds, for every window, its element at offset k = p*pw + q
    candidates = np.empty((ph * pw, N, C, H_out, W_out))
    for p in range(ph):
        for q in range(pw):
            candidates[p * pw + q] = x[:, :, p:p + stride * (H_out - 1) + 1:stride,
                                       q:q + stride * (W_out - 1) + 1:stride]
    arg = np.argmax(candidates, axis=0)                              # (N, C, H_out, W_out)
    out = np.max(candidates, axis=0)                                 # (N, C, H_out, W_out)
    cache = (x.shape, pool_param, arg)
    return out, cache


def max_pool_backward_fast(dout, cache):
    dx = None
    x_shape, pool_param, arg = cache
    ph, pw = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    _, _, H_out, W_out = dout.shape
    dx = np.zeros(x_shape)                                           # (N, C, H, W)
    for p in range(ph):
        for q in range(pw):
            # the windows whose max sits at offset (p, q) send their gradient there
            dx[:, :, p:p + stride * (H_out - 1) + 1:stride,
               q:q + stride * (W_out - 1) + 1:stride] += dout * (arg == p * pw + q)
    return dx


# --------------------------------------- scaffolding layers (given in the notebook)

def affine_forward(x, w, b):
    # x (N, d1, ..., dk) flattened to rows (N, D), times w (D, M), plus b (M,).
    x_rows = x.reshape(x.shape[0], -1)                # (N, D)
    return x_rows @ w + b, (x, w)


def affine_backward(dout, cache):
    # dout (N, M) -> dx (x's shape), dw (D, M), db (M,).
    x, w = cache
    dx = (dout @ w.T).reshape(x.shape)                # (N, d1, ..., dk)
    dw = x.reshape(x.shape[0], -1).T @ dout           # (D, M)
    db = dout.sum(axis=0)                             # (M,)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    # gradient 1 where the input was positive, 0 elsewhere
    return dout * (cache > 0)


def softmax_loss(scores, y):
    # Mean cross-entropy of scores (N, C) for labels y (N,), and its gradient (N, C).
    N = scores.shape[0]
    z = scores - scores.max(axis=1, keepdims=True)    # (N, C), shifted for stability
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    dscores = np.exp(log_p)                           # (N, C) probabilities
    dscores[np.arange(N), y] -= 1
    return loss, dscores / N


class ThreeLayerConvNet:
    def __init__(self, input_dim=(1, 8, 8), num_filters=16, filter_size=3, hidden_dim=64,
                 num_classes=10, weight_scale=1e-3, reg=0.0, seed=0):
        rng = np.random.default_rng(seed)
        self.reg = reg
        self.conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}
        self.pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
        C, H, W = input_dim
        pad = self.conv_param['pad']
        H_conv = 1 + (H + 2 * pad - filter_size)      # conv output, stride 1
        W_conv = 1 + (W + 2 * pad - filter_size)
        H2, W2 = 1 + (H_conv - 2) // 2, 1 + (W_conv - 2) // 2   # after the 2x2 pool
        self.params = {
            'W1': weight_scale * rng.standard_normal((num_filters, C, filter_size, filter_size)),
            'b1': np.zeros(num_filters),
            'W2': weight_scale * rng.standard_normal((num_filters * H2 * W2, hidden_dim)),
            'b2': np.zeros(hidden_dim),
            'W3': weight_scale * rng.standard_normal((hidden_dim, num_classes)),
            'b3': np.zeros(num_classes),
        }

    def loss(self, X, y=None):
        p = self.params
        conv, conv_cache = conv_forward_im2col(X, p['W1'], p['b1'], self.conv_param)  # (N, F, H, W)
        act1, relu1_cache = relu_forward(conv)
        pooled, pool_cache = max_pool_forward_fast(act1, self.pool_param)  # (N, F, H2, W2)
        hid, fc1_cache = affine_forward(pooled, p['W2'], p['b2'])          # (N, hidden)
        act2, relu2_cache = relu_forward(hid)
        scores, fc2_cache = affine_forward(act2, p['W3'], p['b3'])         # (N, classes)
        if y is None:
            return scores

        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * sum(np.sum(p[k] ** 2) for k in ('W1', 'W2', 'W3'))
        grads = {}
        dact2, grads['W3'], grads['b3'] = affine_backward(dscores, fc2_cache)
        dhid = relu_backward(dact2, relu2_cache)
        dpooled, grads['W2'], grads['b2'] = affine_backward(dhid, fc1_cache)
        dact1 = relu_backward(max_pool_backward_fast(dpooled, pool_cache), relu1_cache)
        _, grads['W1'], grads['b1'] = conv_backward_im2col(dact1, conv_cache)
        for k in ('W1', 'W2', 'W3'):
            grads[k] += self.reg * p[k]
        return loss, grads
