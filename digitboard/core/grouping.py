"""Which digit a new stroke belongs to, from how people write.

- A stroke that overlaps or touches a digit joins it (the crossbar of a 7, a 4's second stroke),
  unless the two are of a size and stacked one above the other: then they are on two lines of
  writing, and a stroke never joins a digit on another line.
- People finish a digit before they start the next, so the digit of the previous stroke may also
  take a stroke that stands a little apart (a 5's bar floating above its body, a 4's stem beside
  its "L"). Whether it does is the classifier's judgement: the joined ink must read better as one
  digit than the two read apart (a lone bar or dot reads badly as a digit; a 5 with its bar reads
  well). Without a ready recogniser only touching strokes join. Where strokes carry times, a long
  pause ends this privilege of the previous digit; without times, order alone decides.

Digits are found through a grid of their boxes, so the cost of a stroke does not grow with the
number of digits on the board.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

import numpy as np

from digitboard.core.digits import Digit, Ink
from digitboard.recognition.classes import DIGIT_CLASSES
from digitboard.recognition.preprocess import digit_image
from digitboard.recognition.recognizer import Recognizer
from digitboard.recognition.trajectory import trajectory

# Touching: the gap between the boxes, as a share of the taller one's height. Chosen on the
# tuning institutions' multi-stroke digits (benchmarks/grouping.py): 99.5% of them come out whole.
TOUCH_GAP_X = 0.15
TOUCH_GAP_Y = 0.15
# The previous stroke's digit takes a stroke this far below or above it without asking.
PREVIOUS_GAP_Y = 0.4
# How far apart a stroke may stand from the previous stroke's digit and still be judged.
RECENT_GAP_X = 0.22
RECENT_GAP_Y = 0.8
# The joined ink must read this much better than the product of the two parts' confidences,
# plus this much more for each height of gap between them.
JOIN_MARGIN = 0.05
JOIN_MARGIN_PER_GAP = 0.5
RECENT_PAUSE_MS = 2000.0  # a longer pause before a stroke: a new thought, no longer "right after"
SPECK_SHARE = 0.12  # a stroke smaller than this share of the writing's height is a speck
SPECK_PIXELS = 4.0  # and a stroke smaller than this many pixels always is
SAME_SIZE = 0.5  # two inks whose heights are within this ratio are both of a digit's size
LINE_GAP = 0.2  # a vertical gap, as a share of the taller one's height, between lines of writing

CELL = 64.0  # board pixels: a grid cell of the digit index
MAX_CELLS = 4096  # a box covering more cells than this is looked up by scanning every digit


def _reach(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """How far beyond its box a stroke or digit of this size can touch another."""
    height = float(high[1] - low[1])
    return np.array([TOUCH_GAP_X * height, TOUCH_GAP_Y * height])


class DigitIndex:
    """The digits by grid cells of their boxes grown by their own reach.

    A stroke and a digit can touch only if the stroke's grown box meets the digit's box or the
    stroke's box meets the digit's grown box; registering the digit by its grown box and looking
    up the stroke's grown box finds both cases.
    """

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list[Digit]] = defaultdict(list)
        self._cells_by_digit: dict[int, list[tuple[int, int]] | None] = {}  # by id(digit)
        self._digits: dict[int, Digit] = {}
        self._oversized: dict[int, Digit] = {}  # digits too large for the grid

    @staticmethod
    def _cells_of(low: np.ndarray, high: np.ndarray) -> list[tuple[int, int]] | None:
        (x0, y0), (x1, y1) = np.floor(low / CELL).astype(int), np.floor(high / CELL).astype(int)
        if (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_CELLS:
            return None
        return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]

    def add(self, digit: Digit) -> None:
        reach = _reach(digit.low, digit.high)
        cells = self._cells_of(digit.low - reach, digit.high + reach)
        self._cells_by_digit[id(digit)] = cells
        self._digits[id(digit)] = digit
        if cells is None:
            self._oversized[id(digit)] = digit
        for cell in cells or ():
            self._cells[cell].append(digit)

    def remove(self, digit: Digit) -> None:
        cells = self._cells_by_digit.pop(id(digit))
        del self._digits[id(digit)]
        self._oversized.pop(id(digit), None)
        for cell in cells or ():
            members = self._cells[cell]
            members.remove(digit)
            if not members:
                del self._cells[cell]

    def near(self, low: np.ndarray, high: np.ndarray) -> list[Digit]:
        """Every digit that may touch a stroke with these bounds (and some that may not)."""
        reach = _reach(low, high)
        cells = self._cells_of(low - reach, high + reach)
        if cells is None or len(cells) > len(self._digits):
            return list(self._digits.values())
        found = {id(digit): digit for cell in cells for digit in self._cells.get(cell, ())}
        found.update(self._oversized)
        return list(found.values())


def _gap(low: np.ndarray, high: np.ndarray, other_low: np.ndarray, other_high: np.ndarray) -> np.ndarray:
    """The gap (x, y) between two boxes; 0 along an axis where they overlap."""
    return np.maximum(0.0, np.maximum(low, other_low) - np.minimum(high, other_high))


def on_other_lines(ink: Ink, digit: Digit) -> bool:
    """Both of a digit's size and stacked one above the other, a clear gap between them."""
    stroke_height, digit_height = float(ink.high[1] - ink.low[1]), digit.height
    taller = max(stroke_height, digit_height)
    same_size = min(stroke_height, digit_height) >= SAME_SIZE * taller
    return same_size and _gap(ink.low, ink.high, digit.low, digit.high)[1] > LINE_GAP * taller


