"""Property-based tests: random sequences of input never crash the board, and its invariants
hold after every step (docs/robustness.md).

CI runs 1,000 sequences against the board's state and 1,000 through the real event loop. For a
release soak run, set DIGITBOARD_SOAK_EXAMPLES, e.g. `DIGITBOARD_SOAK_EXAMPLES=50000`.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
import os
import shutil
import tempfile
from pathlib import Path

import ijson
import numpy as np
import pygame
import pytest
from conftest import FakeRecognizer

pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install -e '.[test]')")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import (  # noqa: E402
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from test_board import RecordingLearner, check_invariants  # noqa: E402

from digitboard.core.actions import Clear, Stroke, Undo
from digitboard.core.board import Board, _Cleared
from digitboard.core.chooser import is_click
from digitboard.sessions import stream
from digitboard.sessions.files import read_sessions
from digitboard.sessions.format import Session, SessionError, parse_session
from digitboard.sessions.recording import Recorder
from digitboard.sessions.replay import replay_session
from digitboard.window.app import BoardApp, run_frame
from digitboard.window.look import INK

SOAK = int(os.environ.get("DIGITBOARD_SOAK_EXAMPLES", "0"))


def machine_settings(examples: int) -> settings:
    return settings(
        max_examples=SOAK or examples,
        stateful_step_count=100 if SOAK else 25,
        deadline=None,  # CI machines stall now and then; speed is measured elsewhere
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# -- the board's state -------------------------------------------------------------------------------
coordinate = st.integers(-3000, 3000) | st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
point = st.tuples(coordinate, coordinate)


class BoardMachine(RuleBasedStateMachine):
    """Drives Board with pen calls and actions, against a plain model of the strokes it should
    hold and of the edits undo can take back."""

    def __init__(self) -> None:
        super().__init__()
        self.recognizer = FakeRecognizer()
        self.learner = RecordingLearner(self.recognizer)  # digits let stand: accepted, withdrawn, kept when cleared
        self.board = Board(self.recognizer, self.learner)
        self.expected: list[list[tuple[float, float]]] = []
        self.undoable: list[list[list[tuple[float, float]]] | None] = []  # None: a stroke; else what a clear took
        self.pen: list[tuple[float, float]] | None = None

    def _added(self, points, digit) -> None:
        self.expected.append(points)
        self.undoable.append(None)
        assert self.board.strokes[-1].id == self.board.stroke_count - 1
        assert digit.strokes[-1] is self.board.strokes[-1]

    @rule(p=point)
    def pen_down(self, p):
        self.board.pen_down(*p)
        self.pen = [p]

    @rule(p=point)
    def pen_move(self, p):
        self.board.pen_move(*p)
        if self.pen is not None and self.pen[-1] != p:
            self.pen.append(p)

    @rule()
    def lift_pen(self):
        stroke = self.board.lift_pen()
        if self.pen is None:
            assert stroke is None
            return
        self._added(self.pen, self.board.apply(stroke))
        self.pen = None

    @rule()
    def drop_pen(self):
        assert self.board.drop_pen() == (self.pen is not None)
        self.pen = None

    @rule(points=st.lists(point, min_size=1, max_size=12))
    def stroke(self, points):
        self._added(points, self.board.apply(Stroke(tuple((float(x), float(y)) for x, y in points))))

    def _undo_model(self) -> None:
        if self.undoable:
            taken = self.undoable.pop()
            if taken is None:
                self.expected.pop()
            else:
                self.expected = taken

    @rule()
    def undo(self):
        self.board.apply(Undo())
        self._undo_model()

    @rule()
    def clear(self):
        self.board.apply(Clear())
        assert self.board.strokes == [] and self.board.digits == []
        if self.expected:
            self.undoable.append(self.expected)
        self.expected = []

    @rule()
    def undo_everything(self):
        while self.board.history:
            self.board.apply(Undo())
            self._undo_model()
            check_invariants(self.board)
        assert self.board.strokes == [] and self.board.digits == [] and self.undoable == []

    @rule(ready=st.booleans())
    def recogniser_readiness(self, ready):
        self.recognizer.ready = ready
        self.board.classify_pending()
        assert bool(self.board.pending) == (not ready and bool(self.board.pending))

    @invariant()
    def holds_exactly_the_expected_strokes_grouped_into_digits(self):
        assert len(self.board.strokes) == len(self.expected)
        for stroke, points in zip(self.board.strokes, self.expected):
            np.testing.assert_array_equal(stroke.points, np.asarray(points, np.float64).reshape(-1, 2))
        assert (self.board.pen is None) == (self.pen is None)
        assert len(self.board.history) == len(self.undoable)
        check_invariants(self.board)
        if self.recognizer.ready:
            self.board.classify_pending()
            assert self.board.pending == []
        assert len(self.board.reading().replace(" ", "")) == sum(not d.speck for d in self.board.digits)


    @invariant()
    def the_learner_holds_exactly_the_digits_let_stand(self):
        held = {digit.accepted for digit in self.board.digits if digit.accepted is not None}
        for edit in self.board.history:  # cleared digits stay examples
            if isinstance(edit, _Cleared):
                held |= {digit.accepted for digit in edit.digits if digit.accepted is not None}
        assert set(self.learner.accepted) == held and self.learner.examples == {}


def test_random_edits_keep_the_board_consistent():
    run_state_machine_as_test(BoardMachine, settings=machine_settings(1000))


# -- the real event loop -------------------------------------------------------------------------------
WINDOW = (320, 240)
position = st.tuples(st.integers(-200, 700), st.integers(-200, 500))  # inside and outside the window
KEYS = [(pygame.K_n, 0), (pygame.K_BACKSPACE, 0), (pygame.K_z, pygame.KMOD_LCTRL), (pygame.K_z, 0),
        (pygame.K_s, 0), (pygame.K_a, 0), (pygame.K_ESCAPE, 0), (pygame.K_BACKSPACE, pygame.KMOD_SHIFT)]


def press(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button)


def release(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button)


def key(code, mod=0):
    return pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode="", scancode=0)


buttons = st.sampled_from([1, 1, 1, 1, 2, 3, 4, 5])
events = st.one_of(
    st.builds(press, position, buttons),
    st.builds(lambda pos: pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(1, 0, 0)), position),
    st.builds(release, position, buttons),
    st.sampled_from(KEYS).map(lambda k: key(*k)),
    st.just(pygame.event.Event(pygame.QUIT)),
    st.builds(lambda w, h: pygame.event.Event(pygame.VIDEORESIZE, w=w, h=h, size=(w, h)),
              st.integers(-5, 900), st.integers(-5, 700)),
)


def ink_pixels(surface: pygame.Surface) -> int:
    return pygame.mask.from_threshold(surface, INK, (1, 1, 1, 255)).count()


class MemoryRecorder:
    """Collects the recorded actions in memory (the file side is tested in test_session.py)."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.path = Path("memory")
        self.session = Session(size, name="recorded:1")

    def add(self, action) -> None:
        self.session.actions.append(action)


