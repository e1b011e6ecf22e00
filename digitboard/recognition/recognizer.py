"""Recognisers: from a batch of 28x28 inputs (and, for a model that reads it, each drawing's pen
path, digitboard.recognition.trajectory) to class probabilities (the ten digits, then "not a digit" for
models that have one) and the CNN's penultimate-layer embedding.

`best.keras` is the one model the project trains and ships. For speed the board runs its ONNX
copy (`best.onnx`, derived by `digitboard export` or `digitboard train`) under ONNX Runtime: about
0.1 ms per digit against about 1 ms for Keras's `predict_on_batch`, and a 0.1 s import against
TensorFlow's 3 to 6 s. A fingerprint file records which .keras file the copy came from
(digitboard.recognition.modelfile); a copy that does not match is ignored and the .keras model runs under
Keras instead.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from digitboard.recognition.batches import in_parts
from digitboard.recognition.classes import with_temperature
from digitboard.recognition.modelfile import (
    TRAIN_HINT,
    ModelError,
    check_model_file,
    check_probabilities,
    check_shapes,
    fast_copy_matches,
    load_keras_model,
    model_feed,
    model_inputs,
    one_line,
    onnx_path_for,
    probe_images,
    probe_paths,
)

log = logging.getLogger(__name__)  # what the user should hear of: the shells show it (digitboard.cli)

RUN_ROWS = 256  # the most rows one ONNX Runtime run takes: memory and time stay linear in the batch


def pool_probabilities(image: np.ndarray, path: np.ndarray | None, image_weight: float,
                       temperature: float = 1.0) -> np.ndarray:
    """Two models' (N, C) probabilities pooled as digitboard.recognition.keras_model.PooledProbabilities pools them
    (without its shift): p proportional to (image**w * path**(1 - w))**(1 / T). No path: the image's."""
    if path is None or image_weight == 1:
        return with_temperature(image, temperature) if temperature != 1 else np.asarray(image, np.float64)
    tiny = 1e-7  # as in the layer
    logits = (image_weight * np.log(np.asarray(image, np.float64) + tiny) +
              (1 - image_weight) * np.log(np.asarray(path, np.float64) + tiny)) / temperature
    pooled = np.exp(logits - logits.max(axis=1, keepdims=True))
    return pooled / pooled.sum(axis=1, keepdims=True)


