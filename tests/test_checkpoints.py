"""Checkpoint files that are damaged, crafted or cut short: every one is refused with one line
naming the file (CheckpointError), before anything is loaded; and a checkpoint being written
when the process is killed is never lost or half-written."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nn import files
from nn.checkpoint import CheckpointError, read_checkpoint, write_npz_atomic
from nn.train import Trainer
from nn.train_config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent


def config(**kw) -> TrainConfig:
    base = {"sizes": [784, 6, 10], "epochs": 3, "batch_size": 7, "lr": 0.5, "momentum": 0.9,
            "seed": 3, "cost": "cross-entropy"}
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return (rng.random((40, 784)), rng.integers(0, 10, 40), rng.random((10, 784)),
            rng.integers(0, 10, 10))


@pytest.fixture(scope="module")
def saved(data, tmp_path_factory) -> dict[str, np.ndarray]:
    """The entries of a real checkpoint saved in the middle of epoch 2 (so that every kind of
    entry is there: momentum buffers, a history, an unfinished epoch)."""
    path = tmp_path_factory.mktemp("ck") / "run.npz"
    trainer = Trainer(config(), *data)

    def stop(progress) -> None:
        if progress.epoch == 2 and progress.batch == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trainer.fit(checkpoint=path, on_batch=stop)
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def state_of(trainer: Trainer) -> dict[str, np.ndarray]:
    return {k: np.array(v, copy=True) for k, v in trainer.state_arrays().items()}


def assert_same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]), key


def assert_refused(trainer: Trainer, path: Path, *fragments: str) -> str:
    """Loading ``path`` raises one clear line naming it, and changes nothing in ``trainer``."""
    before = state_of(trainer)
    iterator_state = json.dumps(trainer.batches.state_dict())
    with pytest.raises(CheckpointError) as info:
        trainer.load_checkpoint(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg, msg
    assert info.value.path == str(path)
    for fragment in fragments:
        assert fragment in msg, msg
    assert_same_state(before, state_of(trainer))
    assert json.dumps(trainer.batches.state_dict()) == iterator_state
    return msg


@pytest.fixture
def victim(data) -> Trainer:
    """A trainer of the same run whose own state differs from the checkpoint's."""
    trainer = Trainer(config(), *data)
    trainer.fit(epochs=2)
    return trainer


def corruptions(key: str, value: np.ndarray):
    """(what, new value or None to remove) for one entry."""
    yield "removed", None
    if value.dtype.kind == "U":
        yield "dtype", np.array(str(value[()]).encode())
        yield "shape", np.array([str(value[()])])
        yield "garbage", np.array("{not json" if key != "format" else "something-else/1")
        if key not in ("format",):
            yield "wrong-json", np.array(json.dumps([1, 2, 3]))
    else:
        yield "dtype", value.astype(np.float32 if value.dtype.kind == "f" else np.int32)
        yield "shape", value[None]
        if value.dtype.kind == "f":
            garbage = value.copy()
            garbage.flat[0] = np.nan
            yield "garbage", garbage
        else:
            yield "garbage", np.array(-3, dtype=value.dtype)


def test_checkpoint_corruption_of_every_entry(saved, data, victim, tmp_path):
    Trainer(config(), *data).load_checkpoint(write_npz_atomic(tmp_path / "good.npz", saved))
    assert set(saved) >= {"format", "config", "epoch", "history", "batch_iterator",
                          "epoch_progress", "W0", "b1", "velocity.3"}
    count = 0
    for key, value in saved.items():
        for what, bad in corruptions(key, value):
            arrays = {k: v for k, v in saved.items() if k != key}
            if bad is not None:
                arrays[key] = bad
            path = tmp_path / f"{key}-{what}.npz"
            np.savez(path, **arrays)
            assert key in assert_refused(victim, path), (key, what)
            count += 1
    assert count >= 4 * len(saved)


