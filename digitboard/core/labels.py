"""Where each digit's label goes: a pure function from the digits' boxes and their labels' sizes
to label rectangles inside the board, clear of every digit's box and of each other; a digit with
no room beside it gets its shortest label inside a corner of its own box.

No pygame here; rectangles are (x, y, w, h) tuples of whole pixels. The web board's page places
its labels with a line-by-line port of this module (digitboard/web/static/labels.js); the tests
run both on the same boards and require the same places.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

Rect = tuple[int, int, int, int]  # x, y, w, h
Size = tuple[int, int]  # w, h
CELL = 64  # pixels: the side of a cell of the grid that finds nearby rectangles


def overlap(a: Rect, b: Rect) -> bool:
    """Whether two rectangles share a pixel (touching edges do not)."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


class RectGrid:
    """Rectangles filed by the grid cells they cover, so a query looks only at its neighbours."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[Rect, int]]] = {}

    @staticmethod
    def _cells(rect: Rect) -> Iterator[tuple[int, int]]:
        x, y, w, h = rect
        for column in range(x // CELL, (x + max(w, 1) - 1) // CELL + 1):
            for row in range(y // CELL, (y + max(h, 1) - 1) // CELL + 1):
                yield column, row

    def add(self, rect: Rect, owner: int = -1) -> None:
        for cell in self._cells(rect):
            self.cells.setdefault(cell, []).append((rect, owner))

    def hits(self, rect: Rect) -> bool:
        return any(overlap(rect, other) for cell in self._cells(rect) for other, _ in self.cells.get(cell, ()))

    def owners(self, rect: Rect) -> set[int]:
        """The owners of the rectangles that overlap `rect`."""
        return {owner for cell in self._cells(rect) for other, owner in self.cells.get(cell, ()) if overlap(rect, other)}


def distance(a: Rect, b: Rect) -> float:
    """The shortest distance between two rectangles' pixels (0 where they overlap or touch)."""
    dx = max(0, a[0] - (b[0] + b[2]), b[0] - (a[0] + a[2]))
    dy = max(0, a[1] - (b[1] + b[3]), b[1] - (a[1] + a[3]))
    return float((dx * dx + dy * dy) ** 0.5)


def _between(rect: Rect, a: Rect, b: Rect) -> bool:
    """Whether `rect` lies between `a` and `b`: one wholly above it and the other below, or one
    to its left and the other to its right."""
    def apart(first: Rect, second: Rect, axis: int) -> bool:  # first wholly before rect, second wholly after
        return first[axis] + first[axis + 2] <= rect[axis] and second[axis] >= rect[axis] + rect[axis + 2]

    return any(apart(a, b, axis) or apart(b, a, axis) for axis in (0, 1))


def belongs_to(rect: Rect, owner: int, boxes: Sequence[Rect], grid: RectGrid) -> bool:
    """Whether a label at `rect` plainly belongs to box `owner` (`grid` holds the boxes by
    index): no other box is nearer, and none as near on its far side (a label between two lines
    of writing, as near the digit below as the one above, would read as either's)."""
    own_box = boxes[owner]
    own = distance(rect, own_box)
    reach = int(own) + 1  # the other boxes as near as its own, or nearer
    x, y, w, h = rect
    for other in grid.owners((x - reach, y - reach, w + 2 * reach, h + 2 * reach)):
        if other == owner:
            continue
        near = distance(rect, boxes[other])
        if near < own or (near == own and _between(rect, own_box, boxes[other])):
            return False
    return True


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


def _greedy(boxes: Sequence[Rect], options: Sequence[Sequence[Size]], area: Rect, gap: int,
            kept: Sequence[tuple[Rect, int] | None | bool]) -> list[tuple[Rect, int] | None]:
    taken = RectGrid()
    shown = [overlap(box, area) for box in boxes]
    by_owner = RectGrid()  # the boxes, by index: whose a label looks to be
    for owner, (box, visible) in enumerate(zip(boxes, shown)):
        if visible:
            taken.add(box)
            by_owner.add(box, owner)
    for spot in kept:
        if spot is not True and spot is not None:
            taken.add(spot[0])
    placed: list[tuple[Rect, int] | None] = []
    for owner, (box, sizes, visible, spot) in enumerate(zip(boxes, options, shown, kept)):
        if spot is not True:  # kept as it was
            placed.append(spot)
            continue
        for choice, size in enumerate(sizes) if visible else ():
            for corner in candidates(box, size, gap):
                rect = _inside(corner, size, area)
                if rect is not None and not taken.hits(rect) and belongs_to(rect, owner, boxes, by_owner):
                    spot = (rect, choice)
                    break
            if spot is not True:
                break
        spot = None if spot is True else spot
        if spot is not None:
            taken.add(spot[0])
        placed.append(spot)
    return placed


