"""Loading the data sets: MNIST (Keras's loader or a local .npz) and UNIPEN pen trajectories."""

from __future__ import annotations

import gzip
import json
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitboard.recognition.classes import NOT_A_DIGIT  # letters, symbols, scribbles, stray clicks

MNIST_ENV = "DIGITBOARD_MNIST"
UNIPEN_ENV = "DIGITBOARD_UNIPEN"
NONDIGITS_ENV = "DIGITBOARD_NONDIGITS"
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
# Beside a checkout: ../shared/data holds the development copies (never committed).
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


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
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        # np.load says "pickled data" for any file that is not .npy or .npz (an HTML page, say).
        raise ValueError(f"MNIST file {path} is not a readable .npz ({error}); expected keys {expected}") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):  # an .npy: one array, not named arrays
        raise ValueError(f"MNIST file {path} holds a single array, not an .npz archive; expected keys {expected}")
    try:
        with loaded as npz:
            arrays = {key: npz[key] for key in MNIST_KEYS if key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
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
    """One real pen drawing: strokes of (x, y) points, y downwards, in the tablet's units.

    `label` is the digit 0-9, or NOT_A_DIGIT for a letter or symbol (`character` says which).
    """

    label: int
    contributor: str
    strokes: list[np.ndarray]
    character: str = ""


def default_unipen_path() -> Path:
    """Where the UNIPEN digits are: $DIGITBOARD_UNIPEN, else ../shared/data beside the checkout."""
    return Path(os.environ.get(UNIPEN_ENV) or SHARED_DATA / "unipen-dev.jsonl.gz")


def default_nondigits_path() -> Path:
    """Where the UNIPEN letters and symbols are: $DIGITBOARD_NONDIGITS, else ../shared/data."""
    return Path(os.environ.get(NONDIGITS_ENV) or SHARED_DATA / "unipen-dev-notdigits.jsonl.gz")


def _strokes(value: object) -> list[np.ndarray]:
    """UNIPEN strokes as (n, 2) float arrays; every stroke must have at least one finite point."""
    if not isinstance(value, list) or not value:
        raise ValueError("strokes must be a non-empty list of strokes")
    strokes = [np.asarray(stroke, np.float64) for stroke in value]
    for number, stroke in enumerate(strokes, 1):
        if stroke.ndim != 2 or stroke.shape[1] != 2 or len(stroke) == 0:
            raise ValueError(f"stroke {number} is not a non-empty list of [x, y] points")
        if not np.all(np.isfinite(stroke)):
            raise ValueError(f"stroke {number} has a point that is not a finite number")
    return strokes


def iter_unipen(path: str | os.PathLike[str] | None = None, digits: bool = True) -> Iterator[DrawnDigit]:
    """Stream a UNIPEN .jsonl(.gz) file (format in shared/data/README.md): its digits, or with
    `digits=False` its letters and symbols, labelled NOT_A_DIGIT."""
    path = Path(path) if path else (default_unipen_path() if digits else default_nondigits_path())
    if not path.is_file():
        raise FileNotFoundError(f"UNIPEN file {path} does not exist; pass its path or set "
                                f"{UNIPEN_ENV if digits else NONDIGITS_ENV}")
    opener = gzip.open if path.suffix == ".gz" else open
    number = 0
    try:
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    strokes = _strokes(row["strokes"])
                    if digits:
                        label, character = int(row["label"]), ""
                        if not 0 <= label <= 9 or str(row["label"]) != str(label):
                            raise ValueError(f"label {row['label']!r} is not a digit 0-9")
                    else:
                        label, character = NOT_A_DIGIT, str(row["label"])
                    yield DrawnDigit(label, str(row["contributor"]), strokes, character)
                except (ValueError, KeyError, TypeError, AttributeError) as error:
                    raise ValueError(f"{path}:{number}: not a UNIPEN {'digit' if digits else 'drawing'} ({error})") from None
    except (EOFError, OSError, UnicodeDecodeError, zlib.error) as error:  # truncated or not gzip/text
        raise ValueError(f"{path}:{number + 1}: unreadable, truncated or not JSON lines "
                         f"({' '.join(str(error).split()) or error.__class__.__name__})") from None


def load_unipen(
    path: str | os.PathLike[str] | None = None, contributors: Iterable[str] | None = None, digits: bool = True
) -> list[DrawnDigit]:
    """Load the UNIPEN digits (or non-digits), only those of `contributors` when given."""
    wanted = set(contributors) if contributors is not None else None
    return [d for d in iter_unipen(path, digits) if wanted is None or d.contributor in wanted]


# Fold 3 of the cross-validation (benchmarks/cross_validation.py): its fold model never saw these
# institutions, so benchmarks/drawn_digits.py run with that model gives a held-out figure. The
# shipped model trains on all seven.
HELD_OUT_CONTRIBUTORS = ("ced", "gmd", "imp")

# The seven institutions that wrote the development digits. Figures the project quotes come from
# cross-validation that leaves whole institutions out (benchmarks/cross_validation.py), and are
# checked independently on five more institutions that the project never sees.
DEVELOPMENT_CONTRIBUTORS = ("apa", "apb", "art", "ced", "gmd", "imp", "syn")


def drawn_training_data(
    path: str | os.PathLike[str] | None,
    nondigits_path: str | os.PathLike[str] | None,
    exclude: Iterable[str] = (),
    announce: Callable[[str], object] = lambda _: None,
) -> tuple[list[DrawnDigit], list[DrawnDigit]]:
    """The pen-drawn digits and non-digits to train on, without the `exclude`d institutions.

    A path that was asked for but does not exist is an error; the default files are optional,
    so training still runs from MNIST alone (and synthetic junk) on a machine without them.
    """
    excluded = set(exclude)
    loaded = []
    for asked, default, digits, what in ((path, default_unipen_path(), True, "pen-drawn digits"),
                                         (nondigits_path, default_nondigits_path(), False, "pen-drawn non-digits")):
        source = Path(asked) if asked else default
        if not source.is_file():
            if asked:
                raise FileNotFoundError(f"{what} {source} do not exist")
            announce(f"no {what} at {source}: training without them")
            loaded.append([])
            continue
        drawings = [d for d in iter_unipen(source, digits) if d.contributor not in excluded]
        institutions = sorted({d.contributor for d in drawings})
        announce(f"{len(drawings):,} {what} of {len(institutions)} institutions from {source}")
        loaded.append(drawings)
    return loaded[0], loaded[1]