class Recognizer(Protocol):
    @property
    def ready(self) -> bool:
        """Whether predict can be called now (a background loader may still be loading)."""
        ...

    def predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> np.ndarray:
        """(N, 28, 28, 1) float32 in [0, 1] and the drawings' paths (N, 64, 5) -> (N, C)
        probabilities, C = 10 or 11. A model of the image alone ignores the paths; one that
        reads them raises ValueError without them."""
        ...

    def embed_and_predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The same inputs -> (embeddings (N, D) float32, probabilities (N, C)), in one run."""
        ...


class OnnxRecognizer:
    """ONNX Runtime, one thread a run: the board classifies one digit at a time, and a large
    batch (replay, the web board) is split over the cores.

    The copy has two outputs, "probabilities" and "embedding" (digitboard.training.export).
    """

    ready = True

    def __init__(self, onnx_path: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        declared = self.session.get_inputs()  # the image, then for a pooled model the path
        self.input_names = [model_input.name for model_input in declared]
        self.reads_paths = len(declared) == 2
        outputs = {output.name: output for output in self.session.get_outputs()}
        if set(outputs) != {"probabilities", "embedding"}:
            raise ModelError(f"ONNX copy {onnx_path} has outputs {sorted(outputs)}, not probabilities and "
                             f"embedding: derive it again with `digitboard export`")
        check_shapes(onnx_path, [model_input.shape for model_input in declared], outputs["probabilities"].shape)
        self._order = ["probabilities", "embedding"]
        check_probabilities(onnx_path, self.predict(probe_images(), probe_paths()))

    def predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> np.ndarray:
        inputs = model_inputs(self.reads_paths, images, paths)
        return np.concatenate([part[0] for part in in_parts(lambda rows: self._run(inputs, rows), range(len(images)))])

    def embed_and_predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        inputs = model_inputs(self.reads_paths, images, paths)
        parts = in_parts(lambda rows: self._run(inputs, rows, both=True), range(len(images)))
        return np.concatenate([part[1] for part in parts]), np.concatenate([part[0] for part in parts])

    def _run(self, inputs: list[np.ndarray], rows: range, both: bool = False) -> list[np.ndarray]:
        """Runs on one thread over `rows` of the inputs: [probabilities] or [probabilities,
        embeddings]. A large batch is split over the cores by the callers (digitboard.recognition.batches);
        the session is thread-safe. Each run takes at most RUN_ROWS rows: one run of thousands
        (a long replay) took 0.8 to 2.7 s for 10,000 digits, runs of 256 a steady 0.74 s."""
        names = self._order if both else self._order[:1]
        runs = [self.session.run(names, {name: array[start:min(start + RUN_ROWS, rows.stop)]
                                         for name, array in zip(self.input_names, inputs)})
                for start in range(rows.start, rows.stop, RUN_ROWS) or [rows.start]]
        return runs[0] if len(runs) == 1 else [np.concatenate(column) for column in zip(*runs)]


class KerasRecognizer:
    """The .keras model under Keras: the reference, and the fallback without an ONNX copy."""

    ready = True

    def __init__(self, model) -> None:
        from digitboard.recognition.keras_model import is_pooled, with_embedding

        self.model = model
        self.reads_paths = is_pooled(model)
        self.two_outputs = with_embedding(model)  # shares the model's layers and weights

    @classmethod
    def load(cls, model_path: str | os.PathLike[str]) -> KerasRecognizer:
        return cls(load_keras_model(model_path))

    def feed(self, images: np.ndarray, paths: np.ndarray | None):
        return model_feed(self.reads_paths, images, paths)

    def predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> np.ndarray:
        return np.asarray(self.model.predict_on_batch(self.feed(images, paths)))

    def embed_and_predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        probabilities, embeddings = self.two_outputs.predict_on_batch(self.feed(images, paths))
        return np.asarray(embeddings, np.float32), np.asarray(probabilities)


def load_recognizer(model_path: str | os.PathLike[str]) -> Recognizer:
    """The fastest faithful recogniser for `model_path`: its ONNX copy if it matches, else Keras."""
    path = check_model_file(model_path)
    if fast_copy_matches(path):
        try:
            return OnnxRecognizer(onnx_path_for(path))
        except ModelError:
            raise
        except Exception as error:  # a damaged copy: the .keras model is the source of truth
            log.warning(f"ignoring {onnx_path_for(path)} ({one_line(error)}); running {path} under Keras")
            return KerasRecognizer.load(path)
    recognizer = KerasRecognizer.load(path)
    log.warning(f"{path} has no matching ONNX copy, so it runs under Keras (slower to start and to classify); "
                f"`digitboard export {path}` derives one")
    return recognizer


class BackgroundRecognizer:
    """Loads a recogniser on a thread, so the board accepts strokes while the model loads.

    A process must not end while the thread is in ONNX Runtime's or TensorFlow's native loading
    code: their C++ runtime then aborts it ("terminate called without an active exception", exit
    134). So the thread is not a daemon (the interpreter waits for it at exit), and a shell that
    may refuse to start creates the loader with `start=False` and starts it once it will go on."""

    def __init__(self, model_path: str | os.PathLike[str], start: bool = True) -> None:
        self.model_path = model_path
        self.error: ModelError | None = None
        self._recognizer: Recognizer | None = None
        self._thread = threading.Thread(target=self._load, name="model-loader")
        if start:
            self.start()

    def start(self) -> None:
        """Start loading the model on the thread."""
        self._thread.start()

    def wait(self) -> None:
        """Return once the load is over (loaded or failed), or at once if it never started."""
        if self._thread.is_alive():
            self._thread.join()

    def _load(self) -> None:
        try:
            self._recognizer = load_recognizer(self.model_path)
        except ModelError as error:
            self.error = error
        except Exception as error:  # anything else is still a model problem for the user
            self.error = ModelError(f"model file {self.model_path} could not be loaded ({one_line(error)}); {TRAIN_HINT}")

    @property
    def ready(self) -> bool:
        return self._recognizer is not None

    def predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> np.ndarray:
        if self._recognizer is None:
            raise RuntimeError("the model is not loaded yet")
        return self._recognizer.predict(images, paths)

    def embed_and_predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if self._recognizer is None:
            raise RuntimeError("the model is not loaded yet")
        return self._recognizer.embed_and_predict(images, paths)
