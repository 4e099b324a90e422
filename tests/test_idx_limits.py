"""IDX files built to exhaust memory: each is refused with an IDXError naming the file, and
memory stays independent of what the header claims. The files are built here (never
committed) and read in a child process with its address space capped at 500 MB, so that a
regression fails the test instead of the machine."""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn.datasets.idx import MAX_IDX_BYTES, IDXError, read_idx, write_idx

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 500 << 20

READER = r"""
import json, resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from nn.datasets.idx import read_idx
for path in sys.argv[2:]:
    try:
        read_idx(path)
        result = {"raised": None}
    except BaseException as exc:  # MemoryError included: that is what we look for
        result = {"raised": type(exc).__name__, "message": str(exc)}
    result["path"] = path
    # Peak resident memory of this process (VmHWM: ru_maxrss would include the parent's, as
    # Linux keeps it across exec).
    with open("/proc/self/status") as status:
        hwm = next(line for line in status if line.startswith("VmHWM:"))
    result["peak_mb"] = int(hwm.split()[1]) / 1024
    print(json.dumps(result), flush=True)
"""


def header(code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def zeros_gz(n: int) -> bytes:
    """gzip members that expand to ``n`` zero bytes, built from one 16 MiB member (a gzip file
    may be several members in a row): 1.5 GB of zeros in 1.5 MB, in milliseconds."""
    block = 16 << 20
    member = gzip.compress(bytes(block), compresslevel=9, mtime=0)
    full, rest = divmod(n, block)
    return member * full + gzip.compress(bytes(rest), mtime=0)


def build_bombs(d: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the error must say)."""
    n = 1_500_000_000 // 784  # a 1.5 GB image array, consistent with its header
    rng = np.random.default_rng(0)
    files = {
        # A zero dimension makes the data empty, but the shape is still absurd.
        "zero-and-huge-dims": (header(0x08, (0, 0xFFFFFFFF, 0xFFFFFFFF)), "more than"),
        # 34 bytes claiming 280 TB.
        "tiny-gzip-huge-claim": (gzip.compress(header(0x08, (0xFFFFFF, 0xFFFF, 0xFF)), mtime=0),
                                 "more than"),
        # 34 bytes claiming 94 MB: under the size limit, but a gzip file this small cannot
        # hold it (deflate expands at most 1032-fold).
        "gzip-claim-beyond-deflate": (gzip.compress(header(0x08, (120_000, 28, 28)), mtime=0),
                                      "holds at most"),
        # 1.46 MB that really expand to 1.5 GB of valid IDX data.
        "gzip-bomb-1.5GB": (gzip.compress(header(0x08, (n, 28, 28)), mtime=0) + zeros_gz(n * 784),
                            "more than"),
        # Claims 450 MB (under the limit, and plausible for 450 kB of gzip), holds 450 kB:
        # memory must follow the data actually there.
        "gzip-claims-450MB-holds-450kB": (
            gzip.compress(header(0x08, (450_000, 1000)) + rng.bytes(450_000), mtime=0),
            "found 450000 (file truncated?)"),
    }
    out = {}
    for name, (blob, words) in files.items():
        path = d / name
        path.write_bytes(blob)
        out[name] = (path, words)
    return out


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc/self/status: Linux")
def test_memory_bombs_are_refused_with_bounded_memory(tmp_path):
    bombs = build_bombs(tmp_path)
    assert os.path.getsize(bombs["gzip-bomb-1.5GB"][0]) < 1_600_000
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    paths = [str(path) for path, _ in bombs.values()]
    proc = subprocess.run([sys.executable, "-c", READER, str(LIMIT), *paths],
                          capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    results = {Path(r["path"]).name: r for r in map(json.loads, proc.stdout.splitlines())}
    assert results.keys() == bombs.keys()
    for name, (path, words) in bombs.items():
        r = results[name]
        assert r["raised"] == "IDXError", (name, r)
        assert str(path) in r["message"] and words in r["message"], (name, r["message"])
        assert r["peak_mb"] < 150, (name, r["peak_mb"])  # 500 MB would be allowed


def test_the_limit_can_be_raised_for_a_genuinely_large_file(tmp_path):
    path = tmp_path / "big.gz"
    write_idx(path, np.zeros((3, 4), dtype=np.uint8))
    with pytest.raises(IDXError, match="more than the 10 bytes"):
        read_idx(path, max_bytes=10)
    assert read_idx(path, max_bytes=12).shape == (3, 4)
    assert MAX_IDX_BYTES >= 547 * 10**6  # EMNIST's largest file still loads by default


def test_trailing_data_is_counted_only_so_far(tmp_path):
    # 12 bytes of data then 200 MB of zeros: reported without decompressing it all.
    path = tmp_path / "trailing.gz"
    path.write_bytes(gzip.compress(header(0x08, (12,)) + bytes(12), mtime=0)
                     + zeros_gz(200 << 20))
    with pytest.raises(IDXError, match=r"found more than \d+ \(trailing data"):
        read_idx(path)
