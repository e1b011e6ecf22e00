"""Decoding one session's JSON (a line of a session file, a `.json` file, a web request's body)
in memory bounded by the session limits, whatever the text holds (docs/session-format.md).

Text of up to 64 KiB is decoded whole by the standard json module. Longer text streams through
ijson's events: its "actions" or "strokes" list is built one element at a time, each element
checked into an action at once (digitboard.sessions.format.ParsedActions), and a stroke's
points past the limits are only counted; so a long line costs its text and what the limits
allow, not what it holds. Either way a user sees the same thing: the same session, or the same
one-line error; for text that is not JSON that is the standard json module's message, found (when
ijson refused the text) by json's own scanner, keeping nothing of what it decodes.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable, Iterator
from decimal import Decimal

import ijson

from digitboard.sessions.format import REPLAY_LIMITS, Limits, ParsedActions, SessionError, StreamedStroke

try:
    _EVENTS = ijson.get_backend("yajl2_c")  # ijson's C parser: about as fast as json.loads
except ImportError:
    # No compiled ijson for this platform: its pure-Python parser gives the same events, about 15
    # times slower, so long lines still stream in bounded memory.
    _EVENTS = ijson.get_backend("python")
_PYTHON_EVENTS = ijson.get_backend("python")

# Text up to this size is decoded whole: json.loads is fastest, and its memory is bounded by the size.
WHOLE_TEXT = 65_536
# Deeper than any session (an object, its actions, an action, a stroke, a point, a number) by far,
# and shallow enough for Python's own recursion limit, which stops json.loads near 1,000.
_DEEPEST = 500
# A JSON escape of half a surrogate pair: ijson's C parser turns a lone one into "?", so text
# holding one is read by its Python parser, which keeps it as json does.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
_STARTS = frozenset(("start_map", "start_array"))

Events = Iterator[tuple[str, object]]


class _DuplicateField(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _NestedTooDeeply(ValueError):
    pass


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict:
    # JSON parsers disagree on which of two equal keys wins; a session must not depend on that.
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        raise _DuplicateField(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return data


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> float:
    raise _NotJson  # NaN and Infinity are Python's, not JSON's: json's scanner below says where


def decode_json(text: str, where: str, first_line: int = 1):
    """Decode one JSON value of a session file whole; errors name the line where JSON went wrong.
    `where` is the file's name; `first_line` the line `text` starts on."""
    try:
        return json.loads(text, object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant)
    except _NotJson:
        raise _json_error(text, where, first_line) or SessionError(f"{where}:{first_line}: not valid JSON") from None
    except (ValueError, RecursionError) as error:
        raise _as_session_error(error, where, first_line) from None


def decode_session(data: bytes, where: str, first_line: int = 1, limits: Limits = REPLAY_LIMITS,
                   whole_text: int = WHOLE_TEXT):
    """The JSON value of one session's UTF-8 text `data` (no byte-order mark; UnicodeDecodeError
    if not UTF-8), with a top-level object's "actions" or "strokes" list checked into a
    ParsedActions (which parse_session takes as it is) when the text is longer than `whole_text`
    (a caller that has bounded what the text holds may decode more of it whole).
    Errors name `where`:`first_line`, or the line where the JSON went wrong."""
    text = data.decode("utf-8")
    if len(data) <= whole_text:
        return decode_json(text, where, first_line)
    del text  # checked; the bytes alone from here on
    if not _SURROGATE_ESCAPE.search(data):
        try:
            events = _EVENTS.basic_parse(_TextThenEnd(data), use_float=True, multiple_values=True)
            return _streamed(events, f"{where}:{first_line}", limits)
        except _DuplicateField as error:
            raise SessionError(f"{where}:{first_line}: field {error.name!r} appears twice in one object") from None
        except (ijson.JSONError, ValueError):  # the Python parser raises json's errors too
            pass
    # Not JSON, or JSON the C parser cannot hold (an integer beyond 64 bits, 1e400, half a
    # surrogate pair): json's scanner says which, and what json.loads would have said.
    _raise_json_error(data.decode("utf-8"), where, first_line)
    # JSON: read by the Python parser as json reads it (numbers of any size, as Decimal, then
    # float as json makes them; lone surrogates kept).
    events = ((event, float(value) if type(value) is Decimal else value)
              for event, value in _PYTHON_EVENTS.basic_parse(_TextThenEnd(data), multiple_values=True))
    try:
        return _streamed(events, f"{where}:{first_line}", limits)
    except (ijson.JSONError, ValueError) as error:  # never seen: json's scanner found nothing wrong
        said = str(error).splitlines()[0] if str(error) else "not one value"
        raise SessionError(f"{where}:{first_line}: not valid JSON ({said})") from None


