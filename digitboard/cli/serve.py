"""`digitboard serve`: the web board (digitboard.web), configured by its WebConfig."""

from __future__ import annotations

import argparse
import dataclasses


class WebDefault:
    """A `serve` option's default, read from WebConfig (where it is stated) only when shown or
    used: importing the web board (Flask) would cost every other command's start-up."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        from digitboard.web.app import WebConfig

        return str(getattr(WebConfig(), self.name))


def run_serve_command(args: argparse.Namespace) -> int:
    from digitboard.web.app import WebConfig
    from digitboard.web.server import run_serve

    fields = {field.name for field in dataclasses.fields(WebConfig)}
    options = {name: value for name, value in vars(args).items() if name in fields and not isinstance(value, WebDefault)}
    return run_serve(WebConfig(**options))