class Board(Protocol):
    """What grouping reads of the board (digitboard.core.board.Board)."""

    strokes: list[Ink]
    index: DigitIndex
    recognizer: Recognizer | None
    stroke_width: float

    def render(self, digit: Digit) -> np.ndarray:
        """The digit's model input image, (28, 28) float32."""
        ...

    def trace(self, digit: Digit) -> np.ndarray:
        """The digit's pen path, (64, 5) float32."""
        ...


def _digit_of_previous_stroke(board: Board) -> Digit | None:
    """The digit holding the stroke drawn last still on the board."""
    return board.strokes[-1].digit if board.strokes else None


def place(board: Board, ink: Ink) -> tuple[bool, Digit | None]:
    """Where a new stroke goes: whether it is a speck, and the digit it joins (None: a new digit,
    or a speck of its own)."""
    previous = _digit_of_previous_stroke(board)
    if _is_speck(ink, previous):
        return True, None
    return False, _digit_for(board, ink, previous)


def _is_speck(ink: Ink, previous: Digit | None) -> bool:
    """Whether a stroke is a mark too small to be, or to change, a digit: tiny beside the
    writing just before it (`previous`, a slip of the mouse), or a click or a few pixels on its own."""
    size = float(np.max(ink.high - ink.low))
    reference = previous.height if previous is not None and not previous.speck else 0.0
    return size < max(SPECK_PIXELS, SPECK_SHARE * reference)


def _digit_for(board: Board, ink: Ink, previous: Digit | None) -> Digit | None:
    """The digit `ink` belongs to, or None for a new digit; `previous` holds the stroke before."""
    touching = _touching(board, ink)
    if touching is not None:
        return touching
    recent = _previous_digit(board, ink, previous)
    if recent is None:
        return None
    height = max(float(ink.high[1] - ink.low[1]), recent.height)
    gap = _gap(ink.low, ink.high, recent.low, recent.high)
    if gap[0] <= TOUCH_GAP_X * height and gap[1] <= PREVIOUS_GAP_Y * height:
        return recent
    return recent if _reads_better_joined(board, ink, recent) else None


def _touching(board: Board, ink: Ink) -> Digit | None:
    """The digit on the stroke's line that it overlaps or nearly touches most."""
    low, high = ink.low, ink.high
    best, best_overlap, best_order = None, -np.inf, -1
    for digit in board.index.near(low, high):
        height = max(high[1] - low[1], digit.height)  # the taller, not the union: lines stay apart
        gap = _gap(low, high, digit.low, digit.high)
        if gap[0] > TOUCH_GAP_X * height or gap[1] > TOUCH_GAP_Y * height or on_other_lines(ink, digit):
            continue
        overlap = float(np.prod(np.maximum(0.0, np.minimum(high, digit.high) - np.maximum(low, digit.low))))
        overlap -= float(gap.sum())  # among non-overlapping candidates, the nearest
        order = digit.strokes[0].id  # ties go to the later digit
        if overlap > best_overlap or (overlap == best_overlap and order > best_order):
            best, best_overlap, best_order = digit, overlap, order
    return best


def _previous_digit(board: Board, ink: Ink, digit: Digit | None) -> Digit | None:
    """The digit of the stroke drawn just before (`digit`), if `ink` came right after it and near it."""
    if not board.strokes:
        return None
    previous = board.strokes[-1]
    if previous.times is not None and ink.times is not None and ink.times[0] - previous.times[-1] > RECENT_PAUSE_MS:
        return None
    if digit is None:  # a digit right before another, one under the other: its second part (an 8)
        return None
    height = max(float(ink.high[1] - ink.low[1]), digit.height)
    gap = _gap(ink.low, ink.high, digit.low, digit.high)
    if gap[0] > RECENT_GAP_X * height or gap[1] > RECENT_GAP_Y * height:
        return None
    return digit


def _reads_better_joined(board: Board, ink: Ink, digit: Digit) -> bool:
    """Whether the classifier reads digit + stroke as one digit better than the two apart."""
    recognizer = board.recognizer
    if recognizer is None or not recognizer.ready:
        return False
    parts = [other.points for other in digit.strokes]
    images = np.stack([
        digit_image([*parts, ink.points], board.stroke_width),
        board.render(digit),  # cached since the digit last changed
        digit_image([ink.points], board.stroke_width),
    ])[..., None]  # (3, 28, 28, 1) float32: joined, the digit alone, the stroke alone
    paths = np.stack([trajectory([*parts, ink.points]), board.trace(digit), trajectory([ink.points])])
    confidence = np.asarray(recognizer.predict(images, paths), np.float64)[:, :DIGIT_CLASSES].max(axis=1)
    height = max(float(ink.high[1] - ink.low[1]), digit.height, 1.0)
    gap = float(np.linalg.norm(_gap(ink.low, ink.high, digit.low, digit.high))) / height
    return bool(confidence[0] > confidence[1] * confidence[2] + JOIN_MARGIN + JOIN_MARGIN_PER_GAP * gap)
