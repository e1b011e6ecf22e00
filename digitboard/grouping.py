"""Which digit a new stroke belongs to.

A stroke joins the digit whose box it overlaps or nearly touches, else it starts a digit. Digits
are found through a grid of their boxes, so the cost of a stroke does not grow with the number of
digits on the board.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from digitboard.board import Board, Digit, Ink

# A stroke joins a digit when the gap between their boxes is at most this share of the taller one's
# height: 99.5% of the 1,649 multi-stroke UNIPEN digits by the tuning writers then come out as one
# digit, while the digits of a written number stand a quarter of a height or more apart.
JOIN_GAP_X = 0.15
JOIN_GAP_Y = 0.4
CELL = 64.0  # board pixels: a grid cell of the digit index
MAX_CELLS = 4096  # a box covering more cells than this is looked up by scanning every digit


def _reach(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """How far beyond its box a stroke or digit of this size can join another."""
    height = float(high[1] - low[1])
    return np.array([JOIN_GAP_X * height, JOIN_GAP_Y * height])


class DigitIndex:
    """The digits by grid cells of their boxes grown by their own reach.

    A stroke and a digit can join only if the stroke's grown box meets the digit's box or the
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
        """Every digit that may join a stroke with these bounds (and some that may not)."""
        reach = _reach(low, high)
        cells = self._cells_of(low - reach, high + reach)
        if cells is None or len(cells) > len(self._digits):
            return list(self._digits.values())
        found = {id(digit): digit for cell in cells for digit in self._cells.get(cell, ())}
        found.update(self._oversized)
        return list(found.values())


def digit_for(board: Board, ink: Ink) -> Digit | None:
    """The digit that `ink` overlaps or nearly touches most, or None for a new digit."""
    low, high = ink.low, ink.high
    best, best_overlap, best_order = None, -np.inf, -1
    for digit in board.index.near(low, high):
        d_low, d_high = digit.low, digit.high
        # The taller of the two, not their union: stacked lines must not widen the reach.
        height = max(high[1] - low[1], d_high[1] - d_low[1])
        gap = np.maximum(0.0, np.maximum(low, d_low) - np.minimum(high, d_high))
        if gap[0] > JOIN_GAP_X * height or gap[1] > JOIN_GAP_Y * height:
            continue
        overlap = float(np.prod(np.maximum(0.0, np.minimum(high, d_high) - np.maximum(low, d_low))))
        overlap += float(-gap.sum())  # among non-overlapping candidates, the nearest
        number = digit.strokes[0].id  # digits in order of their first stroke
        if overlap > best_overlap or (overlap == best_overlap and number > best_order):  # ties: the later digit
            best, best_overlap, best_order = digit, overlap, number
    return best
