"""The board's keys, defined once: what each does, how it is written in a session file, and how
the help and the README show it. The window's help panel, the session format's keys and the
README's table are all made from `BINDINGS` (a test checks the README's).

Keys are named shell-neutrally, as a session file writes them: a character ("n", "7", "?") or a
lower-case key name ("delete", "backspace", "escape", "f1"), with "ctrl+" before a key held with
Ctrl. A shell turns its own key events into these names (digitboard.window.app.key_name).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from digitboard.core.actions import Action, Clear, Undo


class Command(Enum):
    """What a key asks of the board or its shell (digitboard.core.controller carries it out)."""

    CORRECT = "correct"  # the digit under the pointer (or the open panel's) gets the key's digit
    DELETE = "delete"  # the digit under the pointer (or the open panel's) goes
    UNDO = "undo"
    CLEAR = "clear"
    SAVE = "save"
    HELP = "help"
    ESCAPE = "escape"  # close the panel or the help; else quit


@dataclass(frozen=True)
class Binding:
    """Keys that do one thing."""

    keys: tuple[str, ...]  # shell-neutral names, the first as a session file writes it
    shown: str  # as the help and the README show the keys
    does: str  # what they do, in a few words
    command: Command
    action: Action | None = None  # the board's edit, for keys a session file may press


DIGIT_KEYS = tuple("0123456789")

BINDINGS: tuple[Binding, ...] = (
    Binding(DIGIT_KEYS, "0 to 9", "correct the digit under the pointer", Command.CORRECT),
    Binding(("delete",), "Delete", "remove the digit under the pointer", Command.DELETE),
    Binding(("ctrl+z", "backspace"), "Ctrl+Z, Backspace", "undo, a clear or correction too",
            Command.UNDO, Undo()),
    Binding(("n",), "N", "clear the board", Command.CLEAR, Clear()),
    Binding(("s",), "S", "save PNGs of the board and digits", Command.SAVE),
    Binding(("f1", "?"), "F1, ?", "show or hide the keys", Command.HELP),
    Binding(("escape",), "Esc", "close the panel or the keys; else quit", Command.ESCAPE),
)

# What the pointer does, shown before the keys.
POINTER_HELP: tuple[tuple[str, str], ...] = (
    ("mouse", "write; lines a fifth of a digit apart"),
    ("click a digit", "its likeliest labels: click or type one"),
    ("right-click", "the same, for a digit under ink"),
)

COMMANDS: dict[str, Command] = {key: binding.command for binding in BINDINGS for key in binding.keys}


def help_lines() -> tuple[tuple[str, str], ...]:
    """(keys, what they do) for the window's help panel: the pointer first, then the keys."""
    return POINTER_HELP + tuple((binding.shown, binding.does) for binding in BINDINGS)


def session_keys() -> dict[str, Action]:
    """The keys a session file may press, each with the board's edit it stands for."""
    return {key: binding.action for binding in BINDINGS if binding.action is not None for key in binding.keys}


def markdown_table() -> str:
    """The keys as the README's table shows them."""
    rows = ["| key | does |", "| --- | --- |"]
    rows += [f"| {' or '.join(f'`{key.strip()}`' for key in binding.shown.split(','))} | {binding.does} |"
             for binding in BINDINGS]
    return "\n".join(rows)
