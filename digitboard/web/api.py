"""The API: `POST /api/read` takes one session and answers what `digitboard replay
--corrections-only` prints for it, without the `session` field, and with the examples its
corrections taught (`"learned"`, digitboard.web.learning); a session may carry the user's examples
(`"examples"`), read as `digitboard replay --profile` reads a profile's. Nothing is kept between
requests and nothing is written.

Every request's cost is bounded by what it asks for: its shape (actions, points, examples) is
counted on the fast, C-decoded JSON before any action is parsed, so a body over the bounds is
refused in milliseconds, whatever it holds (docs/web.md, Bounds). An example the server cannot
take is left out, with a note in the answer, so that one stored example never makes the page's
every request fail."""

from __future__ import annotations

import json
import time

import numpy as np
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from digitboard.core.actions import Correct, Delete, Stroke
from digitboard.profile.examples import Example
from digitboard.recognition.preprocess import STROKE_WIDTH
from digitboard.sessions.files import decode_session_bytes
from digitboard.sessions.format import Session, SessionError, check_limits, parse_action, parse_session
from digitboard.sessions.stream import decode_json
from digitboard.web.learning import read_session
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
    session, examples, notes = request_from_body(body, config)
    # Like `digitboard replay --corrections-only --profile` with the user's examples (none: a
    # fresh profile): the session's own corrections teach the rest of it, as the page keeps them.
    extensions = current_app.extensions
    result = read_session(session, extensions["digitboard.recognition.recognizer"], examples,
                          extensions["digitboard.drawings"], config.max_example_points)
    result.pop("session")
    if notes:
        result["notes"] = notes  # only when an example was left out: otherwise replay's answer exactly
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


def request_from_body(body: bytes, config) -> tuple[Session, list[Example], list[str]]:
    """Decode and check one request: a session, with the user's examples if it carries them, and
    notes on the examples left out. BadRequest carries the one-line message replay would give for
    the same bytes. `config` is the application's digitboard.web.app.WebConfig (its bounds)."""
    try:
        check_shape(body, config)
        # As replay decodes a .json file: same bytes, same errors. check_shape has bounded what the
        # body holds, so it is decoded whole, by the json module (streaming costs Python work an event).
        data = decode_session_bytes(body, WHERE, config.limits, whole_text=len(body))
        examples, notes = parse_examples(data.pop("examples", []), config.max_examples, config.max_example_points) \
            if isinstance(data, dict) else ([], [])
        session = parse_session(data, AT, config.limits)
        check_request_work(session, config.max_board_side, config.max_corrections)
    except SessionError as error:
        raise BadRequest(str(error)) from None
    return session, examples, notes


def check_shape(body: bytes, config) -> None:
    """Refuse a body whose actions or points are over the bounds, counted on json.loads' objects
    (C, a few milliseconds a megabyte) before the checked decoding, which is exact but costs
    Python work for every action (a megabyte of key presses took seconds). A body json.loads
    cannot read gets the error replay's decoding gives, from the same fast decoder."""
    body = body.removeprefix(b"\xef\xbb\xbf")  # UTF-8's byte-order mark, which replay's decoding takes
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        return  # replay's decoding says which encoding it is, at once
    except (ValueError, RecursionError):
        decode_json(body.decode("utf-8", errors="replace"), WHERE)  # raises replay's message for the same bytes
        return
    if not isinstance(data, dict):
        return
    examples = data.get("examples")
    if isinstance(examples, list) and len(examples) > config.examples_refused:  # decoding them all would cost more than reading
        raise SessionError(f"{AT}: field 'examples': too many examples ({len(examples):,}; the newest "
                           f"{config.max_examples} are read, and more than {config.examples_refused} are refused)")
    field = "strokes" if "strokes" in data and "actions" not in data else "actions"
    listed = data.get(field)
    if isinstance(listed, list):
        check_limits(len(listed), 0, config.limits, AT, field)  # the actions first: their count alone is cheap
        strokes = listed if field == "strokes" else [action.get("stroke") for action in listed if isinstance(action, dict)]
        points = sum(len(stroke) for stroke in strokes if isinstance(stroke, list))
        check_limits(len(listed), points, config.limits, AT, field)


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


def parse_examples(value, max_examples: int, max_points: int) -> tuple[list[Example], list[str]]:
    """The user's examples: `[{"label": 7, "strokes": [[[x, y], ...], ...]}, ...]`, the newest
    (last) `max_examples` of at most `max_points` points each, and a note for each one left out:
    a wrong example is the page's stored copy gone bad, and must not refuse the drawing it came with."""
    if not isinstance(value, list):
        raise SessionError(f"{AT}: field 'examples': expected a list of {{\"label\": 7, \"strokes\": [...]}}")
    notes = []
    first = max(0, len(value) - max_examples)
    if first:
        notes.append(f"{AT}: field 'examples': {len(value):,} examples, at most {max_examples:,} a request; "
                     f"the first {first:,} left out")
    drawings: DrawingMemo = current_app.extensions["digitboard.drawings"]
    examples = []
    for index in range(first, len(value)):
        try:
            label, strokes = parse_example(value[index], f"examples[{index}]", max_points)
        except SessionError as error:
            notes.append(f"{error}; left out")
            continue
        arrays = [np.asarray(stroke.points, np.float64) for stroke in strokes]  # (n, 2) each
        image, _ = drawings.model_input(arrays, STROKE_WIDTH)  # a profile's example renders the same
        examples.append(Example(label, arrays, image))
    return examples, notes


def parse_example(item, name: str, max_points: int) -> tuple[int, list[Stroke]]:
    """One example's label and strokes; SessionError naming the field if it is wrong."""
    if not isinstance(item, dict) or set(item) != {"label", "strokes"}:
        raise SessionError(f"{AT}: field {name!r}: expected {{\"label\": 7, \"strokes\": [[[x, y], ...], ...]}}")
    label = item["label"]
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
        raise SessionError(f"{AT}: field '{name}.label': expected a digit 0 to 9, got {json.dumps(label)[:20]}")
    if not isinstance(item["strokes"], list) or not item["strokes"]:
        raise SessionError(f"{AT}: field '{name}.strokes': expected a non-empty list of strokes")
    points = sum(len(stroke) if isinstance(stroke, list) else 1 for stroke in item["strokes"])
    if points > max_points:  # counted before any point is checked
        raise SessionError(f"{AT}: field '{name}.strokes': too many points ({points:,}; "
                           f"at most {max_points:,} in one example)")
    strokes = [parse_action({"stroke": stroke}, AT, f"{name}.strokes[{number}]")
               for number, stroke in enumerate(item["strokes"])]
    return label, strokes
