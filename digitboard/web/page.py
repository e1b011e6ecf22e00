"""The page: one HTML document; its script and style are static files beside it."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from digitboard.core.chooser import CLICK_REACH

blueprint = Blueprint("page", __name__)


@blueprint.get("/")
def board() -> str:
    config = current_app.config["DIGITBOARD"]
    # The desktop board's click, so that one press is a tap or a stroke alike in both.
    return render_template("board.html", limits=config.limits, max_examples=config.max_examples,
                           click_reach=CLICK_REACH)
