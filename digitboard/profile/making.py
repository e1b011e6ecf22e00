"""How examples come into a profile in bulk, and how a new profile comes into place: built beside
its name with the examples of an older JSON-lines profile imported, and only then given the name
(never over a file another process made meanwhile), so a start cut short (a kill, a full disk)
leaves no profile and the next one imports the older file again."""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

from digitboard.profile.examples import Example
from digitboard.profile.media import made_by_another, place_new_file
from digitboard.profile.rows import BOUNDS, COLUMNS, ProfileContents, example_row
from digitboard.profile.schema import new_database
from digitboard.profile.sqlite import os_error, transaction


def add_new(connection: sqlite3.Connection, examples: Iterable[Example], shown: Path) -> tuple[int, int]:
    """Add, in one transaction, the examples the profile does not hold yet (by id); (added, already
    held). OSError if the profile would hold more than its bound."""
    rows = [example_row(example) for example in examples]

    def insert(connection: sqlite3.Connection) -> tuple[int, int]:
        before = connection.execute("SELECT count(*) FROM examples").fetchone()[0]
        if before + len(rows) > BOUNDS.examples:
            raise OSError(errno.EFBIG, f"the profile {shown} would hold over {BOUNDS.examples:,} examples")
        connection.executemany(f"INSERT OR IGNORE INTO examples ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        added = connection.execute("SELECT count(*) FROM examples").fetchone()[0] - before
        return added, len(rows) - added

    return transaction(connection, insert, shown, "write")  # type: ignore[return-value]


def make_profile(target: Path, shown: Path, old: ProfileContents | None, old_path: Path | None) -> str | None:
    """A new profile at `target` (named `shown` to the user) holding the examples of `old`, the
    older profile read from `old_path`; what to tell the user of that import (None: nothing
    imported here, another process made the profile first)."""
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".new")
    except OSError as error:
        raise OSError(error.errno, f"cannot create the profile {shown} ({error.strerror or error})") from None
    os.close(descriptor)
    notice = None
    try:
        new_database(Path(temporary))
        if old is not None:
            building = sqlite3.connect(temporary, isolation_level=None)
            try:
                added, _ = add_new(building, old.examples, shown)
                building.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the file that is named
            finally:
                building.close()
            skipped = f" ({old.skipped} damaged line(s) skipped)" if old.skipped else ""
            notice = (f"imported {added} personal example(s) from the older profile {old_path}{skipped}; "
                      "that file was left as it is")
        try:
            place_new_file(temporary, target)
        except FileExistsError:
            made_by_another(target, shown)  # another board made it first: use theirs if it is one
            notice = None  # and theirs did the import
    except sqlite3.Error as error:
        raise os_error(error, shown, "create") from None
    finally:
        for leftover in (temporary, f"{temporary}-wal", f"{temporary}-shm"):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
    return notice
