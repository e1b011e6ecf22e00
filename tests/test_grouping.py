"""Grouping keeps a drawing whole: a stroke that crosses or meets the ink of two digits makes them
one drawing when the classifier reads them better so, or as "not a digit"; undo takes it apart."""

from __future__ import annotations

import numpy as np
import pytest

from digitboard.core.actions import Stroke, Undo
from digitboard.core.board import Board
from digitboard.core.grouping import ink_distance

# An H: two stems 60 px apart (too far apart to touch), then the bar across both.
LEFT_STEM = [(100, 100), (100, 180)]
RIGHT_STEM = [(160, 100), (160, 180)]
BAR = [(80, 140), (180, 140)]


def add(board: Board, points) -> None:
    board.apply(Stroke(tuple((float(x), float(y)) for x, y in points)))
    board.classify_pending()


def reading(label: int, confidence: float) -> list[float]:
    row = [0.0] * 11
    row[label] = confidence
    row[10] = 1 - confidence
    return row


class Reads:
    """A recogniser that reads one stroke as a sure 1, two as `two` says and three as `three` says
    (rows of 11 probabilities), counting strokes by the pen lifts in the path."""

    ready = True

    def __init__(self, three: list[float], two: list[float] | None = None) -> None:
        self.rows = {1: reading(1, 0.99), 2: two or reading(4, 0.99), 3: three}

    def predict(self, images, paths=None):
        lifts = (np.diff(paths[:, :, 4], axis=1) < 0).sum(axis=1)  # pen down to pen up
        return np.asarray([self.rows[1 + int(count)] for count in lifts], np.float32)


NOT_A_DIGIT = [0.01] * 10 + [0.9]


def test_ink_distance_is_zero_where_strokes_cross_and_the_gap_otherwise():
    assert ink_distance(np.array(BAR, float), np.array(LEFT_STEM, float)) == 0.0
    assert ink_distance(np.array(LEFT_STEM, float), np.array(RIGHT_STEM, float)) == pytest.approx(60.0)
    assert ink_distance(np.array([(100, 185), (120, 200)], float), np.array(LEFT_STEM, float)) == pytest.approx(5.0)
    assert ink_distance(np.array([(103, 150)], float), np.array(LEFT_STEM, float)) == pytest.approx(3.0)


def test_the_bar_of_an_h_makes_its_two_stems_one_drawing_and_undo_takes_it_apart():
    board = Board(Reads(NOT_A_DIGIT))
    add(board, LEFT_STEM)
    add(board, RIGHT_STEM)
    assert [d.stroke_ids for d in board.digits] == [[0], [1]] and board.reading() == "11"
    add(board, BAR)
    (h,) = board.digits
    assert h.stroke_ids == [0, 1, 2] and h.unsure and not any(d.prediction.confident for d in board.digits)
    assert all(ink.digit is h for ink in board.strokes)
    assert tuple(h.box) == (80, 100, 101, 81)
    board.apply(Undo())
    board.classify_pending()
    assert [d.stroke_ids for d in board.digits] == [[0], [1]]
    assert all(ink.digit is digit for digit in board.digits for ink in digit.strokes)
    assert [tuple(d.box) for d in board.digits] == [(100, 100, 1, 81), (160, 100, 1, 81)]
    assert board.reading() == "11" and [d.prediction.label for d in board.digits] == [1, 1]


def test_a_stroke_meeting_two_digits_joins_only_one_when_they_read_better_apart():
    board = Board(Reads(reading(4, 0.99)))  # the whole a sure 4; the bar with a stem too, the stem a 1
    add(board, LEFT_STEM)
    add(board, RIGHT_STEM)
    add(board, BAR)
    # together: 0.99; apart: 0.99 (the bar with a stem) * 0.99 (the other stem): together is better
    assert len(board.digits) == 1
    board = Board(Reads(reading(4, 0.6)))  # a digit, but poorly read together: worse than two sure parts
    add(board, LEFT_STEM)
    add(board, RIGHT_STEM)
    add(board, BAR)
    assert sorted(len(d.strokes) for d in board.digits) == [1, 2]


def test_without_a_recogniser_ink_that_meets_is_one_drawing():
    board = Board()
    for stroke in (LEFT_STEM, RIGHT_STEM, BAR):
        add(board, stroke)
    assert [d.stroke_ids for d in board.digits] == [[0, 1, 2]]


def test_a_stroke_that_meets_one_digit_and_passes_near_another_joins_one():
    board = Board(Reads(NOT_A_DIGIT))
    add(board, LEFT_STEM)
    add(board, RIGHT_STEM)
    add(board, [(90, 140), (130, 140)])  # crosses the left stem, stops 30 px short of the right one
    assert sorted(d.stroke_ids for d in board.digits) == [[0, 2], [1]]


