"""Measure, in one run, how fast the board is: per-digit recognition, start-up, frame
times and replay throughput, printed as one table with the classic tutorial's `model.predict()` per digit
beside ours as a ratio.

    .venv/bin/python benchmarks/latency.py [--model PATH] [--mnist PATH] [--unipen PATH]

The strokes are real pen digits (UNIPEN) fitted into boxes the size of digits drawn with a mouse.
Start-up and replay launch the real command as subprocesses, first, while this process is still
light; then this process pins itself to one core and measures recognition and frames in process.
See docs/performance.md for what each row means and the figures measured.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # before pygame is imported: no window here
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # its banner would land in the table

import numpy as np  # noqa: E402

from digitboard import DEFAULT_MODEL  # noqa: E402
from digitboard.training.data import SHARED_DATA, DrawnDigit, iter_unipen  # noqa: E402

DRIVER = Path(__file__).resolve().with_name("board_driver.py")
DIGIT_BOX = (245, 90, 150, 150)  # x, y, w, h in board pixels: a digit drawn with a mouse
LATENCY_DIGITS = 2000  # per-digit timings of the fast paths, one digit each
KERAS_DIGITS = {"predict_on_batch": 400, "call": 200, "predict": 60}  # slower paths, fewer digits
WARM_UP = 50
STARTUP_RUNS = 5  # after one untimed run that warms the file cache
FRAME_SIZE = (1280, 720)
BOARD_DIGITS = 40
DRAWN_DIGITS = 40  # digits drawn, recognised and undone on the full board
POINTS_PER_FRAME = 2  # mouse motion events per frame: a 120 Hz mouse at 60 frames per second
REPLAY_SESSIONS = 3000
LONG_SESSIONS = (2500, 10_000)  # one-stroke digits in one session
SEED = 0


# -- helpers with logic (tested in tests/test_benchmark_helpers.py) -----------------------
def place_digit(strokes: Sequence[np.ndarray], box: tuple[float, float, float, float]) -> list[np.ndarray]:
    """Fit a digit's strokes into `box` (x, y, w, h) keeping its aspect ratio, centred.

    Returns integer board pixels, as mouse events carry, without repeated consecutive points
    (a mouse reports only movement). Each stroke keeps at least one point.
    """
    x, y, w, h = box
    points = np.concatenate([np.asarray(stroke, np.float64)[:, :2] for stroke in strokes])
    low, high = points.min(axis=0), points.max(axis=0)
    extent = high - low
    scale = min(w / extent[0] if extent[0] > 0 else np.inf, h / extent[1] if extent[1] > 0 else np.inf)
    scale = 1.0 if not np.isfinite(scale) else scale
    offset = np.array([x + w / 2, y + h / 2]) - (low + high) / 2 * scale
    placed = []
    for stroke in strokes:
        pixels = np.round(np.asarray(stroke, np.float64)[:, :2] * scale + offset)
        keep = np.ones(len(pixels), bool)
        keep[1:] = np.any(pixels[1:] != pixels[:-1], axis=1)
        placed.append(pixels[keep])
    return placed


@dataclass(frozen=True)
class Stats:
    """A distribution of timings in milliseconds."""

    median: float
    p99: float
    max: float
    n: int

    @classmethod
    def of(cls, milliseconds: Sequence[float]) -> Stats:
        values = np.asarray(milliseconds, np.float64)
        if values.size == 0:
            raise ValueError("no timings to summarise")
        return cls(float(np.median(values)), float(np.percentile(values, 99)), float(values.max()), int(values.size))


def timed(call: Callable[[], object]) -> tuple[float, object]:
    """Run `call` once; return (milliseconds, its result)."""
    start = time.perf_counter_ns()
    result = call()
    return (time.perf_counter_ns() - start) / 1e6, result


# -- the table ------------------------------------------------------------------------------
@dataclass
class Row:
    name: str
    median: str = ""
    p99: str = ""
    max: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""
    n: str = ""


def ms(value: float) -> str:
    return f"{value:.3f} ms" if value < 1 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def stats_row(name: str, stats: Stats, reference: Stats | None = None, target: str = "",
              ok: bool | None = None, with_p99: bool = True) -> Row:
    ratio = f"{stats.median / reference.median:,.1f}x" if reference is not None else ""
    verdict = "" if ok is None else "ok" if ok else "MISSED"
    return Row(name, ms(stats.median), ms(stats.p99) if with_p99 else "-", ms(stats.max), ratio,
               target, verdict, str(stats.n))


def print_table(rows: list[Row | str]) -> None:
    header = Row("measurement", "median", "p99", "max", "vs ours", "target", "", "n")
    table = [header, *[row for row in rows if isinstance(row, Row)]]
    widths = [max(len(getattr(row, field)) for row in table) for field in Row.__dataclass_fields__]

    def line(row: Row) -> str:
        cells = [getattr(row, field) for field in Row.__dataclass_fields__]
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:])]
        return "  ".join([first, *rest]).rstrip()

    rule = "-" * len(line(header))
    print(line(header))
    print(rule)
    for row in rows:
        print(line(row) if isinstance(row, Row) else f"{row}")
    print(rule)


# -- data -----------------------------------------------------------------------------------
def sample_digits(unipen: Path, count: int) -> list[DrawnDigit]:
    """`count` UNIPEN digits chosen with a fixed seed, the same ones on every run."""
    digits = list(iter_unipen(unipen))
    return random.Random(SEED).sample(digits, min(count, len(digits)))


# -- 2. start-up ----------------------------------------------------------------------------
@dataclass
class Launch:
    seconds: float
    status: int
    max_rss_kib: int
    stdout: str
    stderr: str


def launch(command: list[str], cwd: Path, env: dict[str, str]) -> Launch:
    """Run a command to its end; wall time from just before the launch, and its peak RSS."""
    out_path, err_path = cwd / "stdout.txt", cwd / "stderr.txt"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        start = time.monotonic()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        _, wait_status, usage = os.wait4(process.pid, 0)  # keeps the child's own rusage
        seconds = time.monotonic() - start
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    return Launch(seconds, process.returncode, usage.ru_maxrss, out_path.read_text(), err_path.read_text())


def measure_startup(model: Path, digit: DrawnDigit, workdir: Path) -> tuple[list[Row], list[str]]:
    """Launch the board through benchmarks/board_driver.py and read its timestamps."""
    strokes_file = workdir / "digit.json"
    strokes_file.write_text(json.dumps([s.tolist() for s in place_digit(digit.strokes, DIGIT_BOX)]))
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")

    def run(model_path: Path) -> dict:
        command = [sys.executable, str(DRIVER), str(strokes_file), "--model", str(model_path),
                   "--save-dir", str(workdir / "saves")]
        start = time.monotonic()
        result = launch(command, workdir, env)
        lines = result.stdout.strip().splitlines()
        if result.status != 0 or not lines:
            raise RuntimeError(f"the board failed to start (exit {result.status}):\n{result.stderr[-2000:]}")
        report = json.loads(lines[-1])
        times = {name: (stamp - start) * 1000 for name, stamp in report["times"].items()}
        missing = {"first_frame", "stroke_accepted", "model_ready", "recognised"} - set(times)
        if missing:
            raise RuntimeError(f"the board never reached {', '.join(sorted(missing))}:\n{result.stderr[-2000:]}")
        longest = report["longest_frame_while_loading"]
        return {**times, "max_rss_mib": result.max_rss_kib / 1024, "frames": report["frames"],
                "longest_frame": longest * 1000 if longest is not None else float("nan")}

    interpreter = [launch([sys.executable, "-c", "pass"], workdir, env).seconds * 1000 for _ in range(STARTUP_RUNS)]
    run(model)  # warms the file cache
    runs = [run(model) for _ in range(STARTUP_RUNS)]

    def stats(name: str) -> Stats:
        return Stats.of([r[name] for r in runs])

    rows: list[Row] = [
        stats_row("python interpreter alone (python -c pass)", Stats.of(interpreter), with_p99=False),
        stats_row("window on screen (first frame drawn)", stats("first_frame"), target="< 1 s",
                  ok=stats("first_frame").max < 1000, with_p99=False),
        stats_row("a stroke drawn at once is on the board", stats("stroke_accepted"), target="< 1 s",
                  ok=stats("stroke_accepted").max < 1000, with_p99=False),
        stats_row("model ready (ONNX copy)", stats("model_ready"), with_p99=False),
        stats_row("that first digit recognised", stats("recognised"), with_p99=False),
    ]
    rss = [r["max_rss_mib"] for r in runs]
    rows.append(Row("peak memory (max RSS) of the board", f"{statistics.median(rss):.0f} MiB", "-",
                    f"{max(rss):.0f} MiB", n=str(len(rss))))
    # Without a matching ONNX copy the board falls back to Keras: TensorFlow loads behind the window.
    fallback_dir = workdir / "keras-only"
    fallback_dir.mkdir()
    fallback_model = fallback_dir / model.name
    shutil.copyfile(model, fallback_model)
    fallback = run(fallback_model)
    rows += [
        Row("Keras fallback (no ONNX copy), one run:"),
        Row("  window on screen", ms(fallback["first_frame"]), n="1"),
        Row("  model ready, first digit recognised", ms(fallback["recognised"]), n="1"),
        Row("  longest frame while TensorFlow loads", ms(fallback["longest_frame"]), target="<= 33 ms",
            verdict="ok" if fallback["longest_frame"] <= 33 else "MISSED", n="1"),
        Row("  peak memory (max RSS)", f"{fallback['max_rss_mib']:.0f} MiB", n="1"),
    ]
    notes = [f"start-up: the board drew {runs[0]['frames']} frames until the first digit was recognised with the "
             f"ONNX copy (longest {max(r['longest_frame'] for r in runs):.0f} ms); {fallback['frames']} frames while "
             f"Keras loaded (longest {fallback['longest_frame']:.0f} ms)"]
    return rows, notes


# -- 4. replay throughput -------------------------------------------------------------------
def digitboard_command() -> list[str]:
    script = Path(sys.executable).with_name("digitboard")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "digitboard"]


def measure_replay(model: Path, digits: Sequence[DrawnDigit], workdir: Path) -> tuple[list[Row], list[str]]:
    """`digitboard replay` on thousands of single-digit sessions, one JSON line each."""
    sessions = workdir / "sessions.jsonl"
    with open(sessions, "w", encoding="utf-8") as handle:
        for digit in digits:
            strokes = [s.astype(int).tolist() for s in place_digit(digit.strokes, DIGIT_BOX)]
            handle.write(json.dumps({"size": [640, 480], "strokes": strokes}, separators=(",", ":")) + "\n")
    one = workdir / "one.jsonl"
    one.write_text(sessions.read_text().splitlines()[0] + "\n")
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")

    def run(path: Path) -> tuple[Launch, list[dict]]:
        out = workdir / "replay-out.jsonl"
        result = launch([*digitboard_command(), "replay", str(path), "--model", str(model), "--out", str(out)],
                        workdir, env)
        if result.status != 0:
            raise RuntimeError(f"digitboard replay failed (exit {result.status}):\n{result.stderr[-2000:]}")
        return result, [json.loads(line) for line in out.read_text().splitlines()]

    single, _ = run(one)
    result, states = run(sessions)
    if len(states) != len(digits):
        raise RuntimeError(f"digitboard replay wrote {len(states)} states for {len(digits)} sessions")
    rate = len(digits) / result.seconds
    marginal = (len(digits) - 1) / max(result.seconds - single.seconds, 1e-9)
    correct = sum(state["reading"] == str(digit.label) for state, digit in zip(states, digits))
    rows = [
        Row(f"digitboard replay, {len(digits):,} one-digit sessions", f"{rate:,.0f} /s", target=">= 500 /s",
            verdict="ok" if rate >= 500 else "MISSED", n=str(len(digits))),
        Row("  wall time, all sessions (start-up included)", f"{result.seconds:.2f} s", n="1"),
        Row("  wall time, one session (start-up alone)", f"{single.seconds:.2f} s", n="1"),
        Row("  per session after start-up", f"{marginal:,.0f} /s", ms(1000 / marginal)),
    ]
    notes = [f"replay: reading equals the UNIPEN label in {correct:,} of {len(digits):,} sessions "
             f"({correct / len(digits):.1%}); peak memory {result.max_rss_kib / 1024:.0f} MiB"]
    # One long session: its cost must grow linearly with its strokes (it grew quadratically once).
    timings = {}
    for count in LONG_SESSIONS:
        path = workdir / f"long-{count}.jsonl"
        cells = [(100 * (n % 100), 150 * (n // 100)) for n in range(count)]  # separate digits on a grid
        strokes = [stroke.astype(int).tolist() for (x, y), digit in zip(cells, itertools.cycle(digits))
                   for stroke in place_digit(digit.strokes[:1], (x, y, 60, 90))]
        path.write_text(json.dumps({"size": [10_000, 10_000], "strokes": strokes}) + "\n")
        timings[count], (state,) = run(path)
        if len(state["digits"]) != count:
            notes.append(f"long replay: {count:,} digits drawn, {len(state['digits']):,} on the board")
    first, last = LONG_SESSIONS[0], LONG_SESSIONS[-1]
    ratio = (timings[last].seconds - single.seconds) / max(timings[first].seconds - single.seconds, 1e-9)
    rows += [Row(f"digitboard replay, one session of {count:,} one-stroke digits", f"{timings[count].seconds:.2f} s", n="1")
             for count in LONG_SESSIONS]
    rows.append(Row(f"  time ratio {last:,} / {first:,} digits (start-up taken off)", f"{ratio:.1f}x",
                    target=f"~{last // first}x (linear)", verdict="ok" if ratio < 1.5 * last / first else "MISSED"))
    return rows, notes


# -- pinning --------------------------------------------------------------------------------
def pin_to_one_core() -> str:
    """Pin this thread (and the threads it starts later) to one core, where the OS allows it."""
    if not hasattr(os, "sched_setaffinity"):
        return "not available on this OS: not pinned"
    cores = sorted(os.sched_getaffinity(0))
    core = cores[-1]
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core} of {cores} with os.sched_setaffinity"


# -- 1. per-digit recognition ---------------------------------------------------------------
def time_paths(paths: dict[str, Callable[[list[np.ndarray]], int]], strokes: list[list[np.ndarray]],
               counts: dict[str, int]) -> tuple[dict[str, Stats], dict[str, list[int]]]:
    """Time each path on the first counts[name] digits, one digit a call, after warm-up."""
    stats, labels = {}, {}
    for name, path in paths.items():
        count = counts[name]
        for digit in strokes[:min(WARM_UP, count)]:
            path(digit)
        timings, found = [], []
        for digit in strokes[:count]:
            elapsed, label = timed(lambda: path(digit))
            timings.append(elapsed)
            found.append(label)
        stats[name], labels[name] = Stats.of(timings), found
    return stats, labels


def measure_fast_paths(onnx_path: Path, strokes: list[list[np.ndarray]]):
    from digitboard.core.actions import Clear
    from digitboard.core.board import Board
    from digitboard.core.drawing import to_actions
    from digitboard.recognition.preprocess import digit_image
    from digitboard.recognition.recognizer import OnnxRecognizer
    from digitboard.recognition.trajectory import trajectory

    recognizer = OnnxRecognizer(onnx_path)
    images = [digit_image(s)[None, :, :, None] for s in strokes]  # (1, 28, 28, 1) float32
    board = Board(recognizer)

    def ours(digit_strokes) -> int:
        """Strokes to label: the image, the pen's path (for a model that reads it), the model."""
        path = trajectory(digit_strokes)[None] if recognizer.reads_paths else None  # (1, 64, 5) float32
        probabilities = recognizer.predict(digit_image(digit_strokes)[None, :, :, None], path)[0]
        label = int(np.argmax(probabilities))
        _confidence = float(probabilities[label])
        return label

    def through_board(digit_strokes) -> int:
        board.apply(Clear())
        for action in to_actions(digit_strokes):
            digit = board.apply(action)
        board.classify_pending()
        return digit.prediction.label

    def preprocessing(digit_strokes) -> int:
        digit_image(digit_strokes)
        return -1

    def tracing(digit_strokes) -> int:
        trajectory(digit_strokes)
        return -1

    image_of = {id(s): image for s, image in zip(strokes, images)}
    path_of = {id(s): trajectory(s)[None] for s in strokes}

    def inference(digit_strokes) -> int:
        return int(np.argmax(recognizer.predict(image_of[id(digit_strokes)], path_of[id(digit_strokes)])[0]))

    paths = {"ours": ours, "board": through_board, "digit_image": preprocessing, "onnx": inference}
    if recognizer.reads_paths:
        paths["trajectory"] = tracing
    counts = dict.fromkeys(paths, len(strokes))
    return recognizer, *time_paths(paths, strokes, counts)


