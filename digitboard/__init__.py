"""digitboard: a real-time handwritten digit board.

Importing the package is cheap: TensorFlow, ONNX Runtime and pygame are imported only by the
modules that need them, when they need them.
"""

from pathlib import Path

__version__ = "0.1.0"

# The model the repository ships, and the fast-runtime file derived from it.
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL = PACKAGE_DIR.parent / "best.keras"
