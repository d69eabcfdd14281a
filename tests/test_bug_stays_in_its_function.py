"""A bug costs points only under the function that has it (issue 7; SPEC "What is graded
is behaviour, not representation": "A bug costs points only under the function that has
it").

For every assignment and every catalog function F in turn, the correct solution gets a
planted bug in F: F is wrapped so that its result is off by a little (``PERTURB``): a
float output + 0.1, integer labels + 1, dict values + 0.1, an initialiser's weights
times 3, a class's loss and scores + 0.1.  A forward's cache, an optimizer's config and
a backward's other gradients are left as they are: only the FIRST item of a tuple
result is perturbed.  The submission is graded in full, and:

* F's score must drop;
* every other function must keep full marks, except the ones in
  ``ALLOWED_DEPENDENTS[assignment][F]``.

A forward's perturbed ``out`` keeps its cache intact, so its backward must NOT move
(SPEC: a forward whose *cache* is unusable costs its backward too; "a forward's other
faults, such as changing its input, cost only the forward").  The additive + 0.1
leaves the derivative of the forward unchanged, so a gradient check of the backward
against the student's own forward still agrees.
"""
import textwrap

import pytest

from autograder import registry
from tests.helpers import grade_source, solution_source

ASSIGNMENTS = registry.ASSIGNMENT_MODULES

# The only cross-function dependencies the SPEC allows, "by nature" (SPEC.md, catalog
# intro, "A bug costs points only under the function that has it ... Two exceptions, by
# nature: ... a function the student builds from their own earlier functions (spatial
# batch norm on their batchnorm, cross_validate_k on their predict_labels, TwoLayerNet
# on their layers) shows their bugs").  F -> the functions that may lose points when F
# has a bug, because the solution in tests/submissions/ builds them from F:
ALLOWED_DEPENDENTS = {
    "knn": {
        # cross_validate_k calls compute_distances_no_loops and predict_labels
        "compute_distances_no_loops": ("cross_validate_k",),
        "predict_labels": ("cross_validate_k",),
    },
    "linear_classifiers": {},      # train_linear_classifier is graded with the judge's loss
    "backprop": {
        # TwoLayerNet.loss calls affine_forward, relu_forward, softmax_loss,
        # affine_backward and relu_backward
        "affine_forward": ("TwoLayerNet",),
        "relu_forward": ("TwoLayerNet",),
        "affine_backward": ("TwoLayerNet",),
        "relu_backward": ("TwoLayerNet",),
        "softmax_loss": ("TwoLayerNet",),
    },
    "optimizers": {},
    "batchnorm": {
        # spatial_batchnorm_forward calls batchnorm_forward (whose cache
        # spatial_batchnorm_backward receives); spatial_batchnorm_backward calls
        # batchnorm_backward_alt
        "batchnorm_forward": ("spatial_batchnorm_forward", "spatial_batchnorm_backward"),
        "batchnorm_backward_alt": ("spatial_batchnorm_backward",),
    },
    "dropout": {},
    "conv": {
        # ThreeLayerConvNet.loss calls the fast conv and pooling layers
        "conv_forward_im2col": ("ThreeLayerConvNet",),
        "conv_backward_im2col": ("ThreeLayerConvNet",),
        "max_pool_forward_fast": ("ThreeLayerConvNet",),
        "max_pool_backward_fast": ("ThreeLayerConvNet",),
    },
    "cnn_training": {},     # the end-to-end runs pair each function with the judge's own
    "perceptron": {
        # XOR is built from the gates, gradient_descent steps along numerical_gradient
        "AND": ("XOR",),
        "NAND": ("XOR",),
        "OR": ("XOR",),
        "numerical_gradient": ("gradient_descent",),
    },
    "detection": {
        # the anchor assignment and NMS measure overlaps with box_iou
        "box_iou": ("assign_anchor_to_bbox", "nms"),
    },
}

# Functions graded on their own source too (XOR must be built from the gates): a
# wrapper hides that source, so the control below leaves them as they are.
SOURCE_CHECKED = {"perceptron": ("XOR",)}

# The other exception (SPEC: "a backward is fed its own forward's cache, so a forward
# whose cache is unusable costs its backward too"): used by the tests whose forward
# returns no usable cache (tests/test_no_points_for_nothing.py).  Not used here: the
# perturbation below keeps every cache intact.
CACHE_DEPENDENTS = {
    "backprop": {"%s_forward" % op: ("%s_backward" % op,)
                 for op in ("add", "multiply", "max", "affine", "sigmoid", "relu", "tanh",
                            "leaky_relu", "elu")},
    "batchnorm": {
        "batchnorm_forward": ("batchnorm_backward", "batchnorm_backward_alt"),
        "spatial_batchnorm_forward": ("spatial_batchnorm_backward",),
        "layernorm_forward": ("layernorm_backward",),
    },
    "dropout": {"dropout_forward": ("dropout_backward",)},
    "conv": {"conv_forward_%s" % kind: ("conv_backward_%s" % kind,)
             for kind in ("naive", "im2col")} | {
        "max_pool_forward_%s" % kind: ("max_pool_backward_%s" % kind,)
        for kind in ("naive", "fast")},
}

