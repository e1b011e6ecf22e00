"""The command line builds the configurations (BoardConfig, WebConfig) whose defaults are stated
once, in the dataclasses; it states none of its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from digitboard import DEFAULT_MODEL
from digitboard.cli import build_parser, main
from digitboard.cli.board import board_config
from digitboard.window.config import BoardConfig


def test_no_options_build_the_default_board():
    assert board_config(build_parser().parse_args([])) == BoardConfig()
    assert BoardConfig().model == DEFAULT_MODEL


def test_each_board_option_sets_its_field():
    args = build_parser().parse_args(["--model", "m.keras", "--size", "800", "600", "--record", "s.jsonl", "--force",
                                      "--save-dir", "pictures", "--corrections-only"])
    assert board_config(args) == BoardConfig(Path("m.keras"), (800, 600), Path("s.jsonl"), True, Path("pictures"),
                                             corrections_only=True)
    assert board_config(build_parser().parse_args(["--no-learning"])).learning is False
    assert board_config(build_parser().parse_args(["--corrections-only"])).learning_config.accepted_per_label == 0


def test_every_board_field_has_an_option():
    """A field added to BoardConfig without an option (or the reverse) would go unnoticed."""
    args = vars(build_parser().parse_args([]))
    assert {field.name for field in dataclasses.fields(BoardConfig)} <= set(args)


@pytest.mark.parametrize(("changes", "problem"), [
    ({"profile": "p.sqlite", "learning": False}, "--profile and --no-learning contradict"),
    ({"corrections_only": True, "learning": False}, "--corrections-only and --no-learning contradict"),
    ({"size": (0, 480)}, "--size 0 480"),
    ({"profile": ""}, "--profile: an empty path"),
    ({"record": ""}, "--record: an empty path"),
])
def test_a_board_config_refuses_what_cannot_work(changes, problem):
    with pytest.raises(ValueError, match=problem):
        BoardConfig(**changes)


def test_contradicting_board_options_are_one_line_before_any_window(capsys):
    assert main(["--no-learning", "--corrections-only"]) == 2
    assert capsys.readouterr().err == ("digitboard: --corrections-only and --no-learning contradict each other; "
                                       "give one\n")


def test_the_help_shows_the_board_configs_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    width, height = BoardConfig().size
    assert f"(default {width} {height};" in text and f"(default: ./{BoardConfig().save_dir})" in text


@pytest.fixture
def served(monkeypatch) -> list:
    """The WebConfigs `digitboard serve` would run, instead of running them."""
    from digitboard.web import server

    configs: list = []
    monkeypatch.setattr(server, "run_serve", lambda config: configs.append(config) or 0)
    return configs


def test_serve_takes_webconfigs_defaults(served, capsys):
    from digitboard.web.app import WebConfig

    assert main(["serve"]) == 0
    assert served == [WebConfig()]
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    defaults = WebConfig()
    assert f"(default: {defaults.host}," in text and f"(default: {defaults.port};" in text
    assert f"(default: {defaults.threads})" in text and f"default: {defaults.workers}, waitress" in text


def test_serve_options_set_webconfigs_fields(served):
    from digitboard.web.app import WebConfig

    assert main(["serve", "--model", "m.keras", "--host", "0.0.0.0", "--port", "0", "--threads", "2",
                 "--workers", "3"]) == 0
    assert main(["--model", "n.keras", "serve"]) == 0  # the model given before the command, as for replay
    assert served == [WebConfig(Path("m.keras"), "0.0.0.0", 0, 2, 3), WebConfig(Path("n.keras"))]


def test_options_given_before_the_command_apply_to_it():
    parser = build_parser()
    args = parser.parse_args(["--profile", "a.sqlite", "--no-learning", "replay", "f.jsonl"])
    assert (args.profile, args.learning) == ("a.sqlite", False)
    args = parser.parse_args(["--profile", "a.sqlite", "replay", "f.jsonl", "--profile", "b.sqlite"])
    assert args.profile == "b.sqlite"  # the command's own wins
    args = parser.parse_args(["--force", "profile", "--export", "x.sqlite"])
    assert args.force is True and parser.parse_args(["profile"]).force is False
