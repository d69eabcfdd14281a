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
                                     "batchnorm"}
    assert sum(c[3] is FULL for c in CASES) >= 15
    assert sum(c[3] is not FULL for c in CASES) >= 6
