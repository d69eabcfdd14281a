"""Testing the tester: a corpus of realistic buggy answers to the cnn_training (PyTorch)
assignment.  Each case is the correct solution (tests/submissions/cnn_training_solution.py)
with ONE function (or the Residual class) re-defined the way students get it wrong.

For each case the corpus names EVERY test of that function that must lose its points,
with its status and verbatim feedback substrings (the feedback names the mistake); the
structure / consistency tests a gate withholds (a value test of the same function
failed) score 0; every other test of the function keeps full marks.  A few correct
answers in other styles (an accuracy computed as a float32 tensor, loops that call
``model.forward(X)``) keep full marks, and so does the correct solution (one seed here;
20 seeds in tests/test_correct_never_loses.py).  Together the cases catch every test
of the assignment failing at least once (test_every_test_catches_a_bug).

Grading is what costs (a worker imports torch; the hidden tests train two CNNs): only
the cases in WITH_HIDDEN are graded with the hidden tests (the bug is caught only there,
or the case stands for a hidden test), the others with the visible tests of their
function.  Without pytest-xdist the module grades every selected case up front, JOBS
at a time, in threads of this process (each submission in its own worker process, as
a batch's LocalPool does); under xdist each worker grades its own cases one by one
(xdist already runs them side by side).
"""
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder import registry
from tests.helpers import grade_source, solution_source, with_replacement, withheld_by_gate

A = "cnn_training"
F, E = "failed", "error"
P, BC, T, EV, R, RC = ("pick_device", "build_cnn", "train_one_epoch", "evaluate", "Residual",
                       "random_crop")
JOBS = 2                      # gradings at once without xdist (each one a worker process)
CORRECT = "<correct solution>"
GRADER_BUG = "internal error in the grader's check"

