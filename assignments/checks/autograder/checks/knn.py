"""Checks of the knn assignment (catalog: SPEC.md, "knn")."""
import numpy as np


from ..cases import cases, sizes
from ..compare import check_array
from ..errors import CheckFailed
from ..registry import STRUCTURE, Assignment

ASSIGNMENT = Assignment("knn", "k-nearest neighbours")
DISTANCES = ("compute_distances_two_loops", "compute_distances_one_loop",
             "compute_distances_no_loops")
for _name in DISTANCES:
    ASSIGNMENT.function(_name, ("X_test", "X_train"), loops_allowed=_name != DISTANCES[2])
ASSIGNMENT.function("predict_labels", ("dists", "y_train", "k"))
ASSIGNMENT.function("cross_validate_k", ("X", "y", "k_choices", "num_folds"))

DIST_ATOL = 1e-7   # scaled by the largest distance: room for the a^2 + b^2 - 2ab form


def _points_case():
    return cases(num_test=sizes(1, 7), num_train=sizes(1, 9), D=sizes(1, 6),
                 scale=sizes(0, 3), shared=sizes(0, 2))


def _points(case):
    """X_test, X_train with ``shared`` test rows copied from X_train (distance 0)."""
    rng = case.rng()
    scale = 10.0 ** (case.scale - 1)                        # 0.1 .. 100
    X_train = rng.standard_normal((case.num_train, case.D)) * scale  # (num_train, D)
    X_test = rng.standard_normal((case.num_test, case.D)) * scale    # (num_test, D)
    for i in range(min(case.shared, case.num_test)):
        X_test[i] = X_train[rng.integers(case.num_train)]
    return X_test, X_train


def _declare_distance_tests(name):

    @ASSIGNMENT.test(name, points=1, name="metric_properties")
    def metric_properties(t):
        """dists(X, X) is symmetric, non-negative, zero on the diagonal, never NaN;
        identical points in higher dimension (where a^2 + b^2 - 2ab cancels) too."""
        X = t.rng.standard_normal((6, 5)) * 3.0                   # (6, 5)
        X[4] = X[1]                                              # a repeated point
        got = t.call(name, X, X.copy())
        _check_not_nan_or_negative(name, got, (6, 6))
        _check_dists(got, t.reference("compute_distances_two_loops", X, X))
        scale = float(np.max(got))
        if not np.allclose(got, got.T, rtol=0, atol=DIST_ATOL * scale):
            raise CheckFailed("dists(X, X) is not symmetric")
        check_array("diagonal of dists(X, X)", np.diag(got).copy(), np.zeros(6),
                    rtol=0, atol=DIST_ATOL * scale)
        # Rounding in a^2 + b^2 - 2ab leaves a good share (~25%) of these identical pairs a
        # tiny negative square: a square root without np.maximum(..., 0) gives NaN.  Not
        # square, so that a transposed result shows too.
        X_train = t.rng.standard_normal((40, 64)) * 3.0         # (40, 64)
        X_test = X_train[:24].copy()                            # (24, 64): rows 0..23
        _check_not_nan_or_negative(name, t.call(name, X_test, X_train), (24, 40))


def _check_dists(got, expected):
    """Compare distances with the reference; say so when the result is transposed."""
    if isinstance(got, np.ndarray) and got.ndim == 2 and got.shape == expected.T.shape \
            and got.dtype.kind in "iuf" and got.shape[0] > 1:
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        close = np.allclose(got.T, expected, rtol=1e-6, atol=DIST_ATOL * scale)
        if close and not np.allclose(got, expected, rtol=1e-6, atol=DIST_ATOL * scale):
            raise CheckFailed("dists is transposed: expected shape (num_test, num_train) = "
                              "%s with dists[i, j] the distance from X_test[i] to X_train[j]"
                              % (expected.shape,))
    check_array("dists", got, expected, atol=DIST_ATOL)


def _check_not_nan_or_negative(name, got, shape):
    if not isinstance(got, np.ndarray) or got.shape != shape:
        check_array("dists", got, np.zeros(shape))          # fails with the shape
    if got.dtype.kind not in "iuf":
        check_array("dists", got, np.zeros(shape))          # fails with the dtype
    nan = np.argwhere(np.isnan(got))
    if len(nan):
        i, j = nan[0]
        raise CheckFailed(
            "dists contains NaN (%d of %d entries), e.g. dists[%d, %d]: the distance of "
            "identical points must be 0, never NaN.  With ||a||^2 + ||b||^2 - 2 a.b, rounding "
            "can leave a tiny negative number under the square root: clip it with "
            "np.maximum(..., 0) first" % (len(nan), got.size, i, j))
    negative = np.argwhere(got < 0)
    if len(negative):
        i, j = negative[0]
        raise CheckFailed("dists has negative entries (%d of %d), e.g. dists[%d, %d] = %s: "
                          "distances are never negative" % (len(negative), got.size, i, j,
                                                             got[i, j]))


for _name in DISTANCES:
    _declare_distance_tests(_name)


