"""The profile store (digitboard.profile.store) and `digitboard profile`: examples kept in
SQLite, foreign files refused and left as they were, two processes at once, kill -9, a full disk,
the import of an older JSON-lines profile, and the user's control (list, forget, export, import,
clear and restore)."""

from __future__ import annotations

import io
import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from test_learning import ONE, SEVEN, EmbeddingFake, image_batch, shifted

from digitboard.cli import main
from digitboard.profile.examples import Example
from digitboard.profile.legacy import OLD_PROFILE_NAME
from digitboard.profile.loading import window_learner
from digitboard.profile.schema import NotAProfile
from digitboard.profile.store import PROFILE_NAME, Profile, default_profile_path
from digitboard.profile.command import ProfileRequest, picture, run_profile

REPOSITORY = Path(__file__).resolve().parents[1]


def example(label: int, strokes=SEVEN, accepted: bool = False, tied_to=()) -> Example:
    return Example(label, [np.asarray(s, np.float64) for s in strokes], accepted=accepted, tied_to=tuple(tied_to))


def labels(path) -> list[int]:
    return [stored.label for stored in Profile(path).read().examples]


# -- the store -------------------------------------------------------------------------------------
def test_examples_are_kept_and_forgotten_each_in_one_transaction(tmp_path):
    profile = Profile(tmp_path / "folder" / "profile.sqlite")  # the folder is made on first use
    kept, undone = example(7), example(1, accepted=True)
    kept.embedding, kept.model = np.ones(4, np.float32) / 2, "model-a"
    profile.remember(kept)
    profile.remember(undone)
    profile.forget(undone)
    (stored,) = Profile(profile.path).read().examples
    assert (stored.id, stored.label, stored.accepted, stored.model) == (kept.id, 7, False, "model-a")
    assert all(np.allclose(a, b) for a, b in zip(stored.strokes, kept.strokes))
    assert np.array_equal(stored.embedding, kept.embedding) and stored.image is None
    with sqlite3.connect(profile.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 2
        assert connection.execute("PRAGMA application_id").fetchone()[0] == 0x64677462


def test_a_missing_profile_is_empty_and_reading_it_creates_nothing(tmp_path):
    assert Profile(tmp_path / "none.sqlite").read().examples == []
    assert main(["profile", "--profile", str(tmp_path / "none.sqlite"), "--json"]) == 0
    assert not (tmp_path / "none.sqlite").exists()


def foreign_files(tmp_path: Path) -> dict[str, Path]:
    text = tmp_path / "notes.txt"
    text.write_text("my notes\n")
    recording = tmp_path / "session.jsonl"
    recording.write_text('{"size":[640,480],"recording":1}\n{"stroke":[[1,2],[3,4]]}\n')
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text)")
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps({"learn": {"id": "a", "label": 1, "strokes": [[[0, 0], [0, 50]]]}}) + "\n")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    return {"text": text, "recording": recording, "other sqlite": other, "old profile": old, "empty": empty,
            "fifo": fifo, "folder": folder, "device": Path("/dev/null")}


@pytest.mark.parametrize("options", [["--json"], ["--clear", "--yes"], ["--list"], ["--forget", "abcd"],
                                     ["--import", "IMPORT"], ["--restore"]])
def test_what_is_not_a_profile_is_refused_in_one_line_and_left_as_it_was(tmp_path, capsys, options):
    source = tmp_path / "source.sqlite"
    Profile(source).remember(example(3))
    options = [str(source) if option == "IMPORT" else option for option in options]
    for kind, path in foreign_files(tmp_path).items():
        before = None if not path.is_file() or kind == "fifo" else path.read_bytes()
        assert main(["profile", "--profile", str(path), *options]) == 2, kind
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and "profile" in error and "Traceback" not in error, (kind, error)
        if before is not None:
            assert path.read_bytes() == before, kind
        assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists(), kind


def test_the_board_refuses_to_start_on_a_foreign_profile_and_leaves_it_as_it_was(tmp_path, capsys):
    files = foreign_files(tmp_path)
    for kind in ("text", "recording", "fifo", "other sqlite", "folder"):
        with pytest.raises(NotAProfile):
            window_learner(EmbeddingFake(), files[kind])
    assert main(["--profile", str(files["text"])]) == 2  # before any window opens
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "not a digitboard profile" in error
    assert files["text"].read_text() == "my notes\n" and not Path(f"{files['text']}-wal").exists()