class EventLoopMachine(RuleBasedStateMachine):
    """Posts random events to pygame's queue and runs the board's frames; records the session."""

    def __init__(self) -> None:
        super().__init__()
        pygame.display.set_mode(WINDOW, pygame.RESIZABLE)
        pygame.event.clear()
        self.folder = Path(tempfile.mkdtemp(prefix="digitboard-saves-"))
        self.recorder = MemoryRecorder(WINDOW)
        self.app = BoardApp(Board(FakeRecognizer()), WINDOW, recorder=self.recorder, save_dir=self.folder)
        self.saved: dict[str, tuple[int, int, int]] = {}  # name: (inode, size, modification time)

    def frame(self, *posted) -> pygame.Surface:
        for event in posted:
            pygame.event.post(event)
        surface = run_frame(self.app)
        self.app.controller.running = True  # Esc or closing the window: the real loop would stop here
        return surface

    @rule(batch=st.lists(events, min_size=1, max_size=6))
    def events_in_one_frame(self, batch):
        self.frame(*batch)

    @rule(keys_before=st.lists(st.sampled_from(KEYS).map(lambda k: key(*k)), max_size=2),
          start=position, path=st.lists(position, max_size=8), one_frame=st.booleans())
    def stroke(self, keys_before, start, path, one_frame):
        """A whole stroke, after some keys; in one frame (a quick flick) or across two."""
        motions = [pygame.event.Event(pygame.MOUSEMOTION, pos=p, rel=(0, 0), buttons=(1, 0, 0)) for p in path]
        end = release(path[-1] if path else start)
        was_choosing, strokes_before = self.app.controller.choosing is not None, self.app.board.stroke_count
        if one_frame:
            self.frame(*keys_before, press(start), *motions, end)
        else:
            self.frame(*keys_before, press(start), *motions)
            self.frame(end)
        new = [ink for ink in self.app.board.strokes if ink.id >= strokes_before]
        if not any(ink.points[0].tolist() == list(start) for ink in new):
            # The press closed an open chooser, or a click on a digit opened one.
            assert was_choosing or (is_click([start, *path]) and self.app.controller.choosing is not None)

    @rule(size=st.tuples(st.integers(1, 700), st.integers(1, 500)))
    def resize(self, size):
        pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=size[0], h=size[1], size=size))
        pygame.display.set_mode(size, pygame.RESIZABLE)  # what the window system does
        surface = self.frame()
        assert self.app.size == size and surface.get_size() == size and self.app.view.ink.get_size() == size

    @rule()
    def clear_key(self):
        surface = self.frame(key(pygame.K_n))
        assert self.app.board.strokes == [] and self.app.board.digits == [] and self.app.board.pen is None
        assert ink_pixels(surface) == 0

    @precondition(lambda self: len(self.app.board.history) > 0)
    @rule()
    def undo_everything(self):
        surface = self.frame(*[key(pygame.K_BACKSPACE)] * (len(self.app.board.history) + 1))
        assert self.app.board.strokes == [] and self.app.board.digits == [] and self.app.board.pen is None
        assert ink_pixels(surface) == 0

    @rule()
    def save_key(self):
        before = {p.name for p in self.folder.iterdir()}
        self.frame(key(pygame.K_s))
        after = {p.name for p in self.folder.iterdir()}
        assert before < after and len(after - before) == 1 + len(self.app.board.digits)

    @invariant()
    def board_consistent_and_shown(self):
        board = self.app.board
        check_invariants(board)
        assert board.pending == []  # the fake recogniser is always ready
        assert len(self.app.view.inked) == len(board.strokes)
        assert all(a is b for a, b in zip(self.app.view.inked, board.strokes))  # the window shows the board

    @invariant()
    def saved_files_never_change(self):
        for entry in os.scandir(self.folder):
            status = entry.stat()
            identity = (status.st_ino, status.st_size, status.st_mtime_ns)
            assert self.saved.setdefault(entry.name, identity) == identity

    def teardown(self):
        try:
            self.replay_gives_the_live_result()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def replay_gives_the_live_result(self):
        board = self.app.board
        live = [(d.label, d.box, [ink.points.tolist() for ink in sorted(d.strokes, key=lambda ink: ink.id)])
                for d in board.left_to_right()]
        session = self.recorder.session
        state = replay_session(parse_session(json.loads(json.dumps(session.to_json())), "recorded:1"),
                               FakeRecognizer())
        strokes = [[list(p[:2]) for p in s.points] for s in session.strokes]
        replayed = [(d["label"], tuple(d["box"]), [strokes[i] for i in d["strokes"]]) for d in state["digits"]]
        assert replayed == live


