"""A digit as the pen drew it: its strokes resampled into a fixed-length sequence of points, the
input of the trajectory model that reads beside the image CNN.

The image keeps where the ink is; the sequence keeps how it got there (stroke order, direction,
where the pen lifted), which tells apart shapes that render alike, such as a 9 whose loop is
closed by its stem and a 7 with a bar. Positions are normalised to the drawing's size, and points
are spaced evenly along the pen's path, so a mouse and a tablet, slow and fast, give the same
sequence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digitboard.recognition.box import box

POINTS = 64  # samples along the path, pen-up jumps included
CHANNELS = 5  # x, y, the step to the next sample (dx, dy), and whether the pen is down there


def trajectory(strokes: Sequence[np.ndarray], points: int = POINTS) -> np.ndarray:
    """Resample a drawing's strokes, in drawing order, to (points, CHANNELS) float32.

    The path runs through every stroke and the jumps between them; samples on a jump have the
    pen-down channel at 0. x and y are centred on the drawing's box and divided by its longer
    side (aspect ratio kept), the steps are scaled by `points` so a straight line through the box
    steps about 1. A drawing of one point gives `points` copies of it, pen down.
    """
    if not strokes or any(len(stroke) == 0 for stroke in strokes):
        raise ValueError("a drawing needs at least one stroke, and every stroke at least one point")
    path = np.concatenate([np.asarray(stroke, np.float64)[:, :2] for stroke in strokes])  # (n, 2)
    low, high = box(path)
    size = float((high - low).max())
    xy = (path - (low + high) / 2) / (size if size > 0 else 1.0)
    step = xy[1:] - xy[:-1]
    along = np.zeros(len(path))  # how far along the path each point lies, jumps included
    np.cumsum(np.sqrt(step[:, 0] ** 2 + step[:, 1] ** 2), out=along[1:])
    out = np.zeros((points, CHANNELS), np.float32)
    out[:, 4] = 1.0  # the pen is down...
    if along[-1] <= 0:  # all points coincide
        out[:, :2] = xy[0]
        return out
    at = np.linspace(0.0, along[-1], points)
    out[:, 0] = np.interp(at, along, xy[:, 0])
    out[:, 1] = np.interp(at, along, xy[:, 1])
    out[:-1, 2:4] = (out[1:, :2] - out[:-1, :2]) * points
    if len(strokes) > 1:  # ...except on the segments that start a stroke: jumps of the lifted pen
        segment_down = np.ones(len(path), np.float32)  # by the point that ends each segment
        segment_down[np.cumsum([len(stroke) for stroke in strokes])[:-1]] = 0.0
        out[1:, 4] = segment_down[np.minimum(np.searchsorted(along, at[1:], side="right"), len(path) - 1)]
    return out


def trajectories(drawings: Sequence[Sequence[np.ndarray]], points: int = POINTS) -> np.ndarray:
    """(N, points, CHANNELS) float32 for N drawings."""
    return np.stack([trajectory(strokes, points) for strokes in drawings]) if drawings else \
        np.zeros((0, points, CHANNELS), np.float32)


def traced_paths(images: np.ndarray, points: int = POINTS) -> np.ndarray:
    """Stand-in paths for images that come without one (MNIST): the inked pixels, row by row, as
    one stroke. No pen drew them; they give a pooled model's two parts the same inputs in a
    numerical check (digitboard.training.export), never a reading. (N, 28, 28[, 1]) -> (N, points, CHANNELS)."""
    images = np.asarray(images)
    return trajectories([[_inked_pixels(image)] for image in images.reshape(len(images), *images.shape[1:3])], points)


def _inked_pixels(image: np.ndarray) -> np.ndarray:
    """(x, y) of the pixels over half inked, row by row; the centre pixel of a blank image."""
    rows, columns = np.nonzero(image > 0.5)
    return np.column_stack([columns, rows]).astype(np.float64) if len(rows) else np.zeros((1, 2))