def test_the_shipped_model_reads_no_part_of_an_h_as_a_confident_digit(shipped_model):
    from digitboard.recognition.recognizer import load_recognizer

    board = Board(load_recognizer(shipped_model))
    for stroke in (LEFT_STEM, RIGHT_STEM, BAR):
        add(board, stroke)
    assert len(board.digits) == 1 and board.digits[0].unsure


# A letter (an X of two crossing strokes, 60 px tall), then a digit of its size under it.
X_LETTER = ([(100, 100), (160, 160)], [(160, 100), (100, 160)])


def digit_under(gap: float) -> list[tuple[float, float]]:
    top = 160 + gap
    return [(105, top), (150, top + 20), (110, top + 30), (150, top + 45), (105, top + 60)]


@pytest.mark.parametrize("gap", [20, 45])  # a third of a height (near enough to join unasked), three quarters
def test_a_digit_written_right_under_a_letter_stays_a_digit_of_its_own(gap):
    """The letter reads "not a digit", the digit alone a sure 3; joined they read a doubtful 5 at
    51%, which a letter's near nothing would make "better" than the two apart."""
    recognizer = Reads(three=reading(5, 0.51), two=NOT_A_DIGIT)
    recognizer.rows[1] = reading(3, 0.99)
    board = Board(recognizer)
    for stroke in (*X_LETTER, digit_under(gap)):
        add(board, stroke)
    assert sorted(d.stroke_ids for d in board.digits) == [[0, 1], [2]]
    assert board.reading() == "? 3"


def test_an_eight_of_two_loops_stays_one_digit_though_its_second_loop_reads_alone():
    """Its first loop is a digit by itself (a 0), unlike a letter: the second joins it unasked."""
    board = Board(Reads(three=reading(8, 0.99), two=reading(8, 0.95)))
    add(board, [(300, 100), (330, 100), (330, 130), (300, 130), (300, 100)])
    add(board, [(300, 140), (330, 140), (330, 170), (300, 170), (300, 140)])  # 10 px below
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


class ReadsBarsSure(Reads):
    """One stroke: a narrow bar is a sure 1, a wider stroke (the "L" of a 4) a poor guess; two
    strokes as `two` says."""

    def predict(self, images, paths=None):
        rows = super().predict(images, paths)
        columns = (images[..., 0] > 0.2).any(axis=1).sum(axis=1)
        lifts = (np.diff(paths[:, :, 4], axis=1) < 0).sum(axis=1)
        rows[(lifts == 0) & (columns > 10)] = reading(4, 0.2)
        return rows


def test_the_first_stroke_of_the_next_digit_does_not_make_a_sure_digit_doubtful():
    """A sure 1, then beside it (beyond touching, within reach of the digit just drawn) the "L" of
    a 4: joined they read a 4 at 45%, better than 0.99 x 0.2 apart, but no longer sure."""
    board = Board(ReadsBarsSure(three=reading(4, 0.99), two=reading(4, 0.45)))
    add(board, [(100, 100), (100, 160)])
    add(board, [(125, 100), (112, 140), (150, 140)])  # its box 12 px (a fifth of a height) to the right
    assert [d.stroke_ids for d in board.digits] == [[0], [1]]


# -- numbers written tight: the next digit touches the box of the one before, beside it ----------
ONE = [(100, 100), (100, 160)]
ONE_BESIDE = [(108, 100), (108, 160)]  # 8 px to the right: touching (within 0.15 of a height)
CROSS = ([(100, 100), (100, 160)], [(90, 130), (136, 130)])  # a digit of two strokes, no bare stem, read `two`


def test_the_next_digit_of_a_number_written_tight_is_a_digit_of_its_own():
    """Two sure 1s, touching side by side, that read a doubtful 4 joined: the number 11."""
    board = Board(Reads(three=reading(4, 0.99), two=reading(4, 0.6)))
    add(board, ONE)
    add(board, ONE_BESIDE)
    assert [d.stroke_ids for d in board.digits] == [[0], [1]]
    assert board.reading() == "11"


def test_two_sure_strokes_side_by_side_that_read_surer_joined_stay_one_digit():
    """A 9 written as a loop and then its stem beside it: each part reads as a digit, the two a
    surer 9 (0.995 against 0.99 x 0.99)."""
    board = Board(Reads(three=reading(9, 0.99), two=reading(9, 0.995)))
    add(board, ONE)
    add(board, ONE_BESIDE)
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


