"""The web board's application factory, its configuration and the answers every route shares
(JSON bodies, JSON errors, security headers)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from digitboard import DEFAULT_MODEL
from digitboard.recognition.recognizer import Recognizer, load_recognizer
from digitboard.sessions.format import COORDINATE_LIMIT, Limits
from digitboard.web.api import blueprint as api_blueprint
from digitboard.web.costs import ClientCosts, record_costs
from digitboard.web.memo import DrawingMemo, MemoRecognizer
from digitboard.web.page import blueprint as page_blueprint
from digitboard.web.responses import http_error, unexpected_error

# A request body over 256 KiB is refused with 413: the largest a page sends (64 actions of 4,000
# timed points, 20 examples) is under 170 KiB, and a body the bounds refuse costs its decoding.
MAX_BODY_BYTES = 256 * 1024
# The most one request may hold, so that no request keeps a worker busy for long: the costliest
# request within them is measured by benchmarks/web_worst.py (docs/web.md, Bounds). The page
# starts its session afresh from the strokes on the board long before it reaches them.
# 64 strokes: a board of some 40 digits. The page sends each stroke within half a pixel of the
# pen's path (static/simplify.js), some 30 to 60 points a digit whatever the device, so the
# strokes bound the board before the points do. The page starts afresh at half of each.
WEB_LIMITS = Limits(actions=64, points=4_000)
MAX_CORRECTIONS = 10  # corrections and deletions in one session: each one reads the board and learns
MAX_EXAMPLES = 20  # the user's own examples a request reads (the page keeps 200, sends the newest 20)
EXAMPLES_REFUSED = 2 * MAX_EXAMPLES  # more is no page's request: refused before any is decoded
MAX_EXAMPLE_POINTS = 100  # points in one example, all its strokes together: the page resamples to fit
MAX_BOARD_SIDE = COORDINATE_LIMIT  # a board's width or height, in pixels, as far as a point may lie

# No inline script or style, nothing from another origin, and never shown inside a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}



@dataclass(frozen=True)
class WebConfig:
    """Everything the web board can be told, with its defaults; the CLI and tests build one."""

    model: Path = DEFAULT_MODEL
    host: str = "127.0.0.1"  # localhost unless told otherwise
    port: int = 8000
    # Threads answering requests of small bodies; one more answers large ones (digitboard.web.lanes).
    # Two answered the most one-digit boards from 16 clients (docs/web.md): more only take turns.
    threads: int = 2
    # Processes: one is waitress, which no slow client can hold up; more run under gunicorn's
    # arbiter, behind nginx (docs/web.md, Serving more people).
    workers: int = 1
    # A body of more is a heavy request, answered in a lane of its own: a board of some 20 digits, or
    # 10 with the user's examples, is lighter (the page sends strokes simplified, some 30 to 60 points
    # a digit); a board near the bounds, with its examples, is not.
    heavy_bytes: int = 16 * 1024
    max_body_bytes: int = MAX_BODY_BYTES
    limits: Limits = WEB_LIMITS
    max_corrections: int = MAX_CORRECTIONS
    max_examples: int = MAX_EXAMPLES
    examples_refused: int = EXAMPLES_REFUSED
    max_example_points: int = MAX_EXAMPLE_POINTS
    max_board_side: int = MAX_BOARD_SIDE

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", Path(self.model))
        if not 0 <= self.port <= 65535:
            raise ValueError(f"--port {self.port}: expected a port number from 0 to 65535")
        if not 1 <= self.threads <= 256:
            raise ValueError(f"--threads {self.threads}: expected 1 to 256 threads")
        if self.heavy_bytes < 0:
            raise ValueError(f"heavy_bytes {self.heavy_bytes}: expected a number of bytes")
        if not 1 <= self.workers <= 64:
            raise ValueError(f"--workers {self.workers}: expected 1 to 64 worker processes")


def create_app(config: WebConfig | None = None, recognizer: Recognizer | None = None) -> Flask:
    """Build the web board's application; the model is loaded here, once, unless handed in.

    `digitboard serve` calls this; so can any WSGI server, e.g. `waitress-serve --call digitboard.web:create_app`.
    """
    config = config or WebConfig()
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=config.max_body_bytes, DIGITBOARD=config)
    # Recognisers are safe to share between threads (ONNX Runtime's run() is); one per process.
    # The page posts the whole board after every stroke: each drawing is read once.
    recognizer = MemoRecognizer(recognizer or load_recognizer(config.model))
    app.extensions["digitboard.recognition.recognizer"] = recognizer
    app.extensions["digitboard.drawings"] = DrawingMemo()
    app.extensions["digitboard.client_costs"] = costs = ClientCosts()  # for the server's lanes
    record_costs(app, costs)

    app.register_blueprint(page_blueprint)
    app.register_blueprint(api_blueprint)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
    app.after_request(_add_security_headers)
    return app


def _add_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if request.path.startswith("/api/"):  # an answer is about one request's drawing: never cached
        response.headers["Cache-Control"] = "no-store"
    return response


def cannot_listen(host: str, port: int, error: OSError) -> OSError:
    """The one-line error for an address the board cannot listen on."""
    return OSError(f"cannot listen on {host} port {port} ({error.strerror or error})")


def board_url(host: str, port: int) -> str:
    """The page's address for a listening host and port (an IPv6 host in brackets)."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"
