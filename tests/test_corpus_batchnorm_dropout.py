"""Test the tester: realistic wrong answers to batchnorm and dropout lose the points of
the tests meant to catch them, with feedback that names the mistake; the correct
student-style solutions lose nothing.

Each entry replaces one function of the correct solution (tests.helpers.with_replacement)
and is graded on that function only. Every test declared for the two assignments is
caught failing by at least one entry (test_every_check_is_exercised).
"""
from dataclasses import dataclass

import pytest

from autograder import registry
from tests.helpers import grade_source, lost_points, solution_source, with_replacement


@dataclass
class Bug:
    id: str
    assignment: str
    function: str
    source: str
    tests: tuple          # names of the tests that must catch it (score 0)
    status: str           # "failed" or "error"
    feedback: str         # substring of the first test's feedback


BN_FORWARD_HEAD = '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
'''

# A correct forward split in parts, so that each bug below changes one line of it.
BN_TRAIN = '''
    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        xhat = (x - mu) / np.sqrt(var + eps)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
'''
BN_TEST = '''
    else:
        mu, var = running_mean, running_var
        xhat = (x - mu) / np.sqrt(var + eps)
'''
BN_TAIL = '''
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    out = gamma * xhat + beta
    cache = (xhat, gamma, x - mu, 1.0 / np.sqrt(var + eps), np.sqrt(var + eps), var, eps)
    return out, cache
