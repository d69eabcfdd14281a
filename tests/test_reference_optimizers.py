"""reference.optimizers against torch.optim, several consecutive steps, float64.

SPEC's momentum, `v = mu*v - lr*dw; w + v`, keeps the velocity in parameter units;
torch.optim.SGD keeps `buf = mu*buf + dw; w - lr*buf`. With a constant learning rate
the two are the same rule with v = -lr * buf (both start from v = buf = 0 + first
step), and SPEC's Nesterov form `w - mu*v + (1+mu)*v_new` equals torch's
`w - lr*(dw + mu*buf_new)` because buf_new - mu*buf = dw. So torch is compared
directly, velocity against -lr * momentum_buffer. Adagrad, RMSprop and Adam add eps
outside the square root in both; torch's Adagrad eps default (1e-10) differs from
SPEC's (1e-8), so it is passed explicitly.
"""
import numpy as np
import pytest
import torch

from autograder.checks import optimizers as checks
from reference import optimizers as opt

RTOL = 1e-11
STEPS = 6
SHAPE = (4, 6)

# The SPEC's defaults and state keys, as the grader states them (one table for both),
# and the grader's non-default hyperparameters.
DEFAULTS, STATE_KEYS, CUSTOM = checks.DEFAULTS, checks.STATE, checks.CUSTOM


def torch_optimizer(name, p, c):
    """The torch.optim equivalent of reference rule `name` with full config `c`."""
    O = torch.optim
    if name == "sgd":
        return O.SGD([p], lr=c["learning_rate"])
    if name in ("sgd_momentum", "nesterov_momentum"):
        return O.SGD([p], lr=c["learning_rate"], momentum=c["momentum"],
                     nesterov=name == "nesterov_momentum")
    if name == "adagrad":
        return O.Adagrad([p], lr=c["learning_rate"], eps=c["epsilon"],
                         initial_accumulator_value=0.0, lr_decay=0.0)
    if name == "rmsprop":
        return O.RMSprop([p], lr=c["learning_rate"], alpha=c["decay_rate"],
                         eps=c["epsilon"], momentum=0.0, centered=False)
    if name == "adam":
        return O.Adam([p], lr=c["learning_rate"], betas=(c["beta1"], c["beta2"]),
                      eps=c["epsilon"])
    raise KeyError(name)


def torch_state(name, state, c):
    """Reference config state expected from torch's optimizer state."""
    if name in ("sgd_momentum", "nesterov_momentum"):
        return {"velocity": -c["learning_rate"] * state["momentum_buffer"].numpy()}
    if name == "adagrad":
        return {"cache": state["sum"].numpy()}
    if name == "rmsprop":
        return {"cache": state["square_avg"].numpy()}
    if name == "adam":
        return {"m": state["exp_avg"].numpy(), "v": state["exp_avg_sq"].numpy(),
                "t": int(state["step"])}
    return {}


def mixed_scale(rng, shape):
    """Values whose magnitudes span 1e-8 .. 1e2, the tiny and huge ones guaranteed."""
    scales = 10.0 ** rng.integers(-8, 3, size=shape)
    scales.flat[:2] = [1e-8, 1e2]
    return rng.standard_normal(shape) * scales


def assert_close_to_update(label, got, want, w):
    """Elementwise |got - want| <= RTOL * (|w| + |want - w|): relative to the sizes of
    the two terms of w + update, so a step that cancels a tiny weight is not judged
    against its (rounding-dominated) result."""
    scale = np.abs(w) + np.abs(want - w)
    bad = np.abs(got - want) > RTOL * scale
    assert not bad.any(), (f"{label}: {bad.sum()} entries differ, first at "
                           f"{np.argwhere(bad)[0]}: {got[bad][0]!r} vs {want[bad][0]!r}")


