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
import hashlib
import json
import logging
import math
import os
import sqlite3
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitboard import platforms
from digitboard.recognition.classes import DIGIT_CLASSES
from digitboard.recognition.learning import EmbeddingRecognizer, Example, LearningConfig, PersonalRecognizer

log = logging.getLogger(__name__)  # what the user should hear of: the shells show it (digitboard.cli)

PROFILE_NAME = "profile.sqlite"
OLD_PROFILE_NAME = "profile.jsonl"  # the JSON-lines profile of earlier versions, imported once
APPLICATION_ID = 0x64677462  # "dgtb" at byte 68 of the file: a digitboard profile, not any SQLite file
SCHEMA_VERSION = 1  # PRAGMA user_version
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_SECONDS = 10.0  # how long a change waits for another process's change to the same profile
BACKUP_MARK = ".cleared-"  # `--clear` keeps the examples in "<profile>.cleared-<UTC time>"


@dataclass(frozen=True)
class Bounds:
    """The most one example, and one profile, may hold: reading never takes unbounded memory."""

    strokes: int = 200  # per example
    points: int = 20_000  # per example, over its strokes
    embedding: int = 4096  # numbers in a stored embedding
    tied_to: int = 64  # corrections a digit let stand may be tied to
    id_length: int = 64
    examples: int = 200_000  # in a profile
    old_line: int = 4 * 1024 * 1024  # bytes in one line of an old JSON-lines profile


BOUNDS = Bounds()

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
# A recording's names, read without the strokes (SQLite takes the index by itself).
INDEX = "CREATE INDEX IF NOT EXISTS examples_by_digest ON examples (id, digest)"


class NotAProfile(ValueError):
    """A path that holds something other than a digitboard profile: refused, never written."""


def default_profile_path() -> Path:
    """The platform's user data folder for digitboard (e.g. ~/.local/share/digitboard on Linux)."""
    import platformdirs

    return platformdirs.user_data_path("digitboard", appauthor=False) / PROFILE_NAME


