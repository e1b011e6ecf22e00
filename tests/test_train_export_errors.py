"""`digitboard train` and `digitboard export` under hostile arguments: every bad number or path
is named on one line, exit status 2, before TensorFlow is imported; and no partial or hidden
file is left behind when a run is stopped by SIGTERM, Ctrl+C or an error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import TRAIN_EXTRA_MISSING

from digitboard.cli import main
from digitboard.training import export, train

pytest.importorskip("keras", reason=TRAIN_EXTRA_MISSING)  # every test here trains, exports or runs Keras

ROOT = Path(__file__).resolve().parents[1]


def write_tiny_mnist(path: Path) -> Path:
    rng = np.random.default_rng(0)
    np.savez(path, x_train=rng.integers(0, 255, (40, 28, 28), np.uint8), y_train=np.arange(40, dtype=np.uint8) % 10,
             x_test=rng.integers(0, 255, (20, 28, 28), np.uint8), y_test=np.arange(20, dtype=np.uint8) % 10)
    return path


def keras_lookalike(path: Path) -> Path:
    """A zip with the names a .keras file has: it passes the checks made before Keras loads."""
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("config.json", "model.weights.h5", "metadata.json"):
            archive.writestr(name, b"{}")
    return path


def read_only_folder(tmp_path: Path) -> Path | None:
    """A folder no file can be created in: a mode-555 folder if that stops this user (not root),
    else /sys where it takes no new file (as in most containers), else None."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "probe").touch()
    except PermissionError:
        return folder
    (folder / "probe").unlink()
    try:
        with tempfile.TemporaryFile(dir="/sys"):  # unnamed: nothing is left there if it works
            return None
    except OSError:
        return Path("/sys")


@pytest.fixture
def hostile_paths(tmp_path) -> dict[str, str]:
    """Files and non-files to hand to the options, by what they are."""
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "folder.keras").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "junk.txt").write_text("not a model\n")
    (tmp_path / "existing.keras").write_bytes(b"the user's model")
    return {
        "mnist": str(write_tiny_mnist(tmp_path / "mnist.npz")),
        "model": str(keras_lookalike(tmp_path / "model.keras")),
        "folder": str(tmp_path / "a-folder"),
        "keras_folder": str(tmp_path / "folder.keras"),
        "fifo": str(tmp_path / "fifo"),
        "device": os.devnull,
        "missing": str(tmp_path / "absent.npz"),
        "junk": str(tmp_path / "junk.txt"),
        "existing": str(tmp_path / "existing.keras"),
        "newline": str(tmp_path / "two\nlines\x1b[31m.npz"),
        "no-folder": str(tmp_path / "absent" / "m.keras"),
        "out": str(tmp_path / "m.keras"),
    }


