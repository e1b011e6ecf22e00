"""Recognisers: from a batch of 28x28 inputs to class probabilities.

`best.keras` is the one model the project trains and ships. For speed the board runs its ONNX
copy (`best.onnx`, derived by `digitboard export` or `digitboard train`) under ONNX Runtime: about
0.1 ms per digit against about 1 ms for Keras's `predict_on_batch`, and a 0.1 s import against
TensorFlow's 3 to 6 s. A fingerprint file records which .keras file the copy came from; a copy
that does not match is ignored and the .keras model runs under Keras instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

EXPECTED_INPUT = (28, 28, 1)
EXPECTED_CLASSES = 10
TRAIN_HINT = "train one with `digitboard train`, or pass --model PATH to a .keras file"


# TensorFlow's native start-up lines ("I0000 00:00:... port.cc:153] oneDNN custom operations...")
# are written before TF_CPP_MIN_LOG_LEVEL is read; on a model error they bury the one line that
# matters, so they are held back while Keras loads. Anything else is passed through.
_TENSORFLOW_LOG_LINE = re.compile(
    r"^([IWE]\d{4} \d\d:\d\d:|WARNING: All log messages before absl::InitializeLog|To enable the following instructions)"
)


class ModelError(ValueError):
    """The model file is missing or unusable; the message says what to do."""


def _one_line(error: BaseException, limit: int = 240) -> str:
    """A library's error message on one line, shortened: it goes inside our own message."""
    text = " ".join(str(error).split()) or error.__class__.__name__
    return text if len(text) <= limit else text[:limit - 1] + "…"


@contextlib.contextmanager
def _without_tensorflow_chatter() -> Iterator[None]:
    """Hold back TensorFlow's native log lines on file descriptor 2; pass the rest on after."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no file descriptor 2 to redirect
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode("utf-8", "replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not _TENSORFLOW_LOG_LINE.match(line)))


class Recognizer(Protocol):
    def predict(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 in [0, 1] -> (N, 10) probabilities."""
        ...


def onnx_path_for(model_path: Path) -> Path:
    return model_path.with_suffix(".onnx")


def _fingerprint_path(onnx_path: Path) -> Path:
    return onnx_path.with_name(onnx_path.name + ".json")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_fingerprint(model_path: Path, onnx_path: Path) -> None:
    """Record that `onnx_path` was derived from this exact `model_path`."""
    _fingerprint_path(onnx_path).write_text(
        json.dumps({"source": model_path.name, "sha256": _sha256(model_path)}, indent=2) + "\n"
    )


def fast_copy_matches(model_path: Path) -> bool:
    """Whether the ONNX copy beside `model_path` was derived from it, byte for byte."""
    onnx_path = onnx_path_for(model_path)
    try:
        recorded = json.loads(_fingerprint_path(onnx_path).read_text())
        return onnx_path.is_file() and recorded.get("sha256") == _sha256(model_path)
    except (OSError, ValueError, AttributeError):
        return False


def check_model_file(model_path: str | os.PathLike[str]) -> Path:
    """Fail fast, without TensorFlow, on a model file that cannot be a Keras model."""
    path = Path(model_path)
    if not path.exists():
        raise ModelError(f"model file {path} does not exist; {TRAIN_HINT}")
    if not path.is_file() or path.stat().st_size == 0:
        raise ModelError(f"model file {path} is empty or not a file; {TRAIN_HINT}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ModelError(f"model file {path} is truncated or not a Keras .keras file ({_one_line(error)}); {TRAIN_HINT}") from None
    if bad is not None or not {"config.json", "model.weights.h5"} <= names:
        raise ModelError(f"model file {path} is truncated or not a Keras .keras file; {TRAIN_HINT}")
    return path


def _check_shapes(path: Path, input_shape, output_shape) -> None:
    input_tail = tuple(input_shape[1:])
    output_tail = tuple(output_shape[1:])
    if input_tail != EXPECTED_INPUT or output_tail != (EXPECTED_CLASSES,):
        raise ModelError(
            f"model file {path} takes {input_tail} and gives {output_tail}; the board needs "
            f"input {EXPECTED_INPUT} and {EXPECTED_CLASSES} probabilities: {TRAIN_HINT}"
        )


class OnnxRecognizer:
    """ONNX Runtime on one thread: the board classifies one digit at a time."""

    def __init__(self, onnx_path: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        (model_input,) = self.session.get_inputs()
        self.input_name = model_input.name
        _check_shapes(onnx_path, model_input.shape, self.session.get_outputs()[0].shape)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: np.asarray(images, np.float32)})[0]


class KerasRecognizer:
    """The .keras model under Keras: the reference, and the fallback without an ONNX copy."""

    def __init__(self, model) -> None:
        self.model = model

    @classmethod
    def load(cls, model_path: Path) -> KerasRecognizer:
        with _without_tensorflow_chatter():
            import keras

            try:
                model = keras.saving.load_model(model_path, compile=False)
            except Exception as error:  # Keras raises many types for a damaged file
                raise ModelError(
                    f"model file {model_path} could not be loaded by Keras ({_one_line(error)}); {TRAIN_HINT}"
                ) from None
        try:
            input_shape, output_shape = model.input_shape, model.output_shape
        except (AttributeError, ValueError):  # e.g. a subclassed model that was never built
            raise ModelError(f"model file {model_path} has no fixed input and output shape; {TRAIN_HINT}") from None
        _check_shapes(model_path, input_shape, output_shape)
        return cls(model)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_on_batch(np.asarray(images, np.float32)))


def load_recognizer(model_path: str | os.PathLike[str]) -> Recognizer:
    """The fastest faithful recogniser for `model_path`: its ONNX copy if it matches, else Keras."""
    path = check_model_file(model_path)
    if fast_copy_matches(path):
        try:
            return OnnxRecognizer(onnx_path_for(path))
        except ModelError:
            raise
        except Exception as error:  # a damaged copy: the .keras model is the source of truth
            print(f"digitboard: ignoring {onnx_path_for(path)} ({_one_line(error)}); running {path} under Keras",
                  file=sys.stderr)
            return KerasRecognizer.load(path)
    recognizer = KerasRecognizer.load(path)
    print(f"digitboard: {path} has no matching ONNX copy, so it runs under Keras (slower to start and to "
          f"classify); `digitboard export {path}` derives one", file=sys.stderr)
    return recognizer


class BackgroundRecognizer:
    """Loads a recogniser on a thread, so the board accepts strokes while the model loads."""

    def __init__(self, model_path: str | os.PathLike[str]) -> None:
        self.model_path = model_path
        self.error: ModelError | None = None
        self._recognizer: Recognizer | None = None
        self._loaded = threading.Event()
        self._thread = threading.Thread(target=self._load, name="model-loader", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        try:
            self._recognizer = load_recognizer(self.model_path)
        except ModelError as error:
            self.error = error
        except Exception as error:  # anything else is still a model problem for the user
            self.error = ModelError(f"model file {self.model_path} could not be loaded ({_one_line(error)}); {TRAIN_HINT}")
        finally:
            self._loaded.set()

    @property
    def ready(self) -> bool:
        return self._recognizer is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loading ends (ready or failed); returns whether it ended."""
        return self._loaded.wait(timeout)

    def predict(self, images: np.ndarray) -> np.ndarray:
        if self._recognizer is None:
            raise RuntimeError("the model is not loaded yet")
        return self._recognizer.predict(images)
