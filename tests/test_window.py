"""What a person sees in the window, through real events and the real frame loop: labels that
never hide ink, a status strip ink cannot cover, fading messages, the help, undoable clear,
smooth ink, the title and the icon; judged on the pixels of the drawn surface."""

from __future__ import annotations

import numpy as np
import pygame
import pytest
from conftest import WINDOW_SIZE, FakeRecognizer, fake_label

from digitboard.core.board import Board
from digitboard.core.controller import NO_DIGIT_HERE
from digitboard.core.digits import Mark
from digitboard.core.labels import overlap
from digitboard.recognition.preprocess import digit_image
from digitboard.sessions.replay import digit_state
from digitboard.window.app import BoardApp, key_name, run_frame, stroke_events, window_icon
from digitboard.window.look import PLATE, Look, display_scale
from digitboard.window.view import BoardView

BOX, CORRECTED = Mark.READ.color, Mark.CORRECTED.color

SIZE = WINDOW_SIZE


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(window, clock, tmp_path):
    return BoardApp(Board(FakeRecognizer()), SIZE, save_dir=tmp_path / "saves", clock=clock)


def frame(app, *events) -> pygame.Surface:
    for event in events:
        pygame.event.post(event)
    return run_frame(app)


def draw(app, *strokes) -> pygame.Surface:
    return frame(app, *(event for points in strokes for event in stroke_events(points)))


def key(code, mod=0, unicode=""):
    return pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode=unicode, scancode=0)


def pixels(surface: pygame.Surface) -> np.ndarray:
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2)  # (height, width, 3), rows first


def digit_strokes(left: float, top: float, height: float) -> list[list[tuple[float, float]]]:
    """A 4 in two strokes, `height` pixels tall, its box's top-left at (left, top)."""
    s = height / 100
    return [[(left + 10 * s, top), (left, top + 70 * s), (left + 60 * s, top + 70 * s)],
            [(left + 45 * s, top + 10 * s), (left + 45 * s, top + 100 * s)]]


def ink_hidden(app, surface) -> int:
    """Pixels of ink on the ink layer, inside the board, that the window shows darker."""
    _, _, width, height = app.view.board_area(surface.get_size())
    ink = pixels(app.view.ink)[:height, :width]
    shown = pixels(surface)[:height, :width]
    return int(np.any(shown < ink, axis=2).sum())


def labels_apart(app) -> None:
    rects = app.view.label_rects
    boxes = [app.view.box_rect(digit) for digit in app.board.digits]
    for i, rect in enumerate(rects):
        assert not any(overlap(rect, other) for other in rects[i + 1:])
        assert not any(overlap(rect, box) for box in boxes)


# -- labels --------------------------------------------------------------------------------------
@pytest.mark.parametrize("height, pitch", [(90, 69), (20, 16)], ids=["a tight 90817", "20 px digits"])
def test_labels_of_tight_writing_never_cover_ink_or_each_other(app, height, pitch):
    for i in range(5):
        draw(app, *digit_strokes(100 + pitch * i, 200, height))
    surface = run_frame(app)
    assert len(app.board.digits) == 5
    assert len(app.view.label_rects) == 5  # every digit labelled
    labels_apart(app)
    assert ink_hidden(app, surface) == 0


def test_a_digit_at_the_top_edge_keeps_its_ink_and_gets_its_label_in_the_window(app):
    surface = draw(app, *digit_strokes(300, 1, 100))
    (label,) = app.view.label_rects
    assert label[1] >= 0 and ink_hidden(app, surface) == 0
    assert np.all(pixels(surface)[label[1] + 1, label[0]:label[0] + label[2]] == PLATE, axis=1).sum() > 5


def test_a_digit_off_the_left_edge_gets_its_whole_label(app):
    surface = draw(app, *digit_strokes(-30, 200, 100))
    (label,) = app.view.label_rects
    assert label[0] >= 0 and label[2] > app.view.label_font.size("0 90%")[0]  # the whole text, on its plate
    image = pixels(surface)[label[1]:label[1] + label[3], label[0]:label[0] + label[2]]
    assert np.all(image == BOX, axis=2).sum() > 20 and ink_hidden(app, surface) == 0


