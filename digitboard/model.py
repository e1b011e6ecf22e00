"""The digit CNN: (N, 28, 28, 1) float32 in [0, 1], white ink on black -> 10 softmax probabilities."""

from __future__ import annotations

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def conv_bn_relu(x, filters: int, kernel_size: int, padding: str = "same"):
    """Convolution, batch normalisation, ReLU (the convolution needs no bias before BN)."""
    x = layers.Conv2D(filters, kernel_size, padding=padding, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def build_model(dropout: float = 0.4) -> keras.Model:
    """Build the CNN: about 200 k parameters and 8 M multiply-adds per digit.

    The seed's Conv(32)-Pool-Conv(64)-Pool-Dense(10) with batch normalisation, two more
    convolutions and a small dense layer: enough for 99.6% on MNIST, small enough to classify
    a digit in well under a millisecond with ONNX Runtime.
    """
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = layers.MaxPooling2D()(conv_bn_relu(inputs, 32, 5))  # (14, 14, 32)
    x = layers.MaxPooling2D()(conv_bn_relu(x, 64, 3))  # (7, 7, 64)
    x = conv_bn_relu(x, 64, 3)  # (7, 7, 64)
    x = layers.MaxPooling2D()(conv_bn_relu(x, 128, 3, padding="valid"))  # (2, 2, 128)
    x = layers.Flatten()(x)
    x = layers.Dense(128, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digit_cnn")


def load_for_fine_tuning(path) -> keras.Model:
    """Load a trained model to train further (its optimizer state is dropped: it gets a new one)."""
    from digitboard.recognizer import KerasRecognizer

    return KerasRecognizer.load(path).model
