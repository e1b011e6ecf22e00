"""Input to board edits, for every shell: a press, moves and a release at board positions make a
stroke or a click (a click on a digit opens its panel of likeliest labels, digitboard.core.chooser);
a key name (digitboard.core.keys) becomes an undo, a clear, a correction... Pure: a shell turns its
own events (pygame's, a browser's) into these calls, and draws what the controller holds.

What the pointer is on comes from a `Layout`: where the shell shows each digit, its label and an
open panel, worked out from the board as it is now, never from the last frame drawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from digitboard.core.actions import Action, Clear, Correct, Delete, Forget, Point, Undo
from digitboard.core.board import Board
from digitboard.core.chooser import DELETE, FORGET, Row, is_click, panel_rects, row_at, rows_for
from digitboard.core.digits import Digit
from digitboard.core.keys import COMMANDS, Command
from digitboard.core.labels import Rect


class Button(Enum):
    PRIMARY = "primary"  # writes; a click opens a digit's panel
    SECONDARY = "secondary"  # opens the panel of the digit under it, and never writes


class Layout(Protocol):
    """Where a shell shows the board's digits and a digit's panel, for the board as it is now."""

    def digit_at(self, board: Board, point: Point) -> Digit | None:
        """The digit whose box or label holds `point`, if any."""
        ...

    def panel_rows(self, board: Board, digit: Digit) -> list[tuple[Rect, Row]]:
        """The rows of `digit`'s panel and where each is shown."""
        ...


class BoxLayout:
    """A layout of the digits' own boxes, `reach` pixels larger, and a panel of fixed rows to a
    box's right: for a shell that draws no labels of its own, and for tests."""

    def __init__(self, reach: float = 8.0, row_size: tuple[int, int] = (80, 24),
                 area: Rect = (0, 0, 1 << 20, 1 << 20)) -> None:
        self.reach, self.row_size, self.area = reach, row_size, area

    def digit_at(self, board: Board, point: Point) -> Digit | None:
        x, y = point
        holding = [digit for digit in board.digits
                   if digit.low[0] - self.reach <= x <= digit.high[0] + self.reach
                   and digit.low[1] - self.reach <= y <= digit.high[1] + self.reach]
        return min(holding, key=lambda digit: digit.box[2] * digit.box[3], default=None)

    def panel_rows(self, board: Board, digit: Digit) -> list[tuple[Rect, Row]]:
        rows = rows_for(digit)
        return list(zip(panel_rects(digit.box, self.row_size, len(rows), self.area), rows))


NO_DIGIT_HERE = "no digit under the pointer: point at the digit, then press the key"
PANEL_HINT = "click the right label, or type it; Esc closes"


