"""Reference for the knn assignment (catalog: SPEC.md, "knn")."""
import numpy as np

CHUNK_ELEMENTS = 1 << 18   # bound on a (rows, cols, D) difference block: 2 MiB of float64


def _l2_distances(X_test, X_train):
    """Exact L2 distances from differences (no a^2 + b^2 - 2ab cancellation), so that
    identical points are at exactly 0; computed in blocks to bound memory."""
    X_test = np.asarray(X_test, dtype=np.float64)           # (num_test, D)
    X_train = np.asarray(X_train, dtype=np.float64)         # (num_train, D)
    num_test, num_train, D = X_test.shape[0], X_train.shape[0], X_train.shape[1]
    cols = max(1, min(num_train, CHUNK_ELEMENTS // max(1, D)))
    rows = max(1, CHUNK_ELEMENTS // (cols * max(1, D)))
    dists = np.empty((num_test, num_train))                 # (num_test, num_train)
    for i in range(0, num_test, rows):
        for j in range(0, num_train, cols):
            diff = X_test[i:i + rows, None] - X_train[None, j:j + cols]  # (rows, cols, D)
            dists[i:i + rows, j:j + cols] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return dists


def compute_distances_two_loops(X_test, X_train):
    """L2 distances (num_test, num_train); all three share one exact implementation."""
    return _l2_distances(X_test, X_train)


def compute_distances_one_loop(X_test, X_train):
    """L2 distances (num_test, num_train); same values as the two-loop version."""
    return _l2_distances(X_test, X_train)


def compute_distances_no_loops(X_test, X_train):
    """L2 distances (num_test, num_train) with no Python loop and no (num_test,
    num_train, D) temporary: ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b.  Cancellation
    can leave tiny negative squares for (near-)identical points: clip them at 0, so
    the distance is ~0 and never NaN.  The checks compare against the exact
    two-loop version, with a tolerance that admits this rounding."""
    test_sq = np.sum(X_test ** 2, axis=1)[:, None]          # (num_test, 1)
    train_sq = np.sum(X_train ** 2, axis=1)[None, :]        # (1, num_train)
    sq = test_sq + train_sq - 2.0 * (X_test @ X_train.T)    # (num_test, num_train)
    return np.sqrt(np.maximum(sq, 0.0))


def predict_labels(dists, y_train, k=1):
    """Majority vote of the k nearest training labels (ties in distance: stable order;
    ties in the vote: the smallest label). Returns int64 labels (num_test,)."""
    dists = np.asarray(dists)                               # (num_test, num_train)
    labels, index = np.unique(np.asarray(y_train), return_inverse=True)  # sorted labels
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]            # (num_test, k)
    votes = np.zeros((dists.shape[0], labels.size), dtype=np.int64)      # (num_test, L)
    rows = np.repeat(np.arange(dists.shape[0]), nearest.shape[1])
    np.add.at(votes, (rows, index.reshape(-1)[nearest].ravel()), 1)
    return labels[np.argmax(votes, axis=1)].astype(np.int64)  # argmax: first = smallest


def cross_validate_k(X, y, k_choices, num_folds=5):
    """Accuracy of each k on each fold: folds are ``np.array_split`` in order (no
    shuffling); fold i validates, the other folds in order train."""
    X_folds = np.array_split(np.asarray(X), num_folds)
    y_folds = np.array_split(np.asarray(y), num_folds)
    results = {k: [] for k in k_choices}
    for i in range(num_folds):
        X_tr = np.concatenate(X_folds[:i] + X_folds[i + 1:])  # (num_train, D)
        y_tr = np.concatenate(y_folds[:i] + y_folds[i + 1:])  # (num_train,)
        dists = _l2_distances(X_folds[i], X_tr)              # (num_val, num_train)
        for k in results:                                    # each distinct k once
            pred = predict_labels(dists, y_tr, k=k)
            results[k].append(float(np.mean(pred == y_folds[i])))
    return results
