"""A correct student-style cnn_training submission (the solution notebook's code)."""
import torch
import torch.nn.functional as F
from torch import nn


def pick_device():
    """The device to compute on: the GPU when PyTorch can use one, else the CPU.

    Returns:
    - torch.device("cuda") when torch.cuda.is_available(), else torch.device("cpu")
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def build_cnn(in_channels, num_classes):
    """A small LeNet-like CNN with batch normalization and dropout.

    Inputs:
    - in_channels: number of channels C of the input images
    - num_classes: number of scores per image

    Returns an nn.Module with at least one nn.Conv2d that maps images
    (N, in_channels, H, W), any H, W >= 8, to logits (N, num_classes) (no softmax).
    """
    model = None
    model = nn.Sequential(
        nn.Conv2d(in_channels, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),                                        # (N, 32, H/2, W/2)
        nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),                                        # (N, 64, H/4, W/4)
        nn.AdaptiveAvgPool2d(2), nn.Flatten(),                  # (N, 256)
        nn.Linear(64 * 2 * 2, 128), nn.ReLU(), nn.Dropout(0.3),  # (N, 128)
        nn.Linear(128, num_classes))                            # (N, num_classes)
    return model


def train_one_epoch(model, loader, optimizer, device):
    """One pass over the training data, one optimizer step per batch.

    Inputs:
    - model: an nn.Module, already on device
    - loader: an iterable of batches (X, y), X (B, C, H, W) float32 and y (B,) int64 (a
      DataLoader or a list of tuples); the batches may differ in size
    - optimizer: a torch.optim optimizer over model's parameters
    - device: the torch.device to compute on

    Puts the model in train mode; for each batch moves X and y to device, then
    zero_grad, forward, mean cross-entropy, backward, step.

    Returns the mean cross-entropy over the epoch's examples, a Python float (each
    batch's mean loss weighted by its number of examples).
    """
    model.train()
    total_loss, total = 0.0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)                 # once per batch
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)               # mean over the batch
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)                # one number back per batch
        total += len(y)
    return total_loss / total


def evaluate(model, loader, device):
    """Accuracy of model on the examples of loader.

    Inputs:
    - model: an nn.Module, already on device
    - loader: an iterable of batches (X, y), as for train_one_epoch
    - device: the torch.device to compute on

    Returns the fraction of examples whose largest logit is at the correct label, a
    Python float in [0, 1]. Runs in eval mode and without gradient tracking; changes no
    parameter and no buffer (batch-norm running statistics included).
    """
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            correct += (model(X).argmax(dim=1) == y).sum().item()
            total += len(y)
    return correct / total


class Residual(nn.Module):
    """d2l's residual block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).

    Constructor inputs:
    - in_channels, out_channels: channels of the input and of the output
    - stride: stride of conv1 and of the shortcut (2 halves the height and width)

    Submodules, registered in this order:
    - conv1: 3x3 convolution in_channels -> out_channels, stride, padding 1
    - conv2: 3x3 convolution out_channels -> out_channels, padding 1
    - conv3: the shortcut, a 1x1 convolution in_channels -> out_channels with stride
      when in_channels != out_channels or stride != 1; None otherwise (identity)
    - bn1, bn2: nn.BatchNorm2d(out_channels)

    forward(x): x (N, in_channels, H, W) ->
    (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1,
                               stride=stride)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        if in_channels != out_channels or stride != 1:
            self.conv3 = nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))               # (N, out, ceil(H/s), ceil(W/s))
        y = self.bn2(self.conv2(y))                       # g(x), same shape
        shortcut = x if self.conv3 is None else self.conv3(x)
        return F.relu(y + shortcut)


def random_crop(x, padding, generator):
    """Random shifts: each image zero-padded and cropped back to its size.

    Inputs:
    - x: tensor (N, C, H, W)
    - padding: number of zero rows / columns added on each side
    - generator: a torch.Generator, the only source of randomness

    Returns a new tensor (N, C, H, W): image n is x[n] zero-padded by padding on every
    side and cropped back to H x W at offset (dy, dx), each drawn uniformly in
    0..2*padding (inclusive) from generator. x is not modified.
    """
    out = None
    N, C, H, W = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))   # (N, C, H+2p, W+2p)
    offsets = torch.randint(0, 2 * padding + 1, (N, 2), generator=generator)
    offsets = offsets.to(x.device)                            # (N, 2): dy, dx
    rows = offsets[:, 0, None] + torch.arange(H, device=x.device)  # (N, H)
    cols = offsets[:, 1, None] + torch.arange(W, device=x.device)  # (N, W)
    n = torch.arange(N, device=x.device)[:, None, None]           # (N, 1, 1)
    # the three index tensors broadcast to (N, H, W) and go first: (N, H, W, C)
    out = padded[n, :, rows[:, :, None], cols[:, None, :]]
    out = out.permute(0, 3, 1, 2).contiguous()                # (N, C, H, W)
    return out
