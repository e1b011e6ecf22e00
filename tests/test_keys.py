"""The key table is the one place keys are defined: the window's help, the session format's keys
and the README's table are all made from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from digitboard.core.actions import Clear, Undo
from digitboard.core.keys import BINDINGS, COMMANDS, Command, help_lines, markdown_table, session_keys
from digitboard.sessions.format import KEYS, parse_session

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_shows_the_key_table():
    if not README.is_file():
        pytest.skip("not a checkout")
    assert markdown_table() in README.read_text()


def test_the_window_help_lists_every_binding():
    from digitboard.window.panels import HELP_LINES

    assert HELP_LINES == help_lines()
    assert [shown for shown, _ in HELP_LINES[-len(BINDINGS):]] == [binding.shown for binding in BINDINGS]


def test_a_session_may_press_exactly_the_keys_that_edit_the_board():
    assert KEYS == session_keys() == {"ctrl+z": Undo(), "backspace": Undo(), "n": Clear()}
    session = parse_session({"size": [640, 480], "actions": [{"key": "n"}, {"key": "backspace"}]}, "s")
    assert session.actions == [Clear(), Undo()]


def test_every_key_name_is_bound_once():
    names = [key for binding in BINDINGS for key in binding.keys]
    assert len(names) == len(set(names)) == len(COMMANDS)
    assert {COMMANDS[str(digit)] for digit in range(10)} == {Command.CORRECT}
