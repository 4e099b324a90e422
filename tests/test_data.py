"""Tests for nn.datasets (and nn.data, its compatibility module): IDX reading/writing, MNIST
loading and downloading, BatchIterator.

Downloads only ever talk to an http.server started here on 127.0.0.1; an autouse fixture
also points the default mirrors at a closed local port, so no test can reach a live host.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from no_data import dead_url, offline_no_data

import nn.data
import nn.datasets
from nn.datasets import download, mnist
from nn.datasets.batches import BatchIterator
from nn.datasets.download import DownloadError
from nn.datasets.idx import IDXError, read_idx, write_idx
from nn.datasets.mirrors import IDX_FILES, MIRRORS
from nn.datasets.mnist import DATA_ENV_VAR, MNIST, load_mnist

# /work/main/tests/test_data.py -> /work/main/../shared/data/mnist-10k (lexically, not
# through symlinks, as documented for the shared data).
MNIST_10K = Path(os.path.abspath(__file__)).parents[2] / "shared" / "data" / "mnist-10k"
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = IDX_FILES
GZ_NAMES = [f"{stem}.gz" for stem in IDX_FILES]



@pytest.fixture(autouse=True)
def hermetic(monkeypatch, tmp_path):
    """No user environment, no system datasets, no live host (no_data.offline_no_data)."""
    offline_no_data(monkeypatch, tmp_path)


# --------------------------------------------------------------------------------------
# Synthetic MNIST-format data
# --------------------------------------------------------------------------------------


def make_arrays(seed: int = 0, n_train: int = 20, n_test: int = 10) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = {}
    for (img, lbl), n in (
        ((TRAIN_IMAGES, TRAIN_LABELS), n_train),
        ((TEST_IMAGES, TEST_LABELS), n_test),
    ):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255
        arrays[img] = images
        arrays[lbl] = rng.permutation(np.arange(n) % 10).astype(np.uint8)
    return arrays


def write_dataset(directory: Path, arrays: dict[str, np.ndarray], gz: bool = True) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for stem, arr in arrays.items():
        write_idx(directory / (f"{stem}.gz" if gz else stem), arr)


def assert_matches(result: MNIST, arrays: dict[str, np.ndarray]) -> None:
    for x, y, img, lbl in (
        (result.x_train, result.y_train, TRAIN_IMAGES, TRAIN_LABELS),
        (result.x_test, result.y_test, TEST_IMAGES, TEST_LABELS),
    ):
        n = len(arrays[img])
        np.testing.assert_array_equal(x, arrays[img].reshape(n, 784) / 255.0)
        np.testing.assert_array_equal(y, arrays[lbl].astype(np.int64))
        assert y.dtype == np.int64


@pytest.fixture
def synth(tmp_path):
    """Four small .gz files in tmp_path/src, their bytes and their MD5 checksums."""
    arrays = make_arrays()
    src = tmp_path / "src"
    write_dataset(src, arrays)
    blobs = {name: (src / name).read_bytes() for name in GZ_NAMES}
    md5 = {name: hashlib.md5(blob).hexdigest() for name, blob in blobs.items()}
    return SimpleNamespace(arrays=arrays, dir=src, blobs=blobs, md5=md5)


# --------------------------------------------------------------------------------------
# IDX reading and writing
# --------------------------------------------------------------------------------------


def idx_bytes(code: int, shape: tuple[int, ...], payload: bytes) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_parses_handwritten_bytes(tmp_path, compress):
    u8 = idx_bytes(0x08, (2, 3), bytes([0, 1, 2, 253, 254, 255]))
    i16 = idx_bytes(0x0B, (3,), struct.pack(">3h", -2, 258, 32767))
    f64 = idx_bytes(0x0E, (1, 2), struct.pack(">2d", 1.5, -0.25))
    for name, blob in (("u8", u8), ("i16", i16), ("f64", f64)):
        (tmp_path / name).write_bytes(gzip.compress(blob) if compress else blob)

    a = read_idx(tmp_path / "u8")
    assert a.dtype == np.uint8 and a.shape == (2, 3)
    np.testing.assert_array_equal(a, [[0, 1, 2], [253, 254, 255]])
    b = read_idx(tmp_path / "i16")
    assert b.dtype == np.int16 and b.dtype.isnative
    np.testing.assert_array_equal(b, [-2, 258, 32767])
    c = read_idx(str(tmp_path / "f64"))
    assert c.dtype == np.float64 and c.dtype.isnative
    np.testing.assert_array_equal(c, [[1.5, -0.25]])


def test_write_idx_produces_exact_idx_bytes(tmp_path):
    write_idx(tmp_path / "a", np.array([[1, 2], [3, 4], [5, 6]], dtype=np.uint8))
    assert (tmp_path / "a").read_bytes() == bytes(
        [0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6]
    )
    write_idx(tmp_path / "b", np.array([1, -2], dtype=np.int32))
    assert (tmp_path / "b").read_bytes() == idx_bytes(0x0C, (2,), struct.pack(">2i", 1, -2))
    write_idx(tmp_path / "c.gz", np.array([7], dtype=np.uint8))
    blob = (tmp_path / "c.gz").read_bytes()
    assert blob[:2] == b"\x1f\x8b"
    assert gzip.decompress(blob) == idx_bytes(0x08, (1,), b"\x07")


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    rng = np.random.default_rng(1)
    arr = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / f"arr{suffix}"
    write_idx(path, arr)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    assert back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)
    back[0, 0, 0] = 0  # a normal writable array, not a read-only buffer view


def test_write_idx_is_atomic_and_rejects_unsupported_input(tmp_path):
    path = tmp_path / "x.gz"
    write_idx(path, np.zeros(4, np.uint8))
    write_idx(path, np.ones(5, np.uint8))  # replaces the existing file
    np.testing.assert_array_equal(read_idx(path), np.ones(5, np.uint8))
    assert os.listdir(tmp_path) == ["x.gz"]  # no temp file left behind

    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "bad", np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="dimensions"):
        write_idx(tmp_path / "bad", np.uint8(3))
    assert os.listdir(tmp_path) == ["x.gz"]

    # Failing at the final rename (the target is a directory) removes the temp file.
    (tmp_path / "sub.gz").mkdir()
    with pytest.raises(OSError):
        write_idx(tmp_path / "sub.gz", np.zeros(3, np.uint8))
    assert sorted(os.listdir(tmp_path)) == ["sub.gz", "x.gz"]
    assert os.listdir(tmp_path / "sub.gz") == []


GOOD_HEADER = bytes([0, 0, 8, 3]) + struct.pack(">3I", 4, 28, 28)


@pytest.mark.parametrize(
    "blob, fragments",
    [
        pytest.param(b"", ["magic", "found only 0 bytes"], id="empty"),
        pytest.param(b"\x00\x00", ["magic", "found only 2 bytes"], id="short-magic"),
        pytest.param(
            b"\x1f\x00\x08\x01" + bytes(5), ["bad magic number 0x1f000801"], id="bad-magic"
        ),
        pytest.param(bytes([0, 0, 7, 1, 0, 0, 0, 1, 0]), ["type code 0x07"], id="bad-type"),
        pytest.param(bytes([0, 0, 8, 0]), ["0 dimensions"], id="zero-dims"),
        pytest.param(
            bytes([0, 0, 8, 3]) + struct.pack(">2I", 4, 28),
            ["expected 12 bytes of dimension sizes", "found 8"],
            id="wrong-dim-count",
        ),
        pytest.param(
            GOOD_HEADER + bytes(100),
            ["expected 3136 bytes of data for 4x28x28 uint8, found 100", "truncated"],
            id="short-data",
        ),
        pytest.param(
            GOOD_HEADER + bytes(3136 + 5),
            ["expected 3136 bytes", "found 3141", "trailing data"],
            id="extra-data",
        ),
        pytest.param(
            bytes([0, 0, 0x0C, 2]) + struct.pack(">2I", 2, 3) + bytes(23),
            ["expected 24 bytes of data for 2x3 int32, found 23"],
            id="short-int32",
        ),
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_malformed_idx_raises_idxerror_naming_file(tmp_path, blob, fragments, compress):
    name = "train-images-idx3-ubyte" + (".gz" if compress else "")
    path = tmp_path / name
    path.write_bytes(gzip.compress(blob) if compress else blob)
    with pytest.raises(IDXError) as info:
        read_idx(path)
    msg = str(info.value)
    assert name in msg
    for fragment in fragments:
        assert fragment in msg


def test_huge_declared_size_in_gzip_is_idxerror_not_memoryerror(tmp_path):
    path = tmp_path / "huge.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", *[0xFFFFFFFF] * 3)))
    with pytest.raises(IDXError, match="huge.gz"):
        read_idx(path)


def corrupt_crc(blob: bytes) -> bytes:
    # The gzip trailer is CRC-32 then size, 4 bytes each.
    return blob[:-8] + bytes([blob[-8] ^ 0xFF]) + blob[-7:]


def corrupt_deflate(blob: bytes) -> bytes:
    middle = len(blob) // 2
    return blob[:middle] + bytes(b ^ 0x5A for b in blob[middle : middle + 16]) + blob[middle + 16 :]


@pytest.mark.parametrize(
    "damage, fragment",
    [
        pytest.param(corrupt_crc, "corrupt gzip", id="bad-crc"),
        pytest.param(lambda b: b[: len(b) // 2], "truncated", id="truncated-gzip"),
        pytest.param(lambda b: b[:-3], "truncated", id="truncated-trailer"),
        pytest.param(corrupt_deflate, "gzip", id="corrupt-deflate"),
        pytest.param(lambda b: b[:12], "truncated", id="header-only"),
    ],
)
def test_corrupt_gzip_raises_idxerror_naming_file(tmp_path, damage, fragment):
    rng = np.random.default_rng(2)
    good = tmp_path / "good.gz"
    write_idx(good, rng.integers(0, 256, size=(50, 28, 28), dtype=np.uint8))
    bad = tmp_path / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(IDXError) as info:
        read_idx(bad)
    assert "t10k-images-idx3-ubyte.gz" in str(info.value)
    assert fragment in str(info.value)


def test_read_idx_missing_file_is_filenotfounderror(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")


# --------------------------------------------------------------------------------------
# Loader: real MNIST files
# --------------------------------------------------------------------------------------

needs_mnist_10k = pytest.mark.skipif(
    not all((MNIST_10K / name).is_file() for name in GZ_NAMES),
    reason=f"real MNIST files not found in {MNIST_10K}",
)

# Official per-class counts of the MNIST test set.
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
# The shared README describes the 10k training subset as "1,000 per class", but its label
# file does not hold that: these are the counts actually in it (also obtained with
# `zcat | od`, independently of this loader), and the labels do match the images (see the
# nearest-centroid test below).
TRAIN_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


@pytest.fixture(scope="module")
def mnist_10k():
    return load_mnist(data_dir=MNIST_10K)


@needs_mnist_10k
def test_real_mnist_shapes_dtypes_and_labels(mnist_10k):
    m = mnist_10k
    assert isinstance(m, MNIST)
    assert m.x_train.shape == (10000, 784) and m.x_test.shape == (10000, 784)
    assert m.y_train.shape == (10000,) and m.y_test.shape == (10000,)
    assert m.x_train.dtype == np.float64 and m.y_train.dtype == np.int64
    assert np.bincount(m.y_test, minlength=10).tolist() == TEST_COUNTS
    assert np.bincount(m.y_train, minlength=10).tolist() == TRAIN_COUNTS
    # The first ten labels of the official test set.
    assert m.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@needs_mnist_10k
def test_real_mnist_pixels_are_scaled_bytes(mnist_10k):
    for x in (mnist_10k.x_train, mnist_10k.x_test):
        assert x.min() == 0.0 and x.max() == 1.0
        scaled = x[:2000] * 255
        np.testing.assert_array_equal(scaled, np.round(scaled))  # exactly k/255


@needs_mnist_10k
def test_real_mnist_labels_match_images(mnist_10k):
    # A nearest-centroid classifier fitted on train scores ~0.81 on test; misaligned or
    # mis-decoded labels or pixels would give ~0.1.
    m = mnist_10k
    centroids = np.stack([m.x_train[m.y_train == k].mean(axis=0) for k in range(10)])
    # Squared distances up to a per-row constant: |c|^2 - 2 x.c
    dist = (centroids**2).sum(axis=1) - 2 * m.x_test @ centroids.T
    assert (dist.argmin(axis=1) == m.y_test).mean() > 0.75


@needs_mnist_10k
def test_real_mnist_dtype_one_hot_and_flatten_options(mnist_10k):
    m = load_mnist(data_dir=MNIST_10K, dtype=np.float32, one_hot=True, flatten=False)
    assert m.x_train.shape == (10000, 28, 28) and m.x_test.shape == (10000, 28, 28)
    assert m.x_train.dtype == np.float32 and m.y_train.dtype == np.float32
    np.testing.assert_array_equal(
        m.x_train.reshape(10000, 784), mnist_10k.x_train.astype(np.float32)
    )
    np.testing.assert_array_equal(m.x_test.reshape(10000, 784), mnist_10k.x_test.astype(np.float32))
    for hot, labels in ((m.y_train, mnist_10k.y_train), (m.y_test, mnist_10k.y_test)):
        assert hot.shape == (10000, 10)
        assert set(np.unique(hot).tolist()) == {0.0, 1.0}
        np.testing.assert_array_equal(hot.sum(axis=1), 1.0)
        np.testing.assert_array_equal(hot.argmax(axis=1), labels)


@pytest.mark.skipif(
    not DEBIAN_FASHION.is_dir(), reason="Debian dataset-fashion-mnist not installed"
)
def test_debian_fashion_mnist_found_in_system_dir(monkeypatch):
    monkeypatch.setattr(mnist, "SYSTEM_DATASET_DIRS", ["/usr/share/datasets"])
    m = load_mnist("fashion-mnist", download=False, dtype=np.float32)
    assert m.x_train.shape == (60000, 784) and m.x_test.shape == (10000, 784)
    assert np.bincount(m.y_train).tolist() == [6000] * 10
    assert np.bincount(m.y_test).tolist() == [1000] * 10
    assert m.x_train.min() == 0.0 and m.x_train.max() == 1.0


# --------------------------------------------------------------------------------------
# Loader: consistency checks and lookup order
# --------------------------------------------------------------------------------------


def test_image_label_count_mismatch_names_both_files(tmp_path):
    arrays = make_arrays()
    arrays[TRAIN_LABELS] = arrays[TRAIN_LABELS][:-1]
    write_dataset(tmp_path, arrays)
    with pytest.raises(IDXError) as info:
        load_mnist(data_dir=tmp_path)
    msg = str(info.value)
    assert f"{TRAIN_IMAGES}.gz" in msg and f"{TRAIN_LABELS}.gz" in msg
    assert "20 images" in msg and "19 labels" in msg


def test_out_of_range_label_names_labels_file(tmp_path):
    arrays = make_arrays()
    arrays[TEST_LABELS][3] = 10
    write_dataset(tmp_path, arrays)
    with pytest.raises(IDXError, match=rf"{TEST_LABELS}\.gz.*0\.\.9.*10 at index 3"):
        load_mnist(data_dir=tmp_path)


@pytest.mark.parametrize(
    "bad_images",
    [
        np.zeros((20, 27, 28), np.uint8),
        np.zeros((20, 784), np.uint8),
        np.zeros((20, 28, 28), np.float32),
    ],
    ids=["27x28", "2-d", "float32"],
)
def test_images_must_be_uint8_28x28(tmp_path, bad_images):
    arrays = make_arrays()
    arrays[TRAIN_IMAGES] = bad_images
    write_dataset(tmp_path, arrays)
    with pytest.raises(IDXError, match=rf"{TRAIN_IMAGES}\.gz.*Nx28x28"):
        load_mnist(data_dir=tmp_path)


def test_labels_must_be_one_dimensional(tmp_path):
    arrays = make_arrays()
    arrays[TEST_LABELS] = arrays[TEST_LABELS].reshape(10, 1)
    write_dataset(tmp_path, arrays)
    with pytest.raises(IDXError, match=rf"{TEST_LABELS}\.gz.*1-dimensional"):
        load_mnist(data_dir=tmp_path)


def test_data_dir_with_missing_files_is_an_error_even_if_found_elsewhere(tmp_path, monkeypatch):
    arrays = make_arrays()
    complete = tmp_path / "complete"
    write_dataset(complete, arrays)
    monkeypatch.setenv(DATA_ENV_VAR, str(complete))
    partial = tmp_path / "partial"
    write_dataset(partial, {k: v for k, v in arrays.items() if k != TEST_LABELS})
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(data_dir=partial)
    msg = str(info.value)
    assert str(partial) in msg and f"is missing: {TEST_LABELS}.gz" in msg
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(data_dir=tmp_path / "nowhere")
    assert_matches(load_mnist(), arrays)  # the env var itself works


def test_uncompressed_names_are_accepted(tmp_path):
    arrays = make_arrays()
    write_dataset(tmp_path, {k: arrays[k] for k in (TRAIN_IMAGES, TEST_LABELS)}, gz=False)
    write_dataset(tmp_path, {k: arrays[k] for k in (TRAIN_LABELS, TEST_IMAGES)}, gz=True)
    assert_matches(load_mnist(data_dir=tmp_path), arrays)


@pytest.mark.parametrize("subdir", [False, True])
def test_env_var_directory_directly_or_per_dataset(tmp_path, monkeypatch, subdir):
    arrays = make_arrays(seed=5)
    root = tmp_path / "env"
    write_dataset(root / "fashion-mnist" if subdir else root, arrays)
    # A different copy in the cache must lose to the env var.
    write_dataset(tmp_path / "cache" / "fashion-mnist", make_arrays(seed=6))
    monkeypatch.setenv(DATA_ENV_VAR, str(root))
    assert_matches(load_mnist("Fashion_MNIST", cache_dir=tmp_path / "cache"), arrays)


def test_lookup_order_env_then_system_then_cache(tmp_path, monkeypatch):
    copies = {
        where: make_arrays(seed=seed) for seed, where in enumerate(["env", "system", "cache"])
    }
    write_dataset(tmp_path / "env" / "mnist", copies["env"])
    write_dataset(tmp_path / "system" / "mnist", copies["system"])
    write_dataset(tmp_path / "cache" / "mnist", copies["cache"])
    monkeypatch.setattr(mnist, "SYSTEM_DATASET_DIRS", [str(tmp_path / "system")])
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "env"))
    assert_matches(load_mnist(cache_dir=tmp_path / "cache"), copies["env"])
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "empty"))
    assert_matches(load_mnist(cache_dir=tmp_path / "cache"), copies["system"])
    monkeypatch.setattr(mnist, "SYSTEM_DATASET_DIRS", [])
    assert_matches(load_mnist(cache_dir=tmp_path / "cache"), copies["cache"])


def test_default_cache_dir_follows_xdg_cache_home(tmp_path):
    # The autouse fixture set XDG_CACHE_HOME and made every default mirror unreachable:
    # this only passes if the files are found in the cache without a download.
    arrays = make_arrays(seed=9)
    write_dataset(tmp_path / "cache" / "autograd-mini" / "mnist", arrays)
    assert_matches(load_mnist(), arrays)


def test_not_found_without_download_explains_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(download=False, cache_dir=tmp_path / "cache")
    msg = str(info.value)
    assert "data_dir=" in msg and DATA_ENV_VAR in msg
    assert all(name in msg for name in GZ_NAMES)
    assert not (tmp_path / "cache").exists()


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown dataset"):
        load_mnist("cifar10")
    with pytest.raises(ValueError, match="floating"):
        load_mnist(dtype=np.uint8)


# --------------------------------------------------------------------------------------
# Downloading from a local HTTP server
# --------------------------------------------------------------------------------------


def make_handler(routes: dict[str, tuple[bytes, str]], requests: list[str]):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            requests.append(self.path)
            if self.path not in routes:
                self.send_error(404)
                return
            body, mode = routes[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if mode == "drop":
                # Promise more than we send, then hang up mid-file.
                self.send_header("Content-Length", str(len(body) + 1000))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def server():
    routes: dict[str, tuple[bytes, str]] = {}
    requests: list[str] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(routes, requests))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"

    def serve(prefix: str, blobs: dict[str, bytes], mode: str = "ok") -> str:
        for name, blob in blobs.items():
            routes[f"/{prefix}/{name}"] = (blob, mode)
        return f"{base}/{prefix}/"

    try:
        yield SimpleNamespace(base=base, serve=serve, requests=requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_download_success(tmp_path, server, synth):
    mirror = server.serve("m1", synth.blobs)
    result = load_mnist(cache_dir=tmp_path / "cache", mirrors=[mirror], md5=synth.md5, timeout=5)
    assert_matches(result, synth.arrays)
    cache = tmp_path / "cache" / "mnist"
    assert sorted(os.listdir(cache)) == sorted(GZ_NAMES)
    for name in GZ_NAMES:
        assert hashlib.md5((cache / name).read_bytes()).hexdigest() == synth.md5[name]
    assert sorted(server.requests) == sorted(f"/m1/{name}" for name in GZ_NAMES)

    # Second call: served from the cache, no request at all.
    assert_matches(load_mnist(cache_dir=tmp_path / "cache", mirrors=[mirror]), synth.arrays)
    assert len(server.requests) == 4


def test_download_fetches_only_missing_files(tmp_path, server, synth):
    cache = tmp_path / "cache" / "mnist"
    cache.mkdir(parents=True)
    for name in GZ_NAMES[:2]:
        (cache / name).write_bytes(synth.blobs[name])
    mirror = server.serve("m1", synth.blobs)
    assert_matches(
        load_mnist(cache_dir=tmp_path / "cache", mirrors=[mirror], md5=synth.md5), synth.arrays
    )
    assert sorted(server.requests) == sorted(f"/m1/{name}" for name in GZ_NAMES[2:])


def test_checksum_mismatch_on_every_mirror(tmp_path, server, synth):
    bad = {**synth.blobs, GZ_NAMES[0]: synth.blobs[GZ_NAMES[2]]}  # wrong content for one file
    m1 = server.serve("m1", bad)
    m2 = server.serve("m2", bad)
    with pytest.raises(DownloadError) as info:
        load_mnist(cache_dir=tmp_path / "cache", mirrors=[m1, m2], md5=synth.md5, timeout=5)
    msg = str(info.value)
    assert GZ_NAMES[0] in msg
    assert f"{m1}{GZ_NAMES[0]}: checksum mismatch" in msg
    assert f"{m2}{GZ_NAMES[0]}: checksum mismatch" in msg
    assert synth.md5[GZ_NAMES[0]] in msg
    assert [url for url, _ in info.value.failures] == [m1 + GZ_NAMES[0], m2 + GZ_NAMES[0]]
    assert os.listdir(tmp_path / "cache" / "mnist") == []


def test_connection_dropped_mid_file_leaves_nothing(tmp_path, server, synth):
    mirror = server.serve("m1", synth.blobs, mode="drop")
    with pytest.raises(DownloadError) as info:
        load_mnist(cache_dir=tmp_path / "cache", mirrors=[mirror], md5=synth.md5, timeout=5)
    msg = str(info.value)
    assert GZ_NAMES[0] in msg and mirror in msg
    assert "connection closed" in msg or "transfer failed" in msg
    assert os.listdir(tmp_path / "cache" / "mnist") == []


@pytest.mark.parametrize("first", ["missing", "drop", "bad-checksum", "offline"])
def test_first_mirror_fails_second_succeeds(tmp_path, server, synth, first):
    if first == "missing":
        m1 = f"{server.base}/empty/"  # 404 for everything
    elif first == "drop":
        m1 = server.serve("m1", synth.blobs, mode="drop")
    elif first == "bad-checksum":
        m1 = server.serve("m1", {name: blob[::-1] for name, blob in synth.blobs.items()})
    else:
        m1 = f"{dead_url()}"
    m2 = server.serve("m2", synth.blobs)
    result = load_mnist(cache_dir=tmp_path / "cache", mirrors=[m1, m2], md5=synth.md5, timeout=5)
    assert_matches(result, synth.arrays)
    assert sorted(os.listdir(tmp_path / "cache" / "mnist")) == sorted(GZ_NAMES)
    assert sum(path.startswith("/m2/") for path in server.requests) == 4


def test_offline_error_explains_how_to_use_local_files(tmp_path):
    mirrors = [f"{dead_url()}a/", f"{dead_url()}b/"]
    with pytest.raises(DownloadError) as info:
        load_mnist(cache_dir=tmp_path / "cache", mirrors=mirrors, timeout=5)
    msg = str(info.value)
    assert "offline" in msg
    assert "data_dir=" in msg and DATA_ENV_VAR in msg
    assert all(name in msg for name in GZ_NAMES)
    assert all(m in msg for m in mirrors)
    assert os.listdir(tmp_path / "cache" / "mnist") == []


def test_default_mirrors_are_used_and_unreachable_here(tmp_path):
    # The autouse fixture replaced MIRRORS with a closed port: proves `mirrors=None` reads
    # the module-level table (and that no test can reach a live host by accident).
    with pytest.raises(DownloadError, match="offline"):
        load_mnist(cache_dir=tmp_path / "cache", timeout=5)


def test_keyboard_interrupt_mid_download_leaves_nothing(tmp_path, server, synth, monkeypatch):
    real_open = download._open

    class Interrupting:
        def __init__(self, response):
            self.response, self.reads = response, 0
            self.headers = response.headers

        def read1(self, n):
            self.reads += 1
            if self.reads > 1:
                raise KeyboardInterrupt
            return self.response.read1(min(n, 100))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.response.close()

    monkeypatch.setattr(download, "_open", lambda *a, **k: Interrupting(real_open(*a, **k)))
    mirror = server.serve("m1", synth.blobs)
    with pytest.raises(KeyboardInterrupt):
        load_mnist(cache_dir=tmp_path / "cache", mirrors=[mirror], md5=synth.md5, timeout=5)
    assert os.listdir(tmp_path / "cache" / "mnist") == []


def test_progress_bar_only_when_asked(tmp_path, server, synth, capsys):
    mirror = server.serve("m1", synth.blobs)
    load_mnist(cache_dir=tmp_path / "a", mirrors=[mirror], md5=synth.md5, progress=True)
    err = capsys.readouterr().err
    assert GZ_NAMES[0] in err and "100.0%" in err and "MB/s" in err
    load_mnist(cache_dir=tmp_path / "b", mirrors=[mirror], md5=synth.md5, progress=False)
    assert capsys.readouterr().err == ""
    load_mnist(cache_dir=tmp_path / "c", mirrors=[mirror], md5=synth.md5)  # stderr not a TTY
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------------------
# BatchIterator
# --------------------------------------------------------------------------------------


def epoch_orders(it: BatchIterator, epochs: int) -> list[np.ndarray]:
    return [np.concatenate([xb for xb, _ in it]) for _ in range(epochs)]


def test_batches_cover_every_example_once_per_epoch():
    x = np.arange(23)
    y = np.arange(23) * 10
    it = BatchIterator(x, y, batch_size=5, seed=0)
    assert len(it) == 5
    orders = []
    for _ in range(3):
        batches = list(it)
        assert [len(xb) for xb, _ in batches] == [5, 5, 5, 5, 3]  # last partial batch kept
        for xb, yb in batches:
            np.testing.assert_array_equal(yb, xb * 10)  # pairs stay together
        order = np.concatenate([xb for xb, _ in batches])
        np.testing.assert_array_equal(np.sort(order), x)
        orders.append(order)
    assert not np.array_equal(orders[0], x)  # actually shuffled
    assert not np.array_equal(orders[0], orders[1])  # a new permutation every epoch
    assert not np.array_equal(orders[1], orders[2])


def test_multidimensional_batches_and_copies():
    x = np.arange(40.0).reshape(10, 2, 2)
    y = np.arange(10)
    it = BatchIterator(x, y, batch_size=4, shuffle=False)
    batches = list(it)
    assert [xb.shape for xb, _ in batches] == [(4, 2, 2), (4, 2, 2), (2, 2, 2)]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), x)
    batches[0][0][:] = -1  # batches are copies: the data is untouched
    assert x.min() == 0.0
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in it]), y)  # same order again


def test_drop_last():
    it = BatchIterator(np.arange(23), np.arange(23), batch_size=5, seed=1, drop_last=True)
    assert len(it) == 4
    batches = list(it)
    assert [len(xb) for xb, _ in batches] == [5, 5, 5, 5]
    assert len(np.unique(np.concatenate([xb for xb, _ in batches]))) == 20
    assert len(BatchIterator(np.arange(3), np.arange(3), batch_size=5, drop_last=True)) == 0
    assert len(BatchIterator(np.arange(10), np.arange(10), batch_size=5, drop_last=True)) == 2


def test_same_seed_same_sequence_and_generator_accepted():
    x = np.arange(50)
    a = epoch_orders(BatchIterator(x, x, 7, seed=42), 3)
    b = epoch_orders(BatchIterator(x, x, 7, seed=42), 3)
    c = epoch_orders(BatchIterator(x, x, 7, seed=np.random.default_rng(42)), 3)
    d = epoch_orders(BatchIterator(x, x, 7, seed=43), 3)
    for ea, eb, ec in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(ea, eb)
        np.testing.assert_array_equal(ea, ec)
    assert not np.array_equal(a[0], d[0])


def test_state_round_trip_through_npz_at_epoch_boundary(tmp_path):
    x = np.arange(30)
    it = BatchIterator(x, x, 4, seed=3)
    epoch_orders(it, 1)
    np.savez(tmp_path / "ckpt.npz", data_state=json.dumps(it.state_dict()))
    expected = epoch_orders(it, 2)

    with np.load(tmp_path / "ckpt.npz") as ckpt:
        state = str(ckpt["data_state"])
    resumed = BatchIterator(x, x, 4, seed=999)
    resumed.load_state_dict(json.loads(state))
    for got, want in zip(epoch_orders(resumed, 2), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_state_round_trip_mid_epoch():
    x = np.arange(30)
    it = BatchIterator(x, x * 2, 4, seed=11)
    epoch = iter(it)
    next(epoch), next(epoch)
    state = json.dumps(it.state_dict())
    rest = [xb for xb, _ in epoch] + [xb for xb, _ in it]  # rest of this epoch + the next

    resumed = BatchIterator(x, x * 2, 4, seed=0)
    resumed.load_state_dict(state)  # the JSON string is accepted as is
    assert json.loads(state) == resumed.state_dict()
    got = [xb for xb, _ in resumed] + [xb for xb, _ in resumed]
    assert len(got) == len(rest) == 6 + 8
    for g, r in zip(got, rest, strict=True):
        np.testing.assert_array_equal(g, r)


def test_state_after_last_batch_resumes_at_next_epoch():
    x = np.arange(12)
    it = BatchIterator(x, x, 4, seed=5)
    epoch = iter(it)
    for _ in range(3):  # take all three batches without exhausting the generator
        next(epoch)
    state = it.state_dict()
    assert state["batches_done"] == 0
    want = epoch_orders(it, 1)[0]
    resumed = BatchIterator(x, x, 4)
    resumed.load_state_dict(state)
    np.testing.assert_array_equal(epoch_orders(resumed, 1)[0], want)


def test_state_of_other_bit_generator_is_json_and_restores():
    x = np.arange(20)
    it = BatchIterator(x, x, 3, seed=np.random.Generator(np.random.MT19937(4)))
    state = json.dumps(it.state_dict())  # MT19937 keeps a numpy array in its state
    want = epoch_orders(it, 2)
    resumed = BatchIterator(x, x, 3, seed=1)  # PCG64
    resumed.load_state_dict(json.loads(state))
    for got, w in zip(epoch_orders(resumed, 2), want, strict=True):
        np.testing.assert_array_equal(got, w)


def test_state_from_different_setup_is_rejected():
    state = BatchIterator(np.arange(20), np.arange(20), 4, seed=0).state_dict()
    with pytest.raises(ValueError, match="batch_size"):
        BatchIterator(np.arange(20), np.arange(20), 5).load_state_dict(state)
    with pytest.raises(ValueError, match="num_examples"):
        BatchIterator(np.arange(21), np.arange(21), 4).load_state_dict(state)


def test_batch_iterator_validation():
    with pytest.raises(ValueError, match="same number of examples.*10 and 9"):
        BatchIterator(np.zeros(10), np.zeros(9), 2)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        BatchIterator(np.zeros(10), np.zeros(10), 0)
    with pytest.raises(TypeError):
        BatchIterator(np.zeros(10), np.zeros(10), 2.5)


# --------------------------------------------------------------------------------------
# nn.data: the former home, kept for compatibility
# --------------------------------------------------------------------------------------


def test_nn_data_reexports_the_new_homes():
    assert nn.data.__all__
    for name in nn.data.__all__:
        assert getattr(nn.data, name) is getattr(nn.datasets, name), name
    assert nn.data.load_mnist is mnist.load_mnist and nn.data.MIRRORS is MIRRORS
