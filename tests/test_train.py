"""Tests of nn/train.py and of the training program (nn/cli.py, run as examples/train_mnist.py,
``python -m nn`` and ``autograd-mini-train``) on small synthetic IDX data sets."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn.cli as script
import nn.train
from nn import backprop, checkpoint, interrupts, train_config
from nn.checkpoint import read_checkpoint
from nn.datasets.idx import write_idx
from nn.datasets.mirrors import IDX_FILES
from nn.interrupts import TrainingInterrupted
from nn.train import Trainer, evaluate
from nn.train_config import TrainConfig, compare_configs

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "train_mnist.py"
MNIST_10K = ROOT.parent / "shared" / "data" / "mnist-10k"
HAS_MPL = importlib.util.find_spec("matplotlib") is not None


# --------------------------------------------------------------------------- data


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n learnable 28x28 uint8 images: class c is a bright blob at its own place, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    rows, cols = np.mgrid[0:28, 0:28]
    centres = [(5 + 6 * (c // 4), 4 + 6 * (c % 4)) for c in range(10)]
    images = np.empty((n, 28, 28), dtype=np.uint8)
    for i, c in enumerate(labels):
        r0, c0 = centres[c]
        r0, c0 = r0 + rng.integers(-1, 2), c0 + rng.integers(-1, 2)
        blob = np.exp(-((rows - r0) ** 2 + (cols - c0) ** 2) / 8.0)
        noisy = 230 * blob + rng.uniform(0, 40, size=(28, 28))
        images[i] = np.clip(noisy, 0, 255).astype(np.uint8)
    return images, labels


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the four IDX files: 400 training and 200 test blob images."""
    d = tmp_path_factory.mktemp("blobs")
    x_train, y_train = blobs(400, 1)
    x_test, y_test = blobs(200, 2)
    for name, arr in zip(IDX_FILES, (x_train, y_train, x_test, y_test), strict=True):
        write_idx(d / name, arr)
    return d


@pytest.fixture(scope="module")
def arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x_train, y_train = blobs(300, 3)
    x_test, y_test = blobs(100, 4)
    return (x_train.reshape(-1, 784) / 255.0, y_train.astype(np.int64),
            x_test.reshape(-1, 784) / 255.0, y_test.astype(np.int64))


def weights_of(source) -> list[np.ndarray]:
    """W0, b0, W1, ... of a Trainer or a checkpoint path."""
    if isinstance(source, Trainer):
        return [p.data.copy() for layer in source.model.layers
                for p in (layer.weight, layer.bias)]
    with np.load(source, allow_pickle=False) as npz:
        n = sum(1 for k in npz.files if k.startswith("W"))
        return [npz[f"{kind}{i}"] for i in range(n) for kind in ("W", "b")]


