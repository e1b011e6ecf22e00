"""What a large profile costs, held to its bound by what the code does rather than by a clock
(the figures are benchmarks/profile_costs.py's): a board and replay read only the examples in
use, embeddings the model made are stored for the next start, the counts are SQLite's, and the
window's frame thread never writes the profile."""

from __future__ import annotations

import sqlite3
import threading

import numpy as np
from test_learning import ONE, SEVEN, EmbeddingFake, image_batch

from digitboard.cli import main
from digitboard.profile import queries
from digitboard.profile import store as store_module
from digitboard.profile.examples import Example, LearningConfig
from digitboard.profile.learner import PersonalRecognizer
from digitboard.profile.loading import ReplayStart, window_learner
from digitboard.profile.rows import identity_of
from digitboard.profile.store import Profile
from digitboard.sessions import replay

CAPS = LearningConfig(accepted_per_label=2, corrected_per_label=3)


def many(path, count: int, label: int = 1, accepted: bool = False, start: float = 1e9) -> list[Example]:
    examples = [Example(label, [np.asarray(stroke, float) for stroke in ONE], accepted=accepted, created=start + index)
                for index in range(count)]
    Profile(path).merge(examples)
    return examples


def rows_decoded(monkeypatch) -> list[int]:
    """Count the rows whose strokes are decoded (queries.row_example), from now on."""
    decoded = []
    real = queries.row_example

    def counting(row):
        decoded.append(1)
        return real(row)

    monkeypatch.setattr(queries, "row_example", counting)
    return decoded


def test_a_board_starts_from_the_examples_in_use_and_reads_no_other_strokes(tmp_path, monkeypatch):
    """A start once read (and embedded) every example of the profile before keeping the 1,500 it uses."""
    path = tmp_path / "p.sqlite"
    corrected = many(path, 40)
    stood = many(path, 30, label=7, accepted=True)
    decoded = rows_decoded(monkeypatch)
    base = EmbeddingFake()
    learner = window_learner(base, path, CAPS)
    learner._loading.join(10)
    assert {example.id for example in learner.examples} == {example.id for example in corrected[-3:] + stood[-2:]}
    assert len(decoded) == 5 and base.embedded == 5
    assert len(Profile(path).read().examples) == 70  # and nothing was deleted
    learner.close(10)


def test_what_a_start_chooses_is_what_a_learner_given_every_example_keeps(tmp_path):
    """The choice made from the index agrees with the learner's own trim, ties included."""
    path = tmp_path / "p.sqlite"
    rng = np.random.default_rng(4)
    examples: list[Example] = []
    for index in range(120):
        corrections = [example for example in examples if not example.accepted]
        accepted = bool(rng.integers(2))
        tied = tuple(rng.choice([c.id for c in corrections], size=min(len(corrections), 2), replace=False)) \
            if accepted and corrections and rng.integers(2) else ()
        examples.append(Example(int(rng.integers(3)), [np.asarray(stroke, float) for stroke in SEVEN],
                                accepted=accepted, tied_to=tied, created=float(rng.integers(50))))
    Profile(path).merge(examples)
    whole = PersonalRecognizer(EmbeddingFake(), Profile(path).read().examples, CAPS)
    chosen = Profile(path).examples_in_use(CAPS)
    assert sorted(example.id for example in chosen) == sorted(example.id for example in whole.examples)


def test_read_only_replay_reads_and_embeds_only_the_examples_in_use(tmp_path, monkeypatch, capsys):
    """Replay once embedded all 199,000 examples of a profile for one stroke (133 s, 2.7 GB)."""
    path = tmp_path / "p.sqlite"
    many(path, 50)
    session = tmp_path / "s.jsonl"
    session.write_text('{"size": [640, 480], "strokes": [[[300, 100], [300, 210]]]}\n' * 3)
    decoded = rows_decoded(monkeypatch)
    base = EmbeddingFake()
    monkeypatch.setattr(replay, "load_recognizer", lambda model: base)
    assert replay.run_replay([str(session)], "model.keras", profile=str(path), config=CAPS) == 0
    assert len(decoded) == 3  # read once for the three sessions
    assert base.embedded == 3 + 3  # the three examples, once; a stroke in each session


def test_a_session_naming_its_examples_starts_from_those_in_use_of_them(tmp_path):
    path = tmp_path / "p.sqlite"
    old, new = many(path, 5)[:4], many(path, 5, start=2e9)
    named = Profile(path).identity()
    start = ReplayStart(path, EmbeddingFake(), CAPS)
    recorded = {"examples": 4, "ids": [example.id for example in old],
                "digest": identity_of((id, digest) for id, digest in Profile(path).digests().items()
                                                   if id in {example.id for example in old}).digest}
    examples, difference = start.for_session(recorded)
    assert difference is None and [example.id for example in examples] == [example.id for example in old[-3:]]
    examples, difference = start.for_session(None)
    assert difference is None and [example.id for example in examples] == [example.id for example in new[-3:]]
    assert named.ids and start.for_session({**recorded, "digest": "0" * 32})[1] == "its examples differ from the profile's"


