"""Reading order: the digits in lines of writing, found from their vertical extents.

Digits are taken left to right; each joins the line whose last digit it overlaps most in height
(relative to the smaller of the two), so a tall 1 beside a small 7 stand on one line whatever
their sizes, and a line that drifts up or down across the board stays one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitboard.board import Digit

SAME_LINE_OVERLAP = 0.3  # share of the smaller digit's height two neighbours must share


def vertical_overlap(a: Digit, b: Digit) -> float:
    """How much of the smaller digit's height the two digits share, from 0 to 1."""
    shared = min(a.high[1], b.high[1]) - max(a.low[1], b.low[1])
    smaller = min(a.high[1] - a.low[1], b.high[1] - b.low[1])
    if smaller <= 0:  # a flat stroke: on the line if it lies within the other's extent
        return 1.0 if shared >= 0 else 0.0
    return max(0.0, float(shared / smaller))


def reading_lines(digits: list[Digit]) -> list[list[Digit]]:
    """The digits in lines of writing, top to bottom, each read left to right."""
    lines: list[list[Digit]] = []
    for digit in sorted(digits, key=lambda d: (float(d.low[0] + d.high[0]), float(d.low[1]))):
        best, best_overlap = None, SAME_LINE_OVERLAP
        for line in lines:
            overlap = vertical_overlap(line[-1], digit)
            if overlap >= best_overlap:
                best, best_overlap = line, overlap
        if best is None:
            lines.append([digit])
        else:
            best.append(digit)
    return sorted(lines, key=lambda line: sorted(float(d.low[1] + d.high[1]) for d in line)[len(line) // 2])
