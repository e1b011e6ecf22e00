"""The real commands in a Python made to look like Windows and like macOS (tests/lookalike.py):
the board with a profile and a recording, replay with and without updating the profile, the
profile's own command, `serve` answering a request, and `train --quick` stopped by Ctrl+C. Each
must work, and exit, as on Linux. And no module but digitboard/platforms.py names what only
some systems have."""

from __future__ import annotations

import ast
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import needs_training_extra

ROOT = Path(__file__).resolve().parents[1]
LOOKALIKE = Path(__file__).with_name("lookalike.py")
SYSTEMS = ("windows", "macos")
SECONDS = 120


def lookalike(system: str, *arguments: str, cwd: Path, draw: bool = False, **options) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYGAME_HIDE_SUPPORT_PROMPT="1", SDL_VIDEODRIVER="dummy")
    if draw:
        env["LOOKALIKE_DRAW"] = "1"
    return subprocess.Popen([sys.executable, str(LOOKALIKE), system, *arguments], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **options)


def run(system: str, *arguments: str, cwd: Path, draw: bool = False) -> subprocess.CompletedProcess:
    process = lookalike(system, *arguments, cwd=cwd, draw=draw)
    try:
        out, err = process.communicate(timeout=SECONDS)
    finally:
        process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def succeeded(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_board_replay_and_the_profile_work_as_on_linux(system, tmp_path, shipped_model):
    # The board, headless, for a few seconds: two digits drawn, N to clear (which lets them stand), closed.
    succeeded(run(system, "--profile", "mine.sqlite", "--record", "drawn.jsonl", cwd=tmp_path, draw=True))
    lines = (tmp_path / "drawn.jsonl").read_text().splitlines()
    actions = [next(iter(json.loads(line))) for line in lines[1:]]
    assert actions == ["stroke", "stroke", "key"]  # N, recorded as the key it is
    shown = json.loads(succeeded(run(system, "profile", "--profile", "mine.sqlite", "--json", cwd=tmp_path)))
    assert shown["examples"] >= 1

    replayed = json.loads(succeeded(run(system, "replay", "drawn.jsonl", cwd=tmp_path)))
    assert replayed["session"] == "drawn.jsonl:1" and replayed["digits"] == []  # cleared at the end
    before = shown["examples"]
    succeeded(run(system, "replay", "drawn.jsonl", "--profile", "mine.sqlite", "--update-profile", cwd=tmp_path))
    after = json.loads(succeeded(run(system, "profile", "--profile", "mine.sqlite", "--json", cwd=tmp_path)))
    assert after["examples"] >= before

    listed = succeeded(run(system, "profile", "--profile", "mine.sqlite", "--list", cwd=tmp_path))
    assert len(listed.splitlines()) >= after["examples"]
    succeeded(run(system, "profile", "--profile", "mine.sqlite", "--export", "copy.sqlite", cwd=tmp_path))
    succeeded(run(system, "profile", "--profile", "other.sqlite", "--import", "copy.sqlite", cwd=tmp_path))
    imported = json.loads(succeeded(run(system, "profile", "--profile", "other.sqlite", "--json", cwd=tmp_path)))
    assert imported["examples"] == after["examples"]


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_recording_in_json_is_rewritten_whole(system, tmp_path, shipped_model):
    """The .json recording is rewritten beside itself and renamed over: its mode is copied
    where the system has fchmod (not Windows before Python 3.13)."""
    succeeded(run(system, "--no-learning", "--record", "drawn.json", cwd=tmp_path, draw=True))
    session = json.loads((tmp_path / "drawn.json").read_text())
    assert [next(iter(action)) for action in session["actions"]] == ["stroke", "stroke", "key"]


@pytest.mark.parametrize("system", SYSTEMS)
def test_serve_answers_and_stops_on_ctrl_c(system, tmp_path, shipped_model, ctrl_c_as_from_a_terminal):
    """Two workers asked for: macOS forks them; Windows says in one line it cannot, and serves in one."""
    process = lookalike(system, "serve", "--port", "0", "--workers", "2", cwd=tmp_path)
    try:
        line = process.stdout.readline()
        match = re.search(r"http://([\d.]+):(\d+)/", line)
        assert match, f"serve did not start: {line!r} {process.stderr.read() if process.poll() is not None else ''}"
        connection = http.client.HTTPConnection(match[1], int(match[2]), timeout=30)
        body = json.dumps({"size": [640, 480], "actions": [{"stroke": [[100, 100, 0], [100, 200, 90]]}]})
        connection.request("POST", "/api/read", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200 and "digits" in json.loads(response.read())
        connection.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    if system == "windows":
        assert "needs processes that fork" in err and "serving in one process" in err
        assert "(2 workers" not in line
    else:
        assert "(2 workers" in line


@pytest.mark.slow
@pytest.mark.parametrize(("system", "signal_number"), [("windows", signal.SIGINT), ("macos", signal.SIGINT),
                                                       ("macos", signal.SIGTERM)],  # no other process can send SIGTERM on Windows
                         ids=["windows-ctrl-c", "macos-ctrl-c", "macos-sigterm"])
def test_ctrl_c_and_sigterm_stop_a_training_run_leaving_no_partial_file(system, signal_number, tmp_path, mnist_path,
                                                                        ctrl_c_as_from_a_terminal):
    needs_training_extra()
    out = tmp_path / "models"
    out.mkdir()
    process = lookalike(system, "train", "--quick", "--mnist", str(mnist_path), "--no-drawn",
                        "--out", str(out / "m.keras"), cwd=tmp_path)
    try:
        deadline = time.monotonic() + SECONDS
        while not (out / ".m.partial.keras").exists():  # the first epoch's checkpoint: training is under way
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "no checkpoint in time"
            time.sleep(0.1)
        process.send_signal(signal_number)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 128 + signal_number, err
    assert list(out.iterdir()) == []
    assert "Traceback" not in err


# Names only some systems have: POSIX's non-blocking and close-on-exec open flags, its signal
# mask and synchronous signal wait, scatter reads, fork, and the fcntl module.
SOME_SYSTEMS_ONLY = {"O_NONBLOCK", "O_CLOEXEC", "sigtimedwait", "sigwaitinfo", "pthread_sigmask", "readv", "pwrite",
                     "fork", "fchmod", "fchown", "set_blocking"}
SOME_SYSTEMS_ONLY_MODULES = {"fcntl", "resource", "pwd", "grp", "termios", "select"}


def names_used(path: Path) -> set[str]:
    """Attribute names read in `path` (os.fork -> "fork") and modules imported."""
    tree = ast.parse(path.read_text())
    found = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(f"import {alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(f"import {node.module}")
    return found


def test_only_the_platform_module_names_what_some_systems_lack():
    package = ROOT / "digitboard"
    wrong = {}
    for path in package.rglob("*.py"):
        if path.name == "platforms.py" and path.parent == package:
            continue
        used = names_used(path)
        bad = (used & SOME_SYSTEMS_ONLY) | {name for name in used if name.removeprefix("import ") in SOME_SYSTEMS_ONLY_MODULES
                                           and name.startswith("import ")}
        if bad:
            wrong[str(path.relative_to(ROOT))] = sorted(bad)
    assert wrong == {}
