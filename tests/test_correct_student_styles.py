"""Correct answers written the ways real students write them (issue 7, SPEC "What is
graded is behaviour, not representation"), and the rules' wrong side.

Each case is the correct solution of tests/submissions/ with one or two functions
re-defined in a student's style.  ``FULL`` cases must score full marks on every test.
The other cases name what must lose points, with a verbatim feedback substring; every
test not named keeps full marks:

* ``{"f.test": "substring"}``: exactly the test ``f.test`` loses points, and its
  feedback contains the substring;
* ``{"f": "substring"}``: some tests of function ``f`` lose points (which ones depends
  on the generated cases), and the feedback of one of the lost tests contains the
  substring;
* ``{"f": None}``: ``f`` MAY lose points (a function the SPEC lets show the bug "by
  nature", e.g. cross_validate_k built on the student's predict_labels).

Where a function loses a value test, its structure and self-consistency tests are
withheld too (runner.apply_gates); that is allowed for the functions named.
"""
import pytest

from tests.helpers import grade_source, with_replacement, withheld_by_gate

FULL = {}

# CS231n's im2col helpers (im2col.py), as students paste them into the conv notebook,
# with the output size taking the floor instead of asserting an exact division.
IM2COL = '''
def get_im2col_indices(x_shape, field_height, field_width, padding=1, stride=1):
    N, C, H, W = x_shape
    out_height = (H + 2 * padding - field_height) // stride + 1
    out_width = (W + 2 * padding - field_width) // stride + 1
    i0 = np.repeat(np.arange(field_height), field_width)
    i0 = np.tile(i0, C)
    i1 = stride * np.repeat(np.arange(out_height), out_width)
    j0 = np.tile(np.arange(field_width), field_height * C)
    j1 = stride * np.tile(np.arange(out_width), out_height)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)
    k = np.repeat(np.arange(C), field_height * field_width).reshape(-1, 1)
    return (k.astype(int), i.astype(int), j.astype(int))


def im2col_indices(x, field_height, field_width, padding=1, stride=1):
    p = padding
    x_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode='constant')
    k, i, j = get_im2col_indices(x.shape, field_height, field_width, padding, stride)
    cols = x_padded[:, k, i, j]
    C = x.shape[1]
    cols = cols.transpose(1, 2, 0).reshape(field_height * field_width * C, -1)
    return cols


def col2im_indices(cols, x_shape, field_height=3, field_width=3, padding=1, stride=1):
    N, C, H, W = x_shape
    H_padded, W_padded = H + 2 * padding, W + 2 * padding
    x_padded = np.zeros((N, C, H_padded, W_padded), dtype=cols.dtype)
    k, i, j = get_im2col_indices(x_shape, field_height, field_width, padding, stride)
    cols_reshaped = cols.reshape(C * field_height * field_width, -1, N)
    cols_reshaped = cols_reshaped.transpose(2, 0, 1)
    np.add.at(x_padded, (slice(None), k, i, j), cols_reshaped)
    if padding == 0:
        return x_padded
    return x_padded[:, :, padding:-padding, padding:-padding]
'''


