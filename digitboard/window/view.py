"""What the window shows, drawn onto a pygame surface: the ink, each digit's box and label, and
a digit's panel of alternatives, with the status strip and the help panel around them
(digitboard.window.panels). Draws only; the window, events and clock are digitboard.window.app's.

Drawing is incremental: finished strokes go once each onto an ink layer; the board's picture
(ink, boxes, labels) is composed again only when the board changes (`Board.version`); the stroke
being drawn adds only its new points to that picture, however long it grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from digitboard.core.actions import Point
from digitboard.core.board import Board
from digitboard.core.chooser import Row, panel_rects, row_at, rows_for
from digitboard.core.digits import Digit, Ink
from digitboard.core.labels import Rect, RectGrid, place_labels
from digitboard.window.config import BoardConfig
from digitboard.window.look import (
    BACKGROUND,
    DEFAULT_INK_WIDTH,
    DIM_TEXT,
    HOVER,
    PLATE,
    TEXT,
    Look,
    Status,
    Texts,
    draw_polyline,
    ink_width,
)
from digitboard.window.panels import HelpPanel, StatusStrip

@dataclass(eq=False)
class _Entry:
    """A digit as last drawn: its box, its label's forms and where the label went."""

    state: tuple  # (strokes, prediction, correction): a digit whose state is unchanged looks the same
    box: Rect
    color: tuple[int, int, int]
    labels: list[pygame.Surface]
    sizes: list[tuple[int, int]]
    spot: tuple[Rect, int] | None | bool = False  # False: not placed yet


def _near(rects: list[Rect], reach_x: int, reach_y: int):
    """A test of whether a rectangle comes within (reach_x, reach_y) of any of `rects`."""
    grown = RectGrid()
    for x, y, w, h in rects:
        grown.add((x - reach_x, y - reach_y, w + 2 * reach_x, h + 2 * reach_y))
    return grown.hits


