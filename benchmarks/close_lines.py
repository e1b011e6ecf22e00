"""Lines of writing close together: boards of 3 lines of 5 real pen-drawn digits, each line a
fraction of a digit's height below the one before, read by the real board and model.

Each board is one writer's digits (UNIPEN, ../shared/data/), lines 60 to 110 px tall as a mouse
user writes them, each digit 80% to 110% of its line's height and up to a tenth of it above or
below the line, the digits of a line a quarter to half a height apart, the lines a share of the
height apart (each board draws its gap at random in a range).
The strokes go on the board in writing order (lines top to bottom, each left to right), as the
window would get them. A digit counts as right when one digit on the board holds exactly its
strokes and reads its label; a digit whose strokes went into a digit of another line counts as
merged across lines.

    python benchmarks/close_lines.py                          # the writers held out from the shipped model
    python benchmarks/close_lines.py --contributors syn,apa,apb,art   # the tuning writers
    python benchmarks/close_lines.py --letters      # letters and symbols let stand: how many are learned

With --letters, the boards hold letters and symbols (../shared/data/unipen-dev-notdigits.jsonl.gz)
instead of digits, on a board that learns (a fresh personal recognizer a board), then cleared, as
a user who lets them stand would: every one that became an example is a letter learned as a digit.

Grouping's numbers were chosen on the tuning writers (syn, apa, apb, art); the figures quoted in
docs/ come from ced, gmd and imp (docs/how-it-works.md, "Lines close together").
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import defaultdict

import numpy as np

from digitboard import DEFAULT_MODEL
from digitboard.core.board import Board
from digitboard.core.actions import Clear
from digitboard.core.drawing import extent, fit_height, to_actions
from digitboard.profile.learner import PersonalRecognizer
from digitboard.recognition.recognizer import load_recognizer
from digitboard.training.data import HELD_OUT_CONTRIBUTORS, DrawnDigit, default_nondigits_path, default_unipen_path

LINES, PER_LINE = 3, 5
HEIGHTS = (60, 110)
SIZE_SPREAD = (0.8, 1.1)  # a digit's height, as a share of the line's
WANDER = (-0.1, 0.1)  # and how far it sits above or below the line's baseline
GAP_RANGES = {"15-30%": (0.15, 0.30), "30-50%": (0.30, 0.50)}


def load_writers(path: str, contributors: set[str]) -> dict[str, list[DrawnDigit]]:
    """Each writer's digits (a UNIPEN file is one writer), of these institutions."""
    writers: dict[str, list[DrawnDigit]] = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["contributor"] in contributors:
                strokes = [np.asarray(stroke, np.float64) for stroke in row["strokes"]]
                label = row["label"] if isinstance(row["label"], int) else -1  # a letter or symbol
                writers[row["file"]].append(DrawnDigit(label, row["contributor"], strokes, str(row["label"])))
    return writers


def board_of(writer: list[DrawnDigit], gap: float, rng: np.random.Generator) -> tuple[list, list[DrawnDigit]]:
    """One board: (strokes in writing order, each tagged with its digit's number; the digits)."""
    height = rng.uniform(*HEIGHTS)
    chosen = [writer[i] for i in rng.choice(len(writer), LINES * PER_LINE, replace=len(writer) < LINES * PER_LINE)]
    strokes, top = [], 20.0
    for line in range(LINES):
        left = 20.0
        for position in range(PER_LINE):
            number = line * PER_LINE + position
            # People's digits vary in size and wander about the line: a tenth of a height or so.
            size = height * rng.uniform(*SIZE_SPREAD)
            placed = fit_height(chosen[number].strokes, size, (left, top + (height - size) + rng.uniform(*WANDER) * height))
            strokes += [(number, stroke) for stroke in placed]
            left += extent(placed)[0] + rng.uniform(0.25, 0.5) * height
        top += height * (1 + gap)
    return strokes, chosen