@pytest.fixture
def window():
    pygame.init()
    yield
    pygame.quit()


@pytest.mark.slow  # 1,000 random event sequences: some three minutes
def test_random_events_through_the_event_loop_never_break_the_board(window):
    run_state_machine_as_test(EventLoopMachine, settings=machine_settings(1000))


# -- session files ----------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)
near_points = st.lists(st.one_of(st.lists(coordinate, min_size=2, max_size=3), json_values), max_size=4)
near_sessions = st.fixed_dictionaries(
    {},
    optional={
        "size": st.one_of(st.tuples(st.integers(-2, 5000), st.integers(-2, 5000)).map(list), json_values),
        "strokes": st.lists(near_points, max_size=3) | json_values,
        "actions": st.lists(st.one_of(
            st.builds(lambda s: {"stroke": s}, near_points),
            st.builds(lambda k: {"key": k}, st.sampled_from(["n", "backspace", "ctrl+z", "s", "N", ""]) | json_values),
            st.dictionaries(st.text(max_size=6), json_values, max_size=2),
        ), max_size=4) | json_values,
        "extra": json_values,
    },
)


@settings(max_examples=SOAK or 400, deadline=None)
@given(st.one_of(json_values, near_sessions))
def test_any_decoded_json_is_a_session_or_a_session_error(data):
    try:
        session = parse_session(data, "fuzz.jsonl:1")
    except SessionError as error:
        assert str(error).startswith("fuzz.jsonl:1: ") and "\n" not in str(error)
        return
    assert all(isinstance(v, int) and v > 0 for v in session.size)
    assert parse_session(json.loads(json.dumps(session.to_json())), "again:1") .actions == session.actions


