"""Dataset loaders on the bundled digits and on tiny CIFAR-10 / MNIST files written here."""
import gzip
import pickle
import struct

import numpy as np
import pytest
from sklearn.datasets import load_digits

from autograder.data import load_cifar10, load_digits_split, load_mnist
from autograder.errors import DataError


# ---- digits -------------------------------------------------------------------------

def test_digits_split_shapes_dtypes_and_range():
    data = load_digits_split()
    for part, n in (("train", 1200), ("val", 200), ("test", 397)):
        X, y = data["X_" + part], data["y_" + part]
        assert X.shape == (n, 64) and X.dtype == np.float64
        assert y.shape == (n,) and y.dtype == np.int64
        assert X.min() >= 0.0 and X.max() <= 1.0 and set(np.unique(y)) <= set(range(10))
    assert data["X_train"].max() == 1.0                     # 16 / 16


def test_digits_split_is_deterministic_and_seeded():
    a, b = load_digits_split(seed=3), load_digits_split(seed=3)
    c = load_digits_split(seed=4)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["X_train"], c["X_train"])


def test_digits_split_parts_are_disjoint_and_cover_everything():
    data = load_digits_split(flatten=True)
    rows = np.concatenate([data["X_train"], data["X_val"], data["X_test"]])  # (1797, 64)
    everything = load_digits().data / 16.0                  # (1797, 64)
    # Same multiset of rows: sort both lexicographically and compare.
    np.testing.assert_array_equal(_sorted_rows(rows), _sorted_rows(everything))


def _sorted_rows(A):
    return A[np.lexsort(A.T[::-1])]


def test_digits_unflattened_layout():
    flat = load_digits_split(num_train=10, num_val=5, num_test=5)
    images = load_digits_split(num_train=10, num_val=5, num_test=5, flatten=False)
    assert images["X_train"].shape == (10, 1, 8, 8) and images["X_val"].shape == (5, 1, 8, 8)
    np.testing.assert_array_equal(images["X_train"].reshape(10, 64), flat["X_train"])


def test_digits_split_too_large():
    with pytest.raises(DataError, match="cannot split 1797 samples into num_train=1700"):
        load_digits_split(num_train=1700, num_val=100, num_test=0)


# ---- CIFAR-10 -----------------------------------------------------------------------

def _cifar_rows(n, offset):
    """Rows (n, 3072) where pixel (r, c) of channel ch has a known value."""
    ch, r, c = np.meshgrid(np.arange(3), np.arange(32), np.arange(32), indexing="ij")
    base = (ch * 7 + r * 3 + c) % 251                       # (3, 32, 32)
    return np.stack([(base + offset + i) % 256 for i in range(n)]).reshape(n, 3072) \
        .astype(np.uint8)


def _write_batch(path, rows, labels):
    with open(path, "wb") as f:
        pickle.dump({b"data": rows, b"labels": list(labels), b"batch_label": b"x"}, f)


@pytest.fixture
def cifar_folder(tmp_path):
    for i in (1, 2):
        _write_batch(tmp_path / ("data_batch_%d" % i), _cifar_rows(4, 10 * i), [i, 2, 3, 9])
    _write_batch(tmp_path / "test_batch", _cifar_rows(3, 100), [0, 1, 2])
    return tmp_path


def test_cifar_layout_and_pixel_order(cifar_folder):
    data = load_cifar10(cifar_folder, num_batches=2)
    assert data["X_train"].shape == (8, 32, 32, 3) and data["X_train"].dtype == np.float64
    assert data["X_test"].shape == (3, 32, 32, 3)
    assert data["y_train"].tolist() == [1, 2, 3, 9, 2, 2, 3, 9]
    assert data["y_train"].dtype == np.int64 and data["y_test"].tolist() == [0, 1, 2]
    # Row layout: 1024 red, then 1024 green, then 1024 blue, each row-major 32x32.
    raw = _cifar_rows(4, 20)[1]                             # batch 2, example 1
    r, c = 5, 17
    expected = [raw[r * 32 + c], raw[1024 + r * 32 + c], raw[2048 + r * 32 + c]]
    assert data["X_train"][5, r, c].tolist() == expected
    assert expected == [(3 * r + c + 21) % 256, (7 + 3 * r + c + 21) % 256,
                        (14 + 3 * r + c + 21) % 256]


