"""Render the board with several lines of recognised digits, headless, into docs/board.png.

Real pen-drawn digits (UNIPEN, by the held-out writers) are drawn through the board's real event
loop the way a mouse draws them: a press, motions a few per frame, a release. The digits are the
first of each label in the file, taking a multi-stroke one for 4, 5 and 7 to show the grouping,
and skipping the few oddly segmented samples (strokes of a neighbouring character included);
they are not chosen by how the model reads them. The last line then shows a correction: the
first held-out digit in the file that the model misreads, drawn and then corrected by pressing
its label's key with the pointer on it; and it ends with a letter (UNIPEN's not-digits, same
writers) to show how an unsure reading looks: the first letter, in the order of LETTERS, that
the model reads with less than 70% confidence.

    python scripts/screenshot.py [--model best.keras] [--lines 2026 4751 380] [--out docs/board.png]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless, before pygame is imported
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from digitboard import DEFAULT_MODEL  # noqa: E402
from digitboard.core.board import Board  # noqa: E402
from digitboard.core.drawing import extent, fit_height, to_actions  # noqa: E402
from digitboard.recognition.modelfile import ModelError  # noqa: E402
from digitboard.recognition.recognizer import load_recognizer  # noqa: E402
from digitboard.training.data import HELD_OUT_CONTRIBUTORS, DrawnDigit, default_unipen_path, iter_unipen  # noqa: E402
from digitboard.window.app import BoardApp, run_frame, stroke_events  # noqa: E402

WINDOW = (640, 480)
DIGIT_HEIGHT = 88  # pixels: a digit written with a mouse
LINE_PITCH = 145  # pixels from one line of writing to the next: a gap of 0.65 of a digit
MOTIONS_PER_FRAME = 4  # about what a mouse delivers in a 60 fps frame while drawing
MULTI_STROKE_LABELS = {4, 5, 7}
LETTERS = "AEHKMNPRWX"


def pick_digits(path: Path, labels: str) -> list[DrawnDigit]:
    """The first held-out digit of each label wanted (multi-stroke for 4, 5 and 7), in order."""
    wanted = [int(label) for label in labels]
    chosen: dict[int, list[DrawnDigit]] = {label: [] for label in set(wanted)}
    needed = {label: wanted.count(label) for label in set(wanted)}
    for digit in iter_unipen(path):
        if digit.contributor not in HELD_OUT_CONTRIBUTORS or digit.label not in needed:
            continue
        if digit.label in MULTI_STROKE_LABELS and len(digit.strokes) < 2:
            continue
        if not one_digit(digit):
            continue
        if len(chosen[digit.label]) < needed[digit.label]:
            chosen[digit.label].append(digit)
        if all(len(chosen[label]) == needed[label] for label in needed):
            break
    missing = [label for label in needed if len(chosen[label]) < needed[label]]
    if missing:
        raise ValueError(f"{path} has too few held-out digits labelled {missing}")
    return [chosen[label].pop(0) for label in wanted]


def pick_unsure_letter(path: Path, recognizer) -> DrawnDigit:
    """The first held-out letter, in the order of LETTERS, that the model is unsure of."""
    letters: dict[str, list[DrawnDigit]] = {letter: [] for letter in LETTERS}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["contributor"] in HELD_OUT_CONTRIBUTORS and row["label"] in letters:
                strokes = [np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in row["strokes"]]
                letters[row["label"]].append(DrawnDigit(-1, row["contributor"], strokes))
    for letter in LETTERS:
        for sample in letters[letter]:
            board = Board(recognizer)
            for action in to_actions([np.asarray(s, np.float64) for s in place(sample, 0, 0)[0]]):
                board.apply(action)
            board.classify_pending()
            if len(board.digits) == 1 and board.digits[0].prediction.unsure:
                return sample
    raise ValueError(f"{path} has no held-out letter the model is unsure of")


def pick_misread(path: Path, recognizer) -> DrawnDigit:
    """The first held-out digit in the file, in one or two strokes, that the board reads as
    another digit (those in more strokes are mostly oddly segmented samples)."""
    for digit in iter_unipen(path):
        if digit.contributor not in HELD_OUT_CONTRIBUTORS or len(digit.strokes) > 2 or not one_digit(digit):
            continue
        board = Board(recognizer)
        for action in to_actions([np.asarray(s, np.float64) for s in place(digit, 0, 0)[0]]):
            board.apply(action)
        board.classify_pending()
        if board.digits[0].prediction.label != digit.label:
            return digit
    raise ValueError(f"{path} has no held-out digit the model misreads")


def one_digit(digit: DrawnDigit) -> bool:
    """Whether the board groups all the sample's strokes into one digit."""
    board = Board()
    for action in to_actions([np.asarray(stroke, np.float64) for stroke in place(digit, 0, 0)[0]]):
        board.apply(action)
    return len(board.digits) == 1


