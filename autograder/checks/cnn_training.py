"""Checks of the cnn_training assignment (catalog: SPEC.md, "cnn_training (PyTorch)").

The student's modules live in the worker, and so does PyTorch: the judge never imports
student code nor unpickles a student object.  Each check sends plain arrays to a small
helper defined in the worker (``HELPERS``, plain scaffolding, not secret), which builds
what the check needs around the student's function (a tiny judge model, a loader of
batches of unequal size, an optimizer that records its steps, forward hooks that
record the mode, a patched ``Tensor.to`` that records the moves) and sends back plain
data: numbers, arrays, lists, dicts.  The judge decides.  Held-out labels of the
end-to-end runs never enter the worker: it returns logits, the judge scores them.

Everything runs on the CPU here; on a CUDA machine the same helpers run on whatever
``pick_device`` gives.  Seeds are fixed; thresholds of the training runs have margins
measured over 20 seeds (see ``TRAIN_THRESHOLD``).
"""
import numpy as np

# BEGIN HIDDEN TESTS
from ..data import load_digits_split
# END HIDDEN TESTS
from ..compare import check_array, describe, fmt
from ..context import Helper, StudentFn
from ..errors import CheckFailed
from ..registry import CONSISTENCY, STRUCTURE, Assignment

ASSIGNMENT = Assignment("cnn_training", "Training a CNN in PyTorch (GPU when there is one)")
ASSIGNMENT.function("pick_device", ())
ASSIGNMENT.function("build_cnn", ("in_channels", "num_classes"))
ASSIGNMENT.function("train_one_epoch", ("model", "loader", "optimizer", "device"))
ASSIGNMENT.function("evaluate", ("model", "loader", "device"))
ASSIGNMENT.function("Residual", ("in_channels", "out_channels", "stride"))
ASSIGNMENT.function("random_crop", ("x", "padding", "generator"))

LOSS_RTOL = 1e-4          # float32 losses and gradients, recomputed the same way
MAX_PARAMS = 2_000_000    # a bounded model: grading trains it on the CPU
ACCURACY_RTOL = 1e-6      # float32 rounding of an accuracy is ~6e-8