class Controller:
    """One board's input: turns presses, moves, releases and key names into the board's actions.

    `record` is told of every action applied (a session recording); `save` is what the save key
    does (the shell's own: the window writes PNGs).
    """

    def __init__(self, board: Board, layout: Layout, clock: Callable[[], float] = time.monotonic,
                 record: Callable[[Action], None] = lambda action: None,
                 save: Callable[[], object] = lambda: None) -> None:
        self.board = board
        self.layout = layout
        self.clock = clock
        self.record = record
        self.save = save
        self.started = clock()
        self.pointer: Point | None = None  # where the pointer was last: what 0-9 and Delete act on
        self.choosing: Digit | None = None  # the digit whose panel is open
        self.show_help = False
        self.running = True
        self.message = ""  # the last thing a key did, e.g. where S saved; it fades
        self.message_time = 0.0
        self._panel_at_press: Digit | None = None  # the panel open when the pen went down (closed by it)

    def ms(self) -> float:
        """Milliseconds since the board started, as a stroke's times are kept."""
        return round((self.clock() - self.started) * 1000, 1)

    def say(self, message: str) -> None:
        """Show `message` in the status strip for a few seconds."""
        self.message, self.message_time = message, self.clock()

    def apply(self, action: Action) -> None:
        """Apply an action to the board and record it: what replay will apply again."""
        self.board.apply(action)
        self.record(action)

    # -- the pointer --------------------------------------------------------------------------
    def press(self, at: Point, button: Button = Button.PRIMARY) -> None:
        self.pointer = at
        if button is Button.SECONDARY:
            self.choose(self.layout.digit_at(self.board, at))
            return
        self.show_help = False  # writing: the board is what to see
        # Every press starts ink, whatever it is on: an open panel is closed by it, and only a
        # press that does not move (a click, on release) picks one of its rows.
        panel = self.open_panel()
        if self.board.pen is not None:  # a press without a release (focus lost): end that stroke
            self._finish_stroke()
        self._panel_at_press = panel
        self.choose(None)
        self.board.pen_down(*at, self.ms())

    def move(self, at: Point) -> None:
        self.pointer = at
        self.board.pen_move(*at, self.ms())

    def release(self, at: Point, button: Button = Button.PRIMARY) -> None:
        if button is not Button.PRIMARY or self.board.pen is None:
            return
        self.move(at)
        self._finish_stroke()

    def _finish_stroke(self) -> None:
        """The one rule for a press, on its release: one that moved is ink, whatever it began on.
        One that did not (a click) picks the row of the panel it was on, or only closes that
        panel if it was off its rows; with no panel open, a click on a digit or its label opens
        its panel, and anywhere else it is ink (a dot)."""
        panel, self._panel_at_press = self._panel_at_press, None
        stroke = self.board.lift_pen()
        if stroke is None:
            return
        if not is_click(stroke.points):
            self.apply(stroke)
            return
        if panel is not None and panel in self.board.digits:
            rows = self.layout.panel_rows(self.board, panel)
            hit = row_at([rect for rect, _ in rows], stroke.points[0])
            if hit is not None:
                self.choosing = panel
                self.pick(rows[hit][1].label)
            return
        clicked = self.layout.digit_at(self.board, stroke.points[-1])
        if clicked is not None:
            self.choose(clicked)
        else:
            self.apply(stroke)

    # -- the panel ----------------------------------------------------------------------------
    def open_panel(self) -> Digit | None:
        """The digit whose panel is open, if it is still on the board (not undone, cleared or deleted)."""
        if self.choosing is not None and self.choosing not in self.board.digits:
            self.choosing = None
        return self.choosing

    def choose(self, digit: Digit | None) -> None:
        """Open `digit`'s panel (its likeliest labels), or close the open one with None."""
        self.choosing = digit
        if digit is not None:
            self.say(PANEL_HINT)
        elif self.message == PANEL_HINT:  # the panel's hint goes with it
            self.message = ""

    def pick(self, label: int) -> None:
        """Do what the open panel's row `label` says to its digit, and close the panel."""
        digit = self.choosing
        self.choose(None)
        if digit is not None and digit in self.board.digits:
            self.apply(self.row_action(digit, label))

    def row_action(self, digit: Digit, label: int) -> Action:
        """The action of a panel's row (or a key on a digit): the one place rows become edits."""
        at = self.board.point_of(digit)
        if label == DELETE:
            return Delete(at)
        if label == FORGET:
            return Forget(at)
        return Correct(at, label)

    # -- keys ---------------------------------------------------------------------------------
    def key(self, name: str) -> None:
        """Do what the key `name` (digitboard.core.keys) does; an unknown name does nothing."""
        command = COMMANDS.get(name)
        if command is None:
            return
        if self.open_panel() is not None and command in (Command.ESCAPE, Command.DELETE, Command.CORRECT):
            if command is Command.ESCAPE:
                self.choose(None)
            else:
                self.pick(DELETE if command is Command.DELETE else int(name))
            return
        if command is Command.ESCAPE:
            if self.show_help:  # Esc first closes the help; quitting loses the board
                self.show_help = False
            else:
                self.running = False
        elif command is Command.HELP:
            self.show_help = not self.show_help
        elif command is Command.CLEAR:
            self.board.drop_pen()
            if self.board.strokes:  # clearing an empty board is no edit
                self.apply(Clear())
                self.say("cleared: Ctrl+Z brings it back")
        elif command is Command.UNDO:
            # Undo during a stroke drops that stroke, which was never an edit: nothing to apply.
            if not self.board.drop_pen() and self.board.history:
                self.apply(Undo())
        elif command is Command.SAVE:
            self.save()
        else:  # a digit or Delete, on the digit under the pointer
            digit = self.layout.digit_at(self.board, self.pointer) if self.pointer is not None else None
            if digit is None:
                self.say(NO_DIGIT_HERE)
            else:
                self.apply(self.row_action(digit, DELETE if command is Command.DELETE else int(name)))
