"""What a digitboard profile is on disk: an SQLite database marked by its application id, its
table of examples, its schema version and the migrations from older versions; and the check that
refuses any other file before it is opened as one."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from digitboard import platforms

APPLICATION_ID = 0x64677462  # "dgtb" at byte 68 of the file: a digitboard profile, not any SQLite file
SCHEMA_VERSION = 2  # PRAGMA user_version: 1 had no index of the examples in use
SQLITE_HEADER = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE examples (
    id TEXT PRIMARY KEY,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    kind TEXT NOT NULL CHECK (kind IN ('corrected', 'let stand')),
    points BLOB NOT NULL,       -- float32 (x, y) board pixels, the strokes one after another
    stroke_ends BLOB NOT NULL,  -- int32: the index after each stroke's last point
    created REAL NOT NULL,      -- seconds since the epoch
    model TEXT NOT NULL DEFAULT '',  -- the fingerprint of the model that gave `embedding`
    embedding BLOB,             -- float32 (D,) of unit length, or NULL
    tied_to TEXT NOT NULL DEFAULT '',  -- ids of the corrections a digit let stand goes with, space-separated
    digest TEXT NOT NULL        -- of what the example is (not its embedding): names it in a recording
)
"""
# Which examples a board reads with (the most recent of each kind and digit, and their ties),
# chosen from this index alone, and a recording's names (ids and digests), read from it too:
# reading every row's record took as long as reading the strokes, which lie before `created`.
IN_USE_INDEX = "CREATE INDEX IF NOT EXISTS examples_in_use ON examples (kind, label, created, id, tied_to, digest)"

# What brings a profile of each older version to the next: run in one transaction when a
# profile is opened to be written (one opened only to be read works at its own version).
# Version 1 had an index of (id, digest) alone, which every insert also had to keep.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (IN_USE_INDEX, "DROP INDEX IF EXISTS examples_by_digest"),
}


class NotAProfile(ValueError):
    """A path that holds something other than a digitboard profile: refused, never written."""


# -- what is, and is not, a profile --------------------------------------------------------------
def check_profile_file(path: Path, shown: Path | None = None, read_header: bool = True) -> bool:
    """Whether `path` holds a profile (False: nothing there yet); NotAProfile if it holds
    anything else, named `shown` (the path as the user gave it). The file type is checked
    before any open, so a pipe is never opened. Without `read_header`, only the file type
    (SQLite has the file open in this process: see digitboard.profile.store.Profile.exists)."""
    given, path = path, Path(path)
    path = shown or path
    try:
        status = os.stat(given)
    except FileNotFoundError:
        return False
    except OSError as error:
        raise OSError(f"cannot read the profile {path} ({error.strerror or error})") from None
    if stat.S_ISDIR(status.st_mode):
        raise NotAProfile(f"{path} is a folder, not a digitboard profile; give a file's path")
    if not stat.S_ISREG(status.st_mode):
        raise NotAProfile(f"{path} is not a regular file (a pipe, a device or a socket), so not a digitboard profile")
    if not read_header:
        return True
    try:
        descriptor = platforms.open_for_reading(given)
    except OSError as error:
        raise OSError(f"cannot read the profile {path} ({error.strerror or error})") from None
    try:
        if not platforms.is_regular(descriptor):  # swapped for something else meanwhile
            raise NotAProfile(f"{path} is not a regular file, so not a digitboard profile")
        header = os.read(descriptor, 100)
    finally:
        os.close(descriptor)
    if not header.startswith(SQLITE_HEADER):
        hint = ""
        if header.lstrip().startswith(b'{"learn"') or header.lstrip().startswith(b'{"forget"'):
            hint = (f"; it is a profile of the older JSON-lines format: import it with "
                    f"`digitboard profile --profile NEW --import {path}`")
        raise NotAProfile(f"{path} is not a digitboard profile (not an SQLite database){hint}; it was left as it is")
    if len(header) < 100 or int.from_bytes(header[68:72], "big") != APPLICATION_ID:
        raise NotAProfile(f"{path} is an SQLite database of another program, not a digitboard profile; "
                          "it was left as it is")
    return True

def create_schema(connection: sqlite3.Connection) -> None:
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute(SCHEMA)
    connection.execute(IN_USE_INDEX)


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the profile to SCHEMA_VERSION (in the caller's transaction); the version it had."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    for step in range(version, SCHEMA_VERSION):
        for statement in MIGRATIONS[step]:
            connection.execute(statement)
    if version < SCHEMA_VERSION:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return version


def new_database(path: Path) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        create_schema(connection)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")  # kept in the file: every later connection uses it
    finally:
        connection.close()

