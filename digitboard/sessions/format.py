"""Sessions: the record and replay format (docs/session-format.md), as values.

A session is `{"size": [w, h], "actions": [{"stroke": [[x, y(, ms)], ...]} | {"key": "n"}, ...]}`,
or `{"size": ..., "strokes": [[[x, y], ...], ...]}` for strokes only. A recording in JSON lines is
a header `{"size": [w, h], "recording": 1}` and then one action a line. This module checks decoded
JSON into the board's own action values (digitboard.core.actions) and writes them back, also one
element of a list at a time as a long line is read. Decoding JSON is digitboard.sessions.stream,
reading files digitboard.sessions.files, recording digitboard.sessions.recording.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from digitboard.core.actions import Action, Correct, Delete, Forget, Stroke
from digitboard.core.keys import session_keys

# Keys a session may press, and the action each stands for (digitboard.core.keys); an action is
# written as its first key.
KEYS: dict[str, Action] = session_keys()
KEY_OF = {type(action): key for key, action in reversed(KEYS.items())}
# Points may lie outside the window (a live stroke can leave it), but not absurdly far: a million
# pixels is beyond any screen and keeps every box and image computation in exact integers.
COORDINATE_LIMIT = 1_000_000


@dataclass(frozen=True)
class Limits:
    """The most a session may hold; a web server passes tighter ones than replay's. A session
    within them costs at most about 300 bytes an action and 150 a point once parsed
    (docs/session-format.md), so these bound replay's memory whatever the file holds."""

    actions: int = 1_000_000
    points: int = 2_000_000  # over all strokes: ten times a long evening of handwriting


REPLAY_LIMITS = Limits()


class SessionError(ValueError):
    """A session file that cannot be replayed; the message names the file, line and field."""


@dataclass
class Session:
    size: tuple[int, int]
    actions: list[Action] = field(default_factory=list)
    name: str = ""  # "<file name>:<line number>"
    profile: dict | None = None  # the personal examples it was recorded with: {"examples", "ids", "digest"}

    @property
    def strokes(self) -> list[Stroke]:
        return [action for action in self.actions if isinstance(action, Stroke)]

    def to_json(self) -> dict:
        data = {"size": list(self.size), "actions": [action_to_json(action) for action in self.actions]}
        return data if self.profile is None else {**data, "profile": self.profile}


def action_to_json(action: Action) -> dict:
    """An action as the session format writes it."""
    if isinstance(action, Stroke):
        if action.times is None:
            return {"stroke": [[x, y] for x, y in action.points]}
        return {"stroke": [[x, y, t] for (x, y), t in zip(action.points, action.times)]}
    if isinstance(action, Correct):
        return {"correct": {"at": list(action.at), "label": action.label}}
    if isinstance(action, Delete):
        return {"delete": {"at": list(action.at)}}
    if isinstance(action, Forget):
        return {"forget": {"at": list(action.at)}}
    return {"key": KEY_OF[type(action)]}


def _fail(where: str, field_name: str, problem: str) -> SessionError:
    return SessionError(f"{where}: field {field_name!r}: {problem}")


def _number(value, where: str, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, field_name, f"expected a number, got {_excerpt(value, 40)}")
    if not abs(value) <= COORDINATE_LIMIT:  # also false for NaN and for ints too big for a float
        raise _fail(where, field_name, f"expected a finite number within ±{COORDINATE_LIMIT:,}, got {str(value)[:40]}")
    return float(value)


def _time(value, where: str, field_name: str, previous: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, field_name, f"expected a time in milliseconds, got {_excerpt(value, 40)}")
    try:
        time = float(value)
    except OverflowError:  # an int too big for a float
        time = float("inf")
    if not 0 <= time < float("inf"):
        raise _fail(where, field_name, f"expected a finite, non-negative time in milliseconds, got {str(value)[:40]}")
    if time < previous:
        raise _fail(where, field_name, f"time {str(value)[:40]} is earlier than the point before it ({previous:g})")
    return time