def test_the_stem_of_a_4_beside_its_l_joins_it():
    """The "L" alone is a poor guess, the stem beside it a sure 1, joined a sure 4."""
    board = Board(ReadsBarsSure(three=reading(4, 0.99), two=reading(4, 0.99)))
    add(board, [(100, 100), (100, 140), (130, 140)])
    add(board, [(134, 110), (134, 170)])  # 4 px right of the L's box
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


def test_without_a_recogniser_strokes_touching_side_by_side_join():
    board = Board(None)
    add(board, ONE)
    add(board, ONE_BESIDE)
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


def test_the_shipped_model_reads_a_1_and_a_0_written_tight_as_10(shipped_model):
    from digitboard.recognition.recognizer import load_recognizer

    angles = np.linspace(0, 2 * np.pi, 40)
    zero = [(126 + 18 * np.sin(a), 130 - 30 * np.cos(a)) for a in angles]  # its box 8 px right of the 1
    board = Board(load_recognizer(shipped_model))
    add(board, ONE)
    add(board, zero)
    assert [d.stroke_ids for d in board.digits] == [[0], [1]]
    assert board.reading() == "10"


def test_the_l_of_a_4_beside_a_sure_digit_that_it_makes_no_surer_starts_the_next_digit():
    """A sure digit, then 6 px to its right the "L" of a 4 (a poor guess by itself); joined they
    read no surer than the digit alone: the L starts a digit."""
    board = Board(ReadsBarsSure(three=reading(4, 0.99)))
    for stroke in CROSS:
        add(board, stroke)
    add(board, [(142, 100), (142, 140), (170, 140)])
    assert [d.stroke_ids for d in board.digits] == [[0, 1], [2]]


def test_a_flat_bar_beside_a_digit_is_a_part_of_it():
    """A bar a twentieth of the 1's height, touching it on its right, that joined makes it no
    surer, is too flat to start a digit: it joins (a 7's crossbar drawn beside its stem)."""
    board = Board(ReadsBarsSure(three=reading(1, 0.99), two=reading(1, 0.99)))
    add(board, ONE)
    add(board, [(108, 130), (130, 133)])
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


def test_the_l_of_a_4_a_little_apart_from_a_sure_digit_starts_the_next_digit():
    """Beyond touching, within reach of the digit just drawn: joined they read a 4 still sure
    but less so (0.9 against 0.99), which would read better than the two apart (0.99 x 0.2)."""
    board = Board(ReadsBarsSure(three=reading(4, 0.9)))
    for stroke in CROSS:
        add(board, stroke)
    add(board, [(147, 100), (147, 140), (175, 140)])  # 11 px (a fifth of a height) to the right
    assert [d.stroke_ids for d in board.digits] == [[0, 1], [2]]


def test_the_next_digit_touching_the_one_before_is_a_digit_of_its_own():
    """A sure 1 whose box reaches 2 px (a thirtieth of the height) into a sure digit's, the two
    reading a doubtful 4 joined: two digits."""
    board = Board(ReadsBarsSure(three=reading(4, 0.6)))
    for stroke in CROSS:
        add(board, stroke)
    add(board, [(134, 100), (146, 160)])  # slanted, its foot to the right
    assert [d.stroke_ids for d in board.digits] == [[0, 1], [2]]


def test_a_sure_digit_touching_a_bare_stem_joins_it():
    """Letters start with a stem (H, K, N): a stroke reaching into the box of a lone 1 joins it,
    though both read as sure 1s and a doubtful 4 joined."""
    board = Board(Reads(three=reading(4, 0.99), two=reading(4, 0.6)))
    add(board, ONE)
    add(board, [(98, 100), (110, 160)])  # slanted, its foot to the right
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


def test_a_stroke_that_is_no_digit_beside_a_bare_stem_joins_it():
    """An N's diagonal, clear of its first stem by 6 px: no sure digit by itself, it joins."""
    board = Board(ReadsBarsSure(three=reading(4, 0.99), two=reading(1, 0.99)))
    add(board, ONE)
    add(board, [(106, 100), (146, 160)])
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


def test_a_part_reaching_into_the_digits_box_joins_it_though_it_makes_it_no_surer():
    """A 5's bar drawn on from the top of its body, reaching 2 px into its box: no digit by
    itself, it joins (clear of the box, it would start the next digit)."""
    board = Board(ReadsBarsSure(three=reading(1, 0.99), two=reading(1, 0.99)))
    add(board, ONE)
    add(board, [(98, 100), (120, 85), (140, 85)])
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


