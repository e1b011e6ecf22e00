"""digitboard: a real-time handwritten digit board.

Importing the package is cheap: TensorFlow, ONNX Runtime and pygame are imported only by the
modules that need them, when they need them. The board, replay and the web board run on ONNX
Runtime alone; TensorFlow comes with the `train` extra, for training, export and running a
.keras model that has no ONNX copy.
"""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("digitboard")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0.1.0"

# What the `train` extra installs, and the one line that says how to get it.
TRAINING_MODULES = frozenset({"tensorflow", "keras", "tf2onnx", "onnx", "matplotlib"})
TRAIN_EXTRA_HINT = 'pip install "digitboard[train]" (in a checkout: pip install -e ".[train]")'


def training_extra_missing() -> bool:
    """Whether a module of the `train` extra is not installed (found without importing it)."""
    import importlib.util
    import sys

    def missing(name: str) -> bool:
        if name in sys.modules:
            return sys.modules[name] is None  # None: imports of it are blocked
        return importlib.util.find_spec(name) is None

    return any(missing(name) for name in ("tensorflow", "keras", "tf2onnx", "onnx"))


def needs_training_extra(error: ImportError) -> bool:
    """Whether `error` is a module of the `train` extra missing from this install."""
    return isinstance(error, ModuleNotFoundError) and (error.name or "").split(".")[0] in TRAINING_MODULES

# The model the package ships, with its ONNX copy and fingerprint beside it. In a checkout these
# are symlinks to the repository's top-level best.keras, best.onnx and best.onnx.json (the one
# source of truth); a wheel holds copies of them (package-data in pyproject.toml).
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL = PACKAGE_DIR / "best.keras"
