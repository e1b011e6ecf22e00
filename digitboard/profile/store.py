"""Where a user's personal examples persist: the profile, an SQLite database (docs/learning.md).

One table holds the examples: each one's strokes, label, kind (corrected, or let stand and maybe
tied to the corrections behind its reading), when it was learned, and its embedding with the
fingerprint of the model that gave it (another model embeds it afresh). Every change is one
transaction in WAL mode, so two boards on one profile lose nothing, a kill leaves every committed
example, and a full disk fails one change, never what was kept. A file is opened as a profile
only if it is a regular file whose SQLite header carries digitboard's application id: a text
file, a recording, a pipe, a device, a folder or another program's database is refused and never
written. Nothing is sent anywhere.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import digitboard.profile.queries as queries
from digitboard.profile.examples import Example, LearningConfig
from digitboard.profile.in_use import Entry, in_use
from digitboard.profile.legacy import OLD_PROFILE_NAME, read_old_profile
from digitboard.profile.making import add_new, make_profile
from digitboard.profile.media import CANNOT_OPEN, CannotOpen, place_new_file, read_only_media_uri
from digitboard.profile.rows import BOUNDS, COLUMNS, Identity, ProfileContents, example_row, identity_of
from digitboard.profile.schema import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    NotAProfile,
    check_profile_file,
    create_schema,
    migrate,
)
from digitboard.profile.sqlite import BUSY_SECONDS, OPEN_FILES, OPEN_FILES_LOCK, file_key, os_error, transaction

log = logging.getLogger(__name__)  # what the user should hear of: the shells show it (digitboard.cli)

PROFILE_NAME = "profile.sqlite"
BACKUP_MARK = ".cleared-"  # `--clear` keeps the examples in "<profile>.cleared-<UTC time>"


INSERT = f"INSERT OR REPLACE INTO examples ({COLUMNS}) VALUES"
ROW_VALUES = "(?,?,?,?,?,?,?,?,?,?)"  # one row's: as many as COLUMNS
ROWS_A_STATEMENT = 1000  # rows inserted by one statement at most, if SQLite takes their values (rows_a_statement)


def rows_a_statement(connection: sqlite3.Connection) -> int:
    """How many rows one INSERT writes: ROWS_A_STATEMENT, or fewer where this SQLite takes fewer
    values a statement (999 before 3.32). Each statement lets go of Python's lock while SQLite
    runs it, then waits to take it back from the thread making the changes (replay's): 64 rows a
    statement, 100,000 corrections cost 1,563 such waits, and --update-profile 1.74x the time of
    replay without a profile; 1,000 rows, 1.48x."""
    values = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(ROWS_A_STATEMENT, values // len(COLUMNS.split(", "))))


def _largest_rowid(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT max(rowid) FROM examples").fetchone()[0] or 0


def default_profile_path() -> Path:
    """The platform's user data folder for digitboard (e.g. ~/.local/share/digitboard on Linux)."""
    import platformdirs

    return platformdirs.user_data_path("digitboard", appauthor=False) / PROFILE_NAME


class Profile:
    """A user's profile: read it, write examples as they are learned and forgotten, merge, clear."""

    def __init__(self, path: str | os.PathLike[str], writable: bool = True) -> None:
        self.path = Path(path)
        self.target = Path(os.path.realpath(self.path))  # through a symlink: the file it names, which stays a symlink's
        self.writable = writable
        self.notices: list[str] = []  # what opening it did that the user should hear of (an import)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._snapshot: tempfile.TemporaryDirectory | None = None  # read-only media: a copy to read from
        self._keys: dict[int, tuple[int, int] | None] = {}  # the file each open connection is to (OPEN_FILES)
        self._batched = False  # in a batch: changes are savepoints of one transaction, committed at its end

    # -- opening -------------------------------------------------------------------------------
    def exists(self) -> bool:
        """Whether the profile is there (NotAProfile if something else is). Its header is not
        read while SQLite has the file open in this process: closing any descriptor of a file
        drops every POSIX lock the process holds on it, SQLite's own included, and another
        process closing the profile then takes itself for its last user and deletes the `-wal`
        this one still writes to."""
        return check_profile_file(self.target, self.path, read_header=file_key(self.target) not in OPEN_FILES)

    def _connect(self, writable: bool) -> sqlite3.Connection:
        connection = self._open(writable)
        key = file_key(self.target)
        with OPEN_FILES_LOCK:
            OPEN_FILES[key] += 1
            self._keys[id(connection)] = key
        return connection

    def _disconnect(self, connection: sqlite3.Connection) -> None:
        connection.close()
        with OPEN_FILES_LOCK:
            key = self._keys.pop(id(connection), None)
            OPEN_FILES[key] -= 1
            if OPEN_FILES[key] <= 0:
                del OPEN_FILES[key]

    def _open(self, writable: bool) -> sqlite3.Connection:
        if writable:
            return self._checked(self.target.as_uri() + "?mode=rw")
        try:
            return self._checked(self.target.as_uri() + "?mode=ro")
        except CannotOpen:  # read-only media: SQLite cannot make the shared-memory file of a WAL profile
            if self._snapshot is None:
                self._snapshot = tempfile.TemporaryDirectory(prefix="digitboard-profile-")
            try:
                return self._checked(read_only_media_uri(self.target, Path(self._snapshot.name)))
            except OSError as error:
                raise OSError(error.errno, f"cannot read the profile {self.path} ({error.strerror or error})") from None

    def _checked(self, uri: str) -> sqlite3.Connection:
        """A connection to `uri`, once its application id and version say it is a profile we can read."""
        try:
            connection = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as error:
            raise os_error(error, self.path, "open") from None
        try:
            application, version = (connection.execute(f"PRAGMA {name}").fetchone()[0]
                                    for name in ("application_id", "user_version"))
            if application != APPLICATION_ID:
                raise NotAProfile(f"{self.path} is not a digitboard profile")
            if version > SCHEMA_VERSION:
                raise NotAProfile(f"{self.path} was written by a newer digitboard (profile version {version}); "
                                  "update digitboard to use it")
            connection.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: a kill loses no commit
        except sqlite3.Error as error:
            connection.close()
            if getattr(error, "sqlite_errorcode", None) == CANNOT_OPEN and uri == self.target.as_uri() + "?mode=ro":
                raise CannotOpen() from None
            raise os_error(error, self.path, "read") from None
        except BaseException:
            connection.close()
            raise
        return connection

    def create(self) -> None:
        """Make the profile now if there is none (importing an older profile.jsonl beside it)."""
        with self._lock:
            self._writer()

    def old_profile_beside(self) -> Path | None:
        """The JSON-lines profile of earlier versions that a new profile here would import."""
        old = self.target.with_name(OLD_PROFILE_NAME)
        return old if self.target.name == PROFILE_NAME and old.is_file() else None

    def _writer(self) -> sqlite3.Connection:
        """The connection changes go through (the lock held), the profile created on first use."""
        if self._connection is None:
            if not self.writable:
                raise OSError(errno.EROFS, f"the profile {self.path} is opened read only")
            if not self.exists():
                self._create()
            connection = self._connect(writable=True)
            try:
                transaction(connection, migrate, self.path, "update")  # an older version's profile, brought up to date
            except BaseException:
                self._disconnect(connection)
                raise
            self._connection = connection
        return self._connection

    def _create(self) -> None:
        """A new profile in place, with a profile.jsonl of an earlier version beside it imported
        (making.make_profile); what the import did is a notice for the user."""
        old = self.old_profile_beside()
        notice = make_profile(self.target, self.path, read_old_profile(old) if old is not None else None, old)
        if notice is not None:
            self.notices.append(notice)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._disconnect(self._connection)
                self._connection = None
            if self._snapshot is not None:
                self._snapshot.cleanup()
                self._snapshot = None

    def _change(self, change: Callable[[sqlite3.Connection], object], doing: str = "write") -> object:
        """Run `change` as one transaction: all of it is kept, or none. In a `batch`, as a
        savepoint of the batch's transaction: all of it or none, committed with the batch."""
        with self._lock:
            connection = self._writer()
            if not self._batched:
                return transaction(connection, change, self.path, doing)
            try:
                if not connection.in_transaction:
                    connection.execute("BEGIN IMMEDIATE")
                connection.execute("SAVEPOINT change")
                try:
                    return change(connection)
                except BaseException:
                    connection.execute("ROLLBACK TO change")
                    raise
                finally:
                    connection.execute("RELEASE change")
            except sqlite3.Error as error:
                raise os_error(error, self.path, doing) from None

    @contextmanager
    def batch(self, on_failure: Callable[[OSError], None]) -> Iterator[None]:
        """Commit the changes made in the block together, at its end (also when it ends by an
        error: each change is whole): many changes cost one commit rather than one each. A
        commit that fails is told to `on_failure` (what a change that fails raises); the changes
        committed before are kept."""
        with self._lock:
            self._batched = True
        try:
            yield
        finally:
            with self._lock:
                self._batched = False
                failure = None
                if self._connection is not None and self._connection.in_transaction:
                    try:
                        self._connection.execute("COMMIT")
                    except sqlite3.Error as error:
                        if self._connection.in_transaction:
                            self._connection.execute("ROLLBACK")
                        failure = os_error(error, self.path, "write")
            if failure is not None:
                on_failure(failure)

    # -- reading -------------------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection | None:
        """A connection of its own (the loading thread reads while the board writes); None if
        there is no profile yet."""
        if not self.exists():
            return None
        return self._connect(writable=False)

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection | None]:
        """A connection to read with, closed after; None if there is no profile yet."""
        connection = self._reader()
        if connection is None:
            yield None
            return
        try:
            yield connection
        except sqlite3.Error as error:
            raise os_error(error, self.path, "read") from None
        finally:
            self._disconnect(connection)

    def _said(self, contents: ProfileContents) -> list[Example]:
        if contents.skipped:
            log.warning(f"skipped {contents.skipped} damaged example(s) of the profile {self.path}")
        return contents.examples

    def read(self) -> ProfileContents:
        """The examples, oldest first; damaged rows are skipped and counted. No file: none."""
        with self._reading() as connection:
            return queries.every_example(connection) if connection else ProfileContents([], 0)

    def examples(self) -> list[Example]:
        """The examples for a board to load (rendered and embedded later, by the model in use)."""
        return self._said(self.read())

    def entries(self) -> list[Entry]:
        """A small entry for each example (queries.entries)."""
        with self._reading() as connection:
            return queries.entries(connection) if connection else []

    def entries_in_use(self, config: LearningConfig) -> list[Entry]:
        """The entries of the examples a learner with `config` reads with (queries.entries_in_use)."""
        with self._reading() as connection:
            return queries.entries_in_use(connection, config) if connection else []

    def examples_of(self, entries: Sequence[Entry]) -> list[Example]:
        """The examples these entries name, in the profile's order; damaged rows are skipped and
        said once on the module's logger."""
        with self._reading() as connection:
            return self._said(queries.examples_of(connection, entries)) if connection else []

    def examples_in_use(self, config: LearningConfig, ids: Iterable[str] | None = None) -> list[Example]:
        """The examples a learner with `config` reads with (of those with `ids`, if given), read
        without the strokes of the rest: what a board or a replay starts from. Of `ids`, they
        are asked of the index when the profile holds no other example among them (another
        board may have written since `ids` were read), else chosen from every entry."""
        chosen = self.entries_in_use(config)
        if ids is not None:
            wanted = set(ids)
            if not all(entry.id in wanted for entry in chosen):
                chosen = in_use([entry for entry in self.entries() if entry.id in wanted], config)
        return self.examples_of(chosen)

    def counts(self) -> tuple[dict[tuple[str, int, bool], int], int]:
        """How many examples of each (kind, digit, tied to corrections), and how many damaged rows
        (queries.counts: no stroke is read)."""
        with self._reading() as connection:
            return queries.counts(connection) if connection else ({}, 0)

    def digests(self) -> dict[str, str]:
        """Each example's stored digest, by id (what a recording names examples by)."""
        with self._reading() as connection:
            return queries.digests(connection) if connection else {}

    def identity(self) -> Identity:
        """Which examples the profile holds now, cheaply (ids and stored digests only)."""
        with self._reading() as connection:
            return identity_of(queries.digests(connection).items()) if connection else identity_of([])

    # -- the Journal the board's learner writes to ------------------------------------------------
    def remember(self, example: Example) -> None:
        row = example_row(example)

        def insert(connection: sqlite3.Connection) -> None:
            # The rows number at most the largest rowid (each has its own, from 1): looking that up
            # is one step down the table's b-tree, where counting reads every row of an index, at
            # every insert; the exact count is needed only near the bound.
            if _largest_rowid(connection) >= BOUNDS.examples:
                count = connection.execute("SELECT count(*) FROM examples").fetchone()[0]
                if count >= BOUNDS.examples:
                    raise OSError(errno.EFBIG, f"the profile {self.path} holds {count:,} examples, the most it may")
            connection.execute(f"{INSERT} {ROW_VALUES}", row)

        self._change(insert)

    def remember_all(self, examples: Sequence[Example]) -> None:
        """Write these examples in order, each whole, as `remember` one after another would: the
        first that cannot be written raises, the ones before it kept; but a ValueError (one
        beyond the bounds, `example_row`) comes before any is written, so that the caller may
        write the others. Far from the profile's bound, all of them go in one change of a few
        statements: replay keeping 100,000 corrections spent more time writing each in a change
        of its own (four statements, each letting go of Python's lock and waiting to take it back
        from replay's thread) than replaying them."""
        rows = [example_row(example) for example in examples]

        def insert_all(connection: sqlite3.Connection) -> bool:
            if _largest_rowid(connection) + len(rows) > BOUNDS.examples:
                return False  # it may be reached on the way: each row checks it
            step = rows_a_statement(connection)
            for start in range(0, len(rows), step):
                chunk = rows[start:start + step]
                connection.execute(f"{INSERT} {', '.join([ROW_VALUES] * len(chunk))}",
                                   [value for row in chunk for value in row])
            return True

        if rows:
            try:
                if self._change(insert_all):
                    return
            except OSError as error:
                if error.errno == errno.EBUSY:  # held by another program: one at a time would wait as long again
                    raise
                # else (a full disk) one at a time, below: the ones before the failing one are kept
        for example in examples:
            self.remember(example)

    def forget(self, example: Example) -> None:
        self._change(lambda connection: connection.execute("DELETE FROM examples WHERE id = ?", (example.id,)))

    def keep_embeddings(self, examples: Sequence[Example]) -> None:
        """Store the embeddings made for these examples, with the fingerprint of their model, in
        one transaction: the next start reads them rather than running the model again. An
        example forgotten meanwhile is left forgotten."""
        rows = [(example.model, np.asarray(example.embedding, np.float32).tobytes(), example.id)
                for example in examples
                if example.embedding is not None and example.model and len(example.embedding) <= BOUNDS.embedding]
        if rows:
            self._change(lambda connection: connection.executemany(
                "UPDATE examples SET model = ?, embedding = ? WHERE id = ?", rows))

    # -- `digitboard profile` ----------------------------------------------------------------------
    def forget_ids(self, ids: Iterable[str]) -> list[str]:
        """Remove the examples with these ids and the digits let stand tied to them; the ids removed."""
        wanted = list(ids)

        def remove(connection: sqlite3.Connection) -> list[str]:
            tied = {id: set(ties.split()) for id, ties in
                    connection.execute("SELECT id, tied_to FROM examples WHERE tied_to != ''")}
            gone: list[str] = []
            waiting = [id for id in wanted]
            while waiting:
                id = waiting.pop()
                if id in gone or connection.execute("DELETE FROM examples WHERE id = ?", (id,)).rowcount == 0:
                    continue
                gone.append(id)
                waiting += [other for other, anchors in tied.items() if id in anchors]
            return gone

        return self._change(remove)  # type: ignore[return-value]

    def merge(self, examples: Iterable[Example]) -> tuple[int, int]:
        """Add the examples this profile does not hold yet (by id); (added, already held)."""
        with self._lock:
            return add_new(self._writer(), examples, self.path)

    def copy_to(self, destination: Path, replace: bool = False) -> None:
        """A consistent copy of the profile at `destination`, a profile of its own: written
        beside it and moved into place, never half-written, and over an existing file only if
        `replace`."""
        destination = Path(os.path.realpath(destination))
        try:
            descriptor, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.",
                                                     suffix=".new")
        except OSError as error:
            raise OSError(error.errno, f"cannot write {destination} ({error.strerror or error})") from None
        os.close(descriptor)
        try:
            source = self._reader()
            copy = sqlite3.connect(temporary, isolation_level=None)
            try:
                if source is None:
                    create_schema(copy)
                else:
                    source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one file, whatever the source
            finally:
                copy.close()
                if source is not None:
                    self._disconnect(source)
            if replace:
                os.replace(temporary, destination)
            else:
                place_new_file(temporary, destination)  # FileExistsError rather than a file replaced
        except sqlite3.Error as error:
            raise os_error(error, Path(destination), "write") from None
        finally:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass

    def backups(self) -> list[Path]:
        """The copies `clear` kept, oldest first."""
        return sorted(self.target.parent.glob(f"{self.target.name}{BACKUP_MARK}*"))

    def clear(self) -> tuple[int, Path]:
        """Keep a dated copy of the profile beside it, then remove every example: (how many, the copy)."""
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        backup = self.target.with_name(f"{self.target.name}{BACKUP_MARK}{stamp}")
        number = 1
        while backup.exists():
            number += 1
            backup = self.target.with_name(f"{self.target.name}{BACKUP_MARK}{stamp}-{number}")
        count = len(self.read().examples)
        self.copy_to(backup)
        self._change(lambda connection: connection.execute("DELETE FROM examples"))
        return count, backup
