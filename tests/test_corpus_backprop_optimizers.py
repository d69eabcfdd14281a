"""Testing the tester: a corpus of realistic buggy student answers for the backprop and
optimizers assignments.  Each case is the correct solution with one function (and, where
the bug needs it, its forward partner) re-defined the way students get it wrong.

For each case the corpus names EVERY test of that function that must lose its points,
with its status and a verbatim feedback substring; the function's other tests must
pass.  Together the cases catch every test of the two assignments at least once
(test_every_test_catches_a_bug), and the correct solutions lose nothing on ten seeds.
"""
import pytest

from autograder import registry
from tests.helpers import (grade_source, lost_points, solution_source, with_replacement,
                           withheld_by_gate)

B, O = "backprop", "optimizers"
F, E = "failed", "error"
ANY = None          # failed or error: hypothesis decides which generated case fails first

# (case_id, assignment, function, buggy source, {failing test: (status, feedback substring)})
CASES = [
    # ================================================================ backprop
    ("add_forward_adds_in_place", B, "add_forward", '''
def add_forward(x, y):
    out = x
    out += y
    return out, None
''', {
        "add_forward.example": (F, "add_forward modified its input x in place"),
        "add_forward.matches_reference": (F, "add_forward modified its input x in place"),
    }),
    ("add_backward_swaps_like_multiply", B, "add_backward", '''
def add_forward(x, y):
    return x + y, (x, y)

def add_backward(dout, cache):
    x, y = cache
    return dout * y, dout * x
''', {
        "add_backward.gradients": (F, "add_backward: dx["),
        "add_backward.matches_reference": (F, "add_backward: dx"),
        "add_backward.course_circuit":
            (F, "df/dx from add_backward(df/dq=-4, cache): expected -4, got -20"),
    }),
    ("multiply_forward_uses_dot", B, "multiply_forward", '''
def multiply_forward(x, y):
    out = np.dot(x, y)
    return out, (x, y)
''', {
        "multiply_forward.example":
            (E, "multiply_forward raised ValueError: shapes (3,4) and (3,4) not aligned"),
        "multiply_forward.matches_reference": (ANY, "multiply_forward"),
    }),
    ("multiply_backward_no_swap", B, "multiply_backward", '''
def multiply_backward(dout, cache):
    x, y = cache
    return dout * x, dout * y
''', {
        "multiply_backward.gradients": (F, "multiply_backward: dx["),
        "multiply_backward.matches_reference": (F, "multiply_backward: dx"),
        "multiply_backward.copied_value_adds_gradients":
            (F, "df/dy of f = (x + y) * x (the add gate passes dq = x * dout)["),
    }),
    ("max_forward_builtin_max", B, "max_forward", '''
def max_forward(x, y):
    out = max(x, y)
    return out, (x, y)
''', {
        "max_forward.example": (E, "max_forward raised ValueError: The truth value of an array"),
        "max_forward.matches_reference": (E, "max_forward raised ValueError"),
    }),
    ("max_backward_to_both_inputs", B, "max_backward", '''
def max_backward(dout, cache):
    return dout, dout
''', {
        "max_backward.gradients": (F, "max_backward: dx["),
        "max_backward.matches_reference": (F, "max_backward: d"),
        "max_backward.tie_goes_to_x": (F, "max_backward: dx ("),
    }),
    ("max_backward_tie_to_y", B, "max_backward", '''
def max_backward(dout, cache):
    x, y = cache
    return dout * (x > y), dout * (y >= x)       # a tie goes to y
''', {
        "max_backward.tie_goes_to_x":
            (F, "max_backward sends the gradient of a tie (x == y, 8 entries) to y; the "
                "convention is that a tie goes to x (compare with x >= y)"),
    }),
    ("sigmoid_forward_sign_error", B, "sigmoid_forward", '''
def sigmoid_forward(x):
    out = 1 / (1 + np.exp(x))
    return out, out
''', {
        "sigmoid_forward.example": (F, "sigmoid_forward: out["),
        "sigmoid_forward.matches_reference": (F, "sigmoid_forward: out"),
        "sigmoid_forward.stable_for_large_inputs":
            (F, "sigmoid_forward: out (|x| up to 800)[0, 0]: expected 0, got 1"),
    }),
    ("sigmoid_forward_overflows", B, "sigmoid_forward", '''
def sigmoid_forward(x):
    e = np.exp(x)
    out = e / (1 + e)
    return out, out
''', {
        "sigmoid_forward.stable_for_large_inputs":
            (F, "sigmoid_forward: out is nan at x = 710 (2 of 22 entries are not finite): exp "
                "overflowed"),
    }),
    ("sigmoid_backward_uses_x", B, "sigmoid_backward", '''
def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, x

def sigmoid_backward(dout, cache):
    x = cache
    return dout * x * (1 - x)
''', {
        "sigmoid_backward.gradients": (F, "sigmoid_backward: dx["),
        "sigmoid_backward.matches_reference": (F, "sigmoid_backward: dx"),
        "sigmoid_backward.course_network":
            (F, "dC/dz at the output unit's input (sigmoid_backward, upstream out - target = "
                "0.190283): expected 0.0406811, got 0.03028"),
        "sigmoid_backward.stable_for_large_inputs": (F, "sigmoid_backward: dx (|x| up to 800)["),
    }),
    ("sigmoid_backward_overflows", B, "sigmoid_backward", '''
def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, x

def sigmoid_backward(dout, cache):
    x = cache
    e = np.exp(-x)
    return dout * e / (1 + e) ** 2
''', {
        "sigmoid_backward.stable_for_large_inputs":
            (F, "sigmoid_backward: dx is nan at x = -800 (2 of 22 entries are not finite): "
                "compute the gradient from the forward output s as s * (1 - s)"),
    }),
    ("affine_forward_no_flatten", B, "affine_forward", '''
def affine_forward(x, w, b):
    out = x.dot(w) + b
    return out, (x, w, b)
''', {
        "affine_forward.image_batch":
            (E, "affine_forward raised ValueError: shapes (2,3,4,2) and (24,5) not aligned"),
        "affine_forward.matches_reference": (ANY, "affine_forward"),
    }),
    ("affine_forward_forgets_bias", B, "affine_forward", '''
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w)
    return out, (x, w, b)
''', {
        "affine_forward.example": (F, "affine_forward: out["),
        "affine_forward.matches_reference": (F, "affine_forward: out["),
        "affine_forward.image_batch":
            (F, "affine_forward: out for x of shape (2, 3, 4, 2), w of shape (24, 5)["),
    }),
    ("affine_backward_dx_not_reshaped", B, "affine_backward", '''
def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = dout.dot(w.T)
    dw = x.reshape(N, -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
''', {
        "affine_backward.gradients":
            (F, "affine_backward: dx: expected shape (3, 2, 4, 3), got shape (3, 24) [x of "
                "shape (3, 2, 4, 3), w of shape (24, 5)]"),
        "affine_backward.matches_reference": (F, "affine_backward: dx: expected shape"),
    }),
    ("affine_backward_db_wrong_axis", B, "affine_backward", '''
def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(N, -1).T.dot(dout)
    db = np.sum(dout, axis=1)
    return dx, dw, db
''', {
        "affine_backward.gradients":
            (F, "affine_backward: db: expected shape (5,), got shape (3,)"),
        "affine_backward.matches_reference": (F, "affine_backward: db"),
    }),
    ("affine_backward_dw_transposed", B, "affine_backward", '''
def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = dout.dot(w.T).reshape(x.shape)
    dw = dout.T.dot(x.reshape(N, -1))
    db = np.sum(dout, axis=0)
    return dx, dw, db
''', {
        "affine_backward.gradients":
            (F, "affine_backward: dw: expected shape (24, 5), got shape (5, 24)"),
        "affine_backward.matches_reference": (F, "affine_backward: dw"),
    }),
    ("relu_forward_in_place", B, "relu_forward", '''
def relu_forward(x):
    x[x < 0] = 0
    return x, x
''', {
        "relu_forward.example": (F, "relu_forward modified its input x in place"),
        "relu_forward.matches_reference": (F, "relu_forward modified its input x in place"),
    }),
    ("relu_backward_relu_of_dout", B, "relu_backward", '''
def relu_backward(dout, cache):
    return np.maximum(0, dout)
''', {
        "relu_backward.gradients": (F, "relu_backward: dx["),
        "relu_backward.matches_reference": (F, "relu_backward: dx["),
    }),
    ("relu_backward_zeroes_dout_in_place", B, "relu_backward", '''
def relu_backward(dout, cache):
    x = cache
    dout[x <= 0] = 0
    return dout
''', {
        "relu_backward.gradients": (F, "relu_backward modified its input dout in place"),
        "relu_backward.matches_reference": (F, "relu_backward modified its input dout in place"),
    }),
    ("tanh_forward_half_angle", B, "tanh_forward", '''
def tanh_forward(x):
    e = np.exp(-x)
    out = (1 - e) / (1 + e)
    return out, x
''', {
        "tanh_forward.example": (F, "tanh_forward: out["),
        "tanh_forward.matches_reference": (F, "tanh_forward: out["),
    }),
    ("tanh_backward_one_minus_x_squared", B, "tanh_backward", '''
def tanh_backward(dout, cache):
    x = cache
    return dout * (1 - x ** 2)
''', {
        "tanh_backward.gradients": (F, "tanh_backward: dx["),
        "tanh_backward.matches_reference": (F, "tanh_backward: dx["),
    }),
    ("leaky_relu_forward_ignores_alpha", B, "leaky_relu_forward", '''
def leaky_relu_forward(x, alpha=0.01):
    out = np.where(x > 0, x, 0.01 * x)
    return out, (x, alpha)
''', {
        "leaky_relu_forward.example": (F, "[x of shape (4, 5), alpha=0.2]"),
        "leaky_relu_forward.matches_reference": (F, "leaky_relu_forward: out["),
    }),
    ("leaky_relu_backward_hardcoded_slope", B, "leaky_relu_backward", '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, 0.01 * dout)
''', {
        "leaky_relu_backward.gradients": (F, "[x of shape (4, 5), alpha=0.2]"),
        "leaky_relu_backward.matches_reference": (F, "leaky_relu_backward: dx["),
    }),
    ("elu_forward_misplaced_parenthesis", B, "elu_forward", '''
def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.exp(x) - 1)
    return out, (x, out, alpha)
''', {
        "elu_forward.example": (F, "[x of shape (4, 5), alpha=0.5]"),
        "elu_forward.matches_reference": (F, "elu_forward: out["),
    }),
    ("elu_backward_uses_forward_value", B, "elu_backward", '''
def elu_backward(dout, cache):
    x, out, alpha = cache
    return np.where(x > 0, dout, dout * out)
''', {
        "elu_backward.gradients": (F, "elu_backward: dx["),
        "elu_backward.matches_reference": (F, "elu_backward: dx["),
    }),
    ("softmax_loss_unstable", B, "softmax_loss", '''
def softmax_loss(x, y):
    N = x.shape[0]
    probs = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return loss, dx / N
''', {
        "softmax_loss.stable_for_large_scores":
            (F, "softmax_loss: loss is nan when every score is near 1000 (dx has non-finite "
                "entries): exp(1000) overflows; subtract each row's maximum"),
    }),
    ("softmax_loss_not_averaged", B, "softmax_loss", '''
def softmax_loss(x, y):
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y]))
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return loss, dx
''', {
        "softmax_loss.course_example":
            (F, "softmax_loss: loss (mean over cat/car/frog, 2.76): expected 2.75865, got 8.27596"),
        "softmax_loss.matches_reference": (F, "softmax_loss: loss: expected"),
        "softmax_loss.loss_at_zero_scores":
            (F, "softmax_loss: loss at x = 0 with N = 6, C = 5 (log C): expected 1.60944, got "
                "9.65663"),
        "softmax_loss.stable_for_large_scores":
            (F, "softmax_loss: loss (every score near 1000)"),
    }),
    ("softmax_loss_dx_forgets_minus_one", B, "softmax_loss", '''