# -- streaming through ijson's events ---------------------------------------------------------------
def _streamed(events: Events, where: str, limits: Limits):
    """The value of `events` (of the text, then _END): a top-level object built pair by pair,
    its "actions" or "strokes" list into a ParsedActions; any other top-level value, which
    cannot be a session, only read to its end (for the JSON errors after it) and given back empty."""
    event, value = next(events)
    if event == "start_map":
        value = _object(events, 1, limits.points, where, limits)
    elif event == "start_array":
        _skip(events)
        value = []
    after = next(events, None)  # None: the text held no value, and _END was taken for it
    if after != _END or next(events, None) is not None:
        raise _NotOneValue
    return value


class _NotOneValue(ValueError):
    """No value in the text, or more after it."""


# Read after the text, as one more JSON value. ijson's C parser lets a string left open at the
# very end of its input pass unseen (`{...} "abc`), which must be refused as anything after the
# value is; with " 0" after the text, such a string takes the 0 in, and the 0 never comes.
_END = ("number", 0)


class _TextThenEnd:
    """A file of `data`, then " 0" (_END), read by ijson without copying `data` whole."""

    def __init__(self, data: bytes) -> None:
        self._parts = [memoryview(data), memoryview(b" 0")]

    def read(self, size: int = -1) -> bytes:
        while self._parts and not self._parts[0]:
            self._parts.pop(0)
        if not self._parts:
            return b""
        part = self._parts[0]
        size = len(part) if size < 0 else size
        self._parts[0] = part[size:]
        return bytes(part[:size])


def _skip(events: Events) -> None:
    """Read to the end of the list just started, checking only how deep it is nested."""
    depth = 1
    for event, _ in events:
        if event in _STARTS:
            depth += 1
            if depth > _DEEPEST:
                raise _NestedTooDeeply
        elif event in ("end_array", "end_map"):
            depth -= 1
            if depth == 0:
                return


def _object(events: Events, depth: int, points_left: int, where: str = "", limits: Limits | None = None) -> dict:
    """The object just started: with `limits` (a line's object, at the top), its "actions" or
    "strokes" list read into a ParsedActions; its "stroke" (a recording's line, an action) read
    point by point into a StreamedStroke keeping at most `points_left` points."""
    pairs: list[tuple[str, object]] = []
    for event, key in events:
        if event == "end_map":
            return _object_without_duplicates(pairs)
        event, value = next(events)
        if limits is not None and key in ("actions", "strokes") and event == "start_array":
            value = _elements(events, ParsedActions(key, where, limits))  # type: ignore[arg-type]
        elif key == "stroke" and event == "start_array":
            value = _points(events, StreamedStroke(points_left))
        elif event in _STARTS:
            value = _value(events, event, value, depth + 1)
        pairs.append((key, value))  # type: ignore[arg-type]
    raise AssertionError("ijson ends an object it started, or raises")


def _elements(events: Events, parsed: ParsedActions) -> ParsedActions:
    """A session's list, each element handed to `parsed` as soon as it is built."""
    for event, value in events:
        if event == "end_array":
            return parsed
        if event == "start_array" and parsed.field_name == "strokes":
            value = _points(events, StreamedStroke(parsed.points_left()))
        elif event == "start_map" and parsed.field_name == "actions":
            value = _object(events, 3, parsed.points_left())
        elif event in _STARTS:
            value = _value(events, event, value, 3)
        parsed.add(value)
        del value  # not kept while the next is read
    raise AssertionError("ijson ends a list it started, or raises")


