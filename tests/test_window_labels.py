"""Label placement (digitboard.core.labels), a pure function: every label inside the board, beside
its own digit, over no digit's box and no other label."""

from __future__ import annotations

import numpy as np
from properties import given, settings, st

from digitboard.core.labels import overlap, place_labels

AREA = (0, 0, 640, 450)
FULL, SHORT = (60, 18), (16, 18)  # "9 100%" and "9" in the board's label font, plate included


def inside(rect, box) -> bool:
    return box[0] <= rect[0] and rect[0] + rect[2] <= box[0] + box[2] and box[1] <= rect[1] and rect[1] + rect[3] <= box[1] + box[3]


def check_layout(boxes, placed, area=AREA, gap=2) -> None:
    """Each label inside the area and either beside its own box, over no box and no other label,
    or, where there is no room beside it, its shortest form at a corner of its own box."""
    beside = []
    for box, spot in zip(boxes, placed):
        if spot is None:
            assert not overlap(box, area)  # only a digit off the board goes without a label
            continue
        rect, choice = spot
        assert area[0] <= rect[0] and rect[0] + rect[2] <= area[0] + area[2]
        assert area[1] <= rect[1] and rect[1] + rect[3] <= area[1] + area[3]
        x, y, w, h = box
        if overlap(rect, box):  # the fallback: the shortest label at a corner of its own box
            assert rect[2:] == SHORT or rect[2:] == FULL and choice == 0
            continue
        assert not any(overlap(rect, other) for other in boxes), (rect, boxes)
        assert overlap(rect, (x - gap - 1, y - gap - 1, w + 2 * gap + 2, h + 2 * gap + 2))  # beside it
        beside.append(rect)
    for i, rect in enumerate(beside):  # a label in a corner may cover another only when every corner is taken
        assert not any(overlap(rect, other) for other in beside[i + 1:])


def test_a_tightly_written_number_gets_a_label_for_every_digit_none_overlapping():
    boxes = [(100 + 46 * i, 200, 44, 80) for i in range(5)]  # 90817 written with 2 px between digits
    placed = place_labels(boxes, [[FULL, SHORT]] * 5, AREA)
    check_layout(boxes, placed)
    assert all(spot is not None for spot in placed)
    assert [spot[0][1] < 200 for spot in placed] == [True, False, True, False, True]  # above, below, ...


def test_labels_of_small_digits_are_wider_than_the_digits_yet_never_collide():
    boxes = [(100 + 18 * i, 200, 16, 24) for i in range(8)]  # 20 px digits, a row of eight
    placed = place_labels(boxes, [[FULL, SHORT]] * 8, AREA)
    check_layout(boxes, placed)
    assert all(spot is not None for spot in placed)
    assert any(choice == 0 for _, choice in placed)  # the full text where it fits
    assert any(choice == 1 for _, choice in placed)  # the short one where it does not


def test_a_digit_at_the_top_edge_gets_its_label_below_not_over_its_ink():
    box = (300, 0, 50, 90)
    ((rect, _),) = place_labels([box], [[FULL]], AREA)
    assert rect[1] >= 90


def test_a_digit_off_the_left_edge_gets_its_whole_label_inside_the_window():
    box = (-40, 200, 60, 90)
    ((rect, _),) = place_labels([box], [[FULL]], AREA)
    assert rect[0] >= 0 and rect[2] == FULL[0] and not overlap(rect, box)


def test_a_digit_outside_the_board_gets_no_label_and_one_boxed_in_gets_its_shortest_in_a_corner():
    boxed_in = (300, 200, 40, 40)
    walls = [(240, 140, 160, 56), (240, 244, 160, 56), (240, 196, 56, 48), (344, 196, 56, 48)]
    placed = place_labels([(700, 100, 40, 40), boxed_in, *walls], [[FULL, SHORT]] * 6, AREA)
    assert placed[0] is None
    assert placed[1] == ((300, 200, *SHORT), 1)  # the digit alone, in its box's top-left corner
    assert not any(overlap(placed[1][0], spot[0]) for spot in placed[2:])
    check_layout([(700, 100, 40, 40), boxed_in, *walls], placed)