def softmax_loss(x, y):
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dx = probs / N
    return loss, dx
''', {
        "softmax_loss.course_example":
            (F, "softmax_loss: dx (cat row, 2.04)[0, 0]: expected -0.870017, got 0.129983"),
        "softmax_loss.matches_reference": (F, "softmax_loss: dx["),
        "softmax_loss.gradient_check":
            (F, "but the numerical gradient of softmax_loss's own output is"),
        "softmax_loss.stable_for_large_scores":
            (F, "softmax_loss: dx (every score near 1000)["),
    }),
    ("svm_loss_counts_correct_class", B, "svm_loss", '''
def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, None] + 1)
    loss = np.sum(margins) / N
    mask = (margins > 0).astype(float)
    mask[np.arange(N), y] -= np.sum(mask, axis=1)
    return loss, mask / N
''', {
        "svm_loss.course_example":
            (F, "svm_loss: loss (cat/car/frog scores, 5.27): expected 5.26667, got 6.26667"),
        "svm_loss.matches_reference": (F, "svm_loss: loss: expected"),
        "svm_loss.loss_at_zero_scores":
            (F, "svm_loss: loss at x = 0 with N = 6, C = 5 (C - 1): expected 4, got 5"),
    }),
    ("svm_loss_dx_skips_correct_class", B, "svm_loss", '''