@ASSIGNMENT.test("compute_distances_no_loops", points=1, kind=STRUCTURE)
def no_python_loops(t):
    """No for/while loop or comprehension in the function (or helpers it calls)."""
    t.require_no_loops("compute_distances_no_loops")




# ------------------------------------------------------------------ predict_labels
def _labels_case():
    return cases(num_test=sizes(1, 6), num_train=sizes(1, 12), classes=sizes(2, 5),
                 k=sizes(1, 7))


@ASSIGNMENT.test("predict_labels", points=1)
def nearest_neighbour(t):
    """k=1 predicts the label of the closest training point, as an int array."""
    dists = t.rng.random((5, 8)) + 0.1                          # (num_test, num_train)
    y_train = t.rng.integers(0, 4, size=8)
    got = t.call("predict_labels", dists, y_train, 1)
    check_array("y_pred", got, t.reference("predict_labels", dists, y_train, k=1),
                integer=True)




@ASSIGNMENT.test("predict_labels", points=1)
def tied_vote_goes_to_smallest_label(t):
    """Two labels with the same number of votes: the smaller label wins."""
    dists = np.array([[0.1, 0.2, 0.3, 0.4, 9.0, 9.0, 9.0, 9.0],   # labels 3 1 3 1 -> 1
                      [0.4, 0.3, 0.2, 0.1, 9.0, 9.0, 9.0, 9.0],   # labels 1 3 1 3 -> 1
                      [9.0, 9.0, 0.4, 9.0, 0.1, 0.2, 0.3, 9.0]])  # labels 4 3 4 3 -> 3
    y_train = np.array([3, 1, 3, 1, 4, 3, 4, 0])
    got = t.call("predict_labels", dists, y_train, 4)
    check_array("y_pred (k=4, two labels with 2 votes each)", got, np.array([1, 1, 3]),
                integer=True)


@ASSIGNMENT.test("predict_labels", points=1)
def majority_of_k_nearest(t):
    """k=5 over 32 training points: the label with most votes among the 5 nearest
    (3 of them share it; the nearest itself has another label)."""
    num_test, num_train, k, classes = 4, 32, 5, 4
    y_train = t.rng.permutation(np.repeat(np.arange(classes), num_train // classes))
    values = np.cumsum(t.rng.uniform(0.1, 1.0, size=num_train))   # (32,) increasing
    dists = np.empty((num_test, num_train))                        # (num_test, num_train)
    for i in range(num_test):
        winner = (i + 1) % classes
        others = [c for c in range(classes) if c != winner]
        votes = t.rng.choice(np.flatnonzero(y_train == winner), 3, replace=False)
        first, third = (t.rng.choice(np.flatnonzero(y_train == others[(i + j) % 3]))
                        for j in (0, 1))
        nearest = [first, votes[0], third, votes[1], votes[2]]    # labels o w o' w w
        rest = t.rng.permutation(np.setdiff1d(np.arange(num_train), nearest))
        dists[i, nearest] = values[:k]                             # distinct distances
        dists[i, rest] = values[k:]
    got = t.call("predict_labels", dists, y_train, k)
    check_array("y_pred (k=%d: the majority label of the %d nearest, 3 votes of %d)"
                % (k, k, k), got, t.reference("predict_labels", dists, y_train, k=k),
                integer=True)


# ------------------------------------------------------------------ cross_validate_k
def _cv_data(rng, n=23, D=3, classes=3):
    y = rng.integers(0, classes, size=n)
    X = rng.standard_normal((n, D)) + 1.5 * y[:, None]          # (n, D), some structure
    return X, y


def _check_cv(got, expected):
    if not isinstance(got, dict):
        raise CheckFailed("cross_validate_k: expected a dict {k: [accuracy per fold]}, got %s"
                          % type(got).__name__)
    missing = sorted(set(expected) - set(got))
    if missing:
        raise CheckFailed("cross_validate_k: the result has no entry for k=%s (keys: %s)"
                          % (missing[0], sorted(got, key=str)))
    for k, folds in expected.items():
        value = got[k]
        arr = np.asarray(value, dtype=np.float64) if isinstance(value, (list, tuple)) else value
        if isinstance(arr, np.ndarray) and arr.shape == np.shape(folds) and \
                arr.dtype.kind in "iuf" and np.any(arr > 1) and \
                np.allclose(arr / 100.0, folds, rtol=1e-9, atol=1e-12):
            raise CheckFailed("accuracies[k=%d]: got percentages %s; return accuracies in "
                              "[0, 1] (the fraction of correct predictions), expected %s"
                              % (k, [float(a) for a in arr], [float(f) for f in folds]))
        check_array("accuracies[k=%d]" % k, arr, np.array(folds), rtol=1e-9, atol=1e-12)


@ASSIGNMENT.test("cross_validate_k", points=2)
def folds_match_reference(t):
    """Accuracy per fold for each k, folds from np.array_split in order."""
    X, y = _cv_data(t.rng)
    k_choices = [1, 3, 5]
    got = t.call("cross_validate_k", X, y, k_choices, 5)
    _check_cv(got, t.reference("cross_validate_k", X, y, k_choices, num_folds=5))


