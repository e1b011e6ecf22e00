"""Sessions: the record and replay format (documented in README.md), read and written.

A session is `{"size": [w, h], "actions": [{"stroke": [[x, y(, ms)], ...]} | {"key": "n"}, ...]}`,
or `{"size": ..., "strokes": [[[x, y], ...], ...]}` for strokes only. A `.json` file holds one
session; any other file holds one session a line (JSON lines) and is read as a stream. Actions
are read into the board's own action values (digitboard.actions) and written from them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from digitboard.actions import Action, Clear, Correct, Delete, Stroke, Undo

# Keys a session may press, and the action each stands for; an action is written as its first key.
KEYS: dict[str, Action] = {"n": Clear(), "ctrl+z": Undo(), "backspace": Undo()}
KEY_OF = {type(action): key for key, action in reversed(KEYS.items())}
# Points may lie outside the window (a live stroke can leave it), but not absurdly far: a million
# pixels is beyond any screen and keeps every box and image computation in exact integers.
COORDINATE_LIMIT = 1_000_000


@dataclass(frozen=True)
class Limits:
    """The most a session may hold; a web server passes tighter ones than replay's."""

    actions: int = 1_000_000
    points: int = 10_000_000  # over all strokes


REPLAY_LIMITS = Limits()


class SessionError(ValueError):
    """A session file that cannot be replayed; the message names the file, line and field."""


@dataclass
class Session:
    size: tuple[int, int]
    actions: list[Action] = field(default_factory=list)
    name: str = ""  # "<file name>:<line number>"

    @property
    def strokes(self) -> list[Stroke]:
        return [action for action in self.actions if isinstance(action, Stroke)]

    def to_json(self) -> dict:
        return {"size": list(self.size), "actions": [action_to_json(action) for action in self.actions]}


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
    return {"key": KEY_OF[type(action)]}


def _fail(where: str, field_name: str, problem: str) -> SessionError:
    return SessionError(f"{where}: field {field_name!r}: {problem}")


def _number(value, where: str, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, field_name, f"expected a number, got {json.dumps(value)[:40]}")
    if not abs(value) <= COORDINATE_LIMIT:  # also false for NaN and for ints too big for a float
        raise _fail(where, field_name, f"expected a finite number within ±{COORDINATE_LIMIT:,}, got {str(value)[:40]}")
    return float(value)


def _time(value, where: str, field_name: str, previous: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, field_name, f"expected a time in milliseconds, got {json.dumps(value)[:40]}")
    try:
        time = float(value)
    except OverflowError:  # an int too big for a float
        time = float("inf")
    if not 0 <= time < float("inf"):
        raise _fail(where, field_name, f"expected a finite, non-negative time in milliseconds, got {str(value)[:40]}")
    if time < previous:
        raise _fail(where, field_name, f"time {str(value)[:40]} is earlier than the point before it ({previous:g})")
    return time


def _stroke(value, where: str, field_name: str) -> Stroke:
    if not isinstance(value, list) or not value:
        raise _fail(where, field_name, "expected a non-empty list of [x, y] points")
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


def _pointing(kind: str, value, where: str, field_name: str) -> Correct | Delete:
    """`{"at": [x, y], "label": 7}` for a correction, `{"at": [x, y]}` for a deletion."""
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
    label = value["label"]
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
        raise _fail(where, f"{field_name}.label", f"expected a digit 0 to 9, got {json.dumps(label)[:20]}")
    return Correct(point, label)


def _check_limits(actions: list[Action], limits: Limits, where: str, field_name: str) -> None:
    if len(actions) > limits.actions:
        raise _fail(where, field_name, f"too many actions ({len(actions):,}; at most {limits.actions:,})")
    points = sum(len(action.points) for action in actions if isinstance(action, Stroke))
    if points > limits.points:
        raise _fail(where, field_name, f"too many points ({points:,}; at most {limits.points:,} in all strokes)")