def measure_keras_paths(model_path: Path, strokes: list[list[np.ndarray]]):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from digitboard.recognition.preprocess import digit_image
    from digitboard.recognition.recognizer import KerasRecognizer
    from digitboard.recognition.trajectory import trajectory

    reference = KerasRecognizer.load(model_path)
    model = reference.model

    def inputs(digit_strokes):
        return reference.feed(digit_image(digit_strokes)[None, :, :, None], trajectory(digit_strokes)[None])

    def with_predict_on_batch(digit_strokes) -> int:
        return int(np.argmax(np.asarray(model.predict_on_batch(inputs(digit_strokes)))[0]))

    def with_call(digit_strokes) -> int:
        return int(np.argmax(np.asarray(model(inputs(digit_strokes), training=False))[0]))

    def seed_predict(digit_strokes) -> int:  # the classic tutorial's way: model.predict() on one digit
        return int(np.argmax(model.predict(inputs(digit_strokes), verbose=0)[0]))

    paths = {"predict_on_batch": with_predict_on_batch, "call": with_call, "predict": seed_predict}
    return reference, *time_paths(paths, strokes, KERAS_DIGITS)


def check_agreement(reference, recognizer, mnist: Path | None) -> str:
    """How close the ONNX copy is to Keras on MNIST test digits: the speed-up is of the same model."""
    from digitboard.training.export import compare

    if mnist is None or not mnist.is_file():
        return f"agreement with Keras not checked: no MNIST file at {mnist} (--mnist PATH)"
    with np.load(mnist) as npz:
        images = (npz["x_test"][:2000].astype(np.float32) / 255.0)[..., None]  # (N, 28, 28, 1) in [0, 1]
    return f"ONNX copy vs Keras on the first MNIST test digits: {compare(reference, recognizer, images)}"


