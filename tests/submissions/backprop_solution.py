"""A correct student-style backprop submission (the solution notebook's code)."""
import numpy as np


# ---------------------------------------------------------------- gates
def add_forward(x, y):
    out = x + y
    cache = None            # the add gate needs nothing for its backward pass
    return out, cache


def add_backward(dout, cache):
    # the add gate distributes the upstream gradient to both inputs
    dx = dout * 1.0
    dy = dout * 1.0
    return dx, dy


def multiply_forward(x, y):
    out = x * y
    cache = (x, y)
    return out, cache


def multiply_backward(dout, cache):
    x, y = cache
    # the multiply gate "swaps" its inputs
    dx = y * dout
    dy = x * dout
    return dx, dy


def max_forward(x, y):
    out = np.maximum(x, y)
    cache = (x, y)
    return out, cache


def max_backward(dout, cache):
    x, y = cache
    x_is_max = x >= y        # the gradient is routed to the larger input
    dx = dout * x_is_max
    dy = dout * (1 - x_is_max)
    return dx, dy


def sigmoid_forward(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    pos = x >= 0
    neg = ~pos
    # two formulas so that exp never gets a large positive argument
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[neg])
    out[neg] = e / (1.0 + e)
    cache = out
    return out, cache


def sigmoid_backward(dout, cache):
    s = cache
    dx = dout * s * (1 - s)
    return dx


# ---------------------------------------------------------------- layers
def affine_forward(x, w, b):
    N = x.shape[0]
    x_rows = x.reshape(N, -1)          # (N, D)
    out = x_rows.dot(w) + b            # (N, M)
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = dout.dot(w.T).reshape(*x.shape)
    dw = x.reshape(N, -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = x * (x > 0)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx


def tanh_forward(x):
    out = np.tanh(x)
    cache = x
    return out, cache


def tanh_backward(dout, cache):
    x = cache
    dx = dout * (1 - np.tanh(x) ** 2)
    return dx


def leaky_relu_forward(x, alpha=0.01):
    out = np.where(x > 0, x, alpha * x)
    cache = (x, alpha)
    return out, cache


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    slope = np.ones_like(x)
    slope[x <= 0] = alpha
    dx = dout * slope
    return dx


def elu_forward(x, alpha=1.0):
    out = x.copy()
    neg = x <= 0
    out[neg] = alpha * (np.exp(x[neg]) - 1)
    cache = (x, out, alpha)
    return out, cache


def elu_backward(dout, cache):
    x, out, alpha = cache
    dx = dout.copy()
    neg = x <= 0
    dx[neg] = dx[neg] * (out[neg] + alpha)     # d/dx alpha*(e^x - 1) = out + alpha
    return dx


# ---------------------------------------------------------------- losses
def softmax_loss(x, y):
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_sum = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    log_probs = shifted - log_sum
    probs = np.exp(log_probs)
    one_hot = np.zeros_like(x)
    one_hot[np.arange(N), y] = 1
    loss = -np.sum(one_hot * log_probs) / N
    dx = (probs - one_hot) / N
    return loss, dx


def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    positive = margins > 0
    dx = np.zeros_like(x)
    dx[positive] = 1
    dx[np.arange(N), y] -= np.sum(positive, axis=1)
    dx /= N
    return loss, dx


# ---------------------------------------------------------------- initialisers
def xavier_init(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)


def he_init(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


# ---------------------------------------------------------------- the net
class TwoLayerNet:
    """affine - relu - affine - softmax."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 seed=0):
        rng = np.random.default_rng(seed)
        self.reg = reg
        self.params = {
            "W1": weight_scale * rng.standard_normal((input_dim, hidden_dim)),
            "b1": np.zeros(hidden_dim),
            "W2": weight_scale * rng.standard_normal((hidden_dim, num_classes)),
            "b2": np.zeros(num_classes),
        }

    def loss(self, X, y=None):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        hidden, cache1 = affine_forward(X, W1, b1)
        hidden_relu, cache_relu = relu_forward(hidden)
        scores, cache2 = affine_forward(hidden_relu, W2, b2)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {}
        dhidden_relu, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        dhidden = relu_backward(dhidden_relu, cache_relu)
        _, grads["W1"], grads["b1"] = affine_backward(dhidden, cache1)
        grads["W1"] += self.reg * W1
        grads["W2"] += self.reg * W2
        return loss, grads