def read_whole(text: str, name: str = "fuzz.jsonl"):
    """A session line read whole: json.loads all of it, then check it."""
    return parse_session(stream.decode_json(text, name), f"{name}:1")


def read_streamed(text: str, name: str = "fuzz.jsonl"):
    """The same line read as replay reads a long one: through ijson's events, its list of
    actions checked while decoded."""
    return parse_session(stream.decode_session(text.encode(), name), f"{name}:1")


def outcome(read, text: str):
    try:
        return read(text)
    except SessionError as error:
        return str(error)


valid_strokes = st.lists(st.lists(coordinate, min_size=2, max_size=2), min_size=1, max_size=12)
timed_strokes = st.lists(st.floats(0, 1e4), min_size=1, max_size=12).flatmap(
    lambda steps: st.lists(coordinate, min_size=2 * len(steps), max_size=2 * len(steps)).map(
        lambda xy: [[x, y, t] for x, y, t in zip(xy[::2], xy[1::2], itertools.accumulate(steps))]))
valid_sessions = st.builds(
    lambda size, actions, as_strokes: {"size": size, "strokes": [a["stroke"] for a in actions if "stroke" in a]}
    if as_strokes else {"size": size, "actions": actions},
    st.tuples(st.integers(1, 5000), st.integers(1, 5000)).map(list),
    st.lists(st.one_of(st.builds(lambda s: {"stroke": s}, valid_strokes | timed_strokes),
                       st.sampled_from([{"key": "n"}, {"key": "ctrl+z"}, {"correct": {"at": [5, 5], "label": 3}}])),
             max_size=5),
    st.booleans(),
)
spacing = st.sampled_from([(",", ":"), (", ", ": "), (" ,\n", " :\t")])
mutations = st.tuples(st.integers(0, 10**6), st.integers(0, 3), st.sampled_from(["", "x", "]", "}", ",", "[", '"', "{"]))


@pytest.mark.parametrize("parser", ["yajl2_c", "python"])
def test_a_streamed_line_reads_exactly_as_a_whole_one(parser, monkeypatch):
    """Reading a line's actions one at a time (bounded memory) changes nothing a user sees: the
    same session, or the same error message, as json.loads then checking, for any decoded value
    and for the same text damaged (a span replaced by a bracket, a comma, a quote...). Every line
    is streamed here (however short), through ijson's C parser and through the pure-Python one
    it falls back to where the C one is missing."""
    monkeypatch.setattr(stream, "WHOLE_TEXT", 0)
    monkeypatch.setattr(stream, "_EVENTS", ijson.get_backend(parser))

    @settings(max_examples=SOAK or 300, deadline=None)
    @given(data=st.one_of(json_values, near_sessions, valid_sessions), separators=spacing,
           mutation=mutations | st.none())
    def same_outcome(data, separators, mutation):
        text = json.dumps(data, separators=separators)
        if mutation:
            at, length, replacement = mutation
            at %= len(text) + 1
            text = text[:at] + replacement + text[at + length:]
        assert outcome(read_streamed, text) == outcome(read_whole, text)

    same_outcome()


