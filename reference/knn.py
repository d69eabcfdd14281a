"""Reference for the knn assignment (catalog: SPEC.md, "knn")."""
import numpy as np

CHUNK_ELEMENTS = 1 << 22   # bound on the (rows, num_train, D) difference block: 32 MiB


def _l2_distances(X_test, X_train):
    """Exact L2 distances from differences (no a^2 + b^2 - 2ab cancellation), so that
    identical points are at exactly 0; computed in row chunks to bound memory."""
    X_test = np.asarray(X_test, dtype=np.float64)           # (num_test, D)
    X_train = np.asarray(X_train, dtype=np.float64)         # (num_train, D)
    num_test, num_train = X_test.shape[0], X_train.shape[0]
    dists = np.empty((num_test, num_train))                 # (num_test, num_train)
    rows = max(1, CHUNK_ELEMENTS // max(1, num_train * X_train.shape[1]))
    for start in range(0, num_test, rows):
        diff = X_test[start:start + rows, None, :] - X_train[None, :, :]  # (rows, num_train, D)
        dists[start:start + rows] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return dists


def compute_distances_two_loops(X_test, X_train):
    """L2 distances (num_test, num_train); the reference needs no loops to be exact."""
    return _l2_distances(X_test, X_train)


def compute_distances_one_loop(X_test, X_train):
    """L2 distances (num_test, num_train); same values as the two-loop version."""
    return _l2_distances(X_test, X_train)


def compute_distances_no_loops(X_test, X_train):
    """L2 distances (num_test, num_train); same values as the two-loop version."""
    return _l2_distances(X_test, X_train)


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
