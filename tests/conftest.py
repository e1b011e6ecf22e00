"""Shared test set-up: headless pygame, the shared data sets, a fake recogniser."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # before pygame is imported anywhere
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from digitboard import DEFAULT_MODEL  # noqa: E402
from digitboard.core.actions import Stroke  # noqa: E402
from digitboard.recognition.classes import CLASSES, DIGIT_CLASSES  # noqa: E402
from digitboard.recognition.trajectory import CHANNELS, POINTS  # noqa: E402
from digitboard.training.data import SHARED_DATA  # noqa: E402

MNIST_PATH = Path(os.environ.get("DIGITBOARD_MNIST") or SHARED_DATA / "mnist.npz")
UNIPEN_PATH = Path(os.environ.get("DIGITBOARD_UNIPEN") or SHARED_DATA / "unipen-dev.jsonl.gz")


@pytest.fixture(scope="session", autouse=True)
def messages_on_standard_error():
    """The package's messages to the user on standard error, as the commands show them, also for
    tests that call the library directly."""
    from digitboard.cli import report_to_standard_error

    report_to_standard_error()


@pytest.fixture(scope="session", autouse=True)
def user_data_folder(tmp_path_factory):
    """A user data folder of the tests' own: a window or replay started without --profile must
    never read or write the profile of the person running the tests (subprocesses inherit it)."""
    folder = tmp_path_factory.mktemp("user-data")
    before = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = before


TRAIN_EXTRA_MISSING = "TensorFlow and Keras are not installed (pip install -e '.[train]', or '.[test]')"


def needs_training_extra():
    """Keras, or a skip saying how to get it: the light install (`pip install -e . pytest`) runs
    every other test."""
    return pytest.importorskip("keras", reason=TRAIN_EXTRA_MISSING)


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    if not MNIST_PATH.is_file():
        pytest.skip(f"MNIST not found at {MNIST_PATH} (set DIGITBOARD_MNIST to a Keras-layout mnist.npz)")
    return MNIST_PATH


@pytest.fixture(scope="session")
def unipen_path() -> Path:
    if not UNIPEN_PATH.is_file():
        pytest.skip(f"UNIPEN digits not found at {UNIPEN_PATH} (set DIGITBOARD_UNIPEN)")
    return UNIPEN_PATH


@pytest.fixture(scope="session")
def shipped_model() -> Path:
    if not DEFAULT_MODEL.is_file():
        pytest.skip(f"no shipped model at {DEFAULT_MODEL}")
    return DEFAULT_MODEL


WINDOW_SIZE = (640, 480)


@pytest.fixture
def window():
    """A real (headless) pygame window of WINDOW_SIZE, resizable, with an empty event queue."""
    import pygame

    pygame.init()
    pygame.display.set_mode(WINDOW_SIZE, pygame.RESIZABLE)
    pygame.event.clear()
    yield
    pygame.quit()


@pytest.fixture
def ctrl_c_as_from_a_terminal():
    """Ctrl+C (SIGINT) raises KeyboardInterrupt here, and the processes the test starts hear it,
    however pytest was started: a shell starts a background job (`pytest &`, a script) with SIGINT
    ignored, which children inherit; a handler, unlike an ignored signal, is not inherited."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def stopped_by_sigterm(process) -> tuple[int, float]:
    """Send SIGTERM to a running process; its exit status and the seconds it took to stop."""
    import signal
    import time

    try:
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        status = process.wait(timeout=10)
        return status, time.monotonic() - started
    finally:
        process.kill()


class FakeRecognizer:
    """A recogniser for tests that honours the whole protocol (digitboard.recognition.recognizer).
    By default it is a model like the shipped one: it gives the eleven classes of
    digitboard.recognition.classes and reads the pen's path beside the image (without the path
    it raises ValueError); with `classes=10` it is an older model of the image alone, which
    ignores the path. It labels a digit by its amount of ink (mod 10) with a fixed confidence, the
    rest shared by the other classes ("not a digit" among them); its embedding is the image
    pooled to 7x7, so equal drawings embed equally and different shapes differently."""

    ready = True  # loaded: a subclass may say otherwise

    def __init__(self, confidence: float = 0.9, classes: int = CLASSES) -> None:
        assert classes in (DIGIT_CLASSES, CLASSES)
        self.confidence = confidence
        self.classes = classes
        self.calls = 0

    def predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> np.ndarray:
        assert images.ndim == 4 and images.shape[1:] == (28, 28, 1) and images.dtype == np.float32
        if paths is None and self.classes == CLASSES:
            raise ValueError("this model reads the pen's path too: pass the drawings' paths")
        assert paths is None or (paths.shape == (len(images), POINTS, CHANNELS) and paths.dtype == np.float32)
        self.calls += 1
        # Label by ink amount so the fake depends on the image, not on call order.
        labels = (images.sum(axis=(1, 2, 3)) // 10).astype(int) % DIGIT_CLASSES
        out = np.full((len(images), self.classes), (1 - self.confidence) / (self.classes - 1), np.float32)
        out[np.arange(len(images)), labels] = self.confidence
        return out

    def embed_and_predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        probabilities = self.predict(images, paths)
        pooled = images[..., 0].reshape(len(images), 7, 4, 7, 4).mean(axis=(2, 4)).reshape(len(images), 49)
        return pooled.astype(np.float32), probabilities


def fake_label(image: np.ndarray) -> int:
    """The digit FakeRecognizer reads in a (28, 28) image, worked out from its rule, not by it."""
    return int(image.sum() // 10) % DIGIT_CLASSES


class FakeLoader(FakeRecognizer):
    """Stands for the window's BackgroundRecognizer (digitboard.recognition.recognizer): the same
    calls, loaded at once."""

    def __init__(self, model_path, start: bool = True) -> None:
        super().__init__()

    def start(self) -> None:
        pass

    def wait(self) -> None:
        pass


@pytest.fixture
def fake_recognizer() -> FakeRecognizer:
    return FakeRecognizer()


def stroke(points) -> Stroke:
    """A stroke action from (x, y) or (x, y, milliseconds) points."""
    points = [tuple(float(v) for v in point) for point in points]
    times = tuple(point[2] for point in points) if points and len(points[0]) == 3 else None
    return Stroke(tuple(point[:2] for point in points), times)
