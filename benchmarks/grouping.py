"""Grouping strokes into digits, measured in-process on layouts of real pen-drawn digits.

The same layouts as benchmarks/drawn_digits.py (isolated digits, numbers, two lines of writing,
digits written in parts that stand apart), applied straight to a Board: quick enough to compare
grouping rules. The grouping constants in digitboard/core/grouping.py were chosen with this script on
the tuning institutions (syn, apb, apa, art) only; run it on others to see how the choice holds.

    python benchmarks/grouping.py --contributors syn,apb,apa,art
    python benchmarks/grouping.py --set RECENT_GAP_Y=0.6 --set JOIN_MARGIN=0.1
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drawn_digits import BOARD, MARGIN, apart_variants, isolated, number, two_lines  # noqa: E402

from digitboard import DEFAULT_MODEL  # noqa: E402
from digitboard.core import grouping
from digitboard.core.board import Board  # noqa: E402
from digitboard.core.drawing import fit_height, to_actions  # noqa: E402
from digitboard.recognition.recognizer import load_recognizer  # noqa: E402
from digitboard.training.data import DrawnDigit, default_nondigits_path, default_unipen_path, load_unipen  # noqa: E402

TIGHT_GAPS = (0.05, 0.25)  # digits of a number written closer than drawn_digits's quarter to half a height
TOUCHING_GAPS = (-0.05, 0.05)  # closer still: boxes a twentieth of a height apart or overlapping by as much


def board_after(strokes, recognizer) -> Board:
    """A board with these strokes written on it, every digit read."""
    board = Board(recognizer)
    for action in to_actions(strokes):
        board.apply(action)
    board.classify_pending()
    return board


def read(strokes, recognizer) -> tuple[str, list[list[int]]]:
    board = board_after(strokes, recognizer)
    return board.reading(), [sorted(d.stroke_ids) for d in board.left_to_right()]


def letter_then_digit(letter: DrawnDigit, digit: DrawnDigit, rng: np.random.Generator) -> tuple[list, int]:
    """A letter, then right after it a digit of its height under it, a quarter to 0.8 of that
    height lower; returns the strokes and how many are the letter's."""
    height = rng.uniform(40, 90)
    left, top = rng.uniform(MARGIN, BOARD[0] - 3 * height), rng.uniform(MARGIN, BOARD[1] - 3 * height)
    above = fit_height(letter.strokes, height, (left, top))
    below = fit_height(digit.strokes, height, (left + rng.uniform(-0.3, 0.3) * height,
                                               top + height * (1 + rng.uniform(0.25, 0.8))))
    return [*above, *below], len(above)


def digit_stands_alone(strokes: list, letter_strokes: int, recognizer, label: int) -> bool:
    """Whether the digit under the letter is a digit of its own, read right."""
    board = board_after(strokes, recognizer)
    ids = set(range(letter_strokes, len(strokes)))
    return any(set(d.stroke_ids) == ids and d.reading == str(label) for d in board.digits)


def no_sure_digit(strokes: list, recognizer) -> bool:
    """Whether the board shows no part of a letter or symbol as a sure digit."""
    return all(digit.unsure for digit in board_after(strokes, recognizer).digits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unipen", default=str(default_unipen_path()))
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--contributors", default="syn,apb,apa,art")
    parser.add_argument("--nondigits", default=str(default_nondigits_path()))
    parser.add_argument("--count", type=int, default=300, help="layouts of each kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a constant of digitboard.core.grouping")
    args = parser.parse_args(argv)
    for assignment in args.set:
        name, value = assignment.split("=")
        setattr(grouping, name, float(value))

    recognizer = load_recognizer(args.model)
    digits = load_unipen(args.unipen, args.contributors.split(","))
    rng = np.random.default_rng(args.seed)
    by_writer = defaultdict(list)
    for digit in digits:
        by_writer[digit.contributor].append(digit)
    writers = sorted(by_writer)
    apart = [v for v in (apart_variants(d, rng) for d in digits) if v is not None]

    def pick(count: int, source: np.random.Generator | None = None):
        source = rng if source is None else source
        pool = by_writer[writers[source.integers(len(writers))]]
        return [pool[i] for i in source.choice(len(pool), count, replace=False)]

    multi = [d for d in digits if len(d.strokes) > 1]
    cases: dict[str, list[tuple[list, str]]] = defaultdict(list)
    for index in rng.choice(len(multi), min(args.count, len(multi)), replace=False):
        cases["multi-stroke digit"].append((isolated(multi[index], rng), str(multi[index].label)))
    for _ in range(args.count):
        chosen = pick(4)
        cases["number of 4"].append((number(chosen, rng), "".join(str(d.label) for d in chosen)))
        first, second = pick(4), pick(4)
        cases["two lines of 4"].append((two_lines(first, second, rng),
                                        "".join(str(d.label) for d in first) + " " + "".join(str(d.label) for d in second)))
        written, stretched = apart[rng.integers(len(apart))]
        others = pick(3)
        cases["parts apart, as written"].append((number([*others, written], rng), "".join(str(d.label) for d in [*others, written])))
        cases["parts apart, stretched"].append((number([*others, stretched], rng), "".join(str(d.label) for d in [*others, stretched])))
        cases["stretched, alone"].append((isolated(stretched, rng), str(stretched.label)))
    rng = np.random.default_rng(args.seed + 1)  # the layouts above stay those of earlier runs
    for _ in range(args.count):
        chosen = pick(4)
        cases["number of 4, written tight"].append((number(chosen, rng, TIGHT_GAPS), "".join(str(d.label) for d in chosen)))
    touching = np.random.default_rng(args.seed + 2)  # its own: the layouts after it stay those of earlier runs
    for _ in range(args.count):
        chosen = pick(4, touching)
        cases["number of 4, digits touching"].append((number(chosen, touching, TOUCHING_GAPS),
                                                      "".join(str(d.label) for d in chosen)))
    letters = load_unipen(args.nondigits, args.contributors.split(","), digits=False) if Path(args.nondigits).is_file() else []
    under_letters = [(*letter_then_digit(letters[rng.integers(len(letters))], digit, rng), digit.label)
                     for digit in (digits[i] for i in rng.choice(len(digits), args.count, replace=False))] if letters else []
    alone = np.random.default_rng(args.seed + 3)
    letters_alone = [isolated(letters[i], alone) for i in alone.choice(len(letters), 3 * args.count)] if letters else []
    start = time.perf_counter()
    for kind, items in cases.items():
        right = [read(strokes, recognizer)[0] == truth for strokes, truth in items]
        print(f"{kind:28} {np.mean(right):7.2%}  ({len(items)})")
    if under_letters:
        right = [digit_stands_alone(strokes, count, recognizer, label) for strokes, count, label in under_letters]
        print(f"{'a digit right under a letter':28} {np.mean(right):7.2%}  ({len(right)}: its own digit, read right)")
    if letters_alone:
        shown = [no_sure_digit(strokes, recognizer) for strokes in letters_alone]
        print(f"{'a letter alone, no sure digit':28} {np.mean(shown):7.2%}  "
              f"({len(shown)}: no part of it shown as a sure digit)")
    print(f"({time.perf_counter() - start:.1f} s; {args.contributors}; {' '.join(args.set) or 'defaults'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
