"""One voice to the user: the package's loggers' warnings on standard error, one line each, in the
same form as the commands' own messages."""

from __future__ import annotations

import logging
import sys


class _ToStandardError(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a message comes (a test may have swapped it)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def report_to_standard_error() -> None:
    """Show what the package's modules say the user should hear of (their "digitboard" loggers'
    warnings) on standard error, one line each, as the commands' own messages are."""
    logger = logging.getLogger("digitboard")
    if not any(isinstance(handler, _ToStandardError) for handler in logger.handlers):
        handler = _ToStandardError()
        handler.setFormatter(logging.Formatter("digitboard: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False  # said once, whatever the root logger does (serve configures it)
    logger.setLevel(logging.WARNING)
