"""Reference for the cnn_training assignment (SPEC.md, "cnn_training (PyTorch)").

A small CNN for the 8x8 digits, its training loop and evaluation, the d2l residual
block and a random-shift augmentation.  Runs on CPU; uses CUDA when present.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


def pick_device():
    """CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def build_cnn(in_channels, num_classes):
    """conv-BN-ReLU x2, max pool, conv-BN-ReLU, global average pool, dropout, linear:
    (N, in_channels, H, W) with H, W >= 8 -> logits (N, num_classes)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),                                          # (N, 32, H/2, W/2)
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),                    # (N, 64)
        nn.Dropout(0.2), nn.Linear(64, num_classes))              # (N, num_classes)


def train_one_epoch(model, loader, optimizer, device):
    """One pass over ``loader``: one step per batch; the mean cross-entropy over the
    epoch's examples (batches weighted by their size)."""
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / max(count, 1)


def evaluate(model, loader, device):
    """Accuracy over every example of ``loader``, in eval mode and without gradients
    (parameters and batch-norm statistics untouched)."""
    model.eval()
    correct, count = 0, 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            correct += int((model(X).argmax(dim=1) == y).sum())
            count += len(y)
    return correct / max(count, 1)


class Residual(nn.Module):
    """d2l's residual block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), the
    shortcut a 1x1 conv with ``stride`` when the shape changes."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.conv3 = (nn.Conv2d(in_channels, out_channels, 1, stride=stride)
                      if in_channels != out_channels or stride != 1 else None)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))                  # (N, out, ceil(H/s), ceil(W/s))
        y = self.bn2(self.conv2(y))
        shortcut = self.conv3(x) if self.conv3 is not None else x
        return F.relu(y + shortcut)


def residual_output_size(size, stride):
    return math.ceil(size / stride)


def random_crop(x, padding, generator):
    """Each image zero-padded by ``padding`` and cropped back to its size at an offset
    (dy, dx) drawn uniformly in 0..2*padding from ``generator``."""
    N, C, H, W = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))   # (N, C, H+2p, W+2p)
    offsets = torch.randint(0, 2 * padding + 1, (N, 2), generator=generator)
    out = torch.empty_like(x)
    for n in range(N):
        dy, dx = int(offsets[n, 0]), int(offsets[n, 1])
        out[n] = padded[n, :, dy:dy + H, dx:dx + W]
    return out


# ------------------------------------------------------- plain-data entry points
# What the checks ask the reference for (``t.reference``): arrays in, arrays out.

def residual_output(in_channels, out_channels, stride, x, weights, train):
    """The block's output on ``x`` (float64) with ``weights`` ({"conv1.weight": ...,
    "bn1.running_mean": ...} as arrays) loaded, in train or eval mode."""
    block = Residual(in_channels, out_channels, stride).double()
    block.load_state_dict({k: torch.as_tensor(v) for k, v in weights.items()}, strict=False)
    block.train(bool(train))
    with torch.no_grad():
        return block(torch.as_tensor(x, dtype=torch.float64)).numpy()
