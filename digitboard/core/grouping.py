"""Which digit a new stroke belongs to, from how people write.

- A stroke that overlaps or touches a digit joins it (the crossbar of a 7, a 4's second stroke),
  unless the two are of a size and stacked one above the other: then they are on two lines of
  writing, and a stroke never joins a digit on another line. Nor does a stroke standing to the
  right of a sure digit that the classifier reads as the start of the next one (a number written
  tight, its digits touching).
- A stroke that crosses or meets the ink of two or more digits (the bar of an H across its two
  stems) makes them one drawing, so that no part of a letter or symbol stands as a digit beside
  it. They stay together when the classifier reads them better together than apart, or reads them
  together as "not a digit"; without a ready recogniser, ink that meets is one drawing.
- People finish a digit before they start the next, so the digit of the previous stroke may also
  take a stroke that stands a little apart (a 5's bar floating above its body, a 4's stem beside
  its "L"). Whether it does is the classifier's judgement: the joined ink must read better as one
  digit than the two read apart (a lone bar or dot reads badly as a digit; a 5 with its bar reads
  well). Without a ready recogniser only touching strokes join. Where strokes carry times, a long
  pause ends this privilege of the previous digit; without times, order alone decides.
- That privilege never costs a digit its reading: a sure digit takes no stroke that leaves it in
  doubt (the first stroke of the next digit, written close), and a stroke that is a sure digit by
  itself stays one under ink of its size that is none (a digit written under a letter).
- A stroke that joined the digit before it, standing to the right of the rest, is taken back when
  the next stroke completes a digit with it (a 4's "L" written close after a 7, then its stem):
  the rest and the new pair read as two sure digits, all of them together less surely.

Digits are found through a grid of their boxes, so the cost of a stroke does not grow with the
number of digits on the board.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from digitboard.core.digits import Digit, Ink
from digitboard.core.reading import LineBand, line_bands
from digitboard.recognition.classes import DIGIT_CLASSES, NOT_A_DIGIT, confident_digits
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
# A stroke meets a digit's ink when it comes this close to it, as a share of the taller one's height.
MEET_GAP = 0.06
# A stroke to the right of a digit this share of its height or taller may start the next digit of
# a number written tight. Chosen on the tuning institutions' tight numbers (benchmarks/grouping.py).
NEXT_DIGIT_HEIGHT = 0.25
BESIDE_OVERLAP = 0.05  # and its box may reach this share of a height into the digit's (digits touching)
TOUCHED_DIGIT_SURE = 0.9  # if it does, the digit must read this surely by itself to be judged apart from it
STEM_WIDTH = 0.3  # a digit narrower than this share of its height is a bare stem (a 1, or a letter's first stroke)
MEET_SEGMENTS = 256  # at most this many segments of a stroke are compared (longer ones are thinned)
RECENT_PAUSE_MS = 2000.0  # a longer pause before a stroke: a new thought, no longer "right after"
SPECK_SHARE = 0.12  # a stroke smaller than this share of the writing's height is a speck
SPECK_PIXELS = 4.0  # and a stroke smaller than this many pixels always is
SAME_SIZE = 0.5  # two inks whose heights are within this ratio are both of a digit's size
LINE_GAP = 0.2  # a vertical gap, as a share of the taller one's height, between lines of writing
# A stroke of a digit's size in no band is on another line than a band's digits when its middle
# is this share of the band's height beyond it. Chosen on the tuning institutions' boards of
# close lines and multi-stroke digits (benchmarks/close_lines.py, benchmarks/grouping.py).
NEW_LINE_MARGIN = 0.25
LINES_AROUND = (6.0, 3.0)  # digit heights to either side, and above and below, that the lines are found from

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
    def _cells_of(low: np.ndarray, high: np.ndarray, most: int = MAX_CELLS) -> list[tuple[int, int]] | None:
        """The grid cells a box covers; None if more than `most`."""
        (x0, y0), (x1, y1) = np.floor(low / CELL).astype(int), np.floor(high / CELL).astype(int)
        if (x1 - x0 + 1) * (y1 - y0 + 1) > most:
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
        # More cells than digits: scanning the digits is quicker than listing the cells.
        cells = self._cells_of(low - reach, high + reach, min(MAX_CELLS, len(self._digits)))
        if cells is None:
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


class Lines:
    """Which line of writing a new stroke stands on, from the bands of the board's digits around
    it (digitboard.core.reading.line_bands), and so which digits are on other lines than it.

    A line of two digits or more is a band to go by. A stroke standing in a band and a digit
    standing in another are on two lines, however close (a descender of the line above, a tall
    7). A stroke of a digit's size in no band, its middle clearly beyond a band, is on a line of
    its own. Where neither is a band to go by (a digit being written, alone on its line; a 5's
    bar above its body), the stroke and the digit are judged as a pair (on_other_lines)."""

    def __init__(self, digits: list[Digit], ink: Ink) -> None:
        self.ink = ink
        self.lines = line_bands(digits)
        self.band: LineBand | None = self.lines.holding(float(ink.low[1]), float(ink.high[1]))
        heights = [band.height for band in self.lines.bands]
        self.typical = float(np.median(heights)) if heights else 0.0

    def _digit_sized(self, height: float) -> bool:
        return height >= SAME_SIZE * self.typical

    def apart(self, digit: Digit, as_a_pair: bool = True) -> bool:
        """Whether `digit` is on another line than the stroke: by the bands, or, `as_a_pair`,
        by the two alone (on_other_lines)."""
        if as_a_pair and on_other_lines(self.ink, digit):
            return True
        theirs = self.lines.of_digit.get(id(digit))
        if theirs is self.band:
            return False
        if self.band is not None and theirs is not None:
            return self.band.count > 1 or theirs.count > 1
        if self.band is not None:  # the digit is in no band: a line of its own if it is of a digit's size
            return (self.band.count > 1 and self._digit_sized(digit.height)
                    and _beyond(self.band, float(digit.low[1]), float(digit.high[1])))
        return (self._digit_sized(float(self.ink.high[1] - self.ink.low[1])) and theirs is not None and theirs.count > 1
                and _beyond(theirs, float(self.ink.low[1]), float(self.ink.high[1])))


def lines_around(board: BoardToGroup, ink: Ink, previous: Digit | None) -> list[Digit]:
    """The digits whose lines a stroke is judged against: those within LINES_AROUND (in digit
    heights: the stroke's, or the digit before it's if taller) to its sides and above and below,
    looked up in the index, so that the cost of a stroke does not grow with the board."""
    height = max(float(ink.high[1] - ink.low[1]), previous.height if previous is not None else 0.0, 1.0)
    span = np.array(LINES_AROUND) * height
    return board.index.near(ink.low - span, ink.high + span)


def _beyond(band: LineBand, top: float, bottom: float) -> bool:
    """Whether an extent (top, bottom) lies wholly below or above `band`, its middle clearly so
    (the first stroke of the line below; not the second loop of an 8, nor a 5's body below its
    first stroke, which reach into the band)."""
    margin = NEW_LINE_MARGIN * band.height
    middle = (top + bottom) / 2
    return (top >= band.bottom and middle > band.bottom + margin) or (bottom <= band.top and middle < band.top - margin)


class BoardToGroup(Protocol):
    """What grouping reads of the board: its strokes, digits and recogniser (digitboard.core.board.Board
    has them; named apart so that one name means one class)."""

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


def _digit_of_previous_stroke(board: BoardToGroup) -> Digit | None:
    """The digit holding the stroke drawn last still on the board."""
    return board.strokes[-1].digit if board.strokes else None


@dataclass(frozen=True)
class Placement:
    """Where a new stroke goes."""

    speck: bool  # a mark too small to be, or to change, a digit (a digit of its own)
    digit: Digit | None  # the digit it joins; None: a new digit
    absorbed: tuple[Digit, ...] = ()  # other digits whose ink it meets, that become part of `digit`
    taken: Ink | None = None  # with digit None: the stroke before, taken from its digit into the new one


def place(board: BoardToGroup, ink: Ink) -> Placement:
    """Where a new stroke goes: whether it is a speck, the digit it joins (None: a new digit, or a
    speck of its own) and the digits it makes one drawing with that digit."""
    previous = _digit_of_previous_stroke(board)
    if _is_speck(ink, previous):
        return Placement(True, None)
    lines = Lines(lines_around(board, ink, previous), ink)
    met = _met(board, ink, lines)
    if len(met) > 1:
        touching = _touching(board, ink, lines)
        if _one_drawing(board, ink, met, touching):
            first, *others = sorted(met, key=lambda digit: digit.strokes[0].id)  # the oldest takes the others
            return Placement(False, first, tuple(others))
        return Placement(False, touching)
    digit = _digit_for(board, ink, previous, lines)
    taken = _taken_back(board, ink, digit)
    return Placement(False, None, taken=taken) if taken is not None else Placement(False, digit)


def _taken_back(board: BoardToGroup, ink: Ink, digit: Digit | None) -> Ink | None:
    """The stroke drawn just before, if it joined `digit` standing to the right of the rest of it
    and is the start of the next digit, which `ink` completes (a 4's "L" written close after a 7,
    then its stem): the rest reads as a sure digit by itself, the stroke and `ink` as another, and
    all together less surely than the two apart. A stroke-by-stroke grouper decides on the "L"
    before the stem comes; this takes it back."""
    if digit is None or not _ready(board) or len(digit.strokes) < 2 or digit.corrected is not None:
        return None
    last = board.strokes[-1]
    if digit.strokes[-1] is not last:
        return None
    rest = digit.strokes[:-1]
    low, high = np.min([stroke.low for stroke in rest], axis=0), np.max([stroke.high for stroke in rest], axis=0)
    if not _beside(last.low, last.high, low, high):
        return None
    drawings = [[*(stroke.points for stroke in digit.strokes), ink.points], [stroke.points for stroke in rest],
                [last.points, ink.points]]
    return last if JoinedReadings(_read(board, drawings)).two_sure_digits else None


def _read(board: BoardToGroup, drawings: list[list[np.ndarray]]) -> np.ndarray:
    """The classifier's probabilities for drawings (each a list of strokes' points), as float64."""
    images = np.stack([digit_image(strokes, board.stroke_width) for strokes in drawings])[..., None]
    paths = np.stack([trajectory(strokes) for strokes in drawings])  # (n, 64, 5)
    return np.asarray(board.recognizer.predict(images, paths), np.float64)


def _is_speck(ink: Ink, previous: Digit | None) -> bool:
    """Whether a stroke is a mark too small to be, or to change, a digit: tiny beside the
    writing just before it (`previous`, a slip of the mouse), or a click or a few pixels on its own."""
    size = float(np.max(ink.high - ink.low))
    reference = previous.height if previous is not None and not previous.speck else 0.0
    return size < max(SPECK_PIXELS, SPECK_SHARE * reference)


def _digit_for(board: BoardToGroup, ink: Ink, previous: Digit | None, lines: Lines) -> Digit | None:
    """The digit `ink` belongs to, or None for a new digit; `previous` holds the stroke before."""
    touching = _touching(board, ink, lines)
    if touching is not None:
        beside = _stands_beside(ink, touching) and _ready(board)
        return None if beside and _joined_readings(board, ink, touching).two_digits else touching
    recent = _previous_digit(board, ink, previous)
    # Right after its digit, a part may stand a little apart (a 5's bar): only the bands, which
    # know where the lines are, keep it off the line above.
    if recent is None or lines.apart(recent, as_a_pair=False):
        return None
    height = max(float(ink.high[1] - ink.low[1]), recent.height)
    gap = _gap(ink.low, ink.high, recent.low, recent.high)
    near = gap[0] <= TOUCH_GAP_X * height and gap[1] <= PREVIOUS_GAP_Y * height
    # A letter and a digit written under it are of a size and stacked, often near: a stroke that
    # reads as a digit of its own does not join such ink (JoinedReadings.stroke_stands_alone).
    # Nor does the next digit of a number written tight, to its right (JoinedReadings.two_digits).
    stacked = on_other_lines(ink, recent)
    if not _ready(board):  # without a recogniser only near strokes join
        return recent if near else None
    beside = _stands_beside(ink, recent)
    if near and not stacked and not beside:
        return recent  # near enough: it joins without asking
    readings = _joined_readings(board, ink, recent)
    if stacked and readings.stroke_stands_alone:
        return None
    if beside and readings.two_digits:
        return None
    return recent if near or readings.better_joined(gap / max(height, 1.0)) else None


def _stands_beside(ink: Ink, digit: Digit) -> bool:
    """Whether a stroke stands to the right of a digit, where the next digit of a number goes (their
    boxes at most BESIDE_OVERLAP of a height into each other), and is tall enough to start a digit.
    The crossbar of a 7 and the stem of most 4s reach further into the box of the ink before them,
    a 1's flag stands to its left, and a flat bar or a tick is a part."""
    return _beside(ink.low, ink.high, digit.low, digit.high)


