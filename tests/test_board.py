"""The board's state on its own: grouping strokes into digits, undo, clear, classification."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from digitboard.board import UNSURE_BELOW, Board, Prediction
from digitboard.data import iter_unipen

# A 4 in two strokes and a 5 in three, about 120 pixels tall, drawn at x = 100.
FOUR = [[(100, 100), (90, 170), (150, 170)], [(135, 110), (135, 220)]]
FIVE = [[(110, 100), (105, 160)], [(105, 160), (150, 165), (155, 200), (105, 220)], [(110, 100), (160, 100)]]


def shifted(strokes, dx=0, dy=0):
    return [[(x + dx, y + dy) for x, y in stroke] for stroke in strokes]


def check_invariants(board: Board) -> None:
    """Every stroke in exactly one digit, no empty digit, every box around its strokes."""
    owned = sorted(itertools.chain.from_iterable(digit.strokes for digit in board.digits))
    assert owned == list(range(len(board.strokes)))
    for digit in board.digits:
        assert digit.strokes and digit.image is not None and digit.image.shape == (28, 28)
        x, y, w, h = digit.box
        points = np.concatenate([board.strokes[i] for i in digit.strokes])
        assert np.all(points >= (x, y)) and np.all(points <= (x + w - 1, y + h - 1))


def test_a_digit_in_three_strokes_is_one_digit(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in FIVE:
        board.add_stroke(stroke)
        check_invariants(board)
    assert [digit.strokes for digit in board.digits] == [[0, 1, 2]]
    assert board.digits[0].prediction is not None


def test_two_digits_apart_are_two_digits_read_left_to_right(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in shifted(FOUR, dx=200):  # the right-hand digit first
        board.add_stroke(stroke)
    for stroke in FIVE:
        board.add_stroke(stroke)
    check_invariants(board)
    assert [digit.strokes for digit in board.digits] == [[0, 1], [2, 3, 4]]
    assert [digit.strokes for digit in board.left_to_right()] == [[2, 3, 4], [0, 1]]
    labels = [digit.prediction.label for digit in board.left_to_right()]
    assert board.reading() == "".join(map(str, labels))


def test_a_stroke_joins_the_digit_it_overlaps_not_an_older_one(fake_recognizer):
    board = Board(fake_recognizer)
    board.add_stroke([(100, 100), (100, 220)])  # a 1
    board.add_stroke([(300, 100), (360, 100), (320, 220)])  # a 7...
    board.add_stroke([(310, 160), (350, 160)])  # ...and its crossbar
    assert [digit.strokes for digit in board.digits] == [[0], [1, 2]]


def test_joining_re_classifies_the_digit_with_all_its_strokes(fake_recognizer):
    board = Board(fake_recognizer)
    board.add_stroke(FOUR[0])
    alone = board.digits[0].image.copy()
    board.add_stroke(FOUR[1])
    assert len(board.digits) == 1
    assert not np.array_equal(board.digits[0].image, alone)
    assert fake_recognizer.calls == 2
    expected = fake_recognizer.predict(board.digits[0].image[None, ..., None])[0].argmax()
    assert board.digits[0].prediction.label == expected


def test_undo_removes_the_last_stroke_and_re_classifies(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in FIVE:
        board.add_stroke(stroke)
    board.add_stroke(shifted(FOUR, dx=250)[0])
    calls = fake_recognizer.calls
    assert board.undo()  # the 4's only stroke: its digit goes
    assert len(board.digits) == 1 and len(board.strokes) == 3
    assert board.undo()  # the 5's bar: the 5 is classified again from two strokes
    assert fake_recognizer.calls == calls + 1
    two_strokes = Board(fake_recognizer)
    for stroke in FIVE[:2]:
        two_strokes.add_stroke(stroke)
    np.testing.assert_array_equal(board.digits[0].image, two_strokes.digits[0].image)
    assert board.digits[0].box == two_strokes.digits[0].box
    check_invariants(board)


def test_undo_of_every_stroke_leaves_the_board_empty(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in FIVE + shifted(FOUR, dx=250) + shifted(FIVE, dx=500):
        board.add_stroke(stroke)
    while board.undo():
        check_invariants(board)
    assert board.strokes == [] and board.digits == [] and board.reading() == ""
    assert not board.undo()


def test_undo_while_drawing_drops_only_the_stroke_in_progress(fake_recognizer):
    board = Board(fake_recognizer)
    board.add_stroke(FOUR[0])
    board.pen_down(10, 10)
    board.pen_move(20, 20)
    assert board.undo()
    assert board.pen is None and len(board.strokes) == 1
    assert board.pen_up(30, 30) is None  # the release of the dropped stroke adds nothing


def test_clear_empties_the_board(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in FIVE:
        board.add_stroke(stroke)
    board.pen_down(1, 1)
    board.clear()
    assert board.strokes == [] and board.digits == [] and board.pen is None
    board.add_stroke(FOUR[0])  # and it is usable again, numbering from 0
    assert [digit.strokes for digit in board.digits] == [[0]]


def test_pen_strokes_drop_repeated_points_and_a_click_makes_a_dot(fake_recognizer):
    board = Board(fake_recognizer)
    board.pen_down(50, 60)
    board.pen_move(50, 60)
    digit = board.pen_up(50, 60)
    assert board.strokes[0].tolist() == [[50.0, 60.0]]
    assert digit.box == (50, 60, 1, 1) and digit.prediction is not None
    assert 0 < digit.image.sum() < 28 * 28 / 4  # a small dot, not an empty or full image
    assert board.pen_up() is None  # a release without a press


def test_points_outside_the_window_and_huge_strokes_are_fine(fake_recognizer):
    board = Board(fake_recognizer)
    board.add_stroke([(-500, -40), (3000, 2000), (-1e6, 1e6)])
    board.add_stroke([(0.25, 0.75)])  # a tiny dot far from it
    check_invariants(board)
    assert board.digits[0].box == (-1_000_000, -40, 1_003_001, 1_000_041)


def test_bad_strokes_are_refused_and_leave_the_board_unchanged(fake_recognizer):
    board = Board(fake_recognizer)
    board.add_stroke(FOUR[0])
    for bad in ([], [(1, float("nan"))], [(float("inf"), 2)]):
        with pytest.raises(ValueError):
            board.add_stroke(bad)
    assert len(board.strokes) == 1
    check_invariants(board)


def test_without_a_ready_recogniser_digits_wait_and_read_as_underscores(fake_recognizer):
    fake_recognizer.ready = False
    board = Board(fake_recognizer)
    board.add_stroke(FOUR[0])
    board.add_stroke(shifted(FOUR, dx=300)[0])
    assert len(board.pending) == 2 and fake_recognizer.calls == 0
    assert board.reading() == "__"
    fake_recognizer.ready = True
    assert board.classify_pending() == 2 and fake_recognizer.calls == 1  # one batch
    assert board.pending == [] and "_" not in board.reading()


def test_an_unsure_prediction_is_marked_with_a_question_mark():
    assert Prediction(7, 0.98).text == "7 98%" and not Prediction(7, 0.98).unsure
    unsure = Prediction(7, UNSURE_BELOW - 0.01)
    assert unsure.unsure and unsure.text.startswith("7?")


def test_real_multi_stroke_digits_group_as_one(unipen_path):
    """UNIPEN digits written in two or more strokes, drawn 120 pixels tall, form one digit."""
    multi = (digit for digit in iter_unipen(unipen_path) if len(digit.strokes) > 1)
    grouped = []
    for drawn in itertools.islice(multi, 300):
        points = np.concatenate(drawn.strokes)
        low, high = points.min(axis=0), points.max(axis=0)
        scale = 120 / max(high[1] - low[1], 1)
        board = Board()
        for stroke in drawn.strokes:
            board.add_stroke((stroke - low) * scale + 100)
        check_invariants(board)
        grouped.append(len(board.digits) == 1)
    assert len(grouped) == 300
    assert np.mean(grouped) >= 0.97


def test_real_digits_written_side_by_side_stay_apart(unipen_path):
    """A written number (digits a third of a height apart) gives one digit per written digit."""
    digits = list(itertools.islice(iter_unipen(unipen_path), 40))
    for number in (digits[i:i + 4] for i in range(0, 40, 4)):
        board, left = Board(), 50.0
        for drawn in number:
            points = np.concatenate(drawn.strokes)
            low, high = points.min(axis=0), points.max(axis=0)
            scale = 120 / max(high[1] - low[1], 1)
            for stroke in drawn.strokes:
                board.add_stroke((stroke - low) * scale + (left, 100))
            left += (high[0] - low[0]) * scale + 0.34 * 120
        check_invariants(board)
        assert [sorted(d.strokes) for d in board.left_to_right()] == [
            list(range(start, start + len(d.strokes)))
            for start, d in zip(itertools.accumulate([0] + [len(d.strokes) for d in number]), number)
        ]
