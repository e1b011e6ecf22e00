"""The `digitboard` command: the board (no command), `train`, `export`, `replay`, `serve` and
`profile`. The parser is declared in `parser`, each command's handler lives in a module named for
it, and `dispatch.main` runs the one asked for (`dispatch.run` as the process's entry point); `reporting` and `signals` serve them all."""

from __future__ import annotations

from digitboard.cli.dispatch import main, run
from digitboard.cli.parser import build_parser
from digitboard.cli.reporting import report_to_standard_error
from digitboard.cli.signals import Terminated, sigterm_as_interrupt

__all__ = ["Terminated", "build_parser", "main", "report_to_standard_error", "run", "sigterm_as_interrupt"]