def _well_formed_stroke(value: list) -> Stroke | None:
    """A stroke whose points are all well formed, checked together by numpy (a request's
    strokes hold thousands of points); None for any other, which `_stroke` then checks point by
    point to name what is wrong. Accepts exactly what `_stroke` accepts."""
    width = len(value[0]) if type(value[0]) is list else 0
    if width not in (2, 3) or not all(type(point) is list and len(point) == width for point in value):
        return None
    if not {type(number) for point in value for number in point} <= {int, float}:  # bool is neither
        return None
    try:
        array = np.array(value, np.float64)  # (n, width)
    except (OverflowError, ValueError):  # an int too big for a float
        return None
    xy = array[:, :2]
    if not (np.abs(xy) <= COORDINATE_LIMIT).all():  # also false for NaN
        return None
    times = None
    if width == 3:
        times = array[:, 2]
        if not (np.isfinite(times).all() and times[0] >= 0 and (np.diff(times) >= 0).all()):
            return None
        times = tuple(times.tolist())
    # Tuples straight from two lists of floats: no list per point on the way (a long stroke's
    # points would otherwise be held three times over at once).
    return Stroke(tuple(zip(array[:, 0].tolist(), array[:, 1].tolist())), times)


def _stroke(value, where: str, field_name: str) -> Stroke:
    if isinstance(value, StreamedStroke) and value.dropped:
        raise _TooManyPoints(where, value.count, value.limit)
    if not isinstance(value, list) or not value:
        raise _fail(where, field_name, "expected a non-empty list of [x, y] points")
    if len(value) <= 8:  # numpy's set-up costs more than it saves on a few points
        return _stroke_point_by_point(value, where, field_name)
    return _well_formed_stroke(value) or _stroke_point_by_point(value, where, field_name)


def _stroke_point_by_point(value: list, where: str, field_name: str) -> Stroke:
    timed = isinstance(value[0], list) and len(value[0]) == 3
    points: list[tuple[float, float]] = []
    times: list[float] = []
    for index, point in enumerate(value):
        name = f"{field_name}[{index}]"
        if not isinstance(point, list) or len(point) not in (2, 3):
            raise _fail(where, name, "expected a point [x, y] or [x, y, milliseconds]")
        if (len(point) == 3) != timed:
            raise _fail(where, name, "every point of a stroke has a time [x, y, milliseconds], or none has")
        points.append((_number(point[0], where, name), _number(point[1], where, name)))
        if timed:
            times.append(_time(point[2], where, name, times[-1] if times else 0.0))
    return Stroke(tuple(points), tuple(times) if timed else None)


def _pointing(kind: str, value, where: str, field_name: str) -> Correct | Delete | Forget:
    """`{"at": [x, y], "label": 7}` for a correction, `{"at": [x, y]}` for a deletion or a forget."""
    fields = {"at", "label"} if kind == "correct" else {"at"}
    example = '{"at": [x, y], "label": 7}' if kind == "correct" else '{"at": [x, y]}'
    if not isinstance(value, dict) or set(value) != fields:
        raise _fail(where, field_name, f"expected {example}")
    at = value["at"]
    if not isinstance(at, list) or len(at) != 2:
        raise _fail(where, f"{field_name}.at", "expected a point [x, y]")
    point = (_number(at[0], where, f"{field_name}.at"), _number(at[1], where, f"{field_name}.at"))
    if kind == "delete":
        return Delete(point)
    if kind == "forget":
        return Forget(point)
    label = value["label"]
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
        raise _fail(where, f"{field_name}.label", f"expected a digit 0 to 9, got {_excerpt(label, 20)}")
    return Correct(point, label)


def check_limits(actions: int, points: int, limits: Limits, where: str, field_name: str) -> None:
    """Refuse a session holding more actions or points than `limits` allow."""
    if actions > limits.actions:
        raise _fail(where, field_name, f"too many actions ({actions:,}; at most {limits.actions:,})")
    if points > limits.points:
        raise _fail(where, field_name, f"too many points ({points:,}; at most {limits.points:,} in all strokes)")


def point_count(action: Action) -> int:
    return len(action.points) if isinstance(action, Stroke) else 0


