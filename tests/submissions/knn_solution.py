"""A correct student-style knn submission (the solution notebook's code)."""
import numpy as np


def compute_distances_two_loops(X_test, X_train):
    num_test, num_train = X_test.shape[0], X_train.shape[0]
    dists = np.zeros((num_test, num_train))
    for i in range(num_test):
        for j in range(num_train):
            dists[i, j] = np.sqrt(np.sum((X_test[i] - X_train[j]) ** 2))
    return dists


def compute_distances_one_loop(X_test, X_train):
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        dists[i, :] = np.sqrt(np.sum((X_train - X_test[i]) ** 2, axis=1))
    return dists


def compute_distances_no_loops(X_test, X_train):
    test_sq = np.sum(X_test ** 2, axis=1)[:, None]      # (num_test, 1)
    train_sq = np.sum(X_train ** 2, axis=1)[None, :]    # (1, num_train)
    sq = test_sq + train_sq - 2 * X_test @ X_train.T    # (num_test, num_train)
    return np.sqrt(np.maximum(sq, 0))


def predict_labels(dists, y_train, k=1):
    num_test = dists.shape[0]
    y_pred = np.zeros(num_test, dtype=np.int64)
    for i in range(num_test):
        nearest = np.argsort(dists[i], kind="stable")[:k]
        closest_y = y_train[nearest]
        y_pred[i] = np.argmax(np.bincount(closest_y))
    return y_pred


def cross_validate_k(X, y, k_choices, num_folds=5):
    X_folds = np.array_split(X, num_folds)
    y_folds = np.array_split(y, num_folds)
    accuracies = {}
    for k in k_choices:
        accuracies[k] = []
        for i in range(num_folds):
            X_tr = np.concatenate(X_folds[:i] + X_folds[i + 1:])
            y_tr = np.concatenate(y_folds[:i] + y_folds[i + 1:])
            dists = compute_distances_no_loops(X_folds[i], X_tr)
            pred = predict_labels(dists, y_tr, k)
            accuracies[k].append(float(np.mean(pred == y_folds[i])))
    return accuracies