class BoardView:
    """Draws a board onto the window's surface, reusing what has not changed since last time."""

    def __init__(self, look: Look = Look(), size: tuple[int, int] = BoardConfig.size) -> None:
        self.look = look
        self.size = size  # the window's: where hit-testing lays the board out (the shell keeps it)
        self.label_font = pygame.font.Font(None, look.px(look.label_font))
        self.texts = Texts()
        self.strip = StatusStrip(look, self.texts)
        self.help = HelpPanel(look)
        self.ink: pygame.Surface | None = None  # finished strokes, each drawn once
        self.inked: list[Ink] = []  # the strokes on the ink layer: the board's own objects
        self.widths: dict[int, float] = {}  # each stroke's ink width by stroke id, kept for redraws
        self.picture: pygame.Surface | None = None  # ink, boxes and labels: the board as shown
        self._picture_key: tuple | None = None  # the board version and size the picture shows
        self._pen: object | None = None  # the stroke being drawn that the picture shows...
        self._pen_drawn = 0  # ...and how many of its points
        self._pen_rects: list[pygame.Rect] = []  # where pen ink went on the picture since it was composed
        self.label_rects: list[Rect] = []  # where the labels went
        self._entries: dict[Digit, _Entry] = {}  # each digit as last drawn, in reading order
        self._layout_area: Rect | None = None

    # -- the parts ----------------------------------------------------------------------------
    def strip_height(self) -> int:
        return self.strip.height()

    @property
    def status_texts(self) -> tuple[str, str]:
        """The strip's left and right text, as last shown."""
        return self.strip.shown

    @property
    def help_rect(self) -> pygame.Rect | None:
        """Where the help panel was last drawn."""
        return self.help.rect

    def board_area(self, size: tuple[int, int]) -> Rect:
        """The part of the window ink shows in: all but the status strip."""
        return 0, 0, size[0], max(0, size[1] - self.strip_height())

    def pen_width(self, board: Board) -> float:
        """The width of the stroke being drawn: that of the last stroke written, or a default."""
        return self.widths.get(board.strokes[-1].id, DEFAULT_INK_WIDTH) if board.strokes else DEFAULT_INK_WIDTH

    # -- the ink layer --------------------------------------------------------------------------
    def update_ink(self, board: Board, size: tuple[int, int]) -> list[pygame.Rect] | None:
        """Bring the ink layer up to the board: add new strokes; after undoing strokes, draw
        again only where they were; start afresh after a clear, an undone clear or a resize.
        Returns where the layer changed, or None where it was drawn afresh."""
        strokes, inked = board.strokes, self.inked
        changes: list[pygame.Rect] | None = []
        if self.ink is None or self.ink.get_size() != size:
            self.ink = pygame.Surface(size, 0, 32)
            changes = None
        elif len(strokes) < len(inked) and all(a is b for a, b in zip(strokes, inked)):
            changes = [self._erase(inked[len(strokes):], strokes)]  # the last strokes went (undo, clear)
            inked = strokes
        elif not (len(inked) <= len(strokes) and all(a is b for a, b in zip(inked, strokes))):
            changes = None  # strokes came back or went from the middle (an undone clear, a deletion)
        if changes is None:
            self.ink.fill(BACKGROUND)
            inked = []
        self.inked = list(inked)
        new = strokes[len(self.inked):]
        if any(ink.id not in self.widths for ink in new):
            heights = {ink.id: digit.height for digit in board.digits for ink in digit.strokes}
            for ink in new:
                self.widths.setdefault(ink.id, ink_width(heights.get(ink.id, 0.0)))
        for ink in new:
            draw_polyline(self.ink, ink.points, self.widths[ink.id])
            self.inked.append(ink)
            if changes is not None:
                changes.append(self._ink_rect([ink]))
        return changes

    def _ink_rect(self, strokes: list[Ink]) -> pygame.Rect:
        """The pixels the strokes' ink can touch, inside the ink layer."""
        assert self.ink is not None
        reach = max(self.widths[ink.id] for ink in strokes) / 2 + 2
        low = np.min([ink.low for ink in strokes], axis=0) - reach
        high = np.max([ink.high for ink in strokes], axis=0) + reach
        rect = pygame.Rect(int(low[0]), int(low[1]), int(high[0] - low[0]) + 2, int(high[1] - low[1]) + 2)
        return rect.clip(self.ink.get_rect())

    def _erase(self, removed: list[Ink], kept: list[Ink]) -> pygame.Rect:
        """Take `removed` off the ink layer: clear their box and draw the kept strokes there."""
        assert self.ink is not None
        region = self._ink_rect(removed)
        if not region.width or not region.height:
            return region
        # Drawn on a patch larger than the region: OpenCV's anti-aliasing differs at a clip edge.
        margin = 16
        patch_rect = region.inflate(2 * margin, 2 * margin)
        patch = pygame.Surface(patch_rect.size, 0, 32)
        patch.fill(BACKGROUND)
        for ink in kept:
            reach = self.widths[ink.id] / 2 + 2
            if (ink.low[0] - reach < region.right and ink.high[0] + reach > region.x
                    and ink.low[1] - reach < region.bottom and ink.high[1] + reach > region.y):
                draw_polyline(patch, ink.points, self.widths[ink.id], patch_rect.topleft)
        self.ink.blit(patch, region.topleft, region.move(-patch_rect.x, -patch_rect.y))
        return region

    # -- the board's picture ----------------------------------------------------------------------
    def box_rect(self, digit: Digit) -> Rect:
        """The box drawn around a digit: clear of its ink by `box_gap`, the line outside that."""
        x, y, w, h = digit.box
        half = max(self.widths.get(ink.id, DEFAULT_INK_WIDTH) for ink in digit.strokes) / 2
        pad = int(np.ceil(half)) + self.look.px(self.look.box_gap) + self.look.px(self.look.box_line)
        return x - pad, y - pad, w + 2 * pad, h + 2 * pad

    def _compose(self, board: Board, size: tuple[int, int]) -> None:
        """Bring the picture up to the board: each digit's box, the ink, the labels beside them.

        Labels keep their places unless their digit changed or something changed near them
        (a label's size away), so adding a digit moves no label across the board, and placing
        the labels of a large board again costs little; then only the rectangle around what
        changed is painted again (all of it after a resize, a clear undone or a deletion).
        """
        ink_changes = self.update_ink(board, size)
        fresh = self.picture is None or self.picture.get_size() != size or ink_changes is None
        if self.picture is None or self.picture.get_size() != size:
            self.picture = pygame.Surface(size, 0, 32)
        area = self.board_area(size)
        fresh = fresh or area != self._layout_area
        entries: dict[Digit, _Entry] = {}
        changed: list[Rect] = []  # where boxes and labels were or are now, of digits that changed
        for digit in board.left_to_right():
            entry = self._entries.get(digit)
            state = (len(digit.strokes), digit.prediction, digit.corrected)
            if entry is None or entry.state != state:
                if entry is not None:
                    changed += [entry.box] + ([entry.spot[0]] if entry.spot else [])
                entry = self._entry(digit, state)
                changed.append(entry.box)
            entries[digit] = entry
        for digit, gone in self._entries.items():
            if digit not in entries:
                changed += [gone.box] + ([gone.spot[0]] if gone.spot else [])
        near = _near(changed, self.label_font.size("0? 100%")[0] + self.look.px(12), self.label_font.get_height() + 8)
        ordered = list(entries.values())
        kept = [True if fresh or entry.spot is False or near(entry.box) or (entry.spot and near(entry.spot[0]))
                else entry.spot for entry in ordered]
        spots = place_labels([entry.box for entry in ordered], [entry.sizes for entry in ordered], area,
                             self.look.px(self.look.box_gap), kept)
        # Only what changed is drawn again: the changed digits' boxes and labels, old and new,
        # the labels that moved, the ink that changed, and the stroke that was being drawn.
        dirty = [pygame.Rect(rect) for rect in changed] + list(ink_changes or []) + self._pen_rects
        for entry, spot, free in zip(ordered, spots, kept):
            if free is True:
                dirty += [pygame.Rect(place[0]) for place in (entry.spot, spot) if place]
        clip = self.picture.get_rect()
        if not fresh:
            clip = clip.clip(dirty[0].unionall(dirty[1:])) if dirty else pygame.Rect(0, 0, 0, 0)
        self._pen_rects = []
        for entry, spot in zip(ordered, spots):
            entry.spot = spot
        self._entries, self._layout_area = entries, area
        self.label_rects = [entry.spot[0] for entry in ordered if entry.spot]
        self._paint(clip)

    def _paint(self, clip: pygame.Rect) -> None:
        """Draw the picture inside `clip`: the boxes, the ink over them, the labels."""
        assert self.picture is not None and self.ink is not None
        self.picture.set_clip(clip)
        self.picture.fill(BACKGROUND)
        line = self.look.px(self.look.box_line)
        for entry in self._entries.values():
            pygame.draw.rect(self.picture, entry.color, entry.box, line)
        # The ink over the boxes, the lighter of the two: in tight small writing a digit's box
        # may cross its neighbour's ink, which must still show.
        self.picture.blit(self.ink, clip.topleft, clip, special_flags=pygame.BLEND_RGB_MAX)
        pad = self.look.px(3)
        for entry in self._entries.values():
            if entry.spot:
                rect, choice = entry.spot
                self.picture.fill(PLATE, rect)
                self.picture.blit(entry.labels[choice], (rect[0] + pad, rect[1]))
        self.picture.set_clip(None)

    def label_rect(self, digit: Digit) -> Rect | None:
        """Where the digit's label was drawn last; None where it found no room."""
        entry = self._entries.get(digit)
        return entry.spot[0] if entry is not None and entry.spot else None

    # -- what the pointer is on (digitboard.core.controller.Layout) ---------------------------------
    def _lay_out(self, board: Board) -> None:
        """Bring boxes and labels up to the board as it is now, for a window of `size`: what the
        pointer hits is where the next frame shows things, whether or not a frame was drawn since."""
        if (board.version, self.size) != self._picture_key:
            self._update_picture(board, self.size)

    def digit_at(self, board: Board, point: Point) -> Digit | None:
        """The digit on the board whose box or label holds `point`, the smallest box first."""
        self._lay_out(board)

        def holds(rect: Rect | None) -> bool:
            return rect is not None and row_at([rect], point) is not None

        shown = [digit for digit in board.digits if holds(self.box_rect(digit)) or holds(self.label_rect(digit))]
        return min(shown, key=lambda digit: digit.box[2] * digit.box[3], default=None)

    def panel_rows(self, board: Board, digit: Digit) -> list[tuple[Rect, Row]]:
        """The rows of `digit`'s panel and where each goes: beside its box, clear of its label."""
        self._lay_out(board)
        rows = rows_for(digit)
        pad = self.look.px(6)
        widest = max(self.label_font.size(row.text)[0] for row in rows)
        row_size = (widest + 2 * pad, self.label_font.get_linesize() + pad)
        label = self.label_rect(digit)
        rects = panel_rects(self.box_rect(digit), row_size, len(rows), self.board_area(self.size),
                            avoid=[label] if label is not None else [])
        return list(zip(rects, rows))

    def _entry(self, digit: Digit, state: tuple) -> _Entry:
        color = digit.mark.color
        labels = [self.texts.render(text, color, self.label_font) for text in digit.label_texts]
        pad = self.look.px(3)
        sizes = [(label.get_width() + 2 * pad, label.get_height()) for label in labels]
        return _Entry(state, self.box_rect(digit), color, labels, sizes)

    def _update_picture(self, board: Board, size: tuple[int, int]) -> pygame.Surface:
        pen = board.pen
        key = (board.version, size)
        if key != self._picture_key or (self._pen is not None and pen is not self._pen):
            # The board changed, or the stroke on the picture was dropped (undone while drawn).
            self._compose(board, size)
            self._picture_key, self._pen, self._pen_drawn = key, None, 0
        assert self.picture is not None
        if pen is not None and len(pen.points) > self._pen_drawn:
            # The new points, joined to the last one drawn: only what this frame added.
            start = max(self._pen_drawn - 1, 0)
            new_points = np.asarray(pen.points[start:], np.float64)
            width = self.pen_width(board)
            draw_polyline(self.picture, new_points, width)
            reach = width / 2 + 2  # what the next compose must draw again
            low, high = new_points.min(axis=0) - reach, new_points.max(axis=0) + reach
            self._pen_rects.append(pygame.Rect(int(low[0]), int(low[1]), int(high[0] - low[0]) + 2,
                                               int(high[1] - low[1]) + 2).clip(self.picture.get_rect()))
            self._pen, self._pen_drawn = pen, len(pen.points)
        return self.picture

    # -- the chooser -------------------------------------------------------------------------------
    def _draw_chooser(self, surface: pygame.Surface, board: Board, digit: Digit,
                      pointer: tuple[float, float] | None) -> None:
        """The digit's likeliest labels in a panel beside its box, clear of its label, the row under
        the pointer lit; the digit's box outlined, so it is clear which digit the panel is for."""
        placed = self.panel_rows(board, digit)
        rects = [rect for rect, _ in placed]
        pad = self.look.px(6)
        pygame.draw.rect(surface, TEXT, pygame.Rect(self.box_rect(digit)).inflate(2, 2), 1)
        hover = row_at(rects, pointer) if pointer is not None else None
        for index, (rect, row) in enumerate(placed):
            background = HOVER if index == hover else PLATE
            surface.fill(background, rect)
            text = self.texts.render(row.text, TEXT if row.is_label else DIM_TEXT, self.label_font, background)
            if row.label == digit.label:
                pygame.draw.rect(surface, digit.mark.color, rect, 1)  # what it shows now
            surface.blit(text, (rect[0] + pad, rect[1] + pad // 2))
        panel = pygame.Rect(rects[0]).unionall([pygame.Rect(rect) for rect in rects[1:]])
        pygame.draw.rect(surface, DIM_TEXT, panel, 1)

    # -- a frame -----------------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, board: Board, status: Status, show_help: bool = False,
             choosing: Digit | None = None, pointer: tuple[float, float] | None = None) -> None:
        """Draw the board, the status strip below it, the chooser of `choosing` if a digit's is
        open, and the keys if asked for."""
        self.size = surface.get_size()  # the window's, should it have changed unannounced
        surface.blit(self._update_picture(board, surface.get_size()), (0, 0))
        self.strip.draw(surface, status)
        if choosing is not None:
            self._draw_chooser(surface, board, choosing, pointer)
        if show_help:
            self.help.draw(surface, pygame.Rect(self.board_area(surface.get_size())))
