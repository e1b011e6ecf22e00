"""What stands on the board: a stroke's ink, a digit (strokes read as one), and its prediction.

Plain data with the rules read from it (is a digit unsure, what its label says), shared by the
board, its grouping and reading order, and every shell that shows a digit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from digitboard.core.actions import Stroke
from digitboard.recognition.classes import DIGIT_CLASSES, confident_digits, shown_no_digit


class Mark(Enum):
    """How a digit is shown: the one rule every shell follows (box and label colour, the "?")."""

    READ = "read"  # read with confidence: red
    UNSURE = "unsure"  # a guess, a speck, or waiting for the model: orange
    CORRECTED = "corrected"  # the user's label: green

    @property
    def color(self) -> tuple[int, int, int]:
        """The mark's colour, as RGB."""
        return MARK_COLORS[self]


MARK_COLORS = {Mark.READ: (230, 40, 40), Mark.UNSURE: (250, 170, 40), Mark.CORRECTED: (80, 200, 120)}


@dataclass(frozen=True)
class Prediction:
    label: int
    confidence: float
    probabilities: tuple[float, ...] = ()  # of the digits 0 to 9
    not_digit: float = 0.0  # the model's probability that the ink is no digit at all
    own: tuple[int, float] | None = None  # the model's own label and confidence, before personal examples
    reasons: tuple[str, ...] = ()  # the personal examples that changed the label from the model's own

    @classmethod
    def from_probabilities(cls, row: np.ndarray, own: np.ndarray | None = None, reasons: tuple[str, ...] = ()) -> Prediction:
        digits = np.asarray(row[:DIGIT_CLASSES], np.float64)
        label = int(np.argmax(digits))
        not_digit = float(row[DIGIT_CLASSES]) if len(row) > DIGIT_CLASSES else 0.0
        own_digits = digits if own is None else np.asarray(own[:DIGIT_CLASSES], np.float64)
        own_label = int(np.argmax(own_digits))
        return cls(label, float(digits[label]), tuple(float(p) for p in digits), not_digit,
                   (own_label, float(own_digits[own_label])), tuple(reasons) if own_label != label else ())

    @property
    def yours(self) -> bool:
        """Read otherwise than the model alone reads it, because of the user's examples."""
        return self.own is not None and self.own[0] != self.label

    @property
    def confident(self) -> bool:
        """Read as this digit with confidence: sure enough (classes.UNSURE_BELOW), and no likelier
        to be no digit at all; the one rule, digitboard.recognition.classes.confident_digits."""
        digits = self.probabilities or (self.confidence, *(0.0,) * (DIGIT_CLASSES - 1))  # given the best alone
        return bool(confident_digits(np.array([[*digits, self.not_digit]]))[0])

    @property
    def unsure(self) -> bool:
        return not self.confident

    @property
    def no_digit(self) -> bool:
        """The ink is "not a digit" by the model (a letter, a scribble) with no digit worth
        naming: shown as such, never as a digit at a few percent. A digit the model gives a
        share worth showing (a plain 1 it half takes for a stroke) keeps its guess, marked unsure."""
        return bool(shown_no_digit(np.array([[self.confidence, *(0.0,) * (DIGIT_CLASSES - 1), self.not_digit]]))[0])

    @property
    def alternatives(self) -> list[tuple[int, float]]:
        """The three likeliest digits, likeliest first."""
        order = sorted(range(len(self.probabilities)), key=lambda label: -self.probabilities[label])
        return [(label, self.probabilities[label]) for label in order[:3]]

    @property
    def text(self) -> str:
        return f"{self.label}{'?' if self.unsure else ''} {self.confidence:.0%}"


@dataclass(eq=False)  # a stroke is itself, not its contents (which hold numpy arrays)
class Ink:
    """A stroke on the board. `id` is its number among the session's strokes, counting from 0,
    including strokes later undone or cleared: the number replay prints."""

    id: int
    points: np.ndarray  # (n, 2) float64, board pixels
    times: np.ndarray | None  # (n,) float64 milliseconds since the session started, or None
    low: np.ndarray  # (2,) smallest x and y of the points
    high: np.ndarray  # (2,) largest x and y
    speck: bool = False  # too small beside the writing to be, or change, a digit
    digit: Digit | None = field(default=None, repr=False)  # the digit it went to, for good: set when added