def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    dx = (margins > 0).astype(float) / N
    return loss, dx
''', {
        "svm_loss.course_example":
            (F, "svm_loss: dx (cat/car/frog scores, 5.27)[2, 2]: expected -0.666667, got 0"),
        "svm_loss.matches_reference": (F, "svm_loss: dx["),
        "svm_loss.gradient_check": (F, "but the numerical gradient of svm_loss's own output is"),
    }),
    ("svm_loss_not_averaged", B, "svm_loss", '''
def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins)
    mask = (margins > 0).astype(float)
    mask[np.arange(N), y] -= np.sum(mask, axis=1)
    return loss, mask
''', {
        "svm_loss.course_example":
            (F, "svm_loss: loss (cat/car/frog scores, 5.27): expected 5.26667, got 15.8"),
        "svm_loss.matches_reference": (F, "svm_loss: loss: expected"),
        "svm_loss.loss_at_zero_scores":
            (F, "svm_loss: loss at x = 0 with N = 6, C = 5 (C - 1): expected 4, got 24"),
    }),
    ("tanh_backward_nudges_exact_zeros", B, "tanh_backward", '''
def tanh_backward(dout, cache):
    out = np.tanh(cache)
    dx = dout * (1 - out ** 2)
    dx[dx == 0] = 1e-6           # "avoid exact zeros"
    return dx
