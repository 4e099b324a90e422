"""Train a multilayer perceptron on MNIST or Fashion-MNIST with the autograd-mini engine.

The defaults are the texts' first network: 784-30-10 sigmoid neurons, quadratic cost, Gaussian
N(0, 1) weights, plain SGD with η = 3.0 on mini-batches of 10, 30 epochs. The training loop,
evaluation and checkpoints are in ``nn/train.py``; this script is the command line around them
(argument parsing, progress display, summary, plots). Run it with ``--help`` for every option.

    python examples/train_mnist.py --data-dir ../shared/data/mnist-10k
    python examples/train_mnist.py --data-dir ../shared/data/mnist-10k --sizes 784 100 10 \\
        --cost cross-entropy --init scaled --lr 0.5 --weight-decay 5.0
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import IO, Any

# The matrices here are small (a mini-batch of 10 rows): a multithreaded BLAS only adds
# synchronisation, and on a busy machine its spinning threads slow training down by a factor
# of 10 to 100. One BLAS thread unless the environment asks for more; this must be set before
# numpy is first imported.
if "OPENBLAS_NUM_THREADS" not in os.environ and "OMP_NUM_THREADS" not in os.environ:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402

from nn.checkpoint import read_checkpoint  # noqa: E402
from nn.costs import COST_NAMES  # noqa: E402
from nn.datasets.download import DownloadError  # noqa: E402
from nn.datasets.idx import IDXError  # noqa: E402
from nn.datasets.mirrors import MIRRORS  # noqa: E402
from nn.datasets.mnist import DATA_ENV_VAR, load_mnist  # noqa: E402
from nn.init import INITS  # noqa: E402
from nn.interrupts import TrainingInterrupted  # noqa: E402
from nn.train import Progress, Trainer, evaluate  # noqa: E402
from nn.train_config import DTYPES, ENGINES, TrainConfig, compare_configs  # noqa: E402

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULTS = TrainConfig()
CONFIG_KEYS = [f.name for f in fields(TrainConfig)]

DESCRIPTION = """\
Train a multilayer perceptron (nn.MLP) on MNIST or Fashion-MNIST by mini-batch stochastic
gradient descent, with the autograd-mini engine or with the hand-derived backpropagation
formulas. The defaults reproduce the texts' first network: 784-30-10 sigmoid neurons, quadratic
cost, N(0, 1) weights, eta = 3.0, mini-batches of 10, 30 epochs.

Update rule (both engines). Costs are means over the mini-batch; with eta = --lr,
mu = --momentum, lambda = --weight-decay and n = the number of training examples used:
    v <- mu*v + dC/dw + (lambda/n)*w     (the lambda/n term for weights only: biases are
    w <- w - eta*v                         not decayed; mu = 0 gives w <- w - eta*(...))
i.e. gradient descent on C + (lambda/2n)*sum(w^2), the L2 regularisation of the texts'
chapter 3 (lambda = 5.0 with n = 50,000 there).

After each epoch: the test cost and accuracy. At the end: a summary (best accuracy, time per
epoch). A progress bar (running cost, examples/s) is shown on stderr when it is a terminal."""

EPILOG = f"""\
checkpoints:
  With --checkpoint PATH the state is saved to PATH after every epoch, atomically, as an .npz
  file (weights, momentum buffers, epoch, random state of the mini-batch order, history,
  config; loadable with numpy.load(PATH, allow_pickle=False)). Ctrl-C saves the state at the
  end of the current mini-batch and exits with status 130; --resume then continues from the
  saved point, so that the resumed run ends with exactly the weights of an uninterrupted run.
  With --resume, options not given on the command line are taken from the checkpoint (so
  '--checkpoint PATH --resume' alone continues the run); a checkpoint of another architecture
  (--sizes, --activation, --cost, --dtype) or data set-up (--dataset, --limit, --batch-size)
  is refused. Without --resume an existing PATH is not overwritten.