def run_both(name, config, seed, steps=STEPS):
    """Run `steps` updates with the reference and torch; compare after every step."""
    rng = np.random.default_rng(seed)
    w = mixed_scale(rng, SHAPE)            # tiny weights pair with tiny gradients
    full = {**DEFAULTS[name], **(config or {})}
    p = torch.tensor(w.copy(), dtype=torch.float64, requires_grad=True)
    torch_opt = torch_optimizer(name, p, full)
    for step in range(steps):
        dw = mixed_scale(rng, SHAPE) * rng.uniform(0.5, 2.0, SHAPE)
        w0, dw0 = w.copy(), dw.copy()
        next_w, new_config = getattr(opt, name)(w, dw, config)
        p.grad = torch.tensor(dw, dtype=torch.float64)
        torch_opt.step()

        np.testing.assert_array_equal(w, w0, err_msg=f"step {step}: w was modified")
        np.testing.assert_array_equal(dw, dw0, err_msg=f"step {step}: dw was modified")
        if config is not None:
            assert new_config is config, "the caller's config dict is updated and returned"
        assert next_w.shape == w.shape and next_w.dtype == np.float64
        assert_close_to_update(f"{name} step {step}: next_w", next_w, p.detach().numpy(), w)
        for k, want in torch_state(name, torch_opt.state[p], full).items():
            np.testing.assert_allclose(new_config[k], want, rtol=RTOL, atol=0,
                                       err_msg=f"{name} step {step}: config[{k!r}]")
        w, config = next_w, new_config
    return config


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_steps_vs_torch_with_defaults(name):
    config = run_both(name, None, seed=10)
    assert set(config) == set(DEFAULTS[name]) | set(STATE_KEYS[name])
    for k, v in DEFAULTS[name].items():
        assert config[k] == v, f"default {k}"


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_steps_vs_torch_with_custom_config(name):
    config = dict(CUSTOM[name])
    run_both(name, config, seed=11)
    for k, v in CUSTOM[name].items():
        assert config[k] == v, f"given {k} was overwritten"
    if name == "adam":
        assert config["t"] == STEPS


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_partial_config_gets_defaults(name):
    key = next(iter(CUSTOM[name]))                   # only the learning rate given
    config = {key: CUSTOM[name][key]}
    run_both(name, config, seed=12, steps=3)
    for k, v in DEFAULTS[name].items():
        assert config[k] == (CUSTOM[name][key] if k == key else v)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_state_arrays_are_replaced_not_updated_in_place(name):
    rng = np.random.default_rng(13)
    w, dw = rng.standard_normal((2, 3, 3))
    _, config = getattr(opt, name)(w, dw)
    before = {k: config[k] for k in STATE_KEYS[name] if k != "t"}
    copies = {k: v.copy() for k, v in before.items()}
    getattr(opt, name)(w, dw, config)
    for k in before:
        np.testing.assert_array_equal(before[k], copies[k])


def test_first_steps_by_hand():
    w, dw = np.array([1.0, -2.0]), np.array([0.5, 1e-8])
    np.testing.assert_allclose(opt.sgd(w, dw)[0], w - 1e-2 * dw, rtol=1e-15)
    next_w, c = opt.sgd_momentum(w, dw)
    np.testing.assert_allclose(c["velocity"], -1e-2 * dw, rtol=1e-15)
    np.testing.assert_allclose(next_w, w - 1e-2 * dw, rtol=1e-15)
    next_w, c = opt.nesterov_momentum(w, dw)                # w + (1 + mu) * v_new
    np.testing.assert_allclose(next_w, w - 1.9 * 1e-2 * dw, rtol=1e-15)
    next_w, c = opt.adagrad(w, dw)                          # w - lr * dw / (|dw| + eps)
    np.testing.assert_allclose(next_w, w - 1e-2 * dw / (np.abs(dw) + 1e-8), rtol=1e-15)
    next_w, c = opt.adam(w, dw)                             # mhat = dw, vhat = dw**2
    assert c["t"] == 1
    np.testing.assert_allclose(next_w, w - 1e-3 * dw / (np.abs(dw) + 1e-8), rtol=1e-13)
    # 1e-8 gradient against eps 1e-8: half a learning rate, as eps sits outside the sqrt.
    assert abs((w - next_w)[1] - 0.5e-3) < 1e-15


@pytest.mark.parametrize("decay_rate", [0.5, 0.9])
def test_exponential_decay_vs_torch_scheduler(decay_rate):
    p = torch.zeros(1, requires_grad=True)
    o = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.ExponentialLR(o, gamma=decay_rate)
    for step in range(6):
        assert opt.exponential_decay(0.1, decay_rate, step) == pytest.approx(
            o.param_groups[0]["lr"], rel=1e-12)
        o.step()
        sched.step()


def test_inverse_time_decay():
    assert opt.inverse_time_decay(0.1, 0.5, 0) == 0.1
    assert opt.inverse_time_decay(0.1, 0.5, 2) == pytest.approx(0.05, rel=1e-15)
    assert opt.inverse_time_decay(1.0, 0.1, 10) == pytest.approx(0.5, rel=1e-15)
    assert opt.exponential_decay(2.0, 0.5, 3) == 0.25
