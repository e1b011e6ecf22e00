"""The chooser's pure parts: its rows, where the panel goes, what counts as a click."""

from __future__ import annotations

import numpy as np
from conftest import stroke

from digitboard.core.board import Board
from digitboard.core.chooser import DELETE, Row, is_click, panel_rects, row_at, rows_for
from digitboard.core.digits import Digit, Prediction
from digitboard.core.labels import overlap


def test_rows_are_the_three_likeliest_labels_likeliest_first_then_delete():
    probabilities = np.array([0.01, 0.6, 0.02, 0.01, 0.01, 0.01, 0.01, 0.3, 0.02, 0.01, 0.0])
    digit = Digit([], Prediction.from_probabilities(probabilities))
    rows = rows_for(digit)
    assert [row.label for row in rows] == [1, 7, 2, DELETE]
    assert [row.text for row in rows] == ["1  60%", "7  30%", "2  2%", "delete"]
    assert rows_for(Digit([])) == [Row(DELETE, None)]  # not read yet: only typing a label, or delete


def test_a_click_stays_within_three_pixels_of_where_it_began():
    assert is_click([(10.0, 10.0)])
    assert is_click([(10.0, 10.0), (12.0, 12.0), (10.0, 11.0)])
    assert not is_click([(10.0, 10.0), (13.0, 12.0)])


def test_the_panel_goes_right_of_the_box_when_there_is_room_else_left_else_below_else_above():
    area = (0, 0, 400, 300)
    assert panel_rects((100, 50, 40, 60), (60, 20), 4, area) == [(140, 50 + 20 * i, 60, 20) for i in range(4)]
    assert panel_rects((330, 50, 40, 60), (60, 20), 4, area)[0] == (270, 50, 60, 20)
    assert panel_rects((0, 50, 370, 60), (60, 20), 4, area)[0] == (0, 110, 60, 20)
    assert panel_rects((0, 230, 370, 60), (60, 20), 4, area)[0] == (0, 150, 60, 20)
    label = (140, 50, 60, 20)  # a label right of the box sends the panel to the left
    rects = panel_rects((100, 50, 40, 60), (60, 20), 4, area, avoid=[label])
    assert rects[0] == (40, 50, 60, 20) and not any(overlap(rect, label) for rect in rects)


def test_a_panel_too_large_for_every_side_is_moved_inside_the_board():
    rects = panel_rects((380, 10, 40, 20), (100, 100), 4, (0, 0, 400, 300))
    assert rects[0][0] + 100 <= 400 and rects[0][0] >= 0 and rects[0][1] >= 0


def test_row_at_finds_the_row_holding_a_point():
    rects = [(0, 0, 50, 20), (0, 20, 50, 20)]
    assert row_at(rects, (10, 5)) == 0 and row_at(rects, (49.5, 39.9)) == 1
    assert row_at(rects, (50, 5)) is None and row_at(rects, (10, 40)) is None


def test_point_of_names_a_digit_even_when_its_middle_is_inside_a_smaller_digits_box(fake_recognizer):
    board = Board(fake_recognizer)
    board.apply(stroke([(140, 140), (160, 160)]))  # a small digit
    board.apply(stroke([(20, 0), (20, 300)]))  # a tall one to its left...
    board.apply(stroke([(20, 0), (300, 0)]))  # ...whose bar reaches over it: its box holds the small one
    small, large = board.digits
    assert large.stroke_ids == [1, 2] and board.digit_at(150, 150) is small
    for digit in (small, large):
        assert board.digit_at(*board.point_of(digit)) is digit