@dataclass(eq=False)  # a digit is itself, not its contents
class Digit:
    """Strokes that form one digit, in drawing order."""

    strokes: list[Ink]
    prediction: Prediction | None = None
    corrected: int | None = None  # the label the user gave it, if any
    accepted: object | None = None  # the learner's handle while it is an example let stand
    image: np.ndarray | None = None  # the model's last input, (28, 28) float32 in [0, 1]
    path: np.ndarray | None = None  # and the pen's path it read, (64, 5) float32 (digitboard.recognition.trajectory)
    low: np.ndarray = field(default_factory=lambda: np.zeros(2))  # exact (x, y) bounds of the points
    high: np.ndarray = field(default_factory=lambda: np.zeros(2))

    @property
    def stroke_ids(self) -> list[int]:
        return [ink.id for ink in self.strokes]

    @property
    def label(self) -> int | None:
        """The user's label if they corrected it, else the model's (None until classified)."""
        if self.corrected is not None:
            return self.corrected
        return self.prediction.label if self.prediction is not None else None

    @property
    def box(self) -> tuple[int, int, int, int]:
        """x, y, w, h of the ink in whole board pixels (the pen's width not included)."""
        x, y = np.floor(self.low).astype(int)
        w, h = np.ceil(self.high).astype(int) - (x, y) + 1
        return int(x), int(y), int(w), int(h)

    @property
    def height(self) -> float:
        return float(self.high[1] - self.low[1])

    @property
    def speck(self) -> bool:
        """A mark too small to be a digit: shown as unsure and left out of the reading."""
        return all(ink.speck for ink in self.strokes)

    @property
    def yours(self) -> bool:
        """Shown with a label the user's personal examples gave it, not the model alone."""
        return self.corrected is None and self.prediction is not None and self.prediction.yours

    @property
    def unsure(self) -> bool:
        """Shown as a guess: a speck, a digit the model is unsure of, or one it has not read yet
        (never a corrected one)."""
        return self.mark is Mark.UNSURE

    @property
    def mark(self) -> Mark:
        if self.corrected is not None:
            return Mark.CORRECTED
        if self.speck or self.prediction is None or self.prediction.unsure:
            return Mark.UNSURE
        return Mark.READ

    @property
    def label_texts(self) -> tuple[str, ...]:
        """The label's forms, longest first, for a shell to show the longest that fits: "7 98%",
        "7"; an unsure "4? 58% or 1, 7" (the next likeliest digits), "4? 58%", "4?"; "3 corrected",
        "3"; "7 · yours 98%", "7 · yours", "7" for a label the user's examples gave; "speck,
        not read", "?"; "not a digit", "?" for ink likelier no digit at all (its digits are in
        its panel); "…" while the digit waits for the model."""
        if self.corrected is not None:
            return f"{self.corrected} corrected", str(self.corrected)
        if self.speck:
            return "speck, not read", "?"
        prediction = self.prediction
        if prediction is None:
            return ("…",)
        if prediction.no_digit:
            return "not a digit", "?"
        short = prediction.text.split()[0]
        if self.yours:  # the user's examples, not the model alone, gave this label
            return f"{short} · yours {prediction.confidence:.0%}", f"{short} · yours", short
        if not prediction.unsure:
            return prediction.text, short
        others = ", ".join(str(label) for label, _ in prediction.alternatives[1:])
        return f"{prediction.text} or {others}", prediction.text, short

    @property
    def text(self) -> str:
        """The label as shown where there is room for one form: "7 98%", "4? 58%", "3 corrected",
        "not a digit"."""
        forms = self.label_texts
        return forms[1] if len(forms) == 3 else forms[0]

    @property
    def reading(self) -> str:
        """The digit in the board's reading: its label, "?" for ink likelier no digit at all, "_"
        while it waits for the model."""
        if self.label is None:
            return "_"
        if self.corrected is None and self.prediction is not None and self.prediction.no_digit:
            return "?"
        return str(self.label)


@dataclass
class Pen:
    """The stroke being drawn: points and when each was drawn."""

    points: list[tuple[float, float]]
    times: list[float] | None

    def stroke(self) -> Stroke:
        return Stroke(tuple(self.points), None if self.times is None else tuple(self.times))