# (case_id, function, buggy source, {failing test: (status, feedback substring(s))})
# Feedback substrings avoid line numbers (they depend on the solution's length) and
# the names of the grader's worker-side helpers.
CASES = [
    # ================================================================ pick_device
    ("pick_device_always_cpu", P, '''
def pick_device():
    return torch.device("cpu")
''', {
        "pick_device.follows_cuda":
            (F, "pick_device() gives a cpu device while torch.cuda.is_available() is True; "
                "expected torch.device('cuda')"),
    }),
    # ================================================================ build_cnn
    ("build_cnn_mlp_no_convolution", BC, '''
def build_cnn(in_channels, num_classes):
    return nn.Sequential(
        nn.AdaptiveAvgPool2d(8), nn.Flatten(),
        nn.Linear(in_channels * 64, 128), nn.ReLU(),
        nn.Linear(128, num_classes))
''', {
        "build_cnn.has_convolution":
            (F, "build_cnn(1, 10) has no nn.Conv2d layer: a CNN needs at least one convolution"),
    }),
    ("build_cnn_linear_sized_for_8x8", BC, '''
def build_cnn(in_channels, num_classes):
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),                       # 8x8 -> 4x4
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, num_classes))
''', {
        # on 3-channel 12x12 images with 4 classes: 16 * 6 * 6 = 576 features, not 256
        "build_cnn.logits_shape":
            (E, "raised RuntimeError: mat1 and mat2 shapes cannot be multiplied "
                "(3x576 and 256x4)"),
    }),
    ("build_cnn_seeds_itself", BC, '''
def build_cnn(in_channels, num_classes):
    torch.manual_seed(0)                       # "reproducible"
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(),
        nn.Linear(64 * 2 * 2, 128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, num_classes))
''', {
        "build_cnn.deterministic_under_seed":
            (F, "build_cnn(1, 10) gives the same logits under seeds 5 and 6: draw the initial "
                "weights from torch's generator"),
    }),
    ("build_cnn_softmax_output", BC, '''
def build_cnn(in_channels, num_classes):
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(16, num_classes), nn.Softmax(dim=1))
''', {
        # right shapes: its outputs are probabilities, and fed to cross_entropy as logits
        # they hardly learn
        "build_cnn.returns_logits":
            (F, "build_cnn(1, 10) returns probabilities: on x of shape (6, 1, 8, 8) every row "
                "of its output is in [0, 1] and sums to 1 (a final nn.Softmax or F.softmax); "
                "return the last layer's raw scores (logits)"),
        "build_cnn.trains_on_digits":
            (F, ("build_cnn(1, 10), trained 12 epochs by the grader's loop, reaches ",
                 "% on held-out digits; expected at least 95%")),
    }),
    # ================================================================ train_one_epoch
    ("train_no_zero_grad", T, '''
def train_one_epoch(model, loader, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
''', {
        "train_one_epoch.each_step_uses_its_batch_gradient":
            (F, ("train_one_epoch: the gradient used by step 2 is not that of batch 2's mean "
                 "cross-entropy",
                 "; gradients accumulate across batches: call optimizer.zero_grad() before "
                 "each backward()")),
        "train_one_epoch.trains_a_cnn":
            (F, ("the grader's CNN trained 12 epochs by train_one_epoch reaches ",
                 "% on held-out digits; expected at least 95%")),
    }),
    ("train_loss_summed", T, '''
def train_one_epoch(model, loader, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y, reduction="sum")
        loss.backward()
        optimizer.step()
        total += loss.item()
        count += len(y)
    return total / count
''', {
        "train_one_epoch.each_step_uses_its_batch_gradient":
            (F, ("train_one_epoch: the gradient used by step 1 is not that of batch 1's mean "
                 "cross-entropy",
                 "; it is 8 times too large, the batch size: use the batch's mean loss "
                 "(F.cross_entropy's default reduction), not the sum")),
    }),
    ("train_returns_mean_of_batch_means", T, '''
def train_one_epoch(model, loader, optimizer, device):
    model.train()
    losses = []
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)
''', {
        "train_one_epoch.returns_mean_loss":
            (F, "the mean loss over the epoch's 19 examples (sum of loss * batch size / "
                "examples); that is the mean of the batch means (batches of unequal size "
                "weigh the same)"),
    }),
    ("train_returns_sum_not_mean", T, '''
def train_one_epoch(model, loader, optimizer, device):
    model.train()
    total = 0.0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total
''', {
        "train_one_epoch.returns_mean_loss":
            (F, "the mean loss over the epoch's 19 examples (sum of loss * batch size / "
                "examples); that is the sum of the batch losses"),
    }),
    ("train_no_to_device", T, '''
def train_one_epoch(model, loader, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
''', {
        "train_one_epoch.moves_batches_to_device":
            (F, "train_one_epoch did not move batch 1's inputs to the device (X, y = "
                "X.to(device), y.to(device))"),
    }),
    ("train_step_once_per_epoch", T, '''
def train_one_epoch(model, loader, optimizer, device):
    model.train()
    optimizer.zero_grad()
    total, count = 0.0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        total += loss.item() * len(y)
        count += len(y)
    optimizer.step()
    return total / count
''', {
        "train_one_epoch.one_step_per_batch":
            (F, "train_one_epoch made 1 optimizer steps over 3 batches: call "
                "optimizer.step() once per batch"),
        "train_one_epoch.each_step_uses_its_batch_gradient":
            (F, "train_one_epoch: the gradient used by step 1 is not that of batch 1's mean "
                "cross-entropy"),
    }),
    ("train_no_model_train", T, '''
def train_one_epoch(model, loader, optimizer, device):
    total, count = 0.0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
''', {
        "train_one_epoch.sets_train_mode":
            (F, "train_one_epoch ran the model in eval mode (it was handed over in eval "
                "mode): call model.train() first"),
    }),
    # ================================================================ evaluate
    ("evaluate_in_train_mode", EV, '''
def evaluate(model, loader, device):
    correct, count = 0, 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            correct += (model(X).argmax(dim=1) == y).sum().item()
            count += len(y)
    return correct / count
''', {
        "evaluate.accuracy_over_examples": (F, "expected 0.619048 (13 right of 21)"),
        "evaluate.eval_mode":
            (F, "evaluate ran the model in train mode (dropout on, batch statistics): call "
                "model.eval() first"),
        "evaluate.leaves_the_model_unchanged":
            (F, "evaluate changed the model's 2.num_batches_tracked, 2.running_mean, "
                "2.running_var: evaluation must not update anything"),
    }),
    ("evaluate_refreshes_batchnorm_stats", EV, '''
def evaluate(model, loader, device):
    model.train()                      # "calibrate" batch norm on the evaluation data
    with torch.no_grad():
        for X, _ in loader:
            model(X.to(device))
    model.eval()
    correct, count = 0, 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            correct += (model(X).argmax(dim=1) == y).sum().item()
            count += len(y)
    return correct / count
''', {
        "evaluate.accuracy_over_examples": (F, "expected 0.619048 (13 right of 21)"),
        "evaluate.eval_mode":
            (F, "evaluate ran the model in train mode (dropout on, batch statistics): call "
                "model.eval() first"),
        "evaluate.leaves_the_model_unchanged":
            (F, "evaluate changed the model's 2.num_batches_tracked, 2.running_mean, "
                "2.running_var: evaluation must not update anything (model.eval() keeps "
                "batch norm's running statistics)"),
    }),
    ("evaluate_without_no_grad", EV, '''
def evaluate(model, loader, device):
    model.eval()
    correct, count = 0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        correct += (model(X).argmax(dim=1) == y).sum().item()
        count += len(y)
    return correct / count
''', {
        "evaluate.no_gradient":
            (F, "evaluate ran the model with gradients enabled: wrap the loop in "
                "torch.no_grad()"),
    }),
    ("evaluate_mean_of_batch_accuracies", EV, '''
def evaluate(model, loader, device):
    model.eval()
    accs = []
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            accs.append((model(X).argmax(dim=1) == y).float().mean().item())
    return sum(accs) / len(accs)
''', {
        "evaluate.accuracy_over_examples":
            (F, "evaluate returned 0.566667, expected 0.619048 (13 right of 21); that is the "
                "mean of the batch accuracies: count right examples over all"),
    }),
    ("evaluate_returns_count", EV, '''
def evaluate(model, loader, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            correct += (model(X).argmax(dim=1) == y).sum().item()
    return correct
''', {
        "evaluate.accuracy_over_examples":
            (F, "evaluate returned 13, expected 0.619048 (13 right of 21); that is the count "
                "of right examples: divide by the number of examples"),
    }),
    ("evaluate_returns_percentage", EV, '''
def evaluate(model, loader, device):
    model.eval()
    correct, count = 0, 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            correct += (model(X).argmax(dim=1) == y).sum().item()
            count += len(y)
    return 100.0 * correct / count
''', {
        "evaluate.accuracy_over_examples":
            (F, "evaluate returned 61.9048, expected 0.619048 (13 right of 21); that is a "
                "percentage: return a fraction in [0, 1]"),
    }),
    # ================================================================ Residual
    ("residual_no_shortcut_projection", R, '''
class Residual(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + x)
''', {
        # Residual(3, 6, stride=2) on 7x8 images: the sum meets widths 4 and 8
        "Residual.output_shapes":
            (E, ("raised RuntimeError: The size of tensor a (4) must match the size of "
                 "tensor b (8) at non-singleton dimension 3", ", in forward)")),
        "Residual.matches_reference":
            (F, "Residual(2, 4, stride=2) has 2 3x3 and 0 1x1 convolutions and 2 batch "
                "norms; the d2l block has two 3x3 convolutions, each followed by a batch "
                "norm, and a 1x1 convolution on the shortcut exactly when the shape changes"),
    }),
    ("residual_relu_before_sum", R, '''
class Residual(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.conv3 = (nn.Conv2d(in_channels, out_channels, 1, stride=stride)
                      if in_channels != out_channels or stride != 1 else None)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        shortcut = self.conv3(x) if self.conv3 is not None else x
        return y + shortcut
''', {
        # negative outputs where the reference's final ReLU gives 0
        "Residual.matches_reference":
            (F, ("Residual(3, 3, stride=1) on x of shape (3, 3, 6, 5) in train mode: output[",
                 ": expected 0, got -")),
        "Residual.generated_blocks": (F, ("in train mode: output[", ": expected 0, got -")),
    }),
    ("residual_missing_bn2", R, '''
class Residual(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.conv3 = (nn.Conv2d(in_channels, out_channels, 1, stride=stride)
                      if in_channels != out_channels or stride != 1 else None)
        self.bn1 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.conv2(y)
        shortcut = self.conv3(x) if self.conv3 is not None else x
        return F.relu(y + shortcut)
''', {
        "Residual.matches_reference":
            (F, "Residual(3, 3, stride=1) has 2 3x3 and 0 1x1 convolutions and 1 batch "
                "norms; the d2l block has two 3x3 convolutions, each followed by a batch norm"),
    }),
    ("residual_shortcut_without_stride", R, '''
class Residual(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.conv3 = (nn.Conv2d(in_channels, out_channels, 1)
                      if in_channels != out_channels or stride != 1 else None)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        shortcut = self.conv3(x) if self.conv3 is not None else x
        return F.relu(y + shortcut)
''', {
        # the shortcut keeps the full width: stride 2 halves only the main path
        "Residual.output_shapes":
            (E, ("raised RuntimeError: The size of tensor a (4) must match the size of "
                 "tensor b (8) at non-singleton dimension 3", ", in forward)")),
        "Residual.matches_reference":
            (E, ("raised RuntimeError: The size of tensor a (3) must match the size of "
                 "tensor b (5) at non-singleton dimension 3", ", in forward)")),
    }),
    # ================================================================ random_crop
    ("random_crop_wraps_around", RC, '''
def random_crop(x, padding, generator):
    N = x.shape[0]
    offsets = torch.randint(-padding, padding + 1, (N, 2), generator=generator)
    out = torch.empty_like(x)
    for n in range(N):
        out[n] = torch.roll(x[n], (int(offsets[n, 0]), int(offsets[n, 1])), dims=(1, 2))
    return out
''', {
        "random_crop.shifted_copy_with_zero_fill":
            (F, ("is not x[", "zero-padded by 2 and cropped back to 6x7 at an offset in 0..4; "
                 "it wraps around (torch.roll): pad with zeros instead (F.pad), then crop")),
    }),
    ("random_crop_ignores_generator", RC, '''
def random_crop(x, padding, generator):
    N, C, H, W = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    offsets = torch.randint(0, 2 * padding + 1, (N, 2))
    out = torch.empty_like(x)
    for n in range(N):
        dy, dx = int(offsets[n, 0]), int(offsets[n, 1])
        out[n] = padded[n, :, dy:dy + H, dx:dx + W]
    return out
''', {
        "random_crop.same_generator_same_crops":
            (F, "random_crop gave other crops for a generator seeded the same (only the "
                "global RNG differed): draw the offsets from generator"),
    }),
    ("random_crop_offset_range_off_by_one", RC, '''
def random_crop(x, padding, generator):
    N, C, H, W = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    offsets = torch.randint(0, 2 * padding, (N, 2), generator=generator)
    out = torch.empty_like(x)
    for n in range(N):
        dy, dx = int(offsets[n, 0]), int(offsets[n, 1])
        out[n] = padded[n, :, dy:dy + H, dx:dx + W]
    return out
''', {
        # every crop is a right window: only the hidden coverage test sees the range
        "random_crop.offsets_cover_the_range":
            (F, "random_crop with padding 2: over 300 images the offset dy took only the "
                "values [0, 1, 2, 3]; draw it uniformly in 0..4 (torch.randint's upper bound "
                "is exclusive: 2 * padding + 1)"),
    }),
    ("random_crop_one_offset_per_batch", RC, '''
def random_crop(x, padding, generator):
    N, C, H, W = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    dy, dx = (int(v) for v in torch.randint(0, 2 * padding + 1, (2,), generator=generator))
    return padded[:, :, dy:dy + H, dx:dx + W]
''', {
        "random_crop.shifted_copy_with_zero_fill":
            (F, ("random_crop(x, 2, generator): all 12 images were cropped at the same "
                 "offset (dy, dx) = (", "): draw an offset for each image")),
    }),
    ("random_crop_in_place", RC, '''
def random_crop(x, padding, generator):
    N, C, H, W = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    offsets = torch.randint(0, 2 * padding + 1, (N, 2), generator=generator)
    for n in range(N):
        dy, dx = int(offsets[n, 0]), int(offsets[n, 1])
        x[n] = padded[n, :, dy:dy + H, dx:dx + W]
    return x
''', {
        "random_crop.input_unchanged":
            (F, "random_crop modified its input x: build the crops in a new tensor"),
    }),
]