# (case id, assignment, student source, expected losses or FULL)
CASES = [
    # ================================================================ knn
    ("predict_labels_float64_like_the_starter_code", "knn", '''
def predict_labels(dists, y_train, k=1):
    num_test = dists.shape[0]
    y_pred = np.zeros(num_test)                 # float64, as in the CS231n starter code
    for i in range(num_test):
        closest_y = y_train[np.argsort(dists[i], kind="stable")[:k]]
        y_pred[i] = np.argmax(np.bincount(closest_y))
    return y_pred
''', FULL),

    ("predict_labels_python_list", "knn", '''
def predict_labels(dists, y_train, k=1):
    y_pred = []
    for row in dists:
        nearest = np.argsort(row, kind="stable")[:k]
        votes = np.bincount(y_train[nearest])
        y_pred.append(int(np.argmax(votes)))
    return y_pred
''', FULL),

    ("predict_labels_list_of_numpy_ints", "knn", '''
def predict_labels(dists, y_train, k=1):
    y_pred = []
    for i in range(dists.shape[0]):
        closest_y = list(y_train[np.argsort(dists[i], kind="stable")[:k]])
        y_pred.append(np.bincount(closest_y).argmax())
    return y_pred
''', FULL),

    # CS231n styles with np.argsort's default (unstable) sort: the order of equal
    # distances is not graded (SPEC knn), so these score full marks on every CPU.
    ("predict_labels_cs231n_default_argsort_float_y_pred", "knn", '''
def predict_labels(dists, y_train, k=1):
    num_test = dists.shape[0]
    y_pred = np.zeros(num_test)
    for i in range(num_test):
        closest_y = []
        closest_y = y_train[np.argsort(dists[i])[:k]]
        y_pred[i] = np.bincount(closest_y).argmax()
    return y_pred
''', FULL),

    ("predict_labels_cs231n_np_argmax_of_bincount", "knn", '''
def predict_labels(dists, y_train, k=1):
    num_test = dists.shape[0]
    y_pred = np.zeros(num_test, dtype=int)
    sorted_idx = np.argsort(dists, axis=1)
    for i in range(num_test):
        closest_y = list(y_train[sorted_idx[i, :k]])
        y_pred[i] = np.argmax(np.bincount(closest_y))
    return y_pred
''', FULL),

    ("predict_labels_counter_smallest_label", "knn", '''
from collections import Counter

def predict_labels(dists, y_train, k=1):
    num_test = dists.shape[0]
    y_pred = np.zeros(num_test)
    for i in range(num_test):
        closest_y = y_train[np.argsort(dists[i])[:k]]
        counts = Counter(closest_y.tolist())
        most = max(counts.values())
        y_pred[i] = min(label for label, c in counts.items() if c == most)
    return y_pred
''', FULL),

    ("predict_labels_quicksort_kind", "knn", '''
def predict_labels(dists, y_train, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        nearest = np.argsort(dists[i], kind='quicksort')[:k]
        labels, counts = np.unique(y_train[nearest], return_counts=True)
        y_pred[i] = labels[np.argmax(counts)]
    return y_pred
''', FULL),

    ("predict_labels_argpartition_rows", "knn", '''
def predict_labels(dists, y_train, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        nearest = np.argpartition(dists[i], k - 1)[:k]   # the k nearest, unordered
        y_pred[i] = np.argmax(np.bincount(y_train[nearest]))
    return y_pred
''', FULL),

    ("predict_labels_argpartition_vectorized", "knn", '''
def predict_labels(dists, y_train, k=1):
    nearest = np.argpartition(dists, k - 1, axis=1)[:, :k]     # (num_test, k)
    votes = np.apply_along_axis(np.bincount, 1, y_train[nearest],
                                minlength=y_train.max() + 1)   # (num_test, classes)
    return np.argmax(votes, axis=1)
''', FULL),

    ("no_loops_clipped_expansion", "knn", '''
def compute_distances_no_loops(X_test, X_train):
    dists = np.sqrt(np.maximum(
        np.sum(X_test ** 2, axis=1, keepdims=True)
        + np.sum(X_train ** 2, axis=1)
        - 2 * X_test.dot(X_train.T), 0))
    return dists
''', FULL),

    ("no_loops_broadcast_norms_clip", "knn", '''
def compute_distances_no_loops(X_test, X_train):
    cross = -2 * np.dot(X_test, X_train.T)                        # (num_test, num_train)
    train_norms = np.sum(np.square(X_train), axis=1)              # (num_train,)
    test_norms = np.sum(np.square(X_test), axis=1)[:, np.newaxis] # (num_test, 1)
    dists = cross + train_norms + test_norms
    return np.sqrt(np.clip(dists, 0, None))
''', FULL),

    # wrong side: the mean of the k nearest labels is not a label
    ("predict_labels_mean_of_neighbours", "knn", '''
def predict_labels(dists, y_train, k=1):
    num_test = dists.shape[0]
    y_pred = np.zeros(num_test)
    for i in range(num_test):
        closest_y = y_train[np.argsort(dists[i], kind="stable")[:k]]
        y_pred[i] = np.mean(closest_y)
    return y_pred
''', {"predict_labels": "non-integral", "cross_validate_k": None}),

    # ================================================================ linear_classifiers
    ("predict_linear_float_labels", "linear_classifiers", '''
def predict_linear_classifier(W, X):
    y_pred = np.zeros(X.shape[0])
    scores = X.dot(W)
    for i in range(X.shape[0]):
        y_pred[i] = np.argmax(scores[i])
    return y_pred
''', FULL),

    ("softmax_naive_textbook", "linear_classifiers", '''
def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)
    num_train, num_classes = X.shape[0], W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)                         # numerical stability
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(p[y[i]])
        for j in range(num_classes):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW
''', FULL),

    ("softmax_vectorized_textbook", "linear_classifiers", '''
def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = np.sum(-np.log(probs[np.arange(num_train), y])) / num_train
    loss += reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(num_train), y] -= 1
    dscores /= num_train
    dW = X.T.dot(dscores) + 2 * reg * W
    return loss, dW
''', FULL),

    ("svm_vectorized_loss_as_0d_array", "linear_classifiers", '''
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X.dot(W)
    correct = scores[np.arange(N), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(N), y] = 0
    loss = np.array(np.sum(margins) / N + reg * np.sum(W * W))      # a 0-d array
    binary = (margins > 0).astype(float)
    binary[np.arange(N), y] = -np.sum(binary, axis=1)
    dW = X.T.dot(binary) / N + 2 * reg * W
    return loss, dW
''', FULL),

    ("svm_naive_loss_as_numpy_scalar", "linear_classifiers", '''
def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = np.float64(0.0)
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = np.float64(loss / X.shape[0] + reg * np.sum(W * W))
    return loss, dW / X.shape[0] + 2 * reg * W
''', FULL),

    # wrong side: no max shift, exp(1000) overflows
    ("softmax_vectorized_without_max_shift", "linear_classifiers", '''
def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    exp_scores = np.exp(X.dot(W))
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = np.sum(-np.log(probs[np.arange(num_train), y])) / num_train
    loss += reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(num_train), y] -= 1
    dW = X.T.dot(dscores) / num_train + 2 * reg * W
    return loss, dW
''', {"softmax_loss_vectorized.stable_for_large_scores": "every score is near 1000"}),

    # ================================================================ backprop
    ("softmax_loss_textbook", "backprop", '''
def softmax_loss(x, y):
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
''', FULL),

    # The course's softmax_loss with -log(p + eps): graded softmax_loss cases keep every
    # class probability above 1e-10 (SPEC, "Same verdict everywhere"), so the eps never
    # shows.
    ("softmax_loss_log_probs_plus_1e_16", "backprop", '''
def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    probs = np.exp(shifted_logits) / Z
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y] + 1e-16)) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
''', FULL),

    ("softmax_loss_log_probs_plus_1e_12", "backprop", '''
def softmax_loss(x, y):
    N = x.shape[0]
    probs = np.exp(x - x.max(axis=1, keepdims=True))
    probs = probs / probs.sum(axis=1, keepdims=True)
    loss = np.mean(-np.log(probs[range(N), y] + 1e-12))
    dx = probs
    dx[range(N), y] -= 1
    return loss, dx / N
''', FULL),

    ("svm_loss_as_0d_array", "backprop", '''
def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y][:, None]
    margins = np.maximum(0, x - correct + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.asarray(np.sum(margins) / N)               # 0-d array
    num_pos = np.sum(margins > 0, axis=1)
    dx = (margins > 0).astype(x.dtype)
    dx[np.arange(N), y] -= num_pos
    return loss, dx / N
''', FULL),

    ("relu_forward_in_place", "backprop", '''
def relu_forward(x):
    x[x < 0] = 0                   # changes the caller's array
    out = x
    cache = x
    return out, cache
''', {"relu_forward.example": "modified its input x in place",
      "relu_forward.matches_reference": "modified its input x in place"}),

    ("sigmoid_forward_in_place", "backprop", '''
def sigmoid_forward(x):
    x = np.asarray(x, dtype=np.float64)     # no copy: x is still the caller's array
    x *= -1                                 # in place, to save memory
    np.exp(x, out=x)
    x += 1
    np.reciprocal(x, out=x)
    return x, x
''', {"sigmoid_forward": "modified its input x in place"}),

    # wrong side: the backward changes the forward's input through the cache
    ("relu_backward_zeroes_cached_x", "backprop", '''
def relu_backward(dout, cache):
    x = cache
    x[x < 0] = 0                   # x is the forward's input itself
    dx = dout * (x > 0)
    return dx
''', {"relu_backward": "through the cache"}),

    # wrong side: a tie x == y goes to y
    ("max_backward_tie_to_y", "backprop", '''
def max_backward(dout, cache):
    x, y = cache
    dx = dout * (x > y)
    dy = dout * (x <= y)
    return dx, dy
''', {"max_backward.tie_goes_to_x": "tie goes to x"}),

    # wrong side: no max shift
    ("softmax_loss_without_max_shift", "backprop", '''
def softmax_loss(x, y):
    N = x.shape[0]
    probs = np.exp(x)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return loss, dx / N
''', {"softmax_loss.stable_for_large_scores": "every score is near 1000"}),

    ("two_layer_net_by_hand_half_reg", "backprop", '''
class TwoLayerNet(object):
    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params['W1'] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params['b1'] = np.zeros(hidden_dim)
        self.params['W2'] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params['b2'] = np.zeros(num_classes)

    def loss(self, X, y=None):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        N = X.shape[0]
        h = np.maximum(0, X.reshape(N, -1).dot(W1) + b1)
        scores = h.dot(W2) + b2
        if y is None:
            return scores
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[np.arange(N), y]))
        loss += 0.5 * self.reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
        grads = {}
        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads['W2'] = h.T.dot(dscores) + self.reg * W2
        grads['b2'] = np.sum(dscores, axis=0)
        dh = dscores.dot(W2.T)
        dh[h <= 0] = 0
        grads['W1'] = X.reshape(N, -1).T.dot(dh) + self.reg * W1
        grads['b1'] = np.sum(dh, axis=0)
        return loss, grads
''', FULL),

    # The course's softmax: shift by the max, probabilities, then -log(p + eps).  Graded
    # net cases keep every class probability above 1e-10 (SPEC, "Same verdict
    # everywhere"), so the eps never shows.
    ("two_layer_net_log_probs_plus_eps", "backprop", '''
class TwoLayerNet(object):
    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params['W1'] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params['b1'] = np.zeros(hidden_dim)
        self.params['W2'] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params['b2'] = np.zeros(num_classes)

    def loss(self, X, y=None):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        N = X.shape[0]
        h = np.maximum(0, X.reshape(N, -1).dot(W1) + b1)
        scores = h.dot(W2) + b2
        if y is None:
            return scores
        exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        loss = np.sum(-np.log(probs[range(N), y] + 1e-16)) / N
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {}
        dscores = probs.copy()
        dscores[range(N), y] -= 1
        dscores /= N
        grads['W2'] = h.T.dot(dscores) + self.reg * W2
        grads['b2'] = np.sum(dscores, axis=0)
        dh = dscores.dot(W2.T)
        dh[h <= 0] = 0
        grads['W1'] = X.reshape(N, -1).T.dot(dh) + self.reg * W1
        grads['b1'] = np.sum(dh, axis=0)
        return loss, grads
''', FULL),

    ("two_layer_net_layers_log_probs_plus_1e_12", "backprop", '''
class TwoLayerNet(TwoLayerNet):
    def loss(self, X, y=None):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        h, cache1 = affine_forward(X, W1, b1)
        h, cache_relu = relu_forward(h)
        scores, cache2 = affine_forward(h, W2, b2)
        if y is None:
            return scores
        N = scores.shape[0]
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[np.arange(N), y] + 1e-12))
        loss += 0.5 * self.reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {}
        dh, grads['W2'], grads['b2'] = affine_backward(dscores, cache2)
        dh = relu_backward(dh, cache_relu)
        _, grads['W1'], grads['b1'] = affine_backward(dh, cache1)
        grads['W1'] += self.reg * W1
        grads['W2'] += self.reg * W2
        return loss, grads
''', FULL),

    # ================================================================ optimizers
    ("adam_counts_the_next_step", "optimizers", '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 1)                      # the number of THIS step
    t = config["t"]
    b1, b2 = config["beta1"], config["beta2"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    m_hat = config["m"] / (1 - b1 ** t)
    v_hat = config["v"] / (1 - b2 ** t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["t"] = t + 1                            # ready for the next step
    return next_w, config
''', FULL),

    ("momentum_state_under_v", "optimizers", '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("v", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["v"] = v
    return w + v, config
''', FULL),

    ("nesterov_velocity_as_a_list", "optimizers", '''
def nesterov_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    mu = config["momentum"]
    v_prev = np.array(config.get("velocity", np.zeros_like(w).tolist()), dtype=float)
    v = mu * v_prev - config["learning_rate"] * dw
    config["velocity"] = v.tolist()               # kept as a (nested) list
    return w - mu * v_prev + (1 + mu) * v, config
''', FULL),

    ("adagrad_and_rmsprop_state_under_other_keys", "optimizers", '''
def adagrad(w, dw, config=None):
    config = {} if config is None else config
    lr = config.setdefault("learning_rate", 1e-2)
    eps = config.setdefault("epsilon", 1e-8)
    config["grad_squared"] = config.get("grad_squared", 0) + dw * dw
    return w - lr * dw / (np.sqrt(config["grad_squared"]) + eps), config


def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    lr = config.setdefault("learning_rate", 1e-2)
    decay = config.setdefault("decay_rate", 0.99)
    eps = config.setdefault("epsilon", 1e-8)
    state = config.get("state", {"sq": np.zeros_like(w)})
    state["sq"] = decay * state["sq"] + (1 - decay) * dw ** 2
    config["state"] = state
    return w - lr * dw / (np.sqrt(state["sq"]) + eps), config
''', FULL),

    # ================================================================ batchnorm
    ("batchnorm_backward_full_chain_rule", "batchnorm", '''
def batchnorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * (var + eps) ** -1.5
    # the variance depends on mu too: dvar * mean(-2 (x - mu)), which is 0 mathematically
    dmu = np.sum(-dxhat * ivar, axis=0) + dvar * np.mean(-2.0 * xmu, axis=0)
    dx = dxhat * ivar + dvar * 2.0 * xmu / N + dmu / N
    return dx, dgamma, dbeta
''', FULL),

    # A term that vanishes mathematically (the deviations from the mean sum to 0) but
    # leaves ~1e-17 in dx even for a zero upstream gradient.
    ("batchnorm_backward_alt_rounding_term_without_dout", "batchnorm", '''
def batchnorm_backward_alt(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dx = (ivar / N) * (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    dx = dx + gamma * ivar * np.mean(xmu, axis=0)        # mean(x - mu) == 0
    return dx, dgamma, dbeta
''', FULL),

    # ================================================================ dropout
    ("dropout_cs231n_inverted_global_seed", "dropout", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    mask = None
    out = None
    if mode == 'train':
        mask = (np.random.rand(*x.shape) < (1 - p)) / (1 - p)
        out = x * mask
    elif mode == 'test':
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param['mode']
    dx = None
    if mode == 'train':
        dx = dout * mask
    elif mode == 'test':
        dx = dout
    return dx
''', FULL),

    ("dropout_scaled_mask_ge_p", "dropout", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    if mode == 'train':
        mask = (np.random.rand(*x.shape) >= p) / (1 - p)      # (x.shape) 0 or 1 / (1 - p)
        return x * mask, (mode, mask)
    return x, (mode, None)


def dropout_backward(dout, cache):
    mode, mask = cache
    return dout * mask if mode == 'train' else dout
''', FULL),

    ("dropout_boolean_mask_backward_divides", "dropout", '''
def dropout_forward(x, dropout_param):
    p = dropout_param['p']
    rng = np.random.default_rng(dropout_param.get('seed'))
    if dropout_param['mode'] == 'train':
        keep = rng.random(x.shape) > p                          # (x.shape) bool
        out = np.where(keep, x / (1 - p), 0.0)
    else:
        keep = None
        out = x.copy()
    return out, {'keep': keep, 'p': p, 'mode': dropout_param['mode']}


def dropout_backward(dout, cache):
    if cache['mode'] == 'test':
        return dout
    return dout * cache['keep'] / (1 - cache['p'])
''', FULL),

    # wrong side: the forward forgets the inverted scale; its backward is the exact
    # derivative of that forward (SPEC: judged against its own forward's mask)
    ("dropout_not_inverted_backward_of_its_own_forward", "dropout", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    if mode == 'train':
        mask = np.random.rand(*x.shape) >= p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param['mode'] == 'train':
        return dout * mask
    return dout
''', {"dropout_forward.kept_units_scaled": "the kept units equal x, unscaled"}),

    # wrong side: p read as the KEEP probability (the old CS231n notebook), mask / p;
    # the backward, dout * mask, is still the derivative of that forward
    ("dropout_p_as_keep_probability_mask_over_p", "dropout", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    mask = None
    if mode == 'train':
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param['mode'] == 'train' else dout
''', {"dropout_forward": "p is the probability of DROPPING a unit"}),

    # ================================================================ conv
    ("conv_naive_manual_zero_padding_f_then_n", "conv", '''
def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, C, HH, WW = w.shape
    stride = conv_param['stride']
    pad = conv_param['pad']
    H_out = int((H + 2 * pad - HH) / stride) + 1
    W_out = int((W + 2 * pad - WW) / stride) + 1
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, pad:pad + H, pad:pad + W] = x
    out = np.zeros((N, F, H_out, W_out))
    for f in range(F):
        for n in range(N):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x_pad[n, :, hs:hs + HH, ws:ws + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, C, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    H_out, W_out = dout.shape[2], dout.shape[3]
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, pad:pad + H, pad:pad + W] = x
    dx_pad = np.zeros(x_pad.shape)
    dw = np.zeros(w.shape)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    h1, w1 = i * stride, j * stride
                    dx_pad[n, :, h1:h1 + HH, w1:w1 + WW] += w[f] * dout[n, f, i, j]
                    dw[f] += x_pad[n, :, h1:h1 + HH, w1:w1 + WW] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db
''', FULL),

    ("conv_naive_tensordot_over_filters_cache_with_x_pad", "conv", '''
def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho = int(np.floor((H + 2 * pad - HH) / stride)) + 1
    Wo = int(np.floor((W + 2 * pad - WW) / stride)) + 1
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant", constant_values=0)
    out = np.empty((N, F, Ho, Wo))
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                win = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                out[n, :, i, j] = np.tensordot(w, win, axes=([1, 2, 3], [0, 1, 2])) + b
    return out, (xp, w, stride, pad, x.shape)


def conv_backward_naive(dout, cache):
    xp, w, stride, pad, x_shape = cache
    N, C, H, W = x_shape
    F, _, HH, WW = w.shape
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for n in range(N):
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                win = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                g = dout[n, :, i, j]                                  # (F,)
                dw += g[:, None, None, None] * win[None]
                dxp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += \\
                    np.tensordot(g, w, axes=(0, 0))
    db = np.sum(np.sum(np.sum(dout, axis=3), axis=2), axis=0)
    dx = dxp[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db
''', FULL),

    # A term that vanishes mathematically (the mean of a centred window is 0) but leaves
    # ~1e-17 in dx even for a zero upstream gradient.
    ("conv_backward_naive_rounding_term_without_dout", "conv", '''
def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    s, t = i * stride, j * stride
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, s:s + HH, t:t + WW]
                    dx_pad[n, :, s:s + HH, t:t + WW] += dout[n, f, i, j] * w[f]
    centred = x - x.mean(axis=(2, 3), keepdims=True)
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W] + centred.mean(axis=(2, 3), keepdims=True)
    db = dout.sum(axis=(0, 2, 3)) + 0 * b
    return dx, dw, db
''', FULL),

    ("max_pool_naive_boolean_mask", "conv", '''
def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    HP, WP, S = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    H_out = int((H - HP) / S) + 1
    W_out = int((W - WP) / S) + 1
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * S:i * S + HP, j * S:j * S + WP]
            out[:, :, i, j] = np.max(window, axis=(2, 3))
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    N, C, H, W = x.shape
    HP, WP, S = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * S:i * S + HP, j * S:j * S + WP]
                    mask = window == window.max()
                    dx[n, c, i * S:i * S + HP, j * S:j * S + WP] += mask * dout[n, c, i, j]
    return dx
''', FULL),

    ("max_pool_naive_argmax_divmod_in_cache", "conv", '''
def max_pool_forward_naive(x, pool_param):
    ph = pool_param.get('pool_height', 2)
    pw = pool_param.get('pool_width', 2)
    stride = pool_param.get('stride', 2)
    N, C, H, W = x.shape
    out_h = (H - ph) // stride + 1
    out_w = (W - pw) // stride + 1
    out = np.zeros((N, C, out_h, out_w))
    where = np.zeros((N, C, out_h, out_w, 2), dtype=int)
    for n in range(N):
        for c in range(C):
            for i in range(out_h):
                for j in range(out_w):
                    window = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    r, s = divmod(int(np.argmax(window)), pw)
                    out[n, c, i, j] = window[r, s]
                    where[n, c, i, j] = (i * stride + r, j * stride + s)
    return out, (x.shape, where)


def max_pool_backward_naive(dout, cache):
    x_shape, where = cache
    dx = np.zeros(x_shape)
    N, C, out_h, out_w = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(out_h):
                for j in range(out_w):
                    r, s = where[n, c, i, j]
                    dx[n, c, r, s] = dx[n, c, r, s] + dout[n, c, i, j]
    return dx
''', FULL),

    ("conv_fast_cs231n_im2col_indices_and_add_at", "conv", IM2COL + '''
def conv_forward_im2col(x, w, b, conv_param):
    N, C, H, W = x.shape
    num_filters, _, filter_height, filter_width = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    out_height = (H + 2 * pad - filter_height) // stride + 1
    out_width = (W + 2 * pad - filter_width) // stride + 1
    x_cols = im2col_indices(x, filter_height, filter_width, pad, stride)
    res = w.reshape((w.shape[0], -1)).dot(x_cols) + b.reshape(-1, 1)
    out = res.reshape(w.shape[0], out_height, out_width, x.shape[0])
    out = out.transpose(3, 0, 1, 2)                 # a non-contiguous view
    cache = (x, w, b, conv_param, x_cols)
    return out, cache


def conv_backward_im2col(dout, cache):
    x, w, b, conv_param, x_cols = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    num_filters, _, filter_height, filter_width = w.shape
    db = np.sum(dout, axis=(0, 2, 3))
    dout_reshaped = dout.transpose(1, 2, 3, 0).reshape(num_filters, -1)
    dw = dout_reshaped.dot(x_cols.T).reshape(w.shape)
    dx_cols = w.reshape(num_filters, -1).T.dot(dout_reshaped)
    dx = col2im_indices(dx_cols, x.shape, filter_height, filter_width, pad, stride)
    return dx, dw, db
''', FULL),

    ("conv_fast_sliding_window_view_einsum", "conv", '''
from numpy.lib.stride_tricks import sliding_window_view


def conv_forward_im2col(x, w, b, conv_param):
    s, p = conv_param['stride'], conv_param['pad']
    F, C, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    # (N, C, Ho, Wo, HH, WW)
    windows = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::s, ::s]
    out = np.einsum('nchwij,fcij->nfhw', windows, w, optimize=True) + b[None, :, None, None]
    return out, (x, w, conv_param)


def conv_backward_im2col(dout, cache):
    x, w, conv_param = cache
    s, p = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    windows = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::s, ::s]
    dw = np.einsum('nfhw,nchwij->fcij', dout, windows, optimize=True)
    db = dout.sum(axis=(0, 2, 3))
    dx_pad = np.zeros_like(xp)
    for i in range(HH):                     # a loop over the kernel offsets (allowed)
        for j in range(WW):
            dx_pad[:, :, i:i + s * Ho:s, j:j + s * Wo:s] += np.einsum('nfhw,fc->nchw', dout,
                                                                      w[:, :, i, j])
    dx = dx_pad[:, :, p:p + H, p:p + W]
    return dx, dw, db
''', FULL),

    ("conv_fast_as_strided_tensordot_dilated_backward", "conv", '''
def _windows(a, kh, kw, stride):
    N, C, H, W = a.shape
    Ho, Wo = (H - kh) // stride + 1, (W - kw) // stride + 1
    sN, sC, sH, sW = a.strides
    return np.lib.stride_tricks.as_strided(
        a, shape=(N, C, Ho, Wo, kh, kw),
        strides=(sN, sC, sH * stride, sW * stride, sH, sW), writeable=False)


def conv_forward_im2col(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    cols = _windows(x_padded, w.shape[2], w.shape[3], stride)          # (N, C, Ho, Wo, HH, WW)
    out = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))           # (N, Ho, Wo, F)
    out = (out + b).transpose(0, 3, 1, 2)                              # a view, not a copy
    return out, (x, w, b, conv_param)


def conv_backward_im2col(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    cols = _windows(x_padded, HH, WW, stride)
    dw = np.tensordot(dout, cols, axes=([0, 2, 3], [0, 2, 3]))          # (F, C, HH, WW)
    db = np.sum(dout, axis=(0, 2, 3))
    # dx: dilate dout by the stride, pad it by the kernel size - 1, correlate with the
    # flipped kernel (a "full" convolution)
    dil = np.zeros((N, F, (Ho - 1) * stride + 1, (Wo - 1) * stride + 1))
    dil[:, :, ::stride, ::stride] = dout
    dil = np.pad(dil, ((0, 0), (0, 0), (HH - 1, HH - 1), (WW - 1, WW - 1)), 'constant')
    flipped = w[:, :, ::-1, ::-1]
    covered = np.tensordot(_windows(dil, HH, WW, 1), flipped, axes=([1, 4, 5], [0, 2, 3]))
    covered = covered.transpose(0, 3, 1, 2)                            # (N, C, h, w)
    dx_padded = np.zeros(x_padded.shape)
    dx_padded[:, :, :covered.shape[2], :covered.shape[3]] = covered
    dx = dx_padded[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db
''', FULL),

    ("max_pool_fast_cs231n_reshape_or_im2col", "conv", IM2COL + '''
def max_pool_forward_fast(x, pool_param):
    pool_height, pool_width = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    N, C, H, W = x.shape
    same_size = pool_height == pool_width == stride
    tiles = H % pool_height == 0 and W % pool_width == 0
    if same_size and tiles:
        x_reshaped = x.reshape(N, C, H // pool_height, pool_height,
                               W // pool_width, pool_width)
        out = x_reshaped.max(axis=3).max(axis=4)
        cache = ('reshape', (x, x_reshaped, out))
    else:
        out_height = (H - pool_height) // stride + 1
        out_width = (W - pool_width) // stride + 1
        x_split = x.reshape(N * C, 1, H, W)
        x_cols = im2col_indices(x_split, pool_height, pool_width, padding=0, stride=stride)
        x_cols_argmax = np.argmax(x_cols, axis=0)
        x_cols_max = x_cols[x_cols_argmax, np.arange(x_cols.shape[1])]
        out = x_cols_max.reshape(out_height, out_width, N, C).transpose(2, 3, 0, 1)
        cache = ('im2col', (x, x_cols, x_cols_argmax, pool_param))
    return out, cache


def max_pool_backward_fast(dout, cache):
    method, real_cache = cache
    if method == 'reshape':
        x, x_reshaped, out = real_cache
        dx_reshaped = np.zeros_like(x_reshaped)
        out_newaxis = out[:, :, :, np.newaxis, :, np.newaxis]
        mask = (x_reshaped == out_newaxis)
        dout_newaxis = dout[:, :, :, np.newaxis, :, np.newaxis]
        dout_broadcast, _ = np.broadcast_arrays(dout_newaxis, dx_reshaped)
        dx_reshaped[mask] = dout_broadcast[mask]
        dx_reshaped /= np.sum(mask, axis=(3, 5), keepdims=True)
        return dx_reshaped.reshape(x.shape)
    x, x_cols, x_cols_argmax, pool_param = real_cache
    N, C, H, W = x.shape
    pool_height, pool_width = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    dout_reshaped = dout.transpose(2, 3, 0, 1).flatten()
    dx_cols = np.zeros_like(x_cols)
    dx_cols[x_cols_argmax, np.arange(dx_cols.shape[1])] = dout_reshaped
    dx = col2im_indices(dx_cols, (N * C, 1, H, W), pool_height, pool_width,
                        padding=0, stride=stride)
    return dx.reshape(x.shape)
''', FULL),

    ("max_pool_fast_as_strided_np_empty_offset_mask", "conv", '''
def max_pool_forward_fast(x, pool_param):
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    N, C, H, W = x.shape
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    sn, sc, sh, sw = x.strides
    win = np.lib.stride_tricks.as_strided(x, (N, C, Ho, Wo, ph, pw),
                                          (sn, sc, sh * s, sw * s, sh, sw))
    flat = win.reshape(N, C, Ho, Wo, ph * pw)
    out = np.empty((Ho, Wo, N, C))
    out[...] = flat.max(axis=-1).transpose(2, 3, 0, 1)
    return out.transpose(2, 3, 0, 1), (x, pool_param, out.transpose(2, 3, 0, 1))


def max_pool_backward_fast(dout, cache):
    x, pool_param, out = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    Ho, Wo = out.shape[2], out.shape[3]
    dx = np.zeros(x.shape)
    for p in range(ph):                 # the window offsets (allowed)
        for q in range(pw):
            part = x[:, :, p:p + s * Ho:s, q:q + s * Wo:s]
            dx[:, :, p:p + s * Ho:s, q:q + s * Wo:s] += (part == out) * dout
    return dx
''', FULL),

    ("three_layer_convnet_private_helpers_no_seed", "conv", '''
class ThreeLayerConvNet(object):
    def __init__(self, input_dim=(1, 8, 8), num_filters=16, filter_size=3,
                 hidden_dim=64, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        C, H, W = input_dim
        self.filter_size = filter_size
        self.params['W1'] = np.random.randn(num_filters, C, filter_size,
                                            filter_size) * weight_scale
        self.params['b1'] = np.zeros(num_filters)
        self.params['W2'] = np.random.randn(num_filters * (H // 2) * (W // 2),
                                            hidden_dim) * weight_scale
        self.params['b2'] = np.zeros(hidden_dim)
        self.params['W3'] = np.random.randn(hidden_dim, num_classes) * weight_scale
        self.params['b3'] = np.zeros(num_classes)

    def _conv_relu_pool(self, X, W, b, conv_param, pool_param):
        a, conv_cache = conv_forward_im2col(X, W, b, conv_param)
        r = np.maximum(a, 0)
        out, pool_cache = max_pool_forward_fast(r, pool_param)
        return out, (conv_cache, a, pool_cache)

    def _conv_relu_pool_backward(self, dout, cache):
        conv_cache, a, pool_cache = cache
        dr = max_pool_backward_fast(dout, pool_cache)
        da = dr * (a > 0)
        return conv_backward_im2col(da, conv_cache)

    def _affine_relu(self, x, W, b):
        a = x.reshape(x.shape[0], -1).dot(W) + b
        return np.maximum(0, a), (x, W, a)

    def _affine_relu_backward(self, dout, cache):
        x, W, a = cache
        da = dout * (a > 0)
        dx = da.dot(W.T).reshape(x.shape)
        return dx, x.reshape(x.shape[0], -1).T.dot(da), da.sum(axis=0)

    def loss(self, X, y=None):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        W3, b3 = self.params['W3'], self.params['b3']
        conv_param = {'stride': 1, 'pad': (self.filter_size - 1) // 2}
        pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
        h1, cache1 = self._conv_relu_pool(X, W1, b1, conv_param, pool_param)
        h2, cache2 = self._affine_relu(h1, W2, b2)
        scores = h2.dot(W3) + b3
        if y is None:
            return scores
        N = X.shape[0]
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_probs[np.arange(N), y].sum() / N
        for W in (W1, W2, W3):
            loss += self.reg * 0.5 * np.sum(W * W)
        dscores = np.exp(log_probs)
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {}
        grads['W3'] = h2.T.dot(dscores) + self.reg * W3
        grads['b3'] = dscores.sum(axis=0)
        dh1, dW2, db2 = self._affine_relu_backward(dscores.dot(W3.T), cache2)
        grads['W2'], grads['b2'] = dW2 + self.reg * W2, db2
        _, dW1, db1 = self._conv_relu_pool_backward(dh1, cache1)
        grads['W1'], grads['b1'] = dW1 + self.reg * W1, db1
        return loss, grads
''', FULL),

    ("three_layer_convnet_on_naive_layers_dtype_kwarg", "conv", '''
class ThreeLayerConvNet:
    def __init__(self, input_dim=(1, 8, 8), num_filters=16, filter_size=3, hidden_dim=64,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float64):
        C, H, W = input_dim
        pad = (filter_size - 1) // 2
        Hc = H + 2 * pad - filter_size + 1
        Wc = W + 2 * pad - filter_size + 1
        self.reg = reg
        self.dtype = dtype
        self.params = {
            'W1': weight_scale * np.random.normal(
                size=(num_filters, C, filter_size, filter_size)),
            'b1': np.zeros(num_filters),
            'W2': weight_scale * np.random.normal(
                size=(num_filters * (Hc // 2) * (Wc // 2), hidden_dim)),
            'b2': np.zeros(hidden_dim),
            'W3': np.random.normal(0.0, weight_scale, (hidden_dim, num_classes)),
            'b3': np.zeros(num_classes),
        }
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = 'test' if y is None else 'train'
        W1, b1, W2, b2, W3, b3 = (self.params[k] for k in ('W1', 'b1', 'W2', 'b2', 'W3', 'b3'))
        conv_param = {'stride': 1, 'pad': (W1.shape[2] - 1) // 2}
        pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
        c, cc = conv_forward_naive(X, W1, b1, conv_param)
        r, rc = relu_forward(c)
        p, pc = max_pool_forward_naive(r, pool_param)
        h, hc = affine_forward(p, W2, b2)
        hr, hrc = relu_forward(h)
        scores, sc = affine_forward(hr, W3, b3)
        if mode == 'test':
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))
        grads = {}
        dhr, grads['W3'], grads['b3'] = affine_backward(dscores, sc)
        dp, grads['W2'], grads['b2'] = affine_backward(relu_backward(dhr, hrc), hc)
        dc = relu_backward(max_pool_backward_naive(dp, pc), rc)
        _, grads['W1'], grads['b1'] = conv_backward_naive(dc, cc)
        grads['W1'] += self.reg * W1
        grads['W2'] += self.reg * W2
        grads['W3'] += self.reg * W3
        return loss, grads
''', FULL),

    # A term that vanishes mathematically: the window's mean taken out and put back.
    ("conv_naive_range_with_step_centred_window", "conv", '''
def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    S, P = conv_param['stride'], conv_param['pad']
    x_pad = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)), 'constant')
    rows = range(0, H + 2 * P - HH + 1, S)          # the top row of every window
    cols = range(0, W + 2 * P - WW + 1, S)
    out = np.zeros((N, F, len(rows), len(cols)))
    for n in range(N):
        for f in range(F):
            for i, r in enumerate(rows):
                for j, c in enumerate(cols):
                    window = x_pad[n, :, r:r + HH, c:c + WW]
                    m = window.mean()
                    out[n, f, i, j] = np.sum((window - m) * w[f]) + m * np.sum(w[f]) + b[f]
    return out, (x, w, b, conv_param)
''', FULL),

    ("conv_fast_loop_over_filters_fortran_order", "conv", '''
def conv_forward_im2col(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    F, C, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    win = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]                             # (N, C, Ho, Wo, HH, WW)
    N, _, Ho, Wo = win.shape[:4]
    out = np.zeros((N, F, Ho, Wo), order='F')
    for f in range(F):                # F does not grow with N or the image size
        out[:, f] = np.tensordot(win, w[f], axes=([1, 4, 5], [0, 1, 2])) + b[f]
    return out, (x, w, b, conv_param, win)


def conv_backward_im2col(dout, cache):
    x, w, b, conv_param, win = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    db = dout.sum(axis=(0, 2, 3))
    dw = np.tensordot(dout, win, axes=([0, 2, 3], [0, 2, 3]))        # (F, C, HH, WW)
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    # every kernel offset (p, q) scatters into a strided slice of dx_pad
    cols = np.tensordot(dout, w, axes=(1, 0))                        # (N, Ho, Wo, C, HH, WW)
    for p in range(HH):
        for q in range(WW):
            dx_pad[:, :, p:p + stride * (Ho - 1) + 1:stride,
                   q:q + stride * (Wo - 1) + 1:stride] += cols[..., p, q].transpose(0, 3, 1, 2)
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, db
''', FULL),

    ("max_pool_fast_flat_indices_add_at_no_loop", "conv", '''
def max_pool_forward_fast(x, pool_param):
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    win = np.lib.stride_tricks.sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
    N, C, Ho, Wo = win.shape[:4]
    flat = win.reshape(N, C, Ho, Wo, ph * pw)
    arg = flat.argmax(axis=-1)                                       # (N, C, Ho, Wo)
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    return out, (x.shape, pool_param, arg)


def max_pool_backward_fast(dout, cache):
    x_shape, pool_param, arg = cache
    pw, s = pool_param['pool_width'], pool_param['stride']
    N, C, Ho, Wo = dout.shape
    r, c = np.divmod(arg, pw)
    rows = r + s * np.arange(Ho)[:, None]
    cols = c + s * np.arange(Wo)[None, :]
    n_idx, c_idx = np.ogrid[:N, :C]
    dx = np.zeros(x_shape)
    np.add.at(dx, (n_idx[:, :, None, None], c_idx[:, :, None, None], rows, cols), dout)
    return dx
''', FULL),

    ("max_pool_fast_offsets_list_comprehension", "conv", '''
def max_pool_forward_fast(x, pool_param):
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    Ho = (x.shape[2] - ph) // s + 1
    Wo = (x.shape[3] - pw) // s + 1
    stack = np.stack([x[:, :, p:p + s * Ho:s, q:q + s * Wo:s]
                      for p in range(ph) for q in range(pw)])      # (ph*pw, N, C, Ho, Wo)
    out = stack.max(axis=0)
    return out, (x, pool_param, out)


def max_pool_backward_fast(dout, cache):
    x, pool_param, out = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    Ho, Wo = dout.shape[2], dout.shape[3]
    dx = np.zeros_like(x)
    for p in range(ph):
        for q in range(pw):
            sl = (slice(None), slice(None), slice(p, p + s * Ho, s), slice(q, q + s * Wo, s))
            dx[sl] += np.where(x[sl] == out, dout, 0.0)
    return dx
''', FULL),

    ("three_layer_convnet_cs231n_float32_dry_run_shapes", "conv", '''
class ThreeLayerConvNet(object):
    def __init__(self, input_dim=(1, 8, 8), num_filters=16, filter_size=3, hidden_dim=64,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32):
        self.params = {}
        self.reg = reg
        self.dtype = dtype
        self.conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}
        self.pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
        W1 = weight_scale * np.random.randn(num_filters, input_dim[0], filter_size,
                                            filter_size)
        # the pooled size from a dry run on one blank image
        dummy = np.zeros((1,) + tuple(input_dim))
        conv, _ = conv_forward_im2col(dummy, W1, np.zeros(num_filters), self.conv_param)
        pooled, _ = max_pool_forward_fast(conv, self.pool_param)
        self.params['W1'] = W1
        self.params['b1'] = np.zeros(num_filters)
        self.params['W2'] = weight_scale * np.random.randn(pooled.size, hidden_dim)
        self.params['b2'] = np.zeros(hidden_dim)
        self.params['W3'] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params['b3'] = np.zeros(num_classes)
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        W3, b3 = self.params['W3'], self.params['b3']
        a1, c1 = conv_forward_im2col(X, W1, b1, self.conv_param)
        r1, cr1 = relu_forward(a1)
        p1, cp1 = max_pool_forward_fast(r1, self.pool_param)
        a2, c2 = affine_forward(p1, W2, b2)
        r2, cr2 = relu_forward(a2)
        scores, c3 = affine_forward(r2, W3, b3)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss = np.float64(loss) + 0.5 * self.reg * sum(np.sum(W ** 2) for W in (W1, W2, W3))
        grads = {}
        dr2, dW3, grads['b3'] = affine_backward(dscores, c3)
        da2 = relu_backward(dr2, cr2)
        dp1, dW2, grads['b2'] = affine_backward(da2, c2)
        da1 = relu_backward(max_pool_backward_fast(dp1, cp1), cr1)
        dx, dW1, grads['b1'] = conv_backward_im2col(da1, c1)
        grads['W1'] = dW1 + self.reg * W1
        grads['W2'] = dW2 + self.reg * W2
        grads['W3'] = dW3 + self.reg * W3
        return loss, grads
''', FULL),

    ("conv_backward_naive_crop_guarded_for_pad_zero", "conv", '''
def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(x.shape[0]):
        for f in range(F):
            db[f] += np.sum(dout[n, f])
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    hs, ws = i * stride, j * stride
                    window = x_pad[n, :, hs:hs + HH, ws:ws + WW]
                    dw[f] += window * dout[n, f, i, j]
                    dx_pad[n, :, i * stride:i * stride + HH,
                           j * stride:j * stride + WW] += w[f] * dout[n, f, i, j]
    if pad > 0:
        dx = dx_pad[:, :, pad:-pad, pad:-pad]
    else:
        dx = dx_pad
    return dx, dw, db
''', FULL),

    # wrong side: the right values, but a Python loop over the examples
    ("conv_fast_loops_over_examples", "conv", '''
def conv_forward_im2col(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    N = x.shape[0]
    F, C, HH, WW = w.shape
    cols = []
    for n in range(N):                                              # one image at a time
        xn = np.pad(x[n], ((0, 0), (pad, pad), (pad, pad)))
        win = np.lib.stride_tricks.sliding_window_view(xn, (HH, WW), axis=(1, 2))
        win = win[:, ::stride, ::stride]                            # (C, Ho, Wo, HH, WW)
        cols.append(win.transpose(0, 3, 4, 1, 2))                   # (C, HH, WW, Ho, Wo)
    cols = np.stack(cols, axis=3)                                   # (C, HH, WW, N, Ho, Wo)
    Ho, Wo = cols.shape[4], cols.shape[5]
    cols = cols.reshape(C * HH * WW, N * Ho * Wo)
    out = (w.reshape(F, -1) @ cols + b[:, None]).reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3)
    return out, (x.shape, w, conv_param, cols)
''', {"conv_forward_im2col.vectorized": "is not vectorized"}),

    # wrong side: CS231n's assert that the filter fits evenly (the catalog takes the
    # floor): the forward's floor tests cost the forward; the course's backward keeps
    # full marks (SPEC: a backward test uses shapes its own forward handles)
    ("conv_naive_asserts_exact_division", "conv", '''
def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    assert (H + 2 * pad - HH) % stride == 0, 'height does not work'
    assert (W + 2 * pad - WW) % stride == 0, 'width does not work'
    H_out = int(1 + (H + 2 * pad - HH) / stride)
    W_out = int(1 + (W + 2 * pad - WW) / stride)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x_pad[n, :, hs:hs + HH, ws:ws + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db
''', {"conv_forward_naive": "not both multiples of the stride"}),

    # CS231n's naive pooling asserts that the windows divide the input (SPEC: graded
    # pooling inputs do); sizes by int(1 + .../stride) and by integer division
    ("max_pool_naive_cs231n_asserts_divisibility", "conv", '''
def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    HH, WW = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    assert (H - HH) % stride == 0, 'Invalid height'
    assert (W - WW) % stride == 0, 'Invalid width'
    H_out = int(1 + (H - HH) / stride)
    W_out = int(1 + (W - WW) / stride)
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.max(window, axis=(2, 3))
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    N, C, H, W = x.shape
    HH, WW = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    assert (H - HH) % stride == 0 and (W - WW) % stride == 0
    H_out = (H - HH) // stride + 1
    W_out = (W - WW) // stride + 1
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs:hs + HH, ws:ws + WW]
                    mask = window == np.max(window)
                    dx[n, c, hs:hs + HH, ws:ws + WW] += mask * dout[n, c, i, j]
    return dx
''', FULL),

    # CS231n's fast pooling through im2col, with the course's divisibility asserts
    ("max_pool_fast_cs231n_im2col_asserts_divisibility", "conv", IM2COL + '''
def max_pool_forward_fast(x, pool_param):
    N, C, H, W = x.shape
    pool_height, pool_width = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    assert (H - pool_height) % stride == 0, 'Invalid height'
    assert (W - pool_width) % stride == 0, 'Invalid width'
    out_height = (H - pool_height) // stride + 1
    out_width = (W - pool_width) // stride + 1
    x_split = x.reshape(N * C, 1, H, W)
    x_cols = im2col_indices(x_split, pool_height, pool_width, padding=0, stride=stride)
    x_cols_argmax = np.argmax(x_cols, axis=0)
    x_cols_max = x_cols[x_cols_argmax, np.arange(x_cols.shape[1])]
    out = x_cols_max.reshape(out_height, out_width, N, C).transpose(2, 3, 0, 1)
    cache = (x, x_cols, x_cols_argmax, pool_param)
    return out, cache


def max_pool_backward_fast(dout, cache):
    x, x_cols, x_cols_argmax, pool_param = cache
    N, C, H, W = x.shape
    pool_height, pool_width = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    dout_reshaped = dout.transpose(2, 3, 0, 1).flatten()
    dx_cols = np.zeros_like(x_cols)
    dx_cols[x_cols_argmax, np.arange(dx_cols.shape[1])] = dout_reshaped
    dx = col2im_indices(dx_cols, (N * C, 1, H, W), pool_height, pool_width,
                        padding=0, stride=stride)
    return dx.reshape(x.shape)
''', FULL),

    # the softmax from probabilities with log(p + 1e-16) (SPEC: graded nets keep every
    # class probability above 1e-10, where the eps changes nothing that matters)
    ("three_layer_convnet_softmax_log_p_plus_eps", "conv", '''
def softmax_loss(scores, y):
    N = scores.shape[0]
    exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)     # (N, C)
    loss = -np.sum(np.log(probs[np.arange(N), y] + 1e-16)) / N
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    return loss, dscores / N
''', FULL),

    # wrong side: dx_pad[:, :, pad:-pad] is empty when pad = 0
    ("conv_backward_naive_crop_pad_minus_pad", "conv", '''
def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(x.shape[0]):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    s, t = i * stride, j * stride
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, s:s + HH, t:t + WW]
                    dx_pad[n, :, s:s + HH, t:t + WW] += dout[n, f, i, j] * w[f]
    dx = dx_pad[:, :, pad:-pad, pad:-pad]
    return dx, dw, dout.sum(axis=(0, 2, 3))
''', {"conv_backward_naive.pad_zero": "expected shape",
      "conv_backward_naive": "expected shape"}),

    # wrong side: overlapping windows overwrite instead of adding
    ("max_pool_backward_naive_assigns", "conv", '''
def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, S = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * S:i * S + ph, j * S:j * S + pw]
                    r, s = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * S + r, j * S + s] = dout[n, c, i, j]
    return dx
''', {"max_pool_backward_naive.overlapping_windows_add": "SUM of their gradients",
      "max_pool_backward_naive": "SUM of their gradients"}),

    # wrong side: a true convolution (the kernel flipped)
    ("conv_naive_flips_the_kernel", "conv", '''
def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    kernel = w[:, :, ::-1, ::-1]                       # "convolution" as in signal processing
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    patch = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(patch * kernel[f]) + b[f]
    return out, (x, w, b, conv_param)
''', {"conv_forward_naive": "true convolution"}),

    # wrong side: the fast pool backward loops over the output positions
    ("max_pool_backward_fast_loops_over_positions", "conv", '''
def max_pool_backward_fast(dout, cache):
    x_shape, pool_param, arg = cache
    ph, pw = pool_param['pool_height'], pool_param['pool_width']
    stride = pool_param['stride']
    dx = np.zeros(x_shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            r, s = np.divmod(arg[:, :, i, j], pw)
            n, c = np.indices(r.shape)
            np.add.at(dx, (n, c, i * stride + r, j * stride + s), dout[:, :, i, j])
    return dx
''', {"max_pool_backward_fast.vectorized": "is not vectorized"}),

    # wrong side: the penalty without its 0.5
    ("three_layer_convnet_penalty_without_half", "conv", '''
_CorrectNet = ThreeLayerConvNet


class ThreeLayerConvNet(_CorrectNet):
    def loss(self, X, y=None):
        if y is None:
            return super().loss(X)
        loss, grads = super().loss(X, y)
        for k in ('W1', 'W2', 'W3'):
            loss += 0.5 * self.reg * np.sum(self.params[k] ** 2)
            grads[k] += self.reg * self.params[k]
        return loss, grads
''', {"ThreeLayerConvNet.regularization": "0.5 * reg",
      "ThreeLayerConvNet": "0.5 * reg"}),

    # ========================================================= perceptron
    # the book's code (chapters 2-4): AND with a threshold theta, the gates' tmp <= 0 on
    # the line itself, step as np.array(x > 0), the 2-D softmax through the transpose
    # (each row's own max), numerical_gradient through np.nditer in place
    ("perceptron_book_code_verbatim", "perceptron", '''
def AND(x1, x2):
    w1, w2, theta = 0.5, 0.5, 0.7
    tmp = x1*w1 + x2*w2
    if tmp <= theta:
        return 0
    elif tmp > theta:
        return 1


def OR(x1, x2):
    x = np.array([x1, x2])
    w = np.array([0.5, 0.5])
    b = -0.2
    tmp = np.sum(w*x) + b
    if tmp <= 0:
        return 0
    else:
        return 1


def step_function(x):
    return np.array(x > 0, dtype=int)


def softmax(x):
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2*h)
        x[idx] = tmp_val
        it.iternext()
    return grad
''', FULL),

    # ========================================================== detection
    # d2l's code verbatim in NumPy: conversions on boxes[:, 0] (boxes are graded as
    # (n, 4)), the threshold step's >= and NMS's <= (an IoU equal to the threshold
    # assigns an anchor and keeps a box)
    ("detection_d2l_code_verbatim", "detection", '''
def box_corner_to_center(boxes):
    """Convert from (upper-left, lower-right) to (center, width, height)."""
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    cx = (x1 + x2) / 2
    cy = (y1 + y2) / 2
    w = x2 - x1
    h = y2 - y1
    boxes = np.stack((cx, cy, w, h), axis=-1)
    return boxes


def box_center_to_corner(boxes):
    """Convert from (center, width, height) to (upper-left, lower-right)."""
    cx, cy, w, h = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    x1 = cx - 0.5 * w
    y1 = cy - 0.5 * h
    x2 = cx + 0.5 * w
    y2 = cy + 0.5 * h
    boxes = np.stack((x1, y1, x2, y2), axis=-1)
    return boxes


def assign_anchor_to_bbox(ground_truth, anchors, iou_threshold=0.5):
    num_anchors, num_gt_boxes = anchors.shape[0], ground_truth.shape[0]
    jaccard = box_iou(anchors, ground_truth)
    anchors_bbox_map = np.full((num_anchors,), -1, dtype=np.int64)
    max_ious, indices = np.max(jaccard, axis=1), np.argmax(jaccard, axis=1)
    anc_i = np.nonzero(max_ious >= iou_threshold)[0]
    box_j = indices[max_ious >= iou_threshold]
    anchors_bbox_map[anc_i] = box_j
    col_discard = np.full((num_anchors,), -1)
    row_discard = np.full((num_gt_boxes,), -1)
    for _ in range(num_gt_boxes):
        max_idx = np.argmax(jaccard)
        box_idx = (max_idx % num_gt_boxes)
        anc_idx = (max_idx / num_gt_boxes).astype(np.int64)
        anchors_bbox_map[anc_idx] = box_idx
        jaccard[:, box_idx] = col_discard
        jaccard[anc_idx, :] = row_discard
    return anchors_bbox_map


def nms(boxes, scores, iou_threshold):
    B = np.argsort(-scores)
    keep = []
    while B.size > 0:
        i = B[0]
        keep.append(i)
        if B.size == 1:
            break
        iou = box_iou(boxes[i, :].reshape(-1, 4), boxes[B[1:], :].reshape(-1, 4)).reshape(-1)
        inds = np.nonzero(iou <= iou_threshold)[0]
        B = B[inds + 1]
    return np.array(keep)
''', FULL),
]


def _lost(results):
    return {name: r for name, r in results.items() if r.score != r.max_score}


def _describe(results):
    return "\n  ".join("%s: %g/%g %s: %s" % (name, r.score, r.max_score, r.status,
                                            r.feedback[:400])
                       for name, r in sorted(results.items()))


@pytest.mark.parametrize("case_id,assignment,source,expected", CASES,
                         ids=[c[0] for c in CASES])
def test_student_style(case_id, assignment, source, expected):
    results, _ = grade_source(with_replacement(assignment, source), assignment)
    lost = _lost(results)
    if expected is FULL:
        assert not lost, "%s is correct but lost points:\n  %s" % (case_id, _describe(lost))
        return
    problems = []
    functions = {name for name in expected if "." not in name}
    for name, substring in expected.items():
        if "." in name:                                   # exactly this test
            if name not in lost:
                problems.append("%s should lose points but scored %s" % (
                    name, "%g/%g" % (results[name].score, results[name].max_score)
                    if name in results else "nothing (no such test)"))
            elif substring and substring not in lost[name].feedback:
                problems.append("%s lost points, but its feedback lacks %r: %s"
                                % (name, substring, lost[name].feedback))
        elif substring is not None:                       # some tests of this function
            mine = {n: r for n, r in lost.items() if r.function == name}
            if not mine:
                problems.append("no test of %s lost points" % name)
            elif not any(substring in r.feedback for r in mine.values()):
                problems.append("%s lost points, but no feedback mentions %r:\n    %s"
                                % (name, substring, _describe(mine)))
    named = {name.split(".")[0] for name in expected}
    for name, r in lost.items():
        if r.function in named and withheld_by_gate(r):
            continue          # a structure/consistency test withheld: the values are wrong
        if name not in expected and r.function not in functions:
            problems.append("%s should keep full marks but scored %g/%g (%s): %s"
                            % (name, r.score, r.max_score, r.status, r.feedback[:400]))
    assert not problems, "%s:\n  %s" % (case_id, "\n  ".join(problems))


def test_corpus_covers_every_assignment_and_both_sides():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert {c[1] for c in CASES} >= {"knn", "linear_classifiers", "backprop", "optimizers",
                                     "batchnorm", "conv"}
    assert sum(c[3] is FULL for c in CASES) >= 15
    assert sum(c[3] is not FULL for c in CASES) >= 6
    conv = [c for c in CASES if c[1] == "conv"]
    assert sum(c[3] is FULL for c in conv) >= 12 and sum(c[3] is not FULL for c in conv) >= 3
