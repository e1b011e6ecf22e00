"""The pooled model as it is exported to ONNX: the same function, in fewer operations.

The path model's 1-D convolutions export as Unsqueeze, Conv and Squeeze, and each batch
normalisation after one as a Mul and an Add that ONNX Runtime cannot fuse into the convolution
across the Squeeze: about 30 small operations, each costing a few microseconds a digit, for a
network of 1.2 M multiply-adds (the ONNX run of a pooled model took 0.25 ms a digit, the CNN alone
0.13). Rebuilt as 2-D layers over a (points, 1, channels) image, with every batch normalisation
folded into the convolution before it, the path model exports as plain Conv (ReLU fused by ONNX
Runtime), pooling and Dense operations. export_onnx checks that the copy agrees with the .keras
model, as for any copy.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from digitboard.recognition.keras_model import PATH_MODEL, POOL, image_part, is_pooled, named


def fused_path_model(path_model: keras.Model) -> keras.Model:
    """`path_model` (build_trajectory_model's layers) as 2-D layers, batch normalisations folded
    into their convolutions and dropout left out (it passes its input through at inference)."""
    points, channels = path_model.input_shape[1:]
    inputs = keras.Input((points, channels), name=path_model.inputs[0].name)
    tensors = {id(path_model.inputs[0]): layers.Reshape((points, 1, channels))(inputs)}
    convolutions: dict[int, tuple[layers.Conv2D, np.ndarray]] = {}  # a new convolution's output -> (layer, 1-D kernel)
    for layer in path_model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        given = layer.input if isinstance(layer.input, list) else [layer.input]
        x = [tensors[id(tensor)] for tensor in given]
        if isinstance(layer, layers.Conv1D):
            kernel = layer.get_weights()[0]  # (width, in, out)
            conv = layers.Conv2D(layer.filters, (kernel.shape[0], 1), padding=layer.padding)
            out = conv(x[0])
            bias = layer.get_weights()[1] if layer.use_bias else np.zeros(layer.filters, np.float32)
            conv.set_weights([kernel[:, None], bias])
            convolutions[id(out)] = (conv, kernel)
        elif isinstance(layer, layers.BatchNormalization) and id(x[0]) in convolutions:
            conv, kernel = convolutions[id(x[0])]
            gamma, beta, mean, variance = layer.get_weights()
            scale = gamma / np.sqrt(variance + layer.epsilon)
            _, bias = conv.get_weights()
            conv.set_weights([(kernel * scale)[:, None], (bias - mean) * scale + beta])
            out = x[0]
        elif isinstance(layer, layers.MaxPooling1D):
            out = layers.MaxPooling2D((layer.pool_size[0], 1), padding=layer.padding)(x[0])
        elif isinstance(layer, layers.GlobalAveragePooling1D):
            out = layers.GlobalAveragePooling2D()(x[0])
        elif isinstance(layer, layers.GlobalMaxPooling1D):
            out = layers.GlobalMaxPooling2D()(x[0])
        elif isinstance(layer, layers.Dropout):
            out = x[0]
        elif isinstance(layer, (layers.ReLU, layers.Concatenate, layers.Dense)):
            copy = layer.__class__.from_config(layer.get_config())
            out = copy(x if isinstance(layer, layers.Concatenate) else x[0])
            copy.set_weights(layer.get_weights())
        else:
            raise ValueError(f"{path_model.name}: no fused form of {layer.__class__.__name__} ({layer.name})")
        tensors[id(layer.output)] = out
    return keras.Model(inputs, tensors[id(path_model.outputs[0])], name=path_model.name)


def fused(model: keras.Model) -> keras.Model:
    """A pooled model with its path model fused (fused_path_model); any other model as it is."""
    if not is_pooled(model):
        return model
    image_input = keras.Input(model.inputs[0].shape[1:], name="image")
    path_input = keras.Input(model.inputs[1].shape[1:], name="trajectory")
    path_model = named(fused_path_model(model.get_layer(PATH_MODEL)), PATH_MODEL)
    outputs = model.get_layer(POOL)([image_part(model)(image_input), path_model(path_input)])
    return keras.Model([image_input, path_input], outputs, name=model.name)
