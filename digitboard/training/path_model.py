"""Training the model of the pen's path: a small 1-D CNN over a drawing's resampled points
(digitboard.recognition.trajectory), and the random variants of drawings it learns from."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digitboard.recognition.trajectory import CHANNELS, POINTS


def distorted(strokes: Sequence[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """A random variant of a drawing for training: rotation, slant, stretch, jitter, and now and
    then a stroke drawn the other way round or the strokes in another order, as writers do."""
    points = [np.asarray(stroke, np.float64)[:, :2] for stroke in strokes]
    everything = np.concatenate(points)
    centre = (everything.min(axis=0) + everything.max(axis=0)) / 2
    size = max(float(np.ptp(everything, axis=0).max()), 1e-9)
    angle = np.deg2rad(rng.uniform(-12, 12))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shear = np.array([[1.0, rng.uniform(-0.3, 0.3)], [0.0, 1.0]])
    stretch = np.diag(rng.uniform(0.8, 1.2, 2))
    linear = stretch @ shear @ rotation
    out = []
    for stroke in points:
        moved = (stroke - centre) @ linear.T
        moved += rng.normal(0.0, 0.006 * size, moved.shape)
        if len(points) > 1 and rng.random() < 0.1:
            moved = moved[::-1]
        out.append(moved)
    if len(out) > 1 and rng.random() < 0.1:
        out = [out[i] for i in rng.permutation(len(out))]
    return out


def build_trajectory_model(num_classes: int = 11, points: int = POINTS, widths: tuple[int, int, int] = (32, 64, 64)):
    """A small 1-D CNN over the sequence: about 39 k parameters and 1.2 M multiply-adds a drawing.

    Twice as wide read the unseen writers no better when pooled with the CNN (99.27% either way,
    docs/cross-validation.md) and cost 0.1 ms more a digit on the board."""
    import keras
    from keras import layers

    def conv_bn_relu(x, filters: int, kernel_size: int):
        x = layers.Conv1D(filters, kernel_size, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.ReLU()(x)

    inputs = keras.Input((points, CHANNELS), name="trajectory")
    x = conv_bn_relu(inputs, widths[0], 5)
    x = layers.MaxPooling1D()(conv_bn_relu(x, widths[0], 5))  # (points / 2, widths[0])
    x = conv_bn_relu(x, widths[1], 3)
    x = layers.MaxPooling1D()(conv_bn_relu(x, widths[1], 3))  # (points / 4, widths[1])
    x = conv_bn_relu(x, widths[2], 3)
    x = layers.Concatenate()([layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)])
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="trajectory_cnn")
