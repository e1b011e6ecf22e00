"""The committed best.keras keeps its contract and its accuracy."""

from __future__ import annotations

import numpy as np


def test_shipped_model_contract_and_mnist_test_accuracy(shipped_model, mnist_path):
    """The image and the pen's path in, eleven probabilities out; its CNN keeps 99.6% on MNIST
    (MNIST's images have no pen paths for the other part to read)."""
    from digitboard.data import load_mnist, to_model_input
    from digitboard.model import image_part
    from digitboard.recognizer import KerasRecognizer

    model = KerasRecognizer.load(shipped_model).model
    assert [tuple(tensor.shape) for tensor in model.inputs] == [(None, 28, 28, 1), (None, 64, 5)]
    assert model.output_shape == (None, 11)
    mnist = load_mnist(mnist_path)
    probabilities = image_part(model).predict(to_model_input(mnist.x_test), batch_size=1000, verbose=0)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    accuracy = (probabilities[:, :10].argmax(axis=1) == mnist.y_test).mean()  # MNIST holds digits only
    assert accuracy >= 0.996, f"MNIST test accuracy {accuracy:.4%} is below 99.6%"
