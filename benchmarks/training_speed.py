"""Wall time on this machine's CPU cores to reach 99.0%, 99.5% and 99.6% MNIST test accuracy.

Trains the CNN with the project's own pipeline (the same TrainConfig defaults, model,
augmentation made a whole epoch ahead in a background thread, growing batches and one-cycle
learning rate as `digitboard train`) and checks the test accuracy (argmax over the ten digits)
after every epoch. The test set is only watched, never used for any decision. The whole schedule
runs (it is shaped by its length), and the wall and processor time of each epoch are printed, so
a run on a busy machine can still be compared with one on an idle machine.

    python benchmarks/training_speed.py --mnist ../shared/data/mnist.npz
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TARGETS = (0.990, 0.995, 0.996)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", help="local MNIST .npz (default: $DIGITBOARD_MNIST, else download)")
    parser.add_argument("--epochs", type=int, help="length of the learning-rate schedule (default: TrainConfig's)")
    parser.add_argument("--batch-size", type=int, help="(default: TrainConfig's)")
    parser.add_argument("--with-drawn", action="store_true",
                        help="add the pen-drawn digits and non-digits, as `digitboard train` does")
    args = parser.parse_args(argv)

    import dataclasses

    import keras
    import tensorflow as tf

    from digitboard.training.data import drawn_training_data, load_mnist
    from digitboard.training.model import build_model
    from digitboard.training.config import TrainConfig
    from digitboard.training.dataset import prepare_data
    from digitboard.training.train import predict_labels, train_model

    given = {"mnist": args.mnist, "epochs": args.epochs, "batch_size": args.batch_size, "drawn": args.with_drawn}
    config = dataclasses.replace(TrainConfig(), **{name: value for name, value in given.items() if value is not None})
    config = dataclasses.replace(config, patience=config.epochs)  # the whole schedule, no early stop
    mnist = load_mnist(config.mnist)
    drawn, nondigits = drawn_training_data(None, None, announce=print) if config.drawn else ([], [])
    data = prepare_data(mnist, drawn, nondigits, config if config.drawn else dataclasses.replace(config, junk=0))
    model = build_model()
    print(f"cores {os.cpu_count()}, TensorFlow {tf.__version__}, Keras {keras.__version__}; "
          f"{model.count_params():,} parameters; {len(data.train):,} training images; "
          f"batches of {config.batch_size}; one cycle of the learning rate over {config.epochs} epochs")

    reached: dict[float, tuple[int, float]] = {}
    start, processor_start = time.perf_counter(), time.process_time()

    class WatchTestAccuracy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - start
            accuracy = float((predict_labels(self.model, data.test.x) == data.test.y).mean())
            processor = time.process_time() - processor_start
            print(f"epoch {epoch + 1:2}: {seconds:6.0f} s ({processor:6.0f} s of processor time), "
                  f"test accuracy {accuracy:.4%}", flush=True)
            for target in TARGETS:
                if accuracy >= target and target not in reached:
                    reached[target] = (epoch + 1, seconds)

    with tempfile.TemporaryDirectory() as folder:
        fit_callbacks = [WatchTestAccuracy()]
        train_model(data, config, Path(folder) / "speed.keras", model, verbose=0, callbacks=fit_callbacks)
    for target in TARGETS:
        if target in reached:
            epoch, seconds = reached[target]
            print(f"reached {target:.1%} after epoch {epoch} in {seconds:.0f} s ({seconds / 60:.1f} min)")
        else:
            print(f"did not reach {target:.1%} in {config.epochs} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
