"""The pen's path as the trajectory model reads it: evenly spaced along the path, normalised to
the drawing's size, with the pen lifted on the jumps between strokes."""

from __future__ import annotations

import numpy as np
import pytest

from digitboard.recognition.trajectory import CHANNELS, POINTS, traced_paths, trajectories, trajectory
from digitboard.training.path_model import distorted

SEVEN = [np.array([[0.0, 0.0], [40.0, 0.0], [15.0, 60.0]])]
FIVE = [np.array([[30.0, 20.0], [5.0, 20.0], [5.0, 40.0], [30.0, 45.0], [25.0, 70.0], [0.0, 70.0]]),
        np.array([[5.0, 0.0], [35.0, 0.0]])]  # the body, then the bar floating above it


def test_a_path_is_the_same_whatever_its_place_size_and_sampling():
    reference = trajectory(SEVEN)
    assert reference.shape == (POINTS, CHANNELS) and reference.dtype == np.float32
    moved_and_scaled = [stroke * 3.5 + (200, 90) for stroke in SEVEN]
    assert np.allclose(trajectory(moved_and_scaled), reference, atol=1e-5)
    # A mouse gives many close points, a tablet fewer: the samples are spaced along the path.
    dense = [np.concatenate([np.linspace(a, b, 30, endpoint=False) for a, b in zip(SEVEN[0][:-1], SEVEN[0][1:])]
                            + [SEVEN[0][-1:]])]
    assert np.allclose(trajectory(dense), reference, atol=1e-5)


def test_positions_fill_the_box_keeping_the_aspect_ratio_and_steps_are_even():
    path = trajectory(SEVEN)
    assert path[:, 1].min() == pytest.approx(-0.5) and path[:, 1].max() == pytest.approx(0.5)  # the longer side
    assert path[:, 0].max() - path[:, 0].min() == pytest.approx(40 / 60, abs=1e-6)
    steps = np.linalg.norm(path[:-1, 2:4], axis=1)
    assert np.allclose(steps, steps[0], rtol=1e-3)  # evenly spaced along the path
    assert np.all(path[-1, 2:4] == 0)


def test_the_pen_is_up_only_on_the_jump_between_strokes_and_order_matters():
    path = trajectory(FIVE)
    up = np.flatnonzero(path[:, 4] == 0)
    assert len(up) > 0 and np.all(np.diff(up) == 1)  # one jump, sampled where it lies
    assert path[0, 4] == 1 and path[-1, 4] == 1
    assert not np.allclose(trajectory(FIVE[::-1]), path)  # the bar first is another way of writing
    assert np.all(trajectory(SEVEN)[:, 4] == 1)


def test_a_click_is_a_still_point_and_empty_drawings_are_refused():
    click = trajectory([np.array([[12.0, 7.0]])])
    assert np.all(click[:, :4] == 0) and np.all(click[:, 4] == 1)
    assert np.array_equal(trajectory([np.array([[1.0, 1.0], [1.0, 1.0]])]), click)
    with pytest.raises(ValueError, match="at least one"):
        trajectory([])
    with pytest.raises(ValueError, match="at least one"):
        trajectory([np.zeros((0, 2))])
    assert trajectories([]).shape == (0, POINTS, CHANNELS)
    assert trajectories([SEVEN, FIVE]).shape == (2, POINTS, CHANNELS)


def test_a_distorted_drawing_keeps_its_strokes_and_stays_close():
    rng = np.random.default_rng(0)
    for _ in range(20):
        variant = distorted(FIVE, rng)
        assert sorted(len(stroke) for stroke in variant) == sorted(len(stroke) for stroke in FIVE)
        assert np.abs(trajectory(variant)[:, :2]).max() <= 0.5 + 1e-6
    assert not np.allclose(trajectory(distorted(SEVEN, rng)), trajectory(SEVEN))


def test_traced_paths_stand_in_for_images_without_a_pen():
    images = np.zeros((3, 28, 28, 1), np.float32)
    images[1, 5:20, 14] = 1.0  # a vertical bar
    paths = traced_paths(images)
    assert paths.shape == (3, POINTS, CHANNELS) and np.all(np.isfinite(paths))
    assert np.allclose(paths[1, :, 0], 0) and paths[1, 0, 1] == pytest.approx(-0.5)  # top to bottom