''', {
        "tanh_backward.gradients": (F, "tanh_backward: a zero upstream gradient must give "
                                       "dx = 0, but 20 of 20 entries are non-zero (largest 1e-06; "
                                       "tolerance 2.00234e-08)"),
        "tanh_backward.matches_reference": (F, "a zero upstream gradient must give dx = 0")}),
    ("leaky_relu_backward_none_without_gradient", B, "leaky_relu_backward", '''
def leaky_relu_backward(dout, cache):
    if not np.any(dout):
        return None              # "nothing flows back"
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)
''', {
        name: (F, "leaky_relu_backward: with a zero upstream gradient dx is None, not an "
                  "array of zeros")
        for name in ("leaky_relu_backward.gradients", "leaky_relu_backward.matches_reference")}),
    # ================================================================ backprop: the net
    ("xavier_init_uses_fan_out", B, "xavier_init", '''
def xavier_init(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_out)
''', {"xavier_init.shape_and_scale": (
        F, "expected sqrt(1 / fan_in) = 0.0707107; that is sqrt(1 / fan_out)")}),
    ("xavier_init_glorot_uniform", B, "xavier_init", '''
def xavier_init(fan_in, fan_out, rng):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))
''', {"xavier_init.shape_and_scale": (F, "that is sqrt(2 / (fan_in + fan_out))")}),
    ("xavier_init_global_random", B, "xavier_init", '''
def xavier_init(fan_in, fan_out, rng):
    return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)
''', {"xavier_init.uses_the_given_rng": (F, "xavier_init(30, 20, rng) drawn twice from np.random.default_rng(")}),
    ("he_init_xavier_gain", B, "he_init", '''
def he_init(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)
''', {"he_init.shape_and_scale": (F, "expected sqrt(2 / fan_in) = 0.1; that is sqrt(1 / fan_in)")}),
    ("he_init_fixed_seed", B, "he_init", '''
def he_init(fan_in, fan_out, rng):
    rng = np.random.default_rng(0)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
''', {"he_init.uses_the_given_rng": (F, "gives the same weights for rng seeds")}),
    ("he_init_transposed", B, "he_init", '''
def he_init(fan_in, fan_out, rng):
    return rng.standard_normal((fan_out, fan_in)) * np.sqrt(2.0 / fan_in)
