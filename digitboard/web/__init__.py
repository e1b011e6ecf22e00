"""The web board: a Flask application that reads a drawn session exactly as `digitboard replay`
does. The server keeps no state between requests; the page sends its whole session each time.

Layout as in Flask's tutorial: this application factory, routes in `page.py` and `api.py`,
`templates/` and `static/` beside them, and `server.py` to run it on a production WSGI server.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException, InternalServerError

from digitboard import DEFAULT_MODEL
from digitboard.memo import DrawingMemo, MemoRecognizer
from digitboard.recognizer import Recognizer, load_recognizer
from digitboard.session import Limits

MAX_BODY_BYTES = 1024 * 1024  # a request body over 1 MiB is refused with 413
# The most one request's session may hold, so that no request keeps a worker busy for long (the
# slowest answers at these bounds are measured in docs/web.md). The page starts its session
# afresh from the strokes on the board long before it reaches them.
WEB_LIMITS = Limits(actions=500, points=50_000)

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

log = logging.getLogger(__name__)


def can_fork_workers() -> bool:
    """Whether gunicorn worker processes can run here: an OS that forks, and gunicorn installed."""
    import importlib.util

    return hasattr(os, "fork") and importlib.util.find_spec("gunicorn") is not None


def default_workers() -> int:
    """A worker a core where gunicorn runs, else one process (waitress)."""
    from digitboard.batches import usable_cores

    return min(usable_cores(), 64) if can_fork_workers() else 1


@dataclass(frozen=True)
class WebConfig:
    """Everything the web board can be told, with its defaults; the CLI and tests build one."""

    model: Path = DEFAULT_MODEL
    host: str = "127.0.0.1"  # localhost unless told otherwise
    port: int = 8000
    threads: int = 8  # requests a process answers at once; the model releases the GIL while it runs
    workers: int = 1  # processes (digitboard.web.workers); more than one runs gunicorn
    max_body_bytes: int = MAX_BODY_BYTES
    limits: Limits = WEB_LIMITS

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", Path(self.model))
        if not 0 <= self.port <= 65535:
            raise ValueError(f"--port {self.port}: expected a port number from 0 to 65535")
        if not 1 <= self.threads <= 256:
            raise ValueError(f"--threads {self.threads}: expected 1 to 256 threads")
        if not 1 <= self.workers <= 64:
            raise ValueError(f"--workers {self.workers}: expected 1 to 64 worker processes")
        if self.workers > 1 and not can_fork_workers():
            raise ValueError(f"--workers {self.workers}: more than one worker needs gunicorn, which runs "
                             "where processes fork (Linux, macOS); use --workers 1")


def create_app(config: WebConfig | None = None, recognizer: Recognizer | None = None) -> Flask:
    """Build the web board's application; the model is loaded here, once, unless handed in.

    `digitboard serve` calls this; so can any WSGI server: `gunicorn "digitboard.web:create_app()"`.
    """
    config = config or WebConfig()
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=config.max_body_bytes, DIGITBOARD=config)
    # Recognisers are safe to share between threads (ONNX Runtime's run() is); one per process.
    recognizer = recognizer or load_recognizer(config.model)
    if hasattr(recognizer, "embed_and_predict"):  # the page posts the board after every stroke
        recognizer = MemoRecognizer(recognizer)
    app.extensions["digitboard.recognizer"] = recognizer
    app.extensions["digitboard.drawings"] = DrawingMemo()

    from digitboard.web import api, page

    app.register_blueprint(page.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_add_security_headers)
    return app


def json_response(body: dict, status: int = 200) -> Response:
    """A JSON response with the keys in the order given (Flask's jsonify would sort them)."""
    return Response(json.dumps(body, sort_keys=False), status=status, mimetype="application/json")


def _http_error(error: HTTPException) -> Response:
    """Every error is a JSON object `{"error": "one line"}`, never an HTML page."""
    response = json_response({"error": error.description or error.name}, error.code or 500)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _unexpected_error(error: Exception) -> Response:
    log.exception("unexpected error while answering a request")
    return _http_error(InternalServerError("the server failed to read this session; the error is in its log"))


def _add_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response