@pytest.mark.parametrize("change, fragment", [
    ({"sizes": [784, 3e8, 10]}, "config field sizes"),
    ({"sizes": [784, 300_000_000, 10]}, "W0"),  # the file does not hold such arrays
    ({"sizes": "784-6-10"}, "config field sizes"),
    ({"lr": "fast"}, "config field lr"),
    ({"lr": float("inf")}, "learning rate"),
    ({"momentum": True}, "config field momentum"),
    ({"limit": -1}, "limit"),
    ({"seed": -5}, "seed"),
    ({"extra": 1}, "unknown fields"),
])
def test_crafted_config_is_refused_without_allocating(saved, victim, tmp_path, change, fragment):
    cfg = json.loads(str(saved["config"][()]))
    cfg.update(change)
    path = tmp_path / "crafted.npz"
    np.savez(path, **{**saved, "config": np.array(json.dumps(cfg))})
    assert_refused(victim, path, fragment)


def test_a_missing_config_field_is_refused(saved, victim, tmp_path):
    cfg = json.loads(str(saved["config"][()]))
    del cfg["momentum"]  # a default would silently change the run
    np.savez(tmp_path / "c.npz", **{**saved, "config": np.array(json.dumps(cfg))})
    assert_refused(victim, tmp_path / "c.npz", "missing fields ['momentum']")


def npy_bytes(header_shape, dtype, payload: bytes) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
              "shape": header_shape})
    return buf.getvalue() + payload


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    return path


def test_an_array_header_claiming_more_than_the_file_holds(saved, victim, tmp_path):
    # 1.7 TiB declared for W0 by a config and a .npy header that agree; 64 bytes present.
    cfg = json.loads(str(saved["config"][()]))
    cfg["sizes"] = [784, 300_000_000, 10]
    members = {}
    for key, value in saved.items():
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.array(json.dumps(cfg)) if key == "config" else value)
        members[f"{key}.npy"] = buf.getvalue()
    members["W0.npy"] = npy_bytes((300_000_000, 784), np.float64, bytes(64))
    path = zip_of(tmp_path / "liar.npz", members)
    assert_refused(victim, path, "W0", "declares")


