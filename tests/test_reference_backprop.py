"""reference.backprop against the course's worked examples and PyTorch autograd (float64)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from reference import backprop as bp

RTOL, ATOL = 1e-10, 1e-12
KINK = 1e-3         # inputs of kinked layers (relu, leaky relu, elu) stay this far from 0


def close(name, got, want, rtol=RTOL, atol=ATOL):
    if isinstance(want, torch.Tensor):
        want = want.detach().numpy()
    assert np.shape(got) == np.shape(want), f"{name}: shape {np.shape(got)} != {np.shape(want)}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=name)


def away_from_kinks(rng, shape):
    x = rng.standard_normal(shape)
    while np.any(np.abs(x) < KINK):
        small = np.abs(x) < KINK
        x[small] = rng.standard_normal(small.sum())
    return x


def t(a, grad=True):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


# ---------------------------------------------------------------- course examples

def test_course_circuit_add_multiply():
    """f(x, y, z) = (x + y) * z at (-2, 5, -4): q = 3, f = -12, df = (-4, -4, 3)."""
    x, y, z = -2.0, 5.0, -4.0
    q, add_cache = bp.add_forward(x, y)
    f, mul_cache = bp.multiply_forward(q, z)
    assert (q, f) == (3.0, -12.0)
    dq, dz = bp.multiply_backward(1.0, mul_cache)
    dx, dy = bp.add_backward(dq, add_cache)
    assert (dx, dy, dz) == (-4.0, -4.0, 3.0)


def _sigmoid_net_via_gates():
    """Two-layer sigmoid net (no biases), built from the reference's scalar gates."""
    x = [0.35, 0.9]
    W1 = [[0.1, 0.8], [0.4, 0.6]]       # row i feeds hidden unit i
    w2 = [0.3, 0.9]

    def dot(w, v):                       # w[0]*v[0] + w[1]*v[1] with gates
        p0, c0 = bp.multiply_forward(w[0], v[0])
        p1, c1 = bp.multiply_forward(w[1], v[1])
        s, cs = bp.add_forward(p0, p1)
        return s, (c0, c1, cs)

    def dot_backward(ds, cache):         # -> (dw, dv)
        c0, c1, cs = cache
        dp0, dp1 = bp.add_backward(ds, cs)
        dw0, dv0 = bp.multiply_backward(dp0, c0)
        dw1, dv1 = bp.multiply_backward(dp1, c1)
        return [dw0, dw1], [dv0, dv1]

    hidden = []
    for i in range(2):
        a, ca = dot(W1[i], x)
        h, ch = bp.sigmoid_forward(a)
        hidden.append((h, ca, ch))
    h = [hidden[0][0], hidden[1][0]]
    z, cz = dot(w2, h)
    out, co = bp.sigmoid_forward(z)
    diff, cd = bp.add_forward(out, -0.5)
    sq, csq = bp.multiply_forward(diff, diff)
    cost, cc = bp.multiply_forward(0.5, sq)

    _, dsq = bp.multiply_backward(1.0, cc)
    ddiff_a, ddiff_b = bp.multiply_backward(dsq, csq)
    dout, _ = bp.add_backward(ddiff_a + ddiff_b, cd)
    dz = bp.sigmoid_backward(dout, co)
    dw2, dh = dot_backward(dz, cz)
    dW1 = []
    for i in range(2):
        _, ca, ch = hidden[i]
        da = bp.sigmoid_backward(dh[i], ch)
        dW1.append(dot_backward(da, ca)[0])
    return float(out), float(cost), [float(g) for g in dw2], [[float(g) for g in r] for r in dW1]


def test_course_sigmoid_network():
    out, cost, dw2, dW1 = _sigmoid_net_via_gates()
    # The course's numbers, worked from intermediates rounded to 3 d.p.:
    # out 0.690, cost 0.5 * 0.19**2 = 0.01805, dC/dw2[0] = 0.19 * 0.690 * 0.310 * 0.680 = 0.02763.
    assert round(out, 3) == 0.690
    assert abs(cost - 0.01805) < 1e-4          # exact: 0.0181039
    assert round(cost, 3) == 0.018
    assert abs(dw2[0] - 0.02763) < 1e-4        # exact: 0.0276740
    # Exact values, from PyTorch.
    x = torch.tensor([0.35, 0.9], dtype=torch.float64)
    W1 = t([[0.1, 0.8], [0.4, 0.6]])
    w2 = t([0.3, 0.9])
    o = torch.sigmoid(w2 @ torch.sigmoid(W1 @ x))
    c = 0.5 * (o - 0.5) ** 2
    c.backward()
    close("out", out, o)
    close("cost", cost, c)
    close("dw2", np.array(dw2), w2.grad)
    close("dW1", np.array(dW1), W1.grad)


# ----------------------------------------------------------------------- gates

@pytest.mark.parametrize("gate, torch_fn", [
    ("add", torch.add), ("multiply", torch.mul), ("max", torch.maximum)])