HELPERS = r'''
import numpy as _np


class _Seeded:
    """torch seeded for the block, the caller's RNG state restored after it (a check
    cell must not disturb the student's kernel)."""

    def __init__(self, seed):
        self.seed = seed

    def __enter__(self):
        import torch
        self.state = torch.get_rng_state()
        torch.manual_seed(self.seed)

    def __exit__(self, *exc):
        import torch
        torch.set_rng_state(self.state)
        return False


def _np64(t):
    return t.detach().cpu().double().numpy()


def _number(value):
    """A returned scalar (float, NumPy scalar, one-element tensor) as a float, else the
    name of its type."""
    try:
        return float(value.detach() if hasattr(value, "detach") else value)
    except Exception:  # noqa: BLE001 - whatever the student returned
        return repr(type(value))


def device_when(pick_device, available):
    """The device type pick_device() gives while CUDA is (not) available."""
    import torch
    saved = torch.cuda.is_available, torch.cuda.device_count
    torch.cuda.is_available = lambda: available
    torch.cuda.device_count = lambda: 1 if available else 0
    try:
        device = pick_device()
    finally:
        torch.cuda.is_available, torch.cuda.device_count = saved
    return torch.device(device).type


def cnn_info(build_cnn, in_channels, num_classes, X, seed):
    """Logits in eval mode of a model built under a seed, and its make-up."""
    import torch
    with _Seeded(seed):
        model = build_cnn(in_channels, num_classes)
    if not isinstance(model, torch.nn.Module):
        return {"module": False, "type": type(model).__name__}
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(X, dtype=torch.float32))
    return {"module": True, "logits": _np64(logits),
            "convs": sum(isinstance(m, torch.nn.Conv2d) for m in model.modules()),
            "params": int(sum(p.numel() for p in model.parameters()))}


def _record_forward(model, record):
    """Call ``record(model, x, out)`` on every forward pass, whether the loop calls
    ``model(x)`` or ``model.forward(x)`` (a forward hook would miss the latter)."""
    original = model.forward

    def forward(x, *args, **kwargs):
        out = original(x, *args, **kwargs)
        record(model, x, out)
        return out
    model.forward = forward


def _tiny_model(dropout=False):
    """The judge's own small model for the loop checks (a linear net: no answer to
    build_cnn), deterministic unless dropout is asked for."""
    import torch
    from torch import nn
    layers = [nn.Flatten(), nn.Linear(64, 16)]
    if dropout:
        layers += [nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5)]
    else:
        layers += [nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(16, 10))


def _batches(X, y, sizes):
    import torch
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.long)
    out, start = [], 0
    for n in sizes:
        out.append((X[start:start + n], y[start:start + n]))
        start += n
    return out


class _Moves:
    """Records which tensors ``.to(...)`` was called on, and for which device."""

    def __enter__(self):
        import torch
        self.moved, self.original = {}, torch.Tensor.to
        original, moved = self.original, self.moved

        def to(tensor, *args, **kwargs):
            try:
                device = torch._C._nn._parse_to(*args, **kwargs)[0]
            except Exception:  # noqa: BLE001 - let the real call raise
                device = None
            if device is not None:
                moved.setdefault(id(tensor), set()).add(torch.device(device).type)
            return original(tensor, *args, **kwargs)
        torch.Tensor.to = to
        return self

    def __exit__(self, *exc):
        import torch
        torch.Tensor.to = self.original
        return False


def train_record(train_one_epoch, X, y, sizes, seed, lr):
    """One epoch of the student's loop over batches of ``sizes`` on the judge's tiny
    model with a recording SGD: what it returned and what it did."""
    import torch
    import torch.nn.functional as F
    with _Seeded(seed):
        model = _tiny_model()
    model.eval()                                  # the loop must switch to train mode
    start = {k: v.clone() for k, v in model.state_dict().items()}
    forwards = []
    _record_forward(model, lambda m, x, out: forwards.append(
        (x.detach().clone(), out.detach().clone(), m.training)))
    steps = []

    class RecordingSGD(torch.optim.SGD):
        def step(self, closure=None):
            steps.append(({k: v.detach().clone() for k, v in model.state_dict().items()},
                          [None if p.grad is None else p.grad.detach().clone()
                           for p in model.parameters()]))
            return super().step(closure)

    optimizer = RecordingSGD(model.parameters(), lr=lr)
    batches = _batches(X, y, sizes)
    with _Moves() as moves:
        returned = train_one_epoch(model, batches, optimizer, torch.device("cpu"))
    # the loss of each batch, from the first forward pass the loop made on it
    losses = []
    for bx, by in batches:
        found = [out for inp, out, _ in forwards if inp.shape == bx.shape and torch.equal(inp, bx)]
        losses.append(float(F.cross_entropy(found[0], by)) if found else None)
    # the gradient each step should have used: of its batch's mean loss, at the
    # parameters the step started from
    grad_errors = []
    for k, (state, grads) in enumerate(steps[:len(batches)]):
        probe = _tiny_model()
        probe.load_state_dict(state)
        probe.train()
        bx, by = batches[k]
        loss = F.cross_entropy(probe(bx), by)
        expected = torch.autograd.grad(loss, list(probe.parameters()))
        ratios, worst = [], 0.0
        for g, e in zip(grads, expected):
            if g is None:
                worst = float("inf")
                continue
            worst = max(worst, float((g - e).abs().max() / (e.abs().max() + 1e-12)))
            ratios.append(float((g * e).sum() / ((e * e).sum() + 1e-30)))
        grad_errors.append({"error": worst, "ratio": float(_np.median(ratios)) if ratios else 0.0})
    end = model.state_dict()
    return {
        "returned": _number(returned),
        "losses": losses, "sizes": list(sizes), "steps": len(steps),
        "grad_errors": grad_errors,
        "modes": [mode for _, _, mode in forwards],
        "moved": [sorted(moves.moved.get(id(bx), ())) for bx, _ in batches],
        "moved_y": [sorted(moves.moved.get(id(by), ())) for _, by in batches],
        "changed": any(not torch.equal(start[k], end[k]) for k in start),
    }


def evaluate_predictions(X, seed):
    """The eval-mode predictions of the judge's tiny model with dropout and batch norm
    (its running statistics warmed up), built under ``seed``."""
    import torch
    model = _eval_model(seed)
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float32)).argmax(dim=1).numpy()


def _eval_model(seed):
    import torch
    with _Seeded(seed):
        model = _tiny_model(dropout=True)
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(torch.randn(32, 64) * 2 + 0.5)
    return model


def evaluate_record(evaluate, X, y, sizes, seed):
    """The student's evaluate twice on the judge's model left in train mode, with
    what it did to the model."""
    import torch
    model = _eval_model(seed)
    model.train()                                 # evaluate must switch to eval mode
    before = {k: v.clone() for k, v in model.state_dict().items()}
    calls = []
    _record_forward(model, lambda m, x, out: calls.append((m.training,
                                                           torch.is_grad_enabled())))
    batches = _batches(X, y, sizes)
    first = evaluate(model, batches, torch.device("cpu"))
    again = evaluate(model, batches, torch.device("cpu"))
    after = model.state_dict()

    return {"first": _number(first), "again": _number(again),
            "modes": [m for m, _ in calls], "grad": [g for _, g in calls],
            "changed": sorted(k for k in before if not torch.equal(before[k], after[k]))}


def residual_structure(Residual, cin, cout, stride):
    """The block's convolutions (kernel, stride, has a bias) and batch norms, in order."""
    import torch
    block = Residual(cin, cout, stride)
    convs = [m for m in block.modules() if isinstance(m, torch.nn.Conv2d)]
    return {"convs": [[list(m.weight.shape), list(m.stride), m.bias is not None]
                      for m in convs],
            "bns": sum(isinstance(m, torch.nn.BatchNorm2d) for m in block.modules())}


def residual_run(Residual, cin, cout, stride, X, weights, train):
    """The block's outputs with the judge's weights, one per way of naming its parts:
    its 3x3 convolutions take conv1 and conv2 and its batch norms bn1 and bn2 in either
    order (the order a block registers them in is its own business), a 1x1 one conv3.
    The first output is for the order of registration."""
    import itertools

    import torch
    block = Residual(cin, cout, stride).double()
    convs = [m for m in block.modules() if isinstance(m, torch.nn.Conv2d)]
    bns = [m for m in block.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    three = [m for m in convs if m.kernel_size == (3, 3)]
    one = [m for m in convs if m.kernel_size == (1, 1)]
    block.train(bool(train))
    outputs = []
    for conv_order, bn_order in itertools.product(itertools.permutations(three),
                                                  itertools.permutations(bns)):
        named = dict(zip(("conv1", "conv2"), conv_order))
        named.update(dict(zip(("conv3",), one)))
        named.update(dict(zip(("bn1", "bn2"), bn_order)))
        with torch.no_grad():
            for key, value in weights.items():
                owner, attr = key.split(".")
                target = getattr(named.get(owner), attr, None)
                if target is None:
                    continue
                if tuple(target.shape) != tuple(_np.shape(value)):
                    break       # this naming does not fit the block's shapes
                target.copy_(torch.as_tensor(value))
            else:
                outputs.append(_np64(block(torch.as_tensor(X, dtype=torch.float64))))
    return outputs


def residual_shape(Residual, cin, cout, stride, X):
    import torch
    block = Residual(cin, cout, stride)
    with torch.no_grad():
        return list(block(torch.as_tensor(X, dtype=torch.float32)).shape)


def crop(random_crop, X, padding, seed, global_seed):
    """random_crop on X with a generator seeded ``seed`` (the global RNG seeded
    ``global_seed``): the crops, and whether X came back unchanged."""
    import torch
    x = torch.as_tensor(X, dtype=torch.float64).clone()
    before = x.clone()
    with _Seeded(global_seed):
        out = random_crop(x, padding, torch.Generator().manual_seed(seed))
    return {"out": _np64(torch.as_tensor(out)), "unchanged": bool(torch.equal(x, before))}
'''