# Graded with the hidden tests too: the bug shows only there, or the case stands for a
# hidden test in test_every_test_catches_a_bug.  The others: visible tests only.
WITH_HIDDEN = {
    "build_cnn_softmax_output",             # build_cnn.trains_on_digits
    "train_no_zero_grad",                   # train_one_epoch.trains_a_cnn
    "residual_relu_before_sum",             # Residual.generated_blocks
    "random_crop_offset_range_off_by_one",  # random_crop.offsets_cover_the_range
}

# Correct answers in other styles: full marks on every (visible) test of their function.
CORRECT_STYLES = [
    # correct: a final log-softmax gives logits of the same probabilities (cross-entropy
    # is unchanged on them), as PyTorch's MNIST example does
    ("build_cnn_log_softmax_output_is_correct", BC, '''
def build_cnn(in_channels, num_classes):
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(),
        nn.Linear(64 * 2 * 2, 128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, num_classes), nn.LogSoftmax(dim=1))
'''),
    ("evaluate_float32_tensor_accuracy", EV, '''
def evaluate(model, loader, device):
    model.eval()
    correct, total = 0.0, 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            correct += (model(X).argmax(dim=1) == y).float().sum()
            total += y.size(0)
    return (correct / total).item()         # float32: 13/21 up to float32 rounding
'''),
    ("train_one_epoch_calls_model_forward", T, '''
def train_one_epoch(model, loader, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model.forward(X), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
'''),
    ("evaluate_calls_model_forward", EV, '''
def evaluate(model, loader, device):
    model.eval()
    correct, count = 0, 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            correct += int((model.forward(X).argmax(dim=1) == y).sum())
            count += len(y)
    return correct / count
'''),
    ("residual_parts_registered_in_another_order", "Residual", '''
class Residual(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.bn2 = nn.BatchNorm2d(out_channels)          # registered before bn1 and conv1
        self.second = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.first = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.shortcut = (nn.Conv2d(in_channels, out_channels, 1, stride=stride)
                         if in_channels != out_channels or stride != 1 else None)

    def forward(self, x):
        y = self.bn2(self.second(F.relu(self.bn1(self.first(x)))))
        return F.relu(y + (self.shortcut(x) if self.shortcut is not None else x))
'''),
]