data:
  Without --data-dir the four IDX files of --dataset are looked up in ${DATA_ENV_VAR},
  /usr/share/datasets/<dataset>/ (Debian's dataset-fashion-mnist package installs there),
  ~/.cache/autograd-mini/<dataset>/, and otherwise downloaded (checksum-verified). For example
  ../shared/data/mnist-10k beside this repository holds 10,000 real MNIST training digits and
  the official test set.

examples:
  python examples/train_mnist.py --data-dir ../shared/data/mnist-10k
      the classic network (all defaults)
  python examples/train_mnist.py --data-dir ../shared/data/mnist-10k \\
      --sizes 784 100 10 --cost cross-entropy --init scaled --lr 0.5 --weight-decay 5.0
      the improved network: cross-entropy, 100 hidden units, L2, scaled initialisation
  python examples/train_mnist.py --dataset fashion-mnist --sizes 784 100 10 \\
      --cost cross-entropy --init scaled --lr 0.1 --weight-decay 5.0 \\
      --checkpoint fashion.npz --plot fashion.png
  python examples/train_mnist.py --checkpoint fashion.npz --resume
      continue that run after Ctrl-C (the other options come from the checkpoint)

environment: OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS) sets the number of BLAS threads;
  unset, this script uses 1, the fastest for mini-batches this small.

