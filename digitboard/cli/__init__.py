"""The `digitboard` command: the board (no command), `train`, `export`, `replay`, `serve` and
`profile`. The parser is declared in `parser`, each command's handler lives in a module named for
it, and `dispatch.main` runs the one asked for; `reporting` and `signals` serve them all."""

from __future__ import annotations

from digitboard.cli.dispatch import main
from digitboard.cli.parser import build_parser
from digitboard.cli.reporting import report_to_standard_error
from digitboard.cli.signals import Terminated, sigterm_as_interrupt

__all__ = ["Terminated", "build_parser", "main", "report_to_standard_error", "sigterm_as_interrupt"]