def assert_identical(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert np.array_equal(x, y), f"max difference {np.max(np.abs(x - y))}"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = script.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


SMALL = ["--sizes", "784", "20", "10", "--limit", "300", "--seed", "5"]


# --------------------------------------------------------------------------- the script


def test_help_documents_every_option() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    for option in ("--dataset", "--data-dir", "--sizes", "--activation", "--cost",
                   "--epochs", "--batch-size", "--lr", "--momentum", "--weight-decay",
                   "--init", "--seed", "--dtype", "--limit", "--engine", "--checkpoint",
                   "--resume", "--plot"):
        assert option in proc.stdout
    assert "lambda/n" in proc.stdout and "allow_pickle=False" in proc.stdout


def test_script_end_to_end(data_dir: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    ck, plot = tmp_path / "run.npz", tmp_path / "curves.png"
    code, out, err = run(["--data-dir", data_dir, *SMALL, "--epochs", "3",
                          "--checkpoint", ck, "--plot", plot], capsys)
    assert code == 0, err
    assert out.count("epoch ") >= 3 and "test accuracy" in out and "summary: best" in out
    assert ck.is_file() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    saved = read_checkpoint(ck)
    assert saved.epoch == 3
    assert saved.config.sizes == [784, 20, 10] and saved.config.limit == 300
    assert saved.config.lr == 3.0 and saved.config.cost == "quadratic"  # classic defaults
    assert max(saved.history["test_accuracy"]) > 0.5  # chance is 0.1
    with np.load(ck, allow_pickle=False) as npz:
        assert {"W0", "b0", "W1", "b1", "epoch", "config", "batch_iterator"} <= set(npz.files)
        json.loads(str(npz["config"][()]))
    if HAS_MPL:
        for name in ("curves.png", "curves-weights.png", "curves-errors.png"):
            assert (tmp_path / name).stat().st_size > 1000
        assert "plots written" in out


def test_script_resume_equals_uninterrupted(data_dir: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--data-dir", data_dir, *SMALL, "--cost", "cross-entropy", "--init", "scaled",
            "--lr", "0.5", "--momentum", "0.5", "--weight-decay", "2.0"]
    straight, split = tmp_path / "straight.npz", tmp_path / "split.npz"
    assert run([*args, "--epochs", "2", "--checkpoint", straight], capsys)[0] == 0
    assert run([*args, "--epochs", "1", "--checkpoint", split], capsys)[0] == 0
    # Without --resume an existing checkpoint is not overwritten.
    code, _, err = run([*args, "--epochs", "2", "--checkpoint", split], capsys)
    assert code == 2 and "--resume" in err
    # The other options come from the checkpoint.
    code, out, err = run(["--epochs", "2", "--checkpoint", split, "--resume"], capsys)
    assert code == 0, err
    assert "resuming" in out and "epoch 2/2" in out and "epoch 1/2" not in out
    assert_identical(weights_of(straight), weights_of(split))
    a, b = read_checkpoint(straight), read_checkpoint(split)
    assert a.history["test_accuracy"] == b.history["test_accuracy"]
    assert a.history["train_loss"] == b.history["train_loss"]
    with np.load(straight, allow_pickle=False) as x, np.load(split, allow_pickle=False) as y:
        assert "velocity.0" in x.files
        for key in x.files:
            if key.startswith("velocity."):
                assert np.array_equal(x[key], y[key])
        assert str(x["batch_iterator"][()]) == str(y["batch_iterator"][()])


def test_script_ctrl_c_saves_and_resumes(data_dir: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["--data-dir", data_dir, *SMALL, "--epochs", "2"]
    straight, cut = tmp_path / "straight.npz", tmp_path / "cut.npz"
    assert run([*args, "--checkpoint", straight], capsys)[0] == 0

    def interrupt(self, p) -> None:  # Ctrl-C during epoch 2, after its 7th mini-batch
        if p.epoch == 2 and p.batch == 7:
            raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(script.ProgressBar, "__call__", interrupt)
        code, _, err = run([*args, "--checkpoint", cut], capsys)
    assert code == 130
    assert "interrupted in epoch 2 after 7/30 mini-batches" in err and "--resume" in err
    saved = read_checkpoint(cut)
    assert saved.epoch == 1 and saved.load_json("epoch_progress")["batches_done"] == 7
    code, out, err = run([*args, "--checkpoint", cut, "--resume"], capsys)
    assert code == 0, err
    assert "7/30 mini-batches into epoch 2" in out
    assert_identical(weights_of(straight), weights_of(cut))
    assert read_checkpoint(straight).history["train_loss"] == \
        read_checkpoint(cut).history["train_loss"]


def test_script_refuses_mismatched_checkpoint(data_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    ck = tmp_path / "run.npz"
    assert run(["--data-dir", data_dir, *SMALL, "--epochs", "1", "--checkpoint", ck],
               capsys)[0] == 0
    before = ck.read_bytes()
    code, out, err = run(["--data-dir", data_dir, "--sizes", "784", "50", "10", "--limit",
                          "300", "--epochs", "2", "--checkpoint", ck, "--resume"], capsys)
    assert code == 2 and "epoch 2" not in out
    assert "784-20-10" in err and "784-50-10" in err and "refusing" in err
    code, _, err = run(["--data-dir", data_dir, "--epochs", "2", "--cost", "softmax",
                        "--checkpoint", ck, "--resume"], capsys)
    assert code == 2 and "'quadratic' vs 'softmax'" in err
    code, _, err = run(["--data-dir", data_dir, "--epochs", "2", "--limit", "200",
                        "--checkpoint", ck, "--resume"], capsys)
    assert code == 2 and "limit 300 vs 200" in err
    assert ck.read_bytes() == before
    code, _, err = run(["--checkpoint", tmp_path / "missing.npz", "--resume"], capsys)
    assert code == 2 and "no checkpoint" in err


def test_script_usage_errors(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--resume"], capsys)[0] == 2
    assert run(["--data-dir", data_dir, "--plot", "x.pdf"], capsys)[0] == 2
    code, _, err = run(["--data-dir", data_dir, "--sizes", "100", "10"], capsys)
    assert code == 2 and "784 inputs" in err
    code, _, err = run(["--data-dir", data_dir, "--momentum", "1.5"], capsys)
    assert code == 2 and "momentum" in err
    code, _, err = run(["--data-dir", data_dir / "nowhere"], capsys)
    assert code == 1 and "does not exist" in err


def test_script_formulas_engine_trains(data_dir: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--data-dir", data_dir, *SMALL, "--epochs", "2", "--cost", "softmax",
            "--init", "scaled", "--lr", "0.5", "--momentum", "0.3"]
    code, auto, err = run([*args, "--engine", "autodiff"], capsys)
    assert code == 0, err
    code, formulas, err = run([*args, "--engine", "formulas"], capsys)
    assert code == 0, err
    # float64, a few dozen steps apart from rounding: the same accuracy per epoch
    acc = [[line.split("test accuracy ")[1].split("%")[0] for line in o.splitlines()
            if "test accuracy" in line] for o in (auto, formulas)]
    assert acc[0] == acc[1] and float(acc[0][-1]) > 50


@pytest.mark.skipif(not MNIST_10K.is_dir(), reason="../shared/data/mnist-10k not present")
def test_script_on_real_mnist(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--data-dir", MNIST_10K, "--limit", "1000", "--epochs", "1",
                          "--cost", "cross-entropy", "--init", "scaled", "--lr", "0.5"],
                         capsys)
    assert code == 0, err
    accuracy = float(out.split("test accuracy ")[1].split("%")[0])
    assert accuracy > 50


# --------------------------------------------------------------------------- nn.train


def small_config(**kw) -> TrainConfig:
    base = {"sizes": [784, 16, 10], "epochs": 2, "seed": 3, "lr": 0.5, "init": "scaled",
            "cost": "cross-entropy"}
    return TrainConfig(**{**base, **kw})


@pytest.mark.parametrize("engine", ["autodiff", "formulas"])
def test_interrupt_mid_epoch_then_resume_is_exact(arrays, tmp_path: Path, engine: str) -> None:
    config = small_config(engine=engine, momentum=0.9, weight_decay=1.0, batch_size=7)
    straight = Trainer(config, *arrays)
    straight.fit()

    ck = tmp_path / "cut.npz"
    first = Trainer(config, *arrays)

    def stop(p) -> None:
        if p.epoch == 2 and p.batch == 11:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted) as info:
        first.fit(checkpoint=ck, on_batch=stop)
    assert (info.value.epoch, info.value.batch, info.value.checkpoint) == (2, 11, str(ck))
    resumed = Trainer(config, *arrays)
    assert resumed.load_checkpoint(ck) == []
    assert resumed.epoch == 1 and resumed.batches_done == 11
    resumed.fit()
    assert_identical(weights_of(straight), weights_of(resumed))
    assert straight.history["train_loss"] == resumed.history["train_loss"]
    assert straight.history["test_accuracy"] == resumed.history["test_accuracy"]


def test_real_sigint_is_held_until_the_end_of_the_batch(arrays, tmp_path: Path) -> None:
    config = small_config(epochs=2)
    straight = Trainer(config, *arrays)
    straight.fit()

    ck = tmp_path / "sigint.npz"
    first = Trainer(config, *arrays)

    def send_sigint(p) -> None:
        if p.epoch == 1 and p.batch == 4:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(TrainingInterrupted) as info:
        first.fit(checkpoint=ck, on_batch=send_sigint)
    assert (info.value.epoch, info.value.batch) == (1, 4)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    resumed = Trainer(config, *arrays)
    resumed.load_checkpoint(ck)
    resumed.fit()
    assert_identical(weights_of(straight), weights_of(resumed))


def test_interrupt_between_epochs_and_in_evaluation(arrays, tmp_path: Path) -> None:
    config = small_config(epochs=3, cost="softmax", activation="tanh")
    straight = Trainer(config, *arrays)
    straight.fit()
    ck = tmp_path / "cut.npz"
    first = Trainer(config, *arrays)

    def stop(record) -> None:
        if record["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted):
        first.fit(checkpoint=ck, on_epoch=stop)
    assert read_checkpoint(ck).epoch == 2
    resumed = Trainer(config, *arrays)
    resumed.load_checkpoint(ck)
    resumed.fit()
    assert_identical(weights_of(straight), weights_of(resumed))
    assert len(resumed.history["test_accuracy"]) == 3


def test_interrupt_during_evaluation_resumes_exactly(arrays, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import nn.train

    config = small_config(epochs=2, momentum=0.5)
    straight = Trainer(config, *arrays)
    straight.fit()
    ck = tmp_path / "eval.npz"
    first = Trainer(config, *arrays)
    real = nn.train.evaluate
    calls = []

    def evaluate_then_stop(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # Ctrl-C while evaluating after epoch 2's last mini-batch
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(nn.train, "evaluate", evaluate_then_stop)
        with pytest.raises(TrainingInterrupted) as info:
            first.fit(checkpoint=ck)
    assert (info.value.epoch, info.value.batch) == (2, len(first.batches))
    saved = read_checkpoint(ck)
    assert saved.epoch == 1 and len(saved.history["test_accuracy"]) == 1
    resumed = Trainer(config, *arrays)
    resumed.load_checkpoint(ck)
    resumed.fit()
    assert_identical(weights_of(straight), weights_of(resumed))
    assert straight.history["test_accuracy"] == resumed.history["test_accuracy"]
    assert straight.history["train_loss"] == resumed.history["train_loss"]


@pytest.mark.parametrize("momentum,weight_decay", [(0.0, 0.0), (0.0, 3.0), (0.7, 3.0)])
@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "softmax"])
def test_engines_agree_step_by_step(arrays, cost: str, momentum: float,
                                    weight_decay: float) -> None:
    config = small_config(cost=cost, momentum=momentum, weight_decay=weight_decay,
                          init="gaussian", lr=1.0)
    auto = Trainer(config, *arrays)
    formulas = Trainer(TrainConfig(**{**config.__dict__, "engine": "formulas"}), *arrays)
    assert_identical(weights_of(auto), weights_of(formulas))  # same seed, same start
    for i, (xb, yb) in zip(range(8), auto.batches, strict=False):
        la, lf = auto.step(xb, yb), formulas.step(xb, yb)
        assert la == pytest.approx(lf, rel=1e-12, abs=1e-14), i
    for a, f in zip(weights_of(auto), weights_of(formulas), strict=True):
        np.testing.assert_allclose(a, f, rtol=0, atol=1e-12)
    assert not all(np.array_equal(a, b) for a, b in
                   zip(weights_of(auto), weights_of(Trainer(config, *arrays)), strict=True))


def test_weight_decay_is_lambda_over_n_on_weights_only(arrays) -> None:
    """One step with a zero gradient part isolates the decay: W shrinks by η·λ/n, b stays."""
    config = small_config(weight_decay=4.0, lr=0.5, limit=200, engine="formulas")
    t = Trainer(config, *arrays)
    assert t.n_train == 200
    before = weights_of(t)
    t.engine.gradients(arrays[0][:5], np.eye(10)[arrays[1][:5]])
    for p in t.model.parameters():
        p.grad.data[...] = 0
    t.engine.update()
    after = weights_of(t)
    np.testing.assert_allclose(after[0], before[0] * (1 - 0.5 * 4.0 / 200), rtol=1e-15)
    assert np.array_equal(after[1], before[1])


def test_mismatched_checkpoint_is_refused(arrays, tmp_path: Path) -> None:
    ck = tmp_path / "a.npz"
    t = Trainer(small_config(epochs=1), *arrays)
    t.fit(checkpoint=ck)
    for change, words in (({"sizes": [784, 32, 10]}, ["784-16-10", "784-32-10"]),
                          ({"activation": "relu"}, ["'sigmoid' vs 'relu'"]),
                          ({"dtype": "float32"}, ["float64", "float32"]),
                          ({"batch_size": 20}, ["batch_size 10 vs 20"])):
        other = Trainer(small_config(**change), *arrays)
        start = weights_of(other)
        with pytest.raises(ValueError) as info:
            other.load_checkpoint(ck)
        assert all(w in str(info.value) for w in words), str(info.value)
        assert_identical(start, weights_of(other))  # nothing loaded
    notes = compare_configs(small_config(), small_config(lr=0.1, seed=9))
    assert any("lr changed" in n for n in notes) and any("seed" in n for n in notes)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable"):
        read_checkpoint(tmp_path / "junk.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a training checkpoint"):
        read_checkpoint(tmp_path / "other.npz")


def test_float32_run_stays_float32_and_resumes(arrays, tmp_path: Path) -> None:
    config = small_config(dtype="float32", epochs=2)
    t = Trainer(config, *arrays)
    t.fit(epochs=1, checkpoint=tmp_path / "f.npz")
    assert all(w.dtype == np.float32 for w in weights_of(tmp_path / "f.npz"))
    t.fit()
    r = Trainer(config, *arrays)
    r.load_checkpoint(tmp_path / "f.npz")
    r.fit()
    assert_identical(weights_of(t), weights_of(r))


def test_evaluate_matches_reference_costs(arrays) -> None:
    x, y = arrays[2], arrays[3]
    for cost in ("quadratic", "cross-entropy", "softmax"):
        t = Trainer(small_config(cost=cost, epochs=1), *arrays)
        ev = evaluate(t.model, x, y, cost, batch_size=30)
        params = [(layer.weight.data, layer.bias.data) for layer in t.model.layers]
        ref = backprop.cost_value(params, t.model.activations, x, np.eye(10)[y], cost)
        assert ev.cost == pytest.approx(ref, rel=1e-12)
        zs, acts = backprop.forward(params, t.model.activations, x)
        assert np.array_equal(ev.predictions, np.argmax(acts[-1], axis=1))
        assert ev.correct == int(np.sum(ev.predictions == y))


def test_config_validation(arrays) -> None:
    for bad in ({"sizes": [784]}, {"cost": "hinge"}, {"lr": 0.0}, {"momentum": 1.0},
                {"weight_decay": -1.0}, {"engine": "torch"}, {"dtype": "float16"},
                {"limit": 0}):
        with pytest.raises(ValueError):
            small_config(**bad).validate()
    with pytest.raises(ValueError, match="exceeds"):
        Trainer(small_config(limit=10_000), *arrays)
    with pytest.raises(ValueError, match="inputs"):
        Trainer(small_config(sizes=[100, 10]), *arrays)


def test_nn_train_keeps_the_names_that_moved_out():
    homes = {
        train_config: ["ARCH_KEYS", "DATA_KEYS", "DTYPES", "ENGINES", "IGNORED_ON_RESUME",
                       "TrainConfig", "build_model", "compare_configs"],
        checkpoint: ["CHECKPOINT_FORMAT", "Checkpoint", "read_checkpoint", "write_npz_atomic"],
        interrupts: ["TrainingInterrupted"],
    }
    for home, names in homes.items():
        for name in names:
            assert getattr(nn.train, name) is getattr(home, name), name
    for name in nn.train.__all__:
        assert hasattr(nn.train, name), name
