"""Lines of writing, found from the digits' vertical extents.

Reading order: digits are taken left to right; each joins the line whose last digit it overlaps
most in height (relative to the smaller of the two), so a tall 1 beside a small 7 stand on one
line whatever their sizes, and a line that drifts up or down across the board stays one line.

Line bands, for grouping: the digits around a stroke gathered top to bottom into bands, a digit
joining the band above while the two share enough of their heights, each band reaching from the
median top to the median bottom of its digits. Found from many digits rather than from pairs,
they keep lines written close together apart (a fifth of a digit's height, or less) where a
descender or a tall 7 reaches into the line below.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from statistics import median
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


@dataclass(frozen=True)
class LineBand:
    """A line of writing as a vertical band of the board: (top, bottom), its digits' median
    height, and how many digits of a digit's size it holds."""

    top: float
    bottom: float
    height: float
    count: int

    def share_of(self, top: float, bottom: float) -> float:
        """How much of the smaller of the band and (top, bottom) the two share, from 0 to 1."""
        return vertical_overlap((self.top, self.bottom), (top, bottom))


BAND_SHARE = 0.5  # digits this share of the typical height or taller make the bands; smaller ones are parts
SAME_BAND = 0.5  # a digit shares this much of the smaller of it and a band to stand in it


@dataclass(frozen=True)
class LineBands:
    """The lines of writing some digits stand in, top to bottom, and which line each digit is in."""

    bands: list[LineBand]
    of_digit: dict[int, LineBand]  # by id(digit); a digit in no band is missing

    def holding(self, top: float, bottom: float) -> LineBand | None:
        """The band that an extent (top, bottom) stands in: the one sharing most of it, if enough."""
        best, best_share = None, SAME_BAND
        for band in self.bands:
            share = band.share_of(top, bottom)
            if share >= best_share and (best is None or share > best_share):
                best, best_share = band, share
        return best


def line_bands(digits: list[Digit]) -> LineBands:
    """The lines of writing the digits stand in. Found from the digits of a digit's size (at least
    BAND_SHARE of the median height: not specks, nor the first loop of an 8 still being written):
    taken by their middles, top first, a digit joins the band above while it shares SAME_BAND of
    the smaller of the two (a digit three times another's height on one line shares all of the
    smaller; the first digit of a line written a fifth of a height below shares none), else it
    starts a band of its own. Each band reaches from the median top to the median bottom of its
    digits; a smaller digit stands in the band it shares most of, if enough."""
    shown = [digit for digit in digits if not digit.speck]
    if not shown:
        return LineBands([], {})
    smallest = BAND_SHARE * median([digit.height for digit in shown])
    sized = sorted((float(d.low[1] + d.high[1]) / 2, float(d.low[1]), float(d.high[1]), i)
                   for i, d in enumerate(shown) if d.height >= smallest)
    bands: list[LineBand] = []
    members: list[list[int]] = []
    tops: list[float] = []
    bottoms: list[float] = []
    heights: list[float] = []
    for _, top, bottom, index in sized:
        if tops and vertical_overlap((_middle(tops), _middle(bottoms)), (top, bottom)) < SAME_BAND:
            bands.append(_band(tops, bottoms, heights))
            tops, bottoms, heights = [], [], []
        if not tops:
            members.append([])
        bisect.insort(tops, top)  # kept sorted: the band's medians at every digit, without sorting again
        bisect.insort(bottoms, bottom)
        heights.append(bottom - top)
        members[-1].append(index)
    bands.append(_band(tops, bottoms, heights))
    found = LineBands(bands, {id(shown[index]): band for band, held in zip(bands, members) for index in held})
    for digit in shown:
        if id(digit) not in found.of_digit:
            band = found.holding(float(digit.low[1]), float(digit.high[1]))
            if band is not None:
                found.of_digit[id(digit)] = band
    return found


def _band(tops: list[float], bottoms: list[float], heights: list[float]) -> LineBand:
    """The band of digits of these tops and bottoms (each list sorted) and heights."""
    return LineBand(_middle(tops), _middle(bottoms), median(heights), len(tops))


def _middle(ordered: list[float]) -> float:
    """statistics.median of a list already sorted."""
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2