def test_embeddings_made_at_a_start_are_stored_for_the_next_one(tmp_path):
    """20,000 corrections once cost 6 s of model runs at every start: what was made was never kept."""
    path = tmp_path / "p.sqlite"
    many(path, 3)
    first = EmbeddingFake()
    learner = window_learner(first, path, fingerprint="model-a")
    learner._loading.join(10)
    assert learner.close(10) and first.embedded == 3
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM examples WHERE model = 'model-a' AND embedding IS NOT NULL"
                                  ).fetchone()[0] == 3
    again = EmbeddingFake()
    learner = window_learner(again, path, fingerprint="model-a")
    learner._loading.join(10)
    learner.predict(image_batch(ONE))
    assert again.embedded == 1  # the digit read, no example
    learner.close(10)


def test_the_counts_read_no_stroke(tmp_path, monkeypatch, capsys):
    """`profile --json` once loaded every stroke to count them (760 MB for a 322 MB profile)."""
    path = tmp_path / "p.sqlite"
    many(path, 4)
    many(path, 2, label=7, accepted=True)
    with sqlite3.connect(path) as connection:  # a row of the wrong shape: damaged, counted apart
        connection.execute("UPDATE examples SET stroke_ends = x'010203' WHERE rowid = 1")

    def no_strokes(row):
        raise AssertionError("a stroke was read")

    monkeypatch.setattr(queries, "row_example", no_strokes)
    capsys.readouterr()
    assert main(["profile", "--profile", str(path), "--json"]) == 0
    counted = __import__("json").loads(capsys.readouterr().out)
    assert (counted["examples"], counted["corrected"], counted["let_stand"], counted["skipped"]) == (5, {"1": 3}, {"7": 2}, 1)
    assert main(["profile", "--profile", str(path)]) == 0
    assert "5 personal example(s), 3 corrected and 2 let stand" in capsys.readouterr().out


def test_the_frame_thread_never_writes_the_profile(tmp_path):
    """A correction waited up to 2.5 s on the frame thread while another program imported."""
    path = tmp_path / "p.sqlite"
    many(path, 1)
    learner = window_learner(EmbeddingFake(), path)
    learner._loading.join(10)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program's long import holds the profile
    writers: list[str] = []
    real = Profile.remember

    def remember(self, example):
        writers.append(threading.current_thread().name)
        return real(self, example)

    Profile.remember = remember  # type: ignore[method-assign]
    try:
        learner.learn(image_batch(SEVEN)[0, ..., 0], [np.asarray(SEVEN[0], float)], 3)  # returns at once
        assert len(Profile(path).read().examples) == 1  # not written yet: the profile is held
        holder.execute("COMMIT")
        assert learner.close(30)
    finally:
        Profile.remember = real  # type: ignore[method-assign]
        holder.close()
    assert len(Profile(path).read().examples) == 2 and writers == ["profile-writer"]
    assert learner.journal_error is None


def test_replay_keeping_corrections_commits_those_waiting_together_and_keeps_each_whole(tmp_path, monkeypatch, capsys):
    """--update-profile writes behind, those waiting committed together (test below); each change
    stays whole, a failed one leaves the ones before it, and the exit status says so."""
    import dataclasses
    import json

    path = tmp_path / "p.sqlite"
    session = tmp_path / "s.jsonl"
    actions = [{"stroke": ONE[0]}] + [{"correct": {"at": [300, 150], "label": index % 10}} for index in range(5)]
    session.write_text(json.dumps({"size": [640, 480], "actions": actions}) + "\n")
    monkeypatch.setattr(replay, "load_recognizer", lambda model: EmbeddingFake())
    assert replay.run_replay([str(session)], "model.keras", profile=str(path), update_profile=True) == 0
    assert len(Profile(path).read().examples) == 5
    path = tmp_path / "small.sqlite"
    monkeypatch.setattr(store_module, "BOUNDS", dataclasses.replace(store_module.BOUNDS, examples=3))
    assert replay.run_replay([str(session)], "model.keras", profile=str(path), update_profile=True) == 2
    assert len(Profile(path).read().examples) == 3  # the three that fit, each whole
    assert "holds 3 examples, the most it may" in capsys.readouterr().err


