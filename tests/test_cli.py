"""The training program's command line (nn/cli.py), used as a person uses it: what it says when
something is wrong, and that it says so before training rather than after.

Runs ``nn.cli.main`` in this process on small synthetic IDX files (as tests/test_train.py does);
tests/test_first_hour.py runs the same program as a user's commands in child processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from no_data import offline_no_data

import nn.cli as cli
import nn.train
from nn.blas import OpenBLAS, limit_blas_threads
from nn.checkpoint import read_checkpoint
from nn.cli_checks import check_network_size, network_bytes, parameter_count
from nn.datasets import CLASSES, DownloadError, load_mnist, write_idx
from nn.datasets.mirrors import IDX_FILES

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--sizes", "784", "12", "10", "--limit", "200", "--seed", "1"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four IDX files: 200 training and 100 test images, each class a block of pixels."""
    d = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    for name, n in zip(IDX_FILES, (200, 200, 100, 100), strict=True):
        labels = np.arange(n) % 10
        if "labels" in name:
            write_idx(d / name, labels.astype(np.uint8))
            continue
        images = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(labels):
            images[i, 2 * c : 2 * c + 6, 4:24] = 250
        write_idx(d / name, images)
    return d


def run(argv: list, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv], prog="autograd-mini-train")
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, out: str, err: str) -> str:
    """The error line of a run refused before training (exit status 2, nothing trained)."""
    assert code == 2, (out, err)
    assert "epoch" not in out and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograd-mini-train: error: "), err
    return lines[0]


# --------------------------------------------------------------------------- the program


def test_the_program_is_installed_as_a_command_and_as_python_m_nn() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text().splitlines()
    assert 'autograd-mini-train = "nn.cli:main"' in pyproject
    assert 'license = "MIT"' in pyproject and 'license-files = ["LICENSE"]' in pyproject
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) the autograd-mini authors" in text
    proc = subprocess.run([sys.executable, "-m", "nn", "--help"], capture_output=True,
                          text=True, timeout=60, cwd=ROOT / "tests")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: python -m nn ")
    for option in ("--data-dir", "--limit", "--sizes", "--checkpoint", "--resume", "--plot"):
        assert option in proc.stdout
    assert "AUTOGRAD_MINI_DATA" in proc.stdout and "../shared" not in proc.stdout


def test_blas_runs_on_one_thread_unless_the_environment_says(monkeypatch) -> None:
    blas = OpenBLAS()
    if blas.threads() is None:
        pytest.skip("numpy does not use OpenBLAS here")
    before = blas.threads()
    try:
        blas.set_threads(2)
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
        assert limit_blas_threads() == 2  # the user's choice is kept
        monkeypatch.delenv("OPENBLAS_NUM_THREADS")
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert limit_blas_threads() == 1 and blas.threads() == 1
    finally:
        blas.set_threads(before)


# --------------------------------------------------------------------------- no data, offline


def test_offline_without_data_fails_fast_with_command_line_advice(monkeypatch, tmp_path,
                                                                  capsys) -> None:
    url = offline_no_data(monkeypatch, tmp_path)
    start = time.perf_counter()
    code, out, err = run(["--epochs", "1"], capsys)
    assert time.perf_counter() - start < 10
    assert code == 1 and "epoch" not in out
    assert "no mnist data found" in err and "offline?" in err
    assert f"{url}a/train-images-idx3-ubyte.gz" in err and f"{url}b/" in err  # mirrors tried
    assert str(tmp_path / "cache" / "autograd-mini" / "mnist") in err  # where it looked
    assert "autograd-mini-train --data-dir DIR" in err and "AUTOGRAD_MINI_DATA=DIR" in err
    assert "load_mnist(" not in err  # advice for the interface the user is in
    assert "apt-get" not in err  # no Debian package for MNIST


def test_offline_fashion_mnist_mentions_the_debian_package(monkeypatch, tmp_path,
                                                            capsys) -> None:
    offline_no_data(monkeypatch, tmp_path)
    code, _, err = run(["--dataset", "fashion-mnist"], capsys)
    assert code == 1
    assert "apt-get install dataset-fashion-mnist" in err and "--data-dir DIR" in err


