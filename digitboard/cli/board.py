"""`digitboard` without a command: the board in a window, configured by a BoardConfig."""

from __future__ import annotations

import argparse
import dataclasses

from digitboard.window.config import BoardConfig


def board_config(args: argparse.Namespace) -> BoardConfig:
    """The BoardConfig the options ask for; the parser gives every field a value (its default
    unless given)."""
    return BoardConfig(**{field.name: getattr(args, field.name) for field in dataclasses.fields(BoardConfig)})


def run_board_command(args: argparse.Namespace) -> int:
    config = board_config(args)  # a contradiction is refused before pygame loads
    from digitboard.window.app import run_board

    return run_board(config)
