"""Wall time on this machine's CPU cores to reach 99.0% and 99.5% MNIST test accuracy.

Trains with the project's own pipeline (the same model, augmentation, optimiser and schedule as
`digitboard train`) and checks the test accuracy after every epoch. The test set is only
watched, never used for any decision.

    python benchmarks/training_speed.py --mnist ../shared/data/mnist.npz
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TARGETS = (0.990, 0.995)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", help="local MNIST .npz (default: $DIGITBOARD_MNIST, else download)")
    parser.add_argument("--epochs", type=int, default=12, help="length of the learning-rate schedule")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--with-drawn", action="store_true", help="add the pen-drawn training digits, as the shipped model")
    args = parser.parse_args(argv)

    import keras
    import numpy as np
    import tensorflow as tf

    from digitboard.augment import Augmentation
    from digitboard.data import drawn_training_digits, load_mnist
    from digitboard.model import build_model
    from digitboard.train import augmented_batches, compile_model, fit, prepare_data

    mnist = load_mnist(args.mnist)
    drawn = drawn_training_digits(announce=print) if args.with_drawn else []
    data = prepare_data(mnist, drawn)
    model = build_model()
    batches = augmented_batches(data.train, args.batch_size, Augmentation())
    compile_model(model, 2e-3, decay_steps=args.epochs * len(batches))
    print(f"cores {os.cpu_count()}, TensorFlow {tf.__version__}, Keras {keras.__version__}; "
          f"{model.count_params():,} parameters; {len(data.train):,} training images; "
          f"batch {args.batch_size}; cosine schedule over {args.epochs} epochs")

    reached: dict[float, tuple[int, float]] = {}
    start = time.perf_counter()

    class WatchTestAccuracy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - start
            predicted = np.argmax(self.model.predict(data.test.x, batch_size=1000, verbose=0), axis=1)
            accuracy = float((predicted == data.test.y).mean())
            print(f"epoch {epoch + 1:2}: {seconds:6.0f} s, test accuracy {accuracy:.4%}", flush=True)
            for target in TARGETS:
                if accuracy >= target and target not in reached:
                    reached[target] = (epoch + 1, seconds)
            if len(reached) == len(TARGETS):
                self.model.stop_training = True

    with tempfile.TemporaryDirectory() as folder:
        fit(model, batches, data.validation, f"{folder}/speed.keras", epochs=args.epochs,
            patience=args.epochs, verbose=0, callbacks=[WatchTestAccuracy()])
    for target in TARGETS:
        if target in reached:
            epoch, seconds = reached[target]
            print(f"reached {target:.1%} after epoch {epoch} in {seconds:.0f} s ({seconds / 60:.1f} min)")
        else:
            print(f"did not reach {target:.1%} in {args.epochs} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