def parse_action(value, where: str, field_name: str) -> Action:
    """Check one decoded action (stroke, key, correct or delete), named `field_name`."""
    if not isinstance(value, dict) or len(value) != 1:
        raise _fail(where, field_name, 'expected {"stroke": [...]}, {"key": "..."}, {"correct": {...}} or {"delete": {...}}')
    ((kind, content),) = value.items()
    if kind == "stroke":
        return _stroke(content, where, f"{field_name}.stroke")
    if kind == "key":
        if not isinstance(content, str) or content not in KEYS:
            raise _fail(where, f"{field_name}.key", f"unknown key {_excerpt(content, 20)}; known: {', '.join(KEYS)}")
        return KEYS[content]
    if kind in ("correct", "delete", "forget"):
        return _pointing(kind, content, where, f"{field_name}.{kind}")
    raise _fail(where, f"{field_name}.{kind}", "unknown action; use 'stroke', 'key', 'correct', 'delete' or 'forget'")


def _excerpt(value: object, length: int) -> str:
    """The start of a value's JSON for a message, however deep it is nested (a value nested a
    thousand levels deep once made the message itself fail)."""
    try:
        return json.dumps(value)[:length]
    except (RecursionError, ValueError):
        return f"a {type(value).__name__} nested too deeply to show"


def _size(data: dict, where: str) -> tuple[int, int]:
    size = data.get("size")
    if size is None:
        raise _fail(where, "size", "missing; give the board size as [width, height]")
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
        raise _fail(where, "size", f"expected [width, height] in positive whole pixels, got {_excerpt(size, 40)}")
    return size[0], size[1]


def parse_session(data, where: str, limits: Limits = REPLAY_LIMITS) -> Session:
    """Check one decoded session object; `where` ("file:line") goes into every error."""
    if not isinstance(data, dict):
        raise SessionError(f"{where}: expected a JSON object with 'size' and 'actions' or 'strokes'")
    unknown = set(data) - {"size", "actions", "strokes", "profile"}
    if unknown:
        raise _fail(where, sorted(unknown)[0], "unknown field; a session has 'size' and 'actions' or 'strokes'")
    size = _size(data, where)
    if "actions" not in data and "strokes" not in data:
        raise _fail(where, "actions", "missing; give 'actions', or 'strokes' for a session of strokes only")
    if "actions" in data and "strokes" in data:
        raise _fail(where, "strokes", "give either 'actions' or 'strokes', not both")
    field_name = "strokes" if "strokes" in data else "actions"
    listed = data[field_name]
    profile = _profile(data.get("profile"), where)  # whichever way the actions were read
    if isinstance(listed, ParsedActions):  # checked while its line was read
        return Session(size, listed.result(limits), where, profile)
    if not isinstance(listed, list):
        raise _fail(where, field_name, f"expected a list of {field_name}")
    if field_name == "strokes":
        actions: list[Action] = [_stroke(stroke, where, f"strokes[{i}]") for i, stroke in enumerate(listed)]
    else:
        actions = [parse_action(action, where, f"actions[{i}]") for i, action in enumerate(listed)]
    check_limits(len(actions), sum(map(point_count, actions)), limits, where, field_name)
    return Session(size, actions, where, profile)


# The layout version a recording's header carries; a reader refuses versions it does not know.
RECORDING_LAYOUT = 1


def recording_header(size: tuple[int, int], profile: dict | None = None) -> dict:
    """The first line of a recording in JSON lines; its actions follow, one a line. `profile`
    names the personal examples the board started from."""
    header = {"size": list(size), "recording": RECORDING_LAYOUT}
    return header if profile is None else {**header, "profile": profile}


PROFILE_IDS_LIMIT = 200_000  # a profile's examples, at most (digitboard.profile.store)


def _profile(value, where: str) -> dict | None:
    """`{"examples": n, "ids": [...], "digest": "..."}`: the examples a session was recorded with."""
    if value is None:
        return None
    if (not isinstance(value, dict) or set(value) != {"examples", "ids", "digest"}
            or not isinstance(value["ids"], list) or len(value["ids"]) > PROFILE_IDS_LIMIT
            or not all(isinstance(id, str) and 0 < len(id) <= 64 for id in value["ids"])
            or isinstance(value["examples"], bool) or value["examples"] != len(value["ids"]) or not isinstance(value["digest"], str) or len(value["digest"]) > 64):
        raise _fail(where, "profile", 'expected {"examples": n, "ids": [n example ids], "digest": "..."}')
    return value