# ------------------------------------------------------------------ grading
def _jobs():
    """{key: (source, only, hidden)} for every case, correct style and the solution."""
    jobs = {c[0]: (with_replacement(A, c[2]), (c[1],), c[0] in WITH_HIDDEN) for c in CASES}
    jobs.update({c[0]: (with_replacement(A, c[2]), (c[1],), False) for c in CORRECT_STYLES})
    jobs[CORRECT] = (solution_source(A), (), True)
    return jobs


def _grade(job):
    source, only, hidden = job
    return grade_source(source, A, only=only, hidden=hidden)


def _selected(items):
    """The keys this session's items of this module need."""
    me = sys.modules[__name__]
    keys = set()
    for item in items:
        if getattr(item, "module", None) is not me:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "case_id" in params:
            keys.add(params["case_id"])
        elif getattr(item, "originalname", None) == "test_correct_solution_full_marks":
            keys.add(CORRECT)
    return keys


@pytest.fixture(scope="module")
def graded(request):
    """graded(key) -> (results, report).  Without xdist every selected case is graded
    up front, JOBS at a time, the slow ones (hidden training runs) first; under xdist
    each case when its test asks for it."""
    jobs = _jobs()
    registry.load(A)                      # loaded once, before any thread needs it
    under_xdist = hasattr(request.config, "workerinput")
    executor = ThreadPoolExecutor(max_workers=1 if under_xdist else JOBS)
    futures = {}
    if not under_xdist:
        slow_first = sorted(_selected(request.session.items),
                            key=lambda k: (not jobs[k][2], k))
        futures = {key: executor.submit(_grade, jobs[key]) for key in slow_first}

    def get(key):
        if key not in futures:
            futures[key] = executor.submit(_grade, jobs[key])
        return futures[key].result()
    yield get
    executor.shutdown(wait=True, cancel_futures=True)


