"""Reading session files (docs/session-format.md): JSON lines streamed one bounded line at a
time, a `.json` file whole, `-` for standard input, gzip files by their first bytes.

Nothing here holds more than one line (or one `.json` file) of text at a time, and no line may
exceed TEXT_LIMIT, so memory stays bounded whatever the file; the sessions before a bad line
are yielded before its error is raised.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import sys
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from digitboard import platforms
from digitboard.paths import shown
from digitboard.sessions.format import (
    REPLAY_LIMITS,
    Limits,
    Session,
    SessionError,
    check_limits,
    is_recording_header,
    parse_action,
    parse_recording_header,
    parse_session,
    point_count,
)
from digitboard.sessions.stream import WHOLE_TEXT, decode_session

# The most text one line (or a whole `.json` file) may hold. A long hand-drawn session written
# as one line is a few MB (4,000 strokes of 50 timed points: 4.4 MB); a recording's lines hold
# one action each. Decoding takes about ten times the text's size in memory.
TEXT_LIMIT = 32 * 1024 * 1024
STANDARD_INPUT = "-"
_GZIP_MAGIC = b"\x1f\x8b"
_BUFFER = 256 * 1024  # bytes read at a time
# Bytes of a gzip file undone at a time: blank lines are skipped a buffer at a time, so 48 KB of
# gzip holding 50 MB of newlines costs about what undoing the gzip costs.
_GZIP_BUFFER = 1024 * 1024
_BLANK = re.compile(rb"[ \t\n\r\x0b\x0c]*")  # what bytes.isspace() calls space
# Blank lines in a row read one at a time before the rest of the run is skipped a buffer at a
# time (a look at the buffer copies it: too dear for a blank line here and there).
_MANY_BLANK_LINES = 1_000
_BYTE_ORDER_MARK = b"\xef\xbb\xbf"


class SessionWarning(UserWarning):
    """Something in a session file was skipped (a recording's last line cut off by a kill)."""


def _warn(message: str) -> None:
    warnings.warn(message, SessionWarning, stacklevel=3)


def read_sessions(
    path: str | os.PathLike[str],
    limits: Limits = REPLAY_LIMITS,
    on_warning: Callable[[str], None] = _warn,
) -> Iterator[Session]:
    """Yield the sessions of a file (or of standard input for `-`) in order, streaming."""
    name = "<stdin>" if str(path) == STANDARD_INPUT else shown(Path(path).name)
    with _opened(path, name) as (handle, whole_json):
        if whole_json:
            yield _read_json_file(handle, name, limits)
        else:
            yield from _read_json_lines(handle, name, limits, on_warning)


class _WaitingReader(io.RawIOBase):
    """Reads a file descriptor, waiting for data in slices a signal handler can run between
    (digitboard.platforms.read_into): replay's SIGTERM handler must run while it waits on a pipe."""

    def __init__(self, descriptor: int, close_descriptor: bool) -> None:
        super().__init__()
        self._descriptor = descriptor
        self._close_descriptor = close_descriptor

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        return platforms.read_into(self._descriptor, buffer)

    def close(self) -> None:
        if not self.closed and self._close_descriptor:
            os.close(self._descriptor)
        super().close()


def _standard_input() -> BinaryIO:
    if sys.stdin is None:  # started with standard input closed
        raise SessionError("standard input: there is none to read")
    try:
        descriptor = sys.stdin.fileno()
    except (OSError, ValueError):  # replaced by something without a descriptor (tests)
        buffer = sys.stdin.buffer
        return buffer if hasattr(buffer, "peek") else io.BufferedReader(buffer)
    return io.BufferedReader(_WaitingReader(descriptor, close_descriptor=False), _BUFFER)


@contextmanager
def _opened(path: str | os.PathLike[str], name: str) -> Iterator[tuple[BinaryIO, bool]]:
    """The file as bytes (gzip undone), and whether it holds one JSON session (`.json`)."""
    standard_input = str(path) == STANDARD_INPUT
    label = "standard input" if standard_input else shown(path)
    if standard_input:
        handle = _standard_input()
    else:
        try:
            # Non-blocking, so that opening a named pipe with no writer does not block (it waits
            # in _WaitingReader instead, where SIGTERM is heard).
            descriptor = platforms.open_for_reading(path)
        except OSError as error:
            raise SessionError(f"{label}: cannot read the session file ({error.strerror or error})") from None
        handle = io.BufferedReader(_WaitingReader(descriptor, close_descriptor=True), _BUFFER)
    opened = handle  # what to close (standard input's descriptor stays open)
    file_name = "" if standard_input else Path(path).name.lower()  # the real name, not as shown
    try:
        if handle.peek(2)[:2] == _GZIP_MAGIC:  # type: ignore[attr-defined]
            handle = io.BufferedReader(gzip.GzipFile(fileobj=handle, mode="rb"), _GZIP_BUFFER)  # type: ignore[arg-type]
            file_name = file_name.removesuffix(".gz")
        yield handle, file_name.endswith(".json")
    except EOFError:
        raise SessionError(f"{label}: the gzip file is cut short") from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise SessionError(f"{label}: damaged gzip file ({error})") from None
    except OSError as error:
        raise SessionError(f"{label}: cannot read the session file ({error.strerror or error})") from None
    finally:
        if not standard_input:
            opened.close()


def _read_json_file(handle: BinaryIO, name: str, limits: Limits) -> Session:
    data = handle.read(TEXT_LIMIT + 1)
    if len(data) > TEXT_LIMIT:
        raise SessionError(f"{name}: larger than {TEXT_LIMIT // 2**20} MiB, the most a .json session file may hold; "
                           "a recording in JSON lines (.jsonl) may be of any length")
    return parse_session(decode_session_bytes(data, name, limits), f"{name}:1", limits)


def decode_session_bytes(data: bytes, name: str, limits: Limits = REPLAY_LIMITS, whole_text: int = WHOLE_TEXT):
    """The JSON value of one whole session's bytes (a `.json` file's, a web request's body):
    UTF-8 with or without a byte-order mark, no key twice in an object, its actions checked
    against `limits` while they are decoded (digitboard.sessions.stream) unless it is at most
    `whole_text` bytes; errors name `name`."""
    try:
        return decode_session(data.removeprefix(_BYTE_ORDER_MARK), name, 1, limits, whole_text)
    except UnicodeDecodeError as error:
        start = error.start + (len(_BYTE_ORDER_MARK) if data.startswith(_BYTE_ORDER_MARK) else 0)
        line = data.count(b"\n", 0, start) + 1
        raise SessionError(f"{name}:{line}: {_not_utf8(data)}") from None


def _not_utf8(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text; a session file is UTF-8 (save it as UTF-8)"
    return "not UTF-8 text; a session file is JSON"


def _read_json_lines(
    handle: BinaryIO, name: str, limits: Limits, on_warning: Callable[[str], None]
) -> Iterator[Session]:
    """Sessions one a line, and recordings: a header line and then one action a line, up to the
    next header or session or the end of the file."""
    recording: Session | None = None
    points = 0
    number = 0
    blank_lines = blank = 0  # blank lines in a row up to line `number`, and their bytes
    while True:
        line = handle.readline(TEXT_LIMIT + 1)
        if not line:
            break
        number += 1
        where = f"{name}:{number}"
        unfinished = not line.endswith(b"\n")  # only ever the last line
        if unfinished and len(line) > TEXT_LIMIT:
            raise SessionError(f"{where}: a line longer than {TEXT_LIMIT // 2**20} MiB, the most one line may hold; "
                               "is this a session file?")
        if line.isspace():
            blank_lines, blank = blank_lines + 1, blank + len(line)
            if blank_lines >= _MANY_BLANK_LINES:  # from here on, a buffer at a time
                lines, size = _skip_blank_lines(handle, TEXT_LIMIT - blank)
                number, blank = number + lines, blank + size
            if blank > TEXT_LIMIT:  # 4 MB of gzip can hold 4 GB of newlines
                raise SessionError(f"{name}:{number}: more than {TEXT_LIMIT // 2**20} MiB of blank lines in a row; "
                                   "is this a session file?")
            continue
        blank_lines = blank = 0
        # a byte-order mark: also after `cat a b`; the line's end, so that an error at the end of
        # the line is on this line
        line = line.removeprefix(_BYTE_ORDER_MARK).rstrip(b"\r\n")
        try:
            data = decode_session(line, name, number, limits) if line and not line.isspace() else None
        except (UnicodeDecodeError, SessionError) as error:
            if unfinished and recording is not None:  # a kill or a full disk cut the last write short
                on_warning(f"{where}: ignored an unfinished last line; the recording ends at the line before")
                break
            if isinstance(error, UnicodeDecodeError):
                raise SessionError(f"{where}: {_not_utf8(line if number == 1 else b'')}") from None
            raise
        del line
        if data is None:
            continue
        if is_recording_header(data):
            if recording is not None:
                yield recording
            recording, points = parse_recording_header(data, where), 0
        elif recording is not None and not (isinstance(data, dict) and "size" in data):
            action = parse_action(data, where, f"actions[{len(recording.actions)}]")
            recording.actions.append(action)
            points += point_count(action)
            check_limits(len(recording.actions), points, limits, where, "actions")
        else:
            if recording is not None:
                yield recording
                recording = None
            if isinstance(data, dict) and len(data) == 1 and {"stroke", "key"} & set(data):
                raise SessionError(f'{where}: an action outside a recording; a recording starts with a line '
                                   f'{{"size": [width, height], "recording": 1}}')
            yield parse_session(data, where, limits)
    if recording is not None:
        yield recording


def _skip_blank_lines(handle: BinaryIO, most: int) -> tuple[int, int]:
    """Skip the blank lines ahead a buffer at a time, not a line at a time (50 MB of newlines
    took 35 s), stopping once past `most` bytes; how many lines, and how many bytes."""
    lines = size = 0
    while size <= most:
        ahead = handle.peek()  # type: ignore[attr-defined]
        blank = _BLANK.match(ahead).end()  # type: ignore[union-attr]
        last_end = ahead.rfind(b"\n", 0, blank)
        if last_end < 0:  # the next line is not blank, or its end is not in the buffer yet
            break
        lines += ahead.count(b"\n", 0, last_end + 1)
        size += last_end + 1
        handle.read(last_end + 1)
    return lines, size