exit status: 0 done, 1 data or I/O error, 2 bad arguments or refused checkpoint,
130 interrupted (state saved if --checkpoint was given)."""


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line; options that shape the run default to None ("not given")."""
    d = DEFAULTS
    p = argparse.ArgumentParser(
        prog="train_mnist.py", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = p.add_argument_group("data")
    data.add_argument("--dataset", choices=sorted(MIRRORS),
                      help=f"which data set (default: {d.dataset})")
    data.add_argument("--data-dir", metavar="DIR",
                      help="directory holding train-images-idx3-ubyte.gz and the three other "
                           "IDX files (default: the lookup described below)")
    data.add_argument("--limit", type=positive_int, metavar="N",
                      help="train on the first N training examples only (default: all); "
                           "n in lambda/n is then N")
    model = p.add_argument_group("model")
    model.add_argument("--sizes", type=positive_int, nargs="+", metavar="N",
                       help="layer sizes, input to output (default: "
                            f"{' '.join(map(str, d.sizes))})")
    model.add_argument("--activation", choices=["sigmoid", "tanh", "relu"],
                       help=f"activation of the hidden layers (default: {d.activation})")
    model.add_argument("--cost", choices=list(COST_NAMES),
                       help="quadratic: output layer uses --activation, C = mean |a-y|^2/2; "
                            "cross-entropy: sigmoid outputs, binary cross-entropy; softmax: "
                            "softmax output with the log-likelihood cost "
                            f"(default: {d.cost})")
    model.add_argument("--init", choices=list(INITS),
                       help="gaussian: w, b ~ N(0, 1); scaled: w ~ N(0, 1/n_in), b ~ N(0, 1); "
                            "xavier: w ~ U(-r, r), r = sqrt(6/(n_in+n_out)), b = 0 "
                            f"(default: {d.init})")
    model.add_argument("--dtype", choices=list(DTYPES),
                       help=f"floating-point type of weights and data (default: {d.dtype})")
    train = p.add_argument_group("training")
    train.add_argument("--epochs", type=int, metavar="E",
                       help="train until E epochs in all are done; a resumed run counts "
                            f"the epochs already done (default: {d.epochs})")
    train.add_argument("--batch-size", type=positive_int, metavar="B",
                       help=f"mini-batch size (default: {d.batch_size})")
    train.add_argument("--lr", type=float, metavar="ETA",
                       help=f"learning rate eta (default: {d.lr})")
    train.add_argument("--momentum", type=float, metavar="MU",
                       help=f"momentum coefficient mu in [0, 1) (default: {d.momentum})")
    train.add_argument("--weight-decay", type=float, metavar="LAMBDA",
                       help="L2 regularisation parameter lambda, applied as lambda/n to "
                            "the weights (not the biases), n = number of training examples "
                            f"used (default: {d.weight_decay})")
    train.add_argument("--seed", type=int,
                       help="seed of the initial weights and of the mini-batch order "
                            f"(default: {d.seed})")
    train.add_argument("--engine", choices=list(ENGINES),
                       help="autodiff: gradients by the engine's backward(), update by "
                            "nn.SGD; formulas: gradients by the hand-derived BP1-BP4 "
                            "(nn.backprop.backprop_batched), the same nn.SGD update, for "
                            f"comparison (default: {d.engine})")
    out = p.add_argument_group("output")
    out.add_argument("--checkpoint", metavar="PATH",
                     help="save the state to this .npz file after every epoch and on Ctrl-C")
    out.add_argument("--resume", action="store_true",
                     help="continue the run saved in --checkpoint PATH")
    out.add_argument("--plot", metavar="PATH",
                     help="after training, draw the learning curves to PATH (.png or .svg), "
                          "the first-layer weights to STEM-weights.EXT and misclassified test "
                          "images to STEM-errors.EXT (needs matplotlib)")
    return p


# --------------------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------------------


class ProgressBar:
    """One status line on ``stream`` redrawn with carriage returns: epoch, bar, running cost,
    examples per second. Does nothing unless ``stream`` is a terminal."""

    def __init__(self, stream: IO[str], width: int = 24, interval: float = 0.1) -> None:
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.width, self.interval = width, interval
        self.last = 0.0
        self.shown = 0  # length of the line on screen

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < self.interval and p.batch < p.batches:
            return
        self.last = now
        filled = round(self.width * p.batch / p.batches)
        rate = p.examples / p.seconds if p.seconds > 0 else 0.0
        text = (f"epoch {p.epoch}/{p.epochs} [{'#' * filled}{'.' * (self.width - filled)}] "
                f"{p.batch}/{p.batches} cost {p.loss:.4f} {rate:,.0f} ex/s")
        self.stream.write("\r" + text.ljust(self.shown))
        self.stream.flush()
        self.shown = len(text)

    def clear(self) -> None:
        if self.enabled and self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0


def epoch_line(record: dict[str, float], epochs: int, n_train: int, n_test: int) -> str:
    parts = [f"epoch {int(record['epoch'])}/{epochs}: train cost {record['train_loss']:.4f}"]
    if "test_accuracy" in record:
        acc = record["test_accuracy"]
        parts.append(f"test cost {record['test_loss']:.4f}")
        parts.append(f"test accuracy {100 * acc:.2f}% ({round(acc * n_test)}/{n_test})")
    rate = n_train / record["train_seconds"] if record["train_seconds"] > 0 else 0.0
    parts.append(f"{record['seconds']:.1f} s ({rate:,.0f} ex/s)")
    return ", ".join(parts)


def summary(history: dict[str, list[float]], n_train: int) -> str:
    seconds = history.get("seconds", [])
    if not seconds:
        return "no epochs trained"
    lines = []
    acc = history.get("test_accuracy", [])
    if acc:
        best = int(np.argmax(acc))
        lines.append(f"best test accuracy {100 * acc[best]:.2f}% at epoch {best + 1} "
                     f"(final {100 * acc[-1]:.2f}%)")
    train_s = sum(history.get("train_seconds", seconds))
    rate = n_train * len(seconds) / train_s if train_s > 0 else 0.0
    plural = "s" if len(seconds) != 1 else ""
    lines.append(f"{len(seconds)} epoch{plural}, {np.mean(seconds):.2f} s per epoch "
                 f"({rate:,.0f} training examples/s)")
    return "summary: " + "; ".join(lines)


def plot_all(path: str, trainer: Trainer) -> list[str]:
    """Learning curves, first-layer weights and misclassified test images; returns notes."""
    if importlib.util.find_spec("matplotlib") is None:
        return ["--plot: matplotlib is not installed (pip install matplotlib); no plots drawn"]
    from viz.plots import plot_history, plot_misclassified, plot_weights

    stem, suffix = os.path.splitext(path)
    done = [os.fspath(plot_history(trainer.history, path))]
    weights = trainer.model.layers[0].weight
    if weights.shape[1] == 28 * 28:
        done.append(os.fspath(plot_weights(weights, f"{stem}-weights{suffix}")))
    if trainer.x_test is not None and trainer.y_test is not None:
        ev = trainer.last_eval or evaluate(trainer.model, trainer.x_test, trainer.y_test,
                                           trainer.config.cost)
        wrong = np.flatnonzero(ev.predictions != trainer.y_test)
        done.append(os.fspath(plot_misclassified(
            trainer.x_test[wrong], trainer.y_test[wrong], ev.predictions[wrong],
            f"{stem}-errors{suffix}")))
    return [f"plots written: {', '.join(done)}"]


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def error(message: str, status: int) -> int:
    print(f"train_mnist.py: error: {message}", file=sys.stderr)
    return status


def make_config(args: argparse.Namespace) -> tuple[TrainConfig, Any, list[str]]:
    """The run's config from the options given (and the checkpoint with --resume)."""
    given = {k: getattr(args, k) for k in CONFIG_KEYS if getattr(args, k, None) is not None}
    if "data_dir" in given:
        given["data_dir"] = os.path.abspath(os.path.expanduser(given["data_dir"]))
    if not args.resume:
        config = TrainConfig(**given)
        config.validate()
        return config, None, []
    ck = read_checkpoint(args.checkpoint)
    config = replace(ck.config, **given)
    config.validate()
    notes = compare_configs(ck.config, config, f"checkpoint {args.checkpoint}")
    return config, ck, notes


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    try:
        return run(argv)
    except KeyboardInterrupt:  # outside the training loop: loading data, plotting, ...
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def run(argv: Sequence[str] | None = None) -> int:
    """The body of :func:`main`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.resume and not args.checkpoint:
        return error("--resume needs --checkpoint PATH", EXIT_USAGE)
    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".svg"):
        return error(f"--plot {args.plot}: use a .png or .svg file name", EXIT_USAGE)
    if args.checkpoint and not args.resume and os.path.exists(args.checkpoint):
        return error(f"--checkpoint {args.checkpoint} exists: pass --resume to continue that "
                     "run, or remove it (or choose another path) to start a new one", EXIT_USAGE)
    try:
        config, ck, notes = make_config(args)
    except FileNotFoundError:
        return error(f"--resume: no checkpoint at {args.checkpoint}", EXIT_USAGE)
    except ValueError as exc:
        return error(str(exc), EXIT_USAGE)

    try:
        data = load_mnist(config.dataset, data_dir=config.data_dir, dtype=config.dtype)
    except (OSError, DownloadError, IDXError) as exc:
        return error(f"cannot load {config.dataset}: {exc}", EXIT_ERROR)
    n_in = data.x_train.shape[1]
    if config.sizes[0] != n_in or config.sizes[-1] != 10:
        return error(f"--sizes {' '.join(map(str, config.sizes))}: {config.dataset} needs "
                     f"{n_in} inputs and 10 outputs, e.g. --sizes {n_in} 30 10", EXIT_USAGE)
    try:
        trainer = Trainer(config, data.x_train, data.y_train, data.x_test, data.y_test)
        if ck is not None:
            trainer.load_checkpoint(ck)
    except ValueError as exc:
        return error(str(exc), EXIT_USAGE)

    n_test = len(data.y_test)
    grad = "dC/dw" + (f" + ({config.weight_decay:g}/{trainer.n_train})*w"
                      if config.weight_decay else "")
    rule = (f"v <- {config.momentum:g}*v + {grad}, w <- w - {config.lr:g}*v" if config.momentum
            else f"w <- w - {config.lr:g}*({grad})")
    print(f"{config.describe()}, {config.init} initialisation, engine {config.engine}")
    print(f"data: {config.dataset}, {trainer.n_train} training / {n_test} test examples")
    print(f"update: {rule} (biases not decayed); mini-batches of {config.batch_size}, "
          f"seed {config.seed}")
    for note in notes:
        print(f"note: {note}")
    if ck is not None:
        done = f"{ck.epoch} epoch{'' if ck.epoch == 1 else 's'} done"
        print(f"resuming from {args.checkpoint}: {done}"
              + (f", {trainer.batches_done}/{len(trainer.batches)} mini-batches into epoch "
                 f"{ck.epoch + 1}" if trainer.batches_done else ""))
    sys.stdout.flush()

    bar = ProgressBar(sys.stderr)

    def on_epoch(record: dict[str, float]) -> None:
        bar.clear()
        print(epoch_line(record, config.epochs, trainer.n_train, n_test), flush=True)

    try:
        trainer.fit(checkpoint=args.checkpoint, on_batch=bar, on_epoch=on_epoch)
    except TrainingInterrupted as stop:
        bar.clear()
        where = f"in epoch {stop.epoch} after {stop.batch}/{stop.batches} mini-batches"
        if stop.checkpoint:
            print(f"\ninterrupted {where}; state saved to {stop.checkpoint}. Resume with:\n"
                  f"  python {os.path.relpath(__file__)} --checkpoint {stop.checkpoint} "
                  "--resume", file=sys.stderr)
        elif args.checkpoint:
            print(f"\ninterrupted {where}, before the state could be saved (second Ctrl-C); "
                  f"the last checkpoint in {args.checkpoint} is kept", file=sys.stderr)
        else:
            print(f"\ninterrupted {where}; nothing saved (use --checkpoint PATH to be able "
                  "to resume)", file=sys.stderr)
        return EXIT_INTERRUPTED

    print(summary(trainer.history, trainer.n_train))
    if args.plot:
        try:
            for note in plot_all(args.plot, trainer):
                print(note)
        except (OSError, ValueError) as exc:
            return error(f"--plot: {exc}", EXIT_ERROR)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
