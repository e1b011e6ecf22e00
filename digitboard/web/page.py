"""The page: one HTML document; its script and style are static files beside it. The rules the
page shares with the desktop board and the server (the key table, the tap rule, the bounds on
a request) are Python's, handed to the page as JSON in the document, never written twice."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from digitboard.core.chooser import CLICK_REACH
from digitboard.core.keys import COMMANDS

blueprint = Blueprint("page", __name__)

STORED_EXAMPLES = 200  # corrections the page keeps in the browser (it sends the newest max_examples)
STROKE_TOLERANCE = 0.5  # CSS pixels: how far from the pen's path a stroke the page sends may pass


def page_rules(config) -> dict:
    """What the page must do as the board does and the server allows; `config` is the WebConfig."""
    return {
        "maxActions": config.limits.actions,
        "maxPoints": config.limits.points,
        "maxCorrections": config.max_corrections,
        "maxExamples": config.max_examples,
        "maxExamplePoints": config.max_example_points,
        "storedExamples": STORED_EXAMPLES,
        # The desktop board's click (digitboard.core.chooser.is_click): a press whose points stay
        # within this many pixels of where it began is a tap; one that goes further is a stroke.
        "clickReach": CLICK_REACH,
        # A stroke keeps only the points it needs to stay within this many pixels of the pen's
        # path (static/simplify.js): below what the eye, the rendering or the grouping tells apart.
        "strokeTolerance": STROKE_TOLERANCE,
        # The desktop board's keys (digitboard.core.keys): key name -> command.
        "keys": {key: command.value for key, command in COMMANDS.items()},
    }


@blueprint.get("/")
def board() -> str:
    return render_template("board.html", rules=page_rules(current_app.config["DIGITBOARD"]))
