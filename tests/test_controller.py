"""The controller on its own, without pygame: pointer and key names in, the board's actions out."""

from __future__ import annotations

from conftest import FakeRecognizer

from digitboard.core.actions import Clear, Correct, Delete, Stroke, Undo
from digitboard.core.board import Board
from digitboard.core.chooser import DELETE
from digitboard.core.controller import NO_DIGIT_HERE, PANEL_HINT, BoxLayout, Button, Controller

SEVEN = [[(100, 100), (160, 100), (120, 210)]]
ONE = [[(300, 100), (300, 210)]]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.01
        return self.now


def controller() -> tuple[Controller, list]:
    recorded: list = []
    board = Board(FakeRecognizer())
    return Controller(board, BoxLayout(), Clock(), record=recorded.append), recorded


def write(control: Controller, points) -> None:
    control.press(points[0])
    for point in points[1:]:
        control.move(point)
    control.release(points[-1])


def write_digits(control: Controller, *digits) -> None:
    for strokes in digits:
        for points in strokes:
            write(control, points)
    control.board.classify_pending()


def test_a_drag_is_a_stroke_and_a_click_on_a_digit_opens_its_panel_and_writes_nothing():
    control, recorded = controller()
    write_digits(control, SEVEN, ONE)
    assert len(recorded) == 2 and all(isinstance(action, Stroke) for action in recorded)
    seven, one = control.board.left_to_right()
    control.press((300, 150))
    control.release((301, 151))  # within the click's reach
    assert control.choosing is one and len(recorded) == 2
    rect, row = control.layout.panel_rows(control.board, one)[1]
    control.press((rect[0] + 2, rect[1] + 2))
    control.release((rect[0] + 2, rect[1] + 2))
    assert one.corrected == row.label and seven.corrected is None and control.choosing is None
    # Aimed at the middle of the one's box, which no other digit's box holds: read off ONE itself.
    xs, ys = [x for x, _ in ONE[0]], [y for _, y in ONE[0]]
    assert recorded[-1] == Correct(((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2), row.label)


def test_a_click_away_from_every_digit_is_a_dot():
    control, recorded = controller()
    write_digits(control, SEVEN)
    control.press((500, 400))
    control.release((500, 400))
    assert control.choosing is None and isinstance(recorded[-1], Stroke) and recorded[-1].points[0] == (500, 400)


def test_the_secondary_button_opens_the_panel_and_a_click_elsewhere_only_closes_it():
    control, recorded = controller()
    write_digits(control, SEVEN)
    control.press((130, 150), Button.SECONDARY)
    control.release((130, 150), Button.SECONDARY)
    assert control.choosing is control.board.digits[0] and len(recorded) == 1
    control.press((400, 300))
    control.release((401, 300))  # a click: it closes the panel, and leaves no dot
    assert control.choosing is None and len(recorded) == 1 and len(control.board.strokes) == 1


def open_panel_rows(control, digit):
    control.press((130, 150), Button.SECONDARY)
    control.release((130, 150), Button.SECONDARY)
    assert control.choosing is digit
    return control.layout.panel_rows(control.board, digit)


def test_a_stroke_drawn_while_a_panel_is_open_is_ink_wherever_it_starts():
    """Once, the press only closed the panel and the stroke was lost; on a row, it picked that row."""
    control, recorded = controller()
    write_digits(control, SEVEN)
    (seven,) = control.board.digits
    write(control, [(400, 300), (450, 380)])  # well away from the panel
    assert len(control.board.strokes) == 2
    rows = open_panel_rows(control, seven)
    (x, y, w, h), _ = rows[0]
    write(control, [(x + 2, y + 2), (x + 6, y + 5), (x + 9, y + 14)])  # a small stroke starting on a row
    assert control.choosing is None and seven.corrected is None
    assert len(control.board.strokes) == 3 and isinstance(recorded[-1], Stroke)
    assert recorded[-1].points[0] == (x + 2, y + 2)


def test_only_a_still_press_on_a_panel_row_picks_it():
    control, recorded = controller()
    write_digits(control, SEVEN)
    (seven,) = control.board.digits
    (x, y, w, h), row = open_panel_rows(control, seven)[1]
    control.press((x + 2, y + 2))
    control.release((x + 3, y + 3))  # within the click's reach
    assert seven.corrected == row.label and len(control.board.strokes) == 1


def test_a_small_stroke_starting_on_a_digit_is_ink_not_its_panel():
    """The second stroke of a 4, 3.7 px across, once opened the first stroke's panel."""
    control, recorded = controller()
    write_digits(control, SEVEN)
    write(control, [(130, 150), (132, 152), (133.7, 150)])
    assert control.choosing is None and len(control.board.strokes) == 2


def test_digit_keys_and_delete_act_on_the_digit_under_the_pointer():
    control, recorded = controller()
    write_digits(control, SEVEN, ONE)
    seven, one = control.board.left_to_right()
    control.move((300, 150))
    control.key("4")
    assert one.corrected == 4 and seven.corrected is None
    control.move((130, 150))
    control.key("delete")
    assert control.board.digits == [one] and isinstance(recorded[-1], Delete)


def test_a_digit_key_with_no_digit_under_the_pointer_changes_nothing_and_says_why():
    """A key pressed in an empty corner once corrected the nearest digit, far away, which then
    taught the board a wrong example."""
    control, recorded = controller()
    write_digits(control, SEVEN)
    before = list(recorded)
    control.move((600, 450))  # far from the 7
    control.key("1")
    control.key("delete")
    assert recorded == before and control.board.digits[0].corrected is None
    assert len(control.board.digits) == 1 and control.message == NO_DIGIT_HERE


def test_keys_while_a_panel_is_open_go_to_its_digit():
    control, _ = controller()
    write_digits(control, SEVEN, ONE)
    seven, one = control.board.left_to_right()
    control.press((130, 150))
    control.release((130, 150))
    control.move((300, 150))  # over the 1, but the 7's panel is open
    control.key("2")
    assert seven.corrected == 2 and one.corrected is None and control.choosing is None
    control.press((300, 150), Button.SECONDARY)
    control.key("escape")
    assert control.choosing is None and control.running  # Esc closed the panel, it did not quit
    control.press((300, 150), Button.SECONDARY)
    control.key("delete")
    assert control.board.digits == [seven]


def test_undo_clear_help_and_escape():
    control, recorded = controller()
    write_digits(control, SEVEN, ONE)
    control.key("n")
    assert control.board.strokes == [] and recorded[-1] == Clear()
    control.key("ctrl+z")
    assert len(control.board.strokes) == 2 and recorded[-1] == Undo()
    control.key("backspace")
    assert len(control.board.strokes) == 1
    control.key("?")
    assert control.show_help
    control.key("escape")
    assert not control.show_help and control.running
    control.key("escape")
    assert not control.running


def test_undo_during_a_stroke_drops_it_and_records_nothing():
    control, recorded = controller()
    control.press((100, 100))
    control.move((120, 140))
    control.key("ctrl+z")
    control.release((130, 150))
    assert control.board.strokes == [] and recorded == []


def test_unknown_keys_do_nothing():
    control, recorded = controller()
    write_digits(control, SEVEN)
    control.move((130, 150))
    for name in ("ctrl+7", "x", "f2", ""):
        control.key(name)
    assert len(recorded) == 1 and control.board.digits[0].corrected is None and control.running


def test_the_save_key_calls_the_shells_save():
    saved = []
    control = Controller(Board(FakeRecognizer()), BoxLayout(), Clock(), save=lambda: saved.append(1))
    control.key("s")
    assert saved == [1]


def test_a_panel_closes_when_its_digit_goes():
    control, _ = controller()
    write_digits(control, SEVEN)
    control.press((130, 150), Button.SECONDARY)
    control.key("n")
    assert control.open_panel() is None
    control.key("ctrl+z")
    control.press((130, 150), Button.SECONDARY)
    digit = control.choosing
    control.pick(DELETE)
    assert digit not in control.board.digits and control.choosing is None


def test_the_panels_hint_goes_when_the_panel_closes():
    """Closed by a stroke, a pick or Esc, the panel leaves no hint about itself in the status strip."""
    control, _ = controller()
    write_digits(control, SEVEN)
    (seven,) = control.board.digits
    for close in (lambda: write(control, [(400, 300), (450, 380)]), lambda: control.key("escape"),
                  lambda: control.key("3")):
        open_panel_rows(control, seven)
        assert control.message == PANEL_HINT
        close()
        assert control.choosing is None and control.message == ""
    control.key("n")
    assert control.message != ""  # other messages stay: the board says it was cleared
