"""Everything that differs by operating system, in one place: opening a file the user named
without hanging on a named pipe, reading a pipe in slices a signal can get between, hearing
Ctrl+C and SIGTERM while TensorFlow holds the main thread, a server's stop signals, and
whether worker processes can be forked.

Each function asks the running Python what it has (`hasattr(os, "O_NONBLOCK")`) rather than
which system it is, so Linux, macOS and Windows each take the branch that works there, and a
test can make Linux look like either of the others by removing names. What a platform cannot
promise is said in docs/robustness.md ("On every desk"). Like `paths`, it imports nothing of
the project, so every layer may use it.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PathLike = str | os.PathLike[str]

# Open flags every platform takes as they are: no inheritance by child processes (O_CLOEXEC on
# POSIX, O_NOINHERIT on Windows), and bytes as they are on Windows (O_BINARY; without it Windows
# turns \r\n into \n and stops reading at the first Ctrl+Z byte of a gzip file).
_PRIVATE = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0) | getattr(os, "O_BINARY", 0)
# Opening a named pipe (a FIFO) without O_NONBLOCK waits for its other end, for ever. Windows
# has no FIFO in the file system (its named pipes live under \\.\pipe\), so it needs no flag.
_NO_WAIT = getattr(os, "O_NONBLOCK", 0)


def _blocking_again(descriptor: int) -> int:
    """Reads and writes on `descriptor` wait for data again (after an open that did not wait)."""
    if _NO_WAIT:
        os.set_blocking(descriptor, True)
    return descriptor


def open_for_reading(path: PathLike) -> int:
    """A descriptor reading `path`, opened without waiting for a writer if it is a named pipe."""
    return _blocking_again(os.open(path, os.O_RDONLY | _PRIVATE | _NO_WAIT))


def open_existing_for_writing(path: PathLike) -> int:
    """A descriptor writing over `path`; a named pipe with no reader fails at once (ENXIO)."""
    return _blocking_again(os.open(path, os.O_WRONLY | _PRIVATE | _NO_WAIT))


def create_new(path: PathLike, mode: int = 0o666) -> int:
    """A descriptor writing a new file at `path`; FileExistsError if anything is there."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _PRIVATE, mode)


def can_open(path: PathLike) -> bool:
    """Whether opening `path` for reading works (`os.access` says yes to root for any file)."""
    try:
        os.close(os.open(path, os.O_RDONLY | _PRIVATE | _NO_WAIT))
    except OSError:
        return False
    return True


def is_regular(descriptor: int) -> bool:
    """Whether an open descriptor is a regular file (not a pipe, a device, a folder or a socket)."""
    return stat.S_ISREG(os.fstat(descriptor).st_mode)


def write_at(descriptor: int, data: bytes, offset: int) -> int:
    """Write `data` at `offset` of the file; the number of bytes written. Windows has no
    pwrite(), so there the file's position is moved first (the caller is its only writer)."""
    if hasattr(os, "pwrite"):
        return os.pwrite(descriptor, data, offset)
    os.lseek(descriptor, offset, os.SEEK_SET)
    return os.write(descriptor, data)


def copy_mode_and_owner(descriptor: int, mode: int, owner: tuple[int, int]) -> None:
    """Give a new file the permission bits and (where the user may) the owner of the one it
    replaces. Windows before Python 3.13 has no fchmod() and no owners to give; its permission
    bits are only "read-only", which a new file does not have."""
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, mode)
    if hasattr(os, "fchown"):
        try:
            os.fchown(descriptor, *owner)
        except PermissionError:  # only root can give a file away; others keep their own
            pass


# How long a read of a pipe waits in one slice: between slices, a signal handler can run.
READ_SLICE_SECONDS = 0.25


def read_into(descriptor: int, buffer: memoryview | bytearray) -> int:
    """Read what is there into `buffer`, waiting for it; the number of bytes (0 at the end).

    A blocking read of a pipe does not return when the kernel hands SIGTERM to another thread
    (the model runtime's), and then no Python handler would run; on POSIX the wait is cut into
    slices of select(). Windows' select() takes only sockets, so there a read simply waits (a
    Ctrl+C is heard when data or the end of the pipe comes).
    """
    if hasattr(os, "readv"):  # POSIX: select() works on pipes and files
        while not select.select([descriptor], [], [], READ_SLICE_SECONDS)[0]:
            pass  # a regular file is always ready; a pipe or standard input waits here
        return os.readv(descriptor, [buffer])
    data = os.read(descriptor, len(buffer))
    memoryview(buffer)[:len(data)] = data
    return len(data)


def can_fork() -> bool:
    """Whether this platform starts processes by forking (Linux and macOS; not Windows), as a
    pre-fork server's supervisor (gunicorn's arbiter) needs."""
    return hasattr(os, "fork")


# The signals that ask a server to stop: SIGTERM (a service manager, `kill`), Ctrl+C, and on
# Windows Ctrl+Break (SIGBREAK, which only Windows' Python names).
_STOP_SIGNALS = ("SIGTERM", "SIGINT", "SIGBREAK")


@contextmanager
def stop_signals(handler: Callable[[int], None]) -> Iterator[None]:
    """Within the block, a signal asking the process to stop calls `handler(its number)` on the
    main thread instead of ending the process; the previous handlers come back after it."""
    previous = {}
    try:
        for name in _STOP_SIGNALS:
            number = getattr(signal, name, None)
            if number is not None:
                previous[number] = signal.signal(number, lambda received, frame: handler(received))
        yield
    finally:
        for number, handling in previous.items():
            signal.signal(number, handling)


class SignalWaiter:
    """Lets another thread wait for the signals a Python handler is set for, as they arrive.

    Python runs a signal's handler on the main thread, and only between two steps of Python
    code: while TensorFlow holds the main thread in native code, nothing runs. But the C-level
    handler writes the signal's number to the wakeup socket at once, on every platform (Windows
    takes only a socket there), so a watcher thread hears it and can act if the main thread
    never gets to. Create it on the main thread.
    """

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)

    def wait(self, timeout: float) -> int | None:
        """The number of a signal that arrived within `timeout` seconds, else None."""
        if not select.select([self._reader], [], [], timeout)[0]:
            return None
        try:
            received = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return None
        return received[0] if received else None

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous)
        self._reader.close()
        self._writer.close()


@contextmanager
def signal_waiter() -> Iterator[SignalWaiter]:
    """A SignalWaiter for the block (ValueError off the main thread, where signals cannot be set)."""
    waiter = SignalWaiter()
    try:
        yield waiter
    finally:
        waiter.close()


@contextmanager
def sigterm_raises(exception: type[BaseException], once: bool = False) -> Iterator[bool]:
    """Within the block, SIGTERM raises `exception` on the main thread, as Ctrl+C raises
    KeyboardInterrupt (`once`: later SIGTERMs are then ignored, so that a clean-up finishes).
    Yields whether it does: off the main thread signals cannot be set and are left alone.
    (On Windows no other process can send SIGTERM; the handler is harmless there.)"""
    def on_sigterm(signum, frame) -> None:
        if once:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise exception

    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread
        yield False
        return
    try:
        yield True
    finally:
        signal.signal(signal.SIGTERM, previous)
