"""Putting pen-drawn strokes on a board: scaled to a height keeping their shape, at a place.

Shared by the benchmarks, the screenshot script and the tests, which draw real UNIPEN digits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digitboard.core.actions import Stroke


def fit_height(strokes: Sequence[np.ndarray], height: float, at: tuple[float, float] = (0.0, 0.0)) -> list[np.ndarray]:
    """The strokes scaled to `height` keeping their aspect ratio, their box's top-left at `at`."""
    points = np.concatenate([np.asarray(stroke, np.float64)[:, :2] for stroke in strokes])
    low = points.min(axis=0)
    scale = height / max(float(np.ptp(points[:, 1])), 1.0)
    return [(np.asarray(stroke, np.float64)[:, :2] - low) * scale + at for stroke in strokes]


def extent(strokes: Sequence[np.ndarray]) -> np.ndarray:
    """Width and height of the strokes' box."""
    return np.ptp(np.concatenate([np.asarray(stroke)[:, :2] for stroke in strokes]), axis=0)


def to_actions(strokes: Sequence[np.ndarray]) -> list[Stroke]:
    """Stroke actions for the points (whole pixels, as a mouse gives them), without times."""
    return [Stroke(tuple((float(x), float(y)) for x, y in np.round(stroke[:, :2]))) for stroke in strokes]