def _points(events: Events, stroke: StreamedStroke) -> StreamedStroke:
    for event, value in events:
        if event == "end_array":
            return stroke
        stroke.add(_value(events, event, value, 5) if event in _STARTS else value)
    raise AssertionError("ijson ends a list it started, or raises")


def _value(events: Events, event: str, value: object, depth: int) -> object:
    """The value that starts with `event`, built whole."""
    if depth > _DEEPEST:
        raise _NestedTooDeeply
    if event == "start_array":
        items: list = []
        for event, value in events:
            if event == "end_array":
                return items
            items.append(_value(events, event, value, depth + 1) if event in _STARTS else value)
    elif event == "start_map":
        pairs: list[tuple[str, object]] = []
        for event, key in events:
            if event == "end_map":
                return _object_without_duplicates(pairs)
            event, value = next(events)
            pairs.append((key, _value(events, event, value, depth + 1) if event in _STARTS else value))  # type: ignore[arg-type]
    return value


# -- the error json.loads gives, in bounded memory ------------------------------------------------
def _raise_json_error(text: str, where: str, first_line: int) -> None:
    """Raise the SessionError json.loads would give for `text`, if it gives one."""
    error = _json_error(text, where, first_line)
    if error is not None:
        raise error


def _json_error(text: str, where: str, first_line: int) -> SessionError | None:
    """json.loads' error for `text` (NaN and Infinity refused, a field twice refused), found by
    json's own scanner keeping nothing it decodes (a list becomes a list of None until it ends);
    None if there is none."""
    scan = _value_scanner()
    try:
        end = json.decoder.WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
        try:
            _, end = scan(text, end)
        except StopIteration as stop:
            raise json.JSONDecodeError("Expecting value", text, stop.value) from None
        end = json.decoder.WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
    except (ValueError, RecursionError) as error:
        return _as_session_error(error, where, first_line)
    return None


def _value_scanner() -> Callable[[str, int], tuple[None, int]]:
    """json's pure-Python scanner, with every value it decodes dropped once scanned."""
    def dropping(scan_once):
        def scan(text: str, index: int) -> tuple[None, int]:
            if text.startswith(("NaN", "Infinity", "-Infinity"), index):
                raise StopIteration(index)  # "Expecting value", as a strict JSON parser says
            return None, scan_once(text, index)[1]
        return scan

    class Context:
        strict = True
        object_hook = None
        parse_float = float
        parse_int = int  # refuses an integer of over 4,300 digits, as json.loads does
        parse_constant = float
        parse_string = staticmethod(json.decoder.scanstring)
        memo: dict = {}

        @staticmethod
        def object_pairs_hook(pairs):
            _object_without_duplicates(pairs)

        @staticmethod
        def parse_object(text_and_end, strict, scan_once, object_hook, object_pairs_hook, memo):
            return json.decoder.JSONObject(text_and_end, strict, dropping(scan_once), object_hook,
                                           object_pairs_hook, memo)

        @staticmethod
        def parse_array(text_and_end, scan_once):
            return None, json.decoder.JSONArray(text_and_end, dropping(scan_once))[1]

    return dropping(json.scanner.py_make_scanner(Context))


def _as_session_error(error: BaseException, where: str, first_line: int) -> SessionError:
    """What went wrong decoding JSON, as one SessionError naming the file and line."""
    if isinstance(error, json.JSONDecodeError):
        line = first_line + error.lineno - 1
        return SessionError(f"{where}:{line}: not valid JSON ({error.msg} at column {error.colno})")
    if isinstance(error, _DuplicateField):
        return SessionError(f"{where}:{first_line}: field {error.name!r} appears twice in one object")
    if isinstance(error, RecursionError):
        return SessionError(f"{where}:{first_line}: JSON nested too deeply to be a session")
    # an integer of more than 4,300 digits
    return SessionError(f"{where}:{first_line}: not valid JSON ({str(error).split(';')[0]})")