recording_lines = st.one_of(
    st.builds(lambda size, layout: json.dumps({"size": size, "recording": layout}),
              st.tuples(st.integers(-2, 5000), st.integers(-2, 5000)).map(list), st.just(1) | json_values),
    st.builds(lambda s: json.dumps({"stroke": s}), near_points),
    st.builds(lambda k: json.dumps({"key": k}), st.sampled_from(["n", "backspace", "ctrl+z", "q"])),
)
file_lines = st.one_of(near_sessions.map(json.dumps), recording_lines, st.text(max_size=30))


@settings(max_examples=SOAK or 300, deadline=None)
@given(content=st.binary(max_size=200)
       | st.tuples(st.lists(file_lines, max_size=6), st.integers(0, 400), st.booleans()).map(
           # lines, maybe cut short (a kill mid-write), maybe with a byte-order mark on each (`cat`)
           lambda t: ("\n".join(("\ufeff" if t[2] else "") + line for line in t[0]).encode())[:t[1] or None]),
       suffix=st.sampled_from([".json", ".jsonl", ""]),
       gzipped=st.booleans())
def test_any_file_content_is_sessions_or_a_session_error(content, suffix, gzipped):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(gzip.compress(content) if gzipped else content)
        warnings: list[str] = []
        try:
            sessions = list(read_sessions(path, on_warning=warnings.append))
        except SessionError as error:
            assert str(error).startswith(("fuzz", str(path))) and "\n" not in str(error)
            return
        assert all(s.name.startswith(f"fuzz{suffix}:") for s in sessions)
        assert all(w.startswith(f"fuzz{suffix}:") and "unfinished last line" in w for w in warnings)


def newlines_gzipped(megabytes: int) -> bytes:
    """`megabytes` MB of newlines as gzip: one member of 1 MB (about 1 KB) written that many
    times, as gzip allows, about 1,000 times smaller than what it holds."""
    return gzip.compress(b"\n" * 1_000_000, compresslevel=9) * megabytes


def test_blank_lines_are_skipped_a_buffer_at_a_time_and_a_run_of_them_is_bounded(tmp_path):
    """48 KB of gzip holding 50 MB of blank lines kept replay busy 35 s, reading a line at a
    time (4 MB holding 4 GB: over 300 s). Blank lines are skipped a buffer at a time; more than
    32 MiB of them in a row is refused as a line that long is, after reading no more than that."""
    session = gzip.compress(b'{"size": [9, 9], "strokes": [[[1, 2]]]}\n')
    path = tmp_path / "blank.jsonl.gz"
    path.write_bytes(newlines_gzipped(30) + session)  # within the bound: read, on the right line
    assert [s.name for s in read_sessions(path)] == ["blank.jsonl.gz:30000001"]
    for megabytes in (50, 4000):
        path.write_bytes(newlines_gzipped(megabytes) + session)
        assert path.stat().st_size < 50_000 * megabytes / 48  # 48 KB of gzip for 50 MB, 4 MB for 4 GB
        with pytest.raises(SessionError, match=r"^blank.jsonl.gz:\d+: more than 32 MiB of blank lines in a row; "
                                                r"is this a session file\?$"):
            list(read_sessions(path))
    mixed = b"{\"size\": [9, 9], \"strokes\": []}\r\n \t\r\n" + b" \n" * 1000 + b"\n\n{\"size\": [8, 8], \"strokes\": []}"
    path.write_bytes(gzip.compress(mixed))
    assert [s.name for s in read_sessions(path)] == ["blank.jsonl.gz:1", "blank.jsonl.gz:1005"]