def score(board: Board, strokes: list, chosen: list[DrawnDigit]) -> tuple[int, int]:
    """(digits right, digits merged with a digit of another line)."""
    owner = {}  # stroke id -> digit number
    for stroke_id, (number, _) in enumerate(strokes):
        owner[stroke_id] = number
    right = merged = 0
    for number, drawn in enumerate(chosen):
        ids = {i for i, (n, _) in enumerate(strokes) if n == number}
        holders = [digit for digit in board.digits if ids & set(digit.stroke_ids)]
        if len(holders) == 1 and set(holders[0].stroke_ids) == ids and holders[0].label == drawn.label:
            right += 1
        lines = {owner[i] // PER_LINE for holder in holders for i in holder.stroke_ids}
        merged += len(lines) > 1
    return right, merged


def letters_learned(writers: dict[str, list[DrawnDigit]], recognizer, args: argparse.Namespace) -> int:
    """Boards of letters and symbols in lines, let stand and cleared: how many became examples."""
    names = sorted(name for name, theirs in writers.items() if len(theirs) >= 10)
    rng = np.random.default_rng(args.seed)
    learned = total = 0
    shown_sure = 0
    characters: dict[str, int] = defaultdict(int)
    for _ in range(args.boards):
        strokes, chosen = board_of(writers[names[rng.integers(len(names))]], rng.uniform(0.3, 0.5), rng)
        personal = PersonalRecognizer(recognizer)
        board = Board(personal, personal)
        for action in to_actions([stroke for _, stroke in strokes]):
            board.apply(action)
            board.classify_pending()
        shown_sure += sum(not digit.unsure for digit in board.digits)
        board.apply(Clear())
        learned += len(personal.examples)
        for example in personal.examples:  # which drawing it was: the one whose strokes it holds
            first = next(number for number, stroke in strokes if np.array_equal(np.round(stroke), example.strokes[0]))
            whole = len(example.strokes) == len(chosen[first].strokes)
            characters[f"{chosen[first].character} as {example.label}{'' if whole else ' (a part of it)'}"] += 1
        total += len(chosen)
    print(f"{args.model}: {args.boards} boards of {LINES} lines x {PER_LINE} letters or symbols of {args.contributors}, "
          f"let stand and cleared: {total:,} drawn, {shown_sure:,} shown as a sure digit, "
          f"{learned:,} learned as a digit ({learned / total:.2%})")
    print("learned: " + ", ".join(f"{name} {count}" for name, count in sorted(characters.items(), key=lambda item: -item[1])))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unipen", default=str(default_unipen_path()))
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--contributors", default=",".join(HELD_OUT_CONTRIBUTORS))
    parser.add_argument("--boards", type=int, default=100, help="boards per range of gaps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--letters", action="store_true", help="letters and symbols let stand: how many are learned")
    parser.add_argument("--nondigits", default=str(default_nondigits_path()))
    args = parser.parse_args(argv)
    contributors = set(args.contributors.split(","))
    if args.letters:
        return letters_learned(load_writers(args.nondigits, contributors), load_recognizer(args.model), args)
    writers = load_writers(args.unipen, contributors)
    names = sorted(name for name, theirs in writers.items() if len(theirs) >= 10)
    recognizer = load_recognizer(args.model)
    print(f"{args.model}: {len(names)} writers of {args.contributors}, {args.boards} boards of {LINES} lines "
          f"x {PER_LINE} digits per range of gaps")
    rng = np.random.default_rng(args.seed)
    for name, (low, high) in GAP_RANGES.items():
        right = merged = total = 0
        start = time.perf_counter()
        for _ in range(args.boards):
            writer = writers[names[rng.integers(len(names))]]
            strokes, chosen = board_of(writer, rng.uniform(low, high), rng)
            board = Board(recognizer)
            for action in to_actions([stroke for _, stroke in strokes]):
                board.apply(action)
                board.classify_pending()  # as the window reads at each pen lift
            board_right, board_merged = score(board, strokes, chosen)
            right, merged, total = right + board_right, merged + board_merged, total + len(chosen)
        print(f"line gaps {name} of a digit's height: {right / total:.2%} of {total:,} digits right, "
              f"{merged / total:.2%} merged across lines ({time.perf_counter() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