# ------------------------------------------------------------------ helpers (judge)
def _helper(t, name, label=None):
    """The worker-side helper ``name``; feedback names it as ``label`` (the student's
    function it drives), e.g. "build_cnn raised RuntimeError: ..."."""
    t.define(HELPERS)
    return Helper(name, label)


def _digits(rng, n):
    """n images (n, 1, 8, 8) in [0, 1] with labels: judge-made blobs, distinct per class."""
    y = rng.integers(0, 10, size=n)
    centres = np.random.default_rng(1234).uniform(0, 1, (10, 64))
    X = np.clip(centres[y] + 0.15 * rng.standard_normal((n, 64)), 0, 1)
    return X.reshape(n, 1, 8, 8), y


# ------------------------------------------------------------------ pick_device
@ASSIGNMENT.test("pick_device", points=2)
def follows_cuda(t):
    """cuda when torch.cuda.is_available() says so, cpu otherwise (both answers tried)."""
    for available, expected in ((True, "cuda"), (False, "cpu")):
        got = t.call(_helper(t, "device_when", "pick_device"), StudentFn("pick_device"),
                     available)
        if got != expected:
            raise CheckFailed("pick_device() gives a %s device while torch.cuda.is_available() "
                              "is %s; expected torch.device(%r)" % (got, available, expected))


# ------------------------------------------------------------------ build_cnn
def _cnn(t, in_channels, num_classes, N, size, seed=0):
    X = t.rng.uniform(0, 1, (N, in_channels, size, size))
    info = t.call(_helper(t, "cnn_info", "build_cnn"), StudentFn("build_cnn"), in_channels,
                  num_classes,
                  X, seed)
    label = "build_cnn(%d, %d)" % (in_channels, num_classes)
    if not info.get("module"):
        raise CheckFailed("%s returned a %s, not an nn.Module" % (label, info.get("type")))
    return info, X, label


@ASSIGNMENT.test("build_cnn", points=2)
def logits_shape(t):
    """Logits (N, num_classes) for 8x8 and larger inputs, 1 or 3 channels."""
    for in_channels, num_classes, size in ((1, 10, 8), (3, 4, 12), (1, 7, 16)):
        info, X, label = _cnn(t, in_channels, num_classes, 3, size)
        got = info["logits"]
        if got.shape != (3, num_classes):
            raise CheckFailed("%s on x of shape %s: logits of shape %s, expected %s"
                              % (label, X.shape, got.shape, (3, num_classes)))
        if not np.all(np.isfinite(got)):
            raise CheckFailed("%s on x of shape %s: logits are not finite" % (label, X.shape))


@ASSIGNMENT.test("build_cnn", points=1)
def has_convolution(t):
    """At least one nn.Conv2d, and at most 2 million parameters (a model the grader
    can train on a CPU)."""
    info, _, label = _cnn(t, 1, 10, 2, 8)
    if info["convs"] < 1:
        raise CheckFailed("%s has no nn.Conv2d layer: a CNN needs at least one convolution"
                          % label)
    if info["params"] > MAX_PARAMS:
        raise CheckFailed("%s has %d parameters; keep it under %d" % (label, info["params"],
                                                                      MAX_PARAMS))