PERTURB = '''
import numpy as _np


def _planted_bug(value):
    """value, off by a little: floats + 0.1, integer labels + 1; with PyTorch (only if
    the submission imported it): tensors + 0.1, the other device, a model that drops its
    last logit."""
    import sys as _sys
    _torch = _sys.modules.get("torch")
    if _torch is not None:
        if isinstance(value, _torch.Tensor):
            return value + 0.1
        if isinstance(value, _torch.device):
            return _torch.device("cuda" if value.type == "cpu" else "cpu")
        if isinstance(value, _torch.nn.Module):
            value.register_forward_hook(lambda module, inputs, out: out[:, :-1])
            return value
    if isinstance(value, (bool, _np.bool_)):
        return value
    if isinstance(value, _np.ndarray):
        return value + (1 if value.dtype.kind in "iu" else 0.1)
    if isinstance(value, (int, _np.integer)):
        return value + 1
    if isinstance(value, (float, _np.floating)):
        return value + 0.1
    if isinstance(value, dict):
        return {k: _planted_bug(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_planted_bug(v) for v in value]
    return value


def _planted_bug_first(result):
    """A tuple result (out, cache), (loss, grad), (next_w, config), (dx, dy, ...):
    only its first item is off."""
    if isinstance(result, tuple) and result:
        return (_planted_bug(result[0]),) + result[1:]
    return _planted_bug(result)
'''


def _is_class(name):
    """The catalog's classes are CamelCase (TwoLayerNet, Residual); AND, XOR are gates."""
    return name[0].isupper() and not name.isupper()


def planted_bug(name):
    """Source that redefines ``name`` (a function or class of the solution) with a bug."""
    if _is_class(name):        # a class: its loss (and scores) off, or its forward
        return textwrap.dedent('''
            _Correct{0} = {0}


            class {0}(_Correct{0}):
                if hasattr(_Correct{0}, "loss"):
                    def loss(self, X, y=None):
                        result = _Correct{0}.loss(self, X, y)
                        if y is None:
                            return result + 0.1
                        loss, grads = result
                        return loss + 0.1, grads
                else:
                    def forward(self, *args, **kwargs):
                        return _Correct{0}.forward(self, *args, **kwargs) + 0.1
            ''').format(name)
    if name.endswith("_init"):                     # an initialiser: weights 3x too large
        return textwrap.dedent('''
            _correct_{0} = {0}


            def {0}(*args, **kwargs):
                return 3.0 * _correct_{0}(*args, **kwargs)
            ''').format(name)
    return textwrap.dedent('''
        _correct_{0} = {0}


        def {0}(*args, **kwargs):
            return _planted_bug_first(_correct_{0}(*args, **kwargs))
        ''').format(name)


def identity_wrapper(name):
    """The same redefinition without the bug (checks that wrapping costs nothing)."""
    if _is_class(name):
        return "\n_Correct{0} = {0}\n\nclass {0}(_Correct{0}):\n    pass\n".format(name)
    return textwrap.dedent('''
        _correct_{0} = {0}


        def {0}(*args, **kwargs):
            return _correct_{0}(*args, **kwargs)
        ''').format(name)


def scores_by_function(results):
    """function -> (score, max_score, [lines naming the tests that lost points])."""
    out = {}
    for r in results.values():
        score, most, lost = out.get(r.function, (0.0, 0.0, []))
        if r.score != r.max_score:
            lost = lost + ["%s (%g/%g, %s): %s" % (r.name, r.score, r.max_score, r.status,
                                                   r.feedback[:400])]
        out[r.function] = (score + r.score, most + r.max_score, lost)
    return out


CASES = [(a, f) for a in ASSIGNMENTS for f in registry.load(a).functions]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_wrapping_without_a_bug_costs_nothing(assignment):
    """Control: every function wrapped the same way, without the bug, keeps full marks
    (so that what moves below is the bug, not the wrapper)."""
    names = [n for n in registry.load(assignment).functions
             if n not in SOURCE_CHECKED.get(assignment, ())]
    source = solution_source(assignment) + PERTURB + "\n".join(identity_wrapper(n)
                                                                for n in names)
    results, _ = grade_source(source, assignment)
    lost = ["%s: %s" % (name, "; ".join(lines))
            for name, (_, _, lines) in scores_by_function(results).items() if lines]
    assert not lost, "%s with identity wrappers lost points:\n  %s" % (
        assignment, "\n  ".join(lost))


@pytest.mark.parametrize("assignment,function", CASES, ids=["%s-%s" % c for c in CASES])
def test_bug_moves_only_its_function(assignment, function):
    source = solution_source(assignment) + PERTURB + planted_bug(function)
    results, _ = grade_source(source, assignment)
    scores = scores_by_function(results)
    problems = []
    score, most, _ = scores[function]
    if score >= most:
        problems.append("the planted bug in %s was not caught: %s still scored %g/%g"
                        % (function, function, score, most))
    allowed = set(ALLOWED_DEPENDENTS[assignment].get(function, ()))
    for other, (score, most, lost) in sorted(scores.items()):
        if other == function or other in allowed:
            continue
        if score != most:
            problems.append("%s is correct but lost points (%g/%g) for the bug planted in "
                            "%s:\n      %s" % (other, score, most, function,
                                               "\n      ".join(lost)))
    assert not problems, "%s, bug planted in %s:\n  %s" % (assignment, function,
                                                           "\n  ".join(problems))


def test_allowed_dependents_name_catalog_functions():
    for table in (ALLOWED_DEPENDENTS, CACHE_DEPENDENTS):
        for assignment, deps in table.items():
            functions = registry.load(assignment).functions
            for f, others in deps.items():
                assert f in functions, (assignment, f)
                assert set(others) <= set(functions), (assignment, f, others)