def inside_corners(box: Rect, size: Size) -> list[tuple[int, int]]:
    """Top-left corners for a label of `size` inside `box`'s corners: top left, top right,
    bottom left, bottom right."""
    x, y, w, h = box
    return [(x, y), (x + w - size[0], y), (x, y + h - size[1]), (x + w - size[0], y + h - size[1])]


def _in_corners(boxes: Sequence[Rect], options: Sequence[Sequence[Size]], area: Rect,
                placed: list[tuple[Rect, int] | None], free: Sequence[bool]) -> list[tuple[Rect, int] | None]:
    """Every visible digit left without a label, and free to move, gets its shortest one inside
    a corner of its own box: the first corner clear of the other labels, else the top-left one."""
    labels = RectGrid()
    for spot in placed:
        if spot is not None:
            labels.add(spot[0])
    placed = list(placed)
    for i, (box, sizes, spot) in enumerate(zip(boxes, options, placed)):
        if spot is not None or not free[i] or not overlap(box, area):
            continue
        size = sizes[-1]
        rects = [rect for corner in inside_corners(box, size) if (rect := _inside(corner, size, area)) is not None]
        if not rects:  # a board smaller than the label
            continue
        rect = next((rect for rect in rects if not labels.hits(rect)), rects[0])
        placed[i] = (rect, len(sizes) - 1)
        labels.add(rect)
    return placed


def place_labels(boxes: Sequence[Rect], options: Sequence[Sequence[Size]], area: Rect, gap: int = 2,
                 kept: Sequence[tuple[Rect, int] | None | bool] | None = None,
                 rounds: int = 3) -> list[tuple[Rect, int] | None]:
    """For each box (in reading order), a label rectangle and which of its sizes it took.

    `options[i]` are the sizes digit i's label can take, preferred first (say "7 98%", then
    "7"). A label lies inside `area`, beside its own box and nearer it than any other box
    (belongs_to), and overlaps no box and no other label; a digit for which no such place exists gets its shortest label inside a corner of
    its own box (over its ink, as little as a corner is), and only a digit whose box is outside
    `area` gets None.
    `kept[i]`, unless True, is a place (or None) from an earlier layout that stays as it is:
    labels far from what changed on the board keep still, and cost nothing to place again.
    Greedy in reading order; where a digit is left without a label (tight, small writing), the
    labels in the way of its places take their shortest form and the greedy pass runs again,
    up to `rounds` more times; the layout that labels the most digits wins.
    """
    assert len(boxes) == len(options)
    kept = [True] * len(boxes) if kept is None else list(kept)
    current = [list(sizes) for sizes in options]
    best = _greedy(boxes, current, area, gap, kept)
    placed = best
    for _ in range(rounds):
        labels = RectGrid()
        for j, spot in enumerate(placed):
            if spot is not None and len(current[j]) > 1 and kept[j] is True:
                labels.add(spot[0], j)
        in_the_way: set[int] = set()
        for box, sizes, spot, free in zip(boxes, current, placed, kept):
            if spot is not None or free is not True or not overlap(box, area):
                continue
            for corner in candidates(box, sizes[-1], gap):
                rect = _inside(corner, sizes[-1], area)
                if rect is not None:
                    in_the_way |= labels.owners(rect)
        if not in_the_way:
            break
        for j in in_the_way:
            current[j] = current[j][-1:]
        rerun = _greedy(boxes, current, area, gap, kept)
        placed = [kept[i] if kept[i] is not True else None if spot is None  # choices count in options[i]
                  else (spot[0], spot[1] + len(options[i]) - len(current[i])) for i, spot in enumerate(rerun)]
        if sum(spot is None for spot in placed) < sum(spot is None for spot in best):
            best = placed
    return _in_corners(boxes, options, area, best, [free is True for free in kept])