def _beside(low: np.ndarray, high: np.ndarray, digit_low: np.ndarray, digit_high: np.ndarray) -> bool:
    """_stands_beside for ink with bounds (low, high) and a digit's bounds."""
    height, digit_height = float(high[1] - low[1]), float(digit_high[1] - digit_low[1])
    tall = height >= NEXT_DIGIT_HEIGHT * digit_height
    return tall and bool(low[0] > digit_high[0] - BESIDE_OVERLAP * max(height, digit_height))


def _clear_of(ink: Ink, digit: Digit) -> bool:
    """Whether a stroke's box stands clear of a digit's along the line, a gap between them."""
    return bool(_gap(ink.low, ink.high, digit.low, digit.high)[0] > 0)


def _ready(board: BoardToGroup) -> bool:
    """Whether the board has a recogniser that has loaded its model."""
    return board.recognizer is not None and board.recognizer.ready


def _touching(board: BoardToGroup, ink: Ink, lines: Lines) -> Digit | None:
    """The digit on the stroke's line that it overlaps or nearly touches most."""
    low, high = ink.low, ink.high
    best, best_overlap, best_order = None, -np.inf, -1
    for digit in board.index.near(low, high):
        height = max(high[1] - low[1], digit.height)  # the taller, not the union: lines stay apart
        gap = _gap(low, high, digit.low, digit.high)
        if gap[0] > TOUCH_GAP_X * height or gap[1] > TOUCH_GAP_Y * height or lines.apart(digit):
            continue
        overlap = float(np.prod(np.maximum(0.0, np.minimum(high, digit.high) - np.maximum(low, digit.low))))
        overlap -= float(gap.sum())  # among non-overlapping candidates, the nearest
        order = digit.strokes[0].id  # ties go to the later digit
        if overlap > best_overlap or (overlap == best_overlap and order > best_order):
            best, best_overlap, best_order = digit, overlap, order
    return best


