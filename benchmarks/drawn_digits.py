"""How often the board is right about real handwriting.

Real pen trajectories (UNIPEN, ../shared/data/) are put on a board as a mouse user would draw them
and replayed through `digitboard replay` (the real board and model, one process for all sessions).
Prints, per institution and overall:

- isolated digits: right, one digit, per class, a confusion matrix, the share marked unsure;
- numbers of 2 to 5 digits in a line, gaps of a quarter to half a digit height;
- numbers holding a 5 whose bar floats above its body or a 4 whose stem stands apart from its
  "L", as written (a few in the data) and stretched further (the bar lifted, the stem moved);
- two numbers of four digits, one line under the other, a quarter to half a height apart;
- letters and symbols (../shared/data/unipen-dev-notdigits.jsonl.gz) and stray marks (a click, a
  two-pixel wiggle, a scribble): the share shown as a confident digit;
- a speck beside a digit: the share of readings it changes;
- the classic Keras MNIST tutorial's recipe on the isolated digits and numbers, beside ours.

    python benchmarks/drawn_digits.py                          # writers held out from training
    python benchmarks/drawn_digits.py --cross-validation reports/cv/L/pooled     # every writer, by the fold model that never saw them

Every layout is drawn at random (sizes, places, gaps) from --seed; the same seed gives the same
sessions. Which writers a model saw decides what a figure means: say it beside the figure.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from digitboard import DEFAULT_MODEL
from digitboard.core.drawing import extent, fit_height
from digitboard.recognition.classes import DIGIT_CLASSES
from digitboard.training.data import HELD_OUT_CONTRIBUTORS, SHARED_DATA, DrawnDigit, default_unipen_path, load_unipen

BOARD = (640, 480)
HEIGHTS = (90, 260)  # isolated digits: drawn this many pixels tall
LINE_HEIGHTS = (40, 90)  # digits in numbers and lines of writing
MARGIN = 10
NOT_DIGITS = SHARED_DATA / "unipen-dev-notdigits.jsonl.gz"

Strokes = list[np.ndarray]


@dataclass
class Case:
    """One session to replay and what a right reading is."""

    kind: str
    contributor: str
    strokes: Strokes
    truth: str  # the right reading; "" for a drawing that is no digit
    label: int = -1  # an isolated digit's label


# -- layouts --------------------------------------------------------------------------------
def isolated(digit: DrawnDigit, rng: np.random.Generator) -> Strokes:
    """One digit at a random height in 90..260 px, at a random place inside the window."""
    height = rng.uniform(*HEIGHTS)
    strokes = fit_height(digit.strokes, height)
    size = extent(strokes)
    if size[0] > BOARD[0] - 2 * MARGIN:  # a very wide scribble: shrink it to fit
        strokes = fit_height(digit.strokes, height * (BOARD[0] - 2 * MARGIN) / size[0])
        size = extent(strokes)
    x = rng.uniform(MARGIN, max(MARGIN, BOARD[0] - MARGIN - size[0]))
    y = rng.uniform(MARGIN, max(MARGIN, BOARD[1] - MARGIN - size[1]))
    return [stroke + (x, y) for stroke in strokes]


def line_of(digits: Sequence[DrawnDigit], height: float, left: float, top: float, rng: np.random.Generator,
            gaps: tuple[float, float] = (0.25, 0.5)) -> Strokes:
    """Digits side by side, `height` tall, gaps of `gaps` (shares of it: a quarter to half), from (left, top)."""
    strokes: Strokes = []
    for digit in digits:
        placed = fit_height(digit.strokes, height, (left, top))
        strokes += placed
        left += extent(placed)[0] + rng.uniform(*gaps) * height
    return strokes


def line_width(digits: Sequence[DrawnDigit], height: float) -> float:
    return sum(extent(fit_height(d.strokes, height))[0] for d in digits) + 0.5 * height * (len(digits) - 1)


def number(digits: Sequence[DrawnDigit], rng: np.random.Generator, gaps: tuple[float, float] = (0.25, 0.5)) -> Strokes:
    """A number written in one line (gaps as line_of), fitted in the window."""
    height = rng.uniform(*LINE_HEIGHTS)
    height = min(height, height * (BOARD[0] - 2 * MARGIN) / line_width(digits, height))
    left = rng.uniform(MARGIN, max(MARGIN, BOARD[0] - MARGIN - line_width(digits, height)))
    top = rng.uniform(MARGIN, BOARD[1] - MARGIN - height)
    return line_of(digits, height, left, top, rng, gaps)


def two_lines(first: Sequence[DrawnDigit], second: Sequence[DrawnDigit], rng: np.random.Generator) -> Strokes:
    """Two numbers, the second written under the first, a quarter to half a height between them."""
    height = rng.uniform(*LINE_HEIGHTS)
    widest = max(line_width(first, height), line_width(second, height))
    height = min(height, height * (BOARD[0] - 2 * MARGIN) / widest)
    gap = rng.uniform(0.25, 0.5) * height
    left = rng.uniform(MARGIN, max(MARGIN, BOARD[0] - MARGIN - widest))
    top = rng.uniform(MARGIN, BOARD[1] - MARGIN - 2 * height - gap)
    return line_of(first, height, left, top, rng) + line_of(second, height, left, top + height + gap, rng)


# -- digits written in parts that stand apart --------------------------------------------------
def _boxes_apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The gap (x, y) between two point sets' boxes; 0 where they overlap."""
    return np.maximum(0.0, np.maximum(a.min(axis=0), b.min(axis=0)) - np.minimum(a.max(axis=0), b.max(axis=0)))


