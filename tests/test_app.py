"""The pygame shell end to end, headless: real events through the real frame loop, then the
board's state and the pixels of the drawn window."""

from __future__ import annotations

import os
import shutil
import types

import numpy as np
import pygame
import pytest
from conftest import WINDOW_SIZE, FakeRecognizer, fake_label

from digitboard.core.actions import Clear, Undo
from digitboard.core.board import Board
from digitboard.core.digits import Mark
from digitboard.recognition.modelfile import ModelError
from digitboard.recognition.preprocess import digit_image
from digitboard.sessions.files import read_sessions
from digitboard.sessions.recording import Recorder
from digitboard.window import app as board_app
from digitboard.window.app import BoardApp, run_frame, run_loop
from digitboard.window.look import INK

BOX, UNSURE = Mark.READ.color, Mark.UNSURE.color

SIZE = WINDOW_SIZE
FOUR = [[(100, 100), (90, 170), (150, 170)], [(135, 110), (135, 220)]]
SEVEN = [[(300, 100), (360, 100), (320, 220)], [(310, 160), (350, 160)]]
FIVE = [[(450, 100), (445, 160)], [(445, 160), (490, 165), (495, 200), (445, 220)], [(450, 100), (500, 100)]]


@pytest.fixture
def app(window, fake_recognizer, tmp_path):
    return BoardApp(Board(fake_recognizer), SIZE, save_dir=tmp_path / "saves")


def press(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button)


def motion(pos):
    return pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(1, 0, 0))


def release(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button)


def key(code, mod=0):
    return pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode="", scancode=0)


def stroke(points):
    return [press(points[0]), *(motion(p) for p in points[1:]), release(points[-1])]


def frame(app, *events) -> pygame.Surface:
    """Post `events` to pygame's queue and run one frame of the board's loop."""
    for event in events:
        pygame.event.post(event)
    return run_frame(app)


def draw(app, *strokes) -> pygame.Surface:
    return frame(app, *(event for points in strokes for event in stroke(points)))


def pixels(surface: pygame.Surface) -> np.ndarray:
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2)  # (height, width, 3), rows first


def ink_at(surface, points) -> list[bool]:
    image = pixels(surface)
    return [tuple(image[y, x]) == INK for x, y in points]


def test_a_digit_in_three_strokes_forms_one_digit(app):
    draw(app, *FIVE)
    assert [digit.stroke_ids for digit in app.board.digits] == [[0, 1, 2]]
    # What the recogniser reads in the three strokes drawn as one digit, found without the window.
    image = digit_image([np.asarray(points, np.float64) for points in FIVE], app.board.stroke_width)
    prediction = app.board.digits[0].prediction
    assert prediction.label == fake_label(image) and prediction.confidence == pytest.approx(FakeRecognizer().confidence)


def test_two_digits_apart_form_two_digits(app):
    draw(app, *SEVEN)
    draw(app, *FOUR)
    assert [sorted(d.stroke_ids) for d in app.board.left_to_right()] == [[2, 3], [0, 1]]
    assert len(app.board.reading()) == 2 and "_" not in app.board.reading()


def test_strokes_are_continuous_lines_between_mouse_positions(app):
    surface = draw(app, [(100, 150), (100, 350)])  # one fast motion: a long gap between two samples
    assert all(ink_at(surface, [(100, y) for y in range(150, 351, 5)]))
    width = app.view.widths[0]
    assert ink_at(surface, [(100 + round(width / 2) - 1, 250), (100 - round(width / 2) + 1, 250)]) == [True, True]


