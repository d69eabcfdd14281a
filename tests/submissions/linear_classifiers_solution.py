"""A correct student-style linear_classifiers submission (the solution notebook's code)."""
import numpy as np


def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    num_classes, num_train = W.shape[1], X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W                                            # (N, C)
    correct = scores[np.arange(N), y][:, None]                # (N, 1)
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(np.float64)                   # (N, C)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask / N + 2 * reg * W
    return loss, dW


def softmax_loss_naive(W, X, y, reg):
    dW = np.zeros_like(W)
    N = X.shape[0]
    loss = 0.0
    for i in range(N):
        scores = X[i] @ W
        scores = scores - np.max(scores)
        log_norm = np.log(np.sum(np.exp(scores)))
        probs = np.exp(scores - log_norm)
        loss += log_norm - scores[y[i]]
        for j in range(W.shape[1]):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss = loss / N + reg * np.sum(W * W)
    dW = dW / N + 2 * reg * W
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W                                            # (N, C)
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(N), y]) + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores / N + 2 * reg * W
    return loss, dW


def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = W.copy()
    loss_history = []
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size, replace=True)
        loss, grad = loss_fn(W, X[idx], y[idx], reg)
        loss_history.append(float(loss))
        W -= learning_rate * grad
    return W, loss_history


def predict_linear_classifier(W, X):
    return np.argmax(X @ W, axis=1)
