"""Model files: the checks a .keras file must pass, the one quiet, shape-checked Keras loader,
and the fingerprint that ties an ONNX copy (best.onnx) to the .keras model it was derived from.

Used by the recognisers, export, fine-tuning and the benchmarks, so that a model is loaded and
checked one way everywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from digitboard import TRAIN_EXTRA_HINT, needs_training_extra
from digitboard.paths import shown
from digitboard.recognition.trajectory import CHANNELS, POINTS

EXPECTED_INPUT = (28, 28, 1)
EXPECTED_PATH = (POINTS, CHANNELS)  # a pooled model's second input: the pen's path (digitboard.recognition.trajectory)
EXPECTED_CLASSES = (10, 11)  # the ten digits, then (newer models) "not a digit"
TRAIN_HINT = "train one with `digitboard train`, or pass --model PATH to a .keras file"
PROBABILITY_TOLERANCE = 1e-3  # how far a row of probabilities may sum from 1 (float32 softmax)


class ModelError(ValueError):
    """The model file is missing or unusable; the message says what to do."""


def one_line(error: BaseException, limit: int = 240) -> str:
    """A library's error message on one line, shortened: it goes inside our own message."""
    text = " ".join(str(error).split()) or error.__class__.__name__
    return text if len(text) <= limit else text[:limit - 1] + "…"


# TensorFlow's native start-up lines ("I0000 00:00:... port.cc:153] oneDNN custom operations...")
# are written before TF_CPP_MIN_LOG_LEVEL is read; on a model error they bury the one line that
# matters, so they are held back while Keras loads. Anything else is passed through.
_TENSORFLOW_LOG_LINE = re.compile(
    r"^([IWE]\d{4} \d\d:\d\d:|WARNING: All log messages before absl::InitializeLog|To enable the following instructions)"
)


@contextlib.contextmanager
def without_tensorflow_chatter() -> Iterator[None]:
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


def check_model_file(model_path: str | os.PathLike[str]) -> Path:
    """Fail fast, without TensorFlow, on a model file that cannot be a Keras model."""
    path = Path(model_path)
    if not path.exists():
        raise ModelError(f"model file {shown(path)} does not exist; {TRAIN_HINT}")
    if not path.is_file() or path.stat().st_size == 0:
        raise ModelError(f"model file {shown(path)} is empty or not a file; {TRAIN_HINT}")
    hint = TRAIN_HINT
    if path.suffix.lower() == ".onnx":
        hint = (f"pass the .keras model it was derived from (e.g. {path.with_suffix('.keras')}): "
                f"its matching ONNX copy beside it is used automatically")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ModelError(f"model file {shown(path)} is truncated or not a Keras .keras file ({one_line(error)}); {hint}") from None
    if bad is not None or not {"config.json", "model.weights.h5"} <= names:
        raise ModelError(f"model file {shown(path)} is truncated or not a Keras .keras file; {hint}")
    return path


def check_shapes(path: Path, input_shapes, output_shape) -> None:
    """The board feeds (N, 28, 28, 1), and to a pooled model also the pen's path (N, 64, 5); it
    reads 10 digit probabilities, then maybe "not a digit"."""
    tails = [tuple(shape[1:]) for shape in input_shapes]
    output_tail = tuple(output_shape[1:])
    if tails not in ([EXPECTED_INPUT], [EXPECTED_INPUT, EXPECTED_PATH]) or len(output_tail) != 1 \
            or output_tail[0] not in EXPECTED_CLASSES:
        raise ModelError(
            f"model file {path} takes {', '.join(map(str, tails))} and gives {output_tail}; the board needs input "
            f"{EXPECTED_INPUT} (and maybe the path {EXPECTED_PATH}) and 10 or 11 probabilities: {TRAIN_HINT}"
        )


def probe_images() -> np.ndarray:
    """A few inputs to run a model on at load: blank, full and random images (N, 28, 28, 1)."""
    rng = np.random.default_rng(0)
    return np.concatenate([np.zeros((1, 28, 28, 1)), np.ones((1, 28, 28, 1)),
                           rng.random((2, 28, 28, 1))]).astype(np.float32)


def probe_paths() -> np.ndarray:
    """Paths to go with probe_images for a pooled model: still, and random (4, 64, 5)."""
    rng = np.random.default_rng(1)
    return np.concatenate([np.zeros((2, *EXPECTED_PATH)), rng.uniform(-0.5, 0.5, (2, *EXPECTED_PATH))]).astype(np.float32)


