"""Where each digit's label goes: a pure function from the digits' boxes and their labels' sizes
to label rectangles inside the board, clear of every digit's box and of each other.

No pygame here; rectangles are (x, y, w, h) tuples of whole pixels.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

Rect = tuple[int, int, int, int]  # x, y, w, h
Size = tuple[int, int]  # w, h
CELL = 64  # pixels: the side of a cell of the grid that finds nearby rectangles


def overlap(a: Rect, b: Rect) -> bool:
    """Whether two rectangles share a pixel (touching edges do not)."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


class _Grid:
    """Rectangles filed by the grid cells they cover, so a query looks only at its neighbours."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[Rect]] = {}

    @staticmethod
    def _cells(rect: Rect) -> Iterator[tuple[int, int]]:
        x, y, w, h = rect
        for column in range(x // CELL, (x + max(w, 1) - 1) // CELL + 1):
            for row in range(y // CELL, (y + max(h, 1) - 1) // CELL + 1):
                yield column, row

    def add(self, rect: Rect) -> None:
        for cell in self._cells(rect):
            self.cells.setdefault(cell, []).append(rect)

    def hits(self, rect: Rect) -> bool:
        return any(overlap(rect, other) for cell in self._cells(rect) for other in self.cells.get(cell, ()))


def candidates(box: Rect, size: Size, gap: int) -> list[tuple[int, int]]:
    """Top-left corners for a label of `size` beside `box`, best first: above it, below it,
    to its right, to its left; each flush with the box's left edge, then its right edge."""
    x, y, w, h = box
    label_w, label_h = size
    above, below = y - label_h - gap, y + h + gap
    right, left = x + w + gap, x - label_w - gap
    flush_right = x + w - label_w
    return [(x, above), (x, below), (right, y), (left, y), (flush_right, above), (flush_right, below),
            (right, y + h - label_h), (left, y + h - label_h)]


def _inside(corner: tuple[int, int], size: Size, area: Rect) -> Rect | None:
    """The label's rectangle moved the least to lie inside `area`; None if it cannot fit."""
    area_x, area_y, area_w, area_h = area
    if size[0] > area_w or size[1] > area_h:
        return None
    x = min(max(corner[0], area_x), area_x + area_w - size[0])
    y = min(max(corner[1], area_y), area_y + area_h - size[1])
    return x, y, size[0], size[1]


def _greedy(boxes: Sequence[Rect], options: Sequence[Sequence[Size]], area: Rect,
            gap: int) -> list[tuple[Rect, int] | None]:
    taken = _Grid()
    shown = [overlap(box, area) for box in boxes]
    for box, visible in zip(boxes, shown):
        if visible:
            taken.add(box)
    placed: list[tuple[Rect, int] | None] = []
    for box, sizes, visible in zip(boxes, options, shown):
        spot = None
        for choice, size in enumerate(sizes) if visible else ():
            for corner in candidates(box, size, gap):
                rect = _inside(corner, size, area)
                if rect is not None and not taken.hits(rect):
                    spot = (rect, choice)
                    break
            if spot is not None:
                break
        if spot is not None:
            taken.add(spot[0])
        placed.append(spot)
    return placed


def place_labels(boxes: Sequence[Rect], options: Sequence[Sequence[Size]], area: Rect,
                 gap: int = 2, rounds: int = 3) -> list[tuple[Rect, int] | None]:
    """For each box (in reading order), a label rectangle and which of its sizes it took.

    `options[i]` are the sizes digit i's label can take, preferred first (say "7 98%", then
    "7"). A label lies inside `area`, beside its own box, and overlaps no box and no other
    label; a digit whose box is outside `area`, or for which no such place exists, gets None.
    Greedy in reading order; where a digit is left without a label (tight, small writing), the
    labels in the way of its places take their shortest form and the greedy pass runs again,
    up to `rounds` more times; the layout that labels the most digits wins.
    """
    assert len(boxes) == len(options)
    current = [list(sizes) for sizes in options]
    best = _greedy(boxes, current, area, gap)
    placed = best
    for _ in range(rounds):
        in_the_way = set()
        for box, sizes, spot in zip(boxes, current, placed):
            if spot is not None or not overlap(box, area):
                continue
            wanted = [rect for corner in candidates(box, sizes[-1], gap)
                      if (rect := _inside(corner, sizes[-1], area)) is not None]
            in_the_way.update(j for j, other in enumerate(placed) if other is not None and len(current[j]) > 1
                              and any(overlap(other[0], rect) for rect in wanted))
        if not in_the_way:
            break
        for j in in_the_way:
            current[j] = current[j][-1:]
        placed = [None if spot is None else (spot[0], spot[1] + len(options[i]) - len(current[i]))
                  for i, spot in enumerate(_greedy(boxes, current, area, gap))]
        if sum(spot is None for spot in placed) < sum(spot is None for spot in best):
            best = placed
    return best
