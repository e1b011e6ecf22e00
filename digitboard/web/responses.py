"""The answers every route shares: JSON bodies in the order given, and JSON errors."""

from __future__ import annotations

import logging

from flask import Response, json
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("digitboard.web")


def json_response(body: dict, status: int = 200) -> Response:
    """A JSON response with the keys in the order given (Flask's jsonify would sort them)."""
    return Response(json.dumps(body, sort_keys=False), status=status, mimetype="application/json")


def http_error(error: HTTPException) -> Response:
    """Every error is a JSON object `{"error": "one line"}`, never an HTML page."""
    response = json_response({"error": error.description or error.name}, error.code or 500)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def unexpected_error(error: Exception) -> Response:
    log.exception("unexpected error while answering a request")
    return http_error(InternalServerError("the server failed to read this session; the error is in its log"))