''', {"he_init.shape_and_scale": (
        F, "he_init(fan_in=200, fan_out=150): expected a float array of shape (200, 150), "
           "got an array of shape (150, 200)")}),
    ("net_init_uniform_weights", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0):
        super().__init__(input_dim, hidden_dim, num_classes, weight_scale, reg)
        rng = np.random.default_rng(0)
        self.params["W1"] = weight_scale * rng.random((input_dim, hidden_dim))
        self.params["W2"] = weight_scale * rng.random((hidden_dim, num_classes))
''', {"TwoLayerNet.init": (F, "TwoLayerNet(60, 100, 10, weight_scale=0.05).params['W1']: mean 0.02")}),
    ("net_without_relu", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def loss(self, X, y=None):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        hidden, cache1 = affine_forward(X, W1, b1)
        scores, cache2 = affine_forward(hidden, W2, b2)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {}
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        _, grads["W1"], grads["b1"] = affine_backward(dhidden, cache1)
        grads["W1"] += self.reg * W1
        grads["W2"] += self.reg * W2
        return loss, grads
''', {"TwoLayerNet.scores": (F, "TwoLayerNet.loss(X): scores (N=5, D=6, H=7, C=4)["),
        "TwoLayerNet.loss_and_grads": (F, "TwoLayerNet(reg=0.3).loss(X, y) (N=6, D=5, H=8, C=3): loss: expected"),
        "TwoLayerNet.matches_reference": (F, "TwoLayerNet.loss(X): scores[")}),
    ("net_full_reg_penalty", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def loss(self, X, y=None):
        if y is None:
            return super().loss(X)
        reg, self.reg = self.reg, 0.0
        loss, grads = super().loss(X, y)
        self.reg = reg
        W1, W2 = self.params["W1"], self.params["W2"]
        loss += reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
        grads["W1"] += 2 * reg * W1
        grads["W2"] += 2 * reg * W2
        return loss, grads
''', {"TwoLayerNet.loss_and_grads": (F, "TwoLayerNet(reg=0.3).loss(X, y) (N=6, D=5, H=8, C=3): loss: expected"),
        "TwoLayerNet.regularization": (F, "twice the expected"),
        "TwoLayerNet.matches_reference": (F, ".loss(X, y): loss: expected")}),
    ("net_forgets_reg_gradient", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def loss(self, X, y=None):
        if y is None:
            return super().loss(X)
        reg, self.reg = self.reg, 0.0
        loss, grads = super().loss(X, y)
        self.reg = reg
        W1, W2 = self.params["W1"], self.params["W2"]
        loss += 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
        return loss, grads
''', {"TwoLayerNet.loss_and_grads": (F, "TwoLayerNet(reg=0.3).loss(X, y) (N=6, D=5, H=8, C=3): grads['W1']["),
        "TwoLayerNet.regularization": (F, "grads['W1'](reg=0.7) - grads['W1'](reg=0), expected reg * W1["),
        "TwoLayerNet.gradient_check": (F, "but the numerical gradient of TwoLayerNet's own output is"),
        "TwoLayerNet.matches_reference": (F, "grads['W1']")}),
    ("net_forgets_b1_gradient", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def loss(self, X, y=None):
        out = super().loss(X, y)
        if y is None:
            return out
        loss, grads = out
        del grads["b1"]
        return loss, grads
''', {name: (F, "grads must be a dict with keys W1, b1, W2, b2 (like params); got a dict, missing b1")
        for name in ("TwoLayerNet.loss_and_grads", "TwoLayerNet.regularization",
                     "TwoLayerNet.gradient_check", "TwoLayerNet.matches_reference")}),
    ("net_returns_probabilities", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def loss(self, X, y=None):
        if y is not None:
            return super().loss(X, y)
        scores = super().loss(X)
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)
''', {"TwoLayerNet.scores": (F, "TwoLayerNet.loss(X): scores (N=5, D=6, H=7, C=4)["),
        "TwoLayerNet.matches_reference": (F, "TwoLayerNet.loss(X): scores[")}),
    ("net_centres_X_in_place", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def loss(self, X, y=None):
        X -= X.mean(axis=0)
        return super().loss(X, y)
''', {name: (F, "TwoLayerNet modified its input X in place (")
        for name in ("TwoLayerNet.scores", "TwoLayerNet.loss_and_grads",
                     "TwoLayerNet.regularization", "TwoLayerNet.gradient_check",
                     "TwoLayerNet.matches_reference")}),
    ("xavier_init_uniform_not_centred", B, "xavier_init", '''
def xavier_init(fan_in, fan_out, rng):
    return rng.random((fan_in, fan_out)) * np.sqrt(12.0 / fan_in)
''', {"xavier_init.shape_and_scale": (
        F, "xavier_init(fan_in=200, fan_out=150): the weights' mean is 0.12")}),
    ("net_biases_start_random", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0):
        super().__init__(input_dim, hidden_dim, num_classes, weight_scale, reg)
        self.params["b1"] = weight_scale * np.random.randn(hidden_dim)
''', {"TwoLayerNet.init": (
        F, "TwoLayerNet(60, 100, 10, weight_scale=0.05).params['b1'] (biases start at zero)[")}),
    ("net_W2_transposed_at_init", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0):
        super().__init__(input_dim, hidden_dim, num_classes, weight_scale, reg)
        self.params["W2"] = self.params["W2"].T
''', {"TwoLayerNet.init": (
        F, "TwoLayerNet(60, 100, 10, weight_scale=0.05).params['W2']: expected an array of "
           "shape (100, 10), got an array of shape (10, 100)")}),
    ("net_params_as_list", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0):
        super().__init__(input_dim, hidden_dim, num_classes, weight_scale, reg)
        self.params = [self.params[k] for k in ("W1", "b1", "W2", "b2")]
''', {
        "TwoLayerNet.init": (F, "TwoLayerNet(60, 100, 10, weight_scale=0.05).params: expected "
                                "a dict with keys W1, b1, W2, b2, got a list"),
        **{name: (E, "TwoLayerNet raised AttributeError: 'list' object has no attribute")
           for name in ("TwoLayerNet.scores", "TwoLayerNet.loss_and_grads",
                        "TwoLayerNet.regularization", "TwoLayerNet.gradient_check",
                        "TwoLayerNet.matches_reference")}}),
    ("net_db2_not_summed", B, "TwoLayerNet", '''
class TwoLayerNet(TwoLayerNet):
    def loss(self, X, y=None):
        out = super().loss(X, y)
        if y is None:
            return out
        loss, grads = out
        scores = super().loss(X)
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        probs[np.arange(len(y)), y] -= 1
        grads["b2"] = probs / len(y)
        return loss, grads