def test_files_that_are_not_checkpoints(saved, victim, tmp_path):
    good = write_npz_atomic(tmp_path / "good.npz", saved)
    blob = good.read_bytes()
    cases = {
        "empty.npz": (b"", "empty"),
        "truncated.npz": (blob[: len(blob) // 2], "corrupt or truncated"),
        "cut-at-end.npz": (blob[:-10], "corrupt or truncated"),
        "text.npz": (b"hello, not a checkpoint", "not a readable .npz"),
    }
    for name, (content, fragment) in cases.items():
        (tmp_path / name).write_bytes(content)
        assert_refused(victim, tmp_path / name, fragment)
    np.save(tmp_path / "weights.npy", saved["W0"])
    assert_refused(victim, tmp_path / "weights.npy", ".npy file")
    zip_of(tmp_path / "notes.zip", {"readme.txt": b"hello"})
    assert_refused(victim, tmp_path / "notes.zip", "readme.txt")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    assert_refused(victim, tmp_path / "other.npz", "not a training checkpoint")
    np.savez(tmp_path / "pickled.npz", **{**saved, "history": np.array([{"a": 1}], dtype=object)})
    assert_refused(victim, tmp_path / "pickled.npz", "history", "object")
    np.savez(tmp_path / "extra.npz", **saved, notes=np.array("hi"))
    assert_refused(victim, tmp_path / "extra.npz", "unexpected entries: notes")
    (tmp_path / "dir.npz").mkdir()
    assert_refused(victim, tmp_path / "dir.npz", "directory")
    with pytest.raises(FileNotFoundError):
        read_checkpoint(tmp_path / "absent.npz")


def test_a_corrupt_entry_inside_a_valid_zip(saved, victim, tmp_path):
    good = write_npz_atomic(tmp_path / "good.npz", saved)
    blob = bytearray(good.read_bytes())
    at = blob.index(b"\x93NUMPY", blob.index(b"W0.npy")) + 200  # inside W0's data
    blob[at] ^= 0xFF
    (tmp_path / "flipped.npz").write_bytes(bytes(blob))
    assert_refused(victim, tmp_path / "flipped.npz", "CRC")


def test_inconsistent_counters_are_refused(saved, victim, tmp_path):
    progress = json.loads(str(saved["epoch_progress"][()]))
    progress["batches_done"] += 1
    np.savez(tmp_path / "p.npz", **{**saved, "epoch_progress": np.array(json.dumps(progress))})
    assert_refused(victim, tmp_path / "p.npz", "mini-batches done")
    np.savez(tmp_path / "e.npz", **{**saved, "epoch": np.array(5, dtype=np.int64)})
    assert_refused(victim, tmp_path / "e.npz", "history")
    partial = {k: v for k, v in saved.items() if k != "velocity.1"}
    np.savez(tmp_path / "v.npz", **partial)
    assert_refused(victim, tmp_path / "v.npz", "velocity.1", "all of them or none")


def test_a_valid_checkpoint_still_resumes_exactly(saved, data, tmp_path):
    straight = Trainer(config(), *data)
    straight.fit()
    resumed = Trainer(config(), *data)
    resumed.load_checkpoint(write_npz_atomic(tmp_path / "ok.npz", saved))
    resumed.fit()
    for key, value in state_of(straight).items():
        if key[0] in "Wbv" and key != "batch_iterator":
            assert np.array_equal(value, state_of(resumed)[key]), key


def test_saving_again_keeps_the_checkpoint_private(data, tmp_path):
    trainer = Trainer(config(), *data)
    path = trainer.save_checkpoint(tmp_path / "private.npz")
    os.chmod(path, 0o600)
    trainer.fit(epochs=1, checkpoint=path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_checkpoint(path).epoch == 1


# ------------------------------------------------------------------------ killed mid-save

WRITER = r"""
import sys
import numpy as np
from nn.train import Trainer
from nn.train_config import TrainConfig

path = sys.argv[1]
rng = np.random.default_rng(0)
x, y = rng.random((20, 784)), rng.integers(0, 10, 20)
trainer = Trainer(TrainConfig(sizes=[784, 1500, 10], epochs=1), x, y)
generation = int(sys.argv[2])
while True:
    generation += 1
    for layer in trainer.model.layers:
        layer.weight.data[...] = generation
        layer.bias.data[...] = generation
    trainer.save_checkpoint(path)
    print(generation, flush=True)
"""


def generation_of(path: Path) -> int:
    ck = read_checkpoint(path)  # complete and consistent, or this raises
    values = {float(v) for k, a in ck.arrays.items() if k[0] in "Wb" and k[1:].isdigit()
              for v in np.unique(a)}
    assert len(values) == 1, values  # all from one save: never a mix of two
    return int(values.pop())


def test_sigkill_during_saves_never_leaves_a_half_checkpoint(tmp_path):
    target = tmp_path / "ck.npz"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    rng = random.Random(12)
    last, pids = 0, []
    for _ in range(4):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(last)],
                                 stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        pids.append(child.pid)
        assert child.stdout is not None
        done = int(child.stdout.readline())  # one complete save, then kill at a random moment
        time.sleep(rng.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        done = max([done, *map(int, child.stdout.read().split())])
        child.stdout.close()
        gen = generation_of(target)
        assert done <= gen <= done + 1  # the last save reported, or the one being renamed
        assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["ck.npz"]
        last = gen

    # A killed writer cannot remove its temporary file; the next save removes such leftovers
    # once their process is gone and they have not changed for a while (here: made old).
    dead = tmp_path / f".ck.npz.{pids[0]}.{'ab' * 6}.part"
    dead.write_bytes(b"half a checkpoint")
    live = tmp_path / f".ck.npz.{os.getppid()}.{'cd' * 6}.part"  # a running process's: kept
    live.write_bytes(b"being written")
    old = time.time() - 2 * files.STALE_SECONDS
    for leftover in tmp_path.glob(".ck.npz.*.part"):
        os.utime(leftover, (old, old))
    write_npz_atomic(target, {"x": np.zeros(2)})
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "ck.npz"]