def test_download_error_carries_the_facts_and_python_advice(monkeypatch, tmp_path) -> None:
    url = offline_no_data(monkeypatch, tmp_path)
    env_dir = tmp_path / "env"
    monkeypatch.setenv("AUTOGRAD_MINI_DATA", str(env_dir))
    with pytest.raises(DownloadError) as info:
        load_mnist("fashion-mnist")
    exc = info.value
    assert exc.dataset == "fashion-mnist" and exc.file == "train-images-idx3-ubyte.gz"
    assert exc.unreachable and [u for u, _ in exc.failures] == [
        f"{url}a/train-images-idx3-ubyte.gz", f"{url}b/train-images-idx3-ubyte.gz"]
    assert exc.searched[:2] == [env_dir, env_dir / "fashion-mnist"]
    assert exc.searched[-1] == tmp_path / "cache" / "autograd-mini" / "fashion-mnist"
    assert exc.missing == [f"{stem}.gz" for stem in IDX_FILES]
    assert "load_mnist('fashion-mnist', data_dir=" in str(exc)  # the Python interface
    assert "apt-get install dataset-fashion-mnist" in str(exc)


# --------------------------------------------------------------------------- before training


def test_unwritable_checkpoint_is_refused_before_training(data_dir, tmp_path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    line = one_line_error(*run(["--data-dir", data_dir, *SMALL, "--checkpoint",
                                tmp_path / "missing" / "run.npz"], capsys))
    assert f"the directory {tmp_path / 'missing'} does not exist" in line
    line = one_line_error(*run(["--data-dir", data_dir, *SMALL, "--checkpoint",
                                tmp_path / "file" / "run.npz"], capsys))
    assert f"{tmp_path / 'file'} is not a directory" in line
    line = one_line_error(*run(["--data-dir", data_dir, *SMALL, "--checkpoint", tmp_path],
                               capsys))
    assert "is a directory" in line
    line = one_line_error(*run(["--data-dir", data_dir, *SMALL, "--plot",
                                tmp_path / "missing" / "curves.png"], capsys))
    assert line.startswith("autograd-mini-train: error: --plot ")
    assert list(tmp_path.iterdir()) == [tmp_path / "file"]  # no probe files left behind


def test_read_only_directory_is_refused_before_training(data_dir, tmp_path, capsys,
                                                        monkeypatch) -> None:
    # chmod does not stop root: make creating files in the directory fail the way it would.
    locked = tmp_path / "locked"
    locked.mkdir()
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if Path(path).parent == locked and flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    line = one_line_error(*run(["--data-dir", data_dir, *SMALL, "--checkpoint",
                                locked / "run.npz"], capsys))
    assert f"cannot write in {locked} (Permission denied)" in line


def test_a_file_that_is_not_a_checkpoint_is_refused_in_one_line(data_dir, tmp_path,
                                                                 capsys) -> None:
    npy = tmp_path / "weights.npy"
    np.save(npy, np.zeros(3))
    line = one_line_error(*run(["--checkpoint", npy, "--resume"], capsys))
    assert str(npy) in line
    (tmp_path / "text.npz").write_text("not a zip file")
    line = one_line_error(*run(["--checkpoint", tmp_path / "text.npz", "--resume"], capsys))
    assert str(tmp_path / "text.npz") in line
    line = one_line_error(*run(["--checkpoint", tmp_path / "missing" / "run.npz", "--resume"],
                               capsys))
    assert "no checkpoint at" in line


def test_sizes_are_checked_before_anything_is_allocated(capsys) -> None:
    start = time.perf_counter()
    line = one_line_error(*run(["--sizes", "784", "10000000", "10"], capsys))
    assert time.perf_counter() - start < 5
    assert "7,950,000,010 parameters" in line and " GB of memory" in line
    line = one_line_error(*run(["--sizes", "784", "30", "5"], capsys))
    assert "784 inputs and 10 classes" in line and "--sizes 784 30 10" in line
    with pytest.raises(SystemExit) as info:  # argparse's own usage error
        run(["--sizes", "784", "0", "10"], capsys)
    assert info.value.code == 2 and "--sizes: must be a positive integer" in capsys.readouterr().err


def test_the_memory_budget_counts_parameters_and_activations() -> None:
    sizes = [784, 30, 10]
    assert parameter_count(sizes) == 784 * 30 + 30 + 30 * 10 + 10 == 23_860
    need = network_bytes(sizes, "float64", 10)
    assert need == (4 * 23_860 + 1000 * 40 * 3) * 8  # evaluation batch of 1000 rows
    assert network_bytes(sizes, "float32", 10) == need // 2
    assert check_network_size(sizes, "float64", 10, 784, 10, memory=need) is None
    refused = check_network_size(sizes, "float64", 10, 784, 10, memory=need - 1)
    assert refused.startswith("--sizes 784 30 10: 23,860 parameters would need about 2 MB")


def test_plot_without_matplotlib_is_refused_at_the_start(data_dir, tmp_path, capsys,
                                                         monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    line = one_line_error(*run(["--data-dir", data_dir, *SMALL, "--plot",
                                tmp_path / "curves.png"], capsys))
    assert "--plot needs matplotlib" in line and "pip install matplotlib" in line


# --------------------------------------------------------------------------- interruptions


def test_ctrl_c_after_the_last_epoch_says_training_finished(data_dir, tmp_path, capsys,
                                                            monkeypatch) -> None:
    ck = tmp_path / "run.npz"
    real_evaluate = nn.train.evaluate
    calls = []

    def evaluate_then_ctrl_c(*args, **kwargs):  # a real SIGINT during the last evaluation
        calls.append(1)
        result = real_evaluate(*args, **kwargs)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return result

    monkeypatch.setattr(nn.train, "evaluate", evaluate_then_ctrl_c)
    code, out, err = run(["--data-dir", data_dir, *SMALL, "--epochs", "2", "--checkpoint", ck],
                         capsys)
    assert code == 130
    assert "epoch 2/2" in out and "summary: best" in out
    assert "epoch 3" not in out + err and "in epoch" not in err
    assert "interrupted after training finished (2 of 2 epochs)" in err
    assert f"checkpoint {ck} is complete" in err and "--resume" not in err
    assert read_checkpoint(ck).epoch == 2


def test_ctrl_c_while_plotting_says_training_finished(data_dir, tmp_path, capsys,
                                                      monkeypatch) -> None:
    pytest.importorskip("matplotlib")

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "plot_all", ctrl_c)
    code, out, err = run(["--data-dir", data_dir, *SMALL, "--epochs", "1", "--plot",
                          tmp_path / "c.png"], capsys)
    assert code == 130 and "summary" in out
    assert "interrupted after training finished (1 of 1 epochs), while drawing the plots" in err


# --------------------------------------------------------------------------- class names


def test_fashion_mnist_pictures_name_the_classes(data_dir, tmp_path, capsys) -> None:
    pytest.importorskip("matplotlib")
    svg = tmp_path / "fashion.svg"
    code, out, err = run(["--dataset", "fashion-mnist", "--data-dir", data_dir, *SMALL,
                          "--epochs", "1", "--lr", "0.01", "--plot", svg], capsys)
    assert code == 0, err
    errors = (tmp_path / "fashion-errors.svg").read_text()
    names = CLASSES["fashion-mnist"]
    assert names[9] == "Ankle boot" and names[0] == "T-shirt/top" and len(names) == 10
    assert sum(f"true {name}<" in errors for name in names) >= 3
    assert "true 9<" not in errors and "true 3<" not in errors


def test_plot_misclassified_titles(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from viz.plots import plot_misclassified

    images = np.zeros((3, 784))
    names = CLASSES["fashion-mnist"]
    plot_misclassified(images, [5, 0, 9], [7, 6, 8], tmp_path / "f.svg", class_names=names)
    text = (tmp_path / "f.svg").read_text()
    for title in ("pred Sneaker", "true Sandal", "pred Shirt", "true T-shirt/top", "pred Bag",
                  "true Ankle boot"):
        assert f">{title}<" in text
    plot_misclassified(images, [5, 0, 9], [7, 6, 8], tmp_path / "d.svg",
                       class_names=CLASSES["mnist"])
    assert ">pred 7 / true 5<" in (tmp_path / "d.svg").read_text()  # short names: one line
    with pytest.raises(ValueError, match="3 class names"):
        plot_misclassified(images, [5, 0, 9], [7, 6, 8], tmp_path / "x.svg",
                           class_names=["a", "b", "c"])
