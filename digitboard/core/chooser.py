"""The chooser: the small panel a click on a digit (or its label) opens, listing the digit's three
likeliest labels with their probabilities, so a wrong digit is corrected with one more click.

Pure: which rows the panel holds, where it goes, and which row a point falls on. No pygame here;
the window (digitboard.window.app) opens and closes it, digitboard.window.view draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digitboard.core.digits import Digit
from digitboard.core.labels import Rect, Size, overlap

DELETE = -1  # the row that deletes the digit rather than labelling it
FORGET = -2  # the row that forgets the personal examples behind the digit's reading
CLICK_REACH = 3.0  # pixels: a press and release closer than this is a click, not a stroke


@dataclass(frozen=True)
class Row:
    label: int  # a digit, DELETE or FORGET
    probability: float | None  # the board's, for a digit it offers; None for DELETE and FORGET
    models_own: bool = False  # the model's own reading, before personal examples changed it

    yours: bool = False  # the reading your examples gave, beside the model's own

    @property
    def text(self) -> str:
        if self.label == DELETE:
            return "delete"
        if self.label == FORGET:
            return "forget the examples behind this"
        text = f"{self.label}" if self.probability is None else f"{self.label}  {self.probability:.0%}"
        # Two figures from two readings, said in words: they are not shares of one whole.
        if self.models_own:
            return f"{text}  by the model alone"
        return f"{text}  with your examples" if self.yours else text

    @property
    def is_label(self) -> bool:
        return self.label >= 0


def rows_for(digit: Digit) -> list[Row]:
    """The three likeliest labels for `digit` (none while it waits for the model); for a digit
    whose reading personal examples changed, the model's own reading beside them and a row that
    forgets those examples; then delete."""
    prediction = digit.prediction
    offered = prediction.alternatives if prediction is not None else []
    rows = [Row(label, probability) for label, probability in offered]
    if digit.yours:
        own_label, own_confidence = prediction.own  # type: ignore[union-attr, misc]
        rows = [row for row in rows if row.label != own_label]
        rows[0] = Row(rows[0].label, rows[0].probability, yours=True)
        rows.insert(1, Row(own_label, own_confidence, models_own=True))
        rows.append(Row(FORGET, None))
    return rows + [Row(DELETE, None)]


def is_click(points: list[tuple[float, float]] | tuple[tuple[float, float], ...]) -> bool:
    """Whether a stroke's points never went further than CLICK_REACH from where it began."""
    x0, y0 = points[0]
    return all((x - x0) ** 2 + (y - y0) ** 2 <= CLICK_REACH ** 2 for x, y in points)


def panel_rects(box: Rect, row_size: Size, count: int, area: Rect, avoid: Sequence[Rect] = ()) -> list[Rect]:
    """Rectangles for `count` rows of `row_size`, stacked beside a digit's `box`: to its right,
    else its left, else below, else above; the first of these inside `area` and clear of `avoid`
    (the digit's label), else the first moved into `area`."""
    x, y, w, h = box
    width, height = row_size[0], row_size[1] * count
    corners = [(x + w, y), (x - width, y), (x, y + h), (x, y - height)]
    area_x, area_y, area_w, area_h = area

    def inside(corner: tuple[int, int]) -> tuple[int, int]:
        return (min(max(corner[0], area_x), max(area_x, area_x + area_w - width)),
                min(max(corner[1], area_y), max(area_y, area_y + area_h - height)))

    def fits(corner: tuple[int, int]) -> bool:
        panel = (*corner, width, height)
        return inside(corner) == corner and not any(overlap(panel, other) for other in avoid)

    left, top = next((corner for corner in corners if fits(corner)), inside(corners[0]))
    return [(left, top + i * row_size[1], width, row_size[1]) for i in range(count)]


def row_at(rects: list[Rect], point: tuple[float, float]) -> int | None:
    """The index of the rectangle holding `point`, if any."""
    px, py = point
    return next((i for i, (x, y, w, h) in enumerate(rects) if x <= px < x + w and y <= py < y + h), None)
