"""No points for nothing (issue 7, SPEC "What is graded is behaviour, not
representation"): a function that returns None, a constant, the wrong type, raises,
exits, segfaults, recurses forever or hangs scores 0 in every assignment, whatever its
structure (no loops, right shape) and however self-consistent (a constant loss with a
zero gradient passes a gradient check on its own).

For each assignment and each kind of nothing, ONE submission is graded: the correct
solution with several functions (``TARGETS``) redefined as that kind.  Every target
must score 0 in total; every other function must keep full marks, except the
functions the SPEC lets a target's failure reach "by nature" (from
``tests/test_bug_stays_in_its_function.py``: ``ALLOWED_DEPENDENTS``, a function the
student builds from their own earlier ones; ``CACHE_DEPENDENTS``, the backward of a
target forward, whose cache is unusable here).
"""
import textwrap

import pytest

from autograder import registry
from tests.helpers import grade_source, solution_source
from tests.test_bug_stays_in_its_function import ALLOWED_DEPENDENTS, CACHE_DEPENDENTS

ASSIGNMENTS = registry.ASSIGNMENT_MODULES

# assignment -> {function: (parameters, a constant of the right type and shape)}.
# The constants are the "smart" ones where a property test exists: a loss of log C or
# C - 1 (the loss at zero weights), zeros for a gradient (a zero upstream gradient gives
# zeros), x itself for test-mode dropout.
TARGETS = {
    "knn": {
        "compute_distances_two_loops": (
            "X_test, X_train", "np.zeros((X_test.shape[0], X_train.shape[0]))"),
        "compute_distances_no_loops": (
            "X_test, X_train", "np.zeros((X_test.shape[0], X_train.shape[0]))"),
        "predict_labels": (
            "dists, y_train, k=1", "np.zeros(dists.shape[0], dtype=np.int64)"),
        "cross_validate_k": (
            "X, y, k_choices, num_folds=5", "{k: [0.5] * num_folds for k in k_choices}"),
    },
    "linear_classifiers": {
        "svm_loss_vectorized": ("W, X, y, reg", "(0.0, np.zeros_like(W))"),
        "softmax_loss_naive": ("W, X, y, reg", "(0.0, np.zeros_like(W))"),
        "softmax_loss_vectorized": (
            "W, X, y, reg", "(float(np.log(W.shape[1])), np.zeros_like(W))"),
        "train_linear_classifier": (
            "loss_fn, W, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, "
            "batch_size=200, seed=0", "(W.copy(), [0.0] * num_iters)"),
        "predict_linear_classifier": ("W, X", "np.zeros(X.shape[0], dtype=np.int64)"),
    },
    "backprop": {
        "add_backward": ("dout, cache", "(np.zeros_like(dout), np.zeros_like(dout))"),
        "multiply_backward": ("dout, cache", "(np.zeros_like(dout), np.zeros_like(dout))"),
        "max_backward": ("dout, cache", "(np.zeros_like(dout), np.zeros_like(dout))"),
        "sigmoid_backward": ("dout, cache", "np.zeros_like(dout)"),
        "relu_backward": ("dout, cache", "np.zeros_like(dout)"),
        "affine_backward": (
            "dout, cache",
            "(np.zeros_like(cache[0]), np.zeros_like(cache[1]), np.zeros_like(cache[2]))"),
        "softmax_loss": ("x, y", "(float(np.log(x.shape[1])), np.zeros_like(x))"),
        "svm_loss": ("x, y", "(x.shape[1] - 1.0, np.zeros_like(x))"),
        "he_init": ("fan_in, fan_out, rng", "np.zeros((fan_in, fan_out))"),
        "TwoLayerNet": None,                 # a class: see CLASS_KINDS
    },
    "optimizers": {
        "sgd": ("w, dw, config=None", "(w.copy(), config if config is not None else {})"),
        "sgd_momentum": (
            "w, dw, config=None",
            "(w.copy(), dict(config or {}, velocity=np.zeros_like(w)))"),
        "rmsprop": ("w, dw, config=None",
                    "(w.copy(), dict(config or {}, cache=np.zeros_like(w)))"),
        "adam": ("w, dw, config=None",
                 "(w.copy(), dict(config or {}, m=np.zeros_like(w), v=np.zeros_like(w), "
                 "t=1))"),
    },
    "batchnorm": {
        "batchnorm_backward": (
            "dout, cache",
            "(np.zeros_like(dout), np.zeros(dout.shape[1]), np.zeros(dout.shape[1]))"),
        "batchnorm_backward_alt": (
            "dout, cache",
            "(np.zeros_like(dout), np.zeros(dout.shape[1]), np.zeros(dout.shape[1]))"),
        "spatial_batchnorm_forward": ("x, gamma, beta, bn_param", "(np.zeros_like(x), None)"),
        "layernorm_forward": ("x, gamma, beta, ln_param", "(np.zeros_like(x), None)"),
        "layernorm_backward": (
            "dout, cache",
            "(np.zeros_like(dout), np.zeros(dout.shape[1]), np.zeros(dout.shape[1]))"),
    },
    "conv": {
        "conv_forward_naive": (
            "x, w, b, conv_param",
            "(np.zeros((x.shape[0], w.shape[0], 1 + (x.shape[2] + 2 * conv_param['pad'] - "
            "w.shape[2]) // conv_param['stride'], 1 + (x.shape[3] + 2 * conv_param['pad'] - "
            "w.shape[3]) // conv_param['stride'])), (x, w, b, conv_param))"),
        "max_pool_forward_fast": (
            "x, pool_param",
            "(np.zeros((x.shape[0], x.shape[1], 1 + (x.shape[2] - pool_param['pool_height']) "
            "// pool_param['stride'], 1 + (x.shape[3] - pool_param['pool_width']) // "
            "pool_param['stride'])), (x.shape, pool_param, None))"),
        "max_pool_backward_naive": ("dout, cache", "np.zeros_like(cache[0])"),
    },
    "cnn_training": {
        "pick_device": ("", "'cpu'"),
        "train_one_epoch": ("model, loader, optimizer, device", "0.0"),
        "random_crop": ("x, padding, generator", "x.clone()"),
    },
    "perceptron": {
        "XOR": ("x1, x2", "0"),
        "softmax": ("a", "np.ones_like(a) / np.shape(a)[-1]"),
        "cross_entropy_error": ("y, t", "0.0"),
        "numerical_gradient": ("f, x", "np.zeros_like(x)"),
    },
    "detection": {
        "box_corner_to_center": ("boxes", "np.zeros_like(boxes)"),
        "box_iou": ("boxes1, boxes2", "np.zeros((len(boxes1), len(boxes2)))"),
        "multibox_prior": (
            "height, width, sizes, ratios",
            "np.zeros((height * width * (len(sizes) + len(ratios) - 1), 4))"),
        "nms": ("boxes, scores, iou_threshold", "np.zeros(0, dtype=np.int64)"),
    },
    "dropout": {     # the assignment has only two functions
        "dropout_forward": ("x, dropout_param", "(np.zeros_like(x), None)"),
        "dropout_backward": ("dout, cache", "np.zeros_like(dout)"),
    },
}