def floating_bar(digit: DrawnDigit) -> int | None:
    """The index of a 5's top bar if it is a stroke of its own, flat and above the body."""
    if digit.label != 5 or len(digit.strokes) < 2:
        return None
    height = float(np.ptp(np.concatenate(digit.strokes)[:, 1])) or 1.0
    for index, stroke in enumerate(digit.strokes):
        rest = np.concatenate([s for i, s in enumerate(digit.strokes) if i != index])
        flat = np.ptp(stroke[:, 1]) < 0.25 * height and np.ptp(stroke[:, 0]) > 0.15 * height
        if flat and stroke[:, 1].mean() < rest[:, 1].min() + 0.15 * height:
            return index
    return None


def separate_stem(digit: DrawnDigit) -> int | None:
    """The index of a 4's stem if it is a stroke of its own, to the right of the rest."""
    if digit.label != 4 or len(digit.strokes) != 2:
        return None
    first, second = digit.strokes
    stem = 1 if second[:, 0].mean() > first[:, 0].mean() else 0
    return stem


def pulled_apart(digit: DrawnDigit, part: int, shift: np.ndarray) -> DrawnDigit:
    """The digit with one stroke moved by `shift` times its height: written further apart."""
    height = float(np.ptp(np.concatenate(digit.strokes)[:, 1])) or 1.0
    strokes = [s + shift * height if i == part else s for i, s in enumerate(digit.strokes)]
    return DrawnDigit(digit.label, digit.contributor, strokes)


def apart_variants(digit: DrawnDigit, rng: np.random.Generator) -> tuple[DrawnDigit, DrawnDigit] | None:
    """A digit written in parts: as written, and stretched (bar lifted or stem moved right)."""
    bar = floating_bar(digit)
    if bar is not None:
        return digit, pulled_apart(digit, bar, np.array([0.0, -rng.uniform(0.1, 0.35)]))
    stem = separate_stem(digit)
    if stem is not None:
        return digit, pulled_apart(digit, stem, np.array([rng.uniform(0.05, 0.2), 0.0]))
    return None


# -- things that are no digit ------------------------------------------------------------------
def load_not_digits(path: Path, contributors: set[str] | None) -> list[DrawnDigit]:
    """Letters and symbols (label -1), streamed from the UNIPEN non-digit file."""
    drawings = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if contributors is None or row["contributor"] in contributors:
                strokes = [np.asarray(s, np.float64).reshape(-1, 2) for s in row["strokes"]]
                drawings.append(DrawnDigit(-1, row["contributor"], strokes))
    return drawings


def stray_marks(rng: np.random.Generator) -> list[tuple[str, Strokes]]:
    """A click, a two-pixel wiggle and a scribble, somewhere on the board."""
    x, y = rng.uniform(50, BOARD[0] - 150), rng.uniform(50, BOARD[1] - 150)
    click = [np.array([[x, y]])]
    wiggle = [np.array([[x, y], [x + 1, y + 1], [x + 2, y], [x + 1, y - 1]])]
    turns = rng.integers(6, 14)
    scribble = [np.cumsum(rng.normal(0, 25, (turns * 4, 2)), axis=0) + (x + 50, y + 50)]
    return [("click", click), ("wiggle", wiggle), ("scribble", scribble)]