PROBABILITY_ATOL = 1e-4   # float32 rows of a softmax sum to 1 within ~1e-6


@ASSIGNMENT.test("build_cnn", points=1, name="returns_logits")
def returns_logits(t):
    """The outputs are logits, not probabilities: no final softmax (F.cross_entropy /
    nn.CrossEntropyLoss applies log-softmax itself).  A final log-softmax is accepted:
    its outputs are logits of the same probabilities, and cross-entropy gives the same
    loss on them (PyTorch's own MNIST example ends so)."""
    info, X, label = _cnn(t, 1, 10, 6, 8)
    z = info["logits"]
    if not isinstance(z, np.ndarray) or z.shape != (6, 10) or not np.all(np.isfinite(z)):
        raise CheckFailed("%s on x of shape %s: expected finite logits of shape (6, 10), got %s"
                          % (label, X.shape, "values that are not finite"
                             if isinstance(z, np.ndarray) and z.shape == (6, 10)
                             else describe(z)))
    fix = ("return the last layer's raw scores (logits): F.cross_entropy and "
           "nn.CrossEntropyLoss apply log-softmax themselves")
    if np.all(z >= -PROBABILITY_ATOL) and \
            np.allclose(z.sum(axis=1), 1.0, rtol=0, atol=PROBABILITY_ATOL):
        raise CheckFailed("%s returns probabilities: on x of shape %s every row of its output "
                          "is in [0, 1] and sums to 1 (a final nn.Softmax or F.softmax); %s"
                          % (label, X.shape, fix))


@ASSIGNMENT.test("build_cnn", points=1, kind=CONSISTENCY)
def deterministic_under_seed(t):
    """Built twice under the same torch.manual_seed, the model gives the same logits;
    under another seed, other logits (its weights are drawn from torch's generator)."""
    X = t.rng.uniform(0, 1, (4, 1, 8, 8))
    helper = _helper(t, "cnn_info", "build_cnn")
    first, again, other = (t.call(helper, StudentFn("build_cnn"), 1, 10, X, seed)
                           for seed in (5, 5, 6))
    check_array("build_cnn(1, 10) logits, built again under torch.manual_seed(5)",
                again.get("logits"), first.get("logits"), rtol=0, atol=0)
    if np.array_equal(first.get("logits"), other.get("logits")):
        raise CheckFailed("build_cnn(1, 10) gives the same logits under seeds 5 and 6: draw "
                          "the initial weights from torch's generator (the default layers do)")


# ------------------------------------------------------------------ train_one_epoch
SIZES = (8, 8, 3)         # unequal batches: a mean of batch means is not the mean


def _train(t, sizes=SIZES):
    X, y = _digits(t.rng, sum(sizes))
    return t.call(_helper(t, "train_record", "train_one_epoch"), StudentFn("train_one_epoch"),
                  X, y,
                  list(sizes), int(t.rng.integers(2**31)), 0.1)


@ASSIGNMENT.test("train_one_epoch", points=2)
def one_step_per_batch(t):
    """One optimizer step per batch (here 3 batches), and the parameters change."""
    record = _train(t)
    n = len(record["sizes"])
    if record["steps"] != n:
        raise CheckFailed("train_one_epoch made %d optimizer steps over %d batches: call "
                          "optimizer.step() once per batch" % (record["steps"], n))
    if not record["changed"]:
        raise CheckFailed("train_one_epoch left the model's parameters unchanged")


@ASSIGNMENT.test("train_one_epoch", points=2)
def each_step_uses_its_batch_gradient(t):
    """Each step uses the gradient of its own batch's mean cross-entropy, at the
    parameters it starts from (gradients zeroed before each backward, mean not sum)."""
    record = _train(t)
    for k, entry in enumerate(record["grad_errors"]):
        if entry["error"] <= LOSS_RTOL:
            continue
        n = record["sizes"][k]
        hint = ""
        if abs(entry["ratio"] - n) < 0.05 * n:
            hint = ("; it is %d times too large, the batch size: use the batch's mean loss "
                    "(F.cross_entropy's default reduction), not the sum" % n)
        elif k > 0:
            hint = ("; gradients accumulate across batches: call optimizer.zero_grad() "
                    "before each backward()")
        raise CheckFailed("train_one_epoch: the gradient used by step %d is not that of "
                          "batch %d's mean cross-entropy (largest relative difference %s)%s"
                          % (k + 1, k + 1, fmt(entry["error"]), hint))
    if len(record["grad_errors"]) < len(record["sizes"]):
        raise CheckFailed("train_one_epoch made %d optimizer steps over %d batches"
                          % (record["steps"], len(record["sizes"])))


