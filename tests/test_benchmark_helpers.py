"""The benchmark's helpers that carry logic: placing pen digits on the board, summarising timings."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "latency.py"
_SPEC = importlib.util.spec_from_file_location("latency_benchmark", _PATH)
latency = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = latency  # dataclasses look their module up while it loads
_SPEC.loader.exec_module(latency)


def test_place_digit_fits_the_box_keeping_aspect_ratio_and_centred():
    tall = [np.array([[0.0, 0.0], [10.0, 40.0]]), np.array([[5.0, 20.0], [5.0, 20.0], [6.0, 21.0]])]
    placed = latency.place_digit(tall, (100, 50, 150, 150))
    points = np.concatenate(placed)
    low, high = points.min(axis=0), points.max(axis=0)
    assert high[1] - low[1] == 150  # the longer side fills the box
    assert high[0] - low[0] == pytest.approx(150 / 4, abs=1)  # the aspect ratio is kept
    assert (low + high) / 2 == pytest.approx((175, 125), abs=1)  # centred in the box
    assert all(np.array_equal(s, np.round(s)) for s in placed)  # whole pixels, as mouse events
    assert len(placed[1]) == 2  # the repeated point is gone


def test_place_digit_keeps_a_dot_a_dot_inside_the_box():
    (dot,) = latency.place_digit([np.array([[7.0, 3.0], [7.0, 3.0]])], (10, 20, 30, 40))
    assert dot.tolist() == [[25.0, 40.0]]


def test_stats_summarise_milliseconds():
    stats = latency.Stats.of([1.0] * 99 + [101.0])
    assert (stats.median, stats.max, stats.n) == (1.0, 101.0, 100)
    assert stats.p99 == pytest.approx(2.0)  # linear interpolation between the 99th and 100th
    with pytest.raises(ValueError):
        latency.Stats.of([])
