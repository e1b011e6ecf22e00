"""What a personal example is, how learning is configured, and what the learner reads with
and writes to (the model's embeddings, the journal): the words every part of learning shares."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from digitboard.recognition.classes import DIGIT_CLASSES
from digitboard.recognition.preprocess import pieces, thinned


class _IdSource:
    """Where new examples' ids come from: one generator a process, seeded from the system."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._random, self._pid = random.Random(), os.getpid()

    def new_id(self) -> str:
        """A version 7 UUID (RFC 9562) in hex: 48 bits of the time in milliseconds, then 74
        random bits, drawn from a generator seeded once a process (a forked server worker
        reseeds, never repeating its parent's ids). Two costs of uuid.uuid4 fall away: it asked
        the system for 16 bytes at every example, letting go of Python's lock each time (replay
        keeping 100,000 corrections spent 2.8 s waiting to take it back from the profile's
        writing thread); and its ids, random from the first character, were written all over the
        profile's index of ids, where time-ordered ones are added at its end (about 1 s of the
        same replay). Python 3.11's uuid has no uuid7. Examples made within a minute share the
        first eight characters: `profile --list` shows as many as tell them apart."""
        with self._lock:
            if os.getpid() != self._pid:
                self._random, self._pid = random.Random(), os.getpid()
            bits = self._random.getrandbits(74)
        milliseconds = time.time_ns() // 1_000_000 & (1 << 48) - 1
        value = (milliseconds << 80 | 0x7 << 76 | (bits >> 62) << 64  # the version, then 12 random bits
                 | 0b10 << 62 | bits & (1 << 62) - 1)  # the RFC's variant, then 62 random bits
        return f"{value:032x}"


new_example_id = _IdSource().new_id


@dataclass(frozen=True)
class LearningConfig:
    """How far personal examples reach and how hard they pull: chosen by leaving each
    cross-validation fold's writers out in turn (docs/learning.md, benchmarks/writer_adaptation.py)."""

    similarity_floor: float = 0.85  # cosine similarity at or below which an example says nothing
    strength: float = 16.0  # log-odds added to a label per fully similar example of it
    accepted_per_label: int = 50  # digits let stand kept as examples, the most recent of each label; 0: none
    corrected_per_label: int = 100  # corrections in use, the most recent of each label (the profile keeps all):
    # a digit is read in bounded time, and replay stays linear however long the session

    def __post_init__(self) -> None:
        if (not 0 <= self.similarity_floor < 1 or self.strength < 0 or self.accepted_per_label < 0
                or self.corrected_per_label < 1):
            raise ValueError(f"not a learning configuration: {self}")


@dataclass(eq=False)  # an example is itself: undo forgets this one, not an equal one
class Example:
    """A digit the user labelled, or let stand: enough to recompute everything with another model."""

    label: int
    strokes: list[np.ndarray]  # (n, 2) float64 board pixels each, in drawing order
    image: np.ndarray | None = None  # (28, 28) float32 in [0, 1]: the model input, rendered when first needed
    id: str = field(default_factory=new_example_id)
    created: float = field(default_factory=time.time)  # seconds since the epoch
    embedding: np.ndarray | None = None  # (D,) float32 of unit length, by the model named in `model`
    accepted: bool = False  # let stand with the board's reading, not corrected
    tied_to: tuple[str, ...] = ()  # let stand with a reading only these corrections gave: goes with them
    model: str = ""  # the fingerprint of the model the embedding came from ("": unknown)

    def __post_init__(self) -> None:
        if not 0 <= self.label < DIGIT_CLASSES:
            raise ValueError(f"a digit's label is 0 to 9, not {self.label}")


@dataclass(frozen=True)
class Explained:
    """A batch read with learning, and why: what the model alone said, and for each digit whose
    label the personal examples changed, those examples (ids, closest first)."""

    probabilities: np.ndarray  # (N, C) after learning
    own: np.ndarray  # (N, C) the model's own
    reasons: list[tuple[str, ...]]  # per digit; () when the model alone gives the same label


class EmbeddingRecognizer(Protocol):
    def embed_and_predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(N, 28, 28, 1) float32 and paths (N, 64, 5) -> ((N, D) float32 embeddings, (N, C) probabilities)."""
        ...

    def predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> np.ndarray: ...



class Journal(Protocol):
    """Where learned and forgotten examples are written down (digitboard.profile.store.Profile),
    and the embeddings made for stored examples kept."""

    def remember(self, example: Example) -> None: ...

    def forget(self, example: Example) -> None: ...


def example_strokes(strokes: Sequence[np.ndarray], most: int) -> list[np.ndarray]:
    """A copy of a drawing in about `most` points, the form an example is kept and sent in: each
    stroke keeps its ends and an even share of its points (digitboard.recognition.preprocess.thinned)."""
    drawn = [np.asarray(stroke, np.float64)[:, :2] for stroke in strokes]
    if not drawn:
        return []
    lengths = np.array([len(stroke) for stroke in drawn])
    points, lengths = thinned(np.concatenate(drawn), lengths, most)
    return [stroke.copy() for stroke in pieces(points, lengths)]  # kept apart from the board's


def fitted_strokes(strokes: Sequence[np.ndarray], most_strokes: int, most_points: int) -> list[np.ndarray]:
    """A drawing of at most `most_strokes` strokes and `most_points` points, ends included: the
    strokes drawn one after another joined where the pen was lifted the shortest way until few
    enough remain, then each resampled (`example_strokes`) with room left for its two ends. What
    changed renders alike, not the same: an example of it is rendered afresh."""
    drawn = [np.asarray(stroke, np.float64)[:, :2] for stroke in strokes]
    if len(drawn) <= most_strokes and sum(len(stroke) for stroke in drawn) <= most_points:
        return drawn
    if len(drawn) > most_strokes:
        lifts = [float(np.hypot(*(after[0] - before[-1]))) for before, after in zip(drawn, drawn[1:])]
        joined = set(np.argsort(lifts, kind="stable")[:len(drawn) - most_strokes].tolist())  # lifts bridged with ink
        runs: list[list[np.ndarray]] = [[drawn[0]]]
        for index, stroke in enumerate(drawn[1:]):
            if index in joined:
                runs[-1].append(stroke)
            else:
                runs.append([stroke])
        drawn = [np.concatenate(run) for run in runs]
    # Every stroke keeps its ends: two points a stroke are left for them beyond the share.
    return example_strokes(drawn, most_points - 2 * len(drawn))


def drawing_key(image: np.ndarray, path: np.ndarray | None) -> bytes:
    """What a model reads of a drawing (its image, and its path if the model reads one), hashed
    to 16 bytes: a key for readings kept between calls."""
    digest = hashlib.blake2b(np.ascontiguousarray(image, np.float32).tobytes(), digest_size=16)
    if path is not None:
        digest.update(np.ascontiguousarray(path, np.float32).tobytes())
    return digest.digest()