# Targets graded together unless listed here: a zero dropout_backward is RIGHT for a
# dropout_forward that drops everything, so the two are graded apart.
TARGET_GROUPS = {"dropout": [["dropout_forward"], ["dropout_backward"]]}

# The body of a function of each kind ({call} calls the function itself again).
KINDS = {
    "returns_none": "return None",
    "wrong_type": "return 'TODO: not implemented yet'",
    "raises": "raise ValueError('I gave up here')",
    "exits": "import sys\nsys.exit(1)",
    "segfault": "import ctypes\nctypes.string_at(0)\nreturn None",
    "infinite_recursion": "return {call}",
    "hang": "while True:\n    pass",
}

# TwoLayerNet is a class: each kind is the whole class doing nothing.
CLASS_KINDS = {
    "returns_none": ("pass", "return None"),
    "constant": ("self.params = {'W1': np.zeros((input_dim, hidden_dim)), "
                 "'b1': np.zeros(hidden_dim), 'W2': np.zeros((hidden_dim, num_classes)), "
                 "'b2': np.zeros(num_classes)}",
                 "if y is None:\n    return np.zeros((X.shape[0], "
                 "self.params['W2'].shape[1]))\n"
                 "return float(np.log(self.params['W2'].shape[1])), "
                 "{k: np.zeros_like(v) for k, v in self.params.items()}"),
    "wrong_type": ("self.params = 'TODO'", "return 'TODO'"),
    "raises": ("raise ValueError('I gave up here')", "raise ValueError('I gave up here')"),
    "exits": ("import sys\nsys.exit(1)", "import sys\nsys.exit(1)"),
    "segfault": ("import ctypes\nctypes.string_at(0)", "import ctypes\nctypes.string_at(0)"),
    "infinite_recursion": ("self.__init__(input_dim, hidden_dim, num_classes)",
                           "return self.loss(X, y)"),
}

KIND_NAMES = ("returns_none", "constant", "wrong_type", "raises", "exits", "segfault",
              "infinite_recursion")

# The hang kind costs the time limit for every test of the function: two functions,
# each graded with a correct neighbour, at a 1 s limit.
HANGS = [("knn", "compute_distances_no_loops", "compute_distances_one_loop"),
         ("linear_classifiers", "svm_loss_vectorized", "svm_loss_naive")]


def _indent(body, spaces=4):
    return textwrap.indent(body, " " * spaces)


def _call_args(params):
    return ", ".join(p.split("=")[0].strip() for p in params.split(","))


def function_of_kind(name, params, constant, kind):
    if kind == "constant":
        body = "return %s" % constant
    else:
        body = KINDS[kind].format(call="%s(%s)" % (name, _call_args(params)))
    return "def %s(%s):\n%s\n" % (name, params, _indent(body))


