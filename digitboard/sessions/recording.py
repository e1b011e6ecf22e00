"""Recording a session to its file as it is drawn (`digitboard --record FILE`; the layout is in
docs/session-format.md).

Any name but `.json` gets JSON lines: a header line, then one line appended for each action, so
an action costs the same at the 4,000th stroke as at the first and a kill leaves every line
written before it. A `.json` file has to stay one JSON object, so it is rewritten whole and
atomically, by a background thread that folds the actions arriving meanwhile into its next
rewrite. Flushing to disk (fsync) happens on a background thread for both: never in the frame.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from digitboard import platforms
from digitboard.core.actions import Action
from digitboard.sessions.format import Session, action_to_json, recording_header


class Recorder:
    """Writes a session to `path` as its actions happen. `add` raises OSError when the file can
    no longer be written; `close` finishes the last write (also done at interpreter exit)."""

    def __init__(self, path: str | os.PathLike[str], size: tuple[int, int], force: bool = False,
                 profile: object | None = None) -> None:
        """`profile` names the personal examples the board starts from (anything with a
        `to_json()`: digitboard.profile.rows.Identity), so replay can start from them too."""
        self.path = Path(path)
        named = None if profile is None else profile.to_json()  # type: ignore[attr-defined]
        self.session = Session(size, profile=named)
        created, descriptor = _claim(self.path, force)
        try:
            if self.path.suffix.lower() == ".json":
                self._file: _AppendedLines | _RewrittenJson = _RewrittenJson(self.path, descriptor, size, named)
            else:
                self._file = _AppendedLines(descriptor, size, named)
        except OSError as error:
            if created:
                self.path.unlink(missing_ok=True)
            raise OSError(f"cannot record to {self.path} ({error.strerror or error})") from None

    def add(self, action: Action) -> None:
        self.session.actions.append(action)
        try:
            self._file.add(action)
        except OSError:
            with suppress(OSError):  # the recording is over: let go of the file
                self._file.close()
            raise

    def sync(self) -> None:
        """Wait until every action added so far is in the file and on disk; raises OSError if
        a write failed."""
        self._file.sync()

    def close(self) -> None:
        """Sync, and let go of the file."""
        self._file.close()


def _claim(path: Path, force: bool) -> tuple[bool, int]:
    """Open `path` for writing: create it exclusively (two boards never share a new file), or,
    with `force`, an existing regular file, written in place so that its mode, its hard links and
    a symlink to it stay as they were. Whether it was created, and its descriptor."""
    try:
        return True, platforms.create_new(path)
    except FileExistsError:
        if not force:
            raise FileExistsError(f"{path} exists; pass --force to overwrite it, or choose another file") from None
    except OSError as error:
        raise OSError(f"cannot record to {path} ({error.strerror or error})") from None
    not_regular = OSError(f"cannot record to {path}: not a regular file (a device, a pipe or a folder); "
                          "--record writes only regular files")
    try:
        # Non-blocking: opening a named pipe with no reader must not hang the board (it fails
        # with ENXIO and is refused like any file that is not a regular one).
        descriptor = platforms.open_existing_for_writing(path)
    except OSError as error:
        if error.errno in (errno.ENXIO, errno.EISDIR):
            raise not_regular from None
        raise OSError(f"cannot record to {path} ({error.strerror or error})") from None
    if not platforms.is_regular(descriptor):
        os.close(descriptor)
        raise not_regular
    return False, descriptor


class _BackgroundTask:
    """Runs `task` on a thread when asked; requests made while it runs are folded into one more
    run. The thread ends when no request is left; it is no daemon, so the interpreter waits for
    the last run at exit. A failure is kept and raised by `raise_error`."""

    def __init__(self, task: Callable[[], None], name: str) -> None:
        self._task = task
        self._name = name
        self._lock = threading.Lock()
        self._requested = 0
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None

    def request(self) -> None:
        with self._lock:
            self._requested += 1
            if self._thread is None and self._error is None:
                self._thread = threading.Thread(target=self._run, name=self._name)
                self._thread.start()

    def _run(self) -> None:
        done = 0
        while True:
            with self._lock:
                if done == self._requested or self._error is not None:
                    self._thread = None
                    return
                done = self._requested
            try:
                self._task()
            except OSError as error:
                with self._lock:
                    self._error = error

    def wait(self) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error


def _encoded(action: Action) -> bytes:
    return json.dumps(action_to_json(action), separators=(",", ":")).encode()


class _AppendedLines:
    """JSON lines: the header, then one line per action, each written with one call at the end."""

    def __init__(self, descriptor: int, size: tuple[int, int], profile: dict | None = None) -> None:
        self._descriptor = descriptor
        self._end = 0
        os.ftruncate(descriptor, 0)  # an existing file, with --force
        self._append(json.dumps(recording_header(size, profile), separators=(",", ":")).encode() + b"\n")
        os.fsync(descriptor)  # a disk that cannot take the header stops the board before its window
        self._syncer = _BackgroundTask(lambda: os.fsync(descriptor), "digitboard-recording-sync")

    def add(self, action: Action) -> None:
        self._syncer.raise_error()
        if os.fstat(self._descriptor).st_nlink == 0:  # writing on would lose everything from here
            raise FileNotFoundError(errno.ENOENT, "the recording file was removed")
        self._append(_encoded(action) + b"\n")
        self._syncer.request()

    def _append(self, line: bytes) -> None:
        start = self._end
        try:
            written = 0
            while written < len(line):
                written += platforms.write_at(self._descriptor, line[written:], start + written)
        except OSError:
            with suppress(OSError):  # a full disk: leave no torn line behind
                os.ftruncate(self._descriptor, start)
            raise
        self._end = start + len(line)

    def sync(self) -> None:
        self._syncer.wait()
        self._syncer.raise_error()
        if self._descriptor >= 0:
            os.fsync(self._descriptor)

    def close(self) -> None:
        if self._descriptor < 0:
            return
        try:
            self.sync()
        finally:
            os.close(self._descriptor)
            self._descriptor = -1


class _RewrittenJson:
    """One JSON object, rewritten whole on a background thread: to a hidden temporary file beside
    the target, flushed to disk, then renamed over it (so the file is always a whole session)."""

    def __init__(self, path: Path, descriptor: int, size: tuple[int, int], profile: dict | None = None) -> None:
        status = os.fstat(descriptor)
        os.close(descriptor)
        if status.st_nlink > 1:  # renaming over one name would cut it off from the others
            raise OSError(f"it has {status.st_nlink - 1} other hard link(s), which a .json recording, rewritten by "
                          "renaming, would break; record to a .jsonl file, which is written in place")
        self._target = Path(os.path.realpath(path))  # through a symlink, the file it points to
        self._mode = stat.S_IMODE(status.st_mode)
        self._owner = (status.st_uid, status.st_gid)
        self._size = size
        self._profile = b"" if profile is None else b',"profile":' + json.dumps(profile, separators=(",", ":")).encode()
        self._actions: list[bytes] = []  # each action's JSON, encoded once
        self._lock = threading.Lock()
        self._rewrite()  # the empty session now: a file that cannot be written stops the board at once
        self._writer = _BackgroundTask(self._rewrite, "digitboard-recording")

    def add(self, action: Action) -> None:
        self._writer.raise_error()
        line = _encoded(action)
        with self._lock:
            self._actions.append(line)
        self._writer.request()

    def _rewrite(self) -> None:
        with self._lock:
            actions = list(self._actions)
        width, height = self._size
        text = b'{"size":[%d,%d]%s,"actions":[' % (width, height, self._profile) + b",".join(actions) + b"]}"
        descriptor, temporary = tempfile.mkstemp(dir=self._target.parent, prefix=f".{self._target.name}.", suffix=".tmp")
        try:
            platforms.copy_mode_and_owner(descriptor, self._mode, self._owner)
            with open(descriptor, "wb", closefd=False) as handle:
                handle.write(text)
            os.fsync(descriptor)
            os.replace(temporary, self._target)
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary)
            raise
        finally:
            os.close(descriptor)

    def sync(self) -> None:
        self._writer.wait()
        self._writer.raise_error()

    close = sync  # no file is held open between rewrites