def test_labels_stay_valid_and_still_as_digits_come_and_go(app):
    spots = [(60 + 70 * (i % 8), 40 + 120 * (i // 8)) for i in range(16)]
    for number, (x, y) in enumerate(spots):
        surface = draw(app, *digit_strokes(x, y, 50 + 10 * (number % 4)))
        if number % 5 == 4:
            surface = frame(app, key(pygame.K_BACKSPACE))
        labels_apart(app)
        assert ink_hidden(app, surface) == 0
    assert all(app.view.label_rect(digit) for digit in app.board.digits)  # every digit labelled
    frame(app, key(pygame.K_n))
    surface = frame(app, key(pygame.K_z, pygame.KMOD_LCTRL))
    labels_apart(app)
    assert len(app.view.label_rects) == len(app.board.digits) and ink_hidden(app, surface) == 0
    settled = {digit: app.view.label_rect(digit) for digit in app.board.digits}
    draw(app, *digit_strokes(300, 360, 60))  # far from them all
    assert len(app.board.digits) == len(settled) + 1
    assert all(app.view.label_rect(digit) == rect for digit, rect in settled.items())  # no label moved


def test_an_unsure_digit_names_the_next_likeliest_digits(window, tmp_path):
    app = BoardApp(Board(FakeRecognizer(confidence=0.4)), SIZE, save_dir=tmp_path)
    draw(app, *digit_strokes(200, 200, 100))
    prediction = app.board.digits[0].prediction
    (label,) = app.view.label_rects
    expected = f"{prediction.text} or {prediction.alternatives[1][0]}, {prediction.alternatives[2][0]}"
    assert app.view.texts.render(expected, (250, 170, 40), app.view.label_font).get_width() + 6 == label[2]


# -- the status strip --------------------------------------------------------------------------
def test_ink_cannot_cover_the_status_strip(app):
    surface = draw(app, [(50, 300), (300, 479), (600, 470)])
    top = SIZE[1] - app.view.strip_height()
    strip = pixels(surface)[top:]
    assert not np.all(strip == 255, axis=2).any()  # no ink shows in it
    assert np.all(strip == PLATE, axis=2).mean() > 0.8  # its plate, behind its text
    assert app.view.board_area(SIZE) == (0, 0, SIZE[0], top)


def test_a_message_fades_and_is_never_saved_into_the_board_image(app, clock, tmp_path):
    draw(app, *digit_strokes(100, 100, 100))
    frame(app, key(pygame.K_s))
    assert app.view.status_texts[1].startswith("saved 2 PNGs")
    (board_png,) = [path for path in (tmp_path / "saves").iterdir() if "-digit" not in path.name]
    saved = pixels(pygame.image.load(board_png))
    top = SIZE[1] - app.view.strip_height()
    assert not saved[top:].any()  # the board as drawn, without the strip and its message
    clock.now += 2.0
    run_frame(app)
    assert app.view.status_texts[1].startswith("saved")
    clock.now += 3.0
    draw(app, *digit_strokes(300, 100, 100))
    assert app.view.status_texts == (f"reads {app.board.reading()}", "F1: keys")


@pytest.mark.parametrize("size", [(320, 240), (200, 150)])
def test_the_strip_stays_whole_at_small_sizes_and_the_help_opens_on_f1(app, size):
    pygame.display.set_mode(size, pygame.RESIZABLE)
    draw(app, *digit_strokes(20, 20, 60))
    left, right = app.view.status_texts
    assert right == "F1: keys" and left == f"reads {app.board.reading()}"
    assert app.view.strip.font.size(left)[0] + app.view.strip.font.size(right)[0] < size[0] - 16
    before = pixels(run_frame(app))
    shown = pixels(frame(app, key(pygame.K_F1)))
    assert app.controller.show_help and np.any(before != shown)
    assert pygame.Rect(app.view.board_area(size)).contains(app.view.help_rect)  # whole, above the strip
    assert np.all(shown == PLATE, axis=2).sum() > np.all(before == PLATE, axis=2).sum() + 1000  # the panel
    frame(app, key(pygame.K_ESCAPE))  # Esc closes the help first...
    assert not app.controller.show_help and app.controller.running
    assert np.array_equal(pixels(run_frame(app)), before)
    frame(app, key(pygame.K_SLASH, pygame.KMOD_SHIFT, "?"))  # ...and ? opens it as F1 does
    assert app.controller.show_help
    frame(app, key(pygame.K_ESCAPE), key(pygame.K_ESCAPE))
    assert not app.controller.running


def test_the_model_loading_shows_in_the_strip_until_it_is_ready(window, tmp_path):
    recognizer = FakeRecognizer()
    recognizer.ready = False
    app = BoardApp(Board(recognizer), SIZE, save_dir=tmp_path,
                   status=lambda: None if recognizer.ready else "loading the model…")
    draw(app, *digit_strokes(100, 100, 100))
    assert app.view.status_texts == ("reads _", "loading the model…")
    recognizer.ready = True
    run_frame(app)
    assert app.view.status_texts == (f"reads {app.board.reading()}", "F1: keys")


# -- nothing permanent by accident ------------------------------------------------------------------
def test_n_then_ctrl_z_brings_the_whole_board_back_on_screen(app):
    draw(app, *digit_strokes(100, 100, 100), *digit_strokes(300, 150, 80))
    board_rows = SIZE[1] - app.view.strip_height()
    before = pixels(run_frame(app))[:board_rows]
    cleared = pixels(frame(app, key(pygame.K_n)))
    assert not cleared[:board_rows].any() and "Ctrl+Z" in app.view.status_texts[1]
    after = pixels(frame(app, key(pygame.K_z, pygame.KMOD_LCTRL)))[:board_rows]
    assert np.array_equal(after, before)  # ink, boxes and labels, pixel for pixel
    assert len(app.board.reading()) == 2


def test_undoing_strokes_leaves_the_ink_a_fresh_drawing_would(app):
    crossing = [[(100 + 7 * i, 100 + 5 * i) for i in range(40)], [(380, 100), (100, 300)],
                [(90, 200), (400, 210)], [(240, 60), (250, 330), (260, 60)]]
    draw(app, *crossing)
    for _ in range(2):
        frame(app, key(pygame.K_BACKSPACE))
        fresh = BoardView()
        fresh.widths = app.view.widths  # the same widths as first drawn
        fresh.update_ink(app.board, SIZE)
        assert np.array_equal(pixels(app.view.ink), pixels(fresh.ink))


def test_a_digit_key_corrects_the_digit_under_the_pointer_in_green_and_ctrl_z_takes_it_back(app):
    draw(app, *digit_strokes(100, 100, 100), *digit_strokes(300, 100, 100))
    first, second = app.board.left_to_right()
    model_label = second.prediction.label
    corrected = (model_label + 1) % 10
    surface = frame(app, pygame.event.Event(pygame.MOUSEMOTION, pos=(330, 150), rel=(0, 0), buttons=(0, 0, 0)),
                    key(pygame.K_0 + corrected, unicode=str(corrected)))
    assert second.corrected == corrected and first.corrected is None
    assert app.board.reading() == f"{first.prediction.label}{corrected}"
    x, y, w, h = app.view.box_rect(second)
    assert tuple(pixels(surface)[y + h // 2, x]) == CORRECTED
    label = app.view.label_rect(second)
    assert label[2] > app.view.label_font.size(f"{corrected} corrected")[0]
    frame(app, key(pygame.K_z, pygame.KMOD_LCTRL))
    assert second.corrected is None and app.board.reading().endswith(str(model_label))


def test_delete_takes_the_digit_under_the_pointer_off_and_ctrl_z_brings_it_back(app):
    draw(app, *digit_strokes(100, 100, 100), *digit_strokes(300, 100, 100))
    board_rows = SIZE[1] - app.view.strip_height()
    before = pixels(run_frame(app))[:board_rows]
    pointer = pygame.event.Event(pygame.MOUSEMOTION, pos=(130, 150), rel=(0, 0), buttons=(0, 0, 0))
    after = pixels(frame(app, pointer, key(pygame.K_DELETE)))[:board_rows]
    assert len(app.board.digits) == 1 and not after[:, :250].any() and np.array_equal(after[:, 250:], before[:, 250:])
    restored = pixels(frame(app, key(pygame.K_z, pygame.KMOD_LCTRL)))[:board_rows]
    assert np.array_equal(restored, before)


def test_the_picture_drawn_piece_by_piece_equals_one_drawn_whole(app):
    """Each change redraws only where it was; the picture must be what a whole redraw gives."""
    pointer = lambda x, y: pygame.event.Event(pygame.MOUSEMOTION, pos=(x, y), rel=(0, 0), buttons=(0, 0, 0))
    steps = [[], [[key(pygame.K_BACKSPACE)]], [[pointer(130, 150), key(pygame.K_3, unicode="3")]],
             [[pointer(330, 160), key(pygame.K_DELETE)]], [[key(pygame.K_z, pygame.KMOD_LCTRL)]],
             [[key(pygame.K_n)]], [[key(pygame.K_z, pygame.KMOD_LCTRL)]],
             [stroke_events([(500, 300), (520, 340)])[:-1], [key(pygame.K_BACKSPACE)]]]  # a stroke dropped
    for number, frames in enumerate(steps):
        draw(app, *digit_strokes(40 + 90 * number % 560, 40 + 120 * (number // 6), 70))
        for events in frames:
            frame(app, *events)
        shown = pixels(app.view.picture)
        app.view._paint(app.view.picture.get_rect())
        assert np.array_equal(pixels(app.view.picture), shown), number


# -- ink ---------------------------------------------------------------------------------------------
def stroke_width_at(surface, x_range: range, y: int) -> int:
    """Grey to white pixels (ink, not a box's colour) across a vertical stroke at row y."""
    row = pixels(surface)[y, x_range.start:x_range.stop].astype(int)
    return int(((row.max(axis=1) > 0) & (row.max(axis=1) == row.min(axis=1))).sum())


def test_ink_is_anti_aliased_and_its_width_follows_the_writing(app):
    surface = draw(app, [(100, 50), (100, 350)])  # a 1, 300 px tall
    row = pixels(surface)[200, 80:121].max(axis=1)
    assert ((row > 0) & (row < 255)).sum() >= 2  # soft edges, not a hard disc
    wide = stroke_width_at(surface, range(80, 121), 200)
    surface = draw(app, [(400, 100), (400, 120)])  # a 1, 20 px tall
    narrow = stroke_width_at(surface, range(390, 411), 110)
    assert 2 <= narrow <= 5 and 2 * narrow <= wide <= 14


def test_the_stroke_being_drawn_shows_all_of_it_over_labels_and_goes_when_undone(app):
    draw(app, *digit_strokes(100, 150, 100))
    (label,) = app.view.label_rects
    through_label = [(label[0] + label[2] // 2, label[1] - 20 + 4 * i) for i in range(12)]
    shown = []
    frame(app, *stroke_events(through_label)[:1])
    for event in stroke_events(through_label)[1:-1]:  # one mouse motion a frame
        image = pixels(frame(app, event))
        shown.append(tuple(image[event.pos[1], event.pos[0]]))
    assert all(pixel == (255, 255, 255) for pixel in shown)  # on top of the label's plate
    image = pixels(frame(app, key(pygame.K_BACKSPACE)))  # undo while drawing drops the stroke
    x, y = through_label[6]
    assert tuple(image[y, x]) != (255, 255, 255) and app.board.pen is None


def test_drawing_a_stroke_adds_to_the_picture_instead_of_composing_it_again(app, monkeypatch):
    draw(app, *digit_strokes(100, 150, 100))
    composed = []
    original = BoardView._compose
    monkeypatch.setattr(BoardView, "_compose", lambda view, *args: composed.append(1) or original(view, *args))
    events = stroke_events([(400, 100 + i) for i in range(60)])
    for event in events[:-1]:
        frame(app, event)
    assert composed == []
    frame(app, events[-1])
    assert composed == [1]  # the stroke ended: the board changed


# -- the window ------------------------------------------------------------------------------------
def test_the_title_shows_the_reading(app):
    run_frame(app)
    assert pygame.display.get_caption()[0] == "digitboard"
    left, right = digit_strokes(100, 100, 100), [[(300, 100), (360, 100), (320, 220)], [(310, 160), (350, 160)]]
    draw(app, *right, *left)
    # Each digit read alone by the recogniser, without the board, left one first.
    labels = [fake_label(digit_image([np.asarray(s, np.float64) for s in strokes], app.board.stroke_width))
              for strokes in (left, right)]
    assert labels[0] != labels[1]  # else the order would go unchecked
    assert pygame.display.get_caption()[0] == f"digitboard: {labels[0]}{labels[1]}"


def test_the_icon_is_a_digit_in_a_red_box():
    pygame.display.init()
    try:
        image = pixels(window_icon())
        assert image.shape == (32, 32, 3)
        assert np.all(image == BOX, axis=2).sum() > 50 and np.all(image == 255, axis=2).sum() > 20
    finally:
        pygame.quit()


def test_text_and_lines_scale_with_the_display(window):
    assert display_scale(1080) == 1.0 and display_scale(768) == 1.0 and display_scale(2160) == 2.0
    small, large = BoardView(Look(scale=1.0)), BoardView(Look(scale=2.0))
    assert large.label_font.get_height() >= 1.8 * small.label_font.get_height()
    assert large.strip_height() >= 1.8 * small.strip_height()


# -- the chooser: a click on a digit shows its likeliest labels ------------------------------------
def click(pos, button=1):
    return [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button),
            pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button)]


def centre(rect):
    return rect[0] + rect[2] // 2, rect[1] + rect[3] // 2


def panel(app) -> list:
    """The open panel's rows and where each is, as the window lays them out for the board now."""
    return app.view.panel_rows(app.board, app.controller.choosing)


def test_a_click_on_a_digit_shows_its_three_likeliest_labels_and_a_click_on_one_sets_it(app):
    draw(app, *digit_strokes(100, 100, 100), *digit_strokes(300, 100, 100))
    first, second = app.board.left_to_right()
    strokes = len(app.board.strokes)
    before = pixels(run_frame(app))
    shown = pixels(frame(app, *click((330, 150))))
    assert app.controller.choosing is second and len(app.board.strokes) == strokes  # the click is no ink
    rows = panel(app)
    assert [row.label for _, row in rows] == [label for label, _ in second.prediction.alternatives] + [-1]
    x, y, w, h = rows[1][0]
    assert not np.array_equal(shown[y:y + h, x:x + w], before[y:y + h, x:x + w])  # the panel is drawn
    assert not any(overlap(rect, app.view.box_rect(second)) for rect, _ in rows)
    wanted = rows[1][1].label
    frame(app, *click(centre(rows[1][0])))
    assert second.corrected == wanted and first.corrected is None and app.controller.choosing is None
    assert len(app.board.strokes) == strokes
    board_rows = SIZE[1] - app.view.strip_height()
    assert np.array_equal(pixels(run_frame(app))[:board_rows, :250], before[:board_rows, :250])  # the panel is gone
    frame(app, key(pygame.K_z, pygame.KMOD_LCTRL))
    assert second.corrected is None


def test_a_click_on_a_label_or_a_right_click_opens_the_chooser_and_typing_sets_that_digit(app):
    draw(app, *digit_strokes(100, 100, 100), *digit_strokes(300, 100, 100))
    first, second = app.board.left_to_right()
    frame(app, *click(centre(app.view.label_rect(first))))
    assert app.controller.choosing is first
    away = pygame.event.Event(pygame.MOUSEMOTION, pos=(330, 150), rel=(0, 0), buttons=(0, 0, 0))
    label = (first.label + 3) % 10
    frame(app, away, key(pygame.K_0 + label, unicode=str(label)))  # the chooser's digit, not the pointer's
    assert first.corrected == label and second.corrected is None and app.controller.choosing is None
    frame(app, *click((330, 150), button=3))
    assert app.controller.choosing is second
    frame(app, key(pygame.K_ESCAPE))
    assert app.controller.choosing is None and app.controller.running  # Esc closed the chooser, it did not quit


def test_a_click_outside_the_chooser_closes_it_and_a_stroke_there_is_ink(app):
    draw(app, *digit_strokes(100, 100, 100))
    before = len(app.board.strokes)
    frame(app, *click((130, 150)))
    assert app.controller.choosing is not None
    frame(app, *click((400, 300)))  # a still press: it only closes the chooser
    assert app.controller.choosing is None and len(app.board.strokes) == before
    frame(app, *click((130, 150)))
    assert app.controller.choosing is not None
    frame(app, *stroke_events([(400, 300), (450, 380)]))  # a stroke: it closes the chooser and is ink
    assert app.controller.choosing is None and len(app.board.strokes) == before + 1
    assert len(app.board.digits) == 2
    frame(app, *click((550, 100)))
    assert len(app.board.strokes) == before + 2 and app.controller.choosing is None  # a click away from every digit is a dot


def test_the_chooser_deletes_its_digit_and_closes_when_its_digit_goes(app):
    draw(app, *digit_strokes(100, 100, 100), *digit_strokes(300, 100, 100))
    first, second = app.board.left_to_right()
    frame(app, *click((130, 150)))
    frame(app, *click(centre(panel(app)[-1][0])))  # "delete"
    assert app.board.digits == [second] and app.controller.choosing is None
    frame(app, *click((330, 150)))
    assert app.controller.choosing is second
    frame(app, key(pygame.K_n))  # cleared: nothing left to choose for
    assert app.controller.choosing is None


def test_a_correction_picked_in_the_chooser_is_recorded_and_replays_the_same(window, tmp_path):
    from digitboard.sessions.files import read_sessions
    from digitboard.sessions.recording import Recorder
    from digitboard.sessions.replay import replay_session

    path = tmp_path / "s.jsonl"
    recorder = Recorder(path, SIZE)
    app = BoardApp(Board(FakeRecognizer()), SIZE, recorder=recorder, save_dir=tmp_path)
    draw(app, *digit_strokes(100, 100, 100), *digit_strokes(300, 100, 100))
    frame(app, *click((130, 150)))
    frame(app, *click(centre(panel(app)[2][0])))
    recorder.close()
    reading = app.board.reading()
    (session,) = read_sessions(path)
    replayed = replay_session(session, FakeRecognizer())
    assert replayed["reading"] == reading and [d["corrected"] for d in replayed["digits"]] == [True, False]


def test_a_digit_key_or_delete_far_from_every_digit_changes_nothing_and_the_strip_says_why(app):
    """A key pressed in an empty corner once corrected the nearest digit, far away, which then
    taught the board a wrong example."""
    draw(app, *digit_strokes(100, 100, 100))
    (digit,) = app.board.digits
    corner = pygame.event.Event(pygame.MOUSEMOTION, pos=(600, 400), rel=(0, 0), buttons=(0, 0, 0))
    version = app.board.version
    frame(app, corner, key(pygame.K_1, unicode="1"), key(pygame.K_DELETE))
    assert app.board.digits == [digit] and digit.corrected is None and app.board.version == version
    assert app.view.status_texts[1] == NO_DIGIT_HERE


def test_a_digit_waiting_for_the_model_is_shown_unsure_as_replay_says(window, tmp_path, clock):
    class Loading(FakeRecognizer):
        ready = False

    app = BoardApp(Board(Loading()), SIZE, save_dir=tmp_path, clock=clock)
    surface = draw(app, *digit_strokes(100, 100, 100))
    (digit,) = app.board.digits
    assert digit.prediction is None and digit_state(digit)["unsure"] and digit_state(digit)["text"] == "…"
    x, y, w, h = app.view.box_rect(digit)
    assert tuple(pixels(surface)[y + h // 2, x]) == Mark.UNSURE.color


@pytest.mark.parametrize(("code", "mod", "unicode", "name"), [
    (pygame.K_n, 0, "n", "n"), (pygame.K_n, pygame.KMOD_LSHIFT, "N", "n"), (pygame.K_n, 0, "т", "n"),
    (pygame.K_z, pygame.KMOD_LCTRL, "\x1a", "ctrl+z"), (pygame.K_7, 0, "7", "7"), (pygame.K_7, 0, "", "7"),
    (pygame.K_SLASH, pygame.KMOD_LSHIFT, "?", "?"), (pygame.K_DELETE, 0, "\x7f", "delete"),
    (pygame.K_ESCAPE, 0, "\x1b", "escape"), (pygame.K_F1, 0, "", "f1"), (pygame.K_BACKSPACE, 0, "\x08", "backspace"),
])
def test_key_events_get_the_key_tables_names(window, code, mod, unicode, name):
    assert key_name(key(code, mod, unicode)) == name