@ASSIGNMENT.test("train_one_epoch", points=2)
def returns_mean_loss(t):
    """It returns the mean cross-entropy over the epoch's examples: batches of 8, 8 and
    3 examples weighted by their size."""
    record = _train(t)
    losses, sizes = record["losses"], record["sizes"]
    if any(v is None for v in losses):
        raise CheckFailed("train_one_epoch did not run the model on every batch as given")
    returned = record["returned"]
    if not isinstance(returned, float):
        raise CheckFailed("train_one_epoch returned %s, expected the mean loss as a number"
                          % returned)
    expected = float(np.dot(losses, sizes) / np.sum(sizes))
    if abs(returned - expected) <= LOSS_RTOL * max(1.0, abs(expected)):
        return
    wrong = {"the mean of the batch means (batches of unequal size weigh the same)":
             float(np.mean(losses)),
             "the sum of the batch losses": float(np.sum(losses)),
             "the sum over examples (not divided by their number)":
             float(np.dot(losses, sizes)),
             "the last batch's loss": losses[-1]}
    hint = next(("; that is %s" % what for what, value in wrong.items()
                 if abs(returned - value) <= LOSS_RTOL * max(1.0, abs(value))), "")
    raise CheckFailed("train_one_epoch returned %s, expected %s, the mean loss over the "
                      "epoch's %d examples (sum of loss * batch size / examples)%s"
                      % (fmt(returned), fmt(expected), int(np.sum(sizes)), hint))


@ASSIGNMENT.test("train_one_epoch", points=1)
def sets_train_mode(t):
    """The model is in train mode for every forward pass (given in eval mode)."""
    record = _train(t)
    if not record["modes"] or not all(record["modes"]):
        raise CheckFailed("train_one_epoch ran the model in eval mode (it was handed over in "
                          "eval mode): call model.train() first")


@ASSIGNMENT.test("train_one_epoch", points=1)
def moves_batches_to_device(t):
    """Each batch's inputs and labels are moved with .to(device)."""
    record = _train(t)
    for k, (moved_x, moved_y) in enumerate(zip(record["moved"], record["moved_y"])):
        for what, moved in (("inputs", moved_x), ("labels", moved_y)):
            if "cpu" not in moved:
                raise CheckFailed("train_one_epoch did not move batch %d's %s to the device "
                                  "(X, y = X.to(device), y.to(device)): on a GPU the model "
                                  "and the data would be on different devices" % (k + 1, what))


# ------------------------------------------------------------------ evaluate
EVAL_SIZES = (8, 8, 5)    # a partial last batch; batch accuracies 8/8, 4/8, 1/5


def _evaluate(t):
    X = t.rng.uniform(-1, 1, (sum(EVAL_SIZES), 64)).reshape(-1, 1, 8, 8)
    seed = int(t.rng.integers(2**31))
    predicted = np.asarray(t.call(_helper(t, "evaluate_predictions"), X, seed))
    y, start = predicted.copy(), 0
    for size, right in zip(EVAL_SIZES, (8, 4, 1)):
        y[start + right:start + size] = (predicted[start + right:start + size] + 1) % 10
        start += size
    record = t.call(_helper(t, "evaluate_record", "evaluate"), StudentFn("evaluate"), X, y,
                    list(EVAL_SIZES), seed)
    return record, 13 / 21


def _near(got, value):
    """Equal up to float32 rounding (an accuracy computed in float32 is fine)."""
    return abs(got - value) <= ACCURACY_RTOL * max(1.0, abs(value))


@ASSIGNMENT.test("evaluate", points=2)
def accuracy_over_examples(t):
    """The accuracy is right examples / all examples (13 of 21 here; batches of 8, 8 and
    a partial 5 with 8, 4 and 1 right), in eval mode."""
    record, expected = _evaluate(t)
    got = record["first"]
    if not isinstance(got, float):
        raise CheckFailed("evaluate returned %s, expected the accuracy as a number" % got)
    if _near(got, expected):
        return
    hint = ""
    if _near(got, np.mean([8 / 8, 4 / 8, 1 / 5])):
        hint = "; that is the mean of the batch accuracies: count right examples over all"
    elif _near(got, 13):
        hint = "; that is the count of right examples: divide by the number of examples"
    elif _near(got, 100 * expected):
        hint = "; that is a percentage: return a fraction in [0, 1]"
    raise CheckFailed("evaluate returned %s, expected %s (13 right of 21)%s"
                      % (fmt(got), fmt(expected), hint))


@ASSIGNMENT.test("evaluate", points=2)
def eval_mode(t):
    """Every forward pass in eval mode (dropout off, batch-norm running statistics), so
    that two calls agree (the model is handed over in train mode)."""
    record, _ = _evaluate(t)
    if not record["modes"] or any(record["modes"]):
        raise CheckFailed("evaluate ran the model in train mode (dropout on, batch "
                          "statistics): call model.eval() first")
    if record["first"] != record["again"]:
        raise CheckFailed("evaluate gave %s, then %s on the same model and data"
                          % (record["first"], record["again"]))


@ASSIGNMENT.test("evaluate", points=2, kind=CONSISTENCY)
def leaves_the_model_unchanged(t):
    """No parameter or buffer changes (batch-norm running statistics included)."""
    record, _ = _evaluate(t)
    if record["changed"]:
        raise CheckFailed("evaluate changed the model's %s: evaluation must not update "
                          "anything (model.eval() keeps batch norm's running statistics)"
                          % ", ".join(record["changed"]))


