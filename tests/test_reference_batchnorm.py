"""reference.batchnorm against F.batch_norm / F.layer_norm and autograd, float64.

Two conventions differ between SPEC and PyTorch's running statistics:
- momentum: SPEC's `running = momentum*running + (1-momentum)*batch` (default 0.9) is
  torch's `running = (1-m)*running + m*batch` with m = 1 - momentum (torch's 0.1).
- running variance: SPEC updates it with the BIASED batch variance (divide by N), the
  same one used to normalise; torch updates it with the UNBIASED one (divide by N-1).
  So running_mean is compared with torch and running_var with a hand computation
  (and torch's value is checked to be that hand computation with ddof=1, to pin the
  difference down). Normalisation itself uses the biased variance in both.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from reference import batchnorm as bn

RTOL = 1e-9


def close(name, got, want, rtol=RTOL):
    """Relative to the largest entry of `want` (gradients of a centred quantity sum to ~0)."""
    if isinstance(want, torch.Tensor):
        want = want.detach().numpy()
    assert np.shape(got) == np.shape(want), f"{name}: shape {np.shape(got)} != {np.shape(want)}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.max(np.abs(want)),
                               err_msg=name)


def t(a, grad=True):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def problem(seed, shape, small_variance=False):
    rng = np.random.default_rng(seed)
    C = shape[1]
    if small_variance:
        x = 1 + 1e-3 * rng.standard_normal(shape)         # var ~ 1e-6, below eps scale
    else:
        x = 3 * rng.standard_normal(shape) + rng.uniform(-5, 5, (1, C) + (1,) * (len(shape) - 2))
    gamma = rng.uniform(0.5, 2.0, C)
    beta = rng.standard_normal(C)
    dout = rng.standard_normal(shape)
    return x, gamma, beta, dout


def torch_bn(x, gamma, beta, dout, running_mean, running_var, training, momentum, eps):
    """Forward and backward with torch; returns out, dx, dgamma, dbeta, rm, rv."""
    xt, gt, bt = t(x), t(gamma), t(beta)
    rm, rv = torch.tensor(running_mean), torch.tensor(running_var)
    out = F.batch_norm(xt, rm, rv, gt, bt, training=training, momentum=1 - momentum, eps=eps)
    out.backward(t(dout, False))
    return out, xt.grad, gt.grad, bt.grad, rm.numpy(), rv.numpy()


BACKWARDS = [bn.batchnorm_backward, bn.batchnorm_backward_alt]


@pytest.mark.parametrize("backward", BACKWARDS, ids=["graph", "alt"])
@pytest.mark.parametrize("N, D, small_variance, momentum, eps", [
    (16, 5, False, 0.9, 1e-5),
    (4, 3, False, 0.5, 1e-3),
    (2, 7, False, 0.9, 1e-5),
    (32, 4, True, 0.9, 1e-5),
    (32, 4, True, 0.8, 1e-8),
])
def test_batchnorm_train_vs_torch(backward, N, D, small_variance, momentum, eps):
    x, gamma, beta, dout = problem(20, (N, D), small_variance)
    rng = np.random.default_rng(21)
    rm0, rv0 = rng.standard_normal(D), rng.uniform(0.5, 2, D)
    saved = [a.copy() for a in (x, gamma, beta, dout, rm0, rv0)]
    bn_param = {"mode": "train", "momentum": momentum, "eps": eps,
                "running_mean": rm0, "running_var": rv0}

    out, cache = bn.batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = backward(dout, cache)
    out_t, dx_t, dgamma_t, dbeta_t, rm_t, rv_t = torch_bn(
        x, gamma, beta, dout, rm0, rv0, True, momentum, eps)

    close("out", out, out_t)
    close("dx", dx, dx_t)
    close("dgamma", dgamma, dgamma_t)
    close("dbeta", dbeta, dbeta_t)
    close("running_mean", bn_param["running_mean"], rm_t)
    # SPEC: biased batch variance in the running average; torch: unbiased (see top).
    close("running_var", bn_param["running_var"], momentum * rv0 + (1 - momentum) * x.var(0))
    close("torch running_var", rv_t, momentum * rv0 + (1 - momentum) * x.var(0, ddof=1))
    for a, a0 in zip((x, gamma, beta, dout, rm0, rv0), saved):
        np.testing.assert_array_equal(a, a0)


@pytest.mark.parametrize("small_variance", [False, True])
def test_both_backwards_agree(small_variance):
    x, gamma, beta, dout = problem(22, (50, 6), small_variance)
    _, cache = bn.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    for a, b, name in zip(bn.batchnorm_backward(dout, cache),
                          bn.batchnorm_backward_alt(dout, cache), ("dx", "dgamma", "dbeta")):
        close(name, a, b, rtol=1e-10)


def test_defaults_and_running_stats_stored():
    x, gamma, beta, dout = problem(23, (10, 4))
    bn_param = {"mode": "train"}
    out, _ = bn.batchnorm_forward(x, gamma, beta, bn_param)
    out_t, *_, rm_t, _ = torch_bn(x, gamma, beta, dout, np.zeros(4), np.zeros(4),
                                  True, 0.9, 1e-5)
    close("out", out, out_t)
    close("running_mean", bn_param["running_mean"], 0.1 * x.mean(0))
    close("running_mean vs torch", bn_param["running_mean"], rm_t)
    close("running_var", bn_param["running_var"], 0.1 * x.var(0))
    assert bn_param["running_mean"].shape == bn_param["running_var"].shape == (4,)


def test_running_stats_over_several_batches():
    rng = np.random.default_rng(24)
    gamma, beta = np.ones(3), np.zeros(3)
    bn_param = {"mode": "train", "momentum": 0.7}
    rm_t, rv_t = torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    rv_hand = np.zeros(3)
    for _ in range(5):
        x = rng.standard_normal((8, 3)) * 2 + 1
        bn.batchnorm_forward(x, gamma, beta, bn_param)
        F.batch_norm(t(x, False), rm_t, rv_t, training=True, momentum=0.3)
        rv_hand = 0.7 * rv_hand + 0.3 * x.var(0)
    close("running_mean", bn_param["running_mean"], rm_t)
    close("running_var", bn_param["running_var"], rv_hand)


@pytest.mark.parametrize("backward", BACKWARDS, ids=["graph", "alt"])
def test_batchnorm_test_mode_uses_running_stats(backward):
    x, gamma, beta, dout = problem(25, (6, 5))
    rng = np.random.default_rng(26)
    rm, rv = rng.standard_normal(5), rng.uniform(0.5, 2, 5)
    bn_param = {"mode": "test", "running_mean": rm.copy(), "running_var": rv.copy()}
    out, cache = bn.batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = backward(dout, cache)
    out_t, dx_t, dgamma_t, dbeta_t, _, _ = torch_bn(x, gamma, beta, dout, rm, rv,
                                                    False, 0.9, 1e-5)
    close("out", out, out_t)
    close("out by hand", out, gamma * (x - rm) / np.sqrt(rv + 1e-5) + beta)
    close("dx", dx, dx_t)
    close("dgamma", dgamma, dgamma_t)
    close("dbeta", dbeta, dbeta_t)
    np.testing.assert_array_equal(bn_param["running_mean"], rm)    # unchanged in test mode
    np.testing.assert_array_equal(bn_param["running_var"], rv)


def test_bad_mode_raises():
    with pytest.raises(ValueError, match="mode"):
        bn.batchnorm_forward(np.ones((2, 2)), np.ones(2), np.zeros(2), {"mode": "eval"})


@pytest.mark.parametrize("shape, small_variance", [((4, 3, 5, 6), False), ((2, 5, 3, 3), True),
                                                   ((1, 2, 4, 4), False)])
def test_spatial_batchnorm_vs_torch(shape, small_variance):
    x, gamma, beta, dout = problem(27, shape, small_variance)
    C = shape[1]
    x0 = x.copy()
    bn_param = {"mode": "train", "momentum": 0.8}
    out, cache = bn.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = bn.spatial_batchnorm_backward(dout, cache)
    out_t, dx_t, dgamma_t, dbeta_t, rm_t, _ = torch_bn(x, gamma, beta, dout, np.zeros(C),
                                                       np.zeros(C), True, 0.8, 1e-5)
    close("out", out, out_t)
    close("dx", dx, dx_t)
    close("dgamma", dgamma, dgamma_t)
    close("dbeta", dbeta, dbeta_t)
    close("running_mean", bn_param["running_mean"], rm_t)
    close("running_var", bn_param["running_var"], 0.2 * x.var(axis=(0, 2, 3)))
    np.testing.assert_array_equal(x, x0)

    # test mode: the running statistics, per channel
    test_param = {**bn_param, "mode": "test"}
    out, _ = bn.spatial_batchnorm_forward(x, gamma, beta, test_param)
    out_t, *_ = torch_bn(x, gamma, beta, dout, bn_param["running_mean"],
                         bn_param["running_var"], False, 0.8, 1e-5)
    close("test-mode out", out, out_t)


@pytest.mark.parametrize("N, D, small_variance, eps", [
    (5, 8, False, 1e-5), (3, 2, False, 1e-3), (4, 16, True, 1e-5), (1, 6, False, 1e-5)])
def test_layernorm_vs_torch(N, D, small_variance, eps):
    rng = np.random.default_rng(28)
    x = (1 + 1e-3 * rng.standard_normal((N, D)) if small_variance
         else 2 * rng.standard_normal((N, D)) + rng.uniform(-3, 3, (N, 1)))
    gamma, beta = rng.uniform(0.5, 2, D), rng.standard_normal(D)
    dout = rng.standard_normal((N, D))
    saved = [a.copy() for a in (x, gamma, beta, dout)]
    ln_param = {"eps": eps} if eps != 1e-5 else {}
    out, cache = bn.layernorm_forward(x, gamma, beta, ln_param)
    dx, dgamma, dbeta = bn.layernorm_backward(dout, cache)
    xt, gt, bt = t(x), t(gamma), t(beta)
    out_t = F.layer_norm(xt, (D,), gt, bt, eps=eps)
    out_t.backward(t(dout, False))
    close("out", out, out_t)
    close("dx", dx, xt.grad)
    close("dgamma", dgamma, gt.grad)
    close("dbeta", dbeta, bt.grad)
    for a, a0 in zip((x, gamma, beta, dout), saved):
        np.testing.assert_array_equal(a, a0)
