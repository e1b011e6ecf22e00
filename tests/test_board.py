"""The board's state on its own: grouping strokes into digits, undo, clear, classification."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import FakeRecognizer, fake_label as read_by_fake

from digitboard.core.actions import Clear, Correct, Delete, Stroke, Undo
from digitboard.core.board import Board
from digitboard.core.digits import Digit, Ink, Mark, Prediction
from digitboard.recognition.classes import UNSURE_BELOW
from digitboard.profile.examples import Explained
from digitboard.recognition.preprocess import digit_image
from digitboard.training.data import iter_unipen

# A 4 in two strokes and a 5 in three, about 120 pixels tall, drawn at x = 100.
FOUR = [[(100, 100), (90, 170), (150, 170)], [(135, 110), (135, 220)]]
FIVE = [[(110, 100), (105, 160)], [(105, 160), (150, 165), (155, 200), (105, 220)], [(110, 100), (160, 100)]]
SEVEN = [[(300, 100), (360, 100), (320, 220)], [(310, 160), (350, 160)]]


def shifted(strokes, dx=0, dy=0):
    return [[(x + dx, y + dy) for x, y in stroke] for stroke in strokes]


def fake_label(strokes, stroke_width: float) -> int:
    """The label the conftest fake gives these strokes drawn as one digit, found without a board."""
    image = digit_image([np.asarray(points, np.float64) for points in strokes], stroke_width)
    return read_by_fake(image)


def add(board: Board, points, times=None):
    """Apply a stroke and classify, as a frame of the window does."""
    digit = board.apply(Stroke(tuple((float(x), float(y)) for x, y in points), times))
    board.classify_pending()
    return digit


def undo(board: Board) -> bool:
    """Apply an undo and classify; whether there was anything to undo."""
    had = bool(board.history)
    board.apply(Undo())
    board.classify_pending()
    return had


def check_invariants(board: Board) -> None:
    """Every stroke in exactly one digit, no empty digit, every box around its strokes; the digits to
    read and to accept are on the board."""
    owned = sorted(itertools.chain.from_iterable(digit.stroke_ids for digit in board.digits))
    assert owned == sorted(ink.id for ink in board.strokes)
    for digit in board.digits:
        assert digit.strokes and board.render(digit).shape == (28, 28)
        assert all(ink.digit is digit for ink in digit.strokes)  # what grouping asks of the last stroke
        x, y, w, h = digit.box
        points = np.concatenate([ink.points for ink in digit.strokes])
        assert np.all(points >= (x, y)) and np.all(points <= (x + w - 1, y + h - 1))
    assert board.pending == [digit for digit in board.digits if digit.prediction is None]  # kept, not searched
    assert all(digit in board.digits and digit.prediction is not None for digit in board._awaiting.values())


def test_a_digit_in_three_strokes_is_one_digit(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in FIVE:
        add(board, stroke)
        check_invariants(board)
    assert [digit.stroke_ids for digit in board.digits] == [[0, 1, 2]]
    assert board.digits[0].prediction is not None


def test_two_digits_apart_are_two_digits_read_left_to_right(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in SEVEN:  # the right-hand digit first
        add(board, stroke)
    for stroke in FIVE:
        add(board, stroke)
    check_invariants(board)
    assert [digit.stroke_ids for digit in board.digits] == [[0, 1], [2, 3, 4]]
    assert [digit.stroke_ids for digit in board.left_to_right()] == [[2, 3, 4], [0, 1]]
    # Each digit read alone by the recogniser, left one first: the reading the board must give.
    expected = [fake_label(strokes, board.stroke_width) for strokes in (FIVE, SEVEN)]
    assert expected[0] != expected[1]  # else the order would go unchecked
    assert board.reading() == f"{expected[0]}{expected[1]}"


def test_a_stroke_joins_the_digit_it_overlaps_not_an_older_one(fake_recognizer):
    board = Board(fake_recognizer)
    add(board, [(100, 100), (100, 220)])  # a 1
    add(board, [(300, 100), (360, 100), (320, 220)])  # a 7...
    add(board, [(310, 160), (350, 160)])  # ...and its crossbar
    assert [digit.stroke_ids for digit in board.digits] == [[0], [1, 2]]


def test_joining_re_classifies_the_digit_with_all_its_strokes(fake_recognizer):
    board = Board(fake_recognizer)
    add(board, FOUR[0])
    alone = board.digits[0].image.copy()
    add(board, FOUR[1])
    assert len(board.digits) == 1
    assert not np.array_equal(board.digits[0].image, alone)
    assert fake_recognizer.calls == 2
    assert board.digits[0].prediction.label == read_by_fake(board.digits[0].image)


def test_undo_removes_the_last_stroke_and_re_classifies(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in FIVE:
        add(board, stroke)
    add(board, shifted(FOUR, dx=250)[0])
    calls = fake_recognizer.calls
    assert undo(board)  # the 4's only stroke: its digit goes
    assert len(board.digits) == 1 and len(board.strokes) == 3
    assert undo(board)  # the 5's bar: the 5 is classified again from two strokes
    assert fake_recognizer.calls == calls + 1
    two_strokes = Board(fake_recognizer)
    for stroke in FIVE[:2]:
        add(two_strokes, stroke)
    np.testing.assert_array_equal(board.digits[0].image, two_strokes.digits[0].image)
    assert board.digits[0].box == two_strokes.digits[0].box
    check_invariants(board)


def test_undo_of_every_stroke_leaves_the_board_empty(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in FIVE + shifted(FOUR, dx=250) + shifted(FIVE, dx=500):
        add(board, stroke)
    while undo(board):
        check_invariants(board)
    assert board.strokes == [] and board.digits == [] and board.reading() == ""
    assert not undo(board)


def test_dropping_the_pen_while_drawing_drops_only_the_stroke_in_progress(fake_recognizer):
    board = Board(fake_recognizer)
    add(board, FOUR[0])
    board.pen_down(10, 10)
    board.pen_move(20, 20)
    assert board.drop_pen()
    assert board.pen is None and len(board.strokes) == 1
    assert board.lift_pen() is None  # the release of the dropped stroke adds nothing


def test_clear_empties_the_board_and_undo_brings_it_back(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in FIVE:
        add(board, stroke)
    before = [(d.stroke_ids, d.box, d.prediction) for d in board.digits]
    board.apply(Clear())
    assert board.strokes == [] and board.digits == [] and board.reading() == ""
    assert undo(board)
    assert [(d.stroke_ids, d.box, d.prediction) for d in board.digits] == before
    check_invariants(board)
    board.apply(Clear())
    add(board, FOUR[0])  # usable again; stroke ids go on counting the session's strokes
    assert [digit.stroke_ids for digit in board.digits] == [[3]]
    assert undo(board) and board.digits == []
    assert undo(board) and len(board.digits) == 1  # the clear, undone


def test_the_pen_keeps_its_times_and_the_stroke_action_carries_them(fake_recognizer):
    board = Board(fake_recognizer)
    board.pen_down(50, 60, 1000.0)
    board.pen_move(50, 60, 1010.0)  # the same point again: not a new point
    board.pen_move(55, 80, 1020.0)
    stroke = board.lift_pen()
    assert stroke == Stroke(((50.0, 60.0), (55.0, 80.0)), (1000.0, 1020.0))
    board.apply(stroke)
    assert board.strokes[0].times.tolist() == [1000.0, 1020.0]
    assert board.lift_pen() is None  # a release without a press


def test_a_click_makes_a_dot(fake_recognizer):
    board = Board(fake_recognizer)
    board.pen_down(50, 60)
    digit = board.apply(board.lift_pen())
    board.classify_pending()
    assert board.strokes[0].points.tolist() == [[50.0, 60.0]]
    assert digit.box == (50, 60, 1, 1) and digit.prediction is not None
    assert 0 < digit.image.sum() < 28 * 28 / 4  # a small dot, not an empty or full image


def test_classification_waits_for_the_batch_and_costs_one_call(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in FIVE + shifted(FOUR, dx=300):
        board.apply(Stroke(tuple(stroke)))
    assert fake_recognizer.calls == 0 and len(board.pending) == 2
    assert board.classify_pending() == 2 and fake_recognizer.calls == 1


def test_many_separate_digits_stay_separate_and_a_lookup_sees_only_its_neighbours(fake_recognizer):
    """4,000 digits on a grid stay 4,000 digits, and the index hands grouping only the few near a
    stroke: what keeps a stroke's cost from growing with the board (benchmarks/latency.py times a long session)."""
    board = Board(fake_recognizer)
    for number in range(4000):
        x, y = 100 * (number % 100), 150 * (number // 100)
        board.apply(Stroke(((x, y), (x + 30, y + 100))))
    assert len(board.digits) == 4000
    assert len(board.index.near(np.array([5000.0, 3000.0]), np.array([5030.0, 3100.0]))) < 20


def test_points_outside_the_window_and_huge_strokes_are_fine(fake_recognizer):
    board = Board(fake_recognizer)
    add(board, [(-500, -40), (3000, 2000), (-1e6, 1e6)])
    add(board, [(0.25, 0.75)])  # a tiny dot far from it
    check_invariants(board)
    assert board.digits[0].box == (-1_000_000, -40, 1_003_001, 1_000_041)


def test_bad_strokes_are_refused_and_leave_the_board_unchanged(fake_recognizer):
    board = Board(fake_recognizer)
    add(board, FOUR[0])
    for bad in ([], [(1, float("nan"))], [(float("inf"), 2)]):
        with pytest.raises(ValueError):
            add(board, bad)
    assert len(board.strokes) == 1
    check_invariants(board)


def test_without_a_ready_recogniser_digits_wait_and_read_as_underscores(fake_recognizer):
    fake_recognizer.ready = False
    board = Board(fake_recognizer)
    add(board, FOUR[0])
    add(board, shifted(FOUR, dx=300)[0])
    assert len(board.pending) == 2 and fake_recognizer.calls == 0
    assert board.reading() == "__"
    fake_recognizer.ready = True
    assert board.classify_pending() == 2 and fake_recognizer.calls == 1  # one batch
    assert board.pending == [] and "_" not in board.reading()


def test_an_unsure_prediction_is_marked_with_a_question_mark():
    assert Prediction(7, 0.98).text == "7 98%" and not Prediction(7, 0.98).unsure
    unsure = Prediction(7, UNSURE_BELOW - 0.01)
    assert unsure.unsure and unsure.text.startswith("7?")


def test_ink_likelier_no_digit_is_shown_as_such_never_as_a_digit_at_a_few_percent():
    """An F once read "7? 0% or 1, 4": the network gave nearly all to "not a digit"."""
    def shown(prediction, corrected=None) -> Digit:
        points = np.array([[0.0, 0.0], [40.0, 90.0]])
        return Digit([Ink(0, points, None, points.min(axis=0), points.max(axis=0))], prediction, corrected)

    letter = Prediction.from_probabilities(np.array([0.001, 0.004, 0, 0, 0.002, 0, 0, 0.006, 0, 0, 0.987]))
    digit = shown(letter)
    assert letter.no_digit and letter.unsure
    assert digit.label_texts == ("not a digit", "?") and digit.text == "not a digit" and digit.reading == "?"
    assert digit.mark is Mark.UNSURE and [label for label, _ in letter.alternatives][0] == 7  # in its panel
    # A weak digit that is still likelier a digit keeps its guess and its alternatives.
    weak = shown(Prediction.from_probabilities(np.array([0, 0.3, 0, 0, 0.2, 0, 0, 0.25, 0, 0, 0.25])))
    assert weak.text == "1? 30%" and weak.reading == "1"
    assert shown(letter, corrected=4).reading == "4"


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
            add(board, (stroke - low) * scale + 100)
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
                add(board, (stroke - low) * scale + (left, 100))
            left += (high[0] - low[0]) * scale + 0.34 * 120
        check_invariants(board)
        assert [sorted(d.stroke_ids) for d in board.left_to_right()] == [
            list(range(start, start + len(d.strokes)))
            for start, d in zip(itertools.accumulate([0] + [len(d.strokes) for d in number]), number)
        ]


# -- corrections and deletions ---------------------------------------------------------------------
class RecordingLearner:
    """Remembers what it was taught (corrections) and shown (digits let stand), and forgotten;
    reads as `recognizer` does, no example ever changing a reading."""

    taken_back: list = []  # no example of its own ever misreads a digit
    keeps_accepted = True

    def __init__(self, recognizer) -> None:
        self.recognizer = recognizer
        self.examples: dict[int, int] = {}  # handle -> label, corrections
        self.accepted: dict[int, int] = {}  # handle -> label, digits let stand
        self.next = 0

    def learn(self, image, strokes, label, path):
        assert image.shape == (28, 28) and strokes and path.shape == (64, 5)
        self.next += 1
        self.examples[self.next] = label
        return self.next

    def accept(self, image, strokes, label, path):
        assert image.shape == (28, 28) and strokes and path.shape == (64, 5)
        self.next += 1
        self.accepted[self.next] = label
        return self.next

    def forget(self, handle):
        assert handle in self.examples or handle in self.accepted, "forgot what it never had"
        self.examples.pop(handle, None)
        self.accepted.pop(handle, None)

    def forget_ids(self, ids):
        return []

    def restore(self, examples):
        assert not examples, "restored what it never gave back"

    def predict_explained(self, images, paths=None):
        probabilities = self.recognizer.predict(images, paths)
        return Explained(probabilities, probabilities, [()] * len(probabilities))


def test_a_correction_sets_the_label_of_the_digit_under_the_point_and_undo_takes_it_back(fake_recognizer):
    learner = RecordingLearner(fake_recognizer)
    board = Board(fake_recognizer, learner)
    for stroke in FIVE:
        add(board, stroke)
    for stroke in shifted(FOUR, dx=300):
        add(board, stroke)
    five, four = board.digits
    model_label = five.label
    board.apply(Correct((120, 150), 3 if model_label != 3 else 2))
    assert five.corrected == five.label != model_label and four.corrected is None
    assert list(learner.examples.values()) == [five.label]
    assert board.reading()[0] == str(five.label)
    assert undo(board)
    assert five.corrected is None and five.label == model_label and learner.examples == {}


NEXT_LINE = 200  # pixels down: the digits above (100 to 220) stand wholly above a digit there


def test_digits_read_with_confidence_are_accepted_when_the_user_goes_on_to_a_line_below():
    fake_recognizer = FakeRecognizer(confidence=0.95)  # sure enough to learn from
    learner = RecordingLearner(fake_recognizer)
    board = Board(fake_recognizer, learner)
    for stroke in FIVE:
        add(board, stroke)
    add(board, shifted(FOUR, dx=300)[0])  # the next digit on the same line: the 5 may still change
    assert learner.accepted == {}
    add(board, shifted(FOUR, dx=300)[1])
    five, four = board.digits
    add(board, shifted(FOUR, dy=NEXT_LINE)[0])  # a line below: the line above stands
    assert sorted(learner.accepted.values()) == sorted([five.label, four.label]) and five.accepted is not None
    add(board, shifted(FOUR, dy=NEXT_LINE)[1])  # the new digit's second stroke: nothing more
    add(board, shifted(FOUR, dx=300, dy=NEXT_LINE)[0])
    assert len(learner.accepted) == 2
    board.apply(Clear())  # clearing accepts what stood on the board
    assert len(learner.accepted) == 4


def test_an_accepted_digit_that_changes_is_corrected_or_goes_is_withdrawn():
    fake_recognizer = FakeRecognizer(confidence=0.95)  # sure enough to learn from
    learner = RecordingLearner(fake_recognizer)
    board = Board(fake_recognizer, learner)
    add(board, FIVE[0])
    add(board, shifted(FOUR, dy=NEXT_LINE)[0])
    (handle,) = learner.accepted
    add(board, FIVE[1])  # joins the five: a new digit to read, no longer one let stand
    assert learner.accepted == {} and board.digits[0].accepted is None
    add(board, shifted(FOUR, dy=2 * NEXT_LINE)[0])  # going on below accepts both as they now stand
    assert len(learner.accepted) == 2 and handle not in learner.accepted
    board.apply(Correct((120, 150), 7))  # a correction replaces the acceptance
    assert list(learner.examples.values()) == [7] and len(learner.accepted) == 1
    board.apply(Delete(board.point_of(board.digits[1])))
    assert learner.accepted == {}
    assert undo(board) and undo(board)  # the deletion, then the correction: the five stands again
    add(board, shifted(FOUR, dy=3 * NEXT_LINE)[0])
    assert len(learner.accepted) == 3 and learner.examples == {}
    add(board, shifted(FOUR, dy=3 * NEXT_LINE)[1])  # the last digit, still being written, is no example yet
    board.apply(Clear())  # clearing moves on from it too; cleared digits stay examples
    assert len(learner.accepted) == 4


def test_unsure_digits_and_specks_are_not_accepted():
    learner = RecordingLearner(FakeRecognizer(confidence=0.4))
    board = Board(FakeRecognizer(confidence=0.4), learner)
    add(board, FIVE[0])
    add(board, shifted(FOUR, dy=NEXT_LINE)[0])
    board.apply(Clear())
    assert learner.accepted == {} and board.history[-1].digits[0].prediction.unsure


class ReadsAs:
    """A recogniser giving every drawing the same probabilities (digits 0-9, then "not a digit")."""

    ready = True

    def __init__(self, probabilities) -> None:
        self.row = np.asarray(probabilities, np.float32)

    def predict(self, images, paths=None):
        return np.repeat(self.row[None], len(images), axis=0)


@pytest.mark.parametrize(("probabilities", "learned"), [
    ([0, 0.51, 0, 0, 0, 0, 0, 0.2, 0, 0, 0.29], False),  # a K read "1 51%": shown sure, not learned
    ([0, 0.93, 0, 0, 0, 0, 0, 0, 0, 0, 0.07], False),  # sure of the 1, but near "not a digit"
    ([0, 0.4, 0, 0, 0, 0, 0, 0, 0, 0, 0.6], False),  # "not a digit"
    ([0, 0.97, 0, 0, 0, 0, 0, 0.02, 0, 0, 0.01], True),
])
def test_only_a_reading_safe_to_learn_from_becomes_an_example(probabilities, learned):
    recognizer = ReadsAs(probabilities)
    learner = RecordingLearner(recognizer)
    board = Board(recognizer, learner)
    add(board, FOUR[0])
    add(board, shifted(FOUR, dy=NEXT_LINE)[0])
    board.apply(Clear())
    assert len(learner.accepted) == (2 if learned else 0)


class ReadsOneDrawingAsNoDigit(ReadsAs):
    """Reads every drawing a sure 1 but one, given by its model input, which it finds no digit."""

    def __init__(self, letter: np.ndarray) -> None:
        super().__init__([0, 0.97, 0, 0, 0, 0, 0, 0.02, 0, 0, 0.01])
        self.letter = letter

    def predict(self, images, paths=None):
        rows = super().predict(images, paths)
        for row, image in zip(rows, images):
            if np.array_equal(image[..., 0], self.letter):
                row[:] = [0, 0.02, 0, 0, 0, 0, 0, 0, 0, 0, 0.98]
        return rows


def test_nothing_on_a_line_left_with_a_doubt_is_learned():
    """A line moved on from while it still shows a "?" (a letter among digits read as digits, a
    word) was not accepted as digits: none of it teaches the board; a line read wholly as
    digits does."""
    seven = shifted(SEVEN, dx=100)  # beside the four on its line
    plain = Board(ReadsAs([0, 0.97, 0, 0, 0, 0, 0, 0.02, 0, 0, 0.01]))
    for stroke in seven:
        add(plain, stroke)
    recognizer = ReadsOneDrawingAsNoDigit(plain.render(plain.digits[0]))
    learner = RecordingLearner(recognizer)
    board = Board(recognizer, learner)
    for stroke in FOUR + seven:  # a line: a 4, then a drawing read as no digit
        add(board, stroke)
    assert [digit.unsure for digit in board.left_to_right()] == [False, True]
    for stroke in shifted(FOUR, dy=NEXT_LINE) + shifted(FIVE, dx=300, dy=NEXT_LINE):  # a line of digits below
        add(board, stroke)
    assert learner.accepted == {}  # the 4 above, on a line with a doubt, taught nothing
    board.apply(Clear())
    assert len(learner.accepted) == 2  # the line below, read wholly as digits, did


def test_a_correction_far_from_every_digit_goes_to_the_nearest(fake_recognizer):
    board = Board(fake_recognizer)
    add(board, FOUR[0])
    add(board, shifted(FOUR, dx=300)[0])
    assert board.apply(Correct((1000, 150), 7)) is board.digits[1]
    assert Board(fake_recognizer).apply(Correct((1, 1), 7)) is None  # no digit: nothing happens


def test_a_corrected_digit_keeps_its_label_until_its_strokes_change(fake_recognizer):
    board = Board(fake_recognizer)
    add(board, FOUR[0])
    add(board, shifted(FIVE, dx=300)[0])  # a stroke elsewhere: the 4 keeps its correction
    board.apply(Correct((100, 150), 4))
    add(board, shifted(FIVE, dx=300)[1])
    assert board.digits[0].corrected == 4
    add(board, FOUR[1])  # the 4's own strokes change: the model reads it again
    assert board.digits[0].corrected is None
    assert undo(board) and board.digits[0].corrected == 4  # and undo restores the correction


def test_delete_removes_a_digit_with_all_its_strokes_and_undo_restores_it(fake_recognizer):
    board = Board(fake_recognizer)
    for stroke in FIVE + shifted(FOUR, dx=300):
        add(board, stroke)
    before = [(d.stroke_ids, d.box) for d in board.left_to_right()]
    deleted = board.apply(Delete((120, 150)))
    assert deleted.stroke_ids == [0, 1, 2] and [d.stroke_ids for d in board.digits] == [[3, 4]]
    assert [ink.id for ink in board.strokes] == [3, 4]
    add(board, shifted(FOUR, dx=600)[0])
    assert undo(board) and undo(board)
    assert [(d.stroke_ids, d.box) for d in board.left_to_right()] == before
    assert [ink.id for ink in board.strokes] == [0, 1, 2, 3, 4]
    check_invariants(board)


# -- grouping from how people write ----------------------------------------------------------------
class ReadsJoinedBetter(FakeRecognizer):
    """A recogniser that reads an image with ink in its top fifth (a 5's bar on its body) as a
    confident digit, and anything else as a poor guess."""

    def predict(self, images, paths=None):
        top = images[:, :6].sum(axis=(1, 2, 3)) > 1
        whole = images.sum(axis=(1, 2, 3)) > 40
        confidence = np.where(top & whole, 0.99, 0.4)
        out = np.tile(((1 - confidence) / 9)[:, None], (1, 10))
        out[:, 5] = confidence
        return out


BODY = [(100, 140), (100, 170), (140, 175), (145, 210), (100, 220)]  # a 5 without its bar


def test_a_bar_floating_above_the_digit_drawn_just_before_joins_it_when_that_reads_better():
    board = Board(ReadsJoinedBetter())
    board.apply(Stroke(tuple(BODY)))
    board.apply(Stroke(((100, 85), (150, 85))))  # 55 px above an 80 px body: far beyond touching
    assert [d.stroke_ids for d in board.digits] == [[0, 1]]


def test_a_floating_bar_does_not_join_an_older_digit_or_without_a_recogniser():
    board = Board()  # no recogniser: only touching strokes join
    board.apply(Stroke(tuple(BODY)))
    board.apply(Stroke(((100, 85), (150, 85))))
    assert len(board.digits) == 2
    board = Board(ReadsJoinedBetter())
    board.apply(Stroke(tuple(BODY)))
    board.apply(Stroke(((400, 140), (400, 220))))  # another digit in between
    board.apply(Stroke(((100, 85), (150, 85))))
    assert len(board.digits) == 3


def test_a_long_pause_ends_the_previous_digits_claim(fake_recognizer):
    board = Board(ReadsJoinedBetter())
    board.apply(Stroke(tuple(BODY), tuple(float(t) for t in range(5))))
    board.apply(Stroke(((100, 85), (150, 85)), (10_000.0, 10_100.0)))
    assert len(board.digits) == 2


def test_two_lines_close_together_stay_apart_but_an_eight_of_two_loops_is_one_digit(fake_recognizer):
    board = Board(fake_recognizer)
    for x in (100, 160, 220):
        add(board, [(x, 100), (x + 10, 160)])  # a line of three, 60 px tall
    add(board, [(100, 180), (110, 240)])  # the next line, 20 px (a third of a height) below
    assert len(board.digits) == 4 and len(board.rows()) == 2
    eight = Board(fake_recognizer)
    add(eight, [(300, 100), (330, 100), (330, 130), (300, 130), (300, 100)])
    add(eight, [(300, 140), (330, 140), (330, 170), (300, 170), (300, 140)])  # right after, 10 px below
    assert len(eight.digits) == 1


def test_a_speck_beside_the_writing_is_no_digit_and_is_left_out_of_the_reading(fake_recognizer):
    board = Board(fake_recognizer)
    add(board, [(100, 100), (100, 200)])
    add(board, [(112, 150), (113, 151)])  # a slip of the mouse beside the 1
    assert len(board.digits) == 2 and board.digits[1].speck and board.digits[1].unsure
    assert len(board.reading()) == 1
    lone = Board(fake_recognizer)
    add(lone, [(50, 50)])  # a click on an empty board
    assert lone.digits[0].speck and lone.reading() == ""


def test_the_digits_of_a_number_written_close_together_are_learned():
    """Digits a quarter of a height apart (as a number is written) on a line read wholly as
    digits are each an example, as are lines close together; what keeps the stems of an H from
    being learned is its bar, read as no digit (test_nothing_on_a_line_left_with_a_doubt_is_learned)."""
    fake = FakeRecognizer(confidence=0.95)
    learner = RecordingLearner(fake)
    board = Board(fake, learner)
    add(board, [(100, 100), (100, 200)])
    add(board, [(125, 100), (125, 200)])  # a quarter of the height beside it: two digits, close
    add(board, [(400, 100), (400, 200)])
    add(board, [(400, 220), (400, 320)])  # and one on the line below, a fifth of a height under it
    assert len(board.digits) == 4
    board.apply(Clear())
    assert len(learner.accepted) == 4