def place(digit: DrawnDigit, left: float, top: float) -> tuple[list[list[tuple[int, int]]], float]:
    """The digit's strokes scaled to DIGIT_HEIGHT at (left, top), as mouse positions; and its width."""
    scaled = fit_height(digit.strokes, DIGIT_HEIGHT, (left, top))
    strokes = [[(int(round(x)), int(round(y))) for x, y in stroke] for stroke in scaled]
    return strokes, float(extent(scaled)[0])


def draw_stroke(app: BoardApp, points: list[tuple[int, int]]) -> None:
    """Press, move and release the mouse through the board's event loop, frame by frame."""
    events = stroke_events(points)
    for start in range(0, len(events), MOTIONS_PER_FRAME):
        for event in events[start:start + MOTIONS_PER_FRAME]:
            pygame.event.post(event)
        run_frame(app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="the .keras model (default: the shipped best.keras)")
    parser.add_argument("--unipen", default=str(default_unipen_path()), help="UNIPEN digits (.jsonl.gz)")
    parser.add_argument("--notdigits", default=str(Path(default_unipen_path()).with_name("unipen-dev-notdigits.jsonl.gz")),
                        help="UNIPEN letters (.jsonl.gz), for the unsure reading at the end")
    parser.add_argument("--lines", nargs="+", default=["2026", "4751", "380"], help="the digits to write, one line each")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "board.png"))
    args = parser.parse_args(argv)
    try:
        recognizer = load_recognizer(args.model)
        lines = [pick_digits(Path(args.unipen), labels) for labels in args.lines]
        misread = pick_misread(Path(args.unipen), recognizer)
        lines[-1] += [misread, pick_unsure_letter(Path(args.notdigits), recognizer)]
    except (ModelError, OSError, ValueError) as error:
        print(f"screenshot: {error}", file=sys.stderr)
        return 2
    pygame.display.init()
    pygame.font.init()
    try:
        pygame.display.set_mode(WINDOW)
        app = BoardApp(Board(recognizer), WINDOW, save_dir=os.devnull)
        run_frame(app)
        for row, digits in enumerate(lines):
            left = 70.0
            for digit in digits:
                strokes, width = place(digit, left, 40 + row * LINE_PITCH)
                for points in strokes:
                    draw_stroke(app, points)
                if digit is misread:  # point at it and press its label's key, as a person would
                    centre = (int(left + width / 2), int(40 + row * LINE_PITCH + DIGIT_HEIGHT / 2))
                    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=centre, rel=(0, 0), buttons=(0, 0, 0)))
                    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_0 + digit.label, mod=0,
                                                         unicode=str(digit.label), scancode=0))
                    run_frame(app)
                left += width + 0.45 * DIGIT_HEIGHT
        surface = run_frame(app)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(surface, args.out)
    finally:
        pygame.quit()
    truth = " ".join(args.lines) + f"{misread.label} and a letter"
    print(f"wrote {args.out}: the board reads {app.board.reading()!r}; the writers wrote {truth!r}")
    for digit in app.board.left_to_right():
        corrected = f", corrected to {digit.corrected}" if digit.corrected is not None else ""
        print(f"  box {digit.box}, {len(digit.strokes)} stroke(s): {digit.prediction.text}{corrected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