def _tests_of(function, hidden=True):
    return [t for t in registry.load(A).tests
            if t.function == function and (hidden or not t.hidden)]


def _substrings(feedback):
    return (feedback,) if isinstance(feedback, str) else feedback


def _no_grader_error(results):
    crashed = {n: r.feedback for n, r in results.items() if GRADER_BUG in r.feedback}
    assert crashed == {}, "a check crashed: %s" % crashed


# ------------------------------------------------------------------ tests
@pytest.mark.parametrize("case_id,function,source,expected", CASES, ids=[c[0] for c in CASES])
def test_buggy_answer_loses_points(graded, case_id, function, source, expected):
    results, report = graded(case_id)
    _no_grader_error(results)
    assert set(results) == {t.name for t in _tests_of(function, case_id in WITH_HIDDEN)}
    gated = {name for name, r in results.items() if withheld_by_gate(r)}
    lost = {name for name, r in results.items() if r.status != "passed"} - gated
    assert lost == set(expected), "failing tests: %s" % {
        n: (results[n].status, results[n].feedback) for n in lost}
    for name in gated:           # withheld only because a value test of the function failed
        assert results[name].score == 0 and lost, name
    for name, (status, feedback) in expected.items():
        result = results[name]
        assert result.status == status, "%s: %s (%s)" % (name, result.status, result.feedback)
        assert result.score == 0
        for part in _substrings(feedback):
            assert part in result.feedback, "feedback of %s: %r" % (name, result.feedback)
    for name in set(results) - lost - gated:
        assert results[name].score == results[name].max_score, name
    assert report.score < report.max_score


