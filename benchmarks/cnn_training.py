"""The cnn_training assignment's figures (issue 10): the reference CNN's training time
and test accuracy on the digits split, per device, and the grading time of the
assignment's full suite.

    python benchmarks/cnn_training.py [--epochs 12] [--seeds 3]

Training: ``reference.cnn_training`` (build_cnn, train_one_epoch, evaluate), Adam
(lr 3e-3), batches of 64 of the 1200 training digits, evaluated on the 397 test digits;
on the CPU and, when CUDA is available, on the GPU, with the time per epoch.  The target
is >= 98% test accuracy within 60 s on a 2-core CPU.  Grading: the CLI on the reference
as a submission (a fresh judge each time, as CI does), best of --repeat.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def train(device_name, epochs, seed):
    """(seconds, seconds per epoch, test accuracy) of one reference training run."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from autograder.data import load_digits_split
    from reference import cnn_training as ref

    data = load_digits_split(num_train=1200, num_val=200, num_test=397, seed=0)
    device = torch.device(device_name)

    def tensors(split):
        X = torch.tensor(data["X_" + split], dtype=torch.float32).reshape(-1, 1, 8, 8)
        return TensorDataset(X, torch.tensor(data["y_" + split]))
    torch.manual_seed(seed)
    loader = DataLoader(tensors("train"), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    test = DataLoader(tensors("test"), batch_size=256)
    model = ref.build_cnn(1, 10).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.perf_counter()
    for _ in range(epochs):
        ref.train_one_epoch(model, loader, optimizer, device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return seconds, seconds / epochs, ref.evaluate(model, test, device)


def grading_seconds(repeat):
    """Best wall time of grading the reference through the CLI."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade",
                               os.path.join(ROOT, "reference", "cnn_training.py"),
                               "--assignment", "cnn_training", "--format", "json"],
                              cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit("grading failed: %s" % proc.stderr.strip())
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print("torch %s, %d CPU threads%s" % (torch.__version__, torch.get_num_threads(),
                                         ", CUDA: %s" % torch.cuda.get_device_name(0)
                                         if "cuda" in devices else ", no CUDA"))
    for device in devices:
        for seed in range(args.seeds):
            seconds, per_epoch, accuracy = train(device, args.epochs, seed)
            print("reference training on %-4s seed %d: %d epochs in %5.1f s (%.3f s/epoch), "
                  "test accuracy %.2f%%" % (device, seed, args.epochs, seconds, per_epoch,
                                            100 * accuracy))
    print("grading the reference's full suite (CLI, best of %d): %.1f s"
          % (args.repeat, grading_seconds(args.repeat)))


if __name__ == "__main__":
    main()
