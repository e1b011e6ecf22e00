"""`digitboard`'s entry point: parse the command line, run the command's handler, and turn what
goes wrong for the user into one line on standard error and an exit status."""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

from digitboard import TRAIN_EXTRA_HINT, needs_training_extra
from digitboard.cli.parser import build_parser
from digitboard.cli.reporting import report_to_standard_error
from digitboard.cli.signals import interrupted_status


def main(argv: list[str] | None = None) -> int:
    """Run `digitboard` with `argv` (default: the process's arguments); the exit status."""
    report_to_standard_error()
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    try:
        return args.handler(args)
    except ImportError as error:
        if not needs_training_extra(error):
            raise
        command = f"digitboard {args.command}" if args.command else "digitboard"
        print(f"digitboard: `{command}` needs TensorFlow here, which this install leaves out: {TRAIN_EXTRA_HINT}",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`digitboard replay ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 1
    except (OSError, ValueError) as error:
        print(f"digitboard: {' '.join(str(error).split())}", file=sys.stderr)  # one line, always
        return 2
    except KeyboardInterrupt as interrupt:
        return interrupted_status(interrupt)


def run() -> NoReturn:
    """The process's entry point (the `digitboard` script, `python -m digitboard`): `main`, its
    status the process's exit status. A command stopped by SIGTERM or Ctrl+C once TensorFlow has
    started ends without the interpreter's teardown: its clean-up has run by then, and TensorFlow's
    native threads, still at work, could abort the teardown ("terminate called without an active
    exception", exit 134 instead of 143 or 130; 1 training run in 12 stopped by SIGTERM)."""
    status = main()
    if status in (128 + signal.SIGINT, 128 + signal.SIGTERM) and "tensorflow" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
