"""A new user's first hour: the commands of the README, run as a user runs them.

From a fresh copy of the repository (the files git tracks, in a temporary directory, run with
that copy first on the path): the examples train and compare on the data a user points them at
(``$AUTOGRAD_MINI_DATA`` or ``--data-dir``), and without data they fail at once saying what to
do — on a machine whose mirrors are unreachable (tests/no_data.py), so no network is tried.
From ``pip install`` of the wheel into a new virtual environment: the ``autograd-mini-train``
command and ``python -m nn`` work from a directory outside the clone, and the wheel carries the
licence.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest
from no_data import SHARED_MNIST, offline_env

ROOT = Path(__file__).resolve().parent.parent
needs_data = pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="no MNIST beside the repo")
QUICK = ["--limit", "500", "--epochs", "1", "--sizes", "784", "20", "10"]


def tracked_files() -> list[str]:
    """The files a clone has: those git tracks, and new ones not ignored (not yet committed)."""
    try:
        proc = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        proc = None
    if proc is None or proc.returncode != 0:
        pytest.skip("not a git checkout: no clone to copy")
    return [f for f in proc.stdout.splitlines() if (ROOT / f).is_file()]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of the repository: nothing but what git has (no ../shared beside it)."""
    dest = tmp_path_factory.mktemp("fresh") / "autograd-mini"
    for name in tracked_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    return dest


def run(cmd: list, env: dict[str, str], cwd: Path, timeout: float = 300):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout)


def test_user_facing_files_do_not_name_the_private_data_folder(clone: Path) -> None:
    assert not (clone.parent / "shared").exists()
    for path in sorted((clone / "examples").glob("*.py")):
        assert "../shared" not in path.read_text(), path.name
    for path in sorted((clone / "nn").glob("cli*.py")):
        assert "../shared" not in path.read_text(), path.name


@needs_data
def test_examples_train_and_compare_on_the_data_the_user_points_at(clone, tmp_path) -> None:
    env = offline_env(tmp_path, pythonpath=clone)
    env["AUTOGRAD_MINI_DATA"] = str(SHARED_MNIST)
    proc = run([sys.executable, "examples/train_mnist.py", *QUICK], env, clone)
    assert proc.returncode == 0, proc.stderr
    assert "data: mnist, 500 training / 10000 test examples" in proc.stdout
    assert "epoch 1/1:" in proc.stdout and "summary: best test accuracy" in proc.stdout
    proc = run([sys.executable, "examples/compare_deltas.py", "--batch", "4"], env, clone)
    assert proc.returncode == 0, proc.stderr
    assert "4 MNIST training images" in proc.stdout and "RANDOM" not in proc.stdout
    del env["AUTOGRAD_MINI_DATA"]
    proc = run([sys.executable, "examples/compare_deltas.py", "--batch", "4", "--data-dir",
                SHARED_MNIST], env, clone)
    assert proc.returncode == 0, proc.stderr
    assert f"MNIST training images from {SHARED_MNIST}" in proc.stdout


def test_examples_without_data_fail_at_once_saying_what_to_do(clone, tmp_path) -> None:
    env = offline_env(tmp_path, pythonpath=clone)
    start = time.perf_counter()
    proc = run([sys.executable, "examples/train_mnist.py"], env, clone)
    assert proc.returncode == 1 and "epoch" not in proc.stdout
    err = proc.stderr
    assert err.startswith("python examples/train_mnist.py: error: no mnist data found")
    assert "offline?" in err and env["TEST_DEAD_MIRROR"] in err
    assert "python examples/train_mnist.py --data-dir DIR" in err
    assert "AUTOGRAD_MINI_DATA=DIR" in err and "Traceback" not in err
    proc = run([sys.executable, "examples/compare_deltas.py"], env, clone)
    assert proc.returncode == 1 and "RANDOM" not in proc.stdout
    assert "python examples/compare_deltas.py --data-dir DIR" in proc.stderr
    proc = run([sys.executable, "examples/compare_deltas.py", "--random", "--batch", "2"], env,
               clone)
    assert proc.returncode == 0 and "RANDOM" in proc.stdout  # only when asked for
    assert time.perf_counter() - start < 60


@pytest.mark.slow
def test_pip_install_gives_the_training_command(clone, tmp_path) -> None:
    dist = tmp_path / "dist"
    build = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, clone],
                dict(os.environ), tmp_path, timeout=600)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip().splitlines()[-1:]}")
    (wheel,) = dist.glob("autograd_mini-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(info).decode()
        licence = zf.read(next(n for n in names if n.endswith("/licenses/LICENSE"))).decode()
        entry_points = zf.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert "License-Expression: MIT" in metadata and "License-File: LICENSE" in metadata
    assert licence.startswith("MIT License") and "the autograd-mini authors" in licence
    assert "autograd-mini-train = nn.cli:main" in entry_points
    packages = {str(init.relative_to(clone)) for top in ("autograd_mini", "nn", "viz")
                for init in (clone / top).rglob("__init__.py")}
    assert "autograd_mini/ops/__init__.py" in packages and packages <= set(names)  # all of them
    assert {"nn/cli.py", "nn/__main__.py", "nn/datasets/mnist.py", "viz/plots.py"} <= set(names)
    assert not [n for n in names if n.startswith(("tests/", "examples/"))]

    # A new environment with nothing but the wheel; its dependencies (numpy, ...) come from
    # this test's environment through a .pth file instead of a download.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    dict(os.environ), tmp_path).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
                   "--no-index", "-q", wheel], dict(os.environ), tmp_path, timeout=300)
    assert install.returncode == 0, install.stderr

    home = tmp_path / "elsewhere"  # not the clone: nothing but the installed package
    home.mkdir()
    env = offline_env(tmp_path)
    command = venv / "bin" / "autograd-mini-train"
    proc = run([python, "-c", "import nn.cli; print(nn.cli.__file__)"], env, home)
    assert Path(proc.stdout.strip()).is_relative_to(venv), proc.stdout + proc.stderr
    proc = run([command, "--help"], env, home)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: autograd-mini-train ")
    proc = run([command, "--epochs", "1"], env, home)
    assert proc.returncode == 1 and "autograd-mini-train --data-dir DIR" in proc.stderr
    if SHARED_MNIST.is_dir():
        proc = run([command, "--data-dir", SHARED_MNIST, *QUICK], env, home)
        assert proc.returncode == 0, proc.stderr
        assert "epoch 1/1:" in proc.stdout
        proc = run([python, "-m", "nn", "--data-dir", SHARED_MNIST, *QUICK], env, home)
        assert proc.returncode == 0 and "epoch 1/1:" in proc.stdout, proc.stderr