@pytest.mark.parametrize("case_id,function,source", CORRECT_STYLES,
                         ids=[c[0] for c in CORRECT_STYLES])
def test_correct_style_keeps_full_marks(graded, case_id, function, source):
    results, report = graded(case_id)
    assert set(results) == {t.name for t in _tests_of(function, hidden=False)}
    lost = {n: (r.status, r.feedback) for n, r in results.items()
            if r.status != "passed" or r.score != r.max_score}
    assert lost == {}
    assert report.score == report.max_score > 0


def test_correct_solution_full_marks(graded):
    results, report = graded(CORRECT)
    assert set(results) == {t.name for t in registry.load(A).tests}    # hidden ones too
    lost = {n: (r.status, r.feedback) for n, r in results.items()
            if r.status != "passed" or r.score != r.max_score}
    assert lost == {}
    assert report.score == report.max_score > 0


def test_corpus_is_well_formed():
    assert len(CASES) >= 20
    ids = [c[0] for c in CASES] + [c[0] for c in CORRECT_STYLES]
    assert len(ids) == len(set(ids))
    assert WITH_HIDDEN <= {c[0] for c in CASES}
    tests = {t.name: t for t in registry.load(A).tests}
    for case_id, function, source, expected in CASES:
        assert function in registry.load(A).functions, case_id
        assert expected, case_id
        for name, (status, feedback) in expected.items():
            assert name.startswith(function + "."), (case_id, name)
            assert name in tests, (case_id, name)
            assert status in (F, E) and all(_substrings(feedback)), (case_id, name)
            if tests[name].hidden:           # a hidden test is only seen with hidden tests
                assert case_id in WITH_HIDDEN, (case_id, name)
    for case_id, function, source in CORRECT_STYLES:
        assert function in registry.load(A).functions, case_id


def test_every_test_catches_a_bug():
    caught = {name for c in CASES for name in c[3]}
    declared = {t.name for t in registry.load(A).tests}
    assert declared - caught == set(), "tests no buggy answer exercises"
    assert caught <= declared
    # the two training runs are exercised by a case graded with the hidden tests
    for name in ("build_cnn.trains_on_digits", "train_one_epoch.trains_a_cnn"):
        assert any(name in c[3] and c[0] in WITH_HIDDEN for c in CASES), name
