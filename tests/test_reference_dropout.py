"""reference.dropout: properties of inverted dropout, and PyTorch's convention for p.

Masks come from different generators, so torch is compared by property, not value:
both drop with probability p and scale kept units by 1 / (1 - p).
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from reference import dropout as do

PROPERTY = settings(max_examples=60, derandomize=True, database=None, deadline=None)


def kept_or_dropped(out, x, p):
    """Every entry is 0 (dropped) or x / (1 - p) (kept)."""
    kept = np.isclose(out, x / (1 - p), rtol=1e-15, atol=0)
    return np.all(kept | (out == 0))


@PROPERTY
@given(x=arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)),
                elements=st.floats(-1e6, 1e6)),
       p=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 0.99]), seed=st.integers(0, 2**32 - 1))
def test_every_output_is_zero_or_scaled_input(x, p, seed):
    x0 = x.copy()
    out, cache = do.dropout_forward(x, {"p": p, "mode": "train", "seed": seed})
    assert out.shape == x.shape and out.dtype == np.float64
    assert kept_or_dropped(out, x, p)
    np.testing.assert_array_equal(x, x0)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_dropped_share_close_to_p(p):
    n = 1_000_000
    x = np.random.default_rng(30).uniform(1, 2, n)          # nonzero: 0 in out means dropped
    out, _ = do.dropout_forward(x, {"p": p, "mode": "train", "seed": 31})
    share = np.mean(out == 0)
    bound = 6 * np.sqrt(p * (1 - p) / n)                     # six standard deviations
    assert abs(share - p) < bound, f"dropped share {share} for p={p}"
    # inverted dropout keeps the expectation: mean(out) ~ mean(x)
    assert abs(out.mean() / x.mean() - 1) < 6 * np.sqrt(p / ((1 - p) * n)) * 2


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_same_convention_as_torch(p):
    x = np.random.default_rng(32).uniform(1, 2, 200_000)
    torch.manual_seed(33)
    out_t = F.dropout(torch.tensor(x), p=p, training=True).numpy()
    out, _ = do.dropout_forward(x, {"p": p, "mode": "train", "seed": 33})
    for got in (out, out_t):
        assert kept_or_dropped(got, x, p)
    assert abs(np.mean(out == 0) - np.mean(out_t == 0)) < 12 * np.sqrt(p * (1 - p) / x.size)
    np.testing.assert_array_equal(do.dropout_forward(x, {"p": p, "mode": "test"})[0],
                                  F.dropout(torch.tensor(x), p=p, training=False).numpy())


@pytest.mark.parametrize("p", [0.0, 0.5, 0.9])
def test_test_mode_is_identity(p):
    x = np.random.default_rng(34).standard_normal((5, 4))
    out, cache = do.dropout_forward(x, {"p": p, "mode": "test", "seed": 1})
    np.testing.assert_array_equal(out, x)
    assert out is not x
    dout = np.random.default_rng(35).standard_normal((5, 4))
    np.testing.assert_array_equal(do.dropout_backward(dout, cache), dout)


def test_p_zero_is_identity_in_train_mode():
    x = np.random.default_rng(36).standard_normal((7, 3))
    out, cache = do.dropout_forward(x, {"p": 0.0, "mode": "train"})
    np.testing.assert_array_equal(out, x)
    dout = np.random.default_rng(37).standard_normal((7, 3))
    np.testing.assert_array_equal(do.dropout_backward(dout, cache), dout)


def test_same_seed_same_mask_and_no_seed_varies():
    x = np.random.default_rng(38).uniform(1, 2, (20, 30))
    param = {"p": 0.5, "mode": "train", "seed": 123}
    a, _ = do.dropout_forward(x, param)
    b, _ = do.dropout_forward(x, dict(param))
    np.testing.assert_array_equal(a, b)
    c, _ = do.dropout_forward(x, {**param, "seed": 124})
    assert np.any((a == 0) != (c == 0))
    d, _ = do.dropout_forward(x, {"p": 0.5, "mode": "train"})
    e, _ = do.dropout_forward(x, {"p": 0.5, "mode": "train"})
    assert np.any((d == 0) != (e == 0))                    # 600 units: P(equal) = 2**-600
    # the documented mask: rng.random(x.shape) >= p with default_rng(seed)
    keep = np.random.default_rng(123).random(x.shape) >= 0.5
    np.testing.assert_array_equal(a, np.where(keep, x / 0.5, 0.0))


@pytest.mark.parametrize("p", [0.25, 0.6])
def test_backward_uses_the_forward_mask(p):
    rng = np.random.default_rng(39)
    x = rng.uniform(1, 2, (8, 9))
    dout = rng.standard_normal((8, 9))
    dout0 = dout.copy()
    out, cache = do.dropout_forward(x, {"p": p, "mode": "train", "seed": 40})
    dx = do.dropout_backward(dout, cache)
    mask = (np.random.default_rng(40).random(x.shape) >= p) / (1 - p)   # the forward's
    np.testing.assert_array_equal(out, x * mask)
    np.testing.assert_array_equal(dx, dout * mask)
    np.testing.assert_array_equal(dout, dout0)
    # vs autograd through the same mask in torch
    xt = torch.tensor(x, requires_grad=True)
    (xt * torch.tensor(mask)).backward(torch.tensor(dout))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("param", [{"p": 1.0, "mode": "train"}, {"p": -0.1, "mode": "train"},
                                   {"p": 0.5, "mode": "eval"}])
def test_bad_parameters_raise(param):
    with pytest.raises(ValueError):
        do.dropout_forward(np.ones(3), param)