times = st.lists(st.floats(0, 1e4), min_size=1, max_size=6).map(lambda steps: list(itertools.accumulate(steps)))
recorded_actions = st.lists(st.one_of(
    st.just(Clear()), st.just(Undo()),
    st.builds(lambda points: Stroke(tuple(points)), st.lists(point.map(lambda p: (float(p[0]), float(p[1]))), min_size=1, max_size=6)),
    times.flatmap(lambda ts: st.lists(point.map(lambda p: (float(p[0]), float(p[1]))), min_size=len(ts), max_size=len(ts))
                  .map(lambda points: Stroke(tuple(points), tuple(ts)))),
), max_size=8)


@settings(max_examples=SOAK or 200, deadline=None)
@given(actions=recorded_actions, cut=st.floats(0, 1))
def test_a_recording_cut_at_any_byte_reads_as_the_actions_before_the_cut(actions, cut):
    """A kill -9 or a full disk can stop a recording anywhere: what is left reads as the actions
    whose lines were whole, a torn last line dropped with a warning (docs/robustness.md)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cut.jsonl"
        recorder = Recorder(path, (320, 240))
        for action in actions:
            recorder.add(action)
        recorder.close()
        data = path.read_bytes()
        kept = data[:int(len(data) * cut)]
        path.write_bytes(kept)
        warnings: list[str] = []
        if b"\n" not in kept:  # the header itself is cut: an error, or no action yet
            with contextlib.suppress(SessionError):
                assert all(s.actions == [] for s in read_sessions(path, on_warning=warnings.append))
            return
        (session,) = read_sessions(path, on_warning=warnings.append)
        whole_lines = kept.count(b"\n") - 1
        assert session.actions == actions[:len(session.actions)]
        assert len(session.actions) in (whole_lines, whole_lines + 1)  # a cut just before a newline keeps its line
        assert len(warnings) == (len(session.actions) == whole_lines and not kept.endswith(b"\n"))


# Profiles of a few examples: each (digit, let stand, when made, which earlier corrections it is tied to).
profile_rows = st.lists(st.tuples(st.integers(0, 2), st.booleans(), st.integers(0, 6), st.lists(st.integers(0, 30),
                                                                                                  max_size=2)),
                        max_size=40)


@settings(max_examples=SOAK or 60, deadline=None)
@given(rows=profile_rows, caps=st.tuples(st.integers(0, 3), st.integers(1, 3)), forgotten=st.sets(st.integers(0, 39)))
def test_the_examples_a_start_reads_are_those_a_learner_given_all_of_them_keeps(rows, caps, forgotten):
    """A board and replay read only the examples in use, chosen from the profile's index before
    any stroke is read: equal times, ties to corrections (some forgotten since), caps of zero."""
    from test_learning import ONE

    from digitboard.profile.examples import Example, LearningConfig
    from digitboard.profile.in_use import in_use
    from digitboard.profile.learner import PersonalRecognizer
    from digitboard.profile.store import Profile

    config = LearningConfig(accepted_per_label=caps[0], corrected_per_label=caps[1])
    strokes = [np.asarray(stroke, float) for stroke in ONE]
    examples: list[Example] = []
    for label, accepted, created, ties in rows:
        corrections = [example.id for example in examples if not example.accepted]
        tied = tuple(sorted({corrections[tie % len(corrections)] for tie in ties})) if accepted and corrections else ()
        examples.append(Example(label, strokes, accepted=accepted, tied_to=tied, created=float(created)))
    with tempfile.TemporaryDirectory() as folder:
        profile = Profile(Path(folder) / "p.sqlite")
        profile.merge(examples)
        profile.forget_ids([examples[index].id for index in forgotten if index < len(examples)
                            and not examples[index].accepted])  # and the digits let stand tied to them
        held = profile.read().examples
        kept = sorted(example.id for example in PersonalRecognizer(FakeRecognizer(), held, config).examples)
        assert sorted(example.id for example in profile.examples_in_use(config)) == kept
        assert sorted(entry.id for entry in in_use(profile.entries(), config)) == kept
        profile.close()