''', {name: (F, "TwoLayerNet.loss(X, y): grads['b2']: expected shape (")
        for name in ("TwoLayerNet.loss_and_grads", "TwoLayerNet.regularization",
                     "TwoLayerNet.gradient_check", "TwoLayerNet.matches_reference")}),
    # ================================================================ optimizers
    ("sgd_updates_w_in_place", O, "sgd", '''
def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config
''', {
        "sgd.several_steps": (F, "sgd modified its input w in place (24 of 24 entries changed)"),
        "sgd.defaults": (F, "sgd modified its input w in place"),
        "sgd.matches_reference": (F, "sgd modified its input w in place"),
    }),
    ("sgd_wrong_default_learning_rate", O, "sgd", '''
def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    return w - config["learning_rate"] * dw, config
''', {
        "sgd.defaults":
            (F, "sgd: next_w after step 1 (called without config: defaults learning_rate=0.01)["),
        "sgd.matches_reference": (F, "sgd: next_w after step 1"),
    }),
    ("momentum_forgets_velocity", O, "sgd_momentum", '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    return next_w, config
''', {
        "sgd_momentum.several_steps":
            (F, "sgd_momentum: the config returned by step 1 holds no state (only "
                "learning_rate, momentum): store the velocity there for the next step. "
                "sgd_momentum: next_w after step 2 (config learning_rate=0.05, momentum=0.7)["),
        "sgd_momentum.defaults":
            (F, "sgd_momentum: the config returned by step 1 holds no state"),
        "sgd_momentum.state_in_config":
            (F, "sgd_momentum: next_w of parameter a after step 2["),
        "sgd_momentum.matches_reference": (F, "holds no state"),
    }),
    ("momentum_velocity_in_a_global", O, "sgd_momentum", '''
_velocity = {}

def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = _velocity.get("v", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    _velocity["v"] = v                       # one velocity for every parameter
    return w + v, config
''', {
        "sgd_momentum.defaults": (F, "sgd_momentum: next_w after step 1"),
        "sgd_momentum.state_in_config":
            (F, "two parameters updated in turn, each with its own config, must not share "
                "state: keep the velocity in the config, not in a global or a default "
                "argument"),
        "sgd_momentum.matches_reference": (F, "sgd_momentum: next_w"),
    }),
    ("nesterov_as_plain_momentum", O, "nesterov_momentum", '''
def nesterov_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config
''', {
        "nesterov_momentum.several_steps":
            (F, "nesterov_momentum: next_w after step 1 (config learning_rate=0.05, "
                "momentum=0.7)["),
        "nesterov_momentum.defaults":
            (F, "nesterov_momentum: next_w after step 1 (called without config: defaults "
                "learning_rate=0.01, momentum=0.9)["),
        "nesterov_momentum.state_in_config":
            (F, "nesterov_momentum: next_w of parameter a after step 1["),
        "nesterov_momentum.matches_reference": (F, "nesterov_momentum: next_w after step 1"),
    }),
    ("nesterov_stores_old_velocity", O, "nesterov_momentum", '''
def nesterov_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    mu = config["momentum"]
    v_prev = config.get("velocity", np.zeros_like(w))
    v = mu * v_prev - config["learning_rate"] * dw
    next_w = w - mu * v_prev + (1 + mu) * v
    config["velocity"] = v_prev
    return next_w, config
''', {
        "nesterov_momentum.several_steps": (F, "nesterov_momentum: next_w after step 2"),
        "nesterov_momentum.defaults": (F, "nesterov_momentum: next_w after step 2"),
        "nesterov_momentum.state_in_config":
            (F, "nesterov_momentum: next_w of parameter a after step 2["),
        "nesterov_momentum.matches_reference":
            (F, "nesterov_momentum: next_w after step 2"),
    }),
    ("adagrad_not_accumulating", O, "adagrad", '''
def adagrad(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config["cache"] = dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config
''', {
        "adagrad.several_steps":
            (F, "adagrad: next_w after step 2 (config learning_rate=0.2, epsilon=1e-07)["),
        "adagrad.defaults":
            (F, "adagrad: next_w after step 2 (called without config: defaults "
                "learning_rate=0.01, epsilon=1e-08)["),
        "adagrad.state_in_config": (F, "adagrad: next_w of parameter a after step 2["),
        "adagrad.matches_reference": (F, "adagrad: next_w after step 2"),
    }),
    ("adagrad_eps_inside_sqrt", O, "adagrad", '''
def adagrad(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config["cache"] = config.get("cache", np.zeros_like(w)) + dw ** 2
    next_w = w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"])
    return next_w, config
''', {
        "adagrad.several_steps":
            (F, "adagrad: next_w after step 1 (config learning_rate=0.2, epsilon=1e-07)["),
        "adagrad.defaults": (F, "adagrad: next_w after step 1 (called without config"),
        "adagrad.state_in_config": (F, "adagrad: next_w of parameter a after step 1["),
        "adagrad.matches_reference": (F, "adagrad: next_w after step 1"),
    }),
    ("rmsprop_decay_reversed", O, "rmsprop", '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    d = config["decay_rate"]
    config["cache"] = (1 - d) * config.get("cache", np.zeros_like(w)) + d * dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config
''', {
        "rmsprop.several_steps":
            (F, "rmsprop: next_w after step 1 (config learning_rate=0.02, decay_rate=0.9, "
                "epsilon=1e-07)["),
        "rmsprop.defaults":
            (F, "rmsprop: next_w after step 1 (called without config: defaults "
                "learning_rate=0.01, decay_rate=0.99, epsilon=1e-08)["),
        "rmsprop.state_in_config": (F, "rmsprop: next_w of parameter a after step 1["),
        "rmsprop.matches_reference": (F, "rmsprop: "),
    }),
    ("adam_increments_t_after_update", O, "adam", '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2, t = config["beta1"], config["beta2"], config.get("t", 0)
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["m"], config["v"], config["t"] = m, v, t + 1
    return next_w, config
''', {
        "adam.several_steps":
            (F, "adam: next_w after step 1 has 24 non-finite entries; with t = 0 the bias "
                "corrections 1 - beta**t are 0: increment t before using it"),
        "adam.defaults": (F, "with t = 0 the bias corrections 1 - beta**t are 0"),
        "adam.state_in_config": (F, "with t = 0 the bias corrections 1 - beta**t are 0"),
        "adam.matches_reference": (F, "with t = 0 the bias corrections 1 - beta**t are 0"),
    }),
    ("adam_no_bias_correction", O, "adam", '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] = config.get("t", 0) + 1
    config["m"] = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    config["v"] = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    next_w = w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])
    return next_w, config
