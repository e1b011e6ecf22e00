"""The API: `POST /api/read` takes one session and answers what `digitboard replay` prints for
it, without the `session` field. Nothing is kept between requests and nothing is written."""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from digitboard.sessions.format import Session, SessionError, parse_session
from digitboard.sessions.replay import replay_session
from digitboard.web.responses import json_response

# What a request's session is called in error messages: "session: field 'size': ...".
WHERE = "session"
blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.post("/read")
def read() -> Response:
    started = time.perf_counter()
    session = session_from_body(request_body(current_app.config["MAX_CONTENT_LENGTH"]))
    # Like `digitboard replay` without a profile: the session's own corrections and the digits
    # let stand in it teach the rest of it.
    extensions = current_app.extensions
    result = replay_session(session, extensions["digitboard.recognition.recognizer"], examples=(),
                            model_inputs=extensions["digitboard.drawings"])
    result.pop("session")
    response = json_response(result)
    # The server's own time, for the load benchmark and for the browser's network panel.
    response.headers["Server-Timing"] = f"read;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response


def request_body(limit: int) -> bytes:
    """The request's body; RequestEntityTooLarge if it is over `limit` bytes."""
    too_large = RequestEntityTooLarge(f"{WHERE}: the request body is over {limit:,} bytes; a session is far smaller")
    if request.content_length is None and request.environ.get("wsgi.input_terminated"):
        # A chunked body that the server streams (gunicorn does; waitress gives a length):
        # reading one byte past the limit tells a body over it from one just at it.
        body = request.environ["wsgi.input"].read(limit + 1)
    else:
        try:
            body = request.get_data(cache=False)  # refuses a Content-Length over the limit unread
        except RequestEntityTooLarge:
            raise too_large from None
    if len(body) > limit:
        raise too_large
    return body


def session_from_body(body: bytes) -> Session:
    """Decode and check one session; BadRequest carries the one-line message replay would give."""
    try:
        data = json.loads(body)  # bytes: UTF-8, -16 or -32, detected as the JSON standard says
    except json.JSONDecodeError as error:
        raise BadRequest(f"{WHERE}: not valid JSON ({error.msg} at line {error.lineno} column {error.colno})") from None
    except UnicodeDecodeError:
        raise BadRequest(f"{WHERE}: not UTF-8 text; a session is JSON") from None
    except RecursionError:
        raise BadRequest(f"{WHERE}: JSON nested too deeply to be a session") from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise BadRequest(f"{WHERE}: not a usable JSON value ({str(error).split(':')[0]})") from None
    try:
        session = parse_session(data, WHERE, current_app.config["DIGITBOARD"].limits)
    except SessionError as error:
        raise BadRequest(str(error)) from None
    return session

