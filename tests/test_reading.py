"""Reading the board: lines of writing top to bottom, each left to right."""

from __future__ import annotations

from digitboard.core.actions import Stroke
from digitboard.core.board import Board


def vertical_bar(x: float, y: float, height: float = 100) -> Stroke:
    return Stroke(((x, y), (x, y + height)))


def test_one_line_reads_left_to_right_whatever_the_drawing_order(fake_recognizer):
    board = Board(fake_recognizer)
    for x in (300, 100, 200):
        board.apply(vertical_bar(x, 50 + x / 20))  # a slightly rising line
    assert [d.box[0] for d in board.left_to_right()] == [100, 200, 300]
    assert len(board.reading()) == 3 and " " not in board.reading()


def test_two_lines_read_top_line_first_separated_by_a_space(fake_recognizer):
    board = Board(fake_recognizer)
    board.apply(vertical_bar(300, 250))  # second line, drawn first
    board.apply(vertical_bar(100, 30))
    board.apply(vertical_bar(200, 40))
    board.apply(vertical_bar(100, 260))
    boxes = [(d.box[0], d.box[1]) for d in board.left_to_right()]
    assert boxes == [(100, 30), (200, 40), (100, 260), (300, 250)]
    first, second = board.reading().split(" ")
    assert len(first) == 2 and len(second) == 2


def test_digits_of_different_heights_on_one_line_stay_one_line(fake_recognizer):
    board = Board(fake_recognizer)
    board.apply(vertical_bar(100, 100, height=90))
    board.apply(vertical_bar(200, 60, height=180))
    board.apply(Stroke(((300.0, 120.0), (340.0, 170.0))))
    assert len(board.rows()) == 1


def test_two_lines_close_above_each_other_stay_separate_digits(fake_recognizer):
    board = Board(fake_recognizer)
    board.apply(vertical_bar(100, 50, height=110))
    board.apply(vertical_bar(100, 50 + 110 + 50, height=110))  # 50 px below the first
    assert len(board.digits) == 2 and len(board.rows()) == 2


def test_a_tall_one_beside_a_small_seven_tops_aligned_is_one_line_read_left_to_right(fake_recognizer):
    board = Board(fake_recognizer)
    board.apply(vertical_bar(100, 100, height=200))  # a tall 1
    board.apply(Stroke(((160.0, 100.0), (220.0, 100.0), (180.0, 180.0))))  # a small 7, tops aligned
    assert [d.box[0] for d in board.left_to_right()] == [100, 160] and len(board.rows()) == 1


def test_a_line_drifting_down_across_the_board_stays_one_line(fake_recognizer):
    board = Board(fake_recognizer)
    for number in range(8):  # each digit 40% of a height lower than the one before
        board.apply(vertical_bar(50 + 70 * number, 50 + 40 * number))
    assert len(board.rows()) == 1
