"""When a digit the user let stand may teach the board: what the board tells its learner, and
the rules that keep a letter, a scribble or a doubtful reading from becoming an example."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np

from digitboard.core.digits import Digit, Prediction
from digitboard.core.reading import reading_lines

# A digit let stand becomes an example only when its reading was safe to learn from: read this
# surely, and this unlikely to be no digit at all (a letter read "1 51%" must never teach the
# board a 1). Set before any measurement, not tuned: docs/learning.md, "Digits let stand".
LEARN_LET_STAND_FROM = 0.9
LEARN_NOT_A_DIGIT_BELOW = 0.05


def safe_to_learn(prediction: Prediction) -> bool:
    """Whether a digit let stand with this reading may become an example."""
    return (prediction.confident and prediction.confidence >= LEARN_LET_STAND_FROM
            and prediction.not_digit < LEARN_NOT_A_DIGIT_BELOW)


def on_doubted_lines(board: list[Digit], digits: Iterable[Digit]) -> set[int]:
    """The ids of those of `digits` that stand on a line of the board's writing still showing a
    doubt: a reading shown unsure or as no digit, left so. A line the user moves on from with a
    "?" on it was not accepted as a line of digits (letters among them read as digits, a word,
    a formula), so nothing on it teaches the board; a line read wholly as digits was."""
    wanted = {id(digit) for digit in digits}
    doubted: set[int] = set()
    for line in reading_lines(board):
        if any(digit.unsure and not digit.speck for digit in line):
            doubted.update(id(digit) for digit in line if id(digit) in wanted)
    return doubted


class Learner(Protocol):
    """Learns the user's handwriting (digitboard.profile.learner): the board tells it of each digit the
    user corrects, and of each they let stand, read with confidence, when they go on to write
    another (`accept`)."""

    def learn(self, image: np.ndarray, strokes: list[np.ndarray], label: int, path: np.ndarray, **reading) -> object:
        """Take a corrected digit (its model input, strokes and pen path) as an example; returns a
        handle to forget it by. For a digit whose reading personal examples gave, `reading` holds
        `reasons` (their ids) and `own_label` (the model's own)."""
        ...

    def accept(self, image: np.ndarray, strokes: list[np.ndarray], label: int, path: np.ndarray,
               **reading) -> object | None:
        """Take a digit let stand with the board's reading as an example; a handle, or None if not
        taken. `reading` holds `reasons` for a reading personal examples gave."""
        ...

    def forget(self, handle: object) -> object:
        """Forget the example behind `handle`."""
        ...

    def predict_explained(self, images: np.ndarray, paths: np.ndarray | None = None):
        """Read as the recogniser does, with the examples: `.probabilities` and `.own` (N, C), and
        `.reasons`, per digit the ids of the examples that changed its label from the model's own."""
        ...

    taken_back: list  # the examples the last correction made it forget: they misread its digit
    # Whether `accept` may keep anything: a learner of corrections only never does, so the board
    # need not read the digits the user goes on from as they go (docs/web.md, "The costliest requests").
    keeps_accepted: bool

    def forget_ids(self, ids: tuple[str, ...]) -> list:
        """Forget the examples of these ids and those tied to them; returns what went."""
        ...

    def restore(self, examples: list) -> None:
        """Take back examples forgotten before (an undo)."""
        ...