def test_changes_waiting_to_be_written_are_committed_together(tmp_path):
    """A transaction a change once cost 0.1 to 0.3 ms each: 100,000 corrections took 116 s of
    replay against 21 s without a profile."""
    from digitboard.profile.writer import WritingThread

    class SlowJournal:
        def __init__(self) -> None:
            self.written: list[str] = []
            self.batches: list[int] = []
            self.go_on, self.writing = threading.Event(), threading.Event()

        def remember(self, example: Example) -> None:
            self.writing.set()
            self.go_on.wait(10)  # the first write is slow: the rest wait meanwhile
            self.written.append(example.id)

        def forget(self, example: Example) -> None:
            raise OSError(28, "No space left on device")

        @__import__("contextlib").contextmanager
        def batch(self, on_failure):
            before = len(self.written)
            yield
            self.batches.append(len(self.written) - before)

    journal = SlowJournal()
    failures: list[OSError] = []
    writing = WritingThread(journal, failures.append)
    changes = [Example(1, [np.asarray(stroke, float) for stroke in ONE]) for _ in range(6)]
    writing.remember(changes[0])
    assert journal.writing.wait(10)
    for example in changes[1:]:
        writing.remember(example)
    journal.go_on.set()
    assert writing.flush(10)
    assert journal.written == [example.id for example in changes]  # in order
    assert journal.batches == [5]  # the first alone, the five that waited in one transaction
    writing.forget(changes[0])
    writing.remember(changes[1])
    assert writing.close(10) and [error.errno for error in failures] == [28]  # said once, then nothing written
    assert len(journal.written) == 6


def test_rows_a_statement_keeps_within_what_this_sqlite_takes():
    connection = sqlite3.connect(":memory:")
    assert store_module.rows_a_statement(connection) == min(store_module.ROWS_A_STATEMENT,
                                                            connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 10)
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # SQLite before 3.32
    assert store_module.rows_a_statement(connection) == 99
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 5)
    assert store_module.rows_a_statement(connection) == 1


def test_a_run_of_examples_written_in_one_go_is_what_one_at_a_time_writes(tmp_path, monkeypatch):
    """remember_all inserts many rows a statement; near the bound, and on a failure, it writes one
    at a time, so the ones before the example that does not fit are kept, each whole."""
    import dataclasses
    import errno

    examples = [Example(index % 10, [np.asarray(stroke, float) + index for stroke in ONE], created=1e9 + index,
                        accepted=index % 3 == 0, tied_to=("a" * 32,) if index % 3 == 0 else ())
                for index in range(150)]
    monkeypatch.setattr(store_module, "ROWS_A_STATEMENT", 64)  # more than one statement's rows
    together, apart = Profile(tmp_path / "together.sqlite"), Profile(tmp_path / "apart.sqlite")
    together.remember_all(examples)
    for example in examples:
        apart.remember(example)

    def rows(profile: Profile) -> list[tuple]:
        with sqlite3.connect(profile.path) as connection:
            return connection.execute("SELECT rowid, * FROM examples ORDER BY rowid").fetchall()

    assert len(rows(together)) == 150 and rows(together) == rows(apart)
    monkeypatch.setattr(store_module, "BOUNDS", dataclasses.replace(store_module.BOUNDS, examples=3))
    small = Profile(tmp_path / "small.sqlite")
    try:
        small.remember_all(examples[:5])
    except OSError as error:
        assert error.errno == errno.EFBIG
    else:
        raise AssertionError("a profile took more examples than its bound")
    assert [example.id for example in small.read().examples] == [example.id for example in examples[:3]]


def test_new_examples_ids_are_time_ordered_uuids_never_repeated_by_a_forked_process(monkeypatch):
    """Ids grow with time (the profile's index of ids is written at its end), without asking the
    system for randomness at each one; a process forked from this one draws other ids."""
    import os
    import time
    import uuid

    from digitboard.profile import examples as examples_module

    source = examples_module._IdSource()
    monkeypatch.setattr(os, "urandom", lambda size: (_ for _ in ()).throw(AssertionError("asked the system")))
    before = time.time_ns() // 1_000_000
    ids = [source.new_id() for _ in range(1000)]
    after = time.time_ns() // 1_000_000
    parsed = [uuid.UUID(id) for id in ids]
    assert len(set(ids)) == 1000 and all(len(id) == 32 for id in ids)
    assert {(value.version, value.variant) for value in parsed} == {(7, uuid.RFC_4122)}
    made = [value.int >> 80 for value in parsed]
    assert made == sorted(made) and before <= made[0] and made[-1] <= after

    parent = examples_module._IdSource()
    twin = examples_module._IdSource()
    twin._random.setstate(parent._random.getstate())  # a fork's copy of the parent's generator
    monkeypatch.setattr(os, "getpid", lambda: twin._pid + 1)  # ... in another process
    assert {twin.new_id()[13:] for _ in range(5)}.isdisjoint(parent.new_id()[13:] for _ in range(5))