def class_of_kind(kind):
    init, loss = CLASS_KINDS[kind]
    return ("class TwoLayerNet:\n"
            "    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, "
            "reg=0.0):\n%s\n"
            "    def loss(self, X, y=None):\n%s\n" % (_indent(init, 8), _indent(loss, 8)))


def submission(assignment, kind, targets):
    parts = [solution_source(assignment), "\n\n# ---- the functions that do nothing\n"]
    for name in targets:
        spec = TARGETS[assignment][name]
        parts.append(class_of_kind(kind) if spec is None
                     else function_of_kind(name, spec[0], spec[1], kind))
    return "\n\n".join(parts)


def per_function(results):
    """function -> (score, max_score, tests that scored, tests that lost points)."""
    scores = {}
    for r in results.values():
        got, most, earned, lost = scores.get(r.function, (0.0, 0.0, [], []))
        line = "%s: %g/%g %s %s" % (r.name, r.score, r.max_score, r.status, r.feedback[:300])
        scores[r.function] = (got + r.score, most + r.max_score,
                              earned + ([line] if r.score else []),
                              lost + ([line] if r.score != r.max_score else []))
    return scores


def may_move(assignment, targets):
    """Functions allowed to lose points because a target is broken (SPEC, by nature):
    the ones built from a target, and the backward of a target forward (whose cache
    is unusable here)."""
    allowed = set(targets)
    for table in (ALLOWED_DEPENDENTS, CACHE_DEPENDENTS):
        for target in targets:
            allowed |= set(table.get(assignment, {}).get(target, ()))
    return allowed


def check_scores(assignment, kind, targets, results, graded=None):
    scores = per_function(results)
    problems = []
    for name in targets:
        got, most, earned, _ = scores[name]
        if got != 0:
            problems.append("%s (%s) scored %g/%g instead of 0; the tests that gave points:"
                            "\n      %s" % (name, kind, got, most, "\n      ".join(earned)))
    allowed = may_move(assignment, targets)
    for name in graded or registry.load(assignment).functions:
        if name in allowed:
            continue
        got, most, _, lost = scores[name]
        if got != most:
            problems.append("%s is correct but scored %g/%g while %s %s redefined as %s:"
                            "\n      %s" % (name, got, most, ", ".join(targets),
                                            "was" if len(targets) == 1 else "were", kind,
                                            "\n      ".join(lost)))
    assert not problems, "%s, kind %s:\n  %s" % (assignment, kind, "\n  ".join(problems))


GROUPS = [(a, tuple(group)) for a in ASSIGNMENTS for group in
          TARGET_GROUPS.get(a, [list(TARGETS[a])])]


@pytest.mark.parametrize("kind", KIND_NAMES)
@pytest.mark.parametrize("assignment,targets", GROUPS,
                         ids=["%s-%s" % (a, "+".join(g) if len(g) < 3 else "all")
                              for a, g in GROUPS])
def test_nothing_scores_zero(assignment, targets, kind):
    targets = list(targets)
    results, _ = grade_source(submission(assignment, kind, targets), assignment)
    check_scores(assignment, kind, targets, results)


@pytest.mark.parametrize("assignment,target,neighbour", HANGS)
def test_hang_scores_zero(assignment, target, neighbour):
    results, _ = grade_source(submission(assignment, "hang", [target]), assignment,
                              only=(target, neighbour), timeout=1.0)
    assert {r.status for r in results.values() if r.function == target} <= \
        {"timeout", "failed"}, [(r.name, r.status) for r in results.values()]
    assert any(r.status == "timeout" for r in results.values() if r.function == target)
    check_scores(assignment, "hang", [target], results, graded=(target, neighbour))


def test_every_assignment_has_three_targets_or_all_functions():
    for assignment in ASSIGNMENTS:
        functions = registry.load(assignment).functions
        assert set(TARGETS[assignment]) <= set(functions), assignment
        assert len(TARGETS[assignment]) >= min(3, len(functions)), assignment


def test_zero_dropout_backward_scores_nothing_beside_a_broken_forward():
    """A dropout_backward returning zeros is "consistent" with a forward that drops
    every unit, but it applies no mask: it scores 0 (the dropped share is checked)."""
    source = (solution_source("dropout") + "\n\n"
              + function_of_kind("dropout_forward", "x, dropout_param",
                                 "(np.zeros_like(x), None)", "constant") + "\n"
              + function_of_kind("dropout_backward", "dout, cache", "np.zeros_like(dout)",
                                 "constant"))
    results, _ = grade_source(source, "dropout", only=("dropout_backward",))
    scores = per_function(results)
    assert scores["dropout_backward"][0] == 0, scores["dropout_backward"]
    assert "is 0 for 100.0% of the units, expected the forward's dropped share p = 40%" in (
        results["dropout_backward.uses_forward_mask"].feedback)
