"""The API: `POST /api/read` takes one session and answers what `digitboard replay` prints for
it, without the `session` field; a session may carry the user's examples (`"examples"`), read
as `digitboard replay --profile` reads a profile's. Nothing is kept between requests and nothing
is written."""

from __future__ import annotations

import json
import time

import numpy as np
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from digitboard.core.actions import Correct, Delete
from digitboard.profile.examples import Example
from digitboard.recognition.preprocess import STROKE_WIDTH
from digitboard.sessions.files import decode_session_bytes
from digitboard.sessions.format import Session, SessionError, parse_action, parse_session
from digitboard.sessions.replay import replay_session
from digitboard.web.memo import DrawingMemo
from digitboard.web.responses import json_response

# What a request's body is called in error messages, as replay names a file: its errors read as
# replay's for a file `session` of the same bytes ("session:1: field 'size': ...").
WHERE = "session"
AT = f"{WHERE}:1"
blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.post("/read")
def read() -> Response:
    started = time.perf_counter()
    config = current_app.config["DIGITBOARD"]
    body = request_body(current_app.config["MAX_CONTENT_LENGTH"])  # a body too large is a 413 whatever its type
    if not request.is_json:  # a form or text/plain is not a session, whatever its bytes
        raise UnsupportedMediaType(f"{WHERE}: send the session as JSON (Content-Type: application/json)")
    session, examples = request_from_body(body, config)
    # Like `digitboard replay --profile` with the user's examples (none: a fresh profile): the
    # session's own corrections and the digits let stand in it teach the rest of it.
    extensions = current_app.extensions
    result = replay_session(session, extensions["digitboard.recognition.recognizer"], examples=examples,
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
        # A chunked body that the server streams: reading one byte past the limit tells a body
        # over it from one just at it.
        body = request.environ["wsgi.input"].read(limit + 1)
    else:
        try:
            body = request.get_data(cache=False)  # refuses a Content-Length over the limit unread
        except RequestEntityTooLarge:
            raise too_large from None
    if len(body) > limit:
        raise too_large
    return body


def request_from_body(body: bytes, config) -> tuple[Session, list[Example]]:
    """Decode and check one request: a session, with the user's examples if it carries them.
    BadRequest carries the one-line message replay would give for the same bytes. `config` is
    the application's digitboard.web.app.WebConfig (its bounds)."""
    try:
        data = decode_session_bytes(body, WHERE, config.limits)  # as replay decodes a .json file: same bytes, same errors
        examples = parse_examples(data.pop("examples", []), config.max_examples, config.max_example_points) \
            if isinstance(data, dict) else []
        session = parse_session(data, AT, config.limits)
        check_request_work(session, config.max_board_side, config.max_corrections)
    except SessionError as error:
        raise BadRequest(str(error)) from None
    return session, examples


def check_request_work(session: Session, max_board_side: int, max_corrections: int) -> None:
    """Refuse what replay would read but a web worker should not spend long on."""
    width, height = session.size
    if width > max_board_side or height > max_board_side:
        raise SessionError(f"{AT}: field 'size': a board of {width} x {height} pixels; "
                           f"the web board reads boards of at most {max_board_side:,} pixels a side")
    edits = sum(isinstance(action, (Correct, Delete)) for action in session.actions)
    if edits > max_corrections:
        raise SessionError(f"{AT}: field 'actions': too many corrections and deletions "
                           f"({edits:,}; at most {max_corrections:,})")


def parse_examples(value, max_examples: int, max_points: int) -> list[Example]:
    """The user's examples: `[{"label": 7, "strokes": [[[x, y], ...], ...]}, ...]`, at most
    `max_examples` of at most `max_points` points each."""
    if not isinstance(value, list):
        raise SessionError(f"{AT}: field 'examples': expected a list of {{\"label\": 7, \"strokes\": [...]}}")
    if len(value) > max_examples:
        raise SessionError(f"{AT}: field 'examples': too many examples ({len(value):,}; at most {max_examples})")
    drawings: DrawingMemo = current_app.extensions["digitboard.drawings"]
    examples = []
    for index, item in enumerate(value):
        name = f"examples[{index}]"
        if not isinstance(item, dict) or set(item) != {"label", "strokes"}:
            raise SessionError(f"{AT}: field {name!r}: expected {{\"label\": 7, \"strokes\": [[[x, y], ...], ...]}}")
        label = item["label"]
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
            raise SessionError(f"{AT}: field '{name}.label': expected a digit 0 to 9, got {json.dumps(label)[:20]}")
        if not isinstance(item["strokes"], list) or not item["strokes"]:
            raise SessionError(f"{AT}: field '{name}.strokes': expected a non-empty list of strokes")
        strokes = [parse_action({"stroke": stroke}, AT, f"{name}.strokes[{number}]")
                   for number, stroke in enumerate(item["strokes"])]
        points = sum(len(stroke.points) for stroke in strokes)
        if points > max_points:
            raise SessionError(f"{AT}: field '{name}.strokes': too many points ({points:,}; "
                               f"at most {max_points:,} in one example)")
        arrays = [np.asarray(stroke.points, np.float64) for stroke in strokes]  # (n, 2) each
        image, _ = drawings.model_input(arrays, STROKE_WIDTH)  # a profile's example renders the same
        examples.append(Example(label, arrays, image))
    return examples