# (arguments with {names} from hostile_paths, words the one line must hold)
BAD_ARGUMENTS = [
    (["train", "--seed", "-1"], ["--seed must be a non-negative integer", "got -1"]),
    (["train", "--seed", "abc"], ["argument --seed", "'abc'"]),
    (["train", "--epochs", "0"], ["--epochs must be at least 1"]),
    (["train", "--batch-size", "-5"], ["--batch-size must be at least 1"]),
    (["train", "--patience", "0"], ["--patience must be at least 1"]),
    (["train", "--learning-rate", "inf"], ["--learning-rate must be a positive number"]),
    (["train", "--image-weight", "nan"], ["--image-weight must be in (0, 1]"]),
    (["train", "--not-a-digit-shift", "nan"], ["--not-a-digit-shift must be a finite number"]),
    (["train", "--sample-limit", "0"], ["--sample-limit must be at least 1"]),
    (["train", "--path-epochs", "x"], ["argument --path-epochs", "'x'"]),
    (["train", "--mnist", "{folder}"], ["--mnist {folder}: is a folder, not a file"]),
    (["train", "--mnist", "{fifo}"], ["--mnist {fifo}: is a named pipe (FIFO), not a file"]),
    (["train", "--mnist", "{device}"], ["--mnist {device}: is a character device, not a file"]),
    (["train", "--mnist", "{missing}"], ["--mnist {missing}: does not exist"]),
    (["train", "--mnist", "{newline}"], ["--mnist ", "two\\nlines\\x1b[31m.npz': does not exist"]),
    (["train", "--mnist", "{mnist}", "--unipen", "{folder}"], ["--unipen {folder}: is a folder"]),
    (["train", "--mnist", "{mnist}", "--nondigits", "{fifo}"], ["--nondigits {fifo}: is a named pipe"]),
    (["train", "--mnist", "{mnist}", "--init", "{junk}"], ["--init: model file {junk} is truncated or not a Keras"]),
    (["train", "--mnist", "{mnist}", "--out", "{no-folder}"], ["--out {no-folder}: its folder", "does not exist"]),
    (["train", "--mnist", "{mnist}", "--out", "{keras_folder}"], ["--out {keras_folder}: is a folder"]),
    (["train", "--mnist", "{mnist}", "--out", "{fifo}/m.keras"], ["--out {fifo}/m.keras: its folder {fifo} is a named pipe"]),
    (["train", "--mnist", "{mnist}", "--out", "{device}"], ["--out {device}", "must end in .keras"]),
    (["train", "--mnist", "{mnist}", "--out", "{existing}"], ["{existing} exists; pass --force"]),
    (["train", "--mnist", "{mnist}", "--init", "{model}", "--out", "{model}", "--force"],
     ["--out {model}: --init is that file"]),
    (["export", "{junk}"], ["model file {junk} is truncated or not a Keras .keras file"]),
    (["export", "{missing}"], ["model file {missing}: does not exist"]),
    (["export", "{folder}"], ["model file {folder}: is a folder, not a file"]),
    (["export", "{model}", "--mnist", "{fifo}"], ["--mnist {fifo}: is a named pipe (FIFO), not a file"]),
    (["export", "{model}", "--mnist", "{device}"], ["--mnist {device}: is a character device"]),
    (["export", "{model}", "--mnist", "{newline}"], ["--mnist ", "two\\nlines\\x1b[31m.npz': does not exist"]),
    (["export", "--mnist"], ["argument --mnist: expected one argument"]),
]

CHECKS = textwrap.dedent("""
    import json, sys, time
    from digitboard.cli import main

    for argv in json.loads(sys.argv[1]):
        started = time.perf_counter()
        try:
            status = main(argv)
        except SystemExit as exit:
            status = exit.code
        print(json.dumps([status, time.perf_counter() - started]), flush=True)
        print("--- end of case", file=sys.stderr, flush=True)
    print(json.dumps(sorted(name for name in ("tensorflow", "keras") if name in sys.modules)))
""")


def test_every_bad_train_or_export_argument_is_one_line_naming_it_before_tensorflow(hostile_paths, tmp_path):
    """All cases in one fresh process, so that TensorFlow's absence at the end shows that none of
    them imported it (and no MNIST download was tried: that imports Keras)."""
    cases = [[argument.format(**hostile_paths) for argument in argv] for argv, _ in BAD_ARGUMENTS]
    env = dict(os.environ, PYTHONPATH=str(ROOT), DIGITBOARD_MNIST="")
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    result = subprocess.run([sys.executable, "-c", CHECKS, json.dumps(cases)], check=False, capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=600)
    *outcomes, imported = result.stdout.splitlines()
    messages = result.stderr.split("--- end of case\n")[:-1]
    assert len(outcomes) == len(messages) == len(BAD_ARGUMENTS), result.stderr
    for (argv, expected), outcome, message in zip(BAD_ARGUMENTS, outcomes, messages):
        status, _seconds = json.loads(outcome)
        assert status == 2, (argv, message)
        assert len(message.splitlines()) == 1 and message.startswith("digitboard"), (argv, message)
        for words in expected:
            assert words.format(**hostile_paths) in message, (argv, message)
    assert json.loads(imported) == []
    assert Path(hostile_paths["existing"]).read_bytes() == b"the user's model"
    assert not list(tmp_path.glob(".*"))  # no hidden file of any kind