# -- 3. frames ------------------------------------------------------------------------------
def drawing_frames(strokes: list[np.ndarray]) -> list[tuple[str, list]]:
    """The frames of drawing one digit with a mouse, POINTS_PER_FRAME motion events a frame."""

    from digitboard.window.app import stroke_events

    frames = []
    for stroke in strokes:
        press, *motions, release = stroke_events([(int(x), int(y)) for x, y in stroke])
        frames.append(("pen", [press]))
        for start in range(0, len(motions), POINTS_PER_FRAME):
            frames.append(("pen", motions[start:start + POINTS_PER_FRAME]))
        frames.append(("recognise", [release]))
    return frames


class Loading:
    """A recogniser still loading until `ready` is set, as the window's BackgroundRecognizer."""

    def __init__(self, recognizer) -> None:
        self.recognizer, self.ready = recognizer, False

    def predict(self, images, paths=None):
        return self.recognizer.predict(images, paths)


def measure_frames(recognizer, board_digits: Sequence[DrawnDigit], drawn_digits: Sequence[DrawnDigit]):
    """Frame times with 40 digits on the board while more are drawn, recognised and undone.

    Each frame is digitboard.window.app.run_frame, the body of the board's loop (handle the events,
    classify, BoardApp.draw, flip), timed after its events were posted; the loop's 60 fps
    wait is left out.
    """
    import pygame

    from digitboard.core.board import Board
    from digitboard.core.drawing import to_actions
    from digitboard.window import app as board_app

    # Four rows of eleven cells: ten digits on the board in each row, the last cell for drawing.
    # Rows stand far enough apart that the board never joins digits of two rows into one.
    columns, rows = 11, 4
    width, height = FRAME_SIZE
    cell_w, cell_h = width // columns, (height - 50) // rows  # the status lines need 50 pixels
    box_w, box_h = 70, 80
    cells = [[(c * cell_w + (cell_w - box_w) // 2, r * cell_h + 40, box_w, box_h) for c in range(columns)]
             for r in range(rows)]
    board_cells = [row[c] for row in cells for c in range(columns - 1)]
    drawing_cells = [row[-1] for row in cells]
    pygame.display.init()
    pygame.font.init()
    try:
        pygame.display.set_mode(FRAME_SIZE)
        board = Board(recognizer)
        app = board_app.BoardApp(board, FRAME_SIZE, save_dir=os.devnull)
        for digit, cell in zip(board_digits, board_cells):
            for action in to_actions(place_digit(digit.strokes, cell)):
                board.apply(action)
        board.classify_pending()
        on_board = len(board.digits)
        frames = [("idle", [])] * 5  # the first frame draws all 40 digits' ink once
        backspace = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_BACKSPACE, mod=0, unicode="", scancode=0)
        for number, digit in enumerate(drawn_digits):
            placed = place_digit(digit.strokes, drawing_cells[number % len(drawing_cells)])
            frames += drawing_frames(placed)
            frames += [("undo", [backspace])] * len(placed)  # back to 40 digits; the ink is redrawn
        timings: dict[str, list[float]] = {}
        for kind, events in frames:
            for event in events:
                pygame.event.post(event)
            elapsed, _ = timed(lambda: board_app.run_frame(app))
            timings.setdefault(kind, []).append(elapsed)
        after = len(board.digits)
        # The frame on which the model becomes ready with every digit drawn while it loaded waiting:
        # the 40 digits rendered and read in one batch.
        ready_frames = []
        for _ in range(20):
            loading = Loading(recognizer)
            waiting = Board(loading)
            for digit, cell in zip(board_digits, board_cells):
                for action in to_actions(place_digit(digit.strokes, cell)):
                    waiting.apply(action)
            waiting_app = board_app.BoardApp(waiting, FRAME_SIZE, save_dir=os.devnull)
            board_app.run_frame(waiting_app)  # the ink, drawn while the model loads
            loading.ready = True
            elapsed, _ = timed(lambda: board_app.run_frame(waiting_app))
            assert not waiting.pending, "the model turned ready, yet digits wait"
            ready_frames.append(elapsed)
    finally:
        pygame.quit()
    stats = {kind: Stats.of(values) for kind, values in timings.items()}
    stats["ready"] = Stats.of(ready_frames)
    return stats, on_board, after


# -- the run --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="the .keras model (default: best.keras)")
    parser.add_argument("--mnist", type=Path, default=Path(os.environ.get("DIGITBOARD_MNIST") or SHARED_DATA / "mnist.npz"),
                        help="MNIST .npz, to check the ONNX copy against Keras (default: ../shared/data)")
    parser.add_argument("--unipen", type=Path,
                        default=Path(os.environ.get("DIGITBOARD_UNIPEN") or SHARED_DATA / "unipen-dev.jsonl.gz"),
                        help="UNIPEN pen digits (.jsonl.gz), the strokes measured (default: ../shared/data)")
    args = parser.parse_args(argv)

    from digitboard.recognition.modelfile import check_model_file, fast_copy_matches, onnx_path_for

    model = check_model_file(args.model)
    if not fast_copy_matches(model):
        raise SystemExit(f"latency.py: {onnx_path_for(model)} is missing or was not derived from {model}; "
                         f"derive it with `digitboard export {model}`")
    if not args.unipen.is_file():
        raise SystemExit(f"latency.py: no UNIPEN digits at {args.unipen}; pass --unipen PATH")
    began = time.monotonic()
    digits = sample_digits(args.unipen, max(LATENCY_DIGITS, REPLAY_SESSIONS) + BOARD_DIGITS + DRAWN_DIGITS)
    latency_digits = digits[:LATENCY_DIGITS]
    board_digits = digits[-BOARD_DIGITS - DRAWN_DIGITS:-DRAWN_DIGITS]
    drawn_digits = digits[-DRAWN_DIGITS:]
    load = os.getloadavg() if hasattr(os, "getloadavg") else None

    rows: list[Row | str] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="digitboard-bench-") as temporary:
        workdir = Path(temporary)
        print("measuring start-up ...", file=sys.stderr, flush=True)
        startup_rows, startup_notes = measure_startup(model, latency_digits[0], workdir)
        print("measuring replay ...", file=sys.stderr, flush=True)
        replay_rows, replay_notes = measure_replay(model, digits[:REPLAY_SESSIONS], workdir)

    pinning = pin_to_one_core()  # from here on, in process on one core; later threads inherit it
    print("measuring recognition (ONNX Runtime) ...", file=sys.stderr, flush=True)
    strokes = [place_digit(d.strokes, DIGIT_BOX) for d in latency_digits]
    recognizer, fast, fast_labels = measure_fast_paths(onnx_path_for(model), strokes)
    print("measuring frames ...", file=sys.stderr, flush=True)
    frames, on_board, after = measure_frames(recognizer, board_digits, drawn_digits)
    print("measuring recognition (Keras; TensorFlow loads first) ...", file=sys.stderr, flush=True)
    keras_model, slow, slow_labels = measure_keras_paths(model, strokes)
    agreement = check_agreement(keras_model, recognizer, args.mnist)

    import cv2
    import keras
    import onnxruntime
    import pygame
    import tensorflow as tf

    ours = fast["ours"]
    rows += [
        f"1. per-digit recognition: strokes -> label and confidence, one digit a call, one thread ({pinning.split(' with')[0]})",
        stats_row("ours: digit_image" + (" + trajectory" if "trajectory" in fast else "") + " + ONNX Runtime",
                  ours, ours, "<= 0.5 / 2 ms", ours.median <= 0.5 and ours.p99 <= 2),
        stats_row("  of which digit_image (OpenCV)", fast["digit_image"], ours),
        *([stats_row("  of which trajectory (the pen's path)", fast["trajectory"], ours)] if "trajectory" in fast else []),
        stats_row("  of which ONNX Runtime run", fast["onnx"], ours),
        stats_row("  ours through Board.apply (per digit)", fast["board"], ours),
        stats_row("digit_image + Keras predict_on_batch", slow["predict_on_batch"], ours),
        stats_row("digit_image + Keras model(x) call", slow["call"], ours),
        stats_row("seed: digit_image + model.predict()", slow["predict"], ours),
        "2. start-up: launch of `digitboard` (subprocess, SDL_VIDEODRIVER=dummy) until ...",
        *startup_rows,
        f"3. frames, {FRAME_SIZE[0]}x{FRAME_SIZE[1]}, {on_board} digits on the board: digitboard.window.app.run_frame, back to back",
        stats_row("  a stroke being drawn (handle + draw + flip)", frames["pen"], target="< 16.7 ms",
                  ok=frames["pen"].p99 < 1000 / 60),
        stats_row("  the pen lifts: the digit is recognised", frames["recognise"], target="<= 33 ms",
                  ok=frames["recognise"].max <= 33),
        stats_row("  undo (the ink layer is redrawn)", frames["undo"], target="<= 33 ms",
                  ok=frames["undo"].max <= 33),
        stats_row("  model turns ready, 40 digits waiting (rendered, 1 batch)", frames["ready"], target="<= 33 ms",
                  ok=frames["ready"].max <= 33),
        "4. replay throughput",
        *replay_rows,
    ]
    same = {name: sum(a == b for a, b in zip(labels, fast_labels["ours"])) for name, labels in slow_labels.items()}
    notes += startup_notes + replay_notes
    notes += [
        "recognition: labels equal to ours on the same digits: "
        + ", ".join(f"{name} {same[name]}/{len(labels)}" for name, labels in slow_labels.items()),
        agreement,
        f"frames: board had {after} digits after drawing and undoing {len(drawn_digits)} more",
    ]

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if Path("/proc/cpuinfo").is_file() else platform.processor()
    print("settings")
    print(f"  model          {model} (ONNX copy {onnx_path_for(model).name}, fingerprint matches)")
    print(f"  strokes        {args.unipen.name}: {LATENCY_DIGITS} digits (seed {SEED}) fitted into "
          f"{DIGIT_BOX[2]}x{DIGIT_BOX[3]} px; {WARM_UP} warm-up calls per path; Keras paths on the first "
          + ", ".join(f"{n} ({name})" for name, n in KERAS_DIGITS.items()))
    print(f"  runtimes       Python {platform.python_version()}, numpy {np.__version__}, OpenCV {cv2.__version__}, "
          f"ONNX Runtime {onnxruntime.__version__}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"pygame {pygame.version.ver} (SDL {'.'.join(map(str, pygame.get_sdl_version()))})")
    print(f"  threads        ONNX Runtime intra/inter-op 1/1; TensorFlow intra/inter-op "
          f"{tf.config.threading.get_intra_op_parallelism_threads()}/{tf.config.threading.get_inter_op_parallelism_threads()}; "
          f"OpenCV {cv2.getNumThreads()}; {pinning}")
    print(f"  machine        {cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}; "
          f"load average before the run {' '.join(f'{v:.2f}' for v in load) if load else 'n/a'}")
    print(f"  samples        start-up {STARTUP_RUNS} runs (+1 untimed); frames {sum(s.n for k, s in frames.items() if k != 'ready')} "
          f"({POINTS_PER_FRAME} mouse events a frame); replay {REPLAY_SESSIONS:,} sessions")
    print()
    print_table(rows)
    for note in notes:
        print(f"  {note}")
    print(f"total benchmark time {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
