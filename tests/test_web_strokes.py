"""The page's stroke simplification (digitboard/web/static/simplify.js), run by node without a
browser: what it keeps of a stroke stays within the tolerance of every point drawn, and a fast
device's strokes come down to the points a digit needs.

Skips, saying what to install, where node is missing; `.ci/run` installs Debian's nodejs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from digitboard.web.page import STROKE_TOLERANCE

SIMPLIFY_JS = Path(__file__).resolve().parents[1] / "digitboard" / "web" / "static" / "simplify.js"
NODE = shutil.which("node") or shutil.which("nodejs")


def simplified_by_the_page(strokes: list[list[list[float]]], tolerance: float, folder: Path) -> list[list[list[float]]]:
    if NODE is None:
        pytest.skip("no node on PATH: apt-get install nodejs (Debian's package; .ci/run installs it)")
    (folder / "strokes.json").write_text(json.dumps(strokes))
    (folder / "run.mjs").write_text(f"""
import {{readFileSync}} from "node:fs";
import {{simplified}} from {json.dumps(SIMPLIFY_JS.as_uri())};
const strokes = JSON.parse(readFileSync({json.dumps(str(folder / "strokes.json"))}, "utf8"));
console.log(JSON.stringify(strokes.map((points) => simplified(points, {tolerance}))));
""")
    ran = subprocess.run([NODE, str(folder / "run.mjs")], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def distance_to_path(points: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Each point's distance to the nearest segment of the polyline `path` (a point if one)."""
    if len(path) == 1:
        return np.linalg.norm(points - path[0], axis=1)
    starts, ends = path[:-1], path[1:]
    direction = ends - starts
    squared = np.maximum((direction ** 2).sum(axis=1), 1e-12)
    along = np.clip(((points[:, None] - starts[None]) * direction[None]).sum(axis=2) / squared, 0, 1)
    return np.linalg.norm(points[:, None] - (starts[None] + along[..., None] * direction[None]), axis=2).min(axis=1)


def fast_mouse_strokes(rng: np.random.Generator) -> list[list[list[float]]]:
    """Smooth pen paths sampled as a 1000 Hz mouse gives them (positions to a tenth of a pixel, a
    millisecond apart), and the shapes that trip simplifiers: a 1 drawn up and back down, a dot,
    two points, a stroke that pauses on one spot."""
    strokes = []
    for _ in range(30):
        turns = rng.uniform(0.5, 2.5)
        t = np.linspace(0, 1, int(rng.integers(200, 1500)))
        x = 200 + rng.uniform(20, 80) * np.sin(2 * np.pi * turns * t + rng.uniform(0, 6)) + rng.uniform(-40, 40) * t
        y = 200 + rng.uniform(40, 120) * t + rng.uniform(5, 30) * np.cos(2 * np.pi * turns * t)
        strokes.append(np.column_stack([np.round(x, 1), np.round(y, 1), np.arange(len(t))]).tolist())
    up_and_down = np.concatenate([np.linspace(0, -60, 200), np.linspace(-60, 1, 200)])
    strokes.append([[100.0, round(float(y) + 300, 1), ms] for ms, y in enumerate(up_and_down)])
    strokes += [[[5.0, 5.0, 0]], [[5.0, 5.0, 0], [9.0, 5.0, 3]], [[5.0, 5.0, 0]] * 3 + [[40.0, 5.0, 9]]]
    return strokes


def test_the_page_keeps_a_strokes_ends_and_every_point_within_the_tolerance(tmp_path):
    strokes = fast_mouse_strokes(np.random.default_rng(3))
    kept = simplified_by_the_page(strokes, STROKE_TOLERANCE, tmp_path)
    for drawn, simple in zip(strokes, kept, strict=True):
        assert simple[0] == drawn[0] and simple[-1] == drawn[-1]
        remaining = iter(map(tuple, drawn))
        assert all(point in remaining for point in map(tuple, simple)), "kept points are drawn points, in order"
        away = distance_to_path(np.array(drawn)[:, :2], np.array(simple)[:, :2])
        assert away.max() <= STROKE_TOLERANCE + 1e-9
    up_and_down = kept[30]
    assert min(point[1] for point in up_and_down) == 240.0  # the top of the 1 stays
    smooth = sum(len(simple) for simple in kept[:30]) / sum(len(drawn) for drawn in strokes[:30])
    assert smooth < 0.1, f"a smooth fast stroke keeps {smooth:.0%} of its points"
    assert kept[31:] == [[[5.0, 5.0, 0]], [[5.0, 5.0, 0], [9.0, 5.0, 3]], [[5.0, 5.0, 0], [40.0, 5.0, 9]]]