def test_two_input_gates_vs_torch(gate, torch_fn):
    rng = np.random.default_rng(1)
    x, y, dout = rng.standard_normal((3, 4, 5))
    out, cache = getattr(bp, f"{gate}_forward")(x, y)
    dx, dy = getattr(bp, f"{gate}_backward")(dout, cache)
    xt, yt = t(x), t(y)
    ot = torch_fn(xt, yt)
    ot.backward(t(dout, False))
    close("out", out, ot)
    close("dx", dx, xt.grad)
    close("dy", dy, yt.grad)


def test_max_gate_routes_to_larger_and_ties_to_x():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([2.0, 2.0, 1.0])
    out, cache = bp.max_forward(x, y)
    dx, dy = bp.max_backward(np.array([10.0, 20.0, 30.0]), cache)
    np.testing.assert_array_equal(out, [2.0, 2.0, 3.0])
    np.testing.assert_array_equal(dx, [0.0, 20.0, 30.0])
    np.testing.assert_array_equal(dy, [10.0, 0.0, 0.0])
    out, cache = bp.max_forward(4.0, 4.0)             # scalars too
    assert bp.max_backward(1.5, cache) == (1.5, 0.0)


def test_sigmoid_is_stable_for_large_scores():
    x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow is fine
        out, cache = bp.sigmoid_forward(x)
        dx = bp.sigmoid_backward(np.ones_like(x), cache)
    close("out", out, torch.sigmoid(t(x, False)), atol=0)
    assert np.all(np.isfinite(dx))


# ---------------------------------------------------------------------- layers

