"""What `digitboard` and `digitboard replay` say about bad model files, bad session files and
paths they must not write: one line on standard error, exit status 2, no traceback."""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pygame
import pytest
from conftest import FakeLoader, FakeRecognizer, stopped_by_sigterm

from digitboard.cli import main
from digitboard.sessions import replay

ROOT = Path(__file__).resolve().parents[1]
SESSION = {"size": [640, 480], "strokes": [[[100, 100], [100, 200]]]}


# -- model files -----------------------------------------------------------------------------------
def keras_lookalike(path: Path, config: bytes = b"{}", weights: bytes = b"not hdf5") -> Path:
    """A zip with the names a .keras file has, and contents Keras cannot load."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", config)
        archive.writestr("model.weights.h5", weights)
        archive.writestr("metadata.json", b"{}")
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """Bad model files that fail before Keras is imported, by name."""
    folder = tmp_path_factory.mktemp("models")
    (folder / "empty.keras").write_bytes(b"")
    (folder / "text.keras").write_text("this is not a model\n")
    (folder / "a-folder.keras").mkdir()
    with zipfile.ZipFile(folder / "other-zip.keras", "w") as archive:
        archive.writestr("readme.txt", "a zip, but not of a model")
    whole = keras_lookalike(folder / "whole.keras", weights=os.urandom(50_000))
    (folder / "truncated.keras").write_bytes(whole.read_bytes()[:30_000])
    return {
        "missing": folder / "absent.keras",
        "empty": folder / "empty.keras",
        "folder": folder / "a-folder.keras",
        "text": folder / "text.keras",
        "other-zip": folder / "other-zip.keras",
        "truncated": folder / "truncated.keras",
    }


EARLY_PROBLEMS = {
    "missing": "does not exist",
    "empty": "is empty or not a file",
    "folder": "is empty or not a file",
    "text": "is truncated or not a Keras .keras file (File is not a zip file)",
    "other-zip": "truncated or not a Keras .keras file",
    "truncated": "is truncated or not a Keras .keras file (File is not a zip file)",
}


@pytest.fixture(scope="module")
def keras_models(tmp_path_factory) -> dict[str, Path]:
    """Files Keras opens but the board cannot use: damaged contents, wrong input or output shape."""
    keras = pytest.importorskip("keras")
    folder = tmp_path_factory.mktemp("keras-models")
    wrong_input = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    wrong_input.save(folder / "wrong-input.keras")
    wrong_output = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(5)])
    wrong_output.save(folder / "wrong-output.keras")
    usable = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    usable.save(folder / "usable.keras")
    return {
        "usable": folder / "usable.keras",
        "damaged": keras_lookalike(folder / "damaged.keras", config=b'{"class_name": "Nonsense"}'),
        "wrong-input": folder / "wrong-input.keras",
        "wrong-output": folder / "wrong-output.keras",
    }


KERAS_PROBLEMS = {
    "damaged": "could not be loaded by Keras",
    "wrong-input": "takes (32, 32, 1) and gives (10,); the board needs input (28, 28, 1)",
    "wrong-output": "takes (28, 28, 1) and gives (5,); the board needs input (28, 28, 1) (and maybe the path (64, 5)) and 10 or 11 probabilities",
}


def assert_one_line(stderr: str, *expected: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("digitboard") and "Traceback" not in stderr
    for text in expected:
        assert text in lines[0]


def session_file(folder: Path) -> Path:
    path = folder / "one.jsonl"
    path.write_text(json.dumps(SESSION) + "\n")
    return path


def run_board_in_process(argv: list[str]) -> int:
    """`digitboard` in this process; a stuck window is closed after a minute (the test then fails)."""
    closer = threading.Timer(60, lambda: pygame.event.post(pygame.event.Event(pygame.QUIT)))
    closer.start()
    try:
        return main(argv)
    finally:
        closer.cancel()


@pytest.mark.parametrize("name", EARLY_PROBLEMS)
def test_bad_model_files_stop_the_board_and_replay_with_one_line(models, name, tmp_path, capfd):
    model = models[name]
    assert main(["--model", str(model)]) == 2
    assert_one_line(capfd.readouterr().err, str(model), EARLY_PROBLEMS[name], "digitboard train")
    out = tmp_path / "out.jsonl"
    assert main(["replay", str(session_file(tmp_path)), "--model", str(model), "--out", str(out)]) == 2
    assert_one_line(capfd.readouterr().err, str(model), EARLY_PROBLEMS[name], "digitboard train")
    assert not out.exists()  # nothing written when nothing can be replayed


def test_a_damaged_onnx_copy_is_ignored_for_the_keras_model(keras_models, tmp_path, capsys):
    from digitboard.recognition.modelfile import onnx_path_for, write_fingerprint
    from digitboard.recognition.recognizer import KerasRecognizer, load_recognizer

    model = tmp_path / "model.keras"
    model.write_bytes(keras_models["usable"].read_bytes())
    onnx_path_for(model).write_bytes(b"not an ONNX model")
    write_fingerprint(model, onnx_path_for(model))  # the copy claims to come from this model
    recognizer = load_recognizer(model)
    assert isinstance(recognizer, KerasRecognizer)
    assert recognizer.predict(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 10)
    assert_one_line(capsys.readouterr().err, f"ignoring {onnx_path_for(model)}", f"running {model} under Keras")


@pytest.mark.parametrize("name", KERAS_PROBLEMS)
def test_models_keras_cannot_use_stop_replay_with_one_line(keras_models, name, tmp_path, capfd):
    model = keras_models[name]
    assert main(["replay", str(session_file(tmp_path)), "--model", str(model)]) == 2
    captured = capfd.readouterr()
    assert_one_line(captured.err, str(model), KERAS_PROBLEMS[name], "--model PATH")
    assert captured.out == ""


@pytest.mark.parametrize("name", KERAS_PROBLEMS)
def test_models_keras_cannot_use_stop_the_board_with_one_line(keras_models, name, tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = keras_models[name]
    assert run_board_in_process(["--model", str(model)]) == 2
    assert_one_line(capfd.readouterr().err, str(model), KERAS_PROBLEMS[name])
    assert list(tmp_path.iterdir()) == []


def run_command(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYTHONPATH=str(ROOT))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell has it
    return subprocess.run([sys.executable, "-m", "digitboard", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_a_wrong_shape_model_is_one_line_even_with_tensorflow_starting(keras_models, tmp_path):
    """In a fresh process TensorFlow prints its start-up log lines; the user still sees one line."""
    model = keras_models["wrong-input"]
    result = run_command("replay", str(session_file(tmp_path)), "--model", str(model), cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert_one_line(result.stderr, KERAS_PROBLEMS["wrong-input"])


def test_a_missing_model_stops_the_board_before_any_window(models, tmp_path):
    result = run_command("--model", str(models["missing"]), cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert_one_line(result.stderr, "does not exist", "digitboard train")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_refused_profile_ends_the_board_with_exit_2_every_time(shipped_model, tmp_path):
    """The board refused a folder or a foreign file as its profile while ONNX Runtime was loading
    the model on another thread; ending the process then aborted it 1 run in 6 to 24 ("terminate
    called without an active exception", exit 134)."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    text = tmp_path / "notes.sqlite"
    text.write_text("not a profile\n")
    for run in range(30):
        profile = folder if run % 2 else text
        result = run_command("--profile", str(profile), cwd=tmp_path)
        assert (result.returncode, result.stderr.count("\n")) == (2, 1), (run, result.stderr)
        assert result.stderr.startswith(f"digitboard: {profile} is ")


# -- session files ---------------------------------------------------------------------------------
@pytest.fixture
def fake_model(monkeypatch):
    monkeypatch.setattr(replay, "load_recognizer", lambda path: FakeRecognizer())


BAD_FILES = {
    "not-json.jsonl": ('{"size": [640, 480], "strokes": []}\n{"size": [640, 480],\n', "not-json.jsonl:2: not valid JSON"),
    "wrong-type.jsonl": ('{"size": [640, 480], "strokes": [[[1, "2"]]]}\n', "wrong-type.jsonl:1: field 'strokes[0][0]'"),
    "no-size.jsonl": ('{"strokes": []}\n', "no-size.jsonl:1: field 'size': missing"),
    "zero-size.jsonl": ('{"size": [0, 480], "strokes": []}\n', "zero-size.jsonl:1: field 'size'"),
    "negative-size.json": ('{"size": [640, -1], "strokes": []}', "negative-size.json:1: field 'size'"),
    "empty-stroke.jsonl": ('{"size": [9, 9], "strokes": [[[1, 1]], []]}\n', "empty-stroke.jsonl:1: field 'strokes[1]'"),
    "unknown-key.jsonl": ('{"size": [9, 9], "actions": [{"key": "q"}]}\n', "unknown-key.jsonl:1: field 'actions[0].key'"),
    "unknown-action.jsonl": ('{"size": [9, 9], "actions": [{"tap": [1, 1]}]}\n', "unknown-action.jsonl:1: field 'actions[0].tap'"),
    "unknown-field.jsonl": ('{"size": [9, 9], "strokes": [], "pen": 3}\n', "unknown-field.jsonl:1: field 'pen'"),
    "far-point.jsonl": ('{"size": [9, 9], "strokes": [[[1e300, 1]]]}\n', "far-point.jsonl:1: field 'strokes[0][0]'"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_session_file_is_one_line_naming_file_line_and_field(fake_model, tmp_path, capsys, name):
    content, expected = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(content)
    assert main(["replay", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [captured.err.strip()]
    assert captured.err.startswith(f"digitboard replay: {expected}")
    good_lines_before = 1 if name == "not-json.jsonl" else 0
    assert len(captured.out.splitlines()) == good_lines_before


def test_with_several_files_the_failed_ones_are_named_and_the_rest_replayed(fake_model, tmp_path, capsys):
    good = session_file(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(SESSION) + "\n" + '{"size": [640, 480], "strokes": [[]]}\n')
    missing = tmp_path / "missing.jsonl"
    assert main(["replay", str(good), str(bad), str(missing), str(good)]) == 2
    captured = capsys.readouterr()
    assert [json.loads(line)["session"] for line in captured.out.splitlines()] == ["one.jsonl:1", "bad.jsonl:1", "one.jsonl:1"]
    assert captured.err.splitlines() == [
        "digitboard replay: bad.jsonl:2: field 'strokes[0]': expected a non-empty list of [x, y] points",
        f"digitboard replay: {missing}: cannot read the session file (No such file or directory)",
        f"digitboard replay: 2 of 4 files failed: {bad}, {missing}",
    ]


def test_replay_never_writes_over_its_own_input(fake_model, tmp_path, capsys):
    path = session_file(tmp_path)
    before = path.read_text()
    assert main(["replay", str(path), "--out", str(path)]) == 2
    assert_one_line(capsys.readouterr().err, "is one of the session files")
    assert path.read_text() == before


def test_replay_never_writes_over_a_hard_link_to_its_input(fake_model, tmp_path, capsys):
    """the check compared resolved paths, and a hard link has its own path."""
    path = session_file(tmp_path)
    before = path.read_text()
    link = tmp_path / "output.jsonl"
    os.link(path, link)
    assert main(["replay", str(path), "--out", str(link)]) == 2
    assert_one_line(capsys.readouterr().err, "is one of the session files")
    assert path.read_text() == before


def test_a_bad_byte_on_line_101_keeps_the_100_sessions_before_it(fake_model, tmp_path, capsys):
    """nothing was printed and the error named line 1."""
    path = tmp_path / "bytes.jsonl"
    path.write_bytes((json.dumps(SESSION) + "\n").encode() * 100 + b"\xff\n")
    assert main(["replay", str(path)]) == 2
    captured = capsys.readouterr()
    assert [json.loads(line)["session"] for line in captured.out.splitlines()] == [f"bytes.jsonl:{n}" for n in range(1, 101)]
    assert captured.err == "digitboard replay: bytes.jsonl:101: not UTF-8 text; a session file is JSON\n"


def test_a_huge_integer_stops_its_file_only(fake_model, tmp_path, capsys):
    """a 5,000-digit integer aborted the whole run, naming no file or line."""
    bad = tmp_path / "huge.jsonl"
    bad.write_text(json.dumps(SESSION) + "\n" + '{"size": [640, 480], "strokes": [[[1, %s]]]}\n' % ("9" * 5000))
    good = session_file(tmp_path)
    assert main(["replay", str(bad), str(good)]) == 2
    captured = capsys.readouterr()
    assert [json.loads(line)["session"] for line in captured.out.splitlines()] == ["huge.jsonl:1", "one.jsonl:1"]
    assert captured.err.splitlines()[0].startswith(
        "digitboard replay: huge.jsonl:2: not valid JSON (Exceeds the limit (4300 digits) for integer string conversion")
    assert len(captured.err.splitlines()) == 2


def test_a_session_past_a_million_milliseconds_replays(fake_model, tmp_path, capsys):
    """times went through the coordinates' ±1,000,000 check (16 min 40 s)."""
    path = tmp_path / "long.jsonl"
    path.write_text('{"size": [640, 480], "actions": [{"stroke": [[100, 100, 999000], [100, 200, 1250000.5]]}]}\n')
    assert main(["replay", str(path)]) == 0
    (state,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["strokes"] for d in state["digits"]] == [[0]]


def test_a_recording_cut_off_by_a_kill_replays_with_a_warning(fake_model, tmp_path, capsys):
    path = tmp_path / "cut.jsonl"
    path.write_text('{"size":[640,480],"recording":1}\n{"stroke":[[100,100,0],[100,200,9]]}\n{"stroke":[[300,1')
    assert main(["replay", str(path)]) == 0
    captured = capsys.readouterr()
    (state,) = [json.loads(line) for line in captured.out.splitlines()]
    assert state["session"] == "cut.jsonl:1" and [d["strokes"] for d in state["digits"]] == [[0]]
    assert captured.err == ("digitboard replay: cut.jsonl:3: ignored an unfinished last line; "
                            "the recording ends at the line before\n")


def test_a_dash_replays_standard_input(fake_model, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((json.dumps(SESSION) + "\n").encode())))
    assert main(["replay", "-"]) == 0
    assert [json.loads(line)["session"] for line in capsys.readouterr().out.splitlines()] == ["<stdin>:1"]


def test_replay_of_standard_input_stops_on_sigterm(shipped_model, tmp_path):
    """Reading a standard input that never ends, replay still stops at once on SIGTERM."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "digitboard", "replay", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        process.stdin.write(json.dumps(SESSION) + "\n")
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["session"] == "<stdin>:1"  # now blocked reading line 2
    except BaseException:
        process.kill()
        raise
    status, seconds = stopped_by_sigterm(process)
    assert status == 143 and seconds < 5
    assert process.stderr.read() == ""


def test_files_that_cannot_be_read_are_one_line_each(fake_model, tmp_path, capsys):
    """A folder, a dangling symlink, a symlink loop, a named pipe read as gzip: one line each."""
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "absent.jsonl")
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    gzipped = tmp_path / "cut.jsonl.gz"
    gzipped.write_bytes(gzip.compress((json.dumps(SESSION) + "\n").encode())[:-10])
    assert main(["replay", str(tmp_path), str(dangling), str(loop), str(gzipped)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"digitboard replay: {tmp_path}: cannot read the session file (Is a directory)",
        f"digitboard replay: {dangling}: cannot read the session file (No such file or directory)",
        f"digitboard replay: {loop}: cannot read the session file (Too many levels of symbolic links)",
        f"digitboard replay: {gzipped}: the gzip file is cut short",
        f"digitboard replay: 4 of 4 files failed: {tmp_path}, {dangling}, {loop}, {gzipped}",
    ]


def test_a_profile_that_is_not_a_file_is_named_for_what_it_is(fake_model, tmp_path, capsys):
    """A folder, a FIFO and /dev/zero used to be reported as not existing; a name with a newline
    split the line in two."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cases = {folder: "is a folder, not a file", fifo: "is a named pipe (FIFO), not a file",
             Path("/dev/zero"): "is a character device, not a file",
             tmp_path / "two\nlines": "does not exist"}
    session = session_file(tmp_path)
    for path, problem in cases.items():
        assert main(["replay", str(session), "--profile", str(path)]) == 2
        captured = capsys.readouterr()
        shown = str(path) if path.name != "two\nlines" else repr(str(path))
        assert captured.err == f"digitboard: --profile {shown}: {problem}\n" and captured.out == ""


def test_an_unwritable_out_file_is_one_line(fake_model, tmp_path, capsys):
    out = tmp_path / "absent" / "out.jsonl"
    assert main(["replay", str(session_file(tmp_path)), "--out", str(out)]) == 2
    assert_one_line(capsys.readouterr().err, f"cannot write the replay output --out {out}")


# -- recording and the window ------------------------------------------------------------------------
def test_record_never_overwrites_without_force(tmp_path, capfd):
    model = keras_lookalike(tmp_path / "model.keras")  # passes the early checks; never loaded here
    existing = tmp_path / "session.jsonl"
    existing.write_text("an earlier session\n")
    assert main(["--model", str(model), "--record", str(existing)]) == 2
    assert_one_line(capfd.readouterr().err, f"{existing} exists; pass --force")
    assert existing.read_text() == "an earlier session\n"


def test_record_into_a_missing_folder_is_one_line(tmp_path, capfd):
    model = keras_lookalike(tmp_path / "model.keras")
    target = tmp_path / "absent" / "session.jsonl"
    assert main(["--model", str(model), "--record", str(target)]) == 2
    assert_one_line(capfd.readouterr().err, f"cannot record to {target}")


def test_record_refuses_what_is_not_a_regular_file_even_with_force(tmp_path, capfd):
    """as root, `--record /dev/null --force` replaced /dev/null. The test uses a copy
    of /dev/null's device node, so that a regression cannot replace the machine's."""
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.stat(os.devnull).st_rdev)
    except PermissionError:
        pytest.skip("creating a device node needs root")
    model = keras_lookalike(tmp_path / "model.keras")
    assert main(["--model", str(model), "--record", str(device), "--force"]) == 2
    assert_one_line(capfd.readouterr().err, f"cannot record to {device}: not a regular file")
    assert device.is_char_device()


def test_a_window_that_cannot_open_is_one_line(tmp_path, capfd, monkeypatch):
    def no_display(*args, **kwargs):
        raise pygame.error("No available video device")

    monkeypatch.setattr(pygame.display, "set_mode", no_display)
    monkeypatch.setattr("digitboard.recognition.recognizer.BackgroundRecognizer", FakeLoader)
    model = keras_lookalike(tmp_path / "model.keras")  # passes the early checks; never loaded here
    assert main(["--model", str(model), "--size", "800", "600"]) == 2
    assert_one_line(capfd.readouterr().err, "cannot open a 800x600 window (No available video device)", "--size")


@pytest.mark.parametrize("size", [["0", "480"], ["640", "-1"], ["640", "big"], ["99999", "480"]])
def test_a_bad_window_size_is_refused(size, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["--size", *size])
    assert raised.value.code == 2
    assert "--size" in capsys.readouterr().err


@pytest.fixture
def real_model(request) -> Path:
    """A real model: $DIGITBOARD_TEST_MODEL if set, else the shipped best.keras (skip if absent)."""
    if os.environ.get("DIGITBOARD_TEST_MODEL"):
        return Path(os.environ["DIGITBOARD_TEST_MODEL"])
    return request.getfixturevalue("shipped_model")


def test_replay_into_a_closed_pipe_stops_quietly(real_model, tmp_path):
    """`digitboard replay many.jsonl | head -1`: no error message, no traceback."""
    path = tmp_path / "many.jsonl"
    path.write_text((json.dumps(SESSION) + "\n") * 20_000)
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "digitboard", "replay", str(path), "--model", str(real_model)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    assert json.loads(process.stdout.readline())["session"] == "many.jsonl:1"
    process.stdout.close()
    assert process.wait(timeout=300) == 1
    assert process.stderr.read() == b""


def test_no_output_may_name_the_profile_in_use(tmp_path, shipped_model):
    """`replay --out P --profile P` and `--record P --force --profile P` once replaced the profile
    with one JSON line, exit 0."""
    from digitboard.profile.store import Profile

    profile = tmp_path / "mine.sqlite"
    Profile(profile).create()
    before = profile.read_bytes()
    session = tmp_path / "s.jsonl"
    session.write_text(json.dumps({"size": [640, 480], "strokes": [[[100, 100], [100, 200]]]}) + "\n")
    for options in (["--profile", str(profile)], ["--profile", str(profile), "--update-profile"]):
        result = run_command("replay", str(session), "--out", str(profile), *options, cwd=tmp_path)
        assert result.returncode == 2 and "is the profile" in result.stderr and result.stdout == ""
    result = run_command("--record", str(profile), "--force", "--profile", str(profile), cwd=tmp_path)
    assert result.returncode == 2 and "is the profile" in result.stderr
    assert profile.read_bytes() == before


@pytest.mark.parametrize(("status", "tensorflow", "ends"), [(143, True, "os._exit"), (130, True, "os._exit"),
                                                            (143, False, "sys.exit"), (0, True, "sys.exit"),
                                                            (2, True, "sys.exit")])
def test_the_process_entry_point_skips_the_teardown_only_after_an_interrupted_tensorflow_run(
        monkeypatch, status, tensorflow, ends):
    """`run` (the script and `python -m digitboard`) exits with main's status; after SIGTERM or
    Ctrl+C with TensorFlow loaded it ends without the interpreter's teardown, where TensorFlow's
    native threads could abort the process (exit 134)."""
    import sys
    import types

    from digitboard.cli import dispatch

    monkeypatch.setattr(dispatch, "main", lambda: status)
    if tensorflow:
        monkeypatch.setitem(sys.modules, "tensorflow", types.ModuleType("tensorflow"))
    else:
        monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    ended = []

    def os_exit(code):
        ended.append(("os._exit", code))
        raise SystemExit(code)

    monkeypatch.setattr(dispatch.os, "_exit", os_exit)
    with pytest.raises(SystemExit) as exited:
        dispatch.run()
    assert exited.value.code == status
    assert (ended[0][0] if ended else "sys.exit") == ends
