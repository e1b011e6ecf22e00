"""How often the board is right about real handwriting.

Real pen trajectories (UNIPEN, ../shared/data/unipen-dev.jsonl.gz) are put on a 640x480 board as
a mouse user would draw them and replayed through `digitboard replay` (the real board, event loop
and model). Prints accuracy overall, per class, for single- and multi-stroke digits, the share
that came out as exactly one digit, a confusion matrix, exact readings of composed 2- to 5-digit
numbers, and the seed tutorial's recipe on the same digits beside ours.

    python benchmarks/drawn_digits.py                     # writers held out from all tuning
    python benchmarks/drawn_digits.py --contributors all  # every writer
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from digitboard import DEFAULT_MODEL
from digitboard.data import HELD_OUT_CONTRIBUTORS, DrawnDigit, default_unipen_path, load_unipen
from digitboard.drawing import extent, fit_height

BOARD = (640, 480)
HEIGHTS = (90, 260)
MARGIN = 10


def _scaled(digit: DrawnDigit, height: float) -> tuple[list[np.ndarray], np.ndarray]:
    """The digit's strokes scaled to `height` keeping the aspect ratio, top-left at (0, 0)."""
    strokes = fit_height(digit.strokes, height)
    return strokes, extent(strokes)


def isolated_session(digit: DrawnDigit, rng: np.random.Generator) -> list[np.ndarray]:
    """One digit at a random height in 90..260 px, at a random place inside the window."""
    height = rng.uniform(*HEIGHTS)
    strokes, size = _scaled(digit, height)
    if size[0] > BOARD[0] - 2 * MARGIN:  # a very wide scribble: shrink it to fit
        strokes, size = _scaled(digit, height * (BOARD[0] - 2 * MARGIN) / size[0])
    x = rng.uniform(MARGIN, max(MARGIN, BOARD[0] - MARGIN - size[0]))
    y = rng.uniform(MARGIN, max(MARGIN, BOARD[1] - MARGIN - size[1]))
    return [np.round(stroke + (x, y)) for stroke in strokes]


def number_session(digits: list[DrawnDigit], rng: np.random.Generator) -> list[np.ndarray]:
    """Digits side by side, gaps of a quarter to a half of the digit height, fitted in the window."""
    height = rng.uniform(*HEIGHTS)
    gaps = rng.uniform(0.25, 0.5, len(digits) - 1)
    widths = [_scaled(d, 1.0)[1][0] for d in digits]
    total = sum(widths) + gaps.sum()  # in units of the height
    height = min(height, (BOARD[0] - 2 * MARGIN) / total, BOARD[1] - 2 * MARGIN)
    x = rng.uniform(MARGIN, max(MARGIN, BOARD[0] - MARGIN - total * height))
    y = rng.uniform(MARGIN, max(MARGIN, BOARD[1] - MARGIN - height))
    strokes = []
    for index, digit in enumerate(digits):
        scaled, size = _scaled(digit, height)
        strokes += [np.round(stroke + (x, y)) for stroke in scaled]
        x += size[0] + (gaps[index] * height if index < len(gaps) else 0)
    return strokes