def test_an_old_profile_given_as_the_profile_is_refused_with_the_way_to_import_it(tmp_path, capsys):
    old = foreign_files(tmp_path)["old profile"]
    assert main(["profile", "--profile", str(old)]) == 2
    assert "--import" in capsys.readouterr().err


def test_symlinks_stay_symlinks_and_the_file_they_name_is_written(tmp_path):
    real = tmp_path / "real.sqlite"
    link = tmp_path / "link.sqlite"
    link.symlink_to(real)  # dangling until the profile is created
    Profile(link).remember(example(5))
    Profile(link).remember(example(6))
    assert link.is_symlink() and real.is_file() and labels(real) == [5, 6]
    assert main(["profile", "--profile", str(link), "--clear", "--yes"]) == 0
    assert link.is_symlink() and labels(link) == []


def test_the_older_json_lines_profile_is_imported_once_and_left_where_it_was(tmp_path, capsys):
    old = tmp_path / OLD_PROFILE_NAME
    lines = [json.dumps({"learn": {"id": f"e{i}", "label": i % 10, "strokes": [[[0, 0], [10, 50 + i]]],
                                   "created": 1000.0 + i, **({"accepted": True} if i % 2 else {})}}) for i in range(6)]
    lines.insert(2, json.dumps({"forget": {"id": "e0"}}))
    lines.insert(3, "\xff not utf-8")
    lines.insert(4, "[" * 100_000 + "]" * 100_000)  # nested deeper than a parser recurses
    lines.append('{"learn": {"id": "torn", "label": 5, "stro')  # a kill in the middle of a write
    old.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff"))
    before = old.read_bytes()
    learner = window_learner(EmbeddingFake(), tmp_path / PROFILE_NAME)
    learner._loading.join(5)
    assert sorted(e.id for e in learner.examples) == [f"e{i}" for i in range(1, 6)]
    assert "imported 5 personal example(s)" in capsys.readouterr().err and old.read_bytes() == before
    again = window_learner(EmbeddingFake(), tmp_path / PROFILE_NAME)  # the second start imports nothing
    again._loading.join(5)
    assert "imported" not in capsys.readouterr().err and len(again.examples) == 5
    assert [e.accepted for e in Profile(tmp_path / PROFILE_NAME).read().examples] == [True, False, True, False, True]


def test_an_import_of_the_older_profile_cut_short_leaves_no_profile_so_the_next_start_imports_it(
        tmp_path, monkeypatch, capsys):
    """A full disk (or a kill) during the first start's import once left an empty profile in
    place: every later start showed 0 examples and never named the older file again."""
    from digitboard.profile import making

    old = tmp_path / OLD_PROFILE_NAME
    old.write_text("\n".join(json.dumps({"learn": {"id": f"e{i}", "label": i, "strokes": [[[0, 0], [10, 60]]]}})
                             for i in range(3)) + "\n")

    def full_disk(connection, examples, shown):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(making, "add_new", full_disk)
        with pytest.raises(OSError):
            Profile(tmp_path / PROFILE_NAME).create()
    assert not (tmp_path / PROFILE_NAME).exists() and sorted(p.name for p in tmp_path.iterdir()) == [OLD_PROFILE_NAME]
    learner = window_learner(EmbeddingFake(), tmp_path / PROFILE_NAME)
    learner._loading.join(5)
    assert len(learner.examples) == 3 and "imported 3 personal example(s)" in capsys.readouterr().err


