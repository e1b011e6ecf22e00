"""Training pipeline: prepare data, build the model, train with Adam, EarlyStopping and
ModelCheckpoint, evaluate, export the fast-runtime copy. Shared by `digitboard train` and the
notebook."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitboard.augment import Augmentation, flagged_one, slashed_zero
from digitboard.data import DrawnDigit, Mnist, to_model_input
from digitboard.preprocess import STROKE_WIDTH, digit_image


@dataclass(frozen=True)
class Split:
    """Model-ready images (N, 28, 28, 1) float32 in [0, 1] and integer labels (N,)."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class Prepared:
    train: Split
    validation: Split
    test: Split


def render_drawn_digits(
    digits: Sequence[DrawnDigit], copies: int, rng: np.random.Generator,
    width_range: tuple[float, float] = (0.75 * STROKE_WIDTH, 1.3 * STROKE_WIDTH),
    style_variants: float = 0.0,
) -> Split:
    """Render pen-drawn digits through the board's own preprocessing, `copies` times each with
    a random stroke width, so the model sees exactly what the board will show it.

    With `style_variants` > 0, that share of the copies of 0s and 1s are drawn slashed or
    flagged (see digitboard.augment), styles of many European writers.
    """
    images, labels = [], []
    for digit in digits:
        for _ in range(copies):
            strokes = digit.strokes
            if style_variants and rng.random() < style_variants:
                if digit.label == 0:
                    strokes = slashed_zero(strokes, rng)
                elif digit.label == 1:
                    strokes = flagged_one(strokes, rng) or strokes
            images.append(digit_image(strokes, stroke_width=rng.uniform(*width_range)))
            labels.append(digit.label)
    x = np.asarray(images, np.float32).reshape(-1, 28, 28, 1)  # (N, 28, 28, 1) float32 in [0, 1]
    return Split(x, np.asarray(labels, np.int64))


def prepare_data(
    mnist: Mnist,
    drawn: Sequence[DrawnDigit] = (),
    drawn_copies: int = 3,
    validation_fraction: float = 0.1,
    sample_limit: int | None = None,
    seed: int = 0,
    style_variants: float = 0.6,
) -> Prepared:
    """Split MNIST's training set into train and validation (the test set stays untouched) and
    add pen-drawn digits, rendered as the board renders them, to both in the same proportion."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(mnist.y_train))
    if sample_limit:
        order = order[:sample_limit]
    n_val = max(1, int(len(order) * validation_fraction))
    x_all, y_all = to_model_input(mnist.x_train), mnist.y_train.astype(np.int64)
    train = Split(x_all[order[n_val:]], y_all[order[n_val:]])
    validation = Split(x_all[order[:n_val]], y_all[order[:n_val]])
    test_count = min(len(mnist.y_test), sample_limit) if sample_limit else len(mnist.y_test)
    test = Split(to_model_input(mnist.x_test[:test_count]), mnist.y_test[:test_count].astype(np.int64))
    if drawn:
        drawn_order = rng.permutation(len(drawn))
        if sample_limit:
            drawn_order = drawn_order[:sample_limit]
        d_val = int(len(drawn_order) * validation_fraction)
        drawn_train = render_drawn_digits(
            [drawn[i] for i in drawn_order[d_val:]], drawn_copies, rng, style_variants=style_variants
        )
        drawn_val = render_drawn_digits([drawn[i] for i in drawn_order[:d_val]], 1, rng)
        train = Split(np.concatenate([train.x, drawn_train.x]), np.concatenate([train.y, drawn_train.y]))
        validation = Split(
            np.concatenate([validation.x, drawn_val.x]), np.concatenate([validation.y, drawn_val.y])
        )
    return Prepared(train, validation, test)


def augmented_batches(split: Split, batch_size: int, augmentation: Augmentation | None, seed: int = 0):
    """A Keras PyDataset of shuffled, freshly augmented batches (a new distortion every epoch)."""
    import keras

    class AugmentedBatches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(split))

        def __len__(self) -> int:
            return math.ceil(len(split) / batch_size)

        def __getitem__(self, index: int):
            rows = self.order[index * batch_size:(index + 1) * batch_size]
            x = split.x[rows]
            if augmentation is not None:
                x = augmentation.apply(x, self.rng)
            return x, split.y[rows]

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(split))

    return AugmentedBatches()


def compile_model(model, learning_rate: float, decay_steps: int) -> None:
    """Adam with a cosine-decaying learning rate, sparse categorical cross-entropy."""
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps, alpha=0.02)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def fit(
    model,
    batches,
    validation: Split,
    output: str | os.PathLike[str],
    epochs: int = 40,
    patience: int = 10,
    verbose: int | str = "auto",
    callbacks: Sequence = (),
):
    """Train a compiled `model`, keeping the best epoch (by validation accuracy) at `output`.

    Returns the Keras History; the model left in memory has the best weights too.
    """
    import keras

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    checkpoint_cb = keras.callbacks.ModelCheckpoint(
        output, monitor="val_accuracy", save_best_only=True, verbose=0
    )
    early_stopping_cb = keras.callbacks.EarlyStopping(
        monitor="val_accuracy", patience=patience, restore_best_weights=True
    )
    return model.fit(
        batches,
        validation_data=(validation.x, validation.y),
        epochs=epochs,
        callbacks=[checkpoint_cb, early_stopping_cb, *callbacks],
        verbose=verbose,
    )


def predict_labels(model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Labels for a large batch of images (N, 28, 28, 1)."""
    return np.argmax(model.predict(x, batch_size=batch_size, verbose=0), axis=1)
