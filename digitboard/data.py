"""Loading the data sets: MNIST (Keras's loader or a local .npz) and UNIPEN pen trajectories."""

from __future__ import annotations

import gzip
import json
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MNIST_ENV = "DIGITBOARD_MNIST"
UNIPEN_ENV = "DIGITBOARD_UNIPEN"
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
# Beside a checkout: ../shared/data holds the development copies (never committed).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass(frozen=True)
class Mnist:
    """MNIST as Keras gives it: uint8 images (N, 28, 28), uint8 labels (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_mnist(path: str | os.PathLike[str] | None = None) -> Mnist:
    """Load MNIST from `path`, else from $DIGITBOARD_MNIST, else with Keras's downloader.

    The file is an .npz in Keras's layout (keys x_train, y_train, x_test, y_test).
    """
    path = path or os.environ.get(MNIST_ENV)
    if path:
        return _load_mnist_npz(Path(path))
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # no network, a proxy, a broken cache...
        raise FileNotFoundError(
            f"could not download MNIST with Keras ({error.__class__.__name__}: {error}). "
            f"Pass a local mnist.npz in Keras's layout with --mnist PATH, or set {MNIST_ENV}=PATH."
        ) from error
    return Mnist(x_train, y_train, x_test, y_test)


def _load_mnist_npz(path: Path) -> Mnist:
    if not path.is_file():
        raise FileNotFoundError(
            f"MNIST file {path} does not exist; give an .npz with keys {', '.join(MNIST_KEYS)} "
            f"(--mnist PATH or {MNIST_ENV}=PATH), or neither to download it with Keras"
        )
    expected = ", ".join(MNIST_KEYS)
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not hasattr(npz, "files"):
                raise ValueError("a single array, not an archive of named arrays")
            arrays = {key: npz[key] for key in MNIST_KEYS if key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        # np.load says "pickled data" for any file that is not .npy or .npz (an HTML page, say).
        raise ValueError(f"MNIST file {path} is not a readable .npz ({error}); expected keys {expected}") from None
    missing = [key for key in MNIST_KEYS if key not in arrays]
    if missing:
        raise ValueError(f"MNIST file {path} lacks {', '.join(missing)}; expected keys {expected}")
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
            raise ValueError(
                f"MNIST file {path}: x_{split} must be (N, 28, 28) and y_{split} (N,), "
                f"got {images.shape} and {labels.shape}"
            )
    return Mnist(**arrays)


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Turn uint8 (N, 28, 28) images into the model's (N, 28, 28, 1) float32 in [0, 1]."""
    return (np.asarray(images, np.float32) / 255.0)[..., None]


@dataclass(frozen=True)
class DrawnDigit:
    """One real pen-drawn digit: strokes of (x, y) points, y downwards, in the tablet's units."""

    label: int
    contributor: str
    strokes: list[np.ndarray]


def default_unipen_path() -> Path:
    """Where the UNIPEN digits are: $DIGITBOARD_UNIPEN, else ../shared/data beside the checkout."""
    return Path(os.environ.get(UNIPEN_ENV) or SHARED_DATA / "unipen-dev.jsonl.gz")


def iter_unipen(path: str | os.PathLike[str] | None = None) -> Iterator[DrawnDigit]:
    """Stream the digits of a UNIPEN .jsonl(.gz) file (format in shared/data/README.md)."""
    path = Path(path) if path else default_unipen_path()
    if not path.is_file():
        raise FileNotFoundError(f"UNIPEN digits {path} do not exist; pass their path or set {UNIPEN_ENV}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                strokes = [np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in row["strokes"]]
                yield DrawnDigit(int(row["label"]), str(row["contributor"]), strokes)
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: not a UNIPEN digit ({error})") from error


def load_unipen(
    path: str | os.PathLike[str] | None = None, contributors: Iterable[str] | None = None
) -> list[DrawnDigit]:
    """Load the UNIPEN digits, only those of `contributors` when given."""
    wanted = set(contributors) if contributors is not None else None
    return [d for d in iter_unipen(path) if wanted is None or d.contributor in wanted]


# Writers used for training and tuning; the others are held out so that figures on them say how
# the board does on writers it has never seen.
TUNING_CONTRIBUTORS = ("syn", "apb", "apa", "art")
HELD_OUT_CONTRIBUTORS = ("ced", "gmd", "imp")


def drawn_training_digits(
    path: str | os.PathLike[str] | None = None, announce: Callable[[str], object] = lambda _: None
) -> list[DrawnDigit]:
    """The tuning writers' pen-drawn digits for training, or [] where the default file is absent.

    A `path` that was asked for but does not exist is an error; the default is optional, so
    training still runs from MNIST alone on a machine without it.
    """
    source = Path(path) if path else default_unipen_path()
    if not source.is_file():
        if path:
            raise FileNotFoundError(f"pen-drawn digits {source} do not exist")
        announce(f"no pen-drawn digits at {source}: training on MNIST alone")
        return []
    digits = load_unipen(source, TUNING_CONTRIBUTORS)
    announce(f"training on MNIST and {len(digits):,} pen-drawn digits of {', '.join(TUNING_CONTRIBUTORS)} from {source}")
    return digits
