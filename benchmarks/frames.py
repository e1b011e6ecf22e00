"""Frame times of the board's window: a frame must stay under 16.7 ms.

    .venv/bin/python benchmarks/frames.py [--model PATH] [--unipen PATH] [--digits 3000]

Each frame is digitboard.window.app.run_frame (handle the posted events, classify, draw, flip) on the
dummy video driver, timed alone (the loop's 60 fps wait left out), pinned to one core. Cases:
a board of 40 mouse-sized digits while more are drawn, recognised and undone (as in
latency.py); a stroke drawn on and on until it has 60,000 points; and a board of 3,000 small
digits, idle, while a digit is drawn, recognised and undone on it. The digits are real pen
digits (UNIPEN), read by the shipped model under ONNX Runtime.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # before pygame is imported: no window here
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from digitboard import DEFAULT_MODEL  # noqa: E402
from digitboard.core.board import Board  # noqa: E402
from digitboard.core.drawing import to_actions  # noqa: E402
from digitboard.training.data import SHARED_DATA  # noqa: E402
from digitboard.window import app as board_app  # noqa: E402

_SPEC = importlib.util.spec_from_file_location("latency_benchmark", Path(__file__).with_name("latency.py"))
latency = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = latency  # dataclasses look their module up while it loads
_SPEC.loader.exec_module(latency)

WINDOW = latency.FRAME_SIZE  # 1280x720
LONG_STROKE = 60_000  # points
SMALL_BOX = (12, 14)  # w, h of each of the many digits
SMALL_CELL = (20, 22)  # the grid they stand in: rows far enough apart not to join


def backspace() -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN, key=pygame.K_BACKSPACE, mod=0, unicode="", scancode=0)


def run(app, frames: list[tuple[str, list]], timings: dict[str, list[float]]) -> None:
    for kind, events in frames:
        for event in events:
            pygame.event.post(event)
        elapsed, _ = latency.timed(lambda: board_app.run_frame(app))
        timings.setdefault(kind, []).append(elapsed)


def fill_board(board: Board, digits, boxes) -> None:
    for digit, box in zip(digits, boxes):
        for action in to_actions(latency.place_digit(digit.strokes, box)):
            board.apply(action)
    board.classify_pending()


def measure_long_stroke(recognizer) -> dict[str, list[float]]:
    """Frames late in one long stroke: the pen already holds LONG_STROKE points."""
    app = board_app.BoardApp(Board(recognizer), WINDOW, save_dir=os.devnull)
    board_app.run_frame(app)
    angles = np.linspace(0, 400 * np.pi, LONG_STROKE)
    path = np.stack([640 + 250 * np.cos(angles) * (0.3 + angles / angles[-1] * 0.7),
                     330 + 250 * np.sin(angles) * (0.3 + angles / angles[-1] * 0.7)], axis=1).round()
    app.board.pen_down(*path[0])
    for x, y in path[1:]:  # the points so far, straight onto the pen: no frame is drawn for them
        app.board.pen_move(x, y)
    timings: dict[str, list[float]] = {}
    run(app, [("first frame showing the long stroke", [])], timings)
    motions = [pygame.event.Event(pygame.MOUSEMOTION, pos=(100 + i % 200, 100 + i % 97), rel=(0, 0),
                                  buttons=(1, 0, 0)) for i in range(600)]
    frames = [(f"stroke of {len(app.board.pen.points):,}+ points being drawn", motions[i:i + latency.POINTS_PER_FRAME])
              for i in range(0, len(motions), latency.POINTS_PER_FRAME)]
    run(app, frames, timings)
    release = pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(100, 100), button=1)
    run(app, [("the long stroke ends and is recognised", [release])], timings)
    return timings


def measure_board(recognizer, board_digits, drawn_digits, boxes, free_boxes, name: str) -> dict[str, list[float]]:
    """Idle frames, then digits drawn, recognised and undone, on a board of `boxes` digits."""
    board = Board(recognizer)
    fill_board(board, board_digits, boxes)
    app = board_app.BoardApp(board, WINDOW, save_dir=os.devnull)
    timings: dict[str, list[float]] = {}
    run(app, [(f"{name}: first frame (all ink drawn once)", [])], timings)
    run(app, [(f"{name}: idle", [])] * 200, timings)
    for number, digit in enumerate(drawn_digits):
        placed = latency.place_digit(digit.strokes, free_boxes[number % len(free_boxes)])
        frames = []
        for kind, events in latency.drawing_frames(placed):
            frames.append((f"{name}: {'a stroke being drawn' if kind == 'pen' else 'the pen lifts, recognised'}", events))
        frames += [(f"{name}: undo", [backspace()])] * len(placed)
        run(app, frames, timings)
    timings[f"{name}: digits on the board"] = [len(board.digits)]
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--unipen", type=Path,
                        default=Path(os.environ.get("DIGITBOARD_UNIPEN") or SHARED_DATA / "unipen-dev.jsonl.gz"))
    parser.add_argument("--digits", type=int, default=3000, help="digits on the crowded board")
    args = parser.parse_args(argv)
    from digitboard.recognition.recognizer import load_recognizer

    recognizer = load_recognizer(args.model)
    digits = latency.sample_digits(args.unipen, args.digits + 80)
    pinning = latency.pin_to_one_core()
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode(WINDOW)
    timings: dict[str, list[float]] = {}
    try:
        # 40 mouse-sized digits (as latency.py): ten in each of four rows, the last column free.
        cell_w, cell_h = WINDOW[0] // 11, (WINDOW[1] - 50) // 4
        cells = [[(c * cell_w + (cell_w - 70) // 2, r * cell_h + 40, 70, 80) for c in range(11)] for r in range(4)]
        timings |= measure_board(recognizer, digits[:40], digits[40:80],
                                 [row[c] for row in cells for c in range(10)], [row[-1] for row in cells], "40 digits")
        # Many small digits filling the window but for a free band on the right to write in.
        columns = (WINDOW[0] - 200) // SMALL_CELL[0]
        boxes = [(10 + (i % columns) * SMALL_CELL[0], 10 + (i // columns) * SMALL_CELL[1], *SMALL_BOX)
                 for i in range(args.digits)]
        free = [(WINDOW[0] - 150, 60 + 130 * row, 70, 80) for row in range(4)]
        timings |= measure_board(recognizer, digits[80:80 + args.digits], digits[40:60], boxes, free,
                                 f"{args.digits:,} digits")
        timings |= measure_long_stroke(recognizer)
    finally:
        pygame.quit()
    print(f"frames at {WINDOW[0]}x{WINDOW[1]}, {pygame.version.ver}, {pinning}; load average {os.getloadavg()[0]:.1f}")
    rows = []
    for name, values in timings.items():
        if name.endswith("digits on the board"):
            rows.append(f"  ({name}: {values[0]:,})")
            continue
        stats = latency.Stats.of(values)
        rows.append(latency.stats_row(name, stats, target="< 16.7 ms", ok=stats.p99 < 1000 / 60))
    latency.print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