def test_a_damaged_row_is_skipped_and_the_rest_is_read(tmp_path, capsys):
    path = tmp_path / "p.sqlite"
    for label in (2, 4):
        Profile(path).remember(example(label))
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE examples SET stroke_ends = x'0100' WHERE label = 2")
    assert [e.label for e in Profile(path).examples()] == [4]
    assert "skipped 1 damaged example(s)" in capsys.readouterr().err
    assert main(["profile", "--profile", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 1


def test_an_example_beyond_the_bounds_is_not_kept(tmp_path):
    huge = Example(1, [np.zeros((30_000, 2))])
    with pytest.raises(ValueError, match="points"):
        Profile(tmp_path / "p.sqlite").remember(huge)


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from digitboard.profile.examples import Example
    from digitboard.profile.store import Profile
    profile = Profile(sys.argv[1])
    for index in range(int(sys.argv[2])):
        profile.remember(Example(int(sys.argv[3]), [np.array([[0.0, 0.0], [1.0, float(index)]])]))
        print(index, flush=True)
""")


def test_two_processes_writing_one_profile_lose_nothing(tmp_path):
    path = tmp_path / "p.sqlite"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), "100", str(label)], cwd=REPOSITORY,
                                stdout=subprocess.DEVNULL) for label in (1, 7)]
    assert [writer.wait(120) for writer in writers] == [0, 0]
    read = Profile(path).read().examples
    assert sorted((label, sum(e.label == label for e in read)) for label in (1, 7)) == [(1, 100), (7, 100)]


def test_a_kill_at_any_moment_leaves_a_profile_with_every_committed_example(tmp_path):
    path = tmp_path / "p.sqlite"
    for delay in (0.5, 0.9, 1.3):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "100000", "4"], cwd=REPOSITORY,
                                  stdout=subprocess.PIPE, text=True)
        committed = len(Profile(path).read().examples) - 1  # from the runs before
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until it writes, then kill it mid-stream
            line = writer.stdout.readline()
            if line:
                committed += 1
                if int(line) >= 5:
                    break
        time.sleep(delay / 10)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        committed += len(writer.stdout.read().split())
        count = len(Profile(path).read().examples)
        assert count >= committed + 1  # every example it said was written, at least
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def small_disk(tmp_path) -> Path:
    """A 1 MiB tmpfs, if this process may mount one (root on Linux); else skip."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=False, capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({result.stderr.decode().strip()})")
    return mount


def test_a_full_disk_gives_a_message_and_loses_nothing_kept(tmp_path, capsys):
    mount = small_disk(tmp_path)
    try:
        path = mount / "p.sqlite"
        said = []
        learner = window_learner(EmbeddingFake(), path)
        learner.on_problem = said.append
        learner._loading.join(5)
        big = [np.random.default_rng(0).uniform(0, 500, (5000, 2))]
        kept = 0
        for _ in range(200):
            learner.learn(image_batch(SEVEN)[0, ..., 0], big, 1)
            learner.writer.flush(30)  # written behind, on the learner's thread
            if learner.journal is None:
                break
            kept += 1
        assert learner.journal is None and 0 < kept < 200
        assert any("disk is full" in message for message in said) and "disk is full" in capsys.readouterr().err
        learner.journal = None
        subprocess.run(["sync"], check=False)
        assert len(Profile(path).read().examples) == kept  # every example kept before is still there
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_the_default_profile_is_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr("sys.platform", "linux")
    assert default_profile_path() == tmp_path / "digitboard" / PROFILE_NAME


# -- the window's learner ------------------------------------------------------------------------
def test_the_window_learner_loads_the_profile_and_writes_each_correction_and_undo(tmp_path):
    path = tmp_path / "p.sqlite"
    Profile(path).remember(example(4))
    learner = window_learner(EmbeddingFake(), path)
    learner._loading.join(5)
    assert learner.ready and [e.label for e in learner.examples] == [4]
    assert learner.starting_from.ids == tuple(e.id for e in learner.examples)
    assert learner.predict(image_batch(shifted(SEVEN, 50)))[0].argmax() == 4
    one = [[(300.0, 100.0), (300.0, 210.0)]]
    handle = learner.learn(image_batch(one)[0, ..., 0], [np.asarray(one[0])], 1)
    learner.writer.flush(10)  # written behind, on the learner's thread
    assert labels(path) == [4, 1]
    learner.forget(handle)
    assert learner.close(10)
    assert labels(path) == [4]
    again = window_learner(EmbeddingFake(), path)  # a second board starts from what the first left
    again._loading.join(5)
    assert [e.label for e in again.examples] == [4]


def test_embeddings_are_kept_with_their_model_and_used_only_with_that_model(tmp_path):
    path = tmp_path / "p.sqlite"
    stored = example(3)
    from digitboard.profile.evidence import unit_rows

    stored.embedding = unit_rows(EmbeddingFake().embed_and_predict(image_batch(SEVEN))[0])[0]  # as the board stores one
    stored.model = "model-a"
    Profile(path).remember(stored)
    for fingerprint, embedded in (("model-a", 1), ("model-b", 2)):  # the digit read, and the example if stale
        base = EmbeddingFake()
        learner = window_learner(base, path, fingerprint=fingerprint)
        learner._loading.join(5)
        assert learner.predict(image_batch(shifted(SEVEN, 10)))[0].argmax() == 3
        assert base.embedded == embedded, fingerprint


def test_an_unwritable_profile_folder_does_not_stop_the_board(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    learner = window_learner(EmbeddingFake(), blocker / "p.sqlite")  # a folder that cannot be made
    learner._loading is None or learner._loading.join(5)
    learner.learn(image_batch(SEVEN)[0, ..., 0], [np.asarray(SEVEN[0], float)], 3)
    assert len(learner.examples) == 1 and learner.journal is None
    assert "not loaded, nor kept: cannot read the profile" in capsys.readouterr().err


# -- `digitboard profile` --------------------------------------------------------------------------
def test_the_profile_command_counts_as_text_and_as_json(tmp_path, capsys):
    path = tmp_path / "p.sqlite"
    profile = Profile(path)
    anchor = example(7)
    for stored in (anchor, example(7), example(1), example(1, accepted=True), example(7, accepted=True, tied_to=[anchor.id])):
        profile.remember(stored)
    assert main(["profile", "--profile", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"profile {path}: 5 personal example(s), 3 corrected and 2 let stand" in out and "  0: 0 (0 corrected" in out
    assert "  7: 3 (2 corrected, 1 let stand, 1 of them tied to corrections)" in out
    assert main(["--profile", str(path), "profile", "--json"]) == 0  # the top-level option names it too
    counts = json.loads(capsys.readouterr().out)
    assert counts["corrected"] == {"1": 1, "7": 2} and counts["let_stand"] == {"1": 1, "7": 1}
    assert counts["tied"] == {"7": 1} and counts["examples"] == 5


def test_list_shows_each_example_and_forget_removes_it_with_what_is_tied_to_it(tmp_path, capsys):
    path = tmp_path / "p.sqlite"
    profile = Profile(path)
    anchor, other = example(7), example(2)
    tied = example(7, accepted=True, tied_to=[anchor.id])
    for stored in (anchor, other, tied):
        profile.remember(stored)
    assert main(["profile", "--profile", str(path), "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    shown = lines[0].split()[0]  # made within a minute, the three ids share their first eight characters
    assert len(shown) > 8 and anchor.id.startswith(shown) and not other.id.startswith(shown)
    assert len(lines) == 3 and lines[0].startswith(shown) and lines[0].endswith("corrected")
    digit_columns = {line.index(f" {line.split()[1]} ", len(line.split()[0])) for line in lines}
    assert len(digit_columns) == 1 and lines[0].split()[1] == "7"  # the digits in one column
    assert lines[2].endswith(f"let stand, tied to {shown}")
    assert main(["profile", "--profile", str(path), "--forget", shown]) == 0
    assert "forgot 1 personal example(s) and 1 let stand tied to them" in capsys.readouterr().out
    assert [e.id for e in Profile(path).read().examples] == [other.id]
    assert main(["profile", "--profile", str(path), "--forget", "zzzz"]) == 2
    assert "matches no example" in capsys.readouterr().err and labels(path) == [2]


def test_list_shows_each_id_by_its_shortest_start_no_other_shares_eight_characters_at_least():
    from digitboard.profile.command import short_ids

    ids = ["0123456789ab", "0123456789ac", "01234567ffff", "abcdef", "ab"]
    assert short_ids(ids) == {"0123456789ab": "0123456789ab", "0123456789ac": "0123456789ac",
                              "01234567ffff": "01234567f", "abcdef": "abcdef", "ab": "ab"}
    assert short_ids(["0123456789ab", "fedcba9876543210"]) == {"0123456789ab": "01234567", "fedcba9876543210": "fedcba98"}
    assert short_ids([]) == {}
    from digitboard.profile.command import listing

    made = [example(digit) for digit in (1, 2, 3)]
    for made_one, id in zip(made, ("0123456789abcdef", "0123456789abcdee", "fedcba9876543210")):
        made_one.id = id
    lines = listing(made, pictures=False)
    assert [line.split()[0] for line in lines] == ["0123456789abcdef", "0123456789abcdee", "fedcba98"]
    assert {line.index(f"  {digit}  ") for line, digit in zip(lines, (1, 2, 3))} == {16}  # one column


def test_list_draws_a_small_picture_of_each_example():
    lines = picture(example(1, [[(100, 0), (100, 200)]]))
    assert len(lines) == 4 and all(len(line) == 8 for line in lines)
    assert all(line[3] != "\u2800" or line[4] != "\u2800" for line in lines)  # a stroke down the middle
    assert all(line[0] == "\u2800" for line in lines)  # and nothing at the side


def test_export_never_overwrites_without_force_and_import_merges_it(tmp_path, capsys):
    path, exported = tmp_path / "p.sqlite", tmp_path / "copy.sqlite"
    for label in (7, 7, 1):
        Profile(path).remember(example(label))
    exported.write_text("precious")
    assert main(["profile", "--profile", str(path), "--export", str(exported)]) == 2
    assert "--force" in capsys.readouterr().err and exported.read_text() == "precious"
    assert main(["profile", "--profile", str(path), "--export", str(exported), "--force"]) == 0
    assert labels(exported) == [7, 7, 1]
    assert main(["profile", "--profile", str(path), "--export", str(path), "--force"]) == 2  # not onto itself
    elsewhere = tmp_path / "elsewhere.sqlite"
    Profile(elsewhere).remember(example(3))
    assert main(["profile", "--profile", str(elsewhere), "--import", str(exported)]) == 0
    assert "imported 3 personal example(s)" in capsys.readouterr().out and sorted(labels(elsewhere)) == [1, 3, 7, 7]
    assert main(["profile", "--profile", str(elsewhere), "--import", str(exported)]) == 0  # merged: no twins
    assert "imported 0 personal example(s)" in capsys.readouterr().out and len(labels(elsewhere)) == 4


def test_clear_keeps_a_dated_backup_that_restore_brings_back(tmp_path, capsys):
    path = tmp_path / "p.sqlite"
    for label in (7, 1):
        Profile(path).remember(example(label))
    assert main(["profile", "--profile", str(path), "--clear", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "cleared 2 personal example(s)" in out and labels(path) == []
    (backup,) = tmp_path.glob("p.sqlite.cleared-*")
    assert labels(backup) == [7, 1]
    assert main(["profile", "--profile", str(path), "--restore"]) == 0
    assert "restored 2 personal example(s)" in capsys.readouterr().out and labels(path) == [7, 1]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_clear_asks_on_a_terminal_and_refuses_without_one_unless_told_yes(tmp_path, capsys):
    path = tmp_path / "p.sqlite"
    Profile(path).remember(example(7))
    out = Terminal()
    assert run_profile(ProfileRequest(str(path), clear=True), Terminal("n\n"), out) == 0
    assert "[y/N]" in out.getvalue() and "nothing cleared" in out.getvalue() and labels(path) == [7]
    assert run_profile(ProfileRequest(str(path), clear=True), Terminal("y\n"), Terminal()) == 0
    assert labels(path) == []
    Profile(path).remember(example(7))
    with subprocess.Popen([sys.executable, "-m", "digitboard", "profile", "--profile", str(path), "--clear"],
                          cwd=REPOSITORY, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        error = process.stderr.read()
    assert process.returncode == 2 and error.count("\n") == 1 and "--yes" in error and labels(path) == [7]


@pytest.mark.parametrize("argv", [["profile", "--clear", "--yes"], ["profile"]])
def test_the_profile_command_uses_the_user_data_folder_by_default(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr("sys.platform", "linux")
    assert main(argv) == 0
    assert str(tmp_path / "digitboard" / PROFILE_NAME) in capsys.readouterr().out


def test_not_a_profile_is_a_value_error_a_user_can_act_on(tmp_path):
    (tmp_path / "t.txt").write_text("x")
    with pytest.raises(NotAProfile, match="not a digitboard profile"):
        Profile(tmp_path / "t.txt").read()


def test_the_profile_command_imports_an_older_profile_beside_the_default_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr("sys.platform", "linux")
    old = tmp_path / "digitboard" / OLD_PROFILE_NAME
    old.parent.mkdir()
    old.write_text(json.dumps({"learn": {"id": "a", "label": 1, "strokes": [[[0, 0], [0, 50]]]}}) + "\n")
    assert main(["profile", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["corrected"] == {"1": 1} and "imported 1 personal example(s)" in captured.err
    assert old.is_file()
def test_the_default_profile_is_in_the_tests_own_folder(user_data_folder):
    from digitboard.profile.store import default_profile_path
    assert str(default_profile_path()).startswith(str(user_data_folder))


def test_the_profile_command_reports_no_success_it_did_not_have(tmp_path, capsys):
    """`--import typo.sqlite` said "imported 0" and made a profile; `--restore missing` said
    "restored 0"; `--forget X X` said "forgot 2"; `--profile ""` meant the real default profile."""
    from digitboard.cli import main

    path = tmp_path / "p.sqlite"
    assert main(["profile", "--profile", str(path), "--import", str(tmp_path / "typo.sqlite")]) == 2
    assert "does not exist" in capsys.readouterr().err and not path.exists()
    assert main(["profile", "--profile", str(path), "--restore", str(tmp_path / "missing.sqlite")]) == 2
    assert "does not exist" in capsys.readouterr().err
    Profile(path).remember(example(3))
    (only,) = Profile(path).read().examples
    assert main(["profile", "--profile", str(path), "--forget", only.id, only.id]) == 0
    assert "forgot 1 personal example(s)" in capsys.readouterr().out
    for command in (["profile", "--profile", "", "--clear", "--yes"], ["replay", "x.jsonl", "--profile", ""],
                    ["--profile", ""]):
        with pytest.raises(SystemExit) as stopped:
            main(command)
        assert stopped.value.code == 2 and "empty path" in capsys.readouterr().err


def test_an_imported_time_no_clock_can_show_is_a_damaged_example_skipped_and_counted(tmp_path, capsys):
    """A `created` of 1e300 or Infinity once made every later `--list` die with an OverflowError;
    NaN was dropped and reported as "1 already there"."""
    from digitboard.cli import main

    old = tmp_path / "old.jsonl"
    rows = [{"learn": {"id": f"e{i}", "label": 1, "strokes": [[[0, 0], [0, 50]]], "created": created}}
            for i, created in enumerate([1e300, float("inf"), float("nan"), -5, "soon", 1000.0])]
    old.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    path = tmp_path / "p.sqlite"
    assert main(["profile", "--profile", str(path), "--import", str(old)]) == 0
    out = capsys.readouterr().out
    assert "imported 1 personal example(s)" in out and "0 already there, 5 damaged one(s) skipped" in out
    assert main(["profile", "--profile", str(path), "--list"]) == 0
    assert "e5" in capsys.readouterr().out


def test_a_damaged_stored_embedding_is_made_again_from_the_strokes(tmp_path):
    """One of the wrong length made replay exit 2 with numpy's matmul message; one not of unit
    length made every digit read "7 · yours" at 100%."""
    from digitboard.profile.evidence import unit_rows

    path = tmp_path / "p.sqlite"
    sound = unit_rows(EmbeddingFake().embed_and_predict(image_batch(SEVEN))[0])[0]
    for damage in (sound[:-3], sound * 40, np.full_like(sound, np.nan)):
        path.unlink(missing_ok=True)
        stored = [example(3), example(5)]
        stored[0].embedding, stored[1].embedding = damage.astype(np.float32), sound.astype(np.float32)
        for each in stored:
            each.model = "model-a"
            Profile(path).remember(each)
        learner = window_learner(EmbeddingFake(), path, fingerprint="model-a")
        learner._loading.join(5)
        assert learner.load_error is None
        assert all(abs(np.linalg.norm(e.embedding) - 1) < 1e-3 and len(e.embedding) == len(sound) for e in learner.examples)
        probabilities = learner.predict(image_batch(shifted(ONE, 400)))[0]
        assert probabilities.max() < 0.999  # a one far from both examples is not pulled to 100%
        assert learner.close(10)  # the embedding made again, stored


def test_list_never_sends_an_imported_ids_escape_sequences_to_the_terminal(tmp_path, capsys):
    from digitboard.cli import main

    path = tmp_path / "p.sqlite"
    crafted = example(4)
    crafted.id = "\x1b]0;owned\x07ab"
    Profile(path).remember(crafted)
    assert main(["profile", "--profile", str(path), "--list"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b" in out


def test_a_profile_takes_examples_up_to_its_bound_and_again_after_one_is_forgotten(tmp_path, monkeypatch):
    import dataclasses
    import errno as errors

    from digitboard.profile import store as profile_module

    monkeypatch.setattr(profile_module, "BOUNDS", dataclasses.replace(profile_module.BOUNDS, examples=3))
    store = Profile(tmp_path / "p.sqlite")
    kept = [example(label) for label in (1, 2, 3)]
    for each in kept:
        store.remember(each)
    with pytest.raises(OSError) as refused:
        store.remember(example(4))
    assert refused.value.errno == errors.EFBIG
    store.forget(kept[0])
    store.remember(example(5))  # room again, though the largest row number is past the bound
    assert sorted(e.label for e in store.read().examples) == [2, 3, 5]


def test_reading_a_profile_while_writing_it_keeps_sqlites_locks(tmp_path):
    """Reading the header again (an open and a close of the file) dropped every POSIX lock the
    process held on it, SQLite's own included: another process closing the profile then took
    itself for its last user and deleted the -wal this one still wrote to ("disk I/O error")."""
    path = tmp_path / "p.sqlite"
    profile = Profile(path)
    profile.remember(example(1))  # a connection to write with, open from now on
    assert len(profile.read().examples) == 1  # a read beside it
    assert len(Profile(path).read().examples) == 1  # and one by another Profile of the same process
    other = subprocess.run([sys.executable, "-c", WRITER, str(path), "1", "7"], cwd=REPOSITORY, capture_output=True)
    assert other.returncode == 0, other.stderr
    assert (tmp_path / "p.sqlite-wal").exists()  # the other process knew it was not the last
    profile.remember(example(3))
    assert sorted(labels(path)) == [1, 3, 7]
    profile.close()
    assert sorted(labels(path)) == [1, 3, 7]


# -- a drawing larger than a row holds -------------------------------------------------------------
def scribble(points: int = 0, dots: int = 0) -> list[np.ndarray]:
    """A one drawn in more points (one stroke, the pen barely moving between them) or more
    strokes (dots down a line) than an example holds."""
    if points:
        return [np.column_stack([300.0 + (np.arange(points) % 2) * 0.5, np.linspace(100.0, 210.0, points)])]
    return [np.array([[300.0, 100.0 + index * 110.0 / dots]]) for index in range(dots)]


def learn(learner, strokes, label: int):
    strokes = [np.asarray(stroke, float) for stroke in strokes]
    from digitboard.recognition.preprocess import digit_image

    return learner.learn(digit_image(strokes), strokes, label)


@pytest.mark.parametrize("drawn", [scribble(points=25_000), scribble(dots=250)], ids=["points", "strokes"])
def test_a_correction_larger_than_a_row_holds_is_kept_and_so_is_the_next(tmp_path, drawn):
    """Its row was refused, which ended the thread writing the profile: no correction after it
    was kept. The learner keeps it as the profile can hold it, so what the profile keeps teaches
    as the example learned did."""
    from digitboard.profile.learner import embed_examples
    from digitboard.profile.rows import BOUNDS

    path = tmp_path / "p.sqlite"
    learner = window_learner(EmbeddingFake(), path)
    learner._loading.join(5)
    large, ordinary = learn(learner, drawn, 1), learn(learner, SEVEN, 7)
    learner.predict(image_batch(ONE))  # the examples embedded, as at the next reading
    assert learner.close(10)
    stored = Profile(path).read().examples
    assert [(e.id, e.label) for e in stored] == [(large.id, 1), (ordinary.id, 7)]
    assert learner.journal_error is None and learner.refused == 0
    kept = stored[0].strokes
    assert len(kept) <= BOUNDS.strokes and sum(len(stroke) for stroke in kept) <= BOUNDS.points
    assert len(kept) == len(large.strokes) and all(np.allclose(a, b) for a, b in zip(kept, large.strokes))
    (afresh,) = embed_examples(EmbeddingFake(), [Example(1, kept)])  # as a board reading the profile embeds it
    assert np.allclose(afresh.embedding, large.embedding, atol=1e-5)


def test_the_writer_skips_an_example_it_cannot_encode_says_so_and_writes_the_rest(tmp_path, monkeypatch, capsys):
    """A ValueError from encoding a row ended the writer's thread, silently: every later change
    was dropped, and a flush or close waited for it in vain."""
    from digitboard.profile import store as store_module

    real, go_on = store_module.example_row, __import__("threading").Event()

    def example_row(example):
        go_on.wait(10)  # the first write waits: those learned meanwhile are written together
        if example.label == 2:
            raise ValueError("an example holds at most 20000 finite points")
        return real(example)

    monkeypatch.setattr(store_module, "example_row", example_row)
    path = tmp_path / "p.sqlite"
    learner = window_learner(EmbeddingFake(), path)
    learner._loading.join(5)
    said: list[str] = []
    learner.on_problem = said.append
    for label in (1, 3, 2, 4):  # written in one go (remember_all), the one refused among them
        learn(learner, SEVEN, label)
    go_on.set()
    assert learner.writer.flush(10)
    learn(learner, SEVEN, 2)  # written alone (remember)
    learn(learner, SEVEN, 5)
    assert learner.writer.flush(10) and learner.writer._thread.is_alive()
    assert learner.close(10)
    assert labels(path) == [1, 3, 4, 5]
    assert learner.refused == 2 and learner.journal_error is None and learner.journal is learner.writer
    assert said == ["an example could not be kept in the profile (an example holds at most 20000 finite points); "
                    "it is learned for this session only"]
    assert "could not be kept in the profile" in capsys.readouterr().err
    assert [e.label for e in learner.examples] == [1, 3, 2, 4, 2, 5]  # learned all the same


def test_whatever_a_write_raises_the_writer_goes_on_and_the_failure_is_told():
    from digitboard.profile.writer import WritingThread

    class Broken:
        def remember(self, example: Example) -> None:
            raise KeyError(example.label)

        def forget(self, example: Example) -> None:
            pass

    failures: list[OSError] = []
    writing = WritingThread(Broken(), failures.append)
    writing.remember(example(1))
    assert writing.flush(10) and writing._thread.is_alive()
    writing.remember(example(2))
    assert writing.close(10)
    assert [(error.errno, error.strerror) for error in failures] == [(errno.EIO, "KeyError: 1")]


def replay_in_time(arguments: dict, seconds: float = 60) -> int:
    """run_replay's exit status; fails if it has not finished within `seconds`."""
    from digitboard.sessions import replay

    finished: list[int] = []
    thread = __import__("threading").Thread(target=lambda: finished.append(replay.run_replay(**arguments)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "replay --update-profile never finished"
    return finished[0]


def test_replay_keeping_a_correction_larger_than_a_row_holds_finishes_and_says_what_it_kept(
        tmp_path, monkeypatch, capsys):
    """With the writer's thread gone, replay waited forever once WAITING changes were handed over."""
    from digitboard.profile import store as store_module
    from digitboard.profile import writer as writer_module
    from digitboard.sessions import replay

    monkeypatch.setattr(writer_module, "WAITING", 2)  # reached at once, rather than after 10,000 changes
    monkeypatch.setattr(replay, "load_recognizer", lambda model: EmbeddingFake())
    large = [[round(float(x), 1), round(float(y), 2)] for x, y in scribble(points=25_000)[0]]
    actions = [{"stroke": large}, {"correct": {"at": [300, 150], "label": 1}}, {"stroke": SEVEN[0]}]
    actions += [{"correct": {"at": [120, 150], "label": label}} for label in range(10)]
    session = tmp_path / "s.jsonl"
    session.write_text(json.dumps({"size": [640, 480], "actions": actions}) + "\n")
    path = tmp_path / "p.sqlite"
    arguments = {"files": [str(session)], "model": "model.keras", "profile": str(path), "update_profile": True}
    assert replay_in_time(arguments) == 0
    assert labels(path) == [1, *range(10)]
    real = store_module.example_row

    def example_row(example):
        if sum(len(stroke) for stroke in example.strokes) > 1000:
            raise ValueError("an example holds at most 20000 finite points")
        return real(example)

    monkeypatch.setattr(store_module, "example_row", example_row)  # the profile refuses the large one after all
    path = tmp_path / "refusing.sqlite"
    capsys.readouterr()
    assert replay_in_time({**arguments, "profile": str(path)}) == 2
    assert labels(path) == [*range(10)]
    assert "--update-profile: 1 example(s) could not be kept in the profile" in capsys.readouterr().err


def test_an_older_profiles_example_larger_than_a_row_holds_is_imported_as_a_row_holds_it(tmp_path):
    from digitboard.profile.legacy import read_old_profile
    from digitboard.profile.rows import BOUNDS

    old = tmp_path / OLD_PROFILE_NAME
    drawn = [stroke.tolist() for stroke in scribble(points=25_000)]
    old.write_text(json.dumps({"learn": {"id": "large", "label": 1, "strokes": drawn}}) + "\n")
    contents = read_old_profile(old)
    assert contents.skipped == 0 and [e.id for e in contents.examples] == ["large"]
    assert sum(len(stroke) for stroke in contents.examples[0].strokes) <= BOUNDS.points


def test_a_digit_let_stand_is_kept_only_if_the_profile_can_tie_it_to_the_corrections_behind_it(tmp_path):
    """Tied to more corrections than a row holds, it was kept in memory, and the profile refused it
    (raising into the board, or ending the thread that writes the profile)."""
    from digitboard.profile.learner import PersonalRecognizer
    from digitboard.profile.rows import BOUNDS

    corrections = [example(1, shifted(ONE, index)) for index in range(BOUNDS.tied_to + 1)]
    profile = Profile(tmp_path / "p.sqlite")
    learner = PersonalRecognizer(EmbeddingFake(), corrections, journal=profile)
    image, strokes = image_batch(ONE)[0, ..., 0], [np.asarray(ONE[0], float)]
    assert learner.accept(image, strokes, 1, reasons=[e.id for e in corrections]) is None
    tied = learner.accept(image, strokes, 1, reasons=[e.id for e in corrections[:BOUNDS.tied_to]])
    assert len(tied.tied_to) == BOUNDS.tied_to and learner.refused == 0
    assert [(e.id, len(e.tied_to)) for e in profile.read().examples] == [(tied.id, BOUNDS.tied_to)]
