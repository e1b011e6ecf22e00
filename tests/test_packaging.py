"""The model ships inside the package: the checkout's digitboard/best.* are the top-level files
(one source of truth), and a wheel holds their bytes, so `pip install .` gives a working board."""

from __future__ import annotations

import json
import os
import re
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
        packed = {name.rsplit("/", 1)[0] for name in archive.namelist() if name.endswith("/__init__.py")}
    checked_out = {init.parent.relative_to(ROOT).as_posix() for init in (ROOT / "digitboard").rglob("__init__.py")}
    assert checked_out <= packed, f"packages left out of the wheel: {sorted(checked_out - packed)}"
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


# -- the light install: the board, replay and the web board without TensorFlow ----------------------
TRAINING_ONLY = ("tensorflow", "keras", "tf2onnx", "onnx")
ONE_SESSION = json.dumps({"size": [640, 480], "strokes": [[[100, 100], [102, 200]]]}) + "\n"


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_board_replay_and_the_web_board_import_neither_tensorflow_nor_keras(tmp_path, shipped_model):
    (tmp_path / "one.jsonl").write_text(ONE_SESSION)
    code = """if True:
        import contextlib, io, json, sys
        from digitboard.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["replay", "one.jsonl"]) == 0
        assert json.loads(out.getvalue())["reading"] == "1"
        import digitboard.window.app, digitboard.window.view, digitboard.web.server
        from digitboard.web.app import create_app
        create_app().test_client().get("/")
        print(sorted(name for name in ("tensorflow", "keras") if name in sys.modules))
    """
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def blocked(code: str) -> str:
    """`code` run as if the train extra were not installed: importing its modules fails."""
    return f"import sys\nfor name in {TRAINING_ONLY!r}:\n    sys.modules[name] = None\n{code}"


@pytest.mark.parametrize("argv", [["train", "--epochs", "1"], ["export"], ["replay", "--model", "copy.keras", "one.jsonl"]])
def test_a_command_that_needs_tensorflow_says_in_one_line_how_to_install_it(tmp_path, shipped_model, argv):
    (tmp_path / "one.jsonl").write_text(ONE_SESSION)
    (tmp_path / "copy.keras").write_bytes(shipped_model.read_bytes())  # no ONNX copy beside it: Keras would run it
    result = run_python(blocked(f"from digitboard.cli import main\nsys.exit(main({argv!r}))"), tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("digitboard: ") and 'pip install "digitboard[train]"' in line


def test_the_install_leaves_training_to_the_train_extra_and_the_tests_take_it():
    import tomllib

    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not a checkout")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    def name(requirement: str) -> str:
        return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower()

    base = {name(requirement) for requirement in project["dependencies"]}
    assert "onnxruntime" in base and not base & set(TRAINING_ONLY)
    extras = project["optional-dependencies"]
    assert set(TRAINING_ONLY) <= {name(requirement) for requirement in extras["train"]}
    assert "digitboard[train]" in extras["test"]
