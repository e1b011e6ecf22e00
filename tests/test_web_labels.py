"""The page's label rule (digitboard/web/static/labels.js) against the desktop board's
(digitboard/core/labels.py) on the same boards, without a browser: node runs labels.js.

Skips, saying what to install, where node is missing; `.ci/run` installs Debian's nodejs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from digitboard.core.labels import place_labels

LABELS_JS = Path(__file__).resolve().parents[1] / "digitboard" / "web" / "static" / "labels.js"
NODE = shutil.which("node") or shutil.which("nodejs")


def label_cases() -> list[tuple[list, list, tuple]]:
    """Random boards, and tight three-line boards of small and large writing."""
    rng = np.random.default_rng(5)
    cases = []
    for _ in range(40):
        count = int(rng.integers(1, 30))
        boxes = [(int(rng.integers(-50, 660)), int(rng.integers(-50, 470)), int(rng.integers(1, 200)),
                  int(rng.integers(1, 200))) for _ in range(count)]
        cases.append((boxes, [[(60, 18), (16, 18)]] * count, (0, 0, 640, 450)))
    for height, gap in [(40, 0.3), (60, 0.4), (90, 0.5), (120, 0.3)]:
        boxes = []
        for line in range(3):
            left = 10
            while left < 1000:
                width = int(rng.integers(height // 4, height))
                boxes.append((left, int(20 + line * height * (1 + gap)), width, height))
                left += width + int(rng.integers(2, height // 3))
        cases.append((boxes, [[(62, 22), (20, 22)]] * len(boxes), (0, 0, 1080, 600)))
    return cases



def test_labels_js_places_labels_as_the_desktop_board_does(tmp_path):
    if NODE is None:
        pytest.skip("no node on PATH: apt-get install nodejs (Debian's package; .ci/run installs it)")
    cases = label_cases()
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    (tmp_path / "run.mjs").write_text(f"""
import {{readFileSync}} from "node:fs";
import {{placeLabels}} from {json.dumps(LABELS_JS.as_uri())};
const cases = JSON.parse(readFileSync({json.dumps(str(tmp_path / "cases.json"))}, "utf8"));
console.log(JSON.stringify(cases.map(([boxes, options, area]) => placeLabels(boxes, options, area, 2))));
""")
    ran = subprocess.run([NODE, str(tmp_path / "run.mjs")], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    placed = json.loads(ran.stdout)
    assert len(placed) == len(cases) == 44
    for (boxes, options, area), page in zip(cases, placed, strict=True):
        expected = [None if spot is None else [list(spot[0]), spot[1]] for spot in place_labels(boxes, options, area, 2)]
        assert page == expected, (boxes, area)