@ASSIGNMENT.test("evaluate", points=1, kind=CONSISTENCY)
def no_gradient(t):
    """The forward passes run without building a graph (torch.no_grad())."""
    record, _ = _evaluate(t)
    if any(record["grad"]):
        raise CheckFailed("evaluate ran the model with gradients enabled: wrap the loop in "
                          "torch.no_grad() (no graph is needed, and it costs memory)")


# ------------------------------------------------------------------ Residual
def _residual_weights(t, structure, cin, cout, stride):
    """Random weights for the reference's conv1, conv2, (conv3), bn1, bn2, with a
    zero bias where the student's convolution has none."""
    shapes = {"conv1": (cout, cin, 3, 3), "conv2": (cout, cout, 3, 3)}
    if cin != cout or stride != 1:
        shapes["conv3"] = (cout, cin, 1, 1)
    convs = structure["convs"]
    three = [c for c in convs if c[0][2:] == [3, 3]]
    one = [c for c in convs if c[0][2:] == [1, 1]]
    if len(three) != 2 or len(one) != ("conv3" in shapes) or structure["bns"] != 2:
        raise CheckFailed(
            "Residual(%d, %d, stride=%d) has %d 3x3 and %d 1x1 convolutions and %d batch "
            "norms; the d2l block has two 3x3 convolutions, each followed by a batch norm, "
            "and a 1x1 convolution on the shortcut exactly when the shape changes"
            % (cin, cout, stride, len(three), len(one), structure["bns"]))
    biases = dict(zip(("conv1", "conv2"), [c[2] for c in three]))
    biases.update(dict(zip(("conv3",), [c[2] for c in one])))
    weights = {}
    for name, shape in shapes.items():
        weights[name + ".weight"] = t.rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))
        weights[name + ".bias"] = (0.3 * t.rng.standard_normal(shape[0]) if biases[name]
                                   else np.zeros(shape[0]))
    for name in ("bn1", "bn2"):
        weights[name + ".weight"] = t.rng.uniform(0.5, 1.5, cout)
        weights[name + ".bias"] = 0.3 * t.rng.standard_normal(cout)
        weights[name + ".running_mean"] = 0.3 * t.rng.standard_normal(cout)
        weights[name + ".running_var"] = t.rng.uniform(0.5, 1.5, cout)
    return weights


