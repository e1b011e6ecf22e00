"""The learning rule in numbers: how close a digit's embedding lies to each personal example, and
how that closeness moves the model's probabilities (docs/learning.md, "The rule")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from digitboard.profile.examples import Example
from digitboard.recognition.classes import DIGIT_CLASSES


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, float32; an all-zero row (no unit fired) stays zero."""
    vectors = np.asarray(vectors, np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def one_hot(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    """(M, 10) float32: row i is 1 at labels[i]."""
    return np.eye(DIGIT_CLASSES, dtype=np.float32)[np.asarray(labels, np.int64)]


BLOCK_ROWS = 1024  # examples compared at once: OpenBLAS runs a product this small on one thread


def closeness(embeddings: np.ndarray, example_embeddings: np.ndarray, floor: float) -> np.ndarray:
    """(N, M) float32: (s - floor) / (1 - floor) for cosine similarity s above the floor, else 0.
    `example_embeddings` are (M, D) of unit length.

    The product is taken in blocks of BLOCK_ROWS examples: a larger one makes OpenBLAS start its
    threads, which costs 10 to 20 times the work itself at 5,000 examples (2.8 ms against 0.14 ms
    of CPU a digit, measured on a busy two-core machine) and competes with the board's own thread."""
    rows = unit_rows(embeddings)
    similarity = np.empty((len(rows), len(example_embeddings)), np.float32)
    for start in range(0, len(example_embeddings), BLOCK_ROWS):
        np.matmul(rows, example_embeddings[start:start + BLOCK_ROWS].T, out=similarity[:, start:start + BLOCK_ROWS])
    similarity -= np.float32(floor)
    np.maximum(similarity, 0.0, out=similarity)
    return similarity / np.float32(1.0 - floor)


def personal_evidence(
    embeddings: np.ndarray, example_embeddings: np.ndarray, example_one_hot: np.ndarray, floor: float
) -> np.ndarray:
    """For each digit and label, the summed closeness of that label's examples: (N, 10) float32.

    `example_embeddings` are (M, D) of unit length, `example_one_hot` their labels (M, 10). An
    example at cosine similarity s adds (s - floor) / (1 - floor) when s > floor, else 0, so one
    identical example adds 1 and examples at or below the floor add nothing.
    """
    return closeness(embeddings, example_embeddings, floor) @ example_one_hot


def adjust(probabilities: np.ndarray, evidence: np.ndarray, strength: float) -> np.ndarray:
    """Raise each label's log-probability by `strength` times its evidence; rows sum to 1.

    Rows without evidence come back exactly as given. A model's 11th column ("not a digit")
    gets no evidence of its own but is renormalised with the rest.
    """
    probabilities = np.asarray(probabilities)
    adjusted = probabilities.copy()
    moved = evidence.max(axis=1) > 0
    if not moved.any():
        return adjusted
    rows = np.maximum(probabilities[moved].astype(np.float64), 1e-12)  # a zero must stay movable
    boost = np.zeros_like(rows)
    boost[:, :DIGIT_CLASSES] = strength * evidence[moved]
    boost -= boost.max(axis=1, keepdims=True)  # exp never overflows
    rows *= np.exp(boost)
    adjusted[moved] = (rows / rows.sum(axis=1, keepdims=True)).astype(adjusted.dtype)
    return adjusted


class ExampleRows:
    """The examples' embeddings (M, D) and one-hot labels (M, 10) as matrices, kept row by row:
    a long session adds an example, and forgets the oldest, at nearly every digit."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self.examples: list[Example] = []  # the example of each row
        self._rows: dict[int, int] = {}  # id(example) -> its row
        self._embeddings = np.zeros((0, 0), np.float32)
        self._labels = np.zeros((0, DIGIT_CLASSES), np.float32)
        for example in examples:
            self.add(example)

    def add(self, example: Example) -> None:
        assert example.embedding is not None, "an example is embedded before it becomes a row"
        count, width = len(self.examples), len(example.embedding)
        if count == 0 and self._embeddings.shape[1] != width:  # the first example sets the width
            self._embeddings = np.zeros((64, width), np.float32)
            self._labels = np.zeros((64, DIGIT_CLASSES), np.float32)
        elif count == len(self._embeddings):  # full: twice the room
            self._embeddings = np.concatenate([self._embeddings, np.zeros_like(self._embeddings)])
            self._labels = np.concatenate([self._labels, np.zeros_like(self._labels)])
        self._embeddings[count] = example.embedding
        self._labels[count] = 0.0
        self._labels[count, example.label] = 1.0
        self._rows[id(example)] = count
        self.examples.append(example)

    def remove(self, example: Example) -> None:
        """Drop the example's row: the last row moves into its place (the order of rows is no matter)."""
        row = self._rows.pop(id(example), None)
        if row is None:
            return
        last = len(self.examples) - 1
        if row != last:
            moved = self.examples[last]
            self._embeddings[row], self._labels[row] = self._embeddings[last], self._labels[last]
            self.examples[row] = moved
            self._rows[id(moved)] = row
        self.examples.pop()

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        count = len(self.examples)
        return self._embeddings[:count], self._labels[:count]


def counts_by_label(labels: Iterable[int]) -> list[int]:
    """How many examples of each digit, 0 to 9."""
    counts = [0] * DIGIT_CLASSES
    for label in labels:
        counts[label] += 1
    return counts
