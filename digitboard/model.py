"""The digit CNN: (N, 28, 28, 1) float32 in [0, 1], white ink on black -> 11 softmax
probabilities, the digits 0-9 and "not a digit" (index 10); and its penultimate-layer embedding.

The shipped model is the CNN and the trajectory model (digitboard.trajectory) read side by side:
one Keras model of two inputs, the image and the pen's path, whose probabilities are the two
networks' pooled (`PooledProbabilities`). A model of the image alone still loads and runs."""

from __future__ import annotations

import keras
from keras import layers, ops

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 11  # the digits 0-9 and NOT_A_DIGIT (digitboard.data)
EMBEDDING = "embedding"  # the name of the penultimate layer: (N, 128) after BN and ReLU
IMAGE_MODEL, PATH_MODEL, POOL = "digit_cnn", "trajectory_cnn", "pooled"  # the parts of a two-input model


def conv_bn_relu(x, filters: int, kernel_size: int, padding: str = "same"):
    """Convolution, batch normalisation, ReLU (the convolution needs no bias before BN)."""
    x = layers.Conv2D(filters, kernel_size, padding=padding, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def build_model(dropout: float = 0.4, num_classes: int = NUM_CLASSES) -> keras.Model:
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
    x = layers.ReLU(name=EMBEDDING)(x)  # (N, 128): what writer adaptation compares digits by
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digit_cnn")


@keras.saving.register_keras_serializable(package="digitboard")
class PooledProbabilities(layers.Layer):
    """Pool two models' probabilities: p proportional to image**w * path**(1 - w), with `shift`
    added to the "not a digit" log-odds (a weighted geometric mean, then a change of prior).

    A geometric mean lets either model veto a class it finds unlikely, which is what a pair of
    models that fail on different drawings needs; the weight and the shift are chosen by
    cross-validation that leaves whole institutions out (docs/cross-validation.md).
    """

    def __init__(self, image_weight: float = 0.5, not_a_digit_shift: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.image_weight = float(image_weight)
        self.not_a_digit_shift = float(not_a_digit_shift)

    def call(self, inputs):
        image, path = inputs
        tiny = 1e-7  # a float32 softmax can give exactly 0
        logits = (self.image_weight * ops.log(image + tiny) + (1.0 - self.image_weight) * ops.log(path + tiny)
                  + ops.convert_to_tensor([0.0] * (NUM_CLASSES - 1) + [self.not_a_digit_shift]))
        return ops.softmax(logits, axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self) -> dict:
        return {**super().get_config(), "image_weight": self.image_weight, "not_a_digit_shift": self.not_a_digit_shift}


def pooled_model(image_model: keras.Model, path_model: keras.Model, image_weight: float,
                 not_a_digit_shift: float) -> keras.Model:
    """One model of two inputs ("image", "trajectory") reading with both networks, pooled."""
    image_input = keras.Input(INPUT_SHAPE, name="image")
    path_input = keras.Input(path_model.input_shape[1:], name="trajectory")
    image_model, path_model = _named(image_model, IMAGE_MODEL), _named(path_model, PATH_MODEL)
    pool = PooledProbabilities(image_weight, not_a_digit_shift, name=POOL)
    outputs = pool([image_model(image_input), path_model(path_input)])
    return keras.Model([image_input, path_input], outputs, name="digit_reader")


def _named(model: keras.Model, name: str) -> keras.Model:
    """`model` under `name` (its layers shared), so a pooled model's parts can be found by name."""
    if model.name == name:
        return model
    return keras.Model(model.inputs, model.outputs, name=name)


def is_pooled(model: keras.Model) -> bool:
    """Whether `model` reads the pen's path as well as the image (built by pooled_model)."""
    return len(model.inputs) == 2


def image_part(model: keras.Model) -> keras.Model:
    """The CNN that reads the image: `model` itself, or the image part of a pooled model."""
    return model.get_layer(IMAGE_MODEL) if is_pooled(model) else model


def shift_not_a_digit_logit(model: keras.Model, shift: float) -> None:
    """Add `shift` to the "not a digit" output's bias, in place: a change of prior.

    Training holds far more non-digits (a third of the images) than a board receives, so a model
    fresh from training gives "not a digit" too much weight against an odd real digit. A negative
    shift multiplies the odds of "not a digit" against every digit by e**shift and leaves the
    digits' odds among themselves, so the label read, unchanged (see
    digitboard.recognizer.shift_not_a_digit for the same on probabilities). A pooled model is
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


def with_embedding(model: keras.Model) -> keras.Model:
    """A two-output model sharing `model`'s layers: (probabilities, embedding).

    The embedding is the CNN's layer named EMBEDDING, or for older models the input of the output
    layer (at inference the dropout before it passes its input through). A pooled model keeps
    its two inputs; its embedding is the CNN's and the path model's features (the input of its
    output layer), each scaled to unit length, side by side: two drawings' cosine similarity is
    then the mean of what the image and the pen's path say of them. Writer adaptation compares
    drawings by it, and the path's half tells a writer's 1 from their 7 where the images blur.
    """
    if is_pooled(model):
        image_input, path_input = (keras.Input(tensor.shape[1:], name=name)
                                   for tensor, name in zip(model.inputs, ("image", "trajectory")))
        image_probabilities, image_embedding = with_embedding(image_part(model))(image_input)
        path_model = model.get_layer(PATH_MODEL)
        path_features = keras.Model(path_model.inputs, [path_model.outputs[0], path_model.layers[-1].input],
                                    name=f"{PATH_MODEL}_with_features")
        path_probabilities, path_embedding = path_features(path_input)
        probabilities = model.get_layer(POOL)([image_probabilities, path_probabilities])
        embedding = layers.Concatenate(name=EMBEDDING)(
            [layers.UnitNormalization()(image_embedding), layers.UnitNormalization()(path_embedding)])
        return keras.Model([image_input, path_input], [probabilities, embedding], name=f"{model.name}_with_embedding")
    names = {layer.name for layer in model.layers}
    embedding = model.get_layer(EMBEDDING).output if EMBEDDING in names else model.layers[-1].input
    (image,) = model.inputs  # one input, given as itself: Keras warns when a lone tensor meets a list
    return keras.Model(image, [model.outputs[0], embedding], name=f"{model.name}_with_embedding")


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
    wide_kernel[:, :10], wide_bias[:10] = kernel, bias
    wide.layers[-1].set_weights([wide_kernel, wide_bias])
    return wide