@ASSIGNMENT.test("Residual", points=2)
def output_shapes(t):
    """(N, out, ceil(H/stride), ceil(W/stride)) for stride 1 and 2 and a change of
    channels; odd sizes included."""
    for cin, cout, stride, H, W in ((3, 3, 1, 6, 6), (3, 6, 2, 7, 8), (4, 2, 1, 5, 5)):
        X = t.rng.standard_normal((2, cin, H, W))
        got = t.call(_helper(t, "residual_shape", "Residual"), StudentFn("Residual"), cin,
                     cout, stride, X)
        expected = [2, cout, -(-H // stride), -(-W // stride)]
        if list(got) != expected:
            raise CheckFailed("Residual(%d, %d, stride=%d) on x of shape %s gives shape %s, "
                              "expected %s" % (cin, cout, stride, X.shape, tuple(got),
                                               tuple(expected)))


@ASSIGNMENT.test("Residual", points=3)
def matches_reference(t):
    """With the same weights as the reference block, the same output in train mode
    (batch statistics) and in eval mode (running statistics): stride 1 with the
    identity shortcut, and stride 2 with a change of channels (1x1 shortcut)."""
    for cin, cout, stride in ((3, 3, 1), (2, 4, 2)):
        _check_residual(t, cin, cout, stride, 6, 5)


def _check_residual(t, cin, cout, stride, H, W):
    """The student's block with the reference's weights vs the reference, in train and
    eval mode."""
    structure = t.call(_helper(t, "residual_structure", "Residual"), StudentFn("Residual"),
                       cin, cout, stride)
    weights = _residual_weights(t, structure, cin, cout, stride)
    X = t.rng.standard_normal((3, cin, H, W))
    for train in (True, False):
        outputs = t.call(Helper("residual_run", "Residual"), StudentFn("Residual"), cin, cout,
                         stride, X, weights, train)
        expected = t.reference("residual_output", cin, cout, stride, X, weights, train)
        label = "Residual(%d, %d, stride=%d) on x of shape %s in %s mode: output" % (
            cin, cout, stride, X.shape, "train" if train else "eval")
        if not isinstance(outputs, list) or not outputs:
            raise CheckFailed("%s: its convolutions do not take the shapes of the d2l block's "
                              "conv1 (%d -> %d, 3x3, stride %d) and conv2 (%d -> %d, 3x3)"
                              % (label, cin, cout, stride, cout, cout))
        failures = []
        for got in outputs:       # any naming of its parts may be the block's own
            try:
                check_array(label, got, expected, rtol=1e-6, atol=1e-8)
                break
            except CheckFailed as exc:
                failures.append(exc)
        else:
            raise failures[0]       # as named in the order of registration


# ------------------------------------------------------------------ random_crop
def _crop(t, X, padding, seed, global_seed=0):
    record = t.call(_helper(t, "crop", "random_crop"), StudentFn("random_crop"), X, padding,
                    seed, global_seed)
    out = record["out"]
    if not isinstance(out, np.ndarray) or out.shape != X.shape:
        raise CheckFailed("random_crop(x, %d, generator) on x of shape %s returned %s, "
                          "expected the same shape" % (padding, X.shape, describe(out)))
    return record


def _offsets(X, out, padding):
    """Per image, the (dy, dx) at which out is the zero-padded image's window; None for
    an image that is no such window."""
    N, C, H, W = X.shape
    padded = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    found = []
    for n in range(N):
        hit = None
        for dy in range(2 * padding + 1):
            for dx in range(2 * padding + 1):
                if np.array_equal(out[n], padded[n, :, dy:dy + H, dx:dx + W]):
                    hit = (dy, dx)
        found.append(hit)
    return found


def _images(rng, shape):
    """Distinct non-zero values: a window of the padded image is found in one place."""
    return (rng.permutation(int(np.prod(shape))) + 1.0).reshape(shape)


@ASSIGNMENT.test("random_crop", points=2)
def shifted_copy_with_zero_fill(t):
    """Each image is its zero-padded copy cropped back to H x W at some offset in
    0..2*padding: same shape, shifted content, zeros where it moved in; the offsets
    differ from image to image."""
    X = _images(t.rng, (12, 2, 6, 7))
    out = _crop(t, X, 2, int(t.rng.integers(2**31)))["out"]
    hits = _offsets(X, out, 2)
    for n, hit in enumerate(hits):
        if hit is None:
            shifted = any(np.array_equal(out[n], np.roll(X[n], (dy, dx), axis=(1, 2)))
                          for dy in range(-2, 3) for dx in range(-2, 3))
            raise CheckFailed("random_crop(x, 2, generator): image %d is not x[%d] zero-padded "
                              "by 2 and cropped back to 6x7 at an offset in 0..4%s"
                              % (n, n, "; it wraps around (torch.roll): pad with zeros "
                                 "instead (F.pad), then crop" if shifted else ""))
    if len(set(hits)) == 1:     # 12 images at one of 25 offsets by chance: 25**-11
        raise CheckFailed("random_crop(x, 2, generator): all 12 images were cropped at the "
                          "same offset (dy, dx) = %s: draw an offset for each image"
                          % (hits[0],))


@ASSIGNMENT.test("random_crop", points=2)
def same_generator_same_crops(t):
    """The offsets come from the given generator: the same seed gives the same crops
    whatever the global RNG, another seed other crops."""
    X = _images(t.rng, (16, 1, 5, 5))
    seed = int(t.rng.integers(2**31))
    first = _crop(t, X, 1, seed, global_seed=1)["out"]
    again = _crop(t, X, 1, seed, global_seed=2)["out"]
    other = _crop(t, X, 1, seed + 1, global_seed=1)["out"]
    if not np.array_equal(first, again):
        raise CheckFailed("random_crop gave other crops for a generator seeded the same "
                          "(only the global RNG differed): draw the offsets from generator, "
                          "e.g. torch.randint(..., generator=generator)")
    if np.array_equal(first, other):
        raise CheckFailed("random_crop gave the same crops of 16 images for generators seeded "
                          "%d and %d: the offsets must be random" % (seed, seed + 1))


@ASSIGNMENT.test("random_crop", points=1, kind=STRUCTURE)
def input_unchanged(t):
    """x comes back unchanged (the crops are a new tensor)."""
    X = _images(t.rng, (4, 2, 5, 5))
    if not _crop(t, X, 1, int(t.rng.integers(2**31)))["unchanged"]:
        raise CheckFailed("random_crop modified its input x: build the crops in a new tensor")


# BEGIN HIDDEN TESTS
# ------------------------------------------------------------------ hidden
# Held-out accuracy after the fixed budget (12 epochs, Adam 3e-3, one thread). Measured
# over 20 seeds: the reference build_cnn trained by the judge's loop, min 98.5% (mean
# 99.3%); the judge's CNN trained by the reference train_one_epoch, min 99.0% (mean
# 99.5%). A 95% threshold leaves 3.5 points of margin.
TRAIN_THRESHOLD = 0.95
TRAIN_EPOCHS = 12
HIDDEN_HELPERS = r'''
def _judge_cnn():
    """The judge's own CNN for checking train_one_epoch end to end."""
    from torch import nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def _train_run(model, step_epoch, X, y, X_eval, seed, epochs, lr):
    import torch
    torch.set_num_threads(1)    # the worker's own process: graders run side by side
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.long)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(yt), generator=generator)
        batches = [(Xt[order[i:i + 64]], yt[order[i:i + 64]]) for i in range(0, len(yt), 64)]
        losses.append(float(step_epoch(model, batches, optimizer)))
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(X_eval, dtype=torch.float32))
    return {"losses": losses, "logits": logits.double().numpy()}


def train_students_cnn(build_cnn, X, y, X_eval, seed, epochs, lr):
    """The student's build_cnn trained by the judge's own loop."""
    import torch
    import torch.nn.functional as F

    def judge_epoch(model, batches, optimizer):
        model.train()
        total = 0.0
        for bx, by in batches:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(bx), by)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(by)
        return total / sum(len(by) for _, by in batches)
    with _Seeded(seed):
        return _train_run(build_cnn(1, 10), judge_epoch, X, y, X_eval, seed, epochs, lr)


def train_with_students_loop(train_one_epoch, X, y, X_eval, seed, epochs, lr):
    """The judge's CNN trained by the student's train_one_epoch."""
    import torch
    with _Seeded(seed):
        return _train_run(_judge_cnn(),
                          lambda m, b, o: train_one_epoch(m, b, o, torch.device("cpu")),
                          X, y, X_eval, seed, epochs, lr)
'''


def _split():
    data = load_digits_split(num_train=1200, num_val=200, num_test=397, seed=0)
    return (data["X_train"].reshape(-1, 1, 8, 8), data["y_train"],
            data["X_test"].reshape(-1, 1, 8, 8), data["y_test"])


def _held_out_accuracy(t, helper, fn, lr):
    """Train with the worker's helper; the accuracy on held-out images whose labels
    never enter the worker."""
    X, y, X_test, y_test = _split()
    t.define(HELPERS)
    t.define(HIDDEN_HELPERS)
    record = t.call(Helper(helper, fn), StudentFn(fn), X, y, X_test, int(t.rng.integers(2**31)),
                    TRAIN_EPOCHS, lr)
    logits = record.get("logits") if isinstance(record, dict) else None
    if not isinstance(logits, np.ndarray) or logits.shape != (len(y_test), 10):
        raise CheckFailed("after training, the model's logits on the held-out images are %s, "
                          "expected shape %s" % (describe(logits), (len(y_test), 10)))
    return float(np.mean(logits.argmax(axis=1) == y_test)), record["losses"]


@ASSIGNMENT.test("build_cnn", points=4, hidden=True, min_timeout=90)
def trains_on_digits(t):
    """Trained by the judge's loop (Adam, 12 epochs of the 1200 training digits), the
    model reaches 95% on held-out digits."""
    accuracy, _ = _held_out_accuracy(t, "train_students_cnn", "build_cnn", 3e-3)
    if accuracy < TRAIN_THRESHOLD:
        raise CheckFailed("build_cnn(1, 10), trained 12 epochs by the grader's loop, reaches "
                          "%.1f%% on held-out digits; expected at least %.0f%%"
                          % (100 * accuracy, 100 * TRAIN_THRESHOLD))


@ASSIGNMENT.test("train_one_epoch", points=2, hidden=True, min_timeout=90)
def trains_a_cnn(t):
    """Driving the judge's CNN for 12 epochs, the loss falls and the model reaches 95%
    on held-out digits."""
    accuracy, losses = _held_out_accuracy(t, "train_with_students_loop", "train_one_epoch",
                                          3e-3)
    if not losses[-1] < losses[0]:
        raise CheckFailed("train_one_epoch's returned loss did not fall over 12 epochs (%s "
                          "-> %s)" % (fmt(losses[0]), fmt(losses[-1])))
    if accuracy < TRAIN_THRESHOLD:
        raise CheckFailed("the grader's CNN trained 12 epochs by train_one_epoch reaches "
                          "%.1f%% on held-out digits; expected at least %.0f%%"
                          % (100 * accuracy, 100 * TRAIN_THRESHOLD))


@ASSIGNMENT.test("Residual", points=2, hidden=True)
def generated_blocks(t):
    """The same output as the reference on generated blocks: channels 1..4 in and out,
    stride 1 or 2, sizes 3..7, train and eval mode."""
    for _ in range(4):
        cin, cout = (int(v) for v in t.rng.integers(1, 5, size=2))
        stride = int(t.rng.integers(1, 3))
        H, W = (int(v) for v in t.rng.integers(3, 8, size=2))
        _check_residual(t, cin, cout, stride, H, W)


@ASSIGNMENT.test("random_crop", points=1, hidden=True)
def offsets_cover_the_range(t):
    """Over 300 images every offset 0..2*padding occurs on both axes."""
    X = _images(t.rng, (300, 1, 4, 4))
    out = _crop(t, X, 2, int(t.rng.integers(2**31)))["out"]
    hits = _offsets(X, out, 2)
    if any(h is None for h in hits):
        raise CheckFailed("random_crop: some images are not zero-padded shifted copies")
    for axis, name in ((0, "dy"), (1, "dx")):
        seen = sorted({h[axis] for h in hits})
        if seen != list(range(5)):
            raise CheckFailed("random_crop with padding 2: over 300 images the offset %s took "
                              "only the values %s; draw it uniformly in 0..4 (torch.randint's "
                              "upper bound is exclusive: 2 * padding + 1)" % (name, seen))
# END HIDDEN TESTS
