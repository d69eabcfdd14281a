"""Testing the tester: a corpus of realistic buggy student answers for the knn and
linear_classifiers assignments.  Each case is the correct solution with ONE function
re-defined the way students get it wrong; the named test must lose its points, and
its feedback must say what is wrong (the substring is asserted verbatim)."""
import glob
import os

import pytest

from autograder import registry
from tests.helpers import SUBMISSIONS, grade_source, lost_points, with_replacement

# (case_id, assignment, function, buggy_def_source, failing test, feedback substring)
# A status of "error" is expected where the submission raises; see EXPECTED_ERRORS.
CASES = [
    # ================================================================== knn: distances
    ("two_loops_missing_sqrt", "knn", "compute_distances_two_loops", '''
def compute_distances_two_loops(X_test, X_train):
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        for j in range(X_train.shape[0]):
            dists[i, j] = np.sum((X_test[i] - X_train[j]) ** 2)   # squared distance
    return dists
''', "compute_distances_two_loops.metric_properties", "dists["),

    ("two_loops_difference_of_squares", "knn", "compute_distances_two_loops", '''
def compute_distances_two_loops(X_test, X_train):
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        for j in range(X_train.shape[0]):
            dists[i, j] = np.sqrt(np.abs(np.sum(X_test[i] ** 2 - X_train[j] ** 2)))
    return dists
''', "compute_distances_two_loops.matches_reference", "dists["),

    ("two_loops_transposed_result", "knn", "compute_distances_two_loops", '''
def compute_distances_two_loops(X_test, X_train):
    dists = np.zeros((X_train.shape[0], X_test.shape[0]))      # (num_train, num_test)
    for i in range(X_test.shape[0]):
        for j in range(X_train.shape[0]):
            dists[j, i] = np.sqrt(np.sum((X_test[i] - X_train[j]) ** 2))
    return dists
''', "compute_distances_two_loops.metric_properties",
     "expected shape (24, 40), got shape (40, 24)"),

    ("one_loop_l1_distance", "knn", "compute_distances_one_loop", '''
def compute_distances_one_loop(X_test, X_train):
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        dists[i, :] = np.sum(np.abs(X_train - X_test[i]), axis=1)   # Manhattan
    return dists
''', "compute_distances_one_loop.metric_properties", "dists["),

    ("one_loop_sum_wrong_axis", "knn", "compute_distances_one_loop", '''
def compute_distances_one_loop(X_test, X_train):
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        dists[i, :] = np.sqrt(np.sum((X_train - X_test[i]) ** 2, axis=0))
    return dists
''', "compute_distances_one_loop.metric_properties", "could not broadcast"),

    ("one_loop_sum_over_everything", "knn", "compute_distances_one_loop", '''
def compute_distances_one_loop(X_test, X_train):
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        dists[i, :] = np.sqrt(np.sum((X_train - X_test[i]) ** 2))   # no axis
    return dists
''', "compute_distances_one_loop.metric_properties", "dists["),

    ("one_loop_normalises_X_train_in_place", "knn", "compute_distances_one_loop", '''
def compute_distances_one_loop(X_test, X_train):
    X_train /= np.linalg.norm(X_train, axis=1, keepdims=True)
    X_test = X_test / np.linalg.norm(X_test, axis=1, keepdims=True)
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        dists[i, :] = np.sqrt(np.sum((X_train - X_test[i]) ** 2, axis=1))
    return dists
''', "compute_distances_one_loop.metric_properties", "modified its input X_train"),

    ("no_loops_no_clip_nan", "knn", "compute_distances_no_loops", '''
def compute_distances_no_loops(X_test, X_train):
    test_sq = np.sum(X_test ** 2, axis=1)[:, None]
    train_sq = np.sum(X_train ** 2, axis=1)[None, :]
    return np.sqrt(test_sq + train_sq - 2 * X_test @ X_train.T)   # no np.maximum(., 0)
''', "compute_distances_no_loops.metric_properties", "NaN"),

    ("no_loops_squared_distances", "knn", "compute_distances_no_loops", '''
def compute_distances_no_loops(X_test, X_train):
    test_sq = np.sum(X_test ** 2, axis=1)[:, None]
    train_sq = np.sum(X_train ** 2, axis=1)[None, :]
    return np.maximum(test_sq + train_sq - 2 * X_test @ X_train.T, 0)
''', "compute_distances_no_loops.metric_properties", "dists["),

    ("no_loops_norms_without_newaxis", "knn", "compute_distances_no_loops", '''
def compute_distances_no_loops(X_test, X_train):
    test_sq = np.sum(X_test ** 2, axis=1)      # (num_test,): broadcasts along rows
    train_sq = np.sum(X_train ** 2, axis=1)
    return np.sqrt(np.maximum(test_sq + train_sq - 2 * X_test @ X_train.T, 0))
''', "compute_distances_no_loops.metric_properties", "dists["),

    ("no_loops_forgot_factor_two", "knn", "compute_distances_no_loops", '''
def compute_distances_no_loops(X_test, X_train):
    test_sq = np.sum(X_test ** 2, axis=1)[:, None]
    train_sq = np.sum(X_train ** 2, axis=1)[None, :]
    return np.sqrt(np.maximum(test_sq + train_sq - X_test @ X_train.T, 0))
''', "compute_distances_no_loops.metric_properties", "dists["),

    ("no_loops_3d_broadcast", "knn", "compute_distances_no_loops", '''
def compute_distances_no_loops(X_test, X_train):
    diff = X_test[:, None, :] - X_train[None, :, :]        # (num_test, num_train, D)
    return np.sqrt(np.sum(diff ** 2, axis=2))
''', "compute_distances_no_loops.no_3d_temporary", "(num_test, num_train, D) temporary"),

    ("no_loops_list_comprehension", "knn", "compute_distances_no_loops", '''
def compute_distances_no_loops(X_test, X_train):
    return np.array([np.sqrt(np.sum((X_train - x) ** 2, axis=1)) for x in X_test])
''', "compute_distances_no_loops.no_python_loops", "must not use Python loops"),

    ("no_loops_loop_in_helper", "knn", "compute_distances_no_loops", '''
def _row_norms(X):
    out = np.zeros(X.shape[0])
    for i in range(X.shape[0]):
        out[i] = X[i] @ X[i]
    return out

def compute_distances_no_loops(X_test, X_train):
    sq = _row_norms(X_test)[:, None] + _row_norms(X_train)[None, :] - 2 * X_test @ X_train.T
    return np.sqrt(np.maximum(sq, 0))
''', "compute_distances_no_loops.no_python_loops", "_row_norms uses a for loop"),

    ("no_loops_via_vectorize", "knn", "compute_distances_no_loops", '''
def compute_distances_no_loops(X_test, X_train):
    row = lambda i: np.sqrt(np.sum((X_train - X_test[int(i)]) ** 2, axis=1))
    return np.stack(list(map(row, np.arange(X_test.shape[0]))))
''', "compute_distances_no_loops.no_python_loops", "loop in disguise"),

    ("no_loops_centres_X_train_in_place", "knn", "compute_distances_no_loops", '''
def compute_distances_no_loops(X_test, X_train):
    mean = X_train.mean(axis=0)
    X_train -= mean                     # centring for accuracy... of the caller's array
    X_test = X_test - mean
    sq = (np.sum(X_test ** 2, axis=1)[:, None] + np.sum(X_train ** 2, axis=1)[None, :]
          - 2 * X_test @ X_train.T)
    return np.sqrt(np.maximum(sq, 0))
''', "compute_distances_no_loops.metric_properties", "modified its input X_train"),

    ("no_loops_not_implemented", "knn", "compute_distances_no_loops", '''
def compute_distances_no_loops(X_test, X_train):
    raise NotImplementedError
''', "compute_distances_no_loops.metric_properties", "not implemented"),

    # ================================================================== knn: predict_labels
    ("predict_tie_to_nearest_label_counter", "knn", "predict_labels", '''
from collections import Counter

def predict_labels(dists, y_train, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        closest_y = y_train[np.argsort(dists[i], kind="stable")[:k]]
        y_pred[i] = Counter(closest_y.tolist()).most_common(1)[0][0]
    return y_pred
''', "predict_labels.tied_vote_goes_to_smallest_label", "y_pred (k=4, two labels with 2 votes each): 2 of 3 labels differ: y_pred[0] expected 1, got 3"),

    ("predict_tie_to_largest_label", "knn", "predict_labels", '''
def predict_labels(dists, y_train, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        closest_y = y_train[np.argsort(dists[i], kind="stable")[:k]]
        labels, counts = np.unique(closest_y, return_counts=True)
        y_pred[i] = labels[len(counts) - 1 - np.argmax(counts[::-1])]   # last max
    return y_pred
''', "predict_labels.tied_vote_goes_to_smallest_label", "expected 1, got 3"),

    ("predict_argmax_of_neighbour_labels", "knn", "predict_labels", '''
def predict_labels(dists, y_train, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        closest_y = y_train[np.argsort(dists[i])[:k]]
        y_pred[i] = np.argmax(closest_y)              # the position of the largest label
    return y_pred
''', "predict_labels.majority_of_k_nearest",
     "y_pred (k=5: the majority label of the 5 nearest, 3 votes of 5): "),

    ("predict_label_of_the_nearest_only", "knn", "predict_labels", '''
def predict_labels(dists, y_train, k=1):
    nearest = np.argsort(dists, axis=1)[:, :k]       # (num_test, k)
    return y_train[nearest[:, 0]]                     # no vote: always 1-NN
''', "predict_labels.majority_of_k_nearest", "4 of 4 labels differ"),

    ("predict_mean_of_neighbour_labels", "knn", "predict_labels", '''
def predict_labels(dists, y_train, k=1):
    y_pred = np.zeros(dists.shape[0])                 # float64 labels (fine)
    for i in range(dists.shape[0]):
        closest_y = y_train[np.argsort(dists[i], kind="stable")[:k]]
        y_pred[i] = np.mean(closest_y)                # ... but a mean is no vote
    return y_pred
''', "predict_labels.tied_vote_goes_to_smallest_label", "labels must be whole numbers, but y_pred[2] = 3.5 is not"),

    ("predict_constant_one", "knn", "predict_labels", '''
def predict_labels(dists, y_train, k=1):
    return np.ones(dists.shape[0], dtype=np.int64)     # right on the first tie rows only
''', "predict_labels.tied_vote_goes_to_smallest_label", "y_pred[2] expected 3, got 1"),

    ("predict_ignores_k", "knn", "predict_labels", '''
def predict_labels(dists, y_train, k=1):
    return y_train[np.argmin(dists, axis=1)].astype(np.int64)   # always 1-NN
''', "predict_labels.tied_vote_goes_to_smallest_label", "expected 1, got 3"),

    ("predict_farthest_neighbours", "knn", "predict_labels", '''
def predict_labels(dists, y_train, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        closest_y = y_train[np.argsort(dists[i], kind="stable")[-k:]]
        y_pred[i] = np.argmax(np.bincount(closest_y))
    return y_pred
''', "predict_labels.nearest_neighbour", "y_pred["),

    ("predict_vote_returns_count", "knn", "predict_labels", '''
def predict_labels(dists, y_train, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        closest_y = y_train[np.argsort(dists[i], kind="stable")[:k]]
        y_pred[i] = np.max(np.bincount(closest_y))      # the count, not the label
    return y_pred
''', "predict_labels.nearest_neighbour", "y_pred["),

    ("predict_column_wise_argsort", "knn", "predict_labels", '''
def predict_labels(dists, y_train, k=1):
    nearest = np.argsort(dists, axis=0, kind="stable")[:k]    # sorts the wrong axis
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        y_pred[i] = np.argmax(np.bincount(y_train[nearest[:, i % nearest.shape[1]]]))
    return y_pred
''', "predict_labels.nearest_neighbour", "y_pred["),

    # ================================================================== knn: cross_validate_k
    ("cv_shuffles_folds", "knn", "cross_validate_k", '''
def cross_validate_k(X, y, k_choices, num_folds=5):
    perm = np.random.permutation(X.shape[0])
    X_folds = np.array_split(X[perm], num_folds)
    y_folds = np.array_split(y[perm], num_folds)
    accuracies = {}
    for k in k_choices:
        accuracies[k] = []
        for i in range(num_folds):
            X_tr = np.concatenate(X_folds[:i] + X_folds[i + 1:])
            y_tr = np.concatenate(y_folds[:i] + y_folds[i + 1:])
            pred = predict_labels(compute_distances_no_loops(X_folds[i], X_tr), y_tr, k)
            accuracies[k].append(float(np.mean(pred == y_folds[i])))
    return accuracies
''', "cross_validate_k.folds_match_reference", "accuracies[k="),

    ("cv_validates_on_training_data", "knn", "cross_validate_k", '''
def cross_validate_k(X, y, k_choices, num_folds=5):
    X_folds = np.array_split(X, num_folds)
    y_folds = np.array_split(y, num_folds)
    accuracies = {}
    for k in k_choices:
        accuracies[k] = []
        for i in range(num_folds):
            dists = compute_distances_no_loops(X_folds[i], X)   # fold i is in the training set
            pred = predict_labels(dists, y, k)
            accuracies[k].append(float(np.mean(pred == y_folds[i])))
    return accuracies
''', "cross_validate_k.folds_match_reference", "accuracies[k=1]"),

    ("cv_wrong_fold_held_out", "knn", "cross_validate_k", '''
def cross_validate_k(X, y, k_choices, num_folds=5):
    X_folds = np.array_split(X, num_folds)
    y_folds = np.array_split(y, num_folds)
    accuracies = {}
    for k in k_choices:
        accuracies[k] = []
        for i in range(num_folds):
            j = (i + 1) % num_folds                  # validates on the next fold
            X_tr = np.concatenate(X_folds[:i] + X_folds[i + 1:])
            y_tr = np.concatenate(y_folds[:i] + y_folds[i + 1:])
            pred = predict_labels(compute_distances_no_loops(X_folds[j], X_tr), y_tr, k)
            accuracies[k].append(float(np.mean(pred == y_folds[j])))
    return accuracies
''', "cross_validate_k.folds_match_reference", "accuracies[k="),

    ("cv_percentages", "knn", "cross_validate_k", '''
def cross_validate_k(X, y, k_choices, num_folds=5):
    X_folds = np.array_split(X, num_folds)
    y_folds = np.array_split(y, num_folds)
    accuracies = {}
    for k in k_choices:
        accuracies[k] = []
        for i in range(num_folds):
            X_tr = np.concatenate(X_folds[:i] + X_folds[i + 1:])
            y_tr = np.concatenate(y_folds[:i] + y_folds[i + 1:])
            pred = predict_labels(compute_distances_no_loops(X_folds[i], X_tr), y_tr, k)
            accuracies[k].append(100.0 * np.mean(pred == y_folds[i]))
    return accuracies
''', "cross_validate_k.folds_match_reference", "return accuracies in [0, 1]"),

    ("cv_mean_instead_of_list", "knn", "cross_validate_k", '''
def cross_validate_k(X, y, k_choices, num_folds=5):
    X_folds = np.array_split(X, num_folds)
    y_folds = np.array_split(y, num_folds)
    accuracies = {}
    for k in k_choices:
        accs = []
        for i in range(num_folds):
            X_tr = np.concatenate(X_folds[:i] + X_folds[i + 1:])
            y_tr = np.concatenate(y_folds[:i] + y_folds[i + 1:])
            pred = predict_labels(compute_distances_no_loops(X_folds[i], X_tr), y_tr, k)
            accs.append(np.mean(pred == y_folds[i]))
        accuracies[k] = float(np.mean(accs))
    return accuracies
''', "cross_validate_k.folds_match_reference", "expected an array of shape (5,)"),

    ("cv_np_split_uneven", "knn", "cross_validate_k", '''
def cross_validate_k(X, y, k_choices, num_folds=5):
    X_folds = np.split(X, num_folds)                 # fails unless n % num_folds == 0
    y_folds = np.split(y, num_folds)
    accuracies = {}
    for k in k_choices:
        accuracies[k] = []
        for i in range(num_folds):
            X_tr = np.concatenate(X_folds[:i] + X_folds[i + 1:])
            y_tr = np.concatenate(y_folds[:i] + y_folds[i + 1:])
            pred = predict_labels(compute_distances_no_loops(X_folds[i], X_tr), y_tr, k)
            accuracies[k].append(float(np.mean(pred == y_folds[i])))
    return accuracies
''', "cross_validate_k.folds_match_reference", "equal division"),

    ("cv_ignores_num_folds", "knn", "cross_validate_k", '''
def cross_validate_k(X, y, k_choices, num_folds=5):
    X_folds = np.array_split(X, 5)                   # hard-coded 5 folds
    y_folds = np.array_split(y, 5)
    accuracies = {}
    for k in k_choices:
        accuracies[k] = []
        for i in range(5):
            X_tr = np.concatenate(X_folds[:i] + X_folds[i + 1:])
            y_tr = np.concatenate(y_folds[:i] + y_folds[i + 1:])
            pred = predict_labels(compute_distances_no_loops(X_folds[i], X_tr), y_tr, k)
            accuracies[k].append(float(np.mean(pred == y_folds[i])))
    return accuracies
''', "cross_validate_k.other_fold_counts", "expected shape (3,)"),

    # ================================================================== linear: SVM
    ("svm_naive_no_reg_gradient", "linear_classifiers", "svm_loss_naive", '''
def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = 0.0
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
    loss = loss / X.shape[0] + reg * np.sum(W * W)
    dW = dW / X.shape[0]                               # forgot + 2 * reg * W
    return loss, dW
''', "svm_loss_naive.gradient_check", "dW (reg=0.7)["),

    ("svm_naive_counts_correct_class", "linear_classifiers", "svm_loss_naive", '''
def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = 0.0
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):                    # j == y[i] not skipped
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / X.shape[0] + reg * np.sum(W * W)
    dW = dW / X.shape[0] + 2 * reg * W
    return loss, dW
''', "svm_loss_naive.loss_at_zero_weights", "loss at W = 0 with C = 5 classes: expected 4, got 5"),

    ("svm_naive_gradient_only_on_correct_class", "linear_classifiers", "svm_loss_naive", '''
def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = 0.0
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, y[i]] -= X[i]                    # forgot dW[:, j] += X[i]
    loss = loss / X.shape[0] + reg * np.sum(W * W)
    dW = dW / X.shape[0] + 2 * reg * W
    return loss, dW
''', "svm_loss_naive.course_example", "dW["),

    ("svm_vec_reg_times_W", "linear_classifiers", "svm_loss_vectorized", '''
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(np.float64)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask / N + reg * W                      # should be 2 * reg * W
    return loss, dW
''', "svm_loss_vectorized.gradient_check", "dW (reg=0.7)["),

    ("svm_vec_gradient_not_averaged", "linear_classifiers", "svm_loss_vectorized", '''
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(np.float64)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask + 2 * reg * W                      # not divided by N
    return loss, dW
''', "svm_loss_vectorized.course_example", "dW["),

    ("svm_vec_margin_zero", "linear_classifiers", "svm_loss_vectorized", '''
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None])   # delta = 0
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(np.float64)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask / N + 2 * reg * W
    return loss, dW
''', "svm_loss_vectorized.course_example", "loss (the mean hinge loss of the cat/car/frog example"),

    ("svm_vec_mask_greater_equal", "linear_classifiers", "svm_loss_vectorized", '''
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins >= 0).astype(np.float64)           # every clipped margin counts
    mask[np.arange(N), y] = -(mask.sum(axis=1) - 1)
    dW = X.T @ mask / N + 2 * reg * W
    return loss, dW
''', "svm_loss_vectorized.course_example", "dW["),

    ("svm_vec_correct_class_not_zeroed", "linear_classifiers", "svm_loss_vectorized", '''
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)  # correct: 1
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(np.float64)
    mask[np.arange(N), y] = 0
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask / N + 2 * reg * W
    return loss, dW
''', "svm_loss_vectorized.course_example", "expected 5.26667, got 6.26667"),

    ("svm_vec_loop_over_examples", "linear_classifiers", "svm_loss_vectorized", '''
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    correct = np.zeros((N, 1))
    for i in range(N):
        correct[i] = scores[i, y[i]]
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(np.float64)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask / N + 2 * reg * W
    return loss, dW
''', "svm_loss_vectorized.no_python_loops", "svm_loss_vectorized uses a for loop"),

    ("svm_vec_loop_in_helper", "linear_classifiers", "svm_loss_vectorized", '''
def correct_class_scores(scores, y):
    i = 0
    out = np.empty(len(y))
    while i < len(y):
        out[i] = scores[i, y[i]]
        i += 1
    return out

def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - correct_class_scores(scores, y)[:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(np.float64)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask / N + 2 * reg * W
    return loss, dW
''', "svm_loss_vectorized.no_python_loops", "correct_class_scores uses a while loop"),

    ("svm_vec_squares_W_in_place", "linear_classifiers", "svm_loss_vectorized", '''
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    mask = (margins > 0).astype(np.float64)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask / N + 2 * reg * W
    W_sq = W                                           # not a copy
    W_sq **= 2
    loss = margins.sum() / N + reg * np.sum(W_sq)
    return loss, dW
''', "svm_loss_vectorized.course_example", "modified its input W"),

    ("svm_vec_half_reg_convention", "linear_classifiers", "svm_loss_vectorized", '''
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + 0.5 * reg * np.sum(W * W)   # the two-layer-net convention
    mask = (margins > 0).astype(np.float64)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = X.T @ mask / N + reg * W                          # consistent with its own loss
    return loss, dW
''', "svm_loss_vectorized.course_example", "it adds 0.5 * reg * sum(W**2)"),

    # ================================================================== linear: softmax
    ("softmax_naive_loss_not_averaged", "linear_classifiers", "softmax_loss_naive", '''
def softmax_loss_naive(W, X, y, reg):
    dW = np.zeros_like(W)
    N = X.shape[0]
    loss = 0.0
    for i in range(N):
        scores = X[i] @ W
        scores = scores - np.max(scores)
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(probs[y[i]])
        for j in range(W.shape[1]):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss = loss + reg * np.sum(W * W)                  # not divided by N
    dW = dW / N + 2 * reg * W
    return loss, dW
''', "softmax_loss_naive.loss_at_zero_weights", "loss at W = 0 with C = 5 classes"),

    ("softmax_naive_no_max_shift", "linear_classifiers", "softmax_loss_naive", '''
def softmax_loss_naive(W, X, y, reg):
    dW = np.zeros_like(W)
    N = X.shape[0]
    loss = 0.0
    for i in range(N):
        scores = X[i] @ W                               # no max shift: exp overflows
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(probs[y[i]])
        for j in range(W.shape[1]):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss = loss / N + reg * np.sum(W * W)
    dW = dW / N + 2 * reg * W
    return loss, dW
''', "softmax_loss_naive.stable_for_large_scores", "loss is nan when every score is near 1000 (dW has non-finite entries): exp(1000) overflows; subtract each row's maximum"),

    ("softmax_naive_forgets_minus_one", "linear_classifiers", "softmax_loss_naive", '''
def softmax_loss_naive(W, X, y, reg):
    dW = np.zeros_like(W)
    N = X.shape[0]
    loss = 0.0
    for i in range(N):
        scores = X[i] @ W
        scores = scores - np.max(scores)
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(probs[y[i]])
        for j in range(W.shape[1]):
            dW[:, j] += probs[j] * X[i]                # the correct class needs p - 1
    loss = loss / N + reg * np.sum(W * W)
    dW = dW / N + 2 * reg * W
    return loss, dW
''', "softmax_loss_naive.gradient_check", "analytic gradient"),

    ("softmax_naive_ignores_reg", "linear_classifiers", "softmax_loss_naive", '''
def softmax_loss_naive(W, X, y, reg):
    dW = np.zeros_like(W)
    N = X.shape[0]
    loss = 0.0
    for i in range(N):
        scores = X[i] @ W
        scores = scores - np.max(scores)
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(probs[y[i]])
        for j in range(W.shape[1]):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    return loss / N, dW / N                            # regularisation forgotten
''', "softmax_loss_naive.course_example", "it adds no regularisation"),

    ("softmax_vec_reg_gradient_reg_times_W", "linear_classifiers", "softmax_loss_vectorized", '''
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(N), y]) + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores / N + reg * W                   # d/dW reg*W^2 is 2*reg*W
    return loss, dW
''', "softmax_loss_vectorized.course_example", "is 2 * reg * W"),

    ("softmax_vec_no_max_shift", "linear_classifiers", "softmax_loss_vectorized", '''
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    exp = np.exp(X @ W)
    probs = exp / exp.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y])) + reg * np.sum(W * W)
    probs[np.arange(N), y] -= 1
    dW = X.T @ probs / N + 2 * reg * W
    return loss, dW
''', "softmax_loss_vectorized.stable_for_large_scores", "loss is nan when every score is near 1000 (dW has non-finite entries): exp(1000) overflows; subtract each row's maximum"),

    ("softmax_vec_wrong_sign_dW", "linear_classifiers", "softmax_loss_vectorized", '''
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(N), y]) + reg * np.sum(W * W)
    onehot = np.zeros_like(scores)
    onehot[np.arange(N), y] = 1
    dW = X.T @ (onehot - np.exp(log_probs)) / N + 2 * reg * W     # sign flipped
    return loss, dW
''', "softmax_loss_vectorized.course_example", "dW["),

    ("softmax_vec_transposed_dW", "linear_classifiers", "softmax_loss_vectorized", '''
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(N), y]) + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    dW = dscores.T @ X / N + 2 * reg * W.T             # (C, D)
    return loss, dW
''', "softmax_loss_vectorized.gradient_check", "expected shape (5, 4), got shape (4, 5)"),

    ("softmax_vec_normalise_over_batch", "linear_classifiers", "softmax_loss_vectorized", '''
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.sum(np.exp(scores))    # sum over the whole batch
    loss = -np.mean(np.log(probs[np.arange(N), y])) + reg * np.sum(W * W)
    probs[np.arange(N), y] -= 1
    dW = X.T @ probs / N + 2 * reg * W
    return loss, dW
''', "softmax_loss_vectorized.loss_at_zero_weights", "loss at W = 0 with C = 5 classes"),

    ("softmax_vec_comprehension", "linear_classifiers", "softmax_loss_vectorized", '''
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.mean([log_probs[i, y[i]] for i in range(N)]) + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores / N + 2 * reg * W
    return loss, dW
''', "softmax_loss_vectorized.no_python_loops", "a list comprehension"),

    ("softmax_vec_centres_X_in_place", "linear_classifiers", "softmax_loss_vectorized", '''
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    X -= X.mean(axis=0)                                # "preprocessing" the caller's data
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(N), y]) + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores / N + 2 * reg * W
    return loss, dW
''', "softmax_loss_vectorized.gradient_check", "modified its input X"),

    ("softmax_vec_returns_dict", "linear_classifiers", "softmax_loss_vectorized", '''
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    return {"loss": -np.mean(log_probs[np.arange(N), y]) + reg * np.sum(W * W),
            "dW": X.T @ dscores / N + 2 * reg * W}
''', "softmax_loss_vectorized.course_example", "expected a tuple (loss, dW)"),

    # ================================================================== linear: training
    ("train_fixed_global_seed", "linear_classifiers", "train_linear_classifier", '''
def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    np.random.seed(0)                                  # ignores the seed argument
    W = W.copy()
    loss_history = []
    for _ in range(num_iters):
        idx = np.random.choice(X.shape[0], batch_size)
        loss, grad = loss_fn(W, X[idx], y[idx], reg)
        loss_history.append(loss)
        W -= learning_rate * grad
    return W, loss_history
''', "train_linear_classifier.seeded_sampling", "drew the same batches with seed=3 and seed=4"),

    ("train_unseeded_generator", "linear_classifiers", "train_linear_classifier", '''
def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng()                      # seed forgotten
    W = W.copy()
    loss_history = []
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size)
        loss, grad = loss_fn(W, X[idx], y[idx], reg)
        loss_history.append(loss)
        W -= learning_rate * grad
    return W, loss_history
''', "train_linear_classifier.seeded_sampling", "loss_history with the same seed twice["),

    ("train_separate_indices_for_X_and_y", "linear_classifiers", "train_linear_classifier", '''
def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = W.copy()
    loss_history = []
    for _ in range(num_iters):
        X_batch = X[rng.choice(X.shape[0], batch_size)]
        y_batch = y[rng.choice(X.shape[0], batch_size)]     # different rows
        loss, grad = loss_fn(W, X_batch, y_batch, reg)
        loss_history.append(loss)
        W -= learning_rate * grad
    return W, loss_history
''', "train_linear_classifier.sgd_steps_and_batches", "index X and y with the same indices"),

    ("train_randint_off_by_one", "linear_classifiers", "train_linear_classifier", '''
def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = W.copy()
    loss_history = []
    for _ in range(num_iters):
        idx = rng.integers(0, X.shape[0] - 1, batch_size)   # the last row is never drawn
        loss, grad = loss_fn(W, X[idx], y[idx], reg)
        loss_history.append(loss)
        W -= learning_rate * grad
    return W, loss_history
''', "train_linear_classifier.seeded_sampling", "never drew row(s) [5]"),

    ("train_samples_first_batch_rows_only", "linear_classifiers", "train_linear_classifier", '''
def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = W.copy()
    loss_history = []
    for _ in range(num_iters):
        idx = rng.choice(batch_size, batch_size)           # arguments mixed up
        loss, grad = loss_fn(W, X[idx], y[idx], reg)
        loss_history.append(loss)
        W -= learning_rate * grad
    return W, loss_history
''', "train_linear_classifier.seeded_sampling", "sample indices from all num_train rows"),

    ("train_updates_callers_W", "linear_classifiers", "train_linear_classifier", '''
def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    loss_history = []
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size)
        loss, grad = loss_fn(W, X[idx], y[idx], reg)
        loss_history.append(loss)
        W -= learning_rate * grad                      # W is the caller's array
    return W, loss_history
''', "train_linear_classifier.sgd_steps_and_batches", "modified its input W"),

    ("train_gradient_ascent", "linear_classifiers", "train_linear_classifier", '''
def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = W.copy()
    loss_history = []
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size)
        loss, grad = loss_fn(W, X[idx], y[idx], reg)
        loss_history.append(loss)
        W += learning_rate * grad                      # wrong sign
    return W, loss_history
''', "train_linear_classifier.sgd_steps_and_batches", "W after 7 steps of learning_rate=0.1["),

    ("train_full_batch", "linear_classifiers", "train_linear_classifier", '''
def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    W = W.copy()
    loss_history = []
    for _ in range(num_iters):
        loss, grad = loss_fn(W, X, y, reg)             # batch_size ignored
        loss_history.append(loss)
        W -= learning_rate * grad
    return W, loss_history
''', "train_linear_classifier.sgd_steps_and_batches", "loss_history (one loss per iteration"),

    ("train_history_only_last_loss", "linear_classifiers", "train_linear_classifier", '''
def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = W.copy()
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size)
        loss, grad = loss_fn(W, X[idx], y[idx], reg)
        W -= learning_rate * grad
    return W, [loss]
''', "train_linear_classifier.sgd_steps_and_batches", "expected shape (7,), got shape (1,)"),

    ("train_reg_ignored", "linear_classifiers", "train_linear_classifier", '''
def train_linear_classifier(loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = W.copy()
    loss_history = []
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size)
        loss, grad = loss_fn(W, X[idx], y[idx], 0.0)   # reg not passed on
        loss_history.append(loss)
        W -= learning_rate * grad
    return W, loss_history
''', "train_linear_classifier.sgd_steps_and_batches", "W after 7 steps"),

    # ================================================================== linear: predict
    ("predict_argmin", "linear_classifiers", "predict_linear_classifier", '''
def predict_linear_classifier(W, X):
    return np.argmin(X @ W, axis=1)
''', "predict_linear_classifier.predicts_highest_score", "y_pred["),

    ("predict_highest_score_not_class", "linear_classifiers", "predict_linear_classifier", '''
def predict_linear_classifier(W, X):
    return np.max(X @ W, axis=1)                      # the score, not its class
''', "predict_linear_classifier.predicts_highest_score", "labels must be whole numbers"),

    ("predict_wrong_axis", "linear_classifiers", "predict_linear_classifier", '''
def predict_linear_classifier(W, X):
    return np.argmax(X @ W, axis=0)
''', "predict_linear_classifier.predicts_highest_score", "expected shape (9,), got shape (4,)"),

    ("predict_returns_scores", "linear_classifiers", "predict_linear_classifier", '''
def predict_linear_classifier(W, X):
    return X @ W
''', "predict_linear_classifier.predicts_highest_score", "expected shape (9,), got shape (9, 4)"),
]

