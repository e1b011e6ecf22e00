"""The committed best.keras keeps its contract and its accuracy."""

from __future__ import annotations

import numpy as np
from conftest import needs_training_extra


def test_shipped_model_contract_and_mnist_test_accuracy(shipped_model, mnist_path):
    """The image and the pen's path in, eleven probabilities out; its CNN keeps the floor it is held
    to on MNIST (MNIST's images have no pen paths for the other part to read)."""
    needs_training_extra()
    from digitboard.recognition.keras_model import image_part
    from digitboard.recognition.recognizer import KerasRecognizer
    from digitboard.training.data import load_mnist, to_model_input
    from digitboard.training.train import MNIST_SHIPPED_FLOOR

    model = KerasRecognizer.load(shipped_model).model
    assert [tuple(tensor.shape) for tensor in model.inputs] == [(None, 28, 28, 1), (None, 64, 5)]
    assert model.output_shape == (None, 11)
    mnist = load_mnist(mnist_path)
    probabilities = image_part(model).predict(to_model_input(mnist.x_test), batch_size=1000, verbose=0)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    accuracy = (probabilities[:, :10].argmax(axis=1) == mnist.y_test).mean()  # MNIST holds digits only
    assert accuracy >= MNIST_SHIPPED_FLOOR, f"MNIST test accuracy {accuracy:.4%} is below {MNIST_SHIPPED_FLOOR:.1%}"


def test_a_fresh_process_loads_the_shipped_model_under_keras(shipped_model):
    """The Keras fallback in a process that imported nothing else of digitboard first: the
    pooling layer must be registered by the loader itself."""
    needs_training_extra()
    import subprocess
    import sys

    code = ("import numpy as np; from digitboard.recognition.recognizer import KerasRecognizer; "
            f"r = KerasRecognizer.load({str(shipped_model)!r}); "
            "print(r.predict(np.zeros((1, 28, 28, 1), np.float32), np.zeros((1, 64, 5), np.float32)).shape)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("(1, 11)")
