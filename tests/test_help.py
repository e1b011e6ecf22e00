"""`digitboard --help` and each command's: what it does first, options named by their meaning."""

from __future__ import annotations

import re

import pytest

from digitboard import __version__
from digitboard.cli import main

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
    words = set(re.findall(r"[\w']+", text.split("\n\n")[1]))  # the description
    assert {"CNN", "image", "path", "learns"} <= words  # the two models that read, and the learning
    for command in COMMANDS:  # each command listed with what it does
        assert re.search(rf"^ +{command} +\w", text, re.MULTILINE), command


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out == f"digitboard {__version__}\n"


def help_entries(text: str) -> dict[str, str]:
    """Each option, positional and command a help text lists, with what it says of it: an entry
    starts two (under COMMAND, four) spaces in; its description follows two spaces on, or on the
    lines below, indented further."""
    entries: dict[str, str] = {}
    names: list[str] = []
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent == 0:  # a blank line, a section's title, the epilog
            names = []
        elif indent <= 4:
            head, _, description = line.strip().partition("  ")
            names = [form.split()[0] for form in head.split(", ")]  # "-h, --help"; "--size W H" is "--size"
            entries.update(dict.fromkeys(names, description.strip()))
        else:
            entries.update({name: f"{entries[name]} {line.strip()}".strip() for name in names})
    return entries


@pytest.mark.parametrize("argv", [(), *((command,) for command in COMMANDS)])
def test_every_option_has_a_help_line(capsys, argv):
    text = help_text(capsys, *argv)
    usage = text.split("\n\n")[0]
    entries = help_entries(text)
    listed = set(re.findall(r"\[(--?[a-z][a-z-]*)", usage))
    assert listed and listed <= set(entries), listed - set(entries)
    without = [name for name, description in entries.items() if not description and name != "COMMAND"]
    assert not without, without


def test_the_help_entries_are_read_as_shown():
    """The reading above must be able to fail: an option without a help line is found."""
    text = ("usage: x [-h] [--long-option LONG_OPTION] [--bare]\n\noptions:\n"
            "  -h, --help            show this help\n  --long-option LONG_OPTION\n"
            "                        said on the next line\n  --bare\n")
    assert help_entries(text) == {"-h": "show this help", "--help": "show this help",
                                  "--long-option": "said on the next line", "--bare": ""}


@pytest.mark.parametrize("argv", [
    ["--no-such-option"],  # the top-level parser
    ["--size", "0", "480"],
    ["no-such-command"],
    ["serve", "--port", "eighty"],
    ["profile", "--forget"],
    ["replay"],
    ["train", "--epochs", "many"],
    ["export", "a.keras", "b.keras"],
])
def test_every_parser_reports_a_bad_argument_on_one_line(capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.count("\n") == 1 and err.startswith("digitboard") and err.endswith("--help)\n"), err