''', {
        "adam.several_steps":
            (F, "adam: next_w after step 1 (config learning_rate=0.01, beta1=0.8, beta2=0.99, "
                "epsilon=1e-07)["),
        "adam.defaults":
            (F, "adam: next_w after step 1 (called without config: defaults "
                "learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08)["),
        "adam.state_in_config": (F, "adam: next_w of parameter a after step 1["),
        "adam.matches_reference": (F, "adam: next_w after step 1"),
    }),
    ("adam_eps_inside_sqrt", O, "adam", '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] = config.get("t", 0) + 1
    t = config["t"]
    config["m"] = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    config["v"] = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    m_hat = config["m"] / (1 - b1 ** t)
    v_hat = config["v"] / (1 - b2 ** t)
    next_w = w - config["learning_rate"] * m_hat / np.sqrt(v_hat + config["epsilon"])
    return next_w, config
''', {
        "adam.several_steps":
            (F, "adam: next_w after step 1 (config learning_rate=0.01, beta1=0.8, beta2=0.99, "
                "epsilon=1e-07)["),
        "adam.defaults": (F, "adam: next_w after step 1 (called without config"),
        "adam.state_in_config": (F, "adam: next_w of parameter a after step 1["),
        "adam.matches_reference": (F, "adam: next_w after step 1"),
    }),
    ("adam_wrong_default_learning_rate", O, "adam", '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] = config.get("t", 0) + 1
    t = config["t"]
    config["m"] = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    config["v"] = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    m_hat = config["m"] / (1 - b1 ** t)
    v_hat = config["v"] / (1 - b2 ** t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config
''', {
        "adam.defaults":
            (F, "adam: next_w after step 1 (called without config: defaults "
                "learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08)["),
        "adam.matches_reference": (F, "adam: next_w after step 1"),
    }),
    ("adam_forgets_t", O, "adam", '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + 1
    config["m"] = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    config["v"] = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    m_hat = config["m"] / (1 - b1 ** t)
    v_hat = config["v"] / (1 - b2 ** t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config
''', {
        "adam.several_steps": (F, "adam: next_w after step 2"),
        "adam.defaults": (F, "adam: next_w after step 2"),
        "adam.state_in_config": (F, "adam: next_w of parameter a after step 2["),
        "adam.matches_reference": (F, "adam: next_w after step 2"),
    }),

]

# TwoLayerNet's checks are written separately; everything else must catch a bug here.


def _tests_of(assignment, function):
    return [t for t in registry.load(assignment).tests if t.function == function]


@pytest.mark.parametrize("case_id,assignment,function,source,expected", CASES,
                         ids=[c[0] for c in CASES])
