"""SQLite as the profile uses it: its failures as the OSErrors a user can act on, a change as
one transaction, and which profile files SQLite has open in this process."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

BUSY_SECONDS = 10.0  # how long a change waits for another process's change to the same profile

# The profile files SQLite has open in this process, by (device, inode), and how many connections
# each: their headers are not read again while they are (digitboard.profile.store.Profile.exists).
OPEN_FILES: Counter[tuple[int, int] | None] = Counter()
OPEN_FILES_LOCK = threading.Lock()


def file_key(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def os_error(error: sqlite3.Error, path: Path, doing: str) -> OSError:
    """An SQLite failure as the OSError a user can act on."""
    code = getattr(error, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL:
        return OSError(errno.ENOSPC, f"cannot {doing} the profile {path}: the disk is full "
                                     "(every example kept before is still there)")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return OSError(errno.EBUSY, f"cannot {doing} the profile {path}: another program holds it for over "
                                    f"{BUSY_SECONDS:g} s")
    if code == sqlite3.SQLITE_READONLY:
        return OSError(errno.EROFS, f"cannot {doing} the profile {path}: it is read only")
    return OSError(errno.EIO, f"cannot {doing} the profile {path} ({error})")


def transaction(connection: sqlite3.Connection, change: Callable[[sqlite3.Connection], object], path: Path,
                 doing: str) -> object:
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = change(connection)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    except sqlite3.Error as error:
        raise os_error(error, path, doing) from None
    return result
