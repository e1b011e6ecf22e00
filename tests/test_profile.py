"""Where personal examples persist (digitboard.recognition.profile) and `digitboard profile`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_learning import SEVEN, EmbeddingFake, image_batch, shifted

from digitboard.cli import main
from digitboard.recognition.learning import Example
from digitboard.recognition.preprocess import digit_image
from digitboard.recognition.profile import Profile, default_profile_path, window_learner


def example(label: int, strokes=SEVEN) -> Example:
    points = [np.asarray(s, np.float64) for s in strokes]
    return Example(label, points, digit_image(points))


def test_examples_are_appended_and_forgotten_ones_left_out(tmp_path):
    profile = Profile(tmp_path / "folder" / "profile.jsonl")  # the folder is made on first use
    kept, undone = example(7), example(1)
    profile.remember(kept)
    profile.remember(undone)
    profile.forget(undone)
    (stored,) = profile.read().examples
    assert (stored.id, stored.label) == (kept.id, 7)
    assert all(np.allclose(a, b) for a, b in zip(stored.strokes, kept.strokes))
    assert len(profile.path.read_text().splitlines()) == 3  # appended, never rewritten


def test_examples_are_rendered_afresh_by_todays_preprocessing_not_stored_images(tmp_path):
    profile = Profile(tmp_path / "p.jsonl")
    original = example(3)
    original.image[:] = 0  # whatever the board rendered then is not what is kept
    profile.remember(original)
    line = json.loads(profile.path.read_text())
    assert set(line["learn"]) == {"id", "label", "strokes", "created"}
    (loaded,) = profile.examples()
    assert np.array_equal(loaded.image, digit_image(loaded.strokes)) and loaded.embedding is None


def test_a_torn_last_line_and_a_damaged_line_are_skipped(tmp_path, capsys):
    profile = Profile(tmp_path / "p.jsonl")
    profile.remember(example(2))
    with open(profile.path, "a") as handle:
        handle.write('{"learn": {"id": "x", "label": 11, "strokes": [[[0, 0]]]}}\n')  # no such digit
    profile.remember(example(4))
    with open(profile.path, "a") as handle:
        handle.write('{"learn": {"id": "y", "label": 5, "stro')  # a kill in the middle of a write
    contents = profile.read()
    assert [stored.label for stored in contents.examples] == [2, 4] and contents.damaged_lines == [2, 4]
    assert len(profile.examples()) == 2 and "skipped 2 damaged line(s)" in capsys.readouterr().err


def test_a_missing_profile_is_empty(tmp_path):
    assert Profile(tmp_path / "none.jsonl").read().examples == []


def test_the_default_profile_is_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr("sys.platform", "linux")
    assert default_profile_path() == tmp_path / "digitboard" / "profile.jsonl"


def test_the_profile_command_counts_exports_and_clears(tmp_path, capsys):
    path = tmp_path / "p.jsonl"
    profile = Profile(path)
    for label in (7, 7, 1):
        profile.remember(example(label))
    assert main(["profile", "--profile", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"profile {path}: 3 personal example(s)" in out and "  7: 2" in out and "  1: 1" in out and "  0: 0" in out
    exported = tmp_path / "copy.jsonl"
    assert main(["profile", "--profile", str(path), "--export", str(exported)]) == 0
    assert [stored.label for stored in Profile(exported).read().examples] == [7, 7, 1]
    assert main(["profile", "--profile", str(path), "--clear"]) == 0
    assert "cleared 3 personal example(s)" in capsys.readouterr().out and not path.exists()
    assert main(["profile", "--profile", str(path), "--export", str(path)]) == 2  # not onto itself


def test_the_top_level_profile_option_also_names_the_profile(tmp_path, capsys):
    path = tmp_path / "p.jsonl"
    Profile(path).remember(example(6))
    assert main(["--profile", str(path), "profile"]) == 0
    assert "1 personal example(s)" in capsys.readouterr().out


def test_the_window_learner_loads_the_profile_and_writes_each_correction_and_undo(tmp_path):
    path = tmp_path / "p.jsonl"
    Profile(path).remember(example(4))
    base = EmbeddingFake()
    learner = window_learner(base, path)
    learner._loading.join(5)
    assert learner.ready and [e.label for e in learner.examples] == [4]
    assert learner.predict(image_batch(shifted(SEVEN, 50)))[0].argmax() == 4
    one = [[(300.0, 100.0), (300.0, 210.0)]]
    handle = learner.learn(image_batch(one)[0, ..., 0], [np.asarray(one[0])], 1)
    assert [stored.label for stored in Profile(path).read().examples] == [4, 1]
    learner.forget(handle)
    assert [stored.label for stored in Profile(path).read().examples] == [4]
    # a second board on the same profile starts from what the first left
    again = window_learner(EmbeddingFake(), path)
    again._loading.join(5)
    assert [e.label for e in again.examples] == [4]


def test_an_unwritable_profile_folder_does_not_stop_the_board(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    learner = window_learner(EmbeddingFake(), blocker / "p.jsonl")  # a folder that cannot be made
    learner._loading.join(5)
    learner.learn(image_batch(SEVEN)[0, ..., 0], [np.asarray(SEVEN[0], float)], 3)
    assert len(learner.examples) == 1 and learner.journal is None
    assert "session only" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["profile", "--clear"], ["profile"]])
def test_the_profile_command_uses_the_user_data_folder_by_default(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr("sys.platform", "linux")
    assert main(argv) == 0
    assert str(tmp_path / "digitboard" / "profile.jsonl") in capsys.readouterr().out


def test_digits_let_stand_are_kept_as_such_and_counted_apart(tmp_path, capsys):
    path = tmp_path / "p.jsonl"
    profile = Profile(path)
    stood = example(7)
    stood.accepted = True
    profile.remember(stood)
    profile.remember(example(7))
    path.open("a").write(json.dumps({"learn": {"id": "old", "label": 1, "strokes": [[[0, 0], [0, 50]]]}}) + "\n")
    assert [(s.label, s.accepted) for s in profile.read().examples] == [(7, True), (7, False), (1, False)]
    assert [e.accepted for e in profile.examples()] == [True, False, False]  # an old line is a correction
    assert main(["profile", "--profile", str(path)]) == 0
    out = capsys.readouterr().out
    assert "3 personal example(s), 2 corrected and 1 let stand" in out and "  7: 2 (1 corrected, 1 let stand)" in out
    exported = tmp_path / "copy.jsonl"
    profile.export(exported)
    assert [s.accepted for s in Profile(exported).read().examples] == [True, False, False]


def test_a_profile_of_mostly_forgotten_lines_is_rewritten_when_loaded(tmp_path):
    from digitboard.recognition.profile import COMPACT_ABOVE

    profile = Profile(tmp_path / "p.jsonl")
    kept = [example(label) for label in (3, 4)]
    profile.remember(kept[0])
    for _ in range(COMPACT_ABOVE // 2 + 2):  # more than COMPACT_ABOVE lines beyond twice the examples
        gone = example(5)
        profile.remember(gone)
        profile.forget(gone)
    profile.remember(kept[1])
    assert [e.id for e in profile.examples()] == [e.id for e in kept]
    assert len(profile.path.read_text().splitlines()) == 2
    assert [e.id for e in profile.examples()] == [e.id for e in kept]  # read the same after
