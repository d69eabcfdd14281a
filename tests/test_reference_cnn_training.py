"""The cnn_training reference (reference/cnn_training.py) against its catalog entry."""
import math

import pytest

torch = pytest.importorskip("torch")

from reference import cnn_training as ref  # noqa: E402


def test_pick_device_follows_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert ref.pick_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert ref.pick_device() == torch.device("cpu")


@pytest.mark.parametrize("in_channels,num_classes,size", [(1, 10, 8), (3, 4, 13)])
def test_build_cnn_logits(in_channels, num_classes, size):
    model = ref.build_cnn(in_channels, num_classes).eval()
    assert any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    assert model(torch.zeros(2, in_channels, size, size)).shape == (2, num_classes)


@pytest.mark.parametrize("cin,cout,stride,size", [(3, 3, 1, 6), (3, 6, 2, 7), (4, 2, 1, 5)])
def test_residual_shapes_and_shortcut(cin, cout, stride, size):
    block = ref.Residual(cin, cout, stride)
    out = block(torch.randn(2, cin, size, size))
    assert out.shape == (2, cout, math.ceil(size / stride), math.ceil(size / stride))
    assert (block.conv3 is None) == (cin == cout and stride == 1)
    assert out.min() >= 0                                         # ReLU after the sum


def test_residual_with_a_zero_branch_is_relu_of_the_input():
    block = ref.Residual(3, 3).eval()
    torch.nn.init.zeros_(block.bn2.weight)
    torch.nn.init.zeros_(block.bn2.bias)
    x = torch.randn(2, 3, 5, 5)
    assert torch.allclose(block(x), torch.relu(x))


def test_random_crop_is_a_zero_filled_shift_from_the_generator():
    x = torch.arange(1.0, 1 + 4 * 2 * 5 * 5).reshape(4, 2, 5, 5)
    before = x.clone()
    first = ref.random_crop(x, 1, torch.Generator().manual_seed(3))
    again = ref.random_crop(x, 1, torch.Generator().manual_seed(3))
    assert torch.equal(x, before) and torch.equal(first, again)
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1))
    for n in range(4):
        assert any(torch.equal(first[n], padded[n, :, dy:dy + 5, dx:dx + 5])
                   for dy in range(3) for dx in range(3))


def test_one_epoch_and_evaluate_on_a_separable_problem():
    torch.manual_seed(0)
    X = torch.randn(60, 1, 8, 8)
    y = (X.mean(dim=(1, 2, 3)) > 0).long()
    batches = [(X[i:i + 16], y[i:i + 16]) for i in range(0, 60, 16)]     # last: 12
    model = ref.build_cnn(1, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = [ref.train_one_epoch(model, batches, optimizer, "cpu") for _ in range(15)]
    assert losses[-1] < losses[0]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    accuracy = ref.evaluate(model, batches, "cpu")
    assert accuracy > 0.9 and not model.training
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
