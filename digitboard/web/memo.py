"""Memory for the web board: each drawing's model input and reading, kept between requests.

The page posts the whole board after every stroke, and with learning a board is read one digit
at a time (digitboard.core.board: each digit is read before the next one starts, as the window reads
them). Remembering each drawing's rendering and path (keyed by its strokes) and its reading
(keyed by what the model reads of it) lets the work be done once per digit drawn instead of once
per digit per request. Neither depends on anything but its key, so the memory changes no answer.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from digitboard.profile.examples import EmbeddingRecognizer, drawing_key
from digitboard.recognition.preprocess import digit_image
from digitboard.recognition.trajectory import trajectory

DRAWINGS_KEPT = 8192  # about 10 MB: the embedding and probabilities of each, and a 16-byte key


class Recent:
    """A thread-safe mapping that forgets its least recently used entries beyond `capacity`."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[bytes, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: bytes, value: tuple[np.ndarray, np.ndarray]) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)


class MemoRecognizer:
    """`base`'s readings, each drawing's from memory after its first; the least recently read
    are forgotten beyond `capacity`. Safe to share between a server's threads."""

    def __init__(self, base: EmbeddingRecognizer, capacity: int = DRAWINGS_KEPT) -> None:
        self.base = base
        self._readings = Recent(capacity)
        self.model_rows = 0  # drawings the model itself has read
        self._counting = threading.Lock()

    @property
    def ready(self) -> bool:
        return self.base.ready

    def predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> np.ndarray:
        return self.embed_and_predict(images, paths)[1]

    def embed_and_predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(N, 28, 28, 1) float32 and paths (N, 64, 5) -> ((N, D) embeddings, (N, C) probabilities)."""
        images = np.asarray(images, np.float32)
        if len(images) == 0:
            return self.base.embed_and_predict(images, paths)
        keys = [drawing_key(images[row], None if paths is None else paths[row]) for row in range(len(images))]
        found = [self._readings.get(key) for key in keys]
        missing = [row for row, reading in enumerate(found) if reading is None]
        if missing:
            embeddings, probabilities = self.base.embed_and_predict(
                images[missing], None if paths is None else np.asarray(paths, np.float32)[missing])
            with self._counting:
                self.model_rows += len(missing)
            for row, embedding, row_probabilities in zip(missing, embeddings, probabilities):
                found[row] = (np.asarray(embedding, np.float32), np.asarray(row_probabilities))
                self._readings.put(keys[row], found[row])
        return np.stack([reading[0] for reading in found]), np.stack([reading[1] for reading in found])


class DrawingMemo:
    """Strokes -> the model's inputs (digitboard.recognition.preprocess.digit_image, digitboard.recognition.trajectory),
    each drawing's computed once; the least recently used are forgotten beyond `capacity`."""

    def __init__(self, capacity: int = DRAWINGS_KEPT) -> None:
        self._inputs = Recent(capacity)

    def model_input(self, strokes: list[np.ndarray], stroke_width: float) -> tuple[np.ndarray, np.ndarray]:
        """The drawing's (28, 28) float32 image and (64, 5) float32 path; read-only arrays."""
        digest = hashlib.blake2b(np.float64(stroke_width).tobytes(), digest_size=16)
        for stroke in strokes:
            digest.update(np.int64(len(stroke)).tobytes())
            digest.update(np.ascontiguousarray(stroke, np.float64).tobytes())
        key = digest.digest()
        found = self._inputs.get(key)
        if found is None:
            found = digit_image(strokes, stroke_width), trajectory(strokes)
            for array in found:
                array.flags.writeable = False  # shared between boards
            self._inputs.put(key, found)
        return found