LAYERS = {
    "relu": (lambda x: bp.relu_forward(x), bp.relu_backward, torch.relu),
    "sigmoid": (lambda x: bp.sigmoid_forward(x), bp.sigmoid_backward, torch.sigmoid),
    "tanh": (lambda x: bp.tanh_forward(x), bp.tanh_backward, torch.tanh),
    "leaky_relu": (lambda x: bp.leaky_relu_forward(x), bp.leaky_relu_backward,
                   lambda x: F.leaky_relu(x, 0.01)),
    "leaky_relu_0.2": (lambda x: bp.leaky_relu_forward(x, alpha=0.2), bp.leaky_relu_backward,
                       lambda x: F.leaky_relu(x, 0.2)),
    "elu": (lambda x: bp.elu_forward(x), bp.elu_backward, lambda x: F.elu(x, 1.0)),
    "elu_0.5": (lambda x: bp.elu_forward(x, alpha=0.5), bp.elu_backward,
                lambda x: F.elu(x, 0.5)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_activation_layers_vs_torch(name):
    forward, backward, torch_fn = LAYERS[name]
    rng = np.random.default_rng(2)
    x = away_from_kinks(rng, (6, 7)) * 3
    dout = rng.standard_normal((6, 7))
    x0, dout0 = x.copy(), dout.copy()
    out, cache = forward(x)
    dx = backward(dout, cache)
    xt = t(x)
    ot = torch_fn(xt)
    ot.backward(t(dout, False))
    close("out", out, ot)
    close("dx", dx, xt.grad)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, dout0)
    assert out.dtype == dx.dtype == np.float64


def test_kink_conventions():
    """At exactly 0: relu passes 0; leaky relu and elu pass alpha (as PyTorch)."""
    zero, one = np.zeros(1), np.ones(1)
    assert bp.relu_backward(one, bp.relu_forward(zero)[1])[0] == 0.0
    assert bp.leaky_relu_backward(one, bp.leaky_relu_forward(zero, 0.1)[1])[0] == 0.1
    assert bp.elu_backward(one, bp.elu_forward(zero, 0.5)[1])[0] == 0.5


def test_elu_large_inputs_do_not_overflow():
    x = np.array([-800.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow is fine
        out, cache = bp.elu_forward(x)
        dx = bp.elu_backward(np.ones(2), cache)
    np.testing.assert_allclose(out, [-1.0, 800.0])
    np.testing.assert_allclose(dx, [0.0, 1.0])


@pytest.mark.parametrize("x_shape", [(5, 7), (4, 2, 3, 4), (1, 3)])
def test_affine_vs_torch(x_shape):
    rng = np.random.default_rng(3)
    D, M = int(np.prod(x_shape[1:])), 6
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((D, M))
    b = rng.standard_normal(M)
    dout = rng.standard_normal((x_shape[0], M))
    saved = [a.copy() for a in (x, w, b, dout)]
    out, cache = bp.affine_forward(x, w, b)
    dx, dw, db = bp.affine_backward(dout, cache)
    xt, wt, bt = t(x), t(w), t(b)
    ot = xt.reshape(x_shape[0], -1) @ wt + bt
    ot.backward(t(dout, False))
    close("out", out, ot)
    close("dx", dx, xt.grad)
    close("dw", dw, wt.grad)
    close("db", db, bt.grad)
    for a, a0 in zip((x, w, b, dout), saved):
        np.testing.assert_array_equal(a, a0)


# ---------------------------------------------------------------------- losses

def torch_hinge(xt, y):
    N = xt.shape[0]
    correct = xt[torch.arange(N), y][:, None]
    margins = torch.clamp(xt - correct + 1, min=0)
    mask = torch.ones_like(xt)
    mask[torch.arange(N), y] = 0
    return (margins * mask).sum() / N


def hinge_problem(rng, N, C, scale=1.0):
    """Scores with no margin within KINK of 0 (hinge kinks)."""
    while True:
        x = rng.standard_normal((N, C)) * scale
        y = rng.integers(0, C, N)
        margins = x - x[np.arange(N), y][:, None] + 1
        margins[np.arange(N), y] = 1.0
        if np.min(np.abs(margins)) > KINK:
            return x, y


@pytest.mark.parametrize("N, C, scale", [(8, 5, 1.0), (1, 2, 1.0), (20, 10, 3.0)])
def test_svm_loss_vs_torch(N, C, scale):
    rng = np.random.default_rng(4)
    x, y = hinge_problem(rng, N, C, scale)
    x0 = x.copy()
    loss, dx = bp.svm_loss(x, y)
    xt = t(x)
    lt = torch_hinge(xt, torch.tensor(y))
    lt.backward()
    close("loss", loss, lt)
    close("dx", dx, xt.grad)
    np.testing.assert_array_equal(x, x0)


def test_svm_loss_zero_margin_does_not_count():
    x = np.array([[1.0, 0.0, 2.0]])       # margins: class 1 -> 0 (not counted), class 2 -> 2
    loss, dx = bp.svm_loss(x, np.array([0]))
    assert loss == 2.0
    np.testing.assert_array_equal(dx, [[-1.0, 0.0, 1.0]])


@pytest.mark.parametrize("N, C, scale", [(8, 5, 1.0), (1, 2, 1.0), (20, 10, 1e3)])
def test_softmax_loss_vs_torch(N, C, scale):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, C)) * scale
    y = rng.integers(0, C, N)
    x0 = x.copy()
    with np.errstate(over="raise", invalid="raise"):
        loss, dx = bp.softmax_loss(x, y)
    xt = t(x)
    lt = F.cross_entropy(xt, torch.tensor(y))
    lt.backward()
    close("loss", loss, lt)
    close("dx", dx, xt.grad)
    np.testing.assert_array_equal(x, x0)


# ---------------------------------------------------------------- initialisers

@pytest.mark.parametrize("init, gain", [(bp.xavier_init, 1.0), (bp.he_init, 2.0)])
def test_initialisers(init, gain):
    W = init(400, 300, np.random.default_rng(6))
    assert W.shape == (400, 300) and W.dtype == np.float64
    expected = np.random.default_rng(6).standard_normal((400, 300)) * np.sqrt(gain / 400)
    np.testing.assert_array_equal(W, expected)
    assert abs(W.std() / np.sqrt(gain / 400) - 1) < 0.01       # 120 000 draws
    assert abs(W.mean()) < 0.01 * np.sqrt(gain / 400)


# ------------------------------------------------------------------ the net

def test_two_layer_net_init():
    net = bp.TwoLayerNet(5, 4, 3, weight_scale=0.1, seed=7)
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(net.params["W1"], 0.1 * rng.standard_normal((5, 4)))
    np.testing.assert_array_equal(net.params["W2"], 0.1 * rng.standard_normal((4, 3)))
    np.testing.assert_array_equal(net.params["b1"], np.zeros(4))
    np.testing.assert_array_equal(net.params["b2"], np.zeros(3))
    assert net.reg == 0.0


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_two_layer_net_vs_torch(reg):
    rng = np.random.default_rng(8)
    N, D, H, C = 6, 5, 7, 4
    net = bp.TwoLayerNet(D, H, C, weight_scale=0.5, reg=reg, seed=9)
    net.params["b1"] = rng.standard_normal(H) * 0.1
    net.params["b2"] = rng.standard_normal(C) * 0.1
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, N)
    a1 = X @ net.params["W1"] + net.params["b1"]
    assert np.min(np.abs(a1)) > KINK, "draw hit a relu kink; change the seed"
    saved = {k: v.copy() for k, v in net.params.items()}

    scores = net.loss(X)
    loss, grads = net.loss(X, y)

    p = {k: t(v) for k, v in net.params.items()}
    st = torch.relu(t(X, False) @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    lt = F.cross_entropy(st, torch.tensor(y)) \
        + 0.5 * reg * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    lt.backward()
    close("scores", scores, st)
    close("loss", loss, lt)
    assert sorted(grads) == ["W1", "W2", "b1", "b2"]
    for k in grads:
        close(f"grads[{k}]", grads[k], p[k].grad)
        np.testing.assert_array_equal(net.params[k], saved[k])
