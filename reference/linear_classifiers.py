"""Reference for the linear_classifiers assignment (catalog: SPEC.md, "linear_classifiers")."""
import numpy as np


def svm_loss_vectorized(W, X, y, reg):
    """Multiclass hinge loss (margin 1, correct class skipped) averaged over N, plus
    reg * sum(W**2). Subgradient: a margin counts when strictly positive."""
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W                                          # (N, C)
    margins = scores - scores[rows, y][:, None] + 1.0       # (N, C)
    margins[rows, y] = 0.0
    active = (margins > 0).astype(np.float64)               # (N, C)
    loss = np.sum(margins * active) / N + reg * np.sum(W * W)
    active[rows, y] = -active.sum(axis=1)                   # correct class: minus count
    dW = X.T @ active / N + 2 * reg * W                     # (D, C)
    return float(loss), dW


def svm_loss_naive(W, X, y, reg):
    """Same as ``svm_loss_vectorized`` (the reference need not loop)."""
    return svm_loss_vectorized(W, X, y, reg)


def softmax_loss_vectorized(W, X, y, reg):
    """Mean cross-entropy of softmax(X @ W) plus reg * sum(W**2); stable for any finite
    scores (shift by the row max, log-sum-exp)."""
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W                                          # (N, C)
    shifted = scores - scores.max(axis=1, keepdims=True)    # (N, C), max 0 per row
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_probs[rows, y]) + reg * np.sum(W * W)
    dscores = np.exp(log_probs)                             # (N, C) probabilities
    dscores[rows, y] -= 1.0
    dW = X.T @ dscores / N + 2 * reg * W                    # (D, C)
    return float(loss), dW


def softmax_loss_naive(W, X, y, reg):
    """Same as ``softmax_loss_vectorized`` (the reference need not loop)."""
    return softmax_loss_vectorized(W, X, y, reg)


def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    """Minibatch SGD on a copy of W: each step draws batch_size rows with replacement
    from ``np.random.default_rng(seed)``. Returns (W, list of float losses)."""
    rng = np.random.default_rng(seed)
    W = np.array(W, dtype=np.float64)                       # (D, C), a copy
    N = X.shape[0]
    loss_history = []
    for _ in range(num_iters):
        idx = rng.choice(N, batch_size, replace=True)       # (batch_size,)
        loss, grad = loss_fn(W, X[idx], y[idx], reg)
        loss_history.append(float(loss))
        W = W - learning_rate * grad
    return W, loss_history


def predict_linear_classifier(W, X):
    """Labels (N,) int64: the class of highest score in X @ W."""
    return np.argmax(X @ W, axis=1).astype(np.int64)