def model_fingerprint(model_path: str | os.PathLike[str]) -> str:
    """A short name for a model file's exact bytes: stored embeddings are used only with that model."""
    digest = hashlib.sha256()
    with open(model_path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


# -- what is, and is not, a profile --------------------------------------------------------------
def check_profile_file(path: Path, shown: Path | None = None) -> bool:
    """Whether `path` holds a profile (False: nothing there yet); NotAProfile if it holds
    anything else, named `shown` (the path as the user gave it). The file type is checked
    before any open, so a pipe is never opened."""
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


def _os_error(error: sqlite3.Error, path: Path, doing: str) -> OSError:
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


# -- rows ----------------------------------------------------------------------------------------
def _digest(id: str, label: int, kind: str, points: bytes, ends: bytes, tied_to: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in (id.encode(), bytes([label]), kind.encode(), points, ends, tied_to.encode()):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


LATEST_CREATED = 32_503_680_000.0  # seconds since the epoch: the year 3000, later than any example is made


def created_in_bounds(created: object) -> bool:
    """Whether a time an example was made is one a clock can show (not NaN, Infinity or 1e300,
    which an imported file may hold and which once crashed every later `--list`)."""
    return (isinstance(created, (int, float)) and not isinstance(created, bool)
            and math.isfinite(created) and 0.0 <= created <= LATEST_CREATED)


def example_row(example: Example) -> tuple:
    """An example as the table holds it; ValueError if it is beyond the bounds."""
    if not created_in_bounds(example.created):
        raise ValueError("an example's time of making is out of bounds")
    strokes = [np.asarray(stroke, np.float32).reshape(-1, 2) for stroke in example.strokes]
    if not strokes or len(strokes) > BOUNDS.strokes or any(len(stroke) == 0 for stroke in strokes):
        raise ValueError(f"an example holds 1 to {BOUNDS.strokes} strokes of at least one point")
    points = np.concatenate(strokes)
    if len(points) > BOUNDS.points or not np.isfinite(points).all():
        raise ValueError(f"an example holds at most {BOUNDS.points} finite points")
    if not 0 < len(example.id) <= BOUNDS.id_length or len(example.tied_to) > BOUNDS.tied_to:
        raise ValueError("an example's id or ties are out of bounds")
    ends = np.cumsum([len(stroke) for stroke in strokes]).astype(np.int32).tobytes()
    kind = "let stand" if example.accepted else "corrected"
    tied_to = " ".join(example.tied_to)
    embedding = None if example.embedding is None else np.asarray(example.embedding, np.float32).tobytes()
    point_bytes = points.tobytes()
    return (example.id, int(example.label), kind, point_bytes, ends, float(example.created), example.model,
            embedding, tied_to, _digest(example.id, int(example.label), kind, point_bytes, ends, tied_to))


COLUMNS = "id, label, kind, points, stroke_ends, created, model, embedding, tied_to, digest"


def row_example(row: tuple) -> Example:
    """A table row as an example (its image rendered later, when needed); ValueError if damaged."""
    id, label, kind, points, ends, created, model, embedding, tied_to, _ = row
    if (not isinstance(id, str) or not 0 < len(id) <= BOUNDS.id_length or isinstance(label, bool)
            or not isinstance(label, int) or not 0 <= label < DIGIT_CLASSES or kind not in ("corrected", "let stand")
            or not isinstance(points, bytes) or not isinstance(ends, bytes) or len(points) % 8 or len(ends) % 4
            or not created_in_bounds(created)):
        raise ValueError("not an example")
    xy = np.frombuffer(points, np.float32).reshape(-1, 2).astype(np.float64)
    stops = np.frombuffer(ends, np.int32).tolist()
    starts = [0, *stops[:-1]]
    if (not 0 < len(stops) <= BOUNDS.strokes or len(xy) > BOUNDS.points or stops[-1] != len(xy)
            or any(stop <= start for start, stop in zip(starts, stops)) or not np.isfinite(xy).all()):
        raise ValueError("not an example")
    strokes = [xy[start:stop] for start, stop in zip(starts, stops)]
    vector = None
    if isinstance(embedding, bytes) and 0 < len(embedding) <= 4 * BOUNDS.embedding and len(embedding) % 4 == 0:
        vector = np.frombuffer(embedding, np.float32)  # read only: it is copied where it is used
    ties = tuple(str(tied_to).split())[:BOUNDS.tied_to]
    return Example(label, strokes, None, id, float(created), vector, kind == "let stand",
                   ties if kind == "let stand" else (), str(model) if vector is not None else "")


@dataclass(frozen=True)
class ProfileContents:
    examples: list[Example]  # in the order they were learned
    skipped: int  # damaged rows (or lines of an old profile) left out


@dataclass(frozen=True)
class Identity:
    """Which examples a board started from: their ids and one digest of them all."""

    ids: tuple[str, ...]
    digest: str

    def to_json(self) -> dict:
        return {"examples": len(self.ids), "ids": list(self.ids), "digest": self.digest}


def identity_of(digests: Iterable[tuple[str, str]]) -> Identity:
    """The identity of examples given as (id, digest) pairs, in any order."""
    pairs = sorted(digests)
    digest = hashlib.blake2b(digest_size=16)
    for id, row_digest in pairs:
        digest.update(f"{id}:{row_digest}\n".encode())
    return Identity(tuple(id for id, _ in pairs), digest.hexdigest())


def example_identity(examples: Iterable[Example]) -> Identity:
    """The identity of examples held in memory, as a profile holding them would give it."""
    return identity_of((row[0], row[-1]) for row in map(example_row, examples))


class Profile:
    """A user's profile: read it, write examples as they are learned and forgotten, merge, clear."""

    def __init__(self, path: str | os.PathLike[str], writable: bool = True) -> None:
        self.path = Path(path)
        self.target = Path(os.path.realpath(self.path))  # through a symlink: the file it names, which stays a symlink's
        self.writable = writable
        self.notices: list[str] = []  # what opening it did that the user should hear of (an import)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    # -- opening -------------------------------------------------------------------------------
    def exists(self) -> bool:
        return check_profile_file(self.target, self.path)

    def _connect(self, writable: bool) -> sqlite3.Connection:
        if writable:
            uri = f"{self.target.as_uri()}?mode=rw"
        else:
            uri = f"{self.target.as_uri()}?mode=ro"
        try:
            connection = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as error:
            raise _os_error(error, self.path, "open") from None
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
            raise _os_error(error, self.path, "read") from None
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
            if not check_profile_file(self.target, self.path):
                self._create()
            self._connection = self._connect(writable=True)
        return self._connection

    def _create(self) -> None:
        """A new profile, built beside the target with a profile.jsonl of an earlier version
        beside it imported, and only then linked into place (never over a file another process
        made meanwhile): a start cut short (a kill, a full disk) leaves no profile, so the next
        one imports the older file again."""
        folder = self.target.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{self.target.name}.", suffix=".new")
        except OSError as error:
            raise OSError(error.errno, f"cannot create the profile {self.path} ({error.strerror or error})") from None
        os.close(descriptor)
        notice = None
        try:
            _new_database(Path(temporary))
            old = self.old_profile_beside()
            if old is not None:
                contents = read_old_profile(old)
                building = sqlite3.connect(temporary, isolation_level=None)
                try:
                    added, _ = self._merge_unlocked(contents.examples, connection=building)
                    building.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the file that is linked
                finally:
                    building.close()
                skipped = f" ({contents.skipped} damaged line(s) skipped)" if contents.skipped else ""
                notice = (f"imported {added} personal example(s) from the older profile {old}{skipped}; "
                          "that file was left as it is")
            try:
                os.link(temporary, self.target)
            except FileExistsError:
                check_profile_file(self.target, self.path)  # another board made it first: use theirs if it is one
                notice = None  # and theirs did the import
        except sqlite3.Error as error:
            raise _os_error(error, self.path, "create") from None
        finally:
            for leftover in (temporary, f"{temporary}-wal", f"{temporary}-shm"):
                try:
                    os.unlink(leftover)
                except FileNotFoundError:
                    pass
        if notice is not None:
            self.notices.append(notice)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _change(self, change: Callable[[sqlite3.Connection], object], doing: str = "write") -> object:
        """Run `change` as one transaction: all of it is kept, or none."""
        with self._lock:
            connection = self._writer()
            return _transaction(connection, change, self.path, doing)

    # -- reading -------------------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection | None:
        """A connection of its own (the loading thread reads while the board writes); None if
        there is no profile yet."""
        if not check_profile_file(self.target, self.path):
            return None
        return self._connect(writable=False)

    def read(self) -> ProfileContents:
        """The examples, oldest first; damaged rows are skipped and counted. No file: none."""
        connection = self._reader()
        if connection is None:
            return ProfileContents([], 0)
        examples: list[Example] = []
        skipped = 0
        try:
            rows = connection.execute(f"SELECT {COLUMNS} FROM examples ORDER BY rowid LIMIT ?",  # as learned
                                      (BOUNDS.examples,))
            for row in rows:
                try:
                    examples.append(row_example(row))
                except (ValueError, TypeError):
                    skipped += 1
        except sqlite3.Error as error:
            raise _os_error(error, self.path, "read") from None
        finally:
            connection.close()
        return ProfileContents(examples, skipped)

    def examples(self) -> list[Example]:
        """The examples for a board to load (rendered and embedded later, by the model in use)."""
        contents = self.read()
        if contents.skipped:
            log.warning(f"skipped {contents.skipped} damaged example(s) of the profile {self.path}")
        return contents.examples

    def identity(self) -> Identity:
        """Which examples the profile holds now, cheaply (ids and stored digests only)."""
        connection = self._reader()
        if connection is None:
            return identity_of([])
        try:
            return identity_of(connection.execute("SELECT id, digest FROM examples LIMIT ?", (BOUNDS.examples,)))
        except sqlite3.Error as error:
            raise _os_error(error, self.path, "read") from None
        finally:
            connection.close()

    # -- the Journal the board's learner writes to ------------------------------------------------
    def remember(self, example: Example) -> None:
        row = example_row(example)

        def insert(connection: sqlite3.Connection) -> None:
            # The rows number at most the largest rowid (each has its own, from 1): looking that up
            # is one step down the table's b-tree, where counting reads every row of an index, at
            # every insert; the exact count is needed only near the bound.
            if (connection.execute("SELECT max(rowid) FROM examples").fetchone()[0] or 0) >= BOUNDS.examples:
                count = connection.execute("SELECT count(*) FROM examples").fetchone()[0]
                if count >= BOUNDS.examples:
                    raise OSError(errno.EFBIG, f"the profile {self.path} holds {count:,} examples, the most it may")
            connection.execute(f"INSERT OR REPLACE INTO examples ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", row)

        self._change(insert)

    def forget(self, example: Example) -> None:
        self._change(lambda connection: connection.execute("DELETE FROM examples WHERE id = ?", (example.id,)))

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
            return self._merge_unlocked(examples, self._writer())

    def _merge_unlocked(self, examples: Iterable[Example], connection: sqlite3.Connection) -> tuple[int, int]:
        rows = [example_row(example) for example in examples]

        def insert(connection: sqlite3.Connection) -> tuple[int, int]:
            before = connection.execute("SELECT count(*) FROM examples").fetchone()[0]
            if before + len(rows) > BOUNDS.examples:
                raise OSError(errno.EFBIG, f"the profile {self.path} would hold over {BOUNDS.examples:,} examples")
            connection.executemany(f"INSERT OR IGNORE INTO examples ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            added = connection.execute("SELECT count(*) FROM examples").fetchone()[0] - before
            return added, len(rows) - added

        return _transaction(connection, insert, self.path, "write")  # type: ignore[return-value]

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
                    _schema(copy)
                else:
                    source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one file, whatever the source
            finally:
                copy.close()
                if source is not None:
                    source.close()
            if replace:
                os.replace(temporary, destination)
            else:
                os.link(temporary, destination)  # FileExistsError rather than a file replaced
        except sqlite3.Error as error:
            raise _os_error(error, Path(destination), "write") from None
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


def _transaction(connection: sqlite3.Connection, change: Callable[[sqlite3.Connection], object], path: Path,
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
        raise _os_error(error, path, doing) from None
    return result


def _schema(connection: sqlite3.Connection) -> None:
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute(SCHEMA)
    connection.execute(INDEX)


def _new_database(path: Path) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        _schema(connection)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")  # kept in the file: every later connection uses it
    finally:
        connection.close()


# -- the JSON-lines profile of earlier versions -----------------------------------------------------
def read_old_profile(path: Path) -> ProfileContents:
    """Every readable example of a JSON-lines profile (learn and forget lines), bounded: a line
    too long, not UTF-8, nested too deep or not an example is skipped and counted."""
    if not path.is_file():  # follows symlinks; a pipe or a device is never opened
        raise NotAProfile(f"{path} is not a regular file")
    examples: dict[str, Example] = {}
    skipped = 0
    with open(path, "rb") as handle:
        while True:
            line = handle.readline(BOUNDS.old_line + 1)
            if not line:
                break
            if len(line) > BOUNDS.old_line and not line.endswith(b"\n"):
                skipped += 1
                while line and not line.endswith(b"\n"):  # the rest of the long line
                    line = handle.readline(BOUNDS.old_line)
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line.decode("utf-8"))
                if "learn" in row:
                    example = _old_example(row["learn"])
                    examples[example.id] = example
                elif "forget" in row:
                    examples.pop(str(row["forget"]["id"]), None)
                else:
                    raise ValueError("neither learn nor forget")
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError, UnicodeDecodeError):
                skipped += 1
            if len(examples) > BOUNDS.examples:
                raise NotAProfile(f"{path} holds over {BOUNDS.examples:,} examples, more than a profile may")
    return ProfileContents(list(examples.values()), skipped)


def _old_example(row: dict) -> Example:
    strokes = [np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in row["strokes"]]
    label, accepted = row["label"], row.get("accepted", False)
    if (isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < DIGIT_CLASSES
            or not isinstance(accepted, bool)):
        raise ValueError("not an example")
    created = row.get("created", 0.0)
    if not created_in_bounds(created):
        raise ValueError("not an example")
    example = Example(label, strokes, None, str(row["id"])[:BOUNDS.id_length], float(created), accepted=accepted)
    example_row(example)  # within the bounds
    return example


def read_examples_file(path: Path) -> ProfileContents:
    """The examples of a profile, an export, or an old JSON-lines profile (for `--import`)."""
    try:
        return Profile(path, writable=False).read()
    except NotAProfile as refusal:
        if not path.is_file() or "older JSON-lines" not in str(refusal):
            raise
    return read_old_profile(path)


# -- the board's profile ----------------------------------------------------------------------------
def loaded_examples(path: str | os.PathLike[str]) -> tuple[list[Example], Identity]:
    """A profile's examples for replay, which only reads it (a missing file is an error there),
    and which examples they are."""
    profile = Profile(path, writable=False)
    if not profile.exists():
        raise FileNotFoundError(f"profile {profile.path} does not exist; give a profile written by the board "
                                "or by `digitboard profile --export`")
    examples = profile.examples()
    return examples, example_identity(examples)


def window_learner(
    recognizer: EmbeddingRecognizer, path: str | os.PathLike[str] | None, config: LearningConfig = LearningConfig(),
    fingerprint: str = "",
) -> PersonalRecognizer:
    """The window's recogniser and learner; `starting_from` says which examples it starts from
    (None: no usable profile), for a recording to name. A path holding something other than a
    profile raises NotAProfile; one that cannot be read or made leaves learning for the session only. The examples load on a thread while the model loads (only their ids are read
    now); every example learned or forgotten is written to the profile as it happens."""
    profile = Profile(path or default_profile_path())
    model_path = getattr(recognizer, "model_path", None)  # the window's BackgroundRecognizer knows its file
    if not fingerprint and model_path is not None:
        fingerprint = model_fingerprint(model_path)
    learner = PersonalRecognizer(recognizer, config=config, journal=profile, fingerprint=fingerprint)
    try:
        if not profile.exists():  # NotAProfile (a foreign file) goes up: the board refuses to start
            profile.create()  # now, so that an import of an older profile is told at once
        start = profile.identity()
    except OSError as error:
        learner.journal = None
        learner.load_error = error
        learner.problem(f"personal examples not loaded, nor kept: {error}")
        return learner
    for notice in profile.notices:
        learner.problem(notice)  # also on the window's strip

    def load() -> list[Example]:
        wanted = set(start.ids)  # exactly what the recording names, even if another board wrote since
        return [example for example in profile.examples() if example.id in wanted]

    learner.starting_from = start
    learner.load_in_background(load)
    return learner
