"""The board's state: strokes, which strokes form which digit, and each digit's prediction.

Pure Python and numpy: no pygame here. The recogniser is handed in, so tests pass a fake one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from digitboard.preprocess import STROKE_WIDTH, digit_image
from digitboard.recognizer import Recognizer

# A stroke joins a digit when the gap between their boxes is at most this share of the taller one's
# height: 99.5% of the 1,649 multi-stroke UNIPEN digits by the tuning writers then come out as one
# digit, while the digits of a written number stand a quarter of a height or more apart.
JOIN_GAP_X = 0.15
JOIN_GAP_Y = 0.4
UNSURE_BELOW = 0.7  # confidence under which a digit is shown as a guess ("7?")


@dataclass(frozen=True)
class Prediction:
    label: int
    confidence: float
    probabilities: tuple[float, ...] = ()

    @property
    def unsure(self) -> bool:
        return self.confidence < UNSURE_BELOW

    @property
    def text(self) -> str:
        return f"{self.label}{'?' if self.unsure else ''} {self.confidence:.0%}"


@dataclass(eq=False)  # a digit is itself, not its contents (which hold numpy arrays)
class Digit:
    """Strokes that form one digit (indices into Board.strokes, in drawing order)."""

    strokes: list[int]
    prediction: Prediction | None = None
    image: np.ndarray | None = None  # the model's last input, (28, 28) float32 in [0, 1]
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # x, y, w, h of the ink, in board pixels
    low: np.ndarray = field(default_factory=lambda: np.zeros(2))  # exact (x, y) bounds of the points
    high: np.ndarray = field(default_factory=lambda: np.zeros(2))


def _bounds(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return points.min(axis=0), points.max(axis=0)


@dataclass
class Board:
    """Strokes grouped into digits, classified by `recognizer` when it is ready."""

    recognizer: Recognizer | None = None
    stroke_width: float = STROKE_WIDTH
    strokes: list[np.ndarray] = field(default_factory=list)  # each (n, 2) float64, board pixels
    digits: list[Digit] = field(default_factory=list)  # in order of their first stroke
    pen: list[tuple[float, float]] | None = None  # the stroke being drawn, if any

    # -- drawing with a pen: press, move, release -------------------------------------------
    def pen_down(self, x: float, y: float) -> None:
        self.pen = [(float(x), float(y))]

    def pen_move(self, x: float, y: float) -> None:
        if self.pen is not None and self.pen[-1] != (x, y):
            self.pen.append((float(x), float(y)))

    def pen_up(self, x: float | None = None, y: float | None = None) -> Digit | None:
        """End the stroke being drawn (a click without a drag makes a dot)."""
        if self.pen is None:
            return None
        if x is not None and y is not None:
            self.pen_move(x, y)
        points, self.pen = self.pen, None
        return self.add_stroke(points)

    # -- editing ----------------------------------------------------------------------------
    def add_stroke(self, points: Sequence[Sequence[float]]) -> Digit:
        """Add a finished stroke, join it to the digit it belongs to, and re-classify that digit."""
        stroke = np.asarray(points, np.float64).reshape(-1, 2)
        if len(stroke) == 0:
            raise ValueError("a stroke needs at least one point")
        if not np.all(np.isfinite(stroke)):
            raise ValueError("stroke points must be finite numbers")
        self.strokes.append(stroke)
        index = len(self.strokes) - 1
        digit = self._digit_for(stroke)
        if digit is None:
            digit = Digit([index])
            self.digits.append(digit)
        else:
            digit.strokes.append(index)
        self._changed(digit)
        return digit

    def undo(self) -> bool:
        """Remove the last stroke (and its digit, if it was the digit's only stroke)."""
        if self.pen is not None:
            self.pen = None
            return True
        if not self.strokes:
            return False
        index = len(self.strokes) - 1
        self.strokes.pop()
        digit = next(d for d in self.digits if index in d.strokes)
        digit.strokes.remove(index)
        if digit.strokes:
            self._changed(digit)
        else:
            self.digits.remove(digit)
        return True

    def clear(self) -> None:
        self.strokes.clear()
        self.digits.clear()
        self.pen = None

    # -- grouping ---------------------------------------------------------------------------
    def _digit_for(self, stroke: np.ndarray) -> Digit | None:
        """The digit that `stroke` overlaps or nearly touches most, or None for a new digit."""
        low, high = _bounds(stroke)
        best, best_overlap = None, -np.inf
        for digit in self.digits:
            d_low, d_high = digit.low, digit.high
            # The taller of the two, not their union: stacked lines must not widen the reach.
            height = max(high[1] - low[1], d_high[1] - d_low[1])
            gap = np.maximum(0.0, np.maximum(low, d_low) - np.minimum(high, d_high))
            if gap[0] > JOIN_GAP_X * height or gap[1] > JOIN_GAP_Y * height:
                continue
            overlap = float(np.prod(np.maximum(0.0, np.minimum(high, d_high) - np.maximum(low, d_low))))
            overlap += float(-gap.sum())  # among non-overlapping candidates, the nearest
            if overlap >= best_overlap:  # ties go to the later digit
                best, best_overlap = digit, overlap
        return best

    def _changed(self, digit: Digit) -> None:
        strokes = [self.strokes[i] for i in digit.strokes]
        digit.low, digit.high = _bounds(np.concatenate(strokes))
        x, y = np.floor(digit.low).astype(int)
        w, h = (np.ceil(digit.high).astype(int) - (x, y)) + 1
        digit.box = (int(x), int(y), int(w), int(h))
        digit.image = digit_image(strokes, self.stroke_width)
        digit.prediction = None
        self.classify_pending()

    # -- recognition ------------------------------------------------------------------------
    @property
    def pending(self) -> list[Digit]:
        return [digit for digit in self.digits if digit.prediction is None]

    def classify_pending(self) -> int:
        """Classify, in one batch, every digit without a prediction, if the recogniser is ready."""
        pending = self.pending
        if not pending or self.recognizer is None or not getattr(self.recognizer, "ready", True):
            return 0
        batch = np.stack([digit.image for digit in pending])[..., None]  # (N, 28, 28, 1) float32
        probabilities = np.asarray(self.recognizer.predict(batch), np.float64)
        for digit, row in zip(pending, probabilities):
            label = int(np.argmax(row))
            digit.prediction = Prediction(label, float(row[label]), tuple(float(p) for p in row))
        return len(pending)

    # -- reading ----------------------------------------------------------------------------
    def rows(self) -> list[list[Digit]]:
        """The digits in lines of writing, top to bottom, each read left to right.

        A digit whose vertical centre lies within a line's extent belongs to that line.
        """
        rows: list[tuple[float, float, list[Digit]]] = []  # (top, bottom, digits)
        for digit in sorted(self.digits, key=lambda d: d.box[1] + d.box[3] / 2):
            x, y, w, h = digit.box
            centre = y + h / 2
            if rows and rows[-1][0] <= centre <= rows[-1][1]:
                top, bottom, members = rows[-1]
                rows[-1] = (min(top, y), max(bottom, y + h), [*members, digit])
            else:
                rows.append((y, y + h, [digit]))
        return [sorted(members, key=lambda d: (d.box[0] + d.box[2] / 2, d.box[1])) for _, _, members in rows]

    def left_to_right(self) -> list[Digit]:
        """All digits in reading order: lines top to bottom, each left to right."""
        return [digit for row in self.rows() for digit in row]

    def reading(self) -> str:
        """The number on the board: labels left to right ('_' for a digit not classified yet),
        lines of writing separated by a space."""
        return " ".join(
            "".join(str(d.prediction.label) if d.prediction else "_" for d in row) for row in self.rows()
        )