def test_buggy_answer_loses_points(case_id, assignment, function, source, expected):
    results, report = grade_source(with_replacement(assignment, source), assignment,
                                   only=(function,))
    assert set(results) == {t.name for t in _tests_of(assignment, function)}
    gated = {name for name, r in results.items() if withheld_by_gate(r)}
    lost = {name for name, r in results.items() if r.status != "passed"} - gated
    assert lost == set(expected), "failing tests: %s" % {
        n: results[n].feedback for n in lost}
    for name in gated:           # withheld only because a value test of F failed
        assert results[name].score == 0 and lost, name
    for name, (status, feedback) in expected.items():
        result = results[name]
        if status is None:
            assert result.status in ("failed", "error"), (name, result.status)
        else:
            assert result.status == status, "%s: %s (%s)" % (name, result.status,
                                                             result.feedback)
        assert result.score == 0
        assert feedback in result.feedback, "feedback of %s: %r" % (name, result.feedback)
        if "of parameter a after step 1[" in feedback:    # nothing shared yet: no hint
            assert "must not share state" not in result.feedback, result.feedback
    for name in set(results) - lost - gated:
        assert results[name].score == results[name].max_score
    assert report.score < report.max_score


def test_corpus_is_well_formed():
    assert len(CASES) >= 14
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    for case_id, assignment, function, source, expected in CASES:
        assert function in registry.load(assignment).functions, case_id
        assert expected, case_id
        for name, (status, feedback) in expected.items():
            assert name.startswith(function + "."), (case_id, name)
            assert status in (F, E, ANY) and feedback, (case_id, name)


@pytest.mark.parametrize("assignment", [B, O])
def test_every_test_catches_a_bug(assignment):
    caught = {name for c in CASES if c[1] == assignment for name in c[4]}
    declared = {t.name for t in registry.load(assignment).tests}
    assert declared - caught == set(), "tests no buggy answer exercises"
    assert caught <= declared


@pytest.mark.parametrize("assignment", [B, O])
@pytest.mark.parametrize("seed", range(10))
def test_correct_solution_full_marks(assignment, seed):
    lost, report = lost_points(solution_source(assignment), assignment, seed=seed)
    assert lost == []
    assert report.score == report.max_score > 0


def test_a_missing_net_is_named_in_feedback():
    """The net is driven through judge helpers; a submission without it gets an error
    naming the class, not the helper."""
    source = solution_source(B).replace("class TwoLayerNet", "class TwoLayerNetwork")
    results, _ = grade_source(source, B, only=("TwoLayerNet", "he_init"))
    for name, result in results.items():
        if name.startswith("TwoLayerNet."):
            assert result.status == "error" and result.score == 0, name
            assert result.feedback.startswith(
                "TwoLayerNet is not defined in the submission (did you mean TwoLayerNetwork?)"), \
                result.feedback
        else:
            assert result.status == "passed", (name, result.feedback)


@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
def test_net_cases_keep_every_probability_above_the_floor(scale):
    """SPEC, "Same verdict everywhere": a graded net case keeps every class probability
    above 1e-10, so the course's -log(p + eps) loses nothing (checked against
    PROB_FLOOR, which is stricter)."""
    import numpy as np

    from autograder.checks import backprop, backprop_net

    assert 1e-10 <= backprop.PROB_FLOOR
    lowest = 1.0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        N, D, H, C = (int(v) for v in rng.integers((1, 1, 1, 2), (9, 7, 9, 6)))
        X, _, p = backprop_net._net_problem(rng, N, D, H, C, scale)
        hidden = X @ p["W1"] + p["b1"]                            # (N, H)
        assert np.min(np.abs(hidden)) > backprop_net.KINK
        scores = np.maximum(hidden, 0) @ p["W2"] + p["b2"]        # (N, C)
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        lowest = min(lowest, float(probs.min()))
    assert lowest >= backprop.PROB_FLOOR, lowest


@pytest.mark.parametrize("scale", [0.1, 1.0, 2.0, 10.0])
def test_softmax_loss_cases_keep_every_probability_above_the_floor(scale):
    """The same for softmax_loss's generated scores, at every scale its tests use: every
    class probability at least PROB_FLOOR, and the largest scale still reaches near the
    floor (scaled down to it, so large spreads stay graded)."""
    import numpy as np

    from autograder.checks import backprop

    lowest = 1.0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        N, C = (int(v) for v in rng.integers((1, 2), (9, 7)))
        x, y = backprop._loss_problem(rng, N, C, scale, svm=False)   # (N, C), (N,)
        shifted = x - x.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        lowest = min(lowest, float(probs.min()))
    assert lowest >= backprop.PROB_FLOOR, lowest
    if scale == 10.0:
        assert lowest < 10 * backprop.PROB_FLOOR, lowest
