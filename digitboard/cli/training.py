"""`digitboard train` and `digitboard export`: both need the train extra, and both stop on SIGTERM
as on Ctrl+C, deleting what they had half written."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from digitboard import TRAIN_EXTRA_HINT, training_extra_missing
from digitboard.cli.signals import sigterm_as_interrupt


def refuse_without_training_extra(command: str) -> int | None:
    """Exit status 2, said on one line, where TensorFlow is not installed; else None."""
    if not training_extra_missing():
        return None
    print(f"digitboard: `digitboard {command}` needs TensorFlow, which this install leaves out: "
          f"{TRAIN_EXTRA_HINT}", file=sys.stderr)
    return 2


def run_train_command(args: argparse.Namespace) -> int:
    """Build the TrainConfig from the options given (the rest keep its defaults) and train."""
    refused = refuse_without_training_extra("train")
    if refused is not None:
        return refused
    import dataclasses

    from digitboard.training.config import TrainConfig

    fields = {field.name for field in dataclasses.fields(TrainConfig)}
    options = {name: value for name, value in vars(args).items() if name in fields}
    quick = vars(args).get("quick", False)  # train's options are present only when given
    config = TrainConfig.quick_look(**options) if quick else TrainConfig(**options)
    with sigterm_as_interrupt(lambda: train_leftovers(config)) as heard:
        # Imported once the signals are set, as the run always was: imported before them, 7 of 22
        # runs given Ctrl+C after the first checkpoint aborted ("terminate called without an active
        # exception") or trained on to the end; 0 of 14 this way. Why the order matters is not found.
        from digitboard.training.train import MNIST_TARGET, run_training

        # Python's own raise of a Ctrl+C or SIGTERM is lost now and then (about one run in 24 went
        # on to its end): the signal the watcher heard is raised again between two batches.
        result = run_training(config, check=heard.raise_if_heard)
    if result.mnist_accuracy < MNIST_TARGET and config.sample_limit is None and not quick:
        print(f"note: {result.mnist_accuracy:.2%} on MNIST is short of the {MNIST_TARGET:.1%} aimed at for a model to ship")
    return 0 if result.agreement.ok else 1


def train_leftovers(config) -> list[Path]:
    """The hidden file a training run writes before it is done (digitboard.training.train)."""
    from digitboard.training.train import partial_path

    return [partial_path(Path(config.out))]


def run_export_command(args: argparse.Namespace) -> int:
    refused = refuse_without_training_extra("export")
    if refused is not None:
        return refused
    from digitboard.training.export import run_export

    with sigterm_as_interrupt(lambda: export_leftovers(args.model)):
        return run_export(args.model, args.mnist)


def export_leftovers(model: str) -> list[Path]:
    """The hidden ONNX copy an export writes before it is checked (digitboard.training.export)."""
    from digitboard.recognition.modelfile import onnx_path_for
    from digitboard.training.export import partial_onnx_path

    return [partial_onnx_path(onnx_path_for(Path(model).resolve()))]
