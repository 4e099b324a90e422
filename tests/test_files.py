"""nn.files: all-or-nothing writes."""

import os
import stat

import pytest

from nn.files import atomic_file, write_atomic


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