def parse_session(data, where: str, limits: Limits = REPLAY_LIMITS) -> Session:
    """Check one decoded session object; `where` ("file:line") goes into every error."""
    if not isinstance(data, dict):
        raise SessionError(f"{where}: expected a JSON object with 'size' and 'actions' or 'strokes'")
    unknown = set(data) - {"size", "actions", "strokes"}
    if unknown:
        raise _fail(where, sorted(unknown)[0], "unknown field; a session has 'size' and 'actions' or 'strokes'")
    size = data.get("size")
    if size is None:
        raise _fail(where, "size", "missing; give the board size as [width, height]")
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
        raise _fail(where, "size", f"expected [width, height] in positive whole pixels, got {json.dumps(size)[:40]}")
    if "actions" not in data and "strokes" not in data:
        raise _fail(where, "actions", "missing; give 'actions', or 'strokes' for a session of strokes only")
    if "actions" in data and "strokes" in data:
        raise _fail(where, "strokes", "give either 'actions' or 'strokes', not both")
    actions: list[Action] = []
    if "strokes" in data:
        if not isinstance(data["strokes"], list):
            raise _fail(where, "strokes", "expected a list of strokes")
        actions = [_stroke(stroke, where, f"strokes[{i}]") for i, stroke in enumerate(data["strokes"])]
        _check_limits(actions, limits, where, "strokes")
    else:
        if not isinstance(data["actions"], list):
            raise _fail(where, "actions", "expected a list of actions")
        for index, action in enumerate(data["actions"]):
            name = f"actions[{index}]"
            if not isinstance(action, dict) or len(action) != 1:
                raise _fail(where, name, 'expected {"stroke": [...]}, {"key": "..."}, {"correct": {...}} or {"delete": {...}}')
            ((kind, value),) = action.items()
            if kind == "stroke":
                actions.append(_stroke(value, where, f"{name}.stroke"))
            elif kind == "key":
                if not isinstance(value, str) or value not in KEYS:
                    raise _fail(where, f"{name}.key", f"unknown key {json.dumps(value)[:20]}; known: {', '.join(KEYS)}")
                actions.append(KEYS[value])
            elif kind in ("correct", "delete"):
                actions.append(_pointing(kind, value, where, f"{name}.{kind}"))
            else:
                raise _fail(where, f"{name}.{kind}", "unknown action; use 'stroke', 'key', 'correct' or 'delete'")
        _check_limits(actions, limits, where, "actions")
    return Session((size[0], size[1]), actions, where)


def read_sessions(path: str | os.PathLike[str]) -> Iterator[Session]:
    """Yield the sessions of a file in order, streaming JSON lines one line at a time."""
    path = Path(path)
    try:
        handle = open(path, encoding="utf-8-sig")
    except OSError as error:
        raise SessionError(f"{path}: cannot read the session file ({error.strerror})") from None
    number = 1
    with handle:
        try:
            if path.suffix == ".json":
                yield parse_session(_decode(handle.read(), path.name, 1), f"{path.name}:1")
                return
            for number, line in enumerate(handle, 1):
                if line.strip():
                    text = line.rstrip("\r\n")  # so that an error at the line's end is on this line
                    yield parse_session(_decode(text, path.name, number), f"{path.name}:{number}")
        except UnicodeDecodeError:
            raise SessionError(f"{path.name}:{number}: not UTF-8 text; a session file is JSON") from None
        except OSError as error:
            raise SessionError(f"{path.name}:{number}: cannot read the session file ({error.strerror})") from None


def _decode(text: str, file_name: str, first_line: int):
    """Decode one JSON value; errors name the line where JSON went wrong."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"{file_name}:{first_line + error.lineno - 1}"
        raise SessionError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise SessionError(f"{file_name}:{first_line}: JSON nested too deeply to be a session") from None


class Recorder:
    """Writes the session to its file after every action, atomically (write a hidden temporary
    file beside it, then rename), so a crash or a kill leaves a valid session up to the last
    completed action. A `.json` path gets one JSON object, any other path one JSON line."""

    def __init__(self, path: str | os.PathLike[str], size: tuple[int, int], force: bool = False) -> None:
        self.path = Path(path)
        self.session = Session(size)
        claimed = False
        try:
            if not force:  # claim the name exclusively: never overwrite, even in a race
                with open(self.path, "x", encoding="utf-8"):
                    claimed = True
            self._write()
        except FileExistsError:
            raise FileExistsError(f"{self.path} exists; pass --force to overwrite it, or choose another file") from None
        except OSError as error:
            if claimed:
                self.path.unlink(missing_ok=True)
            raise OSError(f"cannot record to {self.path} ({error.strerror or error})") from None

    def add(self, action: Action) -> None:
        self.session.actions.append(action)
        self._write()

    def _write(self) -> None:
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        data = self.session.to_json()
        if self.path.suffix != ".json":
            text = json.dumps(data, separators=(",", ":")) + "\n"  # one line: JSON lines
        else:
            text = json.dumps(data, separators=(",", ":"))
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
