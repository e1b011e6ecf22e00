"""Edits of the board as values. A shell (the window, a session file, a web request) turns its
input into these; `Board.apply` carries them out; a recorder writes the same values down, and
replaying is applying them again, so every shell reads a drawing the same way."""

from __future__ import annotations

from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class Stroke:
    """A finished stroke: the pen's points in board pixels, and when each was drawn."""

    points: tuple[Point, ...]
    times: tuple[float, ...] | None = None  # milliseconds since the session started, one a point

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError("a stroke needs at least one point")
        if self.times is not None and len(self.times) != len(self.points):
            raise ValueError(f"a stroke of {len(self.points)} points has {len(self.times)} times")


@dataclass(frozen=True)
class Clear:
    """Take every stroke off the board (undoable)."""


@dataclass(frozen=True)
class Undo:
    """Take back the last edit still in effect: a stroke, a clear, a correction or a deletion."""


@dataclass(frozen=True)
class Correct:
    """Set the label of the digit whose box holds `at` (the nearest digit if none does)."""

    at: Point
    label: int

    def __post_init__(self) -> None:
        if not 0 <= self.label <= 9:
            raise ValueError(f"a digit's label is 0 to 9, not {self.label}")


@dataclass(frozen=True)
class Delete:
    """Take the digit whose box holds `at` (the nearest digit if none does) off the board, all
    its strokes at once."""

    at: Point


@dataclass(frozen=True)
class Forget:
    """Forget the personal examples that gave the digit whose box holds `at` (the nearest digit
    if none does) its reading, and read it again (undoable). A digit read as the model alone
    reads it is left as it is."""

    at: Point


Action = Stroke | Clear | Undo | Correct | Delete | Forget