def is_recording_header(data) -> bool:
    return isinstance(data, dict) and "recording" in data


def parse_recording_header(data: dict, where: str) -> Session:
    """Check a recording's header line; the session it starts, with no actions yet."""
    unknown = set(data) - {"size", "recording", "profile"}
    if unknown:
        raise _fail(where, sorted(unknown)[0], "unknown field; a recording's first line has 'size', 'recording' "
                                               "and maybe 'profile'")
    if data["recording"] != RECORDING_LAYOUT or isinstance(data["recording"], bool):
        raise _fail(where, "recording", f"unknown recording layout {_excerpt(data['recording'], 20)}; "
                                        f"this digitboard reads layout {RECORDING_LAYOUT}")
    return Session(_size(data, where), [], where, _profile(data.get("profile"), where))


class StreamedStroke(list):
    """A stroke's points as a long line is read (digitboard.sessions.stream), one at a time: kept
    (as decoded JSON, for `_stroke` to check) up to `limit` points in all, only counted past it."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.count = 0
        self.dropped = False

    def add(self, point) -> None:
        self.count += 1
        if self.count > self.limit:
            if not self.dropped:
                self.dropped = True
                self.clear()  # the memory back at once
        else:
            self.append(point)


class _TooManyPoints(SessionError):
    """A stroke alone holds more points than the limits allow (it was not kept whole)."""

    def __init__(self, where: str, points: int, limit: int) -> None:
        super().__init__(f"{where}: field 'actions': too many points ({points:,}; at most {limit:,} in all strokes)")
        self.points = points


class ParsedActions:
    """A session's "actions" or "strokes" list as a long line is read (digitboard.sessions.stream):
    each element checked into an action as soon as it is decoded, so the list is never held whole.

    A bad element, or the limits passed, stops the keeping and drops what was kept; the rest of
    the list is still read, to find a JSON error after it (which wins, as it does for
    json.loads), to check each element (the first bad one wins over the limits, as when the whole
    list was checked) and to count the actions and points the limits' message gives."""

    def __init__(self, field_name: str, where: str, limits: Limits) -> None:
        self.field_name = field_name
        self.where = where
        self.limits = limits
        self.actions: list[Action] = []
        self.count = 0
        self.points = 0
        self.problem: SessionError | None = None
        self.over_limits = False

    def points_left(self) -> int:
        """How many more points a stroke being read may keep."""
        return max(0, self.limits.points - self.points)

    def add(self, value) -> None:
        index, self.count = self.count, self.count + 1
        if self.problem is not None:
            self.points += _points_in(value, self.field_name)
            return
        try:
            if self.field_name == "strokes":
                action = _stroke(value, self.where, f"strokes[{index}]")
            else:
                action = parse_action(value, self.where, f"actions[{index}]")
        except _TooManyPoints as error:
            self.points += error.points
            self.over_limits, self.actions = True, []
            return
        except SessionError as error:
            self.problem, self.actions = error, []
            return
        self.points += point_count(action)
        if self.count > self.limits.actions or self.points > self.limits.points:
            self.over_limits, self.actions = True, []  # memory back at once; the checks and counts go on
        elif not self.over_limits:
            self.actions.append(action)

    def result(self, limits: Limits) -> list[Action]:
        """The actions, or the error: the first bad element's, else the limits' (of `limits`,
        which are those the list was read with or tighter)."""
        if self.problem is not None:
            raise self.problem
        check_limits(self.count, self.points, limits, self.where, self.field_name)
        return self.actions


def _points_in(value, field_name: str) -> int:
    """The points an element not checked (past a problem) would add, for the error's count."""
    if field_name == "actions":
        value = value.get("stroke") if isinstance(value, dict) and len(value) == 1 else None
    if isinstance(value, StreamedStroke):
        return value.count
    return len(value) if isinstance(value, list) else 0
