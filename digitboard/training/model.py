"""The digit CNN: (N, 28, 28, 1) float32 in [0, 1], white ink on black -> 11 softmax
probabilities, the digits 0-9 and "not a digit" (index 10); and its penultimate-layer embedding.

The shipped model is the CNN and the trajectory model (digitboard.recognition.trajectory) read side by side:
one Keras model of two inputs, the image and the pen's path, whose probabilities are the two
networks' pooled (`PooledProbabilities`). A model of the image alone still loads and runs."""

from __future__ import annotations

import keras
from keras import layers

from digitboard.recognition.classes import CLASSES as NUM_CLASSES
from digitboard.recognition.classes import DIGIT_CLASSES
from digitboard.recognition.keras_model import (
    EMBEDDING,
    IMAGE_MODEL,
    INPUT_SHAPE,
    PATH_MODEL,
    POOL,
    PooledProbabilities,
    is_pooled,
    named,
)


def conv_bn_relu(x, filters: int, kernel_size: int, padding: str = "same"):
    """Convolution, batch normalisation, ReLU (the convolution needs no bias before BN)."""
    x = layers.Conv2D(filters, kernel_size, padding=padding, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def build_model(dropout: float = 0.4, num_classes: int = NUM_CLASSES) -> keras.Model:
    """Build the CNN: about 200 k parameters and 8 M multiply-adds per digit.

    The classic tutorial CNN's Conv(32)-Pool-Conv(64)-Pool-Dense(10) with batch normalisation, two more
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
    x = layers.ReLU(name=EMBEDDING)(x)  # (N, 128): what writer adaptation compares digits by
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digit_cnn")


def pooled_model(image_model: keras.Model, path_model: keras.Model, image_weight: float,
                 not_a_digit_shift: float, temperature: float = 1.0) -> keras.Model:
    """One model of two inputs ("image", "trajectory") reading with both networks, pooled at
    `temperature` (PooledProbabilities)."""
    image_input = keras.Input(INPUT_SHAPE, name="image")
    path_input = keras.Input(path_model.input_shape[1:], name="trajectory")
    image_model, path_model = named(image_model, IMAGE_MODEL), named(path_model, PATH_MODEL)
    pool = PooledProbabilities(image_weight, not_a_digit_shift, temperature, name=POOL)
    outputs = pool([image_model(image_input), path_model(path_input)])
    return keras.Model([image_input, path_input], outputs, name="digit_reader")


def shift_not_a_digit_logit(model: keras.Model, shift: float) -> None:
    """Add `shift` to the "not a digit" output's bias, in place: a change of prior.

    Training holds far more non-digits (a third of the images) than a board receives, so a model
    fresh from training gives "not a digit" too much weight against an odd real digit. A negative
    shift multiplies the odds of "not a digit" against every digit by e**shift and leaves the
    digits' odds among themselves, so the label read, unchanged (see
    digitboard.recognition.recognizer.shift_not_a_digit for the same on probabilities). A pooled model is
    given its shift when it is built (pooled_model).
    """
    if is_pooled(model):
        raise ValueError(f"{model.name} reads with two models: give pooled_model the shift instead")
    layer = model.layers[-1]
    kernel, bias = layer.get_weights()
    if bias.shape != (NUM_CLASSES,):
        raise ValueError(f"{model.name} has no 'not a digit' output to shift")
    bias[NUM_CLASSES - 1] += shift
    layer.set_weights([kernel, bias])


def with_not_a_digit(model: keras.Model) -> keras.Model:
    """An eleven-class copy of a ten-class model built by build_model, to fine-tune with --init:
    every layer keeps its weights, and the new "not a digit" output starts from fresh ones."""
    if model.output_shape[-1] == NUM_CLASSES:
        return model
    wide = build_model(num_classes=NUM_CLASSES)
    if [type(layer) for layer in model.layers] != [type(layer) for layer in wide.layers]:
        raise ValueError(f"{model.name} is not this project's CNN, so it cannot be given an eleventh class")
    for old, new in zip(model.layers[:-1], wide.layers[:-1]):
        new.set_weights(old.get_weights())
    kernel, bias = model.layers[-1].get_weights()
    wide_kernel, wide_bias = wide.layers[-1].get_weights()
    wide_kernel[:, :DIGIT_CLASSES], wide_bias[:DIGIT_CLASSES] = kernel, bias
    wide.layers[-1].set_weights([wide_kernel, wide_bias])
    return wide
