"""The training program: ``autograd-mini-train``, ``python -m nn`` and
``examples/train_mnist.py`` are this command line.

It trains a multilayer perceptron on MNIST or Fashion-MNIST (:class:`nn.train.Trainer`), shows
progress, saves checkpoints and draws plots. Everything that can be checked before training is
(:mod:`nn.cli_checks`): a bad option fails in a fraction of a second with one line and exit
status 2, not after the first epoch with a traceback. Run it with ``--help`` for every option.

This module sits above ``nn`` and ``viz`` (it draws the plots with :mod:`viz.plots`); nothing in
the library imports it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from .blas import limit_blas_threads
from .checkpoint import CheckpointError, read_checkpoint
from .cli_checks import check_module, check_network_size, check_writable, data_error_message
from .cli_display import ProgressBar, epoch_line, interrupted_message, summary
from .costs import COST_NAMES
from .datasets.download import DownloadError
from .datasets.idx import IDXError
from .datasets.mirrors import MIRRORS
from .datasets.mnist import CLASSES, DATA_ENV_VAR, load_mnist
from .init import INITS
from .interrupts import TrainingInterrupted
from .train import Trainer, evaluate
from .train_config import DTYPES, ENGINES, TrainConfig, compare_configs

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
PROG = "autograd-mini-train"
DEFAULTS = TrainConfig()
CONFIG_KEYS = [f.name for f in fields(TrainConfig)]
N_INPUTS, N_CLASSES = 28 * 28, 10  # both datasets: 28x28 images, 10 classes
# What reading a checkpoint may raise: a malformed or mismatched file, or the file system.
CHECKPOINT_ERRORS = (CheckpointError, OSError)

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

EPILOG = """\
data:
  The four files of --dataset (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
  t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, or the names without .gz) are read
  from --data-dir DIR, and only from there if it is given. Otherwise they are looked up, in
  this order, in
    ${env} (the directory itself, or its <dataset>/ subdirectory),
    /usr/share/datasets/<dataset>/ (Debian and Ubuntu: apt-get install dataset-fashion-mnist),
    ~/.cache/autograd-mini/<dataset>/ (or $XDG_CACHE_HOME/autograd-mini/<dataset>/),
  and failing that downloaded into that cache (MNIST 11 MB, Fashion-MNIST 30 MB; MD5-checked).

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

examples:
  {prog}
      the classic network (all defaults); MNIST is downloaded on first use
  {prog} --data-dir ~/data/mnist --limit 1000 --epochs 1
      a quick first run on files you already have
  {prog} --sizes 784 100 10 --cost cross-entropy --init scaled --lr 0.5 --weight-decay 5.0
      the improved network: cross-entropy, 100 hidden units, L2, scaled initialisation
  {prog} --dataset fashion-mnist --sizes 784 100 10 --cost cross-entropy \\
      --init scaled --lr 0.1 --weight-decay 5.0 --checkpoint fashion.npz --plot fashion.png
  {prog} --checkpoint fashion.npz --resume
      continue that run after Ctrl-C (the other options come from the checkpoint)

environment: {env} (see data above); OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS)
  sets the number of BLAS threads; unset, this program uses 1, the fastest for mini-batches
  this small.

exit status: 0 done, 1 data or I/O error, 2 bad arguments, unusable output path or refused
checkpoint, 130 interrupted (state saved if --checkpoint was given)."""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The command line; options that shape the run default to None ("not given")."""
    d = DEFAULTS
    p = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION, epilog=EPILOG.format(prog=prog, env=DATA_ENV_VAR),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = p.add_argument_group("data")
    data.add_argument("--dataset", choices=sorted(MIRRORS),
                      help=f"which data set (default: {d.dataset})")
    data.add_argument("--data-dir", metavar="DIR",
                      help="directory holding train-images-idx3-ubyte.gz and the three other "
                           f"files (default: ${DATA_ENV_VAR}, the system and cache "
                           "directories, then a download: see 'data' below)")
    data.add_argument("--limit", type=positive_int, metavar="N",
                      help="train on the first N training examples only (default: all); "
                           "n in lambda/n is then N")
    model = p.add_argument_group("model")
    model.add_argument("--sizes", type=positive_int, nargs="+", metavar="N",
                       help="layer sizes, input to output: 784 inputs, 10 outputs "
                            f"(default: {' '.join(map(str, d.sizes))})")
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


def plot_all(path: str, trainer: Trainer, class_names: Sequence[str] | None) -> list[str]:
    """Learning curves, first-layer weights and misclassified test images; returns notes."""
    from viz.plots import plot_history, plot_misclassified, plot_weights

    stem, suffix = os.path.splitext(path)
    done = [os.fspath(plot_history(trainer.history, path))]
    weights = trainer.model.layers[0].weight
    if weights.shape[1] == N_INPUTS:
        done.append(os.fspath(plot_weights(weights, f"{stem}-weights{suffix}")))
    if trainer.x_test is not None and trainer.y_test is not None:
        ev = trainer.last_eval or evaluate(trainer.model, trainer.x_test, trainer.y_test,
                                           trainer.config.cost)
        wrong = np.flatnonzero(ev.predictions != trainer.y_test)
        done.append(os.fspath(plot_misclassified(
            trainer.x_test[wrong], trainer.y_test[wrong], ev.predictions[wrong],
            f"{stem}-errors{suffix}", class_names=class_names)))
    return [f"plots written: {', '.join(done)}"]


