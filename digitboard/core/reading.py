"""Reading order: the digits in lines of writing, found from their vertical extents.

Digits are taken left to right; each joins the line whose last digit it overlaps most in height
(relative to the smaller of the two), so a tall 1 beside a small 7 stand on one line whatever
their sizes, and a line that drifts up or down across the board stays one line.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitboard.core.digits import Digit

SAME_LINE_OVERLAP = 0.3  # share of the smaller digit's height two neighbours must share
BAND = 64.0  # board pixels: lines are looked up by the horizontal bands their last digit reaches
MAX_BANDS = 4096
TALL = -(2**62)  # the band of digits too tall to register band by band


def vertical_overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """How much of the smaller of two vertical extents (top, bottom) the two share, from 0 to 1."""
    shared = min(a[1], b[1]) - max(a[0], b[0])
    smaller = min(a[1] - a[0], b[1] - b[0])
    if smaller <= 0:  # a flat stroke: on the line if it lies within the other's extent
        return 1.0 if shared >= 0 else 0.0
    return max(0.0, shared / smaller)


def reading_lines(digits: list[Digit]) -> list[list[Digit]]:
    """The digits in lines of writing, top to bottom, each read left to right."""
    lines: list[list[Digit]] = []
    ends: list[tuple[float, float]] = []  # the vertical extent of each line's last digit
    by_band: dict[int, set[int]] = defaultdict(set)  # lines whose last digit reaches into a band
    for digit in sorted(digits, key=lambda d: (float(d.low[0] + d.high[0]), float(d.low[1]))):
        extent = (float(digit.low[1]), float(digit.high[1]))
        bands = _bands(extent)
        searched = bands if bands.start != TALL else by_band.keys()  # a huge digit may meet any line
        candidates = set().union(by_band.get(TALL, ()), *(by_band.get(band, ()) for band in searched))
        best, best_overlap = None, SAME_LINE_OVERLAP
        for line in sorted(candidates):  # ties go to the line found first
            overlap = vertical_overlap(ends[line], extent)
            if overlap >= best_overlap and (best is None or overlap > best_overlap):
                best, best_overlap = line, overlap
        if best is None:
            best = len(lines)
            lines.append([])
            ends.append(extent)
        else:
            for band in _bands(ends[best]):
                by_band[band].discard(best)
        lines[best].append(digit)
        ends[best] = extent
        for band in bands:
            by_band[band].add(best)
    return sorted(lines, key=lambda line: sorted(float(d.low[1] + d.high[1]) for d in line)[len(line) // 2])


def _bands(extent: tuple[float, float]) -> range:
    """The horizontal bands of the board a vertical extent reaches into (band TALL for a huge one)."""
    top, bottom = int(extent[0] // BAND), int(extent[1] // BAND)
    return range(top, bottom + 1) if bottom - top < MAX_BANDS else range(TALL, TALL + 1)