def with_speck(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """A dot or a dash of a pixel or two just beside the ink (a slip of the mouse)."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    height = float(high[1] - low[1]) or 1.0
    side = rng.integers(4)
    x = high[0] + 0.1 * height if side == 0 else low[0] - 0.1 * height if side == 1 else rng.uniform(low[0], high[0])
    y = rng.uniform(low[1], high[1]) if side < 2 else (low[1] - 0.1 * height if side == 2 else high[1] + 0.1 * height)
    speck = np.array([[x, y]]) if rng.random() < 0.5 else np.array([[x, y], [x + 2, y]])
    return [*strokes, speck]


# -- replay -------------------------------------------------------------------------------------
def replay(cases: list[Case], model: Path) -> list[dict]:
    """Run every case through the real `digitboard replay`, in one process."""
    with tempfile.TemporaryDirectory() as folder:
        path, out = Path(folder) / "sessions.jsonl", Path(folder) / "out.jsonl"
        with open(path, "w") as handle:
            for case in cases:
                strokes = [np.round(s).astype(int).tolist() for s in case.strokes]
                handle.write(json.dumps({"size": list(BOARD), "strokes": strokes}) + "\n")
        command = [sys.executable, "-m", "digitboard", "replay", str(path), "--model", str(model), "--out", str(out)]
        subprocess.run(command, check=True)
        return [json.loads(line) for line in open(out)]


# -- the classic Keras MNIST tutorial's recipe ---------------------------------------------------------------
def seed_inputs(strokes: Strokes) -> list[np.ndarray]:
    """Each stroke on its own: points stamped as radius-4 discs, box +-5 px, squashed to 28x28,
    padded by 10, resized to 28x28 again (the classic tutorial's preprocessing)."""
    images = []
    for stroke in strokes:
        canvas = np.zeros(BOARD[::-1], np.uint8)
        for x, y in np.round(stroke).astype(int):
            cv2.circle(canvas, (int(x), int(y)), 4, 255, -1)
        x0, y0 = np.maximum(np.round(stroke).min(axis=0).astype(int) - 5, 0)
        x1, y1 = np.round(stroke).max(axis=0).astype(int) + 5
        crop = canvas[y0:y1 + 1, x0:x1 + 1]
        image = cv2.resize(crop, (28, 28))
        image = np.pad(image, (10, 10), "constant", constant_values=0)
        image = cv2.resize(image, (28, 28))
        images.append(image.astype(np.float32)[..., None] / 255.0)
    return images


def seed_reading(strokes: Strokes, recognizer) -> str:
    """The seed shows one label per stroke at the stroke's place: read them left to right (a model
    that reads the pen's path gets each stroke's)."""
    from digitboard.recognition.trajectory import trajectories

    paths = trajectories([[stroke] for stroke in strokes])  # (N, 64, 5) float32
    labels = np.asarray(recognizer.predict(np.stack(seed_inputs(strokes)), paths))[:, :DIGIT_CLASSES].argmax(axis=1)
    order = np.argsort([s[:, 0].mean() for s in strokes])
    return "".join(str(labels[i]) for i in order)


# -- report -------------------------------------------------------------------------------------
def share(values: Sequence[bool]) -> str:
    return f"{np.mean(values):7.2%}" if len(values) else "      -"


def by_contributor(cases: list[Case], results: list[dict], test: Callable[[Case, dict], bool]) -> dict[str, list[bool]]:
    table: dict[str, list[bool]] = defaultdict(list)
    for case, result in zip(cases, results):
        table[case.contributor].append(test(case, result))
        table["all"].append(test(case, result))
    return table


def print_rows(title: str, rows: dict[str, dict[str, list[bool]]], contributors: list[str]) -> None:
    print(f"\n{title}")
    print(f"  {'':34}" + "".join(f"{c:>9}" for c in [*contributors, "all"]) + "      n")
    for name, table in rows.items():
        print(f"  {name:34}" + "".join(f"{share(table.get(c, [])):>9}" for c in [*contributors, "all"])
              + f"  {len(table.get('all', [])):5}")


def confident(result: dict) -> bool:
    """Whether the board shows some digit as a confident digit (not unsure)."""
    return any(not digit["unsure"] for digit in result["digits"])


def build_cases(digits: list[DrawnDigit], not_digits: list[DrawnDigit], numbers: int,
                rng: np.random.Generator) -> list[Case]:
    """Every layout of the benchmark, drawn from these writers' digits and non-digits."""
    contributors = sorted({d.contributor for d in digits})
    cases = [Case("isolated", d.contributor, isolated(d, rng), str(d.label), d.label) for d in digits]
    by_writer: dict[str, list[DrawnDigit]] = defaultdict(list)
    for d in digits:
        by_writer[d.contributor].append(d)
    apart: dict[str, list[tuple[DrawnDigit, DrawnDigit]]] = defaultdict(list)
    for d in digits:
        variants = apart_variants(d, rng)
        if variants:
            apart[d.contributor].append(variants)

    def pick(pool: list[DrawnDigit], count: int) -> list[DrawnDigit]:
        return [pool[i] for i in rng.choice(len(pool), count, replace=len(pool) < count)]

    for _ in range(numbers):
        for length in range(2, 6):
            contributor = contributors[rng.integers(len(contributors))]
            chosen = pick(by_writer[contributor], length)
            cases.append(Case(f"number {length}", contributor, number(chosen, rng), "".join(str(d.label) for d in chosen)))
        contributor = contributors[rng.integers(len(contributors))]
        first, second = pick(by_writer[contributor], 4), pick(by_writer[contributor], 4)
        cases.append(Case("two lines", contributor, two_lines(first, second, rng),
                          "".join(str(d.label) for d in first) + " " + "".join(str(d.label) for d in second)))
        with_parts = [c for c in contributors if apart[c]]
        if with_parts:
            contributor = with_parts[rng.integers(len(with_parts))]
            as_written, stretched = apart[contributor][rng.integers(len(apart[contributor]))]
            others = pick(by_writer[contributor], 3)
            place = rng.integers(4)
            for kind, special in (("parts apart, as written", as_written), ("parts apart, stretched", stretched)):
                chosen = [*others[:place], special, *others[place:]]
                cases.append(Case(kind, contributor, number(chosen, rng), "".join(str(d.label) for d in chosen)))

    for drawing in not_digits:
        cases.append(Case("letter or symbol", drawing.contributor, isolated(drawing, rng), ""))
    for _ in range(numbers // 4):
        for kind, strokes in stray_marks(rng):
            cases.append(Case(f"stray {kind}", "-", strokes, ""))
    specked = [Case("speck beside a digit", c.contributor, with_speck(c.strokes, rng), c.truth, c.label)
               for c in (cases[i] for i in rng.choice(len(digits), min(numbers, len(digits)), replace=False))]
    return cases + specked


def fold_plan(folder: Path) -> list[tuple[set[str], Path]]:
    """Each cross-validation fold's held-out institutions and the fold model that never saw them."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from cross_validation import fold_plan as plan

    return plan(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unipen", default=str(default_unipen_path()), help="UNIPEN digits .jsonl.gz")
    parser.add_argument("--not-digits", default=str(NOT_DIGITS), help="UNIPEN letters and symbols .jsonl.gz")
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--contributors", default=",".join(HELD_OUT_CONTRIBUTORS),
                        help="comma-separated institutions, or 'all' (default: those held out from the shipped model)")
    parser.add_argument("--cross-validation", metavar="DIR", type=Path,
                        help="each fold's held-out institutions read by that fold's model, DIR/fold<N>.keras "
                             "(benchmarks/cross_validation.py): every figure from writers the model never saw")
    parser.add_argument("--numbers", type=int, default=400, help="composed numbers per kind (per fold)")
    parser.add_argument("--limit", type=int, help="at most this many isolated digits (per fold)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-seed-recipe", action="store_true", help="skip the classic Keras MNIST tutorial's recipe")
    args = parser.parse_args(argv)

    if args.cross_validation:
        plan = fold_plan(args.cross_validation)
    else:
        plan = [(None if args.contributors == "all" else set(args.contributors.split(",")), Path(args.model))]
    rng = np.random.default_rng(args.seed)
    not_digits_path = Path(args.not_digits)
    if not not_digits_path.is_file():
        print(f"no letters and symbols at {not_digits_path}: that row is skipped")
    cases: list[Case] = []
    models: list[Path] = []  # the model that reads each case
    results: list[dict] = []
    start = time.perf_counter()
    for wanted, model in plan:
        digits = load_unipen(args.unipen, wanted)
        if not digits:
            parser.error(f"no digits of {', '.join(sorted(wanted or ['all']))} in {args.unipen}")
        if args.limit:
            digits = [digits[i] for i in sorted(rng.choice(len(digits), min(args.limit, len(digits)), replace=False))]
        print(f"model {model}; {len(digits)} digits of {', '.join(sorted({d.contributor for d in digits}))}; seed {args.seed}")
        not_digits = load_not_digits(not_digits_path, wanted) if not_digits_path.is_file() else []
        plan_cases = build_cases(digits, not_digits, args.numbers, rng)
        results += replay(plan_cases, model)
        cases += plan_cases
        models += [model] * len(plan_cases)
    contributors = sorted({case.contributor for case in cases if case.contributor != "-"})
    print(f"replayed {len(results)} sessions in {time.perf_counter() - start:.1f} s (model load included)")
    groups: dict[str, list[int]] = defaultdict(list)
    for index, case in enumerate(cases):
        groups[case.kind].append(index)

    def subset(kind: str) -> tuple[list[Case], list[dict]]:
        return [cases[i] for i in groups[kind]], [results[i] for i in groups[kind]]

    iso_cases, iso_results = subset("isolated")
    right = lambda case, result: result["reading"] == case.truth
    summary: dict[str, float] = {}
    rows = {
        "right": by_contributor(iso_cases, iso_results, right),
        "came out as one digit": by_contributor(iso_cases, iso_results, lambda c, r: len(r["digits"]) == 1),
        "real digit marked unsure": by_contributor(
            iso_cases, iso_results, lambda c, r: any(d["unsure"] for d in r["digits"])),
        "read wrong with no unsure mark": by_contributor(
            iso_cases, iso_results, lambda c, r: not right(c, r) and not any(d["unsure"] for d in r["digits"])),
        "right label among the top three": by_contributor(iso_cases, iso_results, lambda c, r: len(r["digits"]) == 1
                                                          and c.label in [a[0] for a in r["digits"][0]["alternatives"]]),
    }
    print_rows(f"isolated digits ({len(iso_cases)})", rows, contributors)
    summary["isolated"] = float(np.mean(rows["right"]["all"]))
    summary["unsure_digits"] = float(np.mean(rows["real digit marked unsure"]["all"]))
    summary["wrong_unmarked"] = float(np.mean(rows["read wrong with no unsure mark"]["all"]))
    print("  per class:", "  ".join(
        f"{label}: {np.mean([right(c, r) for c, r in zip(iso_cases, iso_results) if c.label == label]):.2%}"
        for label in range(10)))
    summary["worst_class"] = min(np.mean([right(c, r) for c, r in zip(iso_cases, iso_results) if c.label == label])
                                 for label in range(10) if any(c.label == label for c in iso_cases))
    print("  confusion (rows: true label; columns: reading, 'x' = not exactly one digit):")
    print("       " + "".join(f"{c:>6}" for c in [*range(10), "x"]))
    for label in range(10):
        counts: dict[str, int] = defaultdict(int)
        for case, result in zip(iso_cases, iso_results):
            if case.label == label:
                counts[result["reading"] if len(result["digits"]) == 1 else "x"] += 1
        print(f"    {label}: " + "".join(f"{counts[str(c)]:>6}" for c in [*range(10), "x"]))

    layout_rows = {}
    for kind in ["number 2", "number 3", "number 4", "number 5", "two lines",
                 "parts apart, as written", "parts apart, stretched", "speck beside a digit"]:
        if groups[kind]:
            kind_cases, kind_results = subset(kind)
            layout_rows[kind] = by_contributor(kind_cases, kind_results, right)
            summary[kind.replace(" ", "_").replace(",", "")] = float(np.mean(layout_rows[kind]["all"]))
    print_rows("read exactly", layout_rows, contributors)

    confident_rows = {}
    for kind in ["letter or symbol", "stray click", "stray wiggle", "stray scribble"]:
        if groups[kind]:
            kind_cases, kind_results = subset(kind)
            confident_rows[kind] = by_contributor(kind_cases, kind_results, lambda c, r: confident(r))
            summary[f"confident_{kind.split()[-1]}"] = float(np.mean(confident_rows[kind]["all"]))
    print_rows("shown as a confident digit (lower is better)", confident_rows, contributors)

    if not args.no_seed_recipe:
        from digitboard.recognition.recognizer import load_recognizer

        recognizers = {model: load_recognizer(model) for model in set(models)}
        seed_rows = {}
        for kind in ["isolated", "number 4"]:
            kind_cases = [cases[i] for i in groups[kind]]
            readings = [seed_reading(cases[i].strokes, recognizers[models[i]]) for i in groups[kind]]
            seed_rows[kind] = by_contributor(kind_cases, readings, lambda c, reading: reading == c.truth)
            summary[f"seed_{kind.replace(' ', '_')}"] = float(np.mean(seed_rows[kind]["all"]))
        print_rows("the classic Keras MNIST tutorial's recipe, same model: read exactly", seed_rows, contributors)
    print("\nsummary " + json.dumps({k: round(v, 4) for k, v in summary.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