def model_inputs(reads_paths: bool, images: np.ndarray, paths: np.ndarray | None) -> list[np.ndarray]:
    """What a model is run on: [images], or [images, paths] for a model that reads the pen's path."""
    images = np.asarray(images, np.float32)
    if not reads_paths:
        return [images]
    if paths is None:
        raise ValueError("this model reads the pen's path as well as the image: pass the paths (digitboard.recognition.trajectory)")
    paths = np.asarray(paths, np.float32)
    if len(paths) != len(images):
        raise ValueError(f"{len(images)} images but {len(paths)} paths")
    return [images, paths]


def model_feed(reads_paths: bool, images: np.ndarray, paths: np.ndarray | None):
    """What a Keras model is called on: its one input's array, or the list of both."""
    inputs = model_inputs(reads_paths, images, paths)
    return inputs if reads_paths else inputs[0]


def check_probabilities(path: Path, probabilities: np.ndarray) -> None:
    """Outputs must be probabilities: finite, non-negative, each row summing to 1."""
    probabilities = np.asarray(probabilities, np.float64)
    if not np.all(np.isfinite(probabilities)):
        raise ModelError(f"model file {path} gives non-finite outputs (NaN or infinity: damaged weights?); {TRAIN_HINT}")
    if probabilities.min() < -PROBABILITY_TOLERANCE or not np.allclose(probabilities.sum(axis=1), 1, atol=PROBABILITY_TOLERANCE):
        raise ModelError(f"model file {path} gives scores that are not probabilities (negative, or not summing "
                         f"to 1: no softmax at the end?); {TRAIN_HINT}")


def load_keras_model(model_path: str | os.PathLike[str]):
    """Load a .keras model quietly, check its shapes and that it gives probabilities.

    Raises ModelError with a message a user can act on; TensorFlow's start-up lines are held back.
    """
    path = check_model_file(model_path)
    with without_tensorflow_chatter():
        try:
            import keras
        except ImportError as error:
            if not needs_training_extra(error):
                raise
            raise ModelError(f"model file {path} has no matching ONNX copy, and running it under Keras needs "
                             f"TensorFlow: {TRAIN_EXTRA_HINT}") from None

        import digitboard.recognition.keras_model  # noqa: F401  (registers the pooling layer a two-input model holds)

        try:
            model = keras.saving.load_model(path, compile=False)
        except Exception as error:  # Keras raises many types for a damaged file
            raise ModelError(f"model file {path} could not be loaded by Keras ({one_line(error)}); {TRAIN_HINT}") from None
    try:
        input_shapes, output_shape = [tuple(tensor.shape) for tensor in model.inputs], model.output_shape
    except (AttributeError, ValueError, TypeError):  # e.g. a subclassed model that was never built
        raise ModelError(f"model file {path} has no fixed input and output shape; {TRAIN_HINT}") from None
    check_shapes(path, input_shapes, output_shape)
    check_probabilities(path, model.predict_on_batch(model_feed(len(input_shapes) == 2, probe_images(), probe_paths())))
    return model


# -- the fingerprint: which .keras file an ONNX copy was derived from -------------------------
def onnx_path_for(model_path: str | os.PathLike[str]) -> Path:
    return Path(model_path).with_suffix(".onnx")


def fingerprint_path(onnx_path: Path) -> Path:
    return onnx_path.with_name(onnx_path.name + ".json")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_fingerprint(model_path: Path, onnx_path: Path) -> None:
    """Record that `onnx_path`, byte for byte, was derived from this exact `model_path`."""
    record = {"source": model_path.name, "sha256": sha256(model_path),
              "onnx": onnx_path.name, "onnx_sha256": sha256(onnx_path)}
    fingerprint_path(onnx_path).write_text(json.dumps(record, indent=2) + "\n")


def fast_copy_matches(model_path: str | os.PathLike[str]) -> bool:
    """Whether the ONNX copy beside `model_path` was derived from it, both files byte for byte."""
    model_path = Path(model_path)
    onnx_path = onnx_path_for(model_path)
    try:
        recorded = json.loads(fingerprint_path(onnx_path).read_text())
        return (isinstance(recorded, dict) and onnx_path.is_file()
                and recorded.get("sha256") == sha256(model_path)
                and recorded.get("onnx_sha256") == sha256(onnx_path))
    except (OSError, ValueError, RecursionError):  # unreadable, not JSON, or nested too deep to parse
        return False
