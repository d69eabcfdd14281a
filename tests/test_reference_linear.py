"""The linear-classifier reference against the course notes and torch autograd."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from reference import linear_classifiers as lc

SVM = [lc.svm_loss_naive, lc.svm_loss_vectorized]
SOFTMAX = [lc.softmax_loss_naive, lc.softmax_loss_vectorized]

# Course notes: rows are the examples cat, car, frog; columns the classes.
NOTES_SCORES = np.array([[3.2, 5.1, -1.7],
                         [1.3, 4.9, 2.0],
                         [2.2, 2.5, -3.1]])
NOTES_LABELS = np.array([0, 1, 2])


def _problem(seed, N=12, D=6, C=4):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((D, C)), rng.standard_normal((N, D)),
            rng.integers(0, C, size=N))


def _torch_loss(kind, W, X, y, reg):
    """Loss and dW by autograd: hinge written by hand, softmax by F.cross_entropy."""
    Wt = torch.tensor(W, requires_grad=True)
    scores = torch.from_numpy(X) @ Wt                       # (N, C)
    yt = torch.from_numpy(y)
    if kind == "svm":
        correct = scores.gather(1, yt[:, None])             # (N, 1)
        margins = torch.clamp(scores - correct + 1, min=0)
        margins = margins * (1 - F.one_hot(yt, W.shape[1]).double())
        data_loss = margins.sum(dim=1).mean()
    else:
        data_loss = F.cross_entropy(scores, yt)
    loss = data_loss + reg * (Wt ** 2).sum()
    loss.backward()
    return loss.item(), Wt.grad.numpy()


@pytest.mark.parametrize("fn", SVM)
def test_svm_course_notes_example(fn):
    # X = identity makes X @ W equal W, so W holds the scores (D = N = 3, C = 3).
    loss, _ = fn(NOTES_SCORES.copy(), np.eye(3), NOTES_LABELS, 0.0)
    assert loss == pytest.approx((2.9 + 0.0 + 12.9) / 3, abs=1e-12)
    assert round(loss, 2) == 5.27


@pytest.mark.parametrize("fn", SVM)
@pytest.mark.parametrize("row, expected", [(0, 2.9), (1, 0.0), (2, 12.9)])
def test_svm_course_notes_rows(fn, row, expected):
    # One example: X = [[1]] (N = D = 1), W = its score row (1, C).
    loss, _ = fn(NOTES_SCORES[row:row + 1].copy(), np.eye(1), NOTES_LABELS[row:row + 1], 0.0)
    assert loss == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("fn", SOFTMAX)
def test_softmax_course_notes_cat(fn):
    loss, _ = fn(NOTES_SCORES[:1].copy(), np.eye(1), NOTES_LABELS[:1], 0.0)
    assert round(loss, 2) == 2.04


@pytest.mark.parametrize("kind, fns", [("svm", SVM), ("softmax", SOFTMAX)])
@pytest.mark.parametrize("seed, reg", [(0, 0.0), (1, 0.1), (2, 2.5)])
def test_loss_and_gradient_match_torch(kind, fns, seed, reg):
    W, X, y = _problem(seed)
    expected_loss, expected_dW = _torch_loss(kind, W, X, y, reg)
    for fn in fns:
        loss, dW = fn(W, X, y, reg)
        assert loss == pytest.approx(expected_loss, rel=1e-12)
        assert dW.shape == W.shape
        np.testing.assert_allclose(dW, expected_dW, rtol=1e-10, atol=1e-12)


def test_svm_matches_torch_multi_margin_loss():
    W, X, y = _problem(3, C=5)
    # multi_margin_loss divides each example's hinge sum by C.
    expected = F.multi_margin_loss(torch.from_numpy(X @ W), torch.from_numpy(y)).item() * 5
    assert lc.svm_loss_vectorized(W, X, y, 0.0)[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reg", [0.0, 3.0])
def test_loss_at_zero_weights(reg):
    _, X, y = _problem(4, C=7)
    W = np.zeros((X.shape[1], 7))
    assert lc.svm_loss_vectorized(W, X, y, reg)[0] == pytest.approx(6.0, abs=1e-12)
    assert lc.softmax_loss_vectorized(W, X, y, reg)[0] == pytest.approx(math.log(7), abs=1e-12)


def test_softmax_is_stable_for_huge_scores():
    rng = np.random.default_rng(5)
    scores = rng.standard_normal((4, 3)) * 1e4              # X = I: W is the scores
    y = np.array([0, 1, 2, 0])
    loss, dW = lc.softmax_loss_vectorized(scores, np.eye(4), y, 0.0)
    shifted = scores - scores.max(axis=1, keepdims=True) + 7.0
    loss_shifted, dW_shifted = lc.softmax_loss_vectorized(shifted, np.eye(4), y, 0.0)
    assert np.isfinite(loss) and np.all(np.isfinite(dW))
    assert loss == pytest.approx(loss_shifted, rel=1e-12)
    np.testing.assert_allclose(dW, dW_shifted, atol=1e-15)


def test_losses_do_not_modify_inputs():
    W, X, y = _problem(6)
    copies = [a.copy() for a in (W, X, y)]
    for fn in SVM + SOFTMAX:
        fn(W, X, y, 0.5)
    for a, b in zip((W, X, y), copies):
        np.testing.assert_array_equal(a, b)


def _separable(seed, N=90, D=4, C=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, C, size=N)
    X = rng.standard_normal((N, D)) * 0.3
    X[np.arange(N), y] += 2.0                               # class c: feature c is large
    return X, y


def test_training_learns_and_is_reproducible():
    X, y = _separable(7)
    W0 = np.zeros((4, 3))
    args = dict(learning_rate=0.5, reg=1e-4, num_iters=60, batch_size=30, seed=3)
    W, history = lc.train_linear_classifier(lc.softmax_loss_vectorized, W0, X, y, **args)
    assert np.all(W0 == 0)
    assert len(history) == 60 and all(type(h) is float for h in history)
    assert np.mean(history[-10:]) < 0.5 * np.mean(history[:5])
    W2, history2 = lc.train_linear_classifier(lc.softmax_loss_vectorized, W0, X, y, **args)
    assert history2 == history and np.array_equal(W2, W)
    assert np.mean(lc.predict_linear_classifier(W, X) == y) > 0.9


def test_training_samples_with_default_rng():
    X = np.arange(20.0)[:, None]                            # row id as the only feature
    y = np.zeros(20, dtype=np.int64)
    def row_sum(W, X_batch, y_batch, reg):
        return X_batch.sum(), np.zeros_like(W)
    _, history = lc.train_linear_classifier(row_sum, np.zeros((1, 2)), X, y,
                                            num_iters=3, batch_size=5, seed=11)
    rng = np.random.default_rng(11)
    assert history == [float(rng.choice(20, 5, replace=True).sum()) for _ in range(3)]


def test_training_step_is_plain_sgd():
    def pull_to_one(W, X_batch, y_batch, reg):
        return 0.0, W - 1.0
    W, _ = lc.train_linear_classifier(pull_to_one, np.zeros((2, 2)), np.zeros((5, 2)),
                                      np.zeros(5, dtype=np.int64), learning_rate=0.5,
                                      num_iters=2)
    np.testing.assert_allclose(W, np.full((2, 2), 0.75))    # 0 -> 0.5 -> 0.75


def test_predict_is_argmax_int64():
    W, X, _ = _problem(8)
    pred = lc.predict_linear_classifier(W, X)
    assert pred.dtype == np.int64
    np.testing.assert_array_equal(pred, np.argmax(X @ W, axis=1))
