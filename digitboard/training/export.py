"""Deriving the fast-runtime copy of a model (best.keras -> best.onnx) and checking that the two
agree: the same labels on the MNIST test set, probabilities within 1e-4. The copy has two
outputs, "probabilities" and "embedding" (the penultimate layer, for writer adaptation)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitboard.paths import require_readable_file, require_writable_target, shown
from digitboard.recognition.modelfile import (
    EXPECTED_PATH,
    load_keras_model,
    onnx_path_for,
    write_fingerprint,
)

TOLERANCE = 1e-4
OUTPUT_NAMES = ("probabilities", "embedding")  # what the board's OnnxRecognizer looks up


@dataclass(frozen=True)
class Agreement:
    images: int
    same_labels: int
    max_difference: float  # over probabilities and embeddings alike

    @property
    def ok(self) -> bool:
        return self.same_labels == self.images and self.max_difference <= TOLERANCE

    def __str__(self) -> str:
        verdict = "agrees" if self.ok else "DISAGREES"
        return (f"{verdict} with Keras on {self.images:,} images: {self.same_labels:,} same labels, "
                f"largest probability or embedding difference {self.max_difference:.1e} (tolerance {TOLERANCE:.0e})")


def compare(reference, candidate, images: np.ndarray, batch_size: int = 500) -> Agreement:
    """Compare two recognisers' embeddings and probabilities on `images` (N, 28, 28, 1) float32
    (and, for a model that reads paths, stand-ins traced from them: digitboard.recognition.trajectory)."""
    from digitboard.recognition.trajectory import traced_paths

    same, worst = 0, 0.0
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        paths = traced_paths(batch) if reference.reads_paths else None
        (expected_embedding, expected), (actual_embedding, actual) = (
            reference.embed_and_predict(batch, paths), candidate.embed_and_predict(batch, paths))
        same += int((expected.argmax(axis=1) == actual.argmax(axis=1)).sum())
        worst = max(worst, float(np.abs(expected - actual).max()),
                    float(np.abs(expected_embedding - actual_embedding).max()))
    return Agreement(len(images), same, worst)


def check_agreement(model_path: str | os.PathLike[str], images: np.ndarray) -> Agreement:
    """Compare the ONNX copy beside `model_path` with the .keras model on `images`."""
    from digitboard.recognition.recognizer import KerasRecognizer, OnnxRecognizer

    return compare(KerasRecognizer.load(model_path), OnnxRecognizer(onnx_path_for(model_path)), images)


def partial_onnx_path(onnx_path: Path) -> Path:
    """Where an ONNX copy is written before it is checked, hidden beside its place."""
    return onnx_path.with_name(f".{onnx_path.stem}.partial.onnx")


def export_onnx(model_path: str | os.PathLike[str], images: np.ndarray) -> Agreement:
    """Derive the ONNX copy of `model_path`, check it against Keras on `images`, and only if it
    agrees put it beside the model with the fingerprint that ties the two.

    A copy that disagrees is deleted; an earlier copy and its fingerprint are then left as they
    were (a fingerprint covers both files, so it can never vouch for a different pair).
    """
    from digitboard.recognition.keras_model import with_embedding
    from digitboard.recognition.recognizer import KerasRecognizer, OnnxRecognizer
    from digitboard.training.fused import fused

    model_path = Path(model_path).resolve()  # through a symlink (digitboard/best.keras): beside the real file
    reference = KerasRecognizer(load_keras_model(model_path))
    onnx_path = onnx_path_for(model_path)
    candidate_path = partial_onnx_path(onnx_path)
    try:
        two_outputs = with_embedding(fused(reference.model))  # the same function in fewer operations
        # Keras exports only a model that has run once.
        two_outputs(reference.feed(np.zeros((1, 28, 28, 1), np.float32), np.zeros((1, *EXPECTED_PATH), np.float32)))
        two_outputs.export(str(candidate_path), format="onnx", verbose=False)
        name_outputs(candidate_path, OUTPUT_NAMES)
        agreement = compare(reference, OnnxRecognizer(candidate_path), images)
        if agreement.ok:
            os.replace(candidate_path, onnx_path)
            write_fingerprint(model_path, onnx_path)
        return agreement
    finally:
        candidate_path.unlink(missing_ok=True)


def name_outputs(onnx_path: Path, names: tuple[str, ...]) -> None:
    """Rename the ONNX graph's outputs (tf2onnx calls them Identity:0, Identity_1:0...)."""
    import onnx

    model = onnx.load(str(onnx_path))
    renames = {output.name: name for output, name in zip(model.graph.output, names, strict=True)}
    for node in model.graph.node:
        node.output[:] = [renames.get(name, name) for name in node.output]
        node.input[:] = [renames.get(name, name) for name in node.input]
    for output in model.graph.output:
        output.name = renames[output.name]
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))


def check_export_paths(model_path: str, mnist_path: str | None = None) -> None:
    """Check the model, the MNIST file and where the copy goes, before anything is loaded: a file
    that is not a model is said first (not a failed MNIST download), then the other files."""
    from digitboard.recognition.modelfile import check_model_file, fingerprint_path
    from digitboard.training.data import MNIST_ENV

    check_model_file(require_readable_file(model_path, "model file"))
    option = "--mnist" if mnist_path else f"${MNIST_ENV}"
    mnist_path = mnist_path or os.environ.get(MNIST_ENV)
    if mnist_path:
        require_readable_file(mnist_path, option)
    onnx_path = onnx_path_for(Path(model_path).resolve())  # export_onnx writes beside the real file
    for path in (onnx_path, fingerprint_path(onnx_path)):
        require_writable_target(path, "the ONNX copy")
        if mnist_path and os.path.lexists(path) and os.path.samefile(path, mnist_path):
            raise ValueError(f"{option} {shown(mnist_path)} is where the ONNX copy goes; rename one of them")


def run_export(model_path: str, mnist_path: str | None = None) -> int:
    """`digitboard export`: check every path, load MNIST's test set, then derive the copy and check it."""
    from digitboard.training.data import load_mnist, to_model_input

    check_export_paths(model_path, mnist_path)
    images = to_model_input(load_mnist(mnist_path).x_test)  # fails before anything is written
    agreement = export_onnx(model_path, images)
    print(f"{onnx_path_for(model_path) if agreement.ok else 'no ONNX copy written'}: it {agreement}")
    return 0 if agreement.ok else 1
