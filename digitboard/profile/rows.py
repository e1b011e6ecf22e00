"""A personal example as a row of the profile's table, and back: the bounds every row keeps, the
digest that names an example in a recording, and the identity of a set of examples."""

from __future__ import annotations

import hashlib
import itertools
import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from digitboard.profile.examples import Example, fitted_strokes
from digitboard.recognition.classes import DIGIT_CLASSES


@dataclass(frozen=True)
class Bounds:
    """The most one example, and one profile, may hold: reading never takes unbounded memory."""

    strokes: int = 200  # per example
    points: int = 20_000  # per example, over its strokes
    embedding: int = 4096  # numbers in a stored embedding
    tied_to: int = 64  # corrections a digit let stand may be tied to
    id_length: int = 64
    examples: int = 200_000  # in a profile
    old_line: int = 4 * 1024 * 1024  # bytes in one line of an old JSON-lines profile


BOUNDS = Bounds()


def strokes_within_bounds(strokes: Sequence[np.ndarray]) -> Sequence[np.ndarray]:
    """A drawing as an example may hold it: `strokes` themselves if they are within the bounds;
    else at most `BOUNDS.strokes` strokes of at most `BOUNDS.points` points (`fitted_strokes`)."""
    if ((len(strokes) <= BOUNDS.strokes and sum(len(stroke) for stroke in strokes) <= BOUNDS.points)
            or any(len(stroke) == 0 for stroke in strokes)):  # within, or no drawing: example_row says which
        return strokes
    return fitted_strokes(strokes, BOUNDS.strokes, BOUNDS.points)


# -- rows ----------------------------------------------------------------------------------------
def _digest(id: str, label: int, kind: str, points: bytes, ends: bytes, tied_to: str) -> str:
    parts = (id.encode(), bytes([label]), kind.encode(), points, ends, tied_to.encode())
    # Each part after its length, hashed in one call: as one update a part, at half the cost.
    return hashlib.blake2b(b"".join([len(part).to_bytes(8, "little") + part for part in parts]),
                           digest_size=16).hexdigest()


LATEST_CREATED = 32_503_680_000.0  # seconds since the epoch: the year 3000, later than any example is made


def created_in_bounds(created: object) -> bool:
    """Whether a time an example was made is one a clock can show (not NaN, Infinity or 1e300,
    which an imported file may hold and which once crashed every later `--list`)."""
    return (isinstance(created, (int, float)) and not isinstance(created, bool)
            and math.isfinite(created) and 0.0 <= created <= LATEST_CREATED)


def example_row(example: Example) -> tuple:
    """An example as the table holds it; ValueError if it is beyond the bounds."""
    if not created_in_bounds(example.created):
        raise ValueError("an example's time of making is out of bounds")
    strokes = [np.asarray(stroke, np.float32).reshape(-1, 2) for stroke in example.strokes]
    if not strokes or len(strokes) > BOUNDS.strokes or any(len(stroke) == 0 for stroke in strokes):
        raise ValueError(f"an example holds 1 to {BOUNDS.strokes} strokes of at least one point")
    points = np.concatenate(strokes) if len(strokes) > 1 else strokes[0]
    if len(points) > BOUNDS.points or not np.isfinite(points).all():
        raise ValueError(f"an example holds at most {BOUNDS.points} finite points")
    if not 0 < len(example.id) <= BOUNDS.id_length or len(example.tied_to) > BOUNDS.tied_to:
        raise ValueError("an example's id or ties are out of bounds")
    ends = struct.pack(f"={len(strokes)}i", *itertools.accumulate(len(stroke) for stroke in strokes))  # int32s
    kind = "let stand" if example.accepted else "corrected"
    tied_to = " ".join(example.tied_to)
    embedding = None if example.embedding is None else np.asarray(example.embedding, np.float32).tobytes()
    point_bytes = points.tobytes()
    return (example.id, int(example.label), kind, point_bytes, ends, float(example.created), example.model,
            embedding, tied_to, _digest(example.id, int(example.label), kind, point_bytes, ends, tied_to))


COLUMNS = "id, label, kind, points, stroke_ends, created, model, embedding, tied_to, digest"


def row_example(row: tuple) -> Example:
    """A table row as an example (its image rendered later, when needed); ValueError if damaged."""
    id, label, kind, points, ends, created, model, embedding, tied_to, _ = row
    if (not isinstance(id, str) or not 0 < len(id) <= BOUNDS.id_length or isinstance(label, bool)
            or not isinstance(label, int) or not 0 <= label < DIGIT_CLASSES or kind not in ("corrected", "let stand")
            or not isinstance(points, bytes) or not isinstance(ends, bytes) or len(points) % 8 or len(ends) % 4
            or not created_in_bounds(created)):
        raise ValueError("not an example")
    xy = np.frombuffer(points, np.float32).reshape(-1, 2).astype(np.float64)
    stops = np.frombuffer(ends, np.int32).tolist()
    starts = [0, *stops[:-1]]
    if (not 0 < len(stops) <= BOUNDS.strokes or len(xy) > BOUNDS.points or stops[-1] != len(xy)
            or any(stop <= start for start, stop in zip(starts, stops)) or not np.isfinite(xy).all()):
        raise ValueError("not an example")
    strokes = [xy[start:stop] for start, stop in zip(starts, stops)]
    vector = None
    if isinstance(embedding, bytes) and 0 < len(embedding) <= 4 * BOUNDS.embedding and len(embedding) % 4 == 0:
        vector = np.frombuffer(embedding, np.float32)  # read only: it is copied where it is used
    ties = tuple(str(tied_to).split())[:BOUNDS.tied_to]
    return Example(label, strokes, None, id, float(created), vector, kind == "let stand",
                   ties if kind == "let stand" else (), str(model) if vector is not None else "")


@dataclass(frozen=True)
class ProfileContents:
    examples: list[Example]  # in the order they were learned
    skipped: int  # damaged rows (or lines of an old profile) left out


@dataclass(frozen=True)
class Identity:
    """Which examples a board started from: their ids and one digest of them all."""

    ids: tuple[str, ...]
    digest: str

    def to_json(self) -> dict:
        return {"examples": len(self.ids), "ids": list(self.ids), "digest": self.digest}


def identity_of(digests: Iterable[tuple[str, str]]) -> Identity:
    """The identity of examples given as (id, digest) pairs, in any order."""
    pairs = sorted(digests)
    text = "".join(f"{id}:{row_digest}\n" for id, row_digest in pairs)  # hashed at once: as line by line
    return Identity(tuple(id for id, _ in pairs), hashlib.blake2b(text.encode(), digest_size=16).hexdigest())


def example_identity(examples: Iterable[Example]) -> Identity:
    """The identity of examples held in memory, as a profile holding them would give it."""
    return identity_of((row[0], row[-1]) for row in map(example_row, examples))

