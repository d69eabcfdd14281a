"""The knn reference against torch and hand-made cases."""
import numpy as np
import pytest
import torch

from reference import knn

DISTANCE_FUNCTIONS = [knn.compute_distances_two_loops, knn.compute_distances_one_loop,
                      knn.compute_distances_no_loops]
EXACT_FUNCTIONS = DISTANCE_FUNCTIONS[:2]      # no_loops uses the a^2 + b^2 - 2ab form


@pytest.mark.parametrize("fn", DISTANCE_FUNCTIONS)
@pytest.mark.parametrize("shape", [(7, 11, 5), (1, 1, 1), (30, 4, 64)])
def test_distances_match_torch_cdist(fn, shape):
    num_test, num_train, D = shape
    rng = np.random.default_rng(0)
    X_test = rng.standard_normal((num_test, D)) * 10.0      # (num_test, D)
    X_train = rng.standard_normal((num_train, D)) * 10.0    # (num_train, D)
    expected = torch.cdist(torch.from_numpy(X_test), torch.from_numpy(X_train),
                           compute_mode="donot_use_mm_for_euclid_dist").numpy()
    got = fn(X_test, X_train)
    assert got.shape == (num_test, num_train) and got.dtype == np.float64
    rtol = 1e-12 if fn in EXACT_FUNCTIONS else 1e-9
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=0)


def test_no_loops_identical_points_are_zero_up_to_rounding():
    X = np.random.default_rng(1).standard_normal((6, 3)) * 10.0
    dists = knn.compute_distances_no_loops(X, X)
    assert not np.isnan(dists).any() and (dists >= 0).all()
    assert np.max(np.abs(np.diag(dists))) <= 1e-7 * np.max(dists)


@pytest.mark.parametrize("fn", EXACT_FUNCTIONS)
def test_identical_points_are_exactly_zero(fn):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 3)) * 1e4 + 1e6             # large offset: cancellation bait
    dists = fn(X, X)
    assert np.all(np.diag(dists) == 0.0)
    assert not np.isnan(dists).any() and (dists >= 0).all()
    np.testing.assert_array_equal(dists, dists.T)


def test_near_identical_points_keep_their_distance():
    X_train = np.array([[1e8, 1e8]])
    X_test = np.array([[1e8 + 1.0, 1e8]])                   # a^2+b^2-2ab would give 0 or NaN
    assert knn.compute_distances_two_loops(X_test, X_train)[0, 0] == 1.0


@pytest.mark.parametrize("chunk", [1, 8, 12, 40])
def test_blocked_distances_match_unblocked(monkeypatch, chunk):
    rng = np.random.default_rng(2)
    X_test, X_train = rng.standard_normal((13, 4)), rng.standard_normal((5, 4))
    whole = knn.compute_distances_two_loops(X_test, X_train)
    monkeypatch.setattr(knn, "CHUNK_ELEMENTS", chunk)       # blocks of 1x1 .. 2x5 pairs
    np.testing.assert_array_equal(knn.compute_distances_two_loops(X_test, X_train), whole)


def test_tied_vote_goes_to_smallest_label():
    dists = np.array([[0.1, 0.2, 0.3, 0.4, 9.0]])
    y_train = np.array([5, 2, 2, 5, 0])
    assert knn.predict_labels(dists, y_train, k=4).tolist() == [2]
    assert knn.predict_labels(dists, y_train, k=1).tolist() == [5]
    assert knn.predict_labels(dists, y_train, k=2).tolist() == [2]   # 5 vs 2: tie


def test_equal_distances_keep_training_order():
    dists = np.array([[1.0, 1.0, 1.0], [2.0, 1.0, 1.0]])
    y_train = np.array([7, 3, 4])
    # Row 0: stable order picks index 0 (label 7) for k=1, then 0 and 1 for k=2 (tie -> 3).
    assert knn.predict_labels(dists, y_train, k=1).tolist() == [7, 3]
    assert knn.predict_labels(dists, y_train, k=2).tolist() == [3, 3]


def test_k1_gives_nearest_label_as_int64():
    rng = np.random.default_rng(3)
    dists = rng.random((20, 15))
    y_train = rng.integers(0, 4, size=15)
    pred = knn.predict_labels(dists, y_train)
    assert pred.dtype == np.int64 and pred.shape == (20,)
    np.testing.assert_array_equal(pred, y_train[np.argmin(dists, axis=1)])


def test_labels_need_not_be_contiguous():
    dists = np.array([[0.0, 1.0, 2.0]])
    assert knn.predict_labels(dists, np.array([-3, 10, 10]), k=3).tolist() == [10]


def _hand_cross_validation(X, y, k_choices, num_folds):
    X_folds, y_folds = np.array_split(X, num_folds), np.array_split(y, num_folds)
    out = {k: [] for k in k_choices}
    for i in range(num_folds):
        X_tr = np.vstack([X_folds[j] for j in range(num_folds) if j != i])
        y_tr = np.hstack([y_folds[j] for j in range(num_folds) if j != i])
        d = torch.cdist(torch.from_numpy(X_folds[i]), torch.from_numpy(X_tr),
                        compute_mode="donot_use_mm_for_euclid_dist").numpy()
        for k in k_choices:
            order = np.argsort(d, axis=1, kind="stable")[:, :k]
            pred = [np.bincount(y_tr[row]).argmax() for row in order]
            out[k].append(float(np.mean(np.array(pred) == y_folds[i])))
    return out


@pytest.mark.parametrize("num_folds", [5, 3])
def test_cross_validation_matches_hand_computation(num_folds):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((23, 3))                        # 23: folds of unequal size
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    got = knn.cross_validate_k(X, y, [1, 3, 5], num_folds=num_folds)
    assert got == _hand_cross_validation(X, y, [1, 3, 5], num_folds)
    assert all(type(a) is float for accs in got.values() for a in accs)
    assert all(len(accs) == num_folds for accs in got.values())


def test_inputs_are_not_modified():
    rng = np.random.default_rng(5)
    X_test, X_train = rng.standard_normal((4, 3)), rng.standard_normal((9, 3))
    y = rng.integers(0, 3, size=9)
    copies = [a.copy() for a in (X_test, X_train, y)]
    for fn in DISTANCE_FUNCTIONS:
        fn(X_test, X_train)
    dists = knn.compute_distances_no_loops(X_test, X_train)
    dists_copy = dists.copy()
    knn.predict_labels(dists, y, k=3)
    knn.cross_validate_k(X_train, y, [1, 2], num_folds=3)
    for a, b in zip((X_test, X_train, y, dists), copies + [dists_copy]):
        np.testing.assert_array_equal(a, b)
