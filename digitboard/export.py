"""Deriving the fast-runtime copy of a model (best.keras -> best.onnx) and checking that the two
agree: the same labels on the MNIST test set, probabilities within 1e-4."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitboard.recognizer import KerasRecognizer, OnnxRecognizer, check_model_file, onnx_path_for, write_fingerprint

TOLERANCE = 1e-4


def export_onnx(model_path: str | os.PathLike[str]) -> Path:
    """Write the ONNX copy beside the .keras model, with the fingerprint that ties them."""
    import keras

    model_path = check_model_file(model_path)
    onnx_path = onnx_path_for(model_path)
    model = keras.saving.load_model(model_path, compile=False)
    model(np.zeros((1, 28, 28, 1), np.float32))  # Keras exports only a model that has run once
    model.export(str(onnx_path), format="onnx", verbose=False)
    write_fingerprint(model_path, onnx_path)
    return onnx_path


@dataclass(frozen=True)
class Agreement:
    images: int
    same_labels: int
    max_difference: float

    @property
    def ok(self) -> bool:
        return self.same_labels == self.images and self.max_difference <= TOLERANCE

    def __str__(self) -> str:
        verdict = "agrees" if self.ok else "DISAGREES"
        return (f"{verdict} with Keras on {self.images:,} images: {self.same_labels:,} same labels, "
                f"largest probability difference {self.max_difference:.1e} (tolerance {TOLERANCE:.0e})")


def check_agreement(model_path: str | os.PathLike[str], images: np.ndarray, batch_size: int = 500) -> Agreement:
    """Compare the ONNX copy with the .keras model on `images` (N, 28, 28, 1) float32."""
    model_path = Path(model_path)
    keras_recognizer = KerasRecognizer.load(model_path)
    onnx_recognizer = OnnxRecognizer(onnx_path_for(model_path))
    same, worst = 0, 0.0
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        expected, actual = keras_recognizer.predict(batch), onnx_recognizer.predict(batch)
        same += int((expected.argmax(axis=1) == actual.argmax(axis=1)).sum())
        worst = max(worst, float(np.abs(expected - actual).max()))
    return Agreement(len(images), same, worst)


def run_export(model_path: str, mnist_path: str | None = None) -> int:
    """`digitboard export`: derive the copy, then check it on the MNIST test set."""
    from digitboard.data import load_mnist, to_model_input

    onnx_path = export_onnx(model_path)
    mnist = load_mnist(mnist_path)
    agreement = check_agreement(model_path, to_model_input(mnist.x_test))
    print(f"wrote {onnx_path}; it {agreement}")
    if not agreement.ok:
        onnx_path.unlink()  # a copy that disagrees must never be used
        return 1
    return 0