def _segments(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A polyline's segments as (starts, ends), (n, 2) each, at most MEET_SEGMENTS of them; a
    single point is a segment of no length."""
    step = max(1, -(-(len(points) - 1) // MEET_SEGMENTS))
    thinned = np.concatenate([points[::step], points[-1:]]) if len(points) > 1 else points[:1]
    if len(thinned) == 1:
        return thinned, thinned
    return thinned[:-1], thinned[1:]


def _point_segment_distances(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """(len(points), len(starts)) distances from each point to each segment."""
    direction = ends - starts  # (m, 2)
    length2 = np.maximum((direction ** 2).sum(axis=1), 1e-12)
    t = np.clip(((points[:, None, :] - starts[None]) * direction[None]).sum(axis=2) / length2, 0.0, 1.0)
    nearest = starts[None] + t[..., None] * direction[None]
    return np.linalg.norm(points[:, None, :] - nearest, axis=2)


def ink_distance(first: np.ndarray, second: np.ndarray) -> float:
    """The smallest distance between two polylines of (n, 2) points: 0 where they cross."""
    a0, a1 = _segments(np.asarray(first, np.float64))
    b0, b1 = _segments(np.asarray(second, np.float64))

    def side(p, q, r):  # (len(p), len(r)): which side of segment p->q point r lies, by sign
        along = q - p  # x and y apart: no (len(p), len(r), 2) array is made
        return (along[:, 0, None] * (r[None, :, 1] - p[:, 1, None])
                - along[:, 1, None] * (r[None, :, 0] - p[:, 0, None]))

    crossing = ((side(a0, a1, b0) * side(a0, a1, b1) < 0) & (side(b0, b1, a0) * side(b0, b1, a1) < 0).T)
    if crossing.any():
        return 0.0
    return float(min(_point_segment_distances(a0, b0, b1).min(), _point_segment_distances(a1[-1:], b0, b1).min(),
                     _point_segment_distances(b0, a0, a1).min(), _point_segment_distances(b1[-1:], a0, a1).min()))


def _met(board: BoardToGroup, ink: Ink, lines: Lines) -> list[Digit]:
    """The digits on the stroke's line whose ink the stroke crosses or meets, when two or more
    may be; else none (`place` makes nothing of a single digit met, so its ink is not measured:
    a stroke over a digit of many strokes would be compared with each of them)."""
    candidates = []
    for digit in board.index.near(ink.low, ink.high):
        reach = MEET_GAP * max(float(ink.high[1] - ink.low[1]), digit.height, 1.0)
        if np.any(_gap(ink.low, ink.high, digit.low, digit.high) > reach) or lines.apart(digit) or digit.speck:
            continue
        candidates.append((digit, reach))
    if len(candidates) < 2:
        return []
    return [digit for digit, reach in candidates if _meets(ink, digit, reach)]


def _meets(ink: Ink, digit: Digit, reach: float) -> bool:
    """Whether the stroke's ink comes within `reach` of the digit's. Only the digit's strokes whose
    box is that near are measured (their boxes compared at once), and the first met is enough."""
    lows, highs = np.array([other.low for other in digit.strokes]), np.array([other.high for other in digit.strokes])
    near = np.all(_gap(ink.low, ink.high, lows, highs) <= reach, axis=1)
    return any(ink_distance(ink.points, digit.strokes[index].points) <= reach for index in np.flatnonzero(near))


def _one_drawing(board: BoardToGroup, ink: Ink, met: list[Digit], touching: Digit | None) -> bool:
    """Whether the digits `met` and the stroke are one drawing: read together, the classifier finds
    them "not a digit", or one digit with more confidence than the stroke joined to `touching` (as it
    would be) and the others read apart. Without a ready recogniser, ink that meets is one drawing."""
    if not _ready(board):
        return True
    touching = touching if touching in met else met[0]
    apart = [other for other in met if other is not touching]
    drawings = [[*(stroke.points for digit in met for stroke in digit.strokes), ink.points],
                [*(stroke.points for stroke in touching.strokes), ink.points],
                *([stroke.points for stroke in other.strokes] for other in apart)]
    probabilities = _read(board, drawings)
    if probabilities.shape[1] > NOT_A_DIGIT and probabilities[0].argmax() == NOT_A_DIGIT:
        return True
    confidence = probabilities[:, :DIGIT_CLASSES].max(axis=1)
    return bool(confidence[0] > np.prod(confidence[1:]))


def _previous_digit(board: BoardToGroup, ink: Ink, digit: Digit | None) -> Digit | None:
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


@dataclass(frozen=True)
class JoinedReadings:
    """How the classifier reads a digit and a stroke standing apart from it: (3, classes)
    probabilities of the two joined, the digit alone and the stroke alone."""

    probabilities: np.ndarray
    clear: bool = True  # the stroke's box stands clear of the digit's along the line (_clear_of)
    after_stem: bool = False  # the digit is a bare stem, narrower than STEM_WIDTH of its height

    @property
    def _sure(self) -> np.ndarray:
        return confident_digits(self.probabilities)

    @property
    def _confidence(self) -> np.ndarray:
        return self.probabilities[:, :DIGIT_CLASSES].max(axis=1)

    @property
    def stroke_stands_alone(self) -> bool:
        """The stroke is a sure digit by itself, the ink before it is not (a letter), and joined
        they read no surer: a digit written under a letter (not a 5's body under its bar, nor an
        8's second loop under its first, which reads as a digit by itself)."""
        sure, confidence = self._sure, self._confidence
        return bool(sure[2] and not sure[1] and (not sure[0] or confidence[0] <= confidence[2]))

    @property
    def _leaves_digit_in_doubt(self) -> bool:
        """The digit is sure by itself, and joined to the stroke it is not."""
        sure = self._sure
        return bool(sure[1] and not sure[0])

    @property
    def two_digits(self) -> bool:
        """Whether a stroke beside a sure digit starts the next digit (a number written tight):
        joined, the digit is in doubt; or it is a sure digit too, and joined they read less surely
        than the two apart (not a 9's stem beside its loop, which reads surer joined); or, its box
        clear of the digit's, it is no sure digit by itself and makes the digit no surer (the "L"
        of a 4 beside an 8). Never when the digit is not sure by itself (a 4's "L", then its stem
        beside it). The parts of letters touch, and many letters start with a bare stem (H, K, M,
        N): a stroke reaching into the digit's box must be a sure digit, the digit read at
        TOUCHED_DIGIT_SURE or more (not a 4's "L" read a doubtful 2) and no bare stem; and a
        stroke beside a bare stem must be a sure digit (not an N's diagonal, nor a K's "<")."""
        sure, confidence = self._sure, self._confidence
        if not sure[1]:
            return False
        if not self.clear and (self.after_stem or not sure[2] or confidence[1] < TOUCHED_DIGIT_SURE):
            return False
        if self.after_stem and not sure[2]:
            return False
        if sure[2]:
            return self.two_sure_digits
        return self._leaves_digit_in_doubt or bool(confidence[0] <= confidence[1])

    @property
    def two_sure_digits(self) -> bool:
        """Both parts read as sure digits, and joined they read in doubt or less surely than the
        two apart."""
        sure, confidence = self._sure, self._confidence
        return bool(sure[1] and sure[2] and (not sure[0] or confidence[0] < confidence[1] * confidence[2]))

    def better_joined(self, gap: np.ndarray) -> bool:
        """Whether the two read better as one digit than apart, by a margin growing with the `gap`
        between their boxes (in heights); a sure digit never joins a stroke that makes it doubtful
        (the first stroke of the next digit)."""
        if self._leaves_digit_in_doubt:
            return False
        confidence = self._confidence
        margin = JOIN_MARGIN + JOIN_MARGIN_PER_GAP * float(np.linalg.norm(gap))
        return bool(confidence[0] > confidence[1] * confidence[2] + margin)


def _joined_readings(board: BoardToGroup, ink: Ink, digit: Digit) -> JoinedReadings:
    """The classifier's readings of digit + stroke joined, the digit alone and the stroke alone
    (a ready recogniser is needed)."""
    parts = [other.points for other in digit.strokes]
    images = np.stack([
        digit_image([*parts, ink.points], board.stroke_width),
        board.render(digit),  # cached since the digit last changed
        digit_image([ink.points], board.stroke_width),
    ])[..., None]  # (3, 28, 28, 1) float32
    paths = np.stack([trajectory([*parts, ink.points]), board.trace(digit), trajectory([ink.points])])
    return JoinedReadings(np.asarray(board.recognizer.predict(images, paths), np.float64), _clear_of(ink, digit),
                          bool(digit.high[0] - digit.low[0] < STEM_WIDTH * digit.height))