def test_the_red_box_surrounds_the_digit_clear_of_its_ink_with_its_label_above(app):
    surface = draw(app, *SEVEN)
    image = pixels(surface)
    lit = image.max(axis=2) > 0
    inked = np.all(image == image[..., :1], axis=2) & lit  # grey to white: the ink and its soft edge
    boxed = np.all(image == BOX, axis=2)
    ink_y, ink_x = np.nonzero(inked[:400])
    x, y, w, h = app.view.box_rect(app.board.digits[0])
    assert x < ink_x.min() - 1 and ink_x.max() + 1 < x + w - 1  # the box around the ink, a gap between
    assert y < ink_y.min() - 1 and ink_y.max() + 1 < y + h - 1
    assert boxed[y + h // 2, x] and boxed[y, x + w // 2] and boxed[y + h - 1, x + w // 2]
    assert not (inked & boxed).any()
    (label,) = app.view.label_rects
    assert label[1] + label[3] <= y and label[0] == x  # just above it, flush with its left edge
    assert boxed[label[1]:label[1] + label[3], label[0]:label[0] + label[2]].sum() > 10  # text in its colour


def test_an_unsure_digit_is_boxed_in_orange(window, tmp_path):
    app = BoardApp(Board(FakeRecognizer(confidence=0.4)), SIZE, save_dir=tmp_path)
    image = pixels(draw(app, *FOUR))
    assert np.all(image == UNSURE, axis=2).sum() > 100
    assert not np.all(image == BOX, axis=2).any()
    assert "?" in app.board.digits[0].prediction.text


def test_n_clears_the_board_and_the_window(app):
    draw(app, *FOUR, *SEVEN)
    image = pixels(frame(app, key(pygame.K_n)))
    assert app.board.strokes == [] and app.board.digits == []
    assert not np.all(image == INK, axis=2).any() and not np.all(image == BOX, axis=2).any()


@pytest.mark.parametrize("undo_key", [key(pygame.K_BACKSPACE), key(pygame.K_z, pygame.KMOD_LCTRL)],
                         ids=["backspace", "ctrl+z"])
def test_undo_removes_the_last_stroke_and_re_classifies(app, fake_recognizer, undo_key):
    draw(app, *FIVE)
    before = app.board.digits[0].image.copy()
    calls = fake_recognizer.calls
    surface = frame(app, undo_key)
    assert len(app.board.strokes) == 2 and [d.stroke_ids for d in app.board.digits] == [[0, 1]]
    assert fake_recognizer.calls == calls + 1
    assert not np.array_equal(app.board.digits[0].image, before)
    assert ink_at(surface, [(475, 100)]) == [False]  # the bar is gone from the window


def test_z_without_ctrl_does_nothing(app):
    draw(app, *FOUR)
    frame(app, key(pygame.K_z))
    assert len(app.board.strokes) == 2


def test_undo_and_a_new_stroke_in_one_frame_leave_no_ghost(app):
    draw(app, [(100, 100), (100, 200)])
    surface = frame(app, key(pygame.K_BACKSPACE), *stroke([(400, 100), (400, 200)]))
    assert ink_at(surface, [(100, 150), (400, 150)]) == [False, True]


def test_a_click_a_dot_and_other_buttons_do_not_crash(app):
    draw(app, [(50, 50)])  # a click without a drag
    frame(app, press((200, 200)), motion((201, 200)), release((201, 200)))  # a tiny dot
    frame(app, press((300, 300), button=3), motion((350, 350)), release((350, 350), button=3))
    frame(app, motion((10, 10)), release((20, 20)), press((5, 5), button=4))  # wheel, stray events
    assert [len(s.points) for s in app.board.strokes] == [1, 2]
    assert len(app.board.digits) == 2 and app.board.pen is None
    assert ink_at(pygame.display.get_surface(), [(50, 50)]) == [True]


def test_a_stroke_that_leaves_the_window_keeps_its_points(app):
    points = [(600, 100), (700, 100), (900, -50), (-20, 500), (30, 400)]
    surface = draw(app, points)
    assert app.board.strokes[0].points.tolist() == [list(map(float, p)) for p in points]
    assert app.board.digits[0].box == (-20, -50, 921, 551)
    assert surface.get_size() == SIZE


def test_a_stroke_across_the_whole_window(app):
    draw(app, [(0, 0), (639, 479)], [(0, 479), (639, 0)])
    assert [d.stroke_ids for d in app.board.digits] == [[0, 1]]
    assert app.board.digits[0].box == (0, 0, 640, 480)


def test_a_press_without_release_ends_its_stroke_at_the_next_press(app):
    frame(app, press((100, 100)), motion((100, 200)), press((300, 100)), motion((300, 200)), release((300, 200)))
    assert [s.points.tolist() for s in app.board.strokes] == [[[100, 100], [100, 200]], [[300, 100], [300, 200]]]


def test_resize_redraws_the_board_at_the_new_size(app):
    draw(app, *FOUR)
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=320, h=240, size=(320, 240)))
    pygame.display.set_mode((320, 240), pygame.RESIZABLE)  # what the window system does
    surface = run_frame(app)
    assert app.size == (320, 240) and surface.get_size() == (320, 240)
    assert ink_at(surface, [(135, 150)]) == [True]
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=900, h=700, size=(900, 700)))
    pygame.display.set_mode((900, 700), pygame.RESIZABLE)
    surface = draw(app, [(800, 600), (850, 650)])
    assert ink_at(surface, [(135, 150), (825, 625)]) == [True, True]
    frame(app, pygame.event.Event(pygame.VIDEORESIZE, w=0, h=-5, size=(0, -5)))
    assert app.size == (1, 1)


def test_escape_and_closing_the_window_quit(app):
    frame(app, key(pygame.K_ESCAPE))
    assert not app.controller.running
    app.controller.running = True
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert run_loop(app) == 0 and not app.controller.running


def test_the_loop_stops_with_status_2_when_the_model_fails(app, capsys):
    failed = types.SimpleNamespace(error=ModelError("model file x.keras is empty; train one"))
    assert run_loop(app, failed) == 2
    assert capsys.readouterr().err == "digitboard: model file x.keras is empty; train one\n"


