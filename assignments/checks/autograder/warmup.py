"""Slow first-use imports done in the background, so that no check cell waits for them.

The first ``torch.optim`` optimizer of a process imports ``torch._dynamo`` (~1.2 s): a
cnn_training check cell that builds one would take that long.  Where the kernel has
already imported the package (a student's ``import torch``), the import starts in a
daemon thread when ``autograder`` is imported and again after each check cell, once
per process; a check that needs the module meanwhile just waits for the rest of it.
"""
import importlib
import sys
import threading

WARM_UP = {"torch": ("torch._dynamo",)}   # package the kernel imported -> slow submodules
THREAD_NAME = "autograder-warm-up"
_started = set()


def warm_up():
    """Start importing the slow submodules of every package in ``WARM_UP`` that this
    process has imported, each once."""
    for package, modules in WARM_UP.items():
        if package not in sys.modules:
            continue
        for name in modules:
            if name in _started or name in sys.modules:
                continue
            _started.add(name)
            threading.Thread(target=_import_quietly, args=(name,), daemon=True,
                             name=THREAD_NAME).start()


def _import_quietly(name):
    try:
        importlib.import_module(name)
    except Exception:           # noqa: BLE001 - a warm-up only; the check imports it itself
        pass