'''


def bn_forward(train=BN_TRAIN, test=BN_TEST, tail=BN_TAIL, head=BN_FORWARD_HEAD):
    return head + train + test + tail


BUGS = [
    # ------------------------------------------------------------ batchnorm_forward
    Bug("unbiased_variance", "batchnorm", "batchnorm_forward",
        bn_forward(train=BN_TRAIN.replace("x.var(axis=0)", "x.var(axis=0, ddof=1)")),
        ("batchnorm_forward.biased_variance",), "failed",
        "It matches the UNBIASED variance (divided by N - 1)"),
    Bug("eps_outside_sqrt", "batchnorm", "batchnorm_forward",
        bn_forward(train=BN_TRAIN.replace("np.sqrt(var + eps)", "(np.sqrt(var) + eps)")),
        ("batchnorm_forward.eps_inside_sqrt",), "failed",
        "eps goes INSIDE the square root"),
    Bug("momentum_reversed", "batchnorm", "batchnorm_forward",
        bn_forward(train=BN_TRAIN.replace(
            "momentum * running_mean + (1 - momentum) * mu",
            "(1 - momentum) * running_mean + momentum * mu").replace(
            "momentum * running_var + (1 - momentum) * var",
            "(1 - momentum) * running_var + momentum * var")),
        ("batchnorm_forward.running_averages",), "failed",
        "the running statistic keeps the share `momentum` (0.7) of its old value"),
    Bug("running_stats_not_stored", "batchnorm", "batchnorm_forward",
        bn_forward(tail=BN_TAIL.replace('bn_param["running_mean"] = running_mean', "")
                   .replace('bn_param["running_var"] = running_var', "")),
        ("batchnorm_forward.running_stats_start_at_zero", "batchnorm_forward.running_averages"),
        "failed", "bn_param has no 'running_mean' after a train-mode call"),
    Bug("running_var_starts_at_one", "batchnorm", "batchnorm_forward",
        bn_forward(head=BN_FORWARD_HEAD.replace('bn_param.get("running_var", np.zeros(D))',
                                                'bn_param.get("running_var", np.ones(D))')),
        ("batchnorm_forward.running_stats_start_at_zero",), "failed",
        "It matches a start from ones"),
    Bug("test_mode_uses_batch_stats", "batchnorm", "batchnorm_forward",
        bn_forward(test=BN_TEST.replace("mu, var = running_mean, running_var",
                                        "mu, var = x.mean(axis=0), x.var(axis=0)")),
        ("batchnorm_forward.test_mode_uses_running_stats",), "failed",
        "It matches a normalisation with the BATCH's statistics"),
    Bug("statistics_over_features", "batchnorm", "batchnorm_forward",
        bn_forward(train=BN_TRAIN.replace("x.mean(axis=0)", "x.mean(axis=1, keepdims=True)")
                   .replace("x.var(axis=0)", "x.var(axis=1, keepdims=True)")),
        ("batchnorm_forward.train_statistics",), "failed",
        "mean of out per feature (over the batch, axis 0)"),
    Bug("eps_hard_coded", "batchnorm", "batchnorm_forward",
        bn_forward(head=BN_FORWARD_HEAD.replace('bn_param.get("eps", 1e-5)', "1e-5")),
        ("batchnorm_forward.matches_reference",), "failed", "out (eps 0.00"),
    Bug("x_centred_in_place", "batchnorm", "batchnorm_forward",
        bn_forward(train=BN_TRAIN.replace("xhat = (x - mu) / np.sqrt(var + eps)",
                                          "x -= mu\n        xhat = x / np.sqrt(var + eps)")),
        ("batchnorm_forward.train_statistics",), "failed",
        "batchnorm_forward modified its input x in place"),
    # ------------------------------------------------------------ backward
    Bug("backward_missing_variance_path", "batchnorm", "batchnorm_backward", '''
        def batchnorm_backward(dout, cache):
            xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
            N = dout.shape[0]
            dbeta = dout.sum(axis=0)
            dgamma = (dout * xhat).sum(axis=0)
            dxhat = dout * gamma
            dxmu = dxhat * ivar                   # the path through var is forgotten
            dmu = -dxmu.sum(axis=0)
            dx = dxmu + dmu / N
            return dx, dgamma, dbeta
        ''', ("batchnorm_backward.gradient_check", "batchnorm_backward.generated_shapes"),
        "failed", "batchnorm_backward: dx"),
    Bug("dgamma_not_summed", "batchnorm", "batchnorm_backward_alt", '''
        def batchnorm_backward_alt(dout, cache):
            xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
            N = dout.shape[0]
            dbeta = dout.sum(axis=0)
            dgamma = dout * xhat
            dxhat = dout * gamma
            dx = ivar / N * (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
            return dx, dgamma, dbeta
        ''', ("batchnorm_backward_alt.gradient_check", "batchnorm_backward_alt.generated_shapes"),
        "failed", "batchnorm_backward_alt: dgamma: expected shape"),
    # ------------------------------------------------------------ spatial
    Bug("spatial_statistics_per_pixel", "batchnorm", "spatial_batchnorm_forward", '''
        def spatial_batchnorm_forward(x, gamma, beta, bn_param):
            N, C, H, W = x.shape
            flat = x.reshape(N, C * H * W)            # one column per (channel, pixel)
            out, cache = batchnorm_forward(flat, np.repeat(gamma, H * W),
                                           np.repeat(beta, H * W), bn_param)
            return out.reshape(N, C, H, W), cache
        ''', ("spatial_batchnorm_forward.per_channel_statistics",), "failed",
        "one running statistic per channel"),
    Bug("spatial_reshape_without_transpose", "batchnorm", "spatial_batchnorm_forward", '''
        def spatial_batchnorm_forward(x, gamma, beta, bn_param):
            N, C, H, W = x.shape
            out, cache = batchnorm_forward(x.reshape(-1, C), gamma, beta, bn_param)
            return out.reshape(N, C, H, W), cache
        ''', ("spatial_batchnorm_forward.matches_reference",
              "spatial_batchnorm_forward.per_channel_statistics"), "failed", "out ("),
    Bug("spatial_backward_without_transpose", "batchnorm", "spatial_batchnorm_backward", '''
        def spatial_batchnorm_backward(dout, cache):
            N, C, H, W = dout.shape
            dx, dgamma, dbeta = batchnorm_backward_alt(dout.reshape(-1, C), cache)
            return dx.reshape(N, C, H, W), dgamma, dbeta
        ''', ("spatial_batchnorm_backward.gradient_check",
              "spatial_batchnorm_backward.generated_shapes"), "failed",
        "spatial_batchnorm_backward: dx"),
    # ------------------------------------------------------------ layernorm
    Bug("layernorm_over_batch", "batchnorm", "layernorm_forward", '''
        def layernorm_forward(x, gamma, beta, ln_param):
            eps = ln_param.get("eps", 1e-5)
            mu = x.mean(axis=0)
            var = x.var(axis=0)
            xhat = (x - mu) / np.sqrt(var + eps)
            return gamma * xhat + beta, (xhat, gamma, 1.0 / np.sqrt(var + eps))
        ''', ("layernorm_forward.per_example_statistics",), "failed",
        "mean of (out - beta) / gamma per example"),
    Bug("layernorm_eps_ignored", "batchnorm", "layernorm_forward", '''
        def layernorm_forward(x, gamma, beta, ln_param):
            mu = x.mean(axis=1, keepdims=True)
            var = x.var(axis=1, keepdims=True)
            ivar = 1.0 / np.sqrt(var + 1e-5)
            xhat = (x - mu) * ivar
            return gamma * xhat + beta, (xhat, gamma, ivar[:, 0])
        ''', ("layernorm_forward.matches_reference",), "failed", "out (eps 0.00"),
    Bug("layernorm_backward_batch_axes", "batchnorm", "layernorm_backward", '''
        def layernorm_backward(dout, cache):
            xhat, gamma, ivar = cache
            N = dout.shape[0]
            dbeta = dout.sum(axis=0)
            dgamma = (dout * xhat).sum(axis=0)
            dxhat = dout * gamma
            # batch norm's formula: sums over the batch instead of over the features
            dx = ivar[:, None] / N * (N * dxhat - dxhat.sum(axis=0)
                                      - xhat * (dxhat * xhat).sum(axis=0))
            return dx, dgamma, dbeta
        ''', ("layernorm_backward.gradient_check", "layernorm_backward.generated_shapes"),
        "failed", "layernorm_backward: dx"),
    # ------------------------------------------------------------ dropout
    Bug("keeps_with_probability_p", "dropout", "dropout_forward", '''
        def dropout_forward(x, dropout_param):
            p, mode = dropout_param["p"], dropout_param["mode"]
            if "seed" in dropout_param:
                np.random.seed(dropout_param["seed"])
            mask = None
            if mode == "train":
                mask = (np.random.rand(*x.shape) < p) / p
                out = x * mask
            else:
                out = x
            return out, (dropout_param, mask)
        ''', ("dropout_forward.drop_rate",), "failed",
        "p is the probability of DROPPING a unit"),
    Bug("kept_units_not_scaled", "dropout", "dropout_forward", '''
        def dropout_forward(x, dropout_param):
            p, mode = dropout_param["p"], dropout_param["mode"]
            rng = np.random.default_rng(dropout_param.get("seed"))
            mask = None
            if mode == "train":
                mask = rng.random(x.shape) >= p
                out = x * mask
            else:
                out = x
            return out, (dropout_param, mask)
        ''', ("dropout_forward.kept_units_scaled",), "failed",
        "the kept units equal x, unscaled"),
    Bug("scaled_at_test_time", "dropout", "dropout_forward", '''
        def dropout_forward(x, dropout_param):
            # "vanilla" dropout: drop in train mode, scale by the keep rate at test time
            p, mode = dropout_param["p"], dropout_param["mode"]
            rng = np.random.default_rng(dropout_param.get("seed"))
            mask = None
            if mode == "train":
                mask = rng.random(x.shape) >= p
                out = x * mask
            else:
                out = x * (1 - p)
            return out, (dropout_param, mask)
        ''', ("dropout_forward.test_mode_identity", "dropout_forward.kept_units_scaled"),
        "failed", "out = 0.4 * x: with inverted dropout the scaling happens in train mode only"),
    Bug("seed_ignored", "dropout", "dropout_forward", '''
        def dropout_forward(x, dropout_param):
            p, mode = dropout_param["p"], dropout_param["mode"]
            mask = None
            if mode == "train":
                mask = (np.random.rand(*x.shape) >= p) / (1 - p)
                out = x * mask
            else:
                out = x
            return out, (dropout_param, mask)
        ''', ("dropout_forward.seed_reproducible",), "failed", "dropped different units"),
    Bug("fixed_seed", "dropout", "dropout_forward", '''
        def dropout_forward(x, dropout_param):
            p, mode = dropout_param["p"], dropout_param["mode"]
            rng = np.random.default_rng(231)
            mask = None
            if mode == "train":
                mask = (rng.random(x.shape) >= p) / (1 - p)
                out = x * mask
            else:
                out = x
            return out, (dropout_param, mask)
        ''', ("dropout_forward.seed_reproducible",), "failed", "dropped exactly the same units"),
    Bug("x_scaled_in_place", "dropout", "dropout_forward", '''
        def dropout_forward(x, dropout_param):
            p, mode = dropout_param["p"], dropout_param["mode"]
            rng = np.random.default_rng(dropout_param.get("seed"))
            mask = None
            if mode == "train":
                mask = (rng.random(x.shape) >= p) / (1 - p)
                x *= mask
            return x, (dropout_param, mask)
        ''', ("dropout_forward.kept_units_scaled",), "failed",
        "dropout_forward modified its input x in place"),
    Bug("backward_ignores_mask", "dropout", "dropout_backward", '''
        def dropout_backward(dout, cache):
            dropout_param, mask = cache
            if dropout_param["mode"] == "train":
                return dout / (1 - dropout_param["p"])
            return dout
        ''', ("dropout_backward.uses_forward_mask",), "failed",
        "dx is non-zero for "),
    Bug("forward_drops_everything", "dropout", "dropout_forward", '''
        def dropout_forward(x, dropout_param):
            if dropout_param["mode"] == "train":
                return np.zeros_like(x), (dropout_param, np.zeros_like(x))
            return x.copy(), (dropout_param, None)
        ''', ("dropout_forward.kept_units_scaled",), "failed",
        "out is 0 everywhere: with p = 0.3 each unit is kept with probability 1 - p = 0.7, "
        "so about 294 of these 420 units must be kept"),
    Bug("backward_draws_new_mask", "dropout", "dropout_backward", '''
        def dropout_backward(dout, cache):
            dropout_param, mask = cache
            p = dropout_param["p"]
            if dropout_param["mode"] == "train":
                return dout * (np.random.rand(*dout.shape) >= p) / (1 - p)
            return dout
        ''', ("dropout_backward.uses_forward_mask",), "failed",
        "multiply dout by the mask stored in the cache"),
    Bug("backward_mask_in_test_mode", "dropout", "dropout_backward", '''
        def dropout_backward(dout, cache):
            dropout_param, mask = cache
            return dout * mask
        ''', ("dropout_backward.test_mode_passes_gradient",), "error",
        "dropout_backward raised TypeError"),
    Bug("backward_passes_dout_in_train_mode", "dropout", "dropout_backward", '''
        def dropout_backward(dout, cache):
            return dout
        ''', ("dropout_backward.uses_forward_mask",), "failed",
        "dx = dout, but the forward dropped "),
    Bug("backward_mask_applied_twice", "dropout", "dropout_backward", '''
        def dropout_backward(dout, cache):
            dropout_param, mask = cache
            if dropout_param["mode"] == "train":
                return dout * mask * mask
            return dout
        ''', ("dropout_backward.uses_forward_mask",), "failed",
        "that is the forward's scale applied twice"),
    Bug("backward_scales_again", "dropout", "dropout_backward", '''
        def dropout_backward(dout, cache):
            dropout_param, mask = cache
            if dropout_param["mode"] == "train":
                return dout * mask / (1 - dropout_param["p"])   # the mask is already scaled
            return dout
        ''', ("dropout_backward.uses_forward_mask",), "failed",
        "dx = 1.66667 * dout * mask on the kept units: the forward multiplied each kept unit "
        "by 1.66667 (out / x)"),
    Bug("backward_returns_zeros", "dropout", "dropout_backward", '''
        def dropout_backward(dout, cache):
            return np.zeros_like(dout)
        ''', ("dropout_backward.uses_forward_mask", "dropout_backward.test_mode_passes_gradient"),
        "failed", "dx is non-zero for 0 units the forward dropped and zero for "),
]


@pytest.mark.parametrize("bug", BUGS, ids=[b.id for b in BUGS])
def test_bug_is_caught(bug):
    results, _ = grade_source(with_replacement(bug.assignment, bug.source), bug.assignment,
                              only=(bug.function,))
    for name in bug.tests:
        r = results[name]
        assert r.status == bug.status, "%s: %s %s" % (name, r.status, r.feedback)
        assert r.score == 0
    first = results[bug.tests[0]]
    assert bug.feedback in first.feedback, first.feedback


def test_corpus_is_large_enough():
    assert len(BUGS) >= 12


def test_every_check_is_exercised():
    """Each test of the two assignments fails for at least one bug of the corpus."""
    declared = {t.name for a in ("batchnorm", "dropout") for t in registry.load(a).tests}
    caught = {name for b in BUGS for name in b.tests}
    assert declared - caught == set()
    assert caught - declared == set()


@pytest.mark.parametrize("assignment", ["batchnorm", "dropout"])
@pytest.mark.parametrize("seed", range(10))
def test_solution_full_marks(assignment, seed):
    lost, report = lost_points(solution_source(assignment), assignment, seed=seed)
    assert lost == []
    assert report.score == report.max_score > 0