boxes = st.lists(st.tuples(st.integers(-50, 660), st.integers(-50, 470), st.integers(1, 200), st.integers(1, 200)),
                 max_size=30)


@settings(max_examples=300, deadline=None)
@given(boxes)
def test_random_boards_never_get_a_label_over_ink_or_another_label(boxes):
    placed = place_labels(boxes, [[FULL, SHORT]] * len(boxes), AREA)
    assert len(placed) == len(boxes)
    check_layout(boxes, placed)


TALL = (0, 0, 640, 600)


def tight_three_lines(digits, rng, height: float, gap: float) -> list[tuple[int, int, int, int]]:
    """The boxes of real pen digits written in three lines `gap` of a digit's height apart."""
    from digitboard.core.drawing import extent, fit_height

    boxes = []
    for line in range(3):
        left, top = 20.0, 30 + line * height * (1 + gap)
        while True:
            placed = fit_height(digits[rng.integers(len(digits))].strokes, height, (left, top))
            width = extent(placed)[0]
            if left + width > 620:
                break
            points = np.concatenate(placed)
            low, high = np.floor(points.min(axis=0)).astype(int), np.ceil(points.max(axis=0)).astype(int)
            boxes.append((int(low[0]), int(low[1]), int(high[0] - low[0] + 1), int(high[1] - low[1] + 1)))
            left += width + height / 3 * rng.uniform(0.3, 1.0)
    return boxes


def test_every_digit_of_a_tight_three_line_board_gets_its_label_by_it(unipen_path):
    """Real digits in three lines 0.3 to 0.5 of a height apart: no digit without a label; where
    there is no room beside its box, the digit alone in a corner of it."""
    from digitboard.training.data import HELD_OUT_CONTRIBUTORS, load_unipen

    digits = load_unipen(unipen_path, HELD_OUT_CONTRIBUTORS)
    rng = np.random.default_rng(0)
    beside = cornered = 0
    for gap in (0.3, 0.4, 0.5):
        for height in (50, 80, 110):
            boxes = tight_three_lines(digits, rng, height, gap)
            placed = place_labels(boxes, [[FULL, SHORT]] * len(boxes), TALL)
            check_layout(boxes, placed, TALL)
            assert all(spot is not None for spot in placed)
            cornered += sum(overlap(spot[0], box) for box, spot in zip(boxes, placed))
            beside += sum(not overlap(spot[0], box) for box, spot in zip(boxes, placed))
    print(f"tight three-line boards: {beside} labels beside their digit's box, {cornered} in a corner of it")
    assert beside >= 8 * cornered  # a corner is the exception: lines closer than a label is tall


def test_a_label_never_sits_between_two_lines_as_near_the_digit_below():
    """A "7 100%" once sat in the gap under its 7, as near the next line's 0: read as the 0's."""
    from digitboard.core.labels import distance

    seven, zero = (100, 0, 40, 100), (100, 122, 40, 100)  # lines 22 px apart: just room for a label
    (seven_label, _), (zero_label, _) = place_labels([seven, zero], [[FULL, SHORT]] * 2, AREA)
    assert distance(seven_label, seven) < distance(seven_label, zero)
    assert distance(zero_label, zero) < distance(zero_label, seven)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 600), st.integers(0, 420), st.integers(4, 60), st.integers(4, 60)),
                min_size=1, max_size=12))
def test_every_label_beside_a_box_is_nearer_its_own_box_than_any_other(boxes):
    from digitboard.core.labels import distance

    placed = place_labels(boxes, [[FULL, SHORT]] * len(boxes), AREA)
    for own, (box, spot) in enumerate(zip(boxes, placed)):
        if spot is None or inside(spot[0], box):  # in its own box's corner: it is on its own ink
            continue
        assert all(distance(spot[0], box) <= distance(spot[0], other) for j, other in enumerate(boxes) if j != own)
