"""Reference for the backprop assignment (SPEC.md, "backprop (gates and layers)").

Every operation is a forward that returns ``(out, cache)`` and a backward that turns
the upstream gradient ``dout`` into the gradient of each input (chain rule: local
gradient times ``dout``). NumPy float64; inputs are never modified.
"""
import numpy as np


# ----------------------------------------------------------------------------- gates
# Gates work on scalars or on arrays of one shape (elementwise).

def add_forward(x, y):
    """out = x + y."""
    return x + y, None


def add_backward(dout, cache):
    """Local gradients are 1 and 1: the gradient is passed on unchanged."""
    return 1.0 * dout, 1.0 * dout


def multiply_forward(x, y):
    """out = x * y."""
    return x * y, (x, y)


def multiply_backward(dout, cache):
    """Local gradient of x is y and of y is x (the gates "swap" the inputs)."""
    x, y = cache
    return dout * y, dout * x


def max_forward(x, y):
    """out = max(x, y) elementwise."""
    return np.maximum(x, y), (x, y)


def max_backward(dout, cache):
    """The gradient goes to the larger input only; a tie gives it to x."""
    x, y = cache
    x_wins = np.greater_equal(x, y)
    return dout * x_wins, dout * ~x_wins


def sigmoid_forward(x):
    """out = 1 / (1 + exp(-x)), stable for any finite x. Gate and layer alike."""
    z = np.exp(-np.abs(x))                              # in (0, 1], never overflows
    out = np.where(np.greater_equal(x, 0), 1 / (1 + z), z / (1 + z))
    return out, out


def sigmoid_backward(dout, cache):
    """d sigmoid / dx = sigmoid * (1 - sigmoid)."""
    out = cache
    return dout * out * (1 - out)


# ---------------------------------------------------------------------------- layers

def affine_forward(x, w, b):
    """out = x_flat @ w + b, where x (N, d1, ..., dk) is flattened to (N, D)."""
    x_flat = x.reshape(x.shape[0], -1)                  # (N, D)
    out = x_flat @ w + b                                # (N, M)
    return out, (x, w)


def affine_backward(dout, cache):
    """dout (N, M) -> dx (N, d1, ..., dk), dw (D, M), db (M,)."""
    x, w = cache
    x_flat = x.reshape(x.shape[0], -1)                  # (N, D)
    dx = (dout @ w.T).reshape(x.shape)                  # (N, d1, ..., dk)
    dw = x_flat.T @ dout                                # (D, M)
    db = dout.sum(axis=0)                               # (M,)
    return dx, dw, db


def relu_forward(x):
    """out = max(0, x)."""
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    """Gradient 1 where x > 0 and 0 elsewhere (0 at exactly x = 0)."""
    x = cache
    return dout * (x > 0)


def tanh_forward(x):
    """out = tanh(x)."""
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """d tanh / dx = 1 - tanh**2."""
    out = cache
    return dout * (1 - out ** 2)


def leaky_relu_forward(x, alpha=0.01):
    """out = x where x > 0, alpha * x elsewhere."""
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    """Gradient 1 where x > 0, alpha elsewhere (alpha at x = 0, as PyTorch)."""
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha)


def elu_forward(x, alpha=1.0):
    """out = x where x > 0, alpha * (exp(x) - 1) elsewhere."""
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))   # min: no overflow
    return out, (x, alpha)


def elu_backward(dout, cache):
    """Gradient 1 where x > 0, alpha * exp(x) elsewhere (alpha at x = 0, as PyTorch)."""
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))


# ---------------------------------------------------------------------------- losses

def softmax_loss(x, y):
    """Mean cross-entropy of scores x (N, C) for labels y (N,) -> (loss, dx)."""
    N = x.shape[0]
    rows = np.arange(N)
    shifted = x - x.max(axis=1, keepdims=True)          # (N, C), max 0: no overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    loss = -log_probs[rows, y].mean()
    dx = np.exp(log_probs)                              # (N, C) probabilities
    dx[rows, y] -= 1
    return loss, dx / N


def svm_loss(x, y):
    """Mean multiclass hinge loss (margin 1) of scores x (N, C) -> (loss, dx)."""
    N = x.shape[0]
    rows = np.arange(N)
    margins = x - x[rows, y][:, None] + 1               # (N, C)
    margins[rows, y] = 0                                # the correct class is skipped
    active = (margins > 0).astype(float)                # (N, C) strictly positive count
    loss = (margins * active).sum() / N
    dx = active                                         # d/dx_j of each active margin
    dx[rows, y] -= active.sum(axis=1)                   # d/dx_y: minus each active one
    return loss, dx / N


# ------------------------------------------------------------------------ initialisers

def xavier_init(fan_in, fan_out, rng):
    """(fan_in, fan_out) weights, normal with std sqrt(1 / fan_in)."""
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)


def he_init(fan_in, fan_out, rng):
    """(fan_in, fan_out) weights, normal with std sqrt(2 / fan_in) (for ReLU nets)."""
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


# -------------------------------------------------------------------------- the net

class TwoLayerNet:
    """affine - relu - affine - softmax, with L2 penalty 0.5 * reg * sum(W**2)."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 seed=0):
        rng = np.random.default_rng(seed)
        self.reg = reg
        self.params = {
            "W1": weight_scale * rng.standard_normal((input_dim, hidden_dim)),   # (D, H)
            "b1": np.zeros(hidden_dim),                                          # (H,)
            "W2": weight_scale * rng.standard_normal((hidden_dim, num_classes)), # (H, C)
            "b2": np.zeros(num_classes),                                         # (C,)
        }

    def loss(self, X, y=None):
        """Scores (N, C) when y is None, else (loss, grads) with grads like params."""
        p = self.params
        a1, cache1 = affine_forward(X, p["W1"], p["b1"])       # (N, H)
        h1, cache_relu = relu_forward(a1)                      # (N, H)
        scores, cache2 = affine_forward(h1, p["W2"], p["b2"])  # (N, C)
        if y is None:
            return scores

        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        grads = {}
        dh1, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        da1 = relu_backward(dh1, cache_relu)
        _, grads["W1"], grads["b1"] = affine_backward(da1, cache1)
        grads["W1"] = grads["W1"] + self.reg * p["W1"]
        grads["W2"] = grads["W2"] + self.reg * p["W2"]
        return loss, grads