class UsageError(Exception):
    """A problem with the command line, found before training: one line, exit status 2."""


def make_config(args: argparse.Namespace) -> tuple[TrainConfig, Any, list[str]]:
    """The run's config from the options given (and the checkpoint with --resume)."""
    given = {k: getattr(args, k) for k in CONFIG_KEYS if getattr(args, k, None) is not None}
    if "data_dir" in given:
        given["data_dir"] = os.path.abspath(os.path.expanduser(given["data_dir"]))
    ck = None
    if args.resume:
        if not os.path.exists(args.checkpoint):
            raise UsageError(f"--resume: no checkpoint at {args.checkpoint}")
        try:
            ck = read_checkpoint(args.checkpoint)
        except CHECKPOINT_ERRORS as exc:
            reason = _one_line(exc) if isinstance(exc, (ValueError, OSError)) else (
                f"{args.checkpoint} is not a training checkpoint ({_one_line(exc)})")
            raise UsageError(f"--resume: {reason}") from exc
    config = TrainConfig(**given) if ck is None else replace(ck.config, **given)
    try:
        config.validate()
        notes = [] if ck is None else compare_configs(ck.config, config,
                                                      f"checkpoint {args.checkpoint}")
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return config, ck, notes


def preflight(args: argparse.Namespace, config: TrainConfig) -> None:
    """Every check that needs neither the data nor training; raises :class:`UsageError`."""
    problems = [
        check_network_size(config.sizes, config.dtype, config.batch_size, N_INPUTS, N_CLASSES),
        args.checkpoint and check_writable(args.checkpoint, "--checkpoint"),
        args.plot and check_writable(args.plot, "--plot"),
        args.plot and check_module("matplotlib", "--plot"),
    ]
    for problem in problems:
        if problem:
            raise UsageError(problem)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    ``prog`` is the command as the user types it (in messages, e.g. how to resume)."""
    limit_blas_threads()
    state: dict[str, Any] = {}
    try:
        return run(argv, prog, state)
    except UsageError as exc:
        return error(prog, str(exc), EXIT_USAGE)
    except KeyboardInterrupt:  # outside the training loop: loading data, plotting, ...
        trainer, args = state.get("trainer"), state.get("args")
        if trainer is None or trainer.epoch < trainer.config.epochs:
            print(f"\ninterrupted while {state.get('stage', 'starting')}", file=sys.stderr)
        else:
            print("\n" + interrupted_message(
                done=trainer.epoch, epochs=trainer.config.epochs, batch=0, batches=0,
                checkpoint=args.checkpoint, saved=True, command=prog,
                stage=state.get("stage", "printing the summary")), file=sys.stderr)
        return EXIT_INTERRUPTED


def error(prog: str, message: str, status: int) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return status


def run(argv: Sequence[str] | None, prog: str, state: dict[str, Any]) -> int:
    """The body of :func:`main`; ``state`` tells it what was going on if interrupted."""
    args = build_parser(prog).parse_args(argv)
    state.update(args=args, stage="reading the options")
    if args.resume and not args.checkpoint:
        raise UsageError("--resume needs --checkpoint PATH")
    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--plot {args.plot}: use a .png or .svg file name")
    if args.checkpoint and not args.resume and os.path.isfile(args.checkpoint):
        raise UsageError(f"--checkpoint {args.checkpoint} exists: pass --resume to continue "
                         "that run, or remove it (or choose another path) to start a new one")
    config, ck, notes = make_config(args)
    preflight(args, config)

    state["stage"] = f"loading {config.dataset}"
    try:
        data = load_mnist(config.dataset, data_dir=config.data_dir, dtype=config.dtype)
    except DownloadError as exc:
        return error(prog, data_error_message(exc, config.dataset, prog), EXIT_ERROR)
    except (OSError, IDXError) as exc:  # the library's words for data_dir are the option's
        reason = str(exc).replace("load_mnist: data_dir ", "--data-dir ", 1)
        return error(prog, f"cannot load {config.dataset}: {reason}", EXIT_ERROR)
    try:
        trainer = Trainer(config, data.x_train, data.y_train, data.x_test, data.y_test)
        if ck is not None:
            trainer.load_checkpoint(ck)
    except CHECKPOINT_ERRORS as exc:
        raise UsageError(_one_line(exc)) from exc
    state.update(trainer=trainer, stage="training")

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
        finished = trainer.epoch >= config.epochs
        if finished:
            print(summary(trainer.history, trainer.n_train))
        print("\n" + interrupted_message(
            done=trainer.epoch, epochs=config.epochs, batch=stop.batch, batches=stop.batches,
            checkpoint=args.checkpoint, saved=stop.checkpoint is not None, command=prog),
            file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # the checkpoint could not be written after all (disk full, ...)
        bar.clear()
        return error(prog, f"--checkpoint {args.checkpoint}: {_one_line(exc)}", EXIT_USAGE)

    state["stage"] = "printing the summary"
    print(summary(trainer.history, trainer.n_train))
    if args.plot:
        state["stage"] = "drawing the plots"
        try:
            for note in plot_all(args.plot, trainer, CLASSES.get(config.dataset)):
                print(note)
        except (OSError, ValueError) as exc:
            return error(prog, f"--plot: {exc}", EXIT_ERROR)
    return EXIT_OK