def replay(sessions: list[list[np.ndarray]], model: Path) -> list[dict]:
    """Run sessions through the real `digitboard replay` in one process."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sessions.jsonl"
        out = Path(folder) / "out.jsonl"
        with open(path, "w") as handle:
            for strokes in sessions:
                data = {"size": list(BOARD), "strokes": [s.astype(int).tolist() for s in strokes]}
                handle.write(json.dumps(data) + "\n")
        command = [sys.executable, "-m", "digitboard", "replay", str(path), "--model", str(model), "--out", str(out)]
        subprocess.run(command, check=True)
        return [json.loads(line) for line in open(out)]


# -- the seed tutorial's recipe ---------------------------------------------------------------
def seed_inputs(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """Each stroke on its own: points stamped as radius-4 discs, box +-5 px, squashed to 28x28,
    padded by 10, resized to 28x28 again (the seed tutorial's preprocessing)."""
    images = []
    for stroke in strokes:
        canvas = np.zeros(BOARD[::-1], np.uint8)
        for x, y in stroke.astype(int):
            cv2.circle(canvas, (int(x), int(y)), 4, 255, -1)
        x0, y0 = np.maximum(stroke.min(axis=0).astype(int) - 5, 0)
        x1, y1 = stroke.max(axis=0).astype(int) + 5
        crop = canvas[y0:y1 + 1, x0:x1 + 1]
        image = cv2.resize(crop, (28, 28))
        image = np.pad(image, (10, 10), "constant", constant_values=0)
        image = cv2.resize(image, (28, 28))
        images.append(image.astype(np.float32)[..., None] / 255.0)
    return images


def seed_readings(sessions: list[list[np.ndarray]], recognizer) -> list[str]:
    readings = []
    for strokes in sessions:
        inputs = np.stack(seed_inputs(strokes))
        # The seed shows one label per stroke, at the stroke's place: read them left to right.
        order = np.argsort([s[:, 0].mean() for s in strokes])
        labels = recognizer.predict(inputs).argmax(axis=1)
        readings.append("".join(str(labels[i]) for i in order))
    return readings


# -- report -----------------------------------------------------------------------------------
def report_isolated(digits: list[DrawnDigit], results: list[dict], seed: list[str]) -> dict:
    right = np.array([r["reading"] == str(d.label) for d, r in zip(digits, results)])
    one = np.array([len(r["digits"]) == 1 for r in results])
    seed_right = np.array([s == str(d.label) for d, s in zip(digits, seed)])
    multi = np.array([len(d.strokes) > 1 for d in digits])
    labels = np.array([d.label for d in digits])
    print(f"\nisolated digits: {len(digits)}")
    print(f"  {'':28}{'ours':>9}{'seed':>9}")
    print(f"  {'right, all':28}{right.mean():>9.2%}{seed_right.mean():>9.2%}   ratio {right.mean() / max(seed_right.mean(), 1e-9):.2f}x")
    print(f"  {'right, single-stroke':28}{right[~multi].mean():>9.2%}{seed_right[~multi].mean():>9.2%}   ({(~multi).sum()} digits)")
    if multi.any():
        print(f"  {'right, multi-stroke':28}{right[multi].mean():>9.2%}{seed_right[multi].mean():>9.2%}   ({multi.sum()} digits)")
    print(f"  {'came out as one digit':28}{one.mean():>9.2%}")
    print("  per class (ours / seed):")
    per_class = {}
    for label in range(10):
        mask = labels == label
        if mask.any():
            per_class[label] = float(right[mask].mean())
            print(f"    {label}: {right[mask].mean():7.2%} / {seed_right[mask].mean():7.2%}   ({mask.sum()})")
    print("  confusion (rows: true label; columns: reading, 'x' = not exactly one digit):")
    print("       " + "".join(f"{c:>6}" for c in [*range(10), "x"]))
    for label in range(10):
        counts = defaultdict(int)
        for d, r in zip(digits, results):
            if d.label == label:
                counts[r["reading"] if len(r["digits"]) == 1 else "x"] += 1
        print(f"    {label}: " + "".join(f"{counts[str(c)] if c != 'x' else counts['x']:>6}" for c in [*range(10), "x"]))
    return {"accuracy": float(right.mean()), "seed": float(seed_right.mean()), "one_digit": float(one.mean()),
            "worst_class": min(per_class.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unipen", default=str(default_unipen_path()), help="UNIPEN .jsonl.gz")
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--contributors", default=",".join(HELD_OUT_CONTRIBUTORS),
                        help="comma-separated contributors, or 'all' (default: the held-out writers)")
    parser.add_argument("--numbers", type=int, default=400, help="composed numbers per length (2 to 5 digits)")
    parser.add_argument("--limit", type=int, help="at most this many isolated digits")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    wanted = None if args.contributors == "all" else args.contributors.split(",")
    digits = load_unipen(args.unipen, wanted)
    if not digits:
        parser.error(f"no digits of {args.contributors} in {args.unipen}")
    rng = np.random.default_rng(args.seed)
    if args.limit:
        digits = [digits[i] for i in sorted(rng.choice(len(digits), min(args.limit, len(digits)), replace=False))]
    print(f"model {args.model}; {len(digits)} digits of {args.contributors} from {args.unipen}; seed {args.seed}")

    sessions = [isolated_session(d, rng) for d in digits]
    numbers, truths = [], []
    by_writer = defaultdict(list)
    for d in digits:
        by_writer[d.contributor].append(d)
    writers = sorted(w for w in by_writer if len(by_writer[w]) >= 5)
    for length in range(2, 6):
        for _ in range(args.numbers):
            pool = by_writer[writers[rng.integers(len(writers))]]
            chosen = [pool[i] for i in rng.choice(len(pool), length, replace=False)]
            numbers.append(number_session(chosen, rng))
            truths.append("".join(str(d.label) for d in chosen))

    start = time.perf_counter()
    results = replay(sessions + numbers, Path(args.model))
    seconds = time.perf_counter() - start
    print(f"replayed {len(results)} sessions in {seconds:.1f} s ({len(results) / seconds:.0f} sessions/s, model load included)")
    from digitboard.recognizer import load_recognizer

    recognizer = load_recognizer(args.model)
    summary = report_isolated(digits, results[:len(sessions)], seed_readings(sessions, recognizer))

    number_results = results[len(sessions):]
    seed_numbers = seed_readings(numbers, recognizer)
    print("\ncomposed numbers, read exactly (ours / seed):")
    for length in range(2, 6):
        rows = [i for i, t in enumerate(truths) if len(t) == length]
        ours = np.mean([number_results[i]["reading"] == truths[i] for i in rows])
        seed = np.mean([seed_numbers[i] == truths[i] for i in rows])
        summary[f"numbers_{length}"] = float(ours)
        print(f"  {length} digits: {ours:7.2%} / {seed:7.2%}   ({len(rows)} numbers)")
    print("\nsummary " + json.dumps({k: round(v, 4) for k, v in summary.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
