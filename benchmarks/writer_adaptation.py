"""Writer adaptation: does correcting a digit make the board read that writer's next ones right?

Most UNIPEN files hold one writer (the file is the writer id here). For each writer, their digits
are drawn in writing order on one big board, each at a free place at a random height of 90 to
260 px; a simulated user corrects every digit the board reads wrong, and only those, with a
correction action at the digit's box. The sessions this makes (one per writer) are then run
through `digitboard replay` twice, with learning and with `--no-learning`, and every figure is
read from replay's output: errors, how often learning turned a right answer wrong, accuracy after
a writer's first 1 / 5 / 10 / 20 corrections, and whether the right label is among the three
alternatives.

    python benchmarks/writer_adaptation.py                  # all folds, the shipped model
    python benchmarks/writer_adaptation.py --tune           # choose LearningConfig on the tuning writers
    python benchmarks/writer_adaptation.py --timing         # recognition time with 5,000 examples
    python benchmarks/writer_adaptation.py --store          # loading a profile of 10,000 examples
    python benchmarks/writer_adaptation.py --scaling 2500,10000,20000,40000   # replay with learning, linear?
    python benchmarks/writer_adaptation.py --accident       # one accidental correction, taken back

The shipped model was trained on the writers of syn, apa, apb and art (cross-validation folds 1
and 2); only fold 3 (ced, gmd, imp) is writers it never saw. The learning rule's numbers were
chosen with --tune on syn, apa, apb and art alone.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cross_validation import FOLDS, fold_plan  # noqa: E402  (benchmarks/ is not a package)

from digitboard import DEFAULT_MODEL  # noqa: E402
from digitboard.core.actions import Correct, Stroke  # noqa: E402
from digitboard.core.acceptance import safe_to_learn  # noqa: E402
from digitboard.core.board import Board  # noqa: E402
from digitboard.core.digits import Prediction  # noqa: E402
from digitboard.core.drawing import extent, fit_height, to_actions  # noqa: E402
from digitboard.profile.evidence import adjust, one_hot, personal_evidence, unit_rows  # noqa: E402
from digitboard.profile.examples import LearningConfig  # noqa: E402
from digitboard.profile.learner import PersonalRecognizer  # noqa: E402
from digitboard.recognition.classes import DIGIT_CLASSES  # noqa: E402
from digitboard.recognition.preprocess import digit_image  # noqa: E402
from digitboard.recognition.recognizer import load_recognizer  # noqa: E402
from digitboard.recognition.trajectory import trajectories, trajectory  # noqa: E402
from digitboard.sessions.format import Session  # noqa: E402
from digitboard.training.data import default_unipen_path  # noqa: E402

TUNING_WRITERS = ("syn", "apa", "apb", "art")  # the shipped model trained on these institutions
HEIGHTS = (90, 260)
CELL = (640, 600)  # a digit's place on the board: more than two digit heights apart, so none join
# Digits a line of writing. A digit let stand is learned once its writer starts the line below
# (digitboard.core.board), so the line's length decides how soon: ten, as on a wide window.
COLUMNS = 10
AFTER_CORRECTIONS = (1, 5, 10, 20)
LATER_THAN = 10  # a writer's "later digits": after their first ten, about one of each digit
MODES = {"learning": LearningConfig(), "corrections only": LearningConfig(accepted_per_label=0)}


@dataclass(frozen=True)
class WriterDigit:
    label: int
    contributor: str
    writer: str  # the UNIPEN file
    strokes: list[np.ndarray]


def load_writers(path: Path) -> dict[str, list[WriterDigit]]:
    """Each writer's digits in writing order (the file's order), writers in file order."""
    writers: dict[str, list[WriterDigit]] = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            strokes = [np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in row["strokes"]]
            writers[row["file"]].append(WriterDigit(int(row["label"]), row["contributor"], row["file"], strokes))
    return dict(writers)


def placed(digit: WriterDigit, index: int, rng: np.random.Generator) -> list[Stroke]:
    """The digit as stroke actions in its own cell of the big board, whole pixels as a mouse gives."""
    height = rng.uniform(*HEIGHTS)
    width = extent(fit_height(digit.strokes, height))[0]
    if width > CELL[0] - 40:  # a very wide scribble: shrink it to fit its cell
        height *= (CELL[0] - 40) / width
    row, column = divmod(index, COLUMNS)
    return to_actions(fit_height(digit.strokes, height, (column * CELL[0] + 20, row * CELL[1] + 20)))


def writer_session(digits: list[WriterDigit], recognizer, config: LearningConfig, seed: int) -> Session:
    """Draw a writer's digits on a learning board, correcting each one it reads wrong."""
    personal = PersonalRecognizer(recognizer, config=config)
    board = Board(personal, personal)
    rng = np.random.default_rng(seed)
    actions = []
    for index, digit in enumerate(digits):
        strokes = placed(digit, index, rng)
        for action in strokes:
            board.apply(action)
        actions += strokes
        board.classify_pending()
        # The board's digit holding the drawing's first stroke: a drawing the board splits in two
        # (rare) is read as that part, here and in read_result alike.
        first = board.stroke_count - len(strokes)
        drawn = next(d for d in reversed(board.digits) if first in d.stroke_ids)
        if drawn.label != digit.label:
            x, y, w, h = drawn.box
            correction = Correct((x + w / 2, y + h / 2), digit.label)
            board.apply(correction)
            actions.append(correction)
    columns = min(COLUMNS, len(digits))
    size = (columns * CELL[0], (len(digits) - 1) // COLUMNS * CELL[1] + CELL[1])
    return Session(size, actions, digits[0].writer)


def replay_cli(sessions_path: Path, model: Path, out: Path, *options: str) -> list[dict]:
    """`digitboard replay` in its own process, as a user runs it."""
    command = [sys.executable, "-m", "digitboard", "replay", str(sessions_path), "--model", str(model),
               "--out", str(out), *options]
    subprocess.run(command, check=True)
    return [json.loads(line) for line in out.read_text().splitlines()]


@dataclass
class WriterResult:
    writer: str
    contributor: str
    truth: list[int]
    base: list[int]  # the model's label for each digit, in writing order
    learned: list[int]  # the label with learning (before the user corrects it)
    corrections_only: list[int]  # the same, learning only from corrections (--corrections-only)
    top3: list[bool]  # with learning: the right label among the three alternatives
    corrections: list[int]  # indices of the digits corrected (with learning)


def read_result(state: dict, digits: list[WriterDigit]) -> tuple[list[int], list[bool]]:
    """Each digit's predicted label (its first alternative: the model's, also for a corrected digit)
    and whether the truth is among its alternatives, in writing order."""
    holding = {stroke: digit for digit in state["digits"] for stroke in digit["strokes"]}
    firsts = np.cumsum([0] + [len(d.strokes) for d in digits[:-1]])
    ordered = [holding[int(first)] for first in firsts]
    labels = [d["alternatives"][0][0] for d in ordered]
    top3 = [truth.label in [label for label, _ in d["alternatives"]] for d, truth in zip(ordered, digits)]
    return labels, top3


def percent(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.2f}%" if denominator else "-"


def errors(results: list[WriterResult], reading: str, first: int = 0) -> int:
    """Errors of one reading ("base", "learned", "corrections_only") on each writer's digits from `first` on."""
    return sum(label != truth for r in results for label, truth in list(zip(getattr(r, reading), r.truth))[first:])


def report(results: list[WriterResult], title: str) -> None:
    """One table: errors with and without learning, overall, on later digits and after the first
    k corrections."""
    digits = sum(len(r.truth) for r in results)
    base_errors, learned_errors = errors(results, "base"), errors(results, "learned")
    only_errors = errors(results, "corrections_only")
    broken = sum(b == t != le for r in results for b, le, t in zip(r.base, r.learned, r.truth))
    fixed = sum(le == t != b for r in results for b, le, t in zip(r.base, r.learned, r.truth))
    only_broken = sum(b == t != c for r in results for b, c, t in zip(r.base, r.corrections_only, r.truth))
    top3 = sum(sum(r.top3) for r in results)
    drops = [100 * (sum(b == t for b, t in zip(r.base, r.truth)) - sum(le == t for le, t in zip(r.learned, r.truth)))
             / len(r.truth) for r in results]
    worst = max(range(len(results)), key=lambda i: drops[i])
    later = sum(max(0, len(r.truth) - LATER_THAN) for r in results)
    later_base, later_learned = errors(results, "base", LATER_THAN), errors(results, "learned", LATER_THAN)
    print(f"\n{title}: {len(results)} writers, {digits:,} digits")
    print(f"  errors without learning {base_errors} ({percent(base_errors, digits)}), with learning "
          f"{learned_errors} ({percent(learned_errors, digits)}): {fixed} fixed, {broken} right answers turned wrong")
    print(f"  learning from corrections only: {only_errors} errors ({percent(only_errors, digits)}), "
          f"{only_broken} right answers turned wrong")
    print(f"  a writer's later digits (after their first {LATER_THAN}): {later:,} digits, errors without learning "
          f"{later_base} ({percent(later_base, later)}), with learning {later_learned} ({percent(later_learned, later)})")
    print(f"  right label among the three alternatives (with learning): {percent(top3, digits)}")
    print(f"  largest fall of one writer's accuracy: {max(drops):.2f} points ({results[worst].writer}); "
          f"writers whose accuracy fell: {sum(d > 0 for d in drops)}")
    print("  | digits after a writer's k-th correction | writers | digits | errors without | errors with |")
    print("  | --- | --- | --- | --- | --- |")
    for k in AFTER_CORRECTIONS:
        reached = [r for r in results if len(r.corrections) >= k]
        after = [(r, i) for r in reached for i in range(r.corrections[k - 1] + 1, len(r.truth))]
        without = sum(r.base[i] != r.truth[i] for r, i in after)
        with_learning = sum(r.learned[i] != r.truth[i] for r, i in after)
        print(f"  | k = {k} | {len(reached)} | {len(after):,} | {without} ({percent(without, len(after))}) "
              f"| {with_learning} ({percent(with_learning, len(after))}) |")


def per_writer_table(results: list[WriterResult]) -> None:
    print("\n| writer | institution | digits | corrections | errors without | errors with | fixed | turned wrong |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        base = sum(b != t for b, t in zip(r.base, r.truth))
        learned = sum(le != t for le, t in zip(r.learned, r.truth))
        if base == 0 and learned == 0:
            continue
        fixed = sum(le == t != b for b, le, t in zip(r.base, r.learned, r.truth))
        broken = sum(b == t != le for b, le, t in zip(r.base, r.learned, r.truth))
        print(f"| {r.writer.split('/')[-1]} | {r.contributor} | {len(r.truth)} | {len(r.corrections)} | {base} "
              f"| {learned} | {fixed} | {broken} |")
    print("(writers without an error either way are left out)")


def write_sessions(sessions: list[Session], path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for session in sessions:
            handle.write(json.dumps(session.to_json()) + "\n")
    return path


def run_fold(writers: dict[str, list[WriterDigit]], model: Path, seeds: dict[str, int], keep: Path | None) -> list[WriterResult]:
    """The writers' sessions made on a learning board (and on one learning from corrections only)
    with `model`, replayed by `digitboard replay` with learning, from corrections only, and without."""
    recognizer = load_recognizer(model)
    start = time.perf_counter()
    made = {mode: [writer_session(digits, recognizer, config, seeds[w]) for w, digits in writers.items()]
            for mode, config in MODES.items()}
    print(f"{model}: {len(writers)} writer sessions, {sum(len(d) for d in writers.values()):,} digits, "
          f"{sum(isinstance(a, Correct) for s in made['learning'] for a in s.actions)} corrections, "
          f"made in {time.perf_counter() - start:.0f} s", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        paths = {mode: write_sessions(sessions, Path(folder) / f"sessions, {mode}.jsonl") for mode, sessions in made.items()}
        if keep is not None:
            write_sessions(made["learning"], keep)
        start = time.perf_counter()
        learning = replay_cli(paths["learning"], model, Path(folder) / "learning.jsonl")
        only = replay_cli(paths["corrections only"], model, Path(folder) / "only.jsonl", "--corrections-only")
        without = replay_cli(paths["learning"], model, Path(folder) / "without.jsonl", "--no-learning")
        print(f"`digitboard replay` of the sessions, with learning, from corrections only and without: "
              f"{time.perf_counter() - start:.0f} s", flush=True)
    results = []
    for (writer, digits), session, with_state, only_state, base_state in zip(
            writers.items(), made["learning"], learning, only, without):
        learned, top3 = read_result(with_state, digits)
        base, _ = read_result(base_state, digits)
        corrections_only, _ = read_result(only_state, digits)
        # The user corrected exactly the digits the learning board read wrong.
        corrected = [i for i, (label, d) in enumerate(zip(learned, digits)) if label != d.label]
        results.append(WriterResult(writer, digits[0].contributor, [d.label for d in digits], base, learned,
                                    corrections_only, top3, corrected))
        corrections = sum(isinstance(action, Correct) for action in session.actions)
        assert corrections == len(corrected), f"{writer}: replay reads otherwise than the board that made the session"
    return results


def run_benchmark(args: argparse.Namespace) -> int:
    writers = load_writers(args.unipen)
    seeds = {writer: seed for seed, writer in enumerate(writers)}  # a writer's placement, whatever is chosen
    if args.cross_validation:
        plan = fold_plan(args.cross_validation)
    else:
        contributors = {c for fold in FOLDS for c in fold} if args.contributors == "all" else set(args.contributors.split(","))
        plan = [(contributors, args.model)]
    print(f"learning rule: {LearningConfig()}; later digits: after a writer's first {LATER_THAN}")
    results: list[WriterResult] = []
    for contributors, model in plan:
        chosen = {w: digits for w, digits in writers.items() if digits[0].contributor in contributors}
        keep = Path(args.sessions_out) if args.sessions_out and len(plan) == 1 else None
        results += run_fold(chosen, Path(model), seeds, keep)
    for number, fold in enumerate(FOLDS, 1):
        in_fold = [r for r in results if r.contributor in fold]
        if in_fold:
            model = next(m for c, m in plan if set(fold) & c)
            # The shipped model trains on every development writer; a fold model on none of its fold's.
            seen = ("writers the shipped model trained on" if Path(model) == DEFAULT_MODEL
                    else f"read by {Path(model).name}, which never saw them")
            report(in_fold, f"fold {number} ({', '.join(fold)}): {seen}")
    if len(plan) > 1:
        report(results, "all folds, each read by the fold model that never saw it")
    per_writer_table(results)
    return 0


# -- choosing the rule's numbers: each fold's on the other folds, from embeddings, no board needed --
FLOORS = (0.75, 0.8, 0.85, 0.9)
STRENGTHS = (8.0, 12.0, 16.0, 24.0, 32.0)


def simulate(stream: tuple[np.ndarray, np.ndarray, np.ndarray], config: LearningConfig,
             corrects: float = 1.0, rng: np.random.Generator | None = None) -> tuple[int, int, int]:
    """One writer's digits read in writing order by the rule: a digit read wrong is corrected (each
    with chance `corrects`), a digit not corrected whose reading is safe to learn from
    (digitboard.core.acceptance.safe_to_learn) is let stand, with the board's reading, right or wrong;
    (errors without, errors with, turned wrong). Lines are not modelled: a digit let stand teaches
    the next one at once, where the board waits for the line below."""
    embeddings, probabilities, labels = stream
    examples: list[int] = []  # indices of the digits that are examples, oldest first
    example_labels = labels.copy()  # a digit let stand keeps the board's reading, even a wrong one
    stood = np.zeros(len(labels), bool)  # which examples were let stand rather than corrected
    base = learned = broken = 0
    for i, (p, truth) in enumerate(zip(probabilities, labels)):
        was_right = int(np.argmax(p[:DIGIT_CLASSES])) == truth
        if examples:
            evidence = personal_evidence(embeddings[i:i + 1], embeddings[examples], one_hot(example_labels[examples]),
                                         config.similarity_floor)
            p = adjust(p[None], evidence, config.strength)[0]
        read = int(np.argmax(p[:DIGIT_CLASSES]))
        base += not was_right
        learned += read != truth
        broken += was_right and read != truth
        if read != truth and (corrects >= 1 or (rng is not None and rng.random() < corrects)):
            examples.append(i)  # the user corrects it
        elif config.accepted_per_label and safe_to_learn(Prediction.from_probabilities(p)):  # let stand
            examples.append(i)
            stood[i], example_labels[i] = True, read
            same = [j for j in examples if stood[j] and example_labels[j] == read]
            for j in same[:max(0, len(same) - config.accepted_per_label)]:  # the oldest beyond the cap go
                examples.remove(j)
    return base, learned, broken


def tune(args: argparse.Namespace) -> int:
    """For a grid of floors and strengths, simulate every fold's writers read by the fold model
    that never saw them; choose each fold's numbers on the other folds (fewest errors, a right
    answer turned wrong counting twice) and report the fold with them."""
    writers = load_writers(args.unipen)
    seeds = {writer: seed for seed, writer in enumerate(writers)}
    folds = []
    for contributors, model in fold_plan(args.cross_validation):
        recognizer = load_recognizer(model)
        streams = []
        for writer, digits in writers.items():
            if digits[0].contributor not in contributors:
                continue
            rng = np.random.default_rng(seeds[writer])  # the same placement as the benchmark's sessions
            drawn = [[np.asarray(a.points) for a in placed(d, i, rng)] for i, d in enumerate(digits)]
            images = np.stack([digit_image(strokes) for strokes in drawn])[..., None]
            embeddings, probabilities = recognizer.embed_and_predict(images, trajectories(drawn))
            streams.append((unit_rows(embeddings), np.asarray(probabilities, np.float64), np.array([d.label for d in digits])))
        folds.append(streams)
        print(f"{model}: {len(streams)} writers, {sum(len(s[2]) for s in streams):,} digits", flush=True)
    grid = {(floor, strength): [np.sum([simulate(stream, LearningConfig(floor, strength)) for stream in streams], axis=0)
                                for streams in folds]
            for floor in FLOORS for strength in STRENGTHS}
    print("| floor | strength | " + " | ".join(f"fold {k}: errors without / with, turned wrong" for k in range(1, len(folds) + 1))
          + " |")
    print("| --- | --- | " + " | ".join("---" for _ in folds) + " |")
    for (floor, strength), counts in grid.items():
        print(f"| {floor} | {strength:g} | " + " | ".join(f"{b} / {w}, {x}" for b, w, x in counts) + " |")
    total = np.zeros(3, int)
    for held in range(len(folds)):
        score = lambda key: sum(grid[key][k][1] + 2 * grid[key][k][2] for k in range(len(folds)) if k != held)
        chosen = min(grid, key=lambda key: (score(key), -key[0], key[1]))  # ties: the stricter floor, the gentler pull
        total += grid[chosen][held]
        base, with_learning, broken = grid[chosen][held]
        print(f"fold {held + 1}: chosen on the other folds {chosen}: errors {base} -> {with_learning}, turned wrong {broken}")
    print(f"all folds, each with the numbers chosen on the others: errors {total[0]} -> {total[1]}, turned wrong {total[2]}")
    config = LearningConfig()
    print(f"with {config}, a user who corrects only some of the errors (the rest are let stand, misread):")
    for share in (1.0, 0.5, 0.0):
        rng = np.random.default_rng(0)
        counts = np.sum([simulate(stream, config, share, rng) for streams in folds for stream in streams], axis=0)
        only = np.sum([simulate(stream, LearningConfig(accepted_per_label=0), share, rng)
                       for streams in folds for stream in streams], axis=0)
        print(f"  corrects {share:.0%}: errors {counts[0]} -> {counts[1]}, turned wrong {counts[2]}; "
              f"learning from corrections only: -> {only[1]}, turned wrong {only[2]}")
    return 0


# -- speed ---------------------------------------------------------------------------------------
def timing(args: argparse.Namespace) -> int:
    """Strokes to label for one digit at a time, with 0 and with `--timing-examples` personal
    examples; the two are timed digit by digit in turn, so both see the same load on a shared machine."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the board's one thread
    digits = [d for ds in load_writers(args.unipen).values() for d in ds]
    count = args.timing_examples
    picks = np.random.default_rng(0).choice(len(digits), count + args.timing_digits, replace=False)
    recognizer = load_recognizer(args.model)
    with_examples = PersonalRecognizer(recognizer, config=LearningConfig(corrected_per_label=count))
    for index in picks[:count]:
        strokes = digits[index].strokes
        with_examples.learn(digit_image(strokes), strokes, digits[index].label)
    recognizers = {0: PersonalRecognizer(recognizer), count: with_examples}
    times: dict[int, list[float]] = {0: [], count: []}
    cpu_times: dict[int, list[float]] = {0: [], count: []}
    for round_number in range(args.timing_rounds):
        for index in picks[count:]:
            strokes = digits[index].strokes
            for examples in (0, count) if round_number % 2 == 0 else (count, 0):
                start, start_cpu = time.perf_counter(), time.thread_time()
                image = digit_image(strokes)[None, ..., None]  # (1, 28, 28, 1) float32
                label = int(np.argmax(recognizers[examples].predict(image, trajectory(strokes)[None])[0, :DIGIT_CLASSES]))
                times[examples].append((time.perf_counter() - start) * 1000)
                cpu_times[examples].append((time.thread_time() - start_cpu) * 1000)
                assert 0 <= label <= 9
    last = digits[picks[-1]].strokes
    image, path = digit_image(last)[None, ..., None], trajectory(last)[None]
    embeddings, probabilities = recognizer.embed_and_predict(image, path)
    adjusting, explaining, adjusting_cpu = [], [], []
    for _ in range(2000):  # the learning step alone: similarities to the examples and the shift
        start, start_cpu = time.perf_counter(), time.thread_time()
        with_examples.adjust(embeddings, probabilities)
        adjusting.append((time.perf_counter() - start) * 1000)
        adjusting_cpu.append((time.thread_time() - start_cpu) * 1000)
    for _ in range(500):  # and with the reasons the board shows (the model run included)
        start = time.perf_counter()
        with_examples.predict_explained(image, path)
        explaining.append((time.perf_counter() - start) * 1000)
    print(f"strokes to label, one digit a call, {len(times[0]):,} calls each, one core; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:")
    print("| personal examples | median ms per digit | p90 ms | p99 ms | median CPU ms |")
    print("| --- | --- | --- | --- | --- |")
    for examples, values in times.items():
        values.sort()
        print(f"| {examples:,} | {statistics.median(values):.3f} | {values[int(0.9 * len(values))]:.3f} "
              f"| {values[int(0.99 * len(values))]:.3f} | {statistics.median(cpu_times[examples]):.3f} |")
    print(f"of which the learning step with {count:,} examples (similarities and shift), median: "
          f"{statistics.median(adjusting):.3f} ms ({statistics.median(adjusting_cpu):.3f} ms CPU); the model run "
          f"and the learning step with the reasons the board shows, median: {statistics.median(explaining):.3f} ms")
    return 0


def store_timing(args: argparse.Namespace) -> int:
    """Loading a profile of `--store-examples` examples (with the shipped model's embeddings), as
    the window's loading thread does; and its identity, which the window reads before it opens."""
    from digitboard.profile.examples import Example
    from digitboard.profile.store import Profile

    digits = [d for ds in load_writers(args.unipen).values() for d in ds]
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        profile = Profile(Path(folder) / "profile.sqlite")
        start = time.perf_counter()
        examples = []
        for index in range(args.store_examples):
            digit = digits[index % len(digits)]
            embedding = unit_rows(rng.normal(size=256)).astype(np.float32)
            examples.append(Example(digit.label, digit.strokes, embedding=embedding, model="benchmark",
                                    accepted=bool(index % 2)))
        profile.merge(examples)
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{args.store_examples:,} examples written in one transaction: {time.perf_counter() - start:.2f} s; "
              f"file {os.path.getsize(profile.target) / 2**20:.1f} MiB (+ WAL "
              f"{os.path.getsize(str(profile.target) + '-wal') / 2**20:.1f} MiB)")
        profile.close()
        loads, identities, cpu = [], [], []
        for _ in range(5):
            start, start_cpu = time.perf_counter(), time.process_time()
            loaded = Profile(profile.path).examples()
            loads.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            start = time.perf_counter()
            Profile(profile.path).identity()
            identities.append((time.perf_counter() - start) * 1000)
        assert len(loaded) == args.store_examples
        print(f"loading {len(loaded):,} examples (strokes and embeddings, no model run): median "
              f"{statistics.median(loads):.0f} ms of 5 (min {min(loads):.0f}, max {max(loads):.0f}; CPU time median "
              f"{statistics.median(cpu):.0f} ms); "
              f"their identity (ids and digest): median {statistics.median(identities):.1f} ms")
        start = time.perf_counter()
        profile = Profile(profile.path)
        for example in examples[:200]:
            profile.forget(example)
            profile.remember(example)
        each = (time.perf_counter() - start) / 400 * 1000
        print(f"one change (an example kept or forgotten, one transaction): {each:.2f} ms on average over 400")
    return 0


def scaling(args: argparse.Namespace) -> int:
    """Replay with learning of sessions of growing length (a writer's digits over and over, a
    correction every tenth digit): time per digit must stay flat for replay to stay linear."""
    from digitboard.sessions.replay import replay_session

    digits = [d for ds in load_writers(args.unipen).values() for d in ds]
    recognizer = load_recognizer(args.model)
    rng = np.random.default_rng(0)
    sizes = [int(size) for size in args.scaling.split(",")]
    print(f"replay with learning, a correction every 10th digit ({LearningConfig()}):")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; CPU time is the figure to compare "
          "on a shared machine")
    print("| digits | corrections | seconds | CPU seconds | CPU ms per digit | examples in use at the end |")
    print("| --- | --- | --- | --- | --- | --- |")
    seconds = {}
    for size in sizes:
        actions: list = []
        corrections = 0
        for index in range(size):
            digit = digits[index % len(digits)]
            strokes = placed(digit, index, rng)
            actions += strokes
            if index % 10 == 9:
                points = np.concatenate([np.asarray(stroke.points) for stroke in strokes])
                middle = (points.min(axis=0) + points.max(axis=0)) / 2
                actions.append(Correct((float(middle[0]), float(middle[1])), (digit.label + index // 10) % 10))
                corrections += 1
        rows = (size - 1) // COLUMNS + 1
        session = Session((COLUMNS * CELL[0], rows * CELL[1]), actions, f"{size} digits")
        from digitboard.profile.learner import PersonalRecognizer as Learner

        learner = Learner(recognizer)
        start, start_cpu = time.perf_counter(), time.process_time()
        state = replay_session(session, recognizer, learner=learner)
        wall, seconds[size] = time.perf_counter() - start, time.process_time() - start_cpu
        assert len(state["digits"]) >= size * 0.99
        print(f"| {size:,} | {corrections:,} | {wall:.1f} | {seconds[size]:.1f} | {1000 * seconds[size] / size:.3f} "
              f"| {len(learner.examples):,} |", flush=True)
    for small, large in itertools.pairwise(sizes):
        print(f"{large:,} digits took {seconds[large] / seconds[small]:.2f}x the CPU time of {small:,} "
              f"({large / small:.1f}x the digits)")
    return 0


def accident(args: argparse.Namespace) -> int:
    """One accidental correction, taken back: for each writer with enough ones, their first one is
    corrected to 7 by mistake, the next ones the board then reads as 7 are let stand (up to
    `--let-stand`) before the user notices and corrects one back; every later error is corrected as
    usual. Counted after that counter-correction: the writer's ones still read 7, and their other
    digits read otherwise than by a board that never had the accident."""
    recognizer = load_recognizer(args.model)
    writers = load_writers(args.unipen)
    rng_seed = 0
    ones_after = ones_wrong = others = others_changed = writers_used = stood_total = 0
    for digits in writers.values():
        if sum(d.label == 1 for d in digits) < 4:
            continue
        writers_used += 1
        boards = {}
        for name in ("accident", "clean"):
            personal = PersonalRecognizer(recognizer)
            boards[name] = (Board(personal, personal), np.random.default_rng(rng_seed))
        rng_seed += 1
        accidental, stood, countered_at = False, 0, None
        for index, digit in enumerate(digits):
            labels = {}
            for name, (board, rng) in boards.items():
                strokes = placed(digit, index, rng)
                for action in strokes:
                    board.apply(action)
                board.classify_pending()
                first = board.stroke_count - len(strokes)
                drawn = next(d for d in reversed(board.digits) if first in d.stroke_ids)
                labels[name] = drawn.label
                at = board.point_of(drawn)
                if name == "accident" and digit.label == 1 and not accidental:
                    board.apply(Correct(at, 7))  # the slip: a one "corrected" to seven
                    accidental = True
                elif name == "accident" and accidental and countered_at is None and drawn.label != digit.label:
                    if digit.label == 1 and drawn.label == 7 and stood < args.let_stand:
                        stood += 1  # not noticed yet: let stand
                    else:
                        board.apply(Correct(at, digit.label))  # noticed: corrected back
                        countered_at = index
                elif drawn.label != digit.label:
                    board.apply(Correct(at, digit.label))
            if countered_at is not None and index > countered_at:
                if digit.label == 1:
                    ones_after += 1
                    ones_wrong += labels["accident"] != 1
                else:
                    others += 1
                    others_changed += labels["accident"] != labels["clean"]
        stood_total += stood
    print(f"one accidental correction (a one to 7), up to {args.let_stand} misread ones let stand, then one "
          f"counter-correction; {writers_used} writers with 4 ones or more, {stood_total} ones let stand as 7 in all:")
    print(f"  after the counter-correction: the writers' ones misread: {ones_wrong} of {ones_after} "
          f"({percent(ones_wrong, ones_after)}); their other digits read otherwise than on a board without the "
          f"accident: {others_changed} of {others} ({percent(others_changed, others)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--unipen", type=Path, default=default_unipen_path())
    parser.add_argument("--contributors", default="all", help="comma-separated institutions, or all")
    parser.add_argument("--sessions-out", help="keep the writer sessions (JSON lines) for `digitboard replay`")
    parser.add_argument("--cross-validation", metavar="DIR", type=Path,
                        help="every fold's writers, read by the fold model of DIR that never saw them "
                             "(benchmarks/cross_validation.py); --tune needs it")
    parser.add_argument("--tune", action="store_true", help="choose the learning rule's numbers fold by fold")
    parser.add_argument("--timing", action="store_true", help="time recognition with 0 and --timing-examples examples")
    parser.add_argument("--timing-examples", type=int, default=5000, help="personal examples (--timing)")
    parser.add_argument("--timing-digits", type=int, default=500, help="digits timed per round (--timing)")
    parser.add_argument("--timing-rounds", type=int, default=4)
    parser.add_argument("--store", action="store_true", help="time loading a profile of --store-examples examples")
    parser.add_argument("--store-examples", type=int, default=10_000)
    parser.add_argument("--scaling", metavar="SIZES", help="time replay with learning of sessions of these many "
                        "digits, e.g. 2500,10000,20000,40000")
    parser.add_argument("--accident", action="store_true", help="one accidental correction and one counter-correction")
    parser.add_argument("--let-stand", type=int, default=3, help="misread ones let stand before the counter-correction")
    args = parser.parse_args(argv)
    if not args.unipen.is_file():
        print(f"UNIPEN digits not found at {args.unipen} (set DIGITBOARD_UNIPEN or pass --unipen)", file=sys.stderr)
        return 2
    if args.tune:
        if not args.cross_validation:
            parser.error("--tune needs --cross-validation DIR")
        return tune(args)
    if args.timing:
        return timing(args)
    if args.store:
        return store_timing(args)
    if args.scaling:
        return scaling(args)
    if args.accident:
        return accident(args)
    return run_benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