def test_train_into_a_folder_that_takes_no_file_is_refused_before_training(tmp_path, capsys, monkeypatch):
    folder = read_only_folder(tmp_path)
    if folder is None:
        pytest.skip("no folder refuses files to this user here (root, and no read-only mount)")
    monkeypatch.setattr(train, "train_model", lambda *args, **kwargs: pytest.fail("training started"))
    out = folder / "m.keras"
    assert main(["train", "--mnist", str(write_tiny_mnist(tmp_path / "mnist.npz")), "--no-drawn", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"digitboard: --out {out}: cannot write in its folder {folder} (") and len(err.splitlines()) == 1


def test_export_beside_a_model_in_a_folder_that_takes_no_file_is_refused(tmp_path, capsys, monkeypatch):
    folder = read_only_folder(tmp_path)
    if folder is None or folder == Path("/sys"):
        pytest.skip("needs a folder this user cannot write in but could put a model in first (not root)")
    folder.chmod(0o755)
    model = keras_lookalike(folder / "model.keras")
    folder.chmod(0o555)
    monkeypatch.setattr("digitboard.training.data.load_mnist", lambda path: pytest.fail("MNIST loaded"))
    assert main(["export", str(model), "--mnist", str(write_tiny_mnist(tmp_path / "mnist.npz"))]) == 2
    assert f"the ONNX copy {folder / 'model.onnx'}: cannot write in its folder" in capsys.readouterr().err


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_training_leaves_no_partial_file(signal_number, tmp_path, monkeypatch, ctrl_c_as_from_a_terminal):
    """In-process: the signal arrives once the first checkpoint is written."""
    out = tmp_path / "model.keras"
    out.write_bytes(b"the user's model")

    def stopped_after_a_checkpoint(data, config, output, model=None, **kwargs):
        Path(output).write_bytes(b"half-trained")
        os.kill(os.getpid(), signal_number)
        time.sleep(10)  # the signal's handler raises here
        pytest.fail("the signal did not stop training")

    monkeypatch.setattr(train, "train_model", stopped_after_a_checkpoint)
    argv = ["train", "--mnist", str(write_tiny_mnist(tmp_path / "mnist.npz")), "--no-drawn", "--out", str(out), "--force"]
    assert main(argv) == 128 + signal_number
    assert out.read_bytes() == b"the user's model"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mnist.npz", "model.keras"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back


def test_a_sigterm_during_export_leaves_no_partial_copy(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    from test_export import save_untrained

    model = save_untrained(tmp_path / "small.keras", seed=3)
    mnist = write_tiny_mnist(tmp_path / "mnist.npz")
    before = sorted(path.name for path in tmp_path.iterdir())

    def terminated_while_naming_outputs(onnx_path, names):
        assert onnx_path.is_file() and onnx_path.name.startswith(".")  # the partial copy is there
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
        pytest.fail("SIGTERM did not stop the export")

    monkeypatch.setattr(export, "name_outputs", terminated_while_naming_outputs)
    assert main(["export", str(model), "--mnist", str(mnist)]) == 143
    assert sorted(path.name for path in tmp_path.iterdir()) == before


def test_a_failing_export_leaves_no_partial_copy(tmp_path, monkeypatch, capsys):
    pytest.importorskip("keras")
    from test_export import save_untrained

    model = save_untrained(tmp_path / "small.keras", seed=3)
    mnist = write_tiny_mnist(tmp_path / "mnist.npz")
    before = sorted(path.name for path in tmp_path.iterdir())

    def full_disk(onnx_path, names):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "name_outputs", full_disk)
    assert main(["export", str(model), "--mnist", str(mnist)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == before


@pytest.mark.slow
@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_a_real_training_run_stopped_by_a_signal_leaves_no_file(signal_number, tmp_path, ctrl_c_as_from_a_terminal):
    """A real `digitboard train` process on a tiny data set, stopped once its first checkpoint
    (the hidden partial model) is on disk: the folder is left as it was, exit 143 or 130."""
    mnist = write_tiny_mnist(tmp_path / "mnist.npz")
    out_folder = tmp_path / "models"
    out_folder.mkdir()
    partial = out_folder / ".m.partial.keras"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(tmp_path / "stderr.txt", "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "digitboard", "train", "--mnist", str(mnist), "--no-drawn", "--sample-limit", "40",
             "--epochs", "100000", "--patience", "100000", "--out", str(out_folder / "m.keras")],
            stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 300
            while not partial.exists():
                assert process.poll() is None, (tmp_path / "stderr.txt").read_text()
                assert time.monotonic() < deadline, "no checkpoint within 5 minutes"
                time.sleep(0.05)
            process.send_signal(signal_number)
            status = process.wait(timeout=60)
        finally:
            process.kill()
            process.wait()
    assert status == 128 + signal_number, (tmp_path / "stderr.txt").read_text()
    assert list(out_folder.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_whose_raise_python_lost_still_stops_training(signal_number, tmp_path):
    """Python's own raise of Ctrl+C or SIGTERM is lost now and then (an interrupt landing in a
    finalizer is printed and dropped). Here a handler that drops it stands in for that: the
    watcher thread still hears the signal, and the run stops between two batches, 130 or 143,
    with no file left (without that, it trained on to its end and exited 0)."""
    mnist = write_tiny_mnist(tmp_path / "mnist.npz")
    out_folder = tmp_path / "models"
    out_folder.mkdir()
    script = textwrap.dedent(f"""
        import os, signal, sys
        from contextlib import contextmanager
        import digitboard.cli.signals as signals
        from digitboard.cli import main
        from digitboard.training import pipeline

        dropped = lambda signum, frame: None
        signal.signal(signal.SIGINT, dropped)
        sigterm_raises = signals.platforms.sigterm_raises

        @contextmanager
        def sigterm_dropped(exception, once=False):  # set as the command sets it, then its raise lost
            with sigterm_raises(exception, once) as raises:
                signal.signal(signal.SIGTERM, dropped)
                yield raises

        class SignalledAtTheFirstBatch(pipeline.OneCycleSchedule):
            sent = False

            def on_train_batch_end(self, batch, logs=None):
                if not SignalledAtTheFirstBatch.sent:
                    SignalledAtTheFirstBatch.sent = True
                    os.kill(os.getpid(), {int(signal_number)})

        signals.platforms.sigterm_raises = sigterm_dropped
        signals.CLEAN_UP_SECONDS = 600.0  # the watcher's last resort is not what stops it here
        pipeline.OneCycleSchedule = SignalledAtTheFirstBatch
        sys.exit(main(["train", "--mnist", {str(mnist)!r}, "--no-drawn", "--sample-limit", "40", "--batch-size", "4",
                       "--epochs", "60", "--patience", "60", "--out", {str(out_folder / "m.keras")!r}]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=tmp_path)
    assert result.returncode == 128 + signal_number, result.stderr[-3000:]
    assert list(out_folder.iterdir()) == []
    assert "Traceback" not in result.stderr


def test_a_main_thread_held_in_native_code_is_stopped_by_the_watcher_which_removes_the_partial_file(tmp_path):
    """TensorFlow can hold the main thread in native code, where no Python handler runs: a wait
    on a condition that a signal does not end. libc's sleep, with the signal kept from the main
    thread (so that it cannot cut the sleep short), stands in for it here: after the clean-up
    time the watcher deletes the partial file and exits 143."""
    partial = tmp_path / ".m.partial.keras"
    partial.write_text("half a model")
    script = (
        "import ctypes, signal\nfrom pathlib import Path\nimport digitboard.cli.signals as signals\n"
        "signals.CLEAN_UP_SECONDS = 1.0\n"
        f"with signals.sigterm_as_interrupt(lambda: [Path({str(partial)!r})]):\n"
        "    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # the watcher, started before, still hears it\n"
        "    print('ready', flush=True)\n    ctypes.CDLL(None).sleep(120)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert process.stdout.readline() == "ready\n"
        time.sleep(1.0)  # by now in libc's sleep: a signal before it is handled on the main thread
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=60)
    finally:
        process.kill()
        process.wait()
    stderr = process.stderr.read()
    assert status == 128 + signal.SIGTERM and not partial.exists(), stderr
    assert time.monotonic() - started < 30
    assert "stopped (SIGTERM); partial files removed" in stderr
