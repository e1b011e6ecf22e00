"""digitboard: a real-time handwritten digit board.

Importing the package is cheap: TensorFlow, ONNX Runtime and pygame are imported only by the
modules that need them, when they need them.
"""

from pathlib import Path

__version__ = "0.1.0"

# The model the package ships, with its ONNX copy and fingerprint beside it. In a checkout these
# are symlinks to the repository's top-level best.keras, best.onnx and best.onnx.json (the one
# source of truth); a wheel holds copies of them (package-data in pyproject.toml).
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL = PACKAGE_DIR / "best.keras"
