"""`digitboard replay`: sessions through the real event loop, headless; the same result as the
live board that recorded them; the public output format."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pygame
import pytest
from conftest import FakeRecognizer, stopped_by_sigterm

from digitboard import DEFAULT_MODEL
from digitboard.cli import main
from digitboard.core.board import Board
from digitboard.core.drawing import extent, fit_height, to_actions
from digitboard.profile.learner import PersonalRecognizer
from digitboard.sessions import replay
from digitboard.sessions.files import read_sessions
from digitboard.sessions.format import parse_session
from digitboard.sessions.recording import Recorder
from digitboard.training.data import HELD_OUT_CONTRIBUTORS, iter_unipen
from digitboard.window.app import BoardApp, run_frame, stroke_events


@pytest.fixture
def fake_model(monkeypatch):
    """Replay with the fake recogniser in place of loading a model; records the path asked for."""
    asked = []

    def load(path):
        asked.append(path)
        return FakeRecognizer()

    monkeypatch.setattr(replay, "load_recognizer", load)
    return asked


@pytest.fixture
def real_model(request) -> Path:
    """A real model: $DIGITBOARD_TEST_MODEL if set, else the shipped best.keras (skip if absent)."""
    if os.environ.get("DIGITBOARD_TEST_MODEL"):
        return Path(os.environ["DIGITBOARD_TEST_MODEL"])
    return request.getfixturevalue("shipped_model")


def write_sessions(path: Path, *sessions: dict) -> Path:
    path.write_text("".join(json.dumps(s) + "\n" for s in sessions))
    return path


def replayed(session: dict, recognizer=None) -> dict:
    return replay.replay_session(parse_session(session, "s.jsonl:1"), recognizer or FakeRecognizer())


def drawn_digits(unipen_path, count, height=120, multi_stroke_first=True):
    """Real pen-drawn digits by held-out writers, scaled to `height` and placed left to right."""
    digits = [d for d in itertools.islice(iter_unipen(unipen_path), 3000) if d.contributor in HELD_OUT_CONTRIBUTORS]
    if multi_stroke_first:
        digits.sort(key=lambda d: len(d.strokes) == 1)
    placed, left = [], 40.0
    for drawn in digits:
        strokes = fit_height(drawn.strokes, height, (left, 150))
        alone = Board()
        for action in to_actions(strokes):
            alone.apply(action)
        if len(alone.digits) == 1:  # a few samples are oddly segmented: not what this test is about
            placed.append([np.round(stroke).astype(int).tolist() for stroke in strokes])
            left += extent(strokes)[0] + 0.4 * height
        if len(placed) == count:
            return placed
    raise AssertionError(f"fewer than {count} usable digits")


# -- applying actions ------------------------------------------------------------------------------
def test_replay_imports_neither_pygame_nor_tensorflow(tmp_path, shipped_model):
    path = write_sessions(tmp_path / "a.jsonl", {"size": [64, 48], "strokes": [[[1, 1], [9, 30]]]})
    script = (f"import sys; from digitboard.cli import main; status = main(['replay', {str(path)!r}]); "
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygame', 'tensorflow', 'keras'))); "
              "sys.exit(status)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_replay_stops_promptly_on_sigterm_keeping_what_it_printed(tmp_path, shipped_model):
    """A named pipe with no writer blocks the second file; SIGTERM ends replay with 143 at once."""
    first = write_sessions(tmp_path / "a.jsonl", {"size": [64, 48], "strokes": [[[1, 1], [9, 30]]]})
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    process = subprocess.Popen([sys.executable, "-m", "digitboard", "replay", str(first), str(fifo)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first_line = process.stdout.readline()  # the first file is done: replay now waits on the pipe
    except BaseException:
        process.kill()
        raise
    status, seconds = stopped_by_sigterm(process)
    assert status == 143 and seconds < 5
    assert json.loads(first_line)["session"] == "a.jsonl:1"


def test_replay_costs_time_linear_in_the_number_of_strokes():
    """Doubling a session of separate digits about doubles its replay time (quadratic: 4x)."""
    def session(count: int):
        strokes = [[[100 * (n % 100), 150 * (n // 100)], [100 * (n % 100) + 30, 150 * (n // 100) + 100]]
                   for n in range(count)]
        return parse_session({"size": [10_000, 10_000], "strokes": strokes}, "big:1")

    def seconds(count: int) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            state = replay.replay_session(session(count), FakeRecognizer())
            best = min(best, time.perf_counter() - start)
        assert len(state["digits"]) == count
        return best

    small, large = seconds(1000), seconds(4000)
    assert large / small < 8  # linear gives about 4; quadratic about 16


def test_strokes_are_numbered_as_in_the_session_across_clear_and_undo():
    state = replayed({"size": [640, 480], "actions": [
        {"stroke": [[100, 100], [100, 200]]},  # 0, cleared
        {"key": "n"},
        {"stroke": [[100, 100], [100, 200]]},  # 1
        {"stroke": [[400, 100], [440, 100], [420, 200]]},  # 2, undone
        {"key": "backspace"},
        {"stroke": [[400, 100], [460, 100], [420, 200]]},  # 3
        {"stroke": [[410, 150], [450, 150]]},  # 4, joins 3
    ]})
    assert [d["strokes"] for d in state["digits"]] == [[1], [3, 4]]
    assert [d["box"] for d in state["digits"]] == [[100, 100, 1, 101], [400, 100, 61, 101]]


def test_points_outside_the_window_replay_as_on_the_live_board():
    state = replayed({"size": [64, 48], "strokes": [[[-30, -40], [500, 20], [10, 900]]]})
    assert state["digits"][0]["box"] == [-30, -40, 531, 941]


def test_a_stroke_of_70000_points_replays(tmp_path):
    points = [[i % 640, (i // 640) % 480] for i in range(70_000)]
    state = replayed({"size": [640, 480], "strokes": [points, [[5, 5]]]})
    assert sorted(s for d in state["digits"] for s in d["strokes"]) == [0, 1]


def test_undo_after_clear_brings_the_board_back():
    state = replayed({"size": [640, 480], "actions": [
        {"stroke": [[100, 100], [100, 200]]}, {"key": "n"}, {"key": "ctrl+z"}, {"stroke": [[300, 100], [300, 200]]},
    ]})
    assert [d["strokes"] for d in state["digits"]] == [[0], [1]]


# -- replay equals the live board ------------------------------------------------------------------
class LiveSession:
    """A live BoardApp recording itself, driven by real events through the frame loop."""

    def __init__(self, recognizer, path: Path) -> None:
        # It learns from its corrections as the window does, and as replay does without a profile.
        learner = PersonalRecognizer(recognizer, [])
        self.app = BoardApp(Board(learner, learner), (640, 480), recorder=Recorder(path, (640, 480)),
                            save_dir=os.devnull)

    def frame(self, *events) -> None:
        for event in events:
            pygame.event.post(event)
        run_frame(self.app)

    def stroke(self, points) -> None:
        events = stroke_events(points)
        for start in range(0, len(events), 3):  # a few events a frame, as a mouse delivers them
            self.frame(*events[start:start + 3])

    def key(self, code, mod=0) -> None:
        self.frame(pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode="", scancode=0))

    def state(self, name: str) -> dict:
        return replay.board_state(self.app.board, name)


@pytest.fixture
def display():
    pygame.init()
    pygame.display.set_mode((640, 480))
    pygame.event.clear()
    yield
    pygame.quit()


def test_replay_of_a_recorded_live_session_gives_the_live_result(display, tmp_path, unipen_path, fake_model):
    path = tmp_path / "live.jsonl"
    live = LiveSession(FakeRecognizer(), path)
    digits = drawn_digits(unipen_path, 5)
    for strokes in digits[:2]:
        for points in strokes:
            live.stroke(points)
    live.key(pygame.K_n)
    live.stroke([[50, 50], [50, 50]])  # a click
    live.stroke([[600, 100], [700, 60], [900, -40], [-30, 470]])  # out of the window and back
    live.key(pygame.K_BACKSPACE)
    for strokes in digits[2:]:
        for points in strokes:
            live.stroke(points)
    live.frame(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(300, 300), button=1),
               pygame.event.Event(pygame.MOUSEMOTION, pos=(320, 330), rel=(0, 0), buttons=(1, 0, 0)))
    live.key(pygame.K_z, pygame.KMOD_LCTRL)  # undo during a stroke: drops it, records nothing
    live.frame(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(320, 330), button=1))
    live.key(pygame.K_z, pygame.KMOD_LCTRL)
    live.stroke(digits[2][0])  # the undone stroke again
    expected = live.state("live.jsonl:1")
    assert len(expected["digits"]) == 4 and len(live.app.board.strokes) >= 4

    (session,) = read_sessions(path)
    assert len(session.strokes) == live.app.board.stroke_count
    pygame.quit()
    assert replay.run_replay([str(path)], "fake", str(tmp_path / "out.jsonl")) == 0
    states = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert states == [expected]


def test_replay_with_a_real_model_matches_the_live_board(display, tmp_path, unipen_path, real_model):
    from digitboard.recognition.recognizer import load_recognizer

    path = tmp_path / "four.jsonl"
    live = LiveSession(load_recognizer(real_model), path)
    for strokes in drawn_digits(unipen_path, 4):
        for points in strokes:
            live.stroke(points)
    expected = live.state("four.jsonl:1")
    pygame.quit()
    out = tmp_path / "out.jsonl"
    assert main(["replay", str(path), "--model", str(real_model), "--out", str(out)]) == 0
    (state,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["label"] for d in state["digits"]] == [d["label"] for d in expected["digits"]]
    assert [d["box"] for d in state["digits"]] == [d["box"] for d in expected["digits"]]
    assert [d["strokes"] for d in state["digits"]] == [d["strokes"] for d in expected["digits"]]
    for replayed_digit, live_digit in zip(state["digits"], expected["digits"]):
        assert replayed_digit["confidence"] == pytest.approx(live_digit["confidence"], abs=1e-3)
    assert state["reading"] == expected["reading"] and len(state["reading"]) == 4


# -- the command -----------------------------------------------------------------------------------
def test_the_output_is_one_json_line_per_session_in_the_documented_form(tmp_path, fake_model, capsys):
    first = write_sessions(tmp_path / "a.jsonl",
                           {"size": [640, 480], "strokes": [[[400, 100], [400, 200]], [[100, 100], [160, 100], [120, 200]]]},
                           {"size": [320, 200], "actions": [{"stroke": [[10, 10], [10, 60]]}, {"key": "n"}]})
    second = tmp_path / "b.json"
    second.write_text(json.dumps({"size": [640, 480], "actions": [{"stroke": [[5, 5, 0], [5, 90, 33]]}]}, indent=1))
    assert main(["replay", str(first), str(second)]) == 0
    lines = capsys.readouterr().out.splitlines()
    states = [json.loads(line) for line in lines]
    assert [s["session"] for s in states] == ["a.jsonl:1", "a.jsonl:2", "b.json:1"]
    assert [list(s) for s in states] == [["session", "digits", "reading"]] * 3
    two = states[0]["digits"]
    assert [list(d) for d in two] == [["label", "confidence", "box", "strokes", "unsure", "mark", "text", "alternatives", "corrected",
                                       "yours", "model"]] * 2
    assert all(d["unsure"] is False and d["alternatives"][0] == [d["label"], d["confidence"]] for d in two)
    assert all(len(d["alternatives"]) == 3 for d in two)
    assert [d["strokes"] for d in two] == [[1], [0]]  # left to right
    assert [d["box"] for d in two] == [[100, 100, 61, 101], [400, 100, 1, 101]]
    assert all(isinstance(d["label"], int) and 0 <= d["label"] <= 9 for d in two)
    assert all(isinstance(d["confidence"], float) and 0 <= d["confidence"] <= 1 for d in two)
    assert states[0]["reading"] == "".join(str(d["label"]) for d in two)
    assert states[1]["digits"] == [] and states[1]["reading"] == ""
    assert len(states[2]["digits"]) == 1


def test_out_writes_the_lines_to_a_file(tmp_path, fake_model, capsys):
    path = write_sessions(tmp_path / "a.jsonl", {"size": [64, 48], "strokes": [[[1, 1], [9, 9]]]})
    assert main(["replay", str(path), "--out", str(tmp_path / "out.jsonl")]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads((tmp_path / "out.jsonl").read_text())["session"] == "a.jsonl:1"


@pytest.mark.parametrize(("argv", "expected"), [
    (["replay", "F"], str(DEFAULT_MODEL)),
    (["replay", "F", "--model", "mine.keras"], "mine.keras"),
    (["--model", "mine.keras", "replay", "F"], "mine.keras"),
])
def test_model_defaults_to_the_shipped_file(tmp_path, fake_model, argv, expected):
    path = write_sessions(tmp_path / "a.jsonl", {"size": [64, 48], "strokes": []})
    assert main([str(path) if a == "F" else a for a in argv]) == 0
    assert fake_model == [expected]  # loaded once for all sessions


def test_one_model_serves_many_sessions(tmp_path, fake_model, capsys):
    session = {"size": [640, 480], "strokes": [[[100, 100], [100, 200]]]}
    path = write_sessions(tmp_path / "many.jsonl", *[session] * 200)
    assert main(["replay", str(path)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 200 and len(fake_model) == 1


def test_corrections_and_deletions_replay_and_say_which_digits_were_corrected():
    state = replayed({"size": [640, 480], "actions": [
        {"stroke": [[100, 100], [100, 200]]},
        {"stroke": [[300, 100], [360, 100], [320, 200]]},
        {"stroke": [[500, 100], [500, 200]]},
        {"correct": {"at": [102, 150], "label": 7}},
        {"delete": {"at": [900, 150]}},  # nearest: the digit at x = 500
    ]})
    assert [(d["strokes"], d["label"], d["corrected"]) for d in state["digits"]] == [
        ([0], 7, True), ([1], state["digits"][1]["label"], False)]
    assert state["digits"][0]["confidence"] == 1.0 and state["digits"][0]["unsure"] is False
    assert state["reading"].startswith("7")