def test_a_stroke_to_the_left_of_a_digit_is_no_next_digit():
    """A 1's flag drawn after its stem, to its left and clear of it: digits follow to the right."""
    board = Board(ReadsBarsSure(three=reading(1, 0.99), two=reading(1, 0.99)))
    add(board, ONE)
    add(board, [(92, 130), (70, 150), (60, 150)])
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


def test_a_stroke_reaching_into_a_doubtfully_read_digit_joins_it():
    """A 4's first stroke read a 2 at 55%, then its stem reaching into its box: joined they read
    no sure digit, but the 2 was never sure enough to stand apart from a stroke touching it."""
    recognizer = Reads(three=reading(4, 0.99), two=reading(4, 0.37))
    recognizer.rows[1] = reading(2, 0.55)
    board = Board(recognizer)
    add(board, ONE)
    add(board, [(98, 100), (110, 160)])
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


# -- taken back: the start of the next digit that joined the one before ---------------------------
def test_the_l_of_a_4_that_joined_the_digit_before_is_taken_back_when_its_stem_comes():
    """A 1, then reaching into its box the "L" of a 4, which joins it (the two still read a sure
    digit); then the stem: the 1 alone and the L with its stem read as two sure digits, all three
    as no digit. Undo puts the L back with the 1, then takes it away."""
    board = Board(Reads(three=NOT_A_DIGIT, two=reading(4, 0.99)))
    add(board, ONE)
    add(board, [(99, 100), (99, 140), (125, 140)])
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]
    add(board, [(120, 100), (120, 160)])
    assert [d.stroke_ids for d in board.digits] == [[0], [1, 2]]
    assert board.reading() == "14"
    board.apply(Undo())
    board.classify_pending()
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]
    assert board.digits[0].high.tolist() == [125.0, 160.0]
    board.apply(Undo())
    assert [d.stroke_ids for d in board.digits] == [[0]]


def test_a_digit_read_surer_whole_keeps_its_last_stroke():
    """The same strokes, all three read as a sure digit: nothing is taken back."""
    board = Board(Reads(three=reading(4, 0.99), two=reading(4, 0.99)))
    add(board, ONE)
    add(board, [(99, 100), (99, 140), (125, 140)])
    add(board, [(120, 100), (120, 160)])
    assert [d.stroke_ids for d in board.digits] == [[0, 1, 2]]


class ReadsFewStrokesSure:
    """Reads one or two strokes as a sure digit, three or more mostly as a doubtful one (labels
    and which by the amount of ink): boards where strokes are taken back happen often."""

    ready = True

    def predict(self, images, paths=None):
        lifts = (np.diff(paths[:, :, 4], axis=1) < 0).sum(axis=1) + 1
        ink = images.sum(axis=(1, 2, 3))
        rows = np.zeros((len(images), 11), np.float32)
        for row, strokes, amount in zip(rows, lifts, ink):
            confidence = 0.97 if strokes <= 2 else (0.3 if int(amount) % 3 else 0.96)
            row[int(amount // 10) % 10], row[10] = confidence, 1 - confidence
        return rows


def test_strokes_taken_back_and_undone_keep_every_stroke_in_one_digit():
    """Random strokes close together, and undos: each stroke in exactly one digit, in drawing
    order, each digit's box that of its ink, and undo back to the grouping before."""
    taken = 0
    for seed in range(150):
        rng = np.random.default_rng(seed)
        board, before = Board(ReadsFewStrokesSure()), []
        for _ in range(40):
            if before and rng.random() < 0.25:
                board.apply(Undo())
                board.classify_pending()
                assert sorted(d.stroke_ids for d in board.digits) == before.pop()
            else:
                before.append(sorted(d.stroke_ids for d in board.digits))
                left, top, height = rng.uniform(0, 250), rng.uniform(0, 60), rng.uniform(30, 80)
                add(board, [(round(left + rng.uniform(0, 0.8 * height)), round(top + rng.uniform(0, height)))
                            for _ in range(rng.integers(2, 6))])
                taken += board.history[-1].taken_from is not None
            assert sorted(i for d in board.digits for i in d.stroke_ids) == [s.id for s in board.strokes]
            for digit in board.digits:
                assert digit.stroke_ids == sorted(digit.stroke_ids)
                assert all(stroke.digit is digit for stroke in digit.strokes)
                points = np.concatenate([stroke.points for stroke in digit.strokes])
                assert np.allclose(digit.low, points.min(axis=0)) and np.allclose(digit.high, points.max(axis=0))
    assert taken >= 10  # the boards did take strokes back
