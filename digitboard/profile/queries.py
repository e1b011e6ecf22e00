"""What is read of a profile, as SQL on an open connection: every example, the small entries
choosing needs, the examples in use asked of the index, the examples some entries name, the
counts and the digests. The connection's owner (digitboard.profile.store.Profile) opens and
closes it and turns SQLite's errors into messages."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from digitboard.profile.examples import Example, LearningConfig
from digitboard.profile.in_use import Entry, in_use
from digitboard.profile.rows import BOUNDS, COLUMNS, LATEST_CREATED, ProfileContents, created_in_bounds, row_example
from digitboard.recognition.classes import DIGIT_CLASSES

ROWS_AT_ONCE = 500  # ids or rowids in one `IN (...)`: under SQLite's limit of bound parameters
# A row whose shape is that of an example, checked without reading its points (for the counts).
ROW_SHAPE = (f"typeof(id) = 'text' AND length(id) BETWEEN 1 AND {BOUNDS.id_length} "
             "AND typeof(label) = 'integer' AND label BETWEEN 0 AND 9 AND kind IN ('corrected', 'let stand') "
             f"AND typeof(points) = 'blob' AND length(points) % 8 = 0 AND length(points) BETWEEN 8 AND {8 * BOUNDS.points} "
             "AND typeof(stroke_ends) = 'blob' AND length(stroke_ends) % 4 = 0 "
             f"AND length(stroke_ends) BETWEEN 4 AND {4 * BOUNDS.strokes} "
             f"AND typeof(created) IN ('real', 'integer') AND created BETWEEN 0 AND {LATEST_CREATED!r}")


def _decoded(rows) -> ProfileContents:
    examples: list[Example] = []
    skipped = 0
    for row in rows:
        try:
            examples.append(row_example(row))
        except (ValueError, TypeError):
            skipped += 1
    return ProfileContents(examples, skipped)


def every_example(connection: sqlite3.Connection) -> ProfileContents:
    """The examples, oldest first (as learned); damaged rows skipped and counted."""
    return _decoded(connection.execute(f"SELECT {COLUMNS} FROM examples ORDER BY rowid LIMIT ?", (BOUNDS.examples,)))


def _entry(rowid: int, id: object, kind: str, label: int, created: float, tied_to: object) -> Entry:
    let_stand = kind == "let stand"
    return Entry(rowid, id, let_stand, label, created,  # type: ignore[arg-type]
                 tuple(str(tied_to).split())[:BOUNDS.tied_to] if let_stand else ())


def entries(connection: sqlite3.Connection) -> list[Entry]:
    """A small entry for each example (no strokes, no embedding), read from the index of the
    examples in use; rows whose entry is damaged are left out (and counted where they are read)."""
    return [_entry(*row) for row in connection.execute(
                "SELECT rowid, id, kind, label, created, tied_to FROM examples LIMIT ?", (BOUNDS.examples,))
            if isinstance(row[1], str) and isinstance(row[3], int) and 0 <= row[3] < DIGIT_CLASSES
            and created_in_bounds(row[4])]


def entries_in_use(connection: sqlite3.Connection, config: LearningConfig) -> list[Entry]:
    """The entries of the examples a learner with `config` reads with, as `in_use` chooses them
    from every entry, but asked of the index: the most recent of each kind and digit, a few rows
    each however large the profile, and which corrections tied to are left out."""
    chosen: list[Entry] = []
    for kind, cap in (("corrected", config.corrected_per_label), ("let stand", config.accepted_per_label)):
        for label in range(DIGIT_CLASSES) if cap else ():
            chosen += [_entry(rowid, id, kind, label, created, tied_to) for rowid, id, created, tied_to in connection.execute(
                "SELECT rowid, id, created, tied_to FROM examples WHERE kind = ? AND label = ? "
                "AND created BETWEEN 0 AND ? ORDER BY created DESC, rowid DESC LIMIT ?", (kind, label, LATEST_CREATED, cap))
                if isinstance(id, str) and created_in_bounds(created)]
    anchors = sorted({anchor for entry in chosen for anchor in entry.tied_to} - {entry.id for entry in chosen})
    elsewhere = [id for start in range(0, len(anchors), ROWS_AT_ONCE) for some in [anchors[start:start + ROWS_AT_ONCE]]
                 for (id,) in connection.execute(
                     f"SELECT id FROM examples WHERE kind = 'corrected' AND id IN ({','.join('?' * len(some))})", some)]
    return in_use(chosen, config, corrections_elsewhere=elsewhere)


def examples_of(connection: sqlite3.Connection, chosen: Sequence[Entry]) -> ProfileContents:
    """The examples these entries name, in the profile's order; damaged rows skipped and counted."""
    rowids = sorted(entry.rowid for entry in chosen)
    contents = [_decoded(connection.execute(
        f"SELECT {COLUMNS} FROM examples WHERE rowid IN ({','.join('?' * len(some))}) ORDER BY rowid", some))
        for start in range(0, len(rowids), ROWS_AT_ONCE) for some in [rowids[start:start + ROWS_AT_ONCE]]]
    return ProfileContents([example for part in contents for example in part.examples],
                           sum(part.skipped for part in contents))


def counts(connection: sqlite3.Connection) -> tuple[dict[tuple[str, int, bool], int], int]:
    """How many examples of each (kind, digit, tied to corrections), and how many damaged rows,
    counted by SQLite from each row's shape (no point is read: a damaged point inside a row of
    the right shape is found where the row is read)."""
    held = {(kind, label, bool(tied)): count for kind, label, tied, count in connection.execute(
        f"SELECT kind, label, kind = 'let stand' AND tied_to != '', count(*) FROM examples WHERE {ROW_SHAPE} "
        "GROUP BY 1, 2, 3")}
    total = connection.execute("SELECT count(*) FROM examples").fetchone()[0]
    return held, total - sum(held.values())


def digests(connection: sqlite3.Connection) -> dict[str, str]:
    """Each example's stored digest, by id (what a recording names examples by)."""
    return dict(connection.execute("SELECT id, digest FROM examples LIMIT ?", (BOUNDS.examples,)))
