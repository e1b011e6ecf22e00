"""`digitboard --help` and each command's: what it does first, options named by their meaning."""

from __future__ import annotations

import re

import pytest

from digitboard import __version__
from digitboard.cli import build_parser, main

COMMANDS = ("train", "export", "replay", "serve", "profile")


def help_text(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_opens_its_help_with_what_it_does(capsys, command):
    text = help_text(capsys, command)
    usage, description = text.split("\n\n")[:2]
    assert usage.startswith(f"usage: digitboard {command}")
    assert len(description.split()) >= 12 and not description.startswith(("options:", "positional"))


@pytest.mark.parametrize("argv", [(), *((command,) for command in COMMANDS)])
def test_options_are_shown_by_their_meaning_not_by_an_internal_name(capsys, argv):
    text = help_text(capsys, *argv)
    for option, metavar in re.findall(r"(--[a-z-]+) ([A-Z_]+)\b", text):
        assert metavar in {"PATH", "FILE", "FOLDER", "N", "W", "RATE", "LOG_ODDS", "TEMPERATURE", "ADDRESS", "ID", "BACKUP"}, (option, metavar)
    assert "REPLAY_MODEL" not in text and "SERVE_MODEL" not in text
    if argv:
        assert "--model PATH" in text or argv[0] in ("train", "export", "profile")


def test_the_top_level_help_says_what_reads_the_digits(capsys):
    text = help_text(capsys)
    assert "a CNN on the image pooled with a small network on the pen's path" in " ".join(text.split())
    for command in COMMANDS:  # each command listed with what it does
        assert re.search(rf"^ +{command} +\w", text, re.MULTILINE), command


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out == f"digitboard {__version__}\n"


def test_every_option_has_a_help_line():
    parser = build_parser()
    subparsers = next(action for action in parser._actions if action.dest == "command")
    for name, sub in [("digitboard", parser), *subparsers.choices.items()]:
        assert sub.description, name
        for action in sub._actions:
            assert action.help or action.dest == "command", (name, action.dest)