def test_cifar_missing_folder(tmp_path):
    with pytest.raises(DataError, match="nowhere: CIFAR-10 folder not found"):
        load_cifar10(tmp_path / "nowhere")


def test_cifar_missing_batch(cifar_folder):
    with pytest.raises(DataError, match=r"data_batch_3: CIFAR-10 batch file is missing"):
        load_cifar10(cifar_folder, num_batches=3)


def test_cifar_corrupt_pickle(cifar_folder):
    (cifar_folder / "test_batch").write_bytes(b"not a pickle at all")
    with pytest.raises(DataError, match=r"test_batch: not a CIFAR-10 pickle batch"):
        load_cifar10(cifar_folder, num_batches=1)


def test_cifar_wrong_row_size(cifar_folder):
    _write_batch(cifar_folder / "data_batch_1", np.zeros((2, 3000), np.uint8), [0, 1])
    with pytest.raises(DataError, match=r"data_batch_1: data has shape \(2, 3000\)"):
        load_cifar10(cifar_folder, num_batches=1)


# ---- MNIST --------------------------------------------------------------------------

def _idx_images(images):
    n, h, w = images.shape
    return struct.pack(">4I", 2051, n, h, w) + images.astype(np.uint8).tobytes()


def _idx_labels(labels):
    return struct.pack(">2I", 2049, len(labels)) + np.asarray(labels, np.uint8).tobytes()


def _write_mnist(folder, compress=False):
    rng = np.random.default_rng(0)
    files = {"train-images-idx3-ubyte": _idx_images(rng.integers(0, 256, (5, 28, 28))),
             "train-labels-idx1-ubyte": _idx_labels([3, 1, 4, 1, 5]),
             "t10k-images-idx3-ubyte": _idx_images(np.full((2, 28, 28), 255)),
             "t10k-labels-idx1-ubyte": _idx_labels([9, 2])}
    for name, raw in files.items():
        if compress:
            (folder / (name + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return files


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_loads_plain_and_gz(tmp_path, compress):
    files = _write_mnist(tmp_path, compress)
    data = load_mnist(tmp_path)
    assert data["X_train"].shape == (5, 28, 28) and data["X_train"].dtype == np.float64
    assert data["y_train"].tolist() == [3, 1, 4, 1, 5] and data["y_train"].dtype == np.int64
    assert data["y_test"].tolist() == [9, 2] and np.all(data["X_test"] == 1.0)
    pixels = np.frombuffer(files["train-images-idx3-ubyte"], np.uint8, offset=16)
    np.testing.assert_array_equal(data["X_train"], pixels.reshape(5, 28, 28) / 255.0)


def test_mnist_missing_folder(tmp_path):
    with pytest.raises(DataError, match="absent: MNIST folder not found"):
        load_mnist(tmp_path / "absent")


def test_mnist_missing_file(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: MNIST file is missing "
                                        r"\(also looked for t10k-labels-idx1-ubyte.gz\)"):
        load_mnist(tmp_path)


def test_mnist_bad_magic(tmp_path):
    _write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(struct.pack(">I", 2049) + path.read_bytes()[4:])
    with pytest.raises(DataError, match="train-images-idx3-ubyte: magic number 2049, "
                                        "expected 2051"):
        load_mnist(tmp_path)


def test_mnist_truncated_file(tmp_path):
    _write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: 3926 bytes, expected "
                                        r"3936 for dimensions \[5, 28, 28\] \(truncated\?\)"):
        load_mnist(tmp_path)


def test_mnist_header_too_short(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match="train-labels-idx1-ubyte: 2 bytes, too short for "
                                        "an idx header"):
        load_mnist(tmp_path)


def test_mnist_corrupt_gz(tmp_path):
    _write_mnist(tmp_path, compress=True)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz: unreadable"):
        load_mnist(tmp_path)


def test_mnist_label_count_mismatch(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_labels([1, 2, 3]))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte: 3 labels for 5 images"):
        load_mnist(tmp_path)


def test_digits_fast_path_equals_sklearn_load_digits():
    from sklearn.datasets import load_digits

    from autograder.data import digits_arrays
    X, y = digits_arrays()
    digits = load_digits()
    np.testing.assert_array_equal(X, digits.data / 16.0)
    np.testing.assert_array_equal(y, digits.target)
