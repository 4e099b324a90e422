"""Downloads that go wrong: endless, slow, truncated, HTML instead of data, wrong checksum,
unverifiable content — and the user's own mirrors. Only ever against an http.server started
here on 127.0.0.1 (the default mirrors point at a closed local port); deadlines are ~1 s."""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from no_data import dead_url, offline_no_data

from nn.datasets import download
from nn.datasets.download import DownloadError
from nn.datasets.idx import write_idx
from nn.datasets.mirrors import IDX_FILES, MD5, MIRRORS, SIZES
from nn.datasets.mnist import MIRRORS_ENV_VAR, load_mnist

GZ_NAMES = [f"{stem}.gz" for stem in IDX_FILES]
HTML = b"<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>\n"



@pytest.fixture(autouse=True)
def hermetic(monkeypatch, tmp_path):
    """No user environment, no system datasets, no live host (no_data.offline_no_data)."""
    offline_no_data(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def blobs(tmp_path_factory) -> dict[str, bytes]:
    """The four .gz files of a small synthetic MNIST (12 training, 6 test examples)."""
    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("synth")
    arrays = [rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
              np.arange(12, dtype=np.uint8) % 10,
              rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), np.arange(6, dtype=np.uint8)]
    for name, array in zip(GZ_NAMES, arrays, strict=True):
        write_idx(d / name, array)
    return {name: (d / name).read_bytes() for name in GZ_NAMES}


class Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (mode, body)``; modes: ok, endless, slow-body,
    slow-headers, truncated (closes early, no Content-Length), huge-length."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)
        mode, body = self.server.routes.get(self.path, ("missing", b""))
        try:
            if mode == "missing":
                self.send_error(404)
            elif mode == "slow-headers":
                for byte in b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.25)
            else:
                self.send_response(200)
                if mode in ("ok", "huge-length"):
                    self.send_header("Content-Length",
                                     str(len(body) if mode == "ok" else 10**12))
                self.end_headers()
                self.write_body(mode, body)
        except OSError:
            pass  # the client gave up: that is the point

    def write_body(self, mode, body):
        if mode == "endless":
            chunk = bytes(1 << 16)
            while True:
                self.wfile.write(chunk)
        elif mode == "slow-body":
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.25)
        elif mode == "truncated":
            self.wfile.write(body[: len(body) // 2])
        elif mode == "ok":
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.routes, httpd.requests = {}, []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"

    def serve(prefix: str, files: dict[str, bytes], mode: str = "ok") -> str:
        for name, body in files.items():
            httpd.routes[f"/{prefix}/{name}"] = (mode, body)
        return f"{base}/{prefix}/"

    try:
        yield SimpleNamespace(serve=serve, requests=httpd.requests, base=base)
    finally:
        httpd.shutdown()
        httpd.server_close()


def cache_of(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "mnist"


def cached(tmp_path: Path) -> list[str]:
    """Everything in the cache directory, hidden files included."""
    d = cache_of(tmp_path)
    return sorted(os.listdir(d)) if d.exists() else []


def md5s(blobs: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.md5(blob).hexdigest() for name, blob in blobs.items()}


def fails(tmp_path, mirrors, **kw) -> tuple[str, float]:
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        load_mnist(cache_dir=tmp_path / "cache", mirrors=mirrors, timeout=5, **kw)
    return str(info.value), time.monotonic() - start


# ------------------------------------------------------------------------------ bounded


def test_endless_response_is_cut_at_the_known_size(tmp_path, server):
    # The official checksums apply (md5 not overridden), so the official sizes are known.
    mirror = server.serve("m", {GZ_NAMES[0]: b""}, mode="endless")
    msg, seconds = fails(tmp_path, [mirror])
    assert f"more than the {SIZES['mnist'][GZ_NAMES[0]]} bytes" in msg
    assert seconds < 5
    assert cached(tmp_path) == []


def test_endless_response_of_a_file_of_unknown_size_hits_the_cap(tmp_path, server, monkeypatch):
    monkeypatch.setattr(download, "MAX_DOWNLOAD_BYTES", 1 << 20)  # 256 MiB is slow to test
    mirror = server.serve("m", {GZ_NAMES[0]: b""}, mode="endless")
    msg, _ = fails(tmp_path, [mirror], md5={})
    assert f"more than the {1 << 20} bytes" in msg
    assert cached(tmp_path) == []


def test_announced_length_over_the_cap_is_refused_before_reading(tmp_path, server):
    mirror = server.serve("m", {GZ_NAMES[0]: b""}, mode="huge-length")
    msg, seconds = fails(tmp_path, [mirror])
    assert "announces 1000000000000 bytes" in msg and seconds < 5
    assert cached(tmp_path) == []


@pytest.mark.parametrize("mode", ["slow-body", "slow-headers"])
def test_a_trickling_server_is_abandoned_at_the_deadline(tmp_path, server, blobs, mode):
    # One byte every 0.25 s: each read succeeds well within the socket timeout (5 s), so only
    # a deadline on the whole transfer ends it.
    mirror = server.serve("m", blobs, mode=mode)
    msg, seconds = fails(tmp_path, [mirror], md5=md5s(blobs), deadline=1.0)
    assert "deadline" in msg and "1 s" in msg, msg
    assert 0.9 < seconds < 3
    assert cached(tmp_path) == []


# --------------------------------------------------------------------- verified content


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.tobytes())


@pytest.mark.parametrize("bad, reason", [
    ("html", "HTML page"),
    ("truncated", "truncated"),
    ("wrong-shape", "Nx28x28"),
    ("label-count", "holds 11 examples"),
    ("labels>9", "0..9"),
])
def test_unverified_content_is_never_cached_and_the_next_mirror_is_used(
        tmp_path, server, blobs, bad, reason):
    # No checksum known (md5={}): the content itself must prove the file is what it claims.
    wrong, bad_name = dict(blobs), GZ_NAMES[0]
    if bad == "html":
        wrong = dict.fromkeys(blobs, HTML)
    elif bad == "wrong-shape":
        wrong[bad_name] = idx_gz(np.zeros((12, 28, 27), dtype=np.uint8))
    elif bad == "label-count":
        wrong[bad_name := GZ_NAMES[1]] = idx_gz(np.arange(11, dtype=np.uint8) % 10)
    elif bad == "labels>9":
        wrong[bad_name := GZ_NAMES[1]] = idx_gz(np.arange(12, dtype=np.uint8))
    first = server.serve("bad", wrong, mode="truncated" if bad == "truncated" else "ok")
    msg, _ = fails(tmp_path, [first], md5={})
    assert reason in msg, msg
    # The files before the bad one were verified and kept; the bad one left nothing behind.
    assert cached(tmp_path) == sorted(GZ_NAMES[:GZ_NAMES.index(bad_name)])

    good = server.serve("good", blobs)
    data = load_mnist(cache_dir=tmp_path / "cache", mirrors=[first, good], md5={}, timeout=5)
    assert data.x_train.shape == (12, 784) and data.y_test.tolist() == list(range(6))
    assert cached(tmp_path) == sorted(GZ_NAMES)
    for name in GZ_NAMES:
        assert (cache_of(tmp_path) / name).read_bytes() == blobs[name]


def test_wrong_checksum_then_good_mirror(tmp_path, server, blobs):
    html = server.serve("html", dict.fromkeys(blobs, HTML))
    good = server.serve("good", blobs)
    load_mnist(cache_dir=tmp_path / "cache", mirrors=[html, good], md5=md5s(blobs), timeout=5)
    assert cached(tmp_path) == sorted(GZ_NAMES)
    msg, _ = fails(tmp_path / "again", [html], md5=md5s(blobs))
    assert "checksum mismatch" in msg and "HTML page" in msg


def test_html_cached_by_an_older_version_is_replaced(tmp_path, server, blobs):
    # An older version cached an error page as the training images (checksum unknown): every
    # later load broke, even with a good mirror. Now the bad file is removed and fetched again.
    cache = cache_of(tmp_path)
    cache.mkdir(parents=True)
    for name in GZ_NAMES:
        (cache / name).write_bytes(HTML if name == GZ_NAMES[0] else blobs[name])
    good = server.serve("good", blobs)
    with pytest.warns(UserWarning, match="removing .*train-images-idx3-ubyte.gz from the cache"):
        data = load_mnist(cache_dir=tmp_path / "cache", mirrors=[good], md5={}, timeout=5)
    assert data.x_train.shape == (12, 784)
    assert (cache / GZ_NAMES[0]).read_bytes() == blobs[GZ_NAMES[0]]
    assert server.requests == [f"/good/{GZ_NAMES[0]}"]  # only the bad file fetched again
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_mnist(cache_dir=tmp_path / "cache", mirrors=[good], md5={}, timeout=5)
    assert len(server.requests) == 1


def test_a_bad_cached_file_is_kept_when_downloads_are_off(tmp_path, blobs):
    cache = cache_of(tmp_path)
    cache.mkdir(parents=True)
    for name in GZ_NAMES:
        (cache / name).write_bytes(HTML if name == GZ_NAMES[0] else blobs[name])
    with pytest.raises(ValueError, match="train-images"):
        load_mnist(cache_dir=tmp_path / "cache", download=False)
    assert (cache / GZ_NAMES[0]).read_bytes() == HTML


# ------------------------------------------------------------------------- your mirrors


def test_environment_mirrors_come_before_the_built_in_ones(tmp_path, server, blobs,
                                                           monkeypatch):
    down = f"{dead_url()}"
    good = server.serve("env", blobs)
    monkeypatch.setenv(MIRRORS_ENV_VAR, f" {down} , {good},")
    data = load_mnist(cache_dir=tmp_path / "cache", md5=md5s(blobs), timeout=5)
    assert data.x_test.shape == (6, 784)
    assert sorted(server.requests) == sorted(f"/env/{name}" for name in GZ_NAMES)

    # When they all fail, the message lists them, then the built-in mirrors.
    monkeypatch.setenv(MIRRORS_ENV_VAR, down)
    msg, _ = fails(tmp_path / "b", None)
    assert msg.index(down) < msg.index(MIRRORS["mnist"][0])


def test_the_mirrors_argument_replaces_environment_and_built_in_mirrors(tmp_path, server, blobs,
                                                                      monkeypatch):
    env = server.serve("env", blobs)
    monkeypatch.setenv(MIRRORS_ENV_VAR, env)
    arg = server.serve("arg", blobs)
    load_mnist(cache_dir=tmp_path / "cache", mirrors=arg, md5=md5s(blobs), timeout=5)
    assert sorted(server.requests) == sorted(f"/arg/{name}" for name in GZ_NAMES)
    msg, _ = fails(tmp_path / "b", [f"{server.base}/nothing/"])
    assert env not in msg and MIRRORS["mnist"][0] not in msg


@pytest.mark.parametrize("where", ["env", "arg"])
def test_a_mirror_must_be_an_http_url(tmp_path, monkeypatch, where):
    bad = "file:///etc/"
    if where == "env":
        monkeypatch.setenv(MIRRORS_ENV_VAR, bad)
    with pytest.raises(ValueError, match=MIRRORS_ENV_VAR if where == "env" else "mirrors"):
        load_mnist(cache_dir=tmp_path / "cache", mirrors=[bad] if where == "arg" else None)


def test_official_sizes_and_checksums_cover_the_same_files():
    assert MD5.keys() == SIZES.keys() == MIRRORS.keys()
    for key in MD5:
        assert MD5[key].keys() == SIZES[key].keys() == set(GZ_NAMES)
