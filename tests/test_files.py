"""nn.files: all-or-nothing writes."""

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from nn import files
from nn.files import atomic_file, write_atomic

ROOT = Path(__file__).resolve().parent.parent


def test_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    write_atomic(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert os.listdir(tmp_path) == ["out.bin"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failure_midway_keeps_the_old_file_and_leaves_no_temporary(tmp_path, error):
    target = tmp_path / "model.npz"
    target.write_bytes(b"the user's checkpoint")
    with pytest.raises(error), atomic_file(target) as f:
        f.write(b"half of the new")
        raise error
    assert target.read_bytes() == b"the user's checkpoint"
    assert os.listdir(tmp_path) == ["model.npz"]


def test_new_files_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.svg", "<svg/>")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.svg").stat().st_mode) == 0o644


# ------------------------------------------------------------------ permissions and failures


def test_rewriting_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "secret.npz"
    write_atomic(target, b"v1")
    os.chmod(target, 0o600)
    write_atomic(target, b"v2")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    os.chmod(target, 0o640)
    with atomic_file(target) as f:
        f.write(b"v3")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_bytes() == b"v3"


def test_a_symlink_is_written_through_not_replaced(tmp_path):
    real = tmp_path / "run3.npz"
    real.write_bytes(b"old")
    link = tmp_path / "latest.npz"
    link.symlink_to(real.name)
    write_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def assert_clean_failure(info, target, tmp_path, old):
    """The error names the user's file (never the hidden temporary one), the old content is
    intact and no temporary file is left."""
    msg = str(info.value)
    assert str(target) in msg and ".part" not in msg, msg
    assert info.value.filename == str(target)
    assert ".part" not in "".join(traceback.format_exception(info.value))
    if old is not None:
        assert target.read_bytes() == old
    assert [p.name for p in tmp_path.rglob("*") if p.name.endswith(".part")] == []


def test_missing_directory_names_the_path(tmp_path):
    target = tmp_path / "no-such-dir" / "model.npz"
    with pytest.raises(FileNotFoundError) as info:
        write_atomic(target, b"data")
    assert_clean_failure(info, target, tmp_path, None)


def test_full_disk_at_sync_keeps_the_old_file_and_names_the_path(tmp_path, monkeypatch):
    # A full disk or quota reported late (at fsync/close, as NFS does), faked.
    target = tmp_path / "model.npz"
    target.write_bytes(b"the previous checkpoint")

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", no_space)
    with pytest.raises(OSError) as info:
        write_atomic(target, b"x" * 10_000)
    assert info.value.errno == errno.ENOSPC
    assert_clean_failure(info, target, tmp_path, b"the previous checkpoint")


def test_permission_denied_names_the_path_not_the_temporary_file(tmp_path, monkeypatch):
    # The message path for EACCES, whoever runs the tests (root ignores chmod: see below).
    target = tmp_path / "model.npz"
    target.write_bytes(b"old")

    class Refused(files._TempFile):
        def __init__(self, tmp, target):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp))

    monkeypatch.setattr(files, "_TempFile", Refused)
    with pytest.raises(PermissionError) as info:
        write_atomic(target, b"new")
    assert_clean_failure(info, target, tmp_path, b"old")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a chmod 500 directory anyway; "
                    "test_real_full_and_read_only_file_systems covers EROFS as root")
def test_read_only_directory_names_the_path(tmp_path):
    target = tmp_path / "model.npz"
    target.write_bytes(b"old")
    os.chmod(tmp_path, 0o500)
    try:
        with pytest.raises(PermissionError) as info:
            write_atomic(target, b"new")
    finally:
        os.chmod(tmp_path, 0o700)
    assert_clean_failure(info, target, tmp_path, b"old")


# Run in a child: a real failure of write() itself, by the file-size limit (EFBIG), and with a
# private tmpfs where one can be mounted (a user+mount namespace): a full disk (ENOSPC) and a
# read-only file system (EROFS). Prints one JSON line per case.
CHILD = r"""
import errno, json, os, resource, signal, subprocess, sys
from pathlib import Path
from nn.files import write_atomic

def attempt(case, target, data):
    try:
        write_atomic(target, data)
        result = {"case": case, "raised": None}
    except OSError as exc:
        result = {"case": case, "raised": type(exc).__name__, "errno": exc.errno,
                  "message": str(exc), "filename": exc.filename}
    result["target"] = str(target)
    result["content"] = target.read_bytes().decode() if target.exists() else None
    result["left"] = sorted(p.name for p in target.parent.iterdir())
    print(json.dumps(result), flush=True)

root = Path(sys.argv[1])
if sys.argv[2] == "fsize":
    (root / "model.npz").write_bytes(b"old")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
    attempt("EFBIG", root / "model.npz", b"x" * 200_000)
else:
    for name, options in (("full", "size=64k"), ("ro", "size=64k")):
        mnt = root / name
        mnt.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mnt)], check=True)
        (mnt / "model.npz").write_bytes(b"old")
        if name == "ro":
            subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
    attempt("ENOSPC", root / "full" / "model.npz", b"x" * 1_000_000)
    attempt("EROFS", root / "ro" / "model.npz", b"new")
"""


def run_child(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([*args], input=CHILD, capture_output=True, text=True, timeout=60,
                          env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def check_failure(result, errname):
    assert result["raised"] is not None, result
    assert errno.errorcode[result["errno"]] == errname, result
    assert result["filename"] == result["target"], result
    assert result["target"] in result["message"] and ".part" not in result["message"], result
    assert result["content"] == "old"  # the previous file, intact
    assert result["left"] == ["model.npz"]  # no temporary file


def test_real_write_failure_file_size_limit(tmp_path):
    [result] = run_child(sys.executable, "-", str(tmp_path), "fsize")
    check_failure(result, "EFBIG")


def _can_unshare() -> bool:
    if not shutil.which("unshare") or not sys.platform.startswith("linux"):
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"],
                           capture_output=True, timeout=10)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="needs a user+mount namespace (unshare) to "
                    "mount a private tmpfs")
def test_real_full_and_read_only_file_systems(tmp_path):
    results = run_child("unshare", "--user", "--map-root-user", "--mount", sys.executable, "-",
                        str(tmp_path), "tmpfs")
    assert [r["case"] for r in results] == ["ENOSPC", "EROFS"]
    check_failure(results[0], "ENOSPC")
    check_failure(results[1], "EROFS")