def test_digits_drawn_while_the_model_loads_are_classified_once_it_is_ready(app, fake_recognizer):
    fake_recognizer.ready = False
    draw(app, *FOUR)
    assert app.board.digits[0].prediction is None and app.board.reading() == "_"
    fake_recognizer.ready = True
    run_frame(app)
    assert app.board.digits[0].prediction is not None


# -- saving --------------------------------------------------------------------------------------
def test_s_saves_the_board_and_each_digit_input_and_never_overwrites(app, tmp_path, monkeypatch):
    monkeypatch.setattr(board_app.time, "strftime", lambda _: "20260101-120000")
    saves = tmp_path / "saves"
    saves.mkdir()
    (saves / "board-20260101-120000.png").write_bytes(b"precious")
    draw(app, *FOUR, *SEVEN)
    frame(app, key(pygame.K_s))
    first = sorted(p.name for p in saves.iterdir())
    labels = [digit.prediction.label for digit in app.board.left_to_right()]
    assert first == [f"board-20260101-120000-2-digit01-{labels[0]}.png",
                     f"board-20260101-120000-2-digit02-{labels[1]}.png",
                     "board-20260101-120000-2.png", "board-20260101-120000.png"]
    assert (saves / "board-20260101-120000.png").read_bytes() == b"precious"
    assert pygame.image.load(saves / first[0]).get_size() == (28, 28)
    assert pygame.image.load(saves / "board-20260101-120000-2.png").get_size() == SIZE
    frame(app, key(pygame.K_s))
    assert len(list(saves.iterdir())) == 7  # three more, none replaced
    assert app.controller.message == f"saved 3 PNGs in {saves}/"


def test_s_writes_nothing_outside_the_save_folder(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    draw(app, *FOUR)
    frame(app, key(pygame.K_BACKSPACE), key(pygame.K_n), key(pygame.K_ESCAPE))
    draw(app, *SEVEN)
    assert list(tmp_path.iterdir()) == []  # drawing, undo, clear: nothing written anywhere
    frame(app, key(pygame.K_s))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saves"]


def test_an_unwritable_save_folder_gives_a_message_and_the_board_keeps_running(window, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    app = BoardApp(Board(FakeRecognizer()), SIZE, save_dir=blocker / "saves")
    draw(app, *FOUR)
    frame(app, key(pygame.K_s))
    assert app.controller.message.startswith(f"could not save to {blocker / 'saves'}")
    assert "could not save" in capsys.readouterr().err
    draw(app, *SEVEN)
    assert len(app.board.digits) == 2 and app.controller.running


def test_a_read_only_save_folder_gives_a_message(window, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user may write to read-only folders (root); the test above covers the message")
        app = BoardApp(Board(FakeRecognizer()), SIZE, save_dir=folder)
        draw(app, *FOUR)
        frame(app, key(pygame.K_s))
        assert "Permission denied" in app.controller.message and list(folder.iterdir()) == []
        draw(app, *SEVEN)
        assert len(app.board.digits) == 2
    finally:
        folder.chmod(0o700)


# -- recording -----------------------------------------------------------------------------------
def test_recording_writes_each_stroke_and_key_as_it_happens(window, tmp_path):
    path = tmp_path / "live.jsonl"
    app = BoardApp(Board(FakeRecognizer()), SIZE, recorder=Recorder(path, SIZE), save_dir=tmp_path / "saves")

    def actions():
        (session,) = read_sessions(path)
        return session.actions

    frame(app, key(pygame.K_BACKSPACE))  # nothing to undo: nothing recorded
    draw(app, FOUR[0])
    assert len(actions()) == 1 and list(actions()[0].points) == [(100, 100), (90, 170), (150, 170)]
    frame(app, press((10, 10)), motion((20, 20)))  # a stroke in progress is not recorded yet...
    assert len(actions()) == 1
    frame(app, key(pygame.K_BACKSPACE), release((20, 20)))  # ...and its undo neither
    frame(app, key(pygame.K_s), key(pygame.K_n), key(pygame.K_z, pygame.KMOD_LCTRL))
    recorded = actions()
    assert recorded[1:] == [Clear(), Undo()]  # S is no edit; N is one, and can be undone
    assert len(app.board.digits) == 1
    times = list(recorded[0].times)
    assert times == sorted(times) and all(t >= 0 for t in times)


def test_a_recording_that_cannot_be_written_stops_with_a_message(window, tmp_path, capsys):
    folder = tmp_path / "recordings"
    folder.mkdir()
    app = BoardApp(Board(FakeRecognizer()), SIZE, recorder=Recorder(folder / "s.jsonl", SIZE))
    shutil.rmtree(folder)
    draw(app, *FOUR)
    assert app.recorder is None and app.controller.message.startswith("recording stopped")
    assert "recording stopped" in capsys.readouterr().err
    assert len(app.board.strokes) == 2
