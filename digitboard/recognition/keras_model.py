"""What reading a saved .keras model needs (under TensorFlow, the `train` extra): the layer that
pools the CNN's and the path model's probabilities, a two-input model's parts by name, and a
second output for the embedding that writer adaptation compares drawings by.

The models themselves are built and trained in digitboard.training.model."""

from __future__ import annotations

import keras
from keras import layers, ops

from digitboard.recognition.classes import NOT_A_DIGIT

INPUT_SHAPE = (28, 28, 1)
EMBEDDING = "embedding"  # the name of the CNN's penultimate layer: (N, 128) after BN and ReLU
IMAGE_MODEL, PATH_MODEL, POOL = "digit_cnn", "trajectory_cnn", "pooled"  # the parts of a two-input model


@keras.saving.register_keras_serializable(package="digitboard")
class PooledProbabilities(layers.Layer):
    """Pool two models' probabilities: p proportional to (image**w * path**(1 - w))**(1 / T), with
    `shift` added to the "not a digit" log-odds (a weighted geometric mean, its temperature, then
    a change of prior).

    A geometric mean lets either model veto a class it finds unlikely, which is what a pair of
    models that fail on different drawings needs; the weight and the shift are chosen by
    cross-validation that leaves whole institutions out (docs/cross-validation.md). The
    temperature T makes the pooled confidence mean what it says on writers the models never saw
    (digitboard.training.calibration); models saved before it had none, so it defaults to 1.
    """

    def __init__(self, image_weight: float = 0.5, not_a_digit_shift: float = 0.0, temperature: float = 1.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.image_weight = float(image_weight)
        self.not_a_digit_shift = float(not_a_digit_shift)
        self.temperature = float(temperature)

    def call(self, inputs):
        image, path = inputs
        tiny = 1e-7  # a float32 softmax can give exactly 0
        pooled = self.image_weight * ops.log(image + tiny) + (1.0 - self.image_weight) * ops.log(path + tiny)
        logits = pooled / self.temperature + ops.convert_to_tensor([0.0] * NOT_A_DIGIT + [self.not_a_digit_shift])
        return ops.softmax(logits, axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self) -> dict:
        return {**super().get_config(), "image_weight": self.image_weight, "not_a_digit_shift": self.not_a_digit_shift,
                "temperature": self.temperature}


def named(model: keras.Model, name: str) -> keras.Model:
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
