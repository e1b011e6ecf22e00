"""The model ships inside the package: the checkout's digitboard/best.* are the top-level files
(one source of truth), and a wheel holds their bytes, so `pip install .` gives a working board."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from digitboard import DEFAULT_MODEL, PACKAGE_DIR

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("best.keras", "best.onnx", "best.onnx.json")


def test_the_default_model_is_in_the_package_and_is_the_top_level_file():
    assert DEFAULT_MODEL == PACKAGE_DIR / "best.keras"
    if not (ROOT / "best.keras").is_file():
        pytest.skip("not a checkout")
    for name in SHIPPED:
        assert (PACKAGE_DIR / name).resolve() == (ROOT / name).resolve(), f"digitboard/{name} is a copy that can drift"


@pytest.mark.slow
def test_a_wheel_holds_the_model_and_works_from_any_folder(tmp_path):
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not a checkout")
    wheels, target = tmp_path / "wheels", tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels)],
                   check=True, timeout=600, capture_output=True)
    (wheel,) = wheels.glob("digitboard-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for name in SHIPPED:
            assert archive.read(f"digitboard/{name}") == (ROOT / name).read_bytes(), name
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, timeout=600, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "one.jsonl").write_text(json.dumps({"size": [640, 480], "strokes": [[[100, 100], [102, 200]]]}) + "\n")
    env = dict(os.environ, PYTHONPATH=str(target), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    where = subprocess.run([sys.executable, "-c", "import digitboard; print(digitboard.DEFAULT_MODEL)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert where.stdout.strip() == str(target / "digitboard" / "best.keras")
    replayed = subprocess.run([sys.executable, "-m", "digitboard", "replay", "one.jsonl"],
                              cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["reading"] == "1" and "runs under Keras" not in replayed.stderr