# Cases where the submission raises: the test's status is "error", not "failed".
EXPECTED_ERRORS = {"one_loop_sum_wrong_axis", "no_loops_not_implemented", "cv_np_split_uneven"}


def _max_points(assignment, function):
    return sum(t.points for t in registry.load(assignment).tests if t.function == function)


@pytest.mark.parametrize("case_id,assignment,function,source,test_name,feedback",
                         CASES, ids=[c[0] for c in CASES])
def test_buggy_answer_loses_points(case_id, assignment, function, source, test_name,
                                   feedback):
    results, report = grade_source(with_replacement(assignment, source), assignment,
                                   only=(function,))
    assert test_name in results, "no test %s; graded: %s" % (test_name, sorted(results))
    result = results[test_name]
    status = "error" if case_id in EXPECTED_ERRORS else "failed"
    assert result.status == status, "%s: %s (%s)" % (test_name, result.status,
                                                     result.feedback)
    assert result.score == 0
    assert feedback in result.feedback, "feedback of %s: %r" % (test_name, result.feedback)
    total = sum(r.score for r in results.values() if r.function == function)
    assert total < _max_points(assignment, function)
    assert report.max_score == _max_points(assignment, function)


def test_corpus_is_well_formed():
    assert len(CASES) >= 24
    assert {c[1] for c in CASES} == set(CORPUS_ASSIGNMENTS)
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert EXPECTED_ERRORS <= set(ids)
    for case_id, assignment, function, _, test_name, feedback in CASES:
        assert function in registry.load(assignment).functions, case_id
        assert test_name.startswith(function + "."), case_id
        assert feedback, case_id


CORPUS_ASSIGNMENTS = ("knn", "linear_classifiers")


@pytest.mark.parametrize("path", sorted(
    p for p in glob.glob(os.path.join(SUBMISSIONS, "*_solution.py"))
    if os.path.basename(p)[:-len("_solution.py")] in CORPUS_ASSIGNMENTS), ids=os.path.basename)
def test_unmodified_solution_scores_full_marks(path):
    assignment = os.path.basename(path)[:-len("_solution.py")]
    with open(path) as f:
        lost, report = lost_points(f.read(), assignment)
    assert lost == []
    assert report.score == report.max_score == registry.load(assignment).max_score > 0
