"""Choose the training recipe by cross-validation that leaves whole UNIPEN institutions out.

The seven development institutions are split into three folds of similar digit counts; each
fold's model trains on the other folds' digits and non-digits (plus an MNIST subsample and
synthetic junk) with a shortened schedule, and is evaluated on the held-out institutions'
drawings rendered through the board's own preprocessing (`digit_image`). Nothing of a held-out
institution is seen in training, so the out-of-fold figures say how the board does on writers
it has never seen. The "not a digit" shift (`TrainConfig.not_a_digit_shift`) is chosen on the
same out-of-fold predictions, and each fold is reported with the shift chosen on the others.

With --paths, each fold also trains the model that reads the pen's path (digitboard.recognition.trajectory)
on the same institutions, and the two are pooled: the CNN's weight (`TrainConfig.image_weight`)
and the shift are chosen together, each fold read with those chosen on the other folds.

    python benchmarks/cross_validation.py --mnist ../shared/data/mnist.npz [--recipes A,B]
    python benchmarks/cross_validation.py --full --recipes B --paths --write-shifted   # pooled fold models in B/pooled/

The defaults (3 epochs, 5,000 MNIST digits and at most 5,000 drawings of each kind a fold) fit a
2-core machine shared with others in well under an hour; the final model trains far longer, so
out-of-fold figures understate it a little.

Fold models and out-of-fold probabilities land in reports/cv/<recipe>/ (gitignored), so the
drawn-digit benchmark can be run per fold: fold 3 never saw ced, gmd and imp.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from digitboard.recognition.classes import (  # noqa: E402
    NOT_A_DIGIT,  # noqa: E402
    UNSURE_BELOW,
    shift_not_a_digit,
)
from digitboard.recognition.recognizer import pool_probabilities  # noqa: E402
from digitboard.training.data import DrawnDigit, Mnist, drawn_training_data, load_mnist, load_unipen  # noqa: E402
from digitboard.training.train import (  # noqa: E402
    TrainConfig,
    prepare_data,
    split_off,
    synthetic_junk,
    train_model,
    train_path_model,
)

FOLDS = (("syn",), ("apa", "apb", "art"), ("ced", "gmd", "imp"))  # 4,554 / 2,895 / 2,749 digits
# Candidate recipes: changes to TrainConfig's defaults. Few, because each costs three trainings.
RECIPES = {
    "A": {"drawn_copies": 2, "nondigit_copies": 1, "junk": 4000},
    "B": {"drawn_copies": 2, "nondigit_copies": 2, "junk": 8000},
    "C": {"drawn_copies": 2, "nondigit_copies": 1, "junk": 4000, "style_variants": 0.0},
}
UNSURE_TARGET = 0.01  # the share of real digits the "not a digit" shift may leave unsure
SHIFTS = np.round(np.arange(0.0, -4.01, -0.25), 2)  # weakest first
WEIGHTS = (0.8, 0.7, 0.6, 0.5, 0.4)  # the CNN's weight in the pooled log-probabilities; ties go to the first
CURVE = (0.0, -0.5, -1.0, -1.5, -2.0, -2.5, -3.0)  # shifts shown in the trade-off table
REPORTS = Path(__file__).resolve().parents[1] / "reports" / "cv"


def fold_plan(folder: Path) -> list[tuple[set[str], Path]]:
    """Each fold's held-out institutions and the fold model in `folder` that never saw them."""
    plan = [(set(fold), Path(folder) / f"fold{number}.keras") for number, fold in enumerate(FOLDS, 1)]
    missing = [str(model) for _, model in plan if not model.is_file()]
    if missing:
        raise SystemExit(f"no fold model {missing[0]}; train the folds with benchmarks/cross_validation.py")
    return plan


def render_once(drawings: list[DrawnDigit]) -> np.ndarray:
    """The board's rendering of each drawing at its default stroke width: (N, 28, 28, 1)."""
    from digitboard.recognition.preprocess import digit_image

    return np.asarray([digit_image(d.strokes) for d in drawings], np.float32)[..., None]


def shown_confident(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """The board's rule (digitboard.recognition.recognizer.confident_digits) at another threshold."""
    from digitboard.recognition.classes import confident_digits

    return confident_digits(probabilities, threshold)


def run_fold(recipe: str, fold: int, config: TrainConfig, mnist: Mnist, args) -> Path:
    """Train one fold model and save its out-of-fold probabilities; returns the .npz path."""
    held_out = FOLDS[fold]
    folder = args.out_dir / recipe
    folder.mkdir(parents=True, exist_ok=True)
    result = folder / f"fold{fold + 1}.npz"
    if result.is_file() and not args.again:
        print(f"recipe {recipe} fold {fold + 1}: reusing {result}", flush=True)
        return result
    drawn, nondigits = drawn_training_data(args.unipen, args.nondigits, exclude=held_out)
    data = prepare_data(mnist, drawn, nondigits, config)
    print(f"recipe {recipe} fold {fold + 1} (held out {', '.join(held_out)}): {len(data.train):,} training images, "
          f"{int((data.train.y == NOT_A_DIGIT).sum()):,} not digits; {config.epochs} epochs", flush=True)
    model, history, minutes = train_model(data, config, folder / f"fold{fold + 1}.keras", verbose=2)

    test_digits = load_unipen(args.unipen, held_out)
    test_nondigits = load_unipen(args.nondigits, held_out, digits=False)
    junk = synthetic_junk(1000, np.random.default_rng(1000 + fold))  # fresh junk, never trained on
    predict = lambda x: np.asarray(model.predict(x, batch_size=1024, verbose=0))  # noqa: E731
    mnist_probabilities = predict(mnist_test_images(args))
    np.savez_compressed(
        result,
        digit_probabilities=predict(render_once(test_digits)),
        digit_labels=np.array([d.label for d in test_digits]),
        digit_contributors=np.array([d.contributor for d in test_digits]),
        nondigit_probabilities=predict(render_once(test_nondigits)),
        nondigit_contributors=np.array([d.contributor for d in test_nondigits]),
        junk_probabilities=predict(render_once(junk)),
        mnist_accuracy=float((mnist_probabilities[:, :10].argmax(axis=1) == mnist_test_labels(args)).mean()),
        minutes=minutes,
        epochs_run=len(history["loss"]),
    )
    print(f"recipe {recipe} fold {fold + 1}: trained in {minutes:.1f} min", flush=True)
    return result


def run_path_fold(recipe: str, fold: int, config: TrainConfig, args) -> Path:
    """Train one fold's path model on the drawings its CNN trained on (digits, non-digits, junk)
    and save its out-of-fold probabilities, in the order of run_fold's; returns the .npz path."""
    from digitboard.recognition.trajectory import trajectories

    held_out = FOLDS[fold]
    folder = args.out_dir / recipe / "paths"
    folder.mkdir(parents=True, exist_ok=True)
    result = folder / f"fold{fold + 1}.npz"
    if result.is_file() and not args.again:
        print(f"recipe {recipe} fold {fold + 1} paths: reusing {result}", flush=True)
        return result
    rng = np.random.default_rng(config.seed + fold)
    drawn, nondigits = drawn_training_data(args.unipen, args.nondigits, exclude=held_out)
    training, validation = [], []
    for drawings in (drawn, nondigits, synthetic_junk(config.junk, rng)):
        for_training, for_validation = split_off(drawings, config.validation_fraction, None, rng)
        training += for_training
        validation += for_validation
    print(f"recipe {recipe} fold {fold + 1} paths (held out {', '.join(held_out)}): {len(training):,} drawings; "
          f"{config.path_epochs} epochs", flush=True)
    model, minutes = train_path_model((training, validation), config, folder / f"fold{fold + 1}.keras", verbose=2)
    junk = synthetic_junk(1000, np.random.default_rng(1000 + fold))  # run_fold's fresh junk
    predict = lambda drawings: np.asarray(  # noqa: E731
        model.predict(trajectories([d.strokes for d in drawings]), batch_size=1024, verbose=0))
    np.savez_compressed(
        result,
        digit_probabilities=predict(load_unipen(args.unipen, held_out)),
        nondigit_probabilities=predict(load_unipen(args.nondigits, held_out, digits=False)),
        junk_probabilities=predict(junk),
        minutes=minutes,
    )
    print(f"recipe {recipe} fold {fold + 1} paths: trained in {minutes:.1f} min", flush=True)
    return result


_mnist_cache: dict[str, Mnist] = {}


def mnist_full(args) -> Mnist:
    if "m" not in _mnist_cache:
        _mnist_cache["m"] = load_mnist(args.mnist)
    return _mnist_cache["m"]


def mnist_test_images(args) -> np.ndarray:
    from digitboard.training.data import to_model_input

    return to_model_input(mnist_full(args).x_test)


def mnist_test_labels(args) -> np.ndarray:
    return mnist_full(args).y_test


def choose_shift(digit_probabilities: np.ndarray) -> float:
    """The weakest "not a digit" shift (TrainConfig.not_a_digit_shift) leaving at most UNSURE_TARGET
    of real digits unsure at UNSURE_BELOW; the strongest tried if none does."""
    for shift in SHIFTS:
        if (~shown_confident(shift_not_a_digit(digit_probabilities, shift), UNSURE_BELOW)).mean() <= UNSURE_TARGET:
            return float(shift)
    return float(SHIFTS[-1])


PROBABILITIES = ("digit_probabilities", "nondigit_probabilities", "junk_probabilities")


def pooled(fold: dict, paths: dict | None, weight: float, shift: float = 0.0) -> dict:
    """A fold's results read by the CNN pooled with its path model at `weight`, then shifted."""
    return {**fold, **{key: shift_not_a_digit(pool_probabilities(fold[key], paths[key] if paths else None, weight), shift)
                       for key in PROBABILITIES if key in fold}}


def choose_weight(folds: list[dict], paths: list[dict] | None) -> float:
    """The CNN's weight reading the most of `folds`' digits right (1: no path models)."""
    if not paths:
        return 1.0
    labels = np.concatenate([fold["digit_labels"] for fold in folds])

    def right(weight: float) -> int:
        read = np.concatenate([pooled(fold, path, weight)["digit_probabilities"] for fold, path in zip(folds, paths)])
        return int((read[:, :10].argmax(axis=1) == labels).sum())

    return max(WEIGHTS, key=right)  # the first of equals


def choose(folds: list[dict], paths: list[dict] | None) -> tuple[float, float]:
    """(weight, shift) chosen on `folds`: the weight reading most digits right, then the weakest
    shift leaving at most UNSURE_TARGET of their digits unsure."""
    weight = choose_weight(folds, paths)
    digits = np.concatenate([pooled(fold, path, weight)["digit_probabilities"]
                             for fold, path in zip(folds, paths or [None] * len(folds))])
    return weight, choose_shift(digits)


def nested_choices(loaded: list[dict], paths: list[dict] | None = None) -> list[tuple[float, float]]:
    """Each fold's (weight, shift), chosen on the other folds' out-of-fold digits alone: the
    figures of a fold read with its own were not looked at while choosing them."""
    def others(items: list | None, i: int) -> list | None:
        return [item for j, item in enumerate(items) if j != i] if items else None

    return [choose(others(loaded, i), others(paths, i)) for i in range(len(loaded))]


def nested_shifts(loaded: list[dict]) -> list[float]:
    """Each fold's shift for the CNN alone, chosen on the other folds (nested_choices)."""
    return [shift for _, shift in nested_choices(loaded)]


def report(recipe: str, results: list[Path], path_results: list[Path] | None = None) -> tuple[float, float]:
    """Print the out-of-fold table of one recipe (pooled with the path models if given), each
    fold read with its nested weight and shift; returns those chosen on all folds (what the
    shipped model gets)."""
    loaded = [dict(np.load(path)) for path in results]
    paths = [dict(np.load(path)) for path in path_results] if path_results else None
    choices = nested_choices(loaded, paths) if len(loaded) > 1 else [(1.0, 0.0)]
    shifted = [pooled(fold, path, weight, shift)
               for fold, path, (weight, shift) in zip(loaded, paths or [None] * len(loaded), choices)]
    keys = ("digit_probabilities", "digit_labels", "digit_contributors", "nondigit_probabilities",
            "nondigit_contributors", "junk_probabilities")
    chosen_weight, chosen = choose(loaded, paths)
    raw = {key: np.concatenate([r[key] for r in (pooled(fold, path, chosen_weight)
                                                 for fold, path in zip(loaded, paths or [None] * len(loaded)))])
           for key in keys}
    pooled_folds = {key: np.concatenate([r[key] for r in shifted]) for key in keys}
    read = pooled_folds["digit_probabilities"][:, :10].argmax(axis=1)
    correct = read == pooled_folds["digit_labels"]
    unsure = ~shown_confident(pooled_folds["digit_probabilities"], UNSURE_BELOW)
    fooled = shown_confident(pooled_folds["nondigit_probabilities"], UNSURE_BELOW)
    what = "the CNN and the path model pooled" if paths else "the CNN alone"
    print(f"\nrecipe {recipe} ({RECIPES[recipe]}), {what}: out of fold, unsure below {UNSURE_BELOW:.2f}, "
          f"each fold read with the (CNN weight, 'not a digit' shift) chosen on the other folds "
          f"({', '.join(f'{weight:g}, {shift:+g}' for weight, shift in choices)})")
    print(f"  {'institution':12} {'digits':>6} {'accuracy':>9} {'unsure':>7} {'non-digits':>10} {'confident':>9}")
    for institution in sorted(set(pooled_folds["digit_contributors"])):
        rows = pooled_folds["digit_contributors"] == institution
        others = pooled_folds["nondigit_contributors"] == institution
        print(f"  {institution:12} {rows.sum():6,} {correct[rows].mean():9.2%} {unsure[rows].mean():7.2%} "
              f"{others.sum():10,} {fooled[others].mean() if others.any() else float('nan'):9.2%}")
    print(f"  {'all':12} {len(correct):6,} {correct.mean():9.2%} {unsure.mean():7.2%} "
          f"{len(fooled):10,} {fooled.mean():9.2%}")
    worst = min(range(10), key=lambda digit: correct[pooled_folds["digit_labels"] == digit].mean())
    per_class = " ".join(f"{digit}:{correct[pooled_folds['digit_labels'] == digit].mean():.1%}" for digit in range(10))
    print(f"  per class: {per_class} (worst {worst})")
    junk_fooled = shown_confident(pooled_folds["junk_probabilities"], UNSURE_BELOW).mean()
    print(f"  synthetic junk (fresh) shown as a confident digit: {junk_fooled:.2%}")
    print(f"  chosen on all folds (the shipped model's TrainConfig): image_weight {chosen_weight:g}, "
          f"not_a_digit_shift {chosen:+g}")
    if paths:
        for weight in WEIGHTS:
            right = np.concatenate([(pooled(fold, path, weight)["digit_probabilities"][:, :10].argmax(axis=1)
                                     == fold["digit_labels"]) for fold, path in zip(loaded, paths)])
            print(f"  CNN weight {weight:g}, all folds: {right.mean():.2%} of digits right ({(~right).sum()} wrong)")
    print("  shift, all folds:   " + " ".join(f"{shift:6.2f}" for shift in CURVE))
    for name, key, wanted in (("digits unsure", "digit_probabilities", False),
                              ("non-digits confident", "nondigit_probabilities", True),
                              ("junk confident", "junk_probabilities", True)):
        shares = [(shown_confident(shift_not_a_digit(raw[key], shift), UNSURE_BELOW) == wanted).mean() for shift in CURVE]
        print(f"  {name:20}" + " ".join(f"{share:6.2%}" for share in shares))
    for index, result in enumerate(loaded, 1):
        print(f"  fold {index}: MNIST test {float(result['mnist_accuracy']):.2%}, "
              f"{int(result['epochs_run'])} epochs in {float(result['minutes']):.1f} min"
              + (f"; path model {float(paths[index - 1]['minutes']):.1f} min" if paths else ""))
    return chosen_weight, chosen


def write_fold_models(recipe: str, results: list[Path], path_results: list[Path] | None, args) -> None:
    """Each fold model with its nested choices, and its ONNX copy, in <recipe>/shifted/ (the CNN
    alone) or <recipe>/pooled/ (with its path model): what `benchmarks/drawn_digits.py
    --cross-validation` reads writers through, as the board would."""
    import keras

    from digitboard.recognition.modelfile import load_keras_model
    from digitboard.training.export import export_onnx
    from digitboard.training.model import pooled_model, shift_not_a_digit_logit

    loaded = [dict(np.load(path)) for path in results]
    choices = nested_choices(loaded, [dict(np.load(path)) for path in path_results] if path_results else None)
    folder = args.out_dir / recipe / ("pooled" if path_results else "shifted")
    folder.mkdir(exist_ok=True)
    for index, (path, (weight, shift)) in enumerate(zip(results, choices)):
        model = load_keras_model(path.with_suffix(".keras"))
        if path_results:
            path_model = keras.saving.load_model(path_results[index].with_suffix(".keras"), compile=False)  # not a board's model
            model = pooled_model(model, path_model, weight, shift)
        else:
            shift_not_a_digit_logit(model, shift)
        out = folder / path.with_suffix(".keras").name
        model.save(out)
        agreement = export_onnx(out, mnist_test_images(args)[:2000])
        print(f"{out}: CNN weight {weight:g}, shifted by {shift:+g}; ONNX copy: {agreement}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", help="local MNIST .npz (default: $DIGITBOARD_MNIST, else download)")
    parser.add_argument("--unipen", help="pen-drawn digits (default: ../shared/data)")
    parser.add_argument("--nondigits", help="pen-drawn letters and symbols (default: ../shared/data)")
    parser.add_argument("--recipes", default="A,B", help=f"comma-separated, of {', '.join(RECIPES)}")
    parser.add_argument("--epochs", type=int, help="epochs of each fold (default: 3; with --full, TrainConfig's)")
    parser.add_argument("--mnist-sample", type=int, default=5000, help="MNIST training digits per fold")
    parser.add_argument("--out-dir", type=Path, default=REPORTS, help=f"where fold models go (default: {REPORTS})")
    parser.add_argument("--sample-limit", type=int, default=5000,
                        help="at most this many drawn digits, non-digits and junk a fold (0: all)")
    parser.add_argument("--full", action="store_true",
                        help="the shipped model's data and patience: all of MNIST, all drawings (and TrainConfig's epochs unless --epochs)")
    parser.add_argument("--folds", default="1,2,3", help="which folds to train (results of others are reused)")
    parser.add_argument("--again", action="store_true", help="retrain folds whose results exist")
    parser.add_argument("--report-only", action="store_true", help="print the table from saved results")
    parser.add_argument("--paths", action="store_true",
                        help="also train each fold's path model and report the two pooled")
    parser.add_argument("--write-shifted", action="store_true",
                        help="also write each fold model with its nested choices to <recipe>/shifted/, or with --paths "
                             "pooled to <recipe>/pooled/ (for drawn_digits.py)")
    args = parser.parse_args(argv)
    if args.full:
        args.mnist_sample, args.sample_limit = 60_000, 0
    args.epochs = args.epochs or (TrainConfig().epochs if args.full else 3)
    patience = TrainConfig().patience if args.full else args.epochs

    recipes = args.recipes.split(",")
    unknown = [name for name in recipes if name not in RECIPES]
    if unknown:
        parser.error(f"unknown recipe {unknown[0]}; known: {', '.join(RECIPES)}")
    print(f"folds (held out): {' | '.join(', '.join(fold) for fold in FOLDS)}; {args.epochs} epochs, "
          f"{args.mnist_sample:,} MNIST digits a fold, at most {args.sample_limit or 'all'} drawings of each "
          f"kind; cores {os.cpu_count()}", flush=True)
    start = time.perf_counter()
    results: dict[str, list[Path]] = {recipe: [] for recipe in recipes}
    path_results: dict[str, list[Path]] = {recipe: [] for recipe in recipes}
    for fold in range(len(FOLDS)):  # fold by fold, so that a cut-short run still compares the recipes
        for recipe in recipes:
            config = dataclasses.replace(TrainConfig(), epochs=args.epochs, patience=patience,
                                         sample_limit=args.sample_limit or None, **RECIPES[recipe])
            path = args.out_dir / recipe / f"fold{fold + 1}.npz"
            if not args.report_only and str(fold + 1) in args.folds.split(","):
                full = mnist_full(args)
                order = np.random.default_rng(fold).permutation(len(full.y_train))[:args.mnist_sample]
                small = Mnist(full.x_train[order], full.y_train[order], full.x_test, full.y_test)
                path = run_fold(recipe, fold, config, small, args)
            if path.is_file():
                results[recipe].append(path)
            if args.paths:
                path_path = args.out_dir / recipe / "paths" / f"fold{fold + 1}.npz"
                if not args.report_only and str(fold + 1) in args.folds.split(","):
                    path_path = run_path_fold(recipe, fold, config, args)
                if path_path.is_file():
                    path_results[recipe].append(path_path)
    for recipe, paths in results.items():
        with_paths = path_results[recipe] if args.paths and len(path_results[recipe]) == len(paths) else None
        if paths:
            report(recipe, paths)
            if with_paths:
                report(recipe, paths, with_paths)
        if args.write_shifted and len(paths) == len(FOLDS):
            write_fold_models(recipe, paths, with_paths, args)
    print(f"\nwall time {(time.perf_counter() - start) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
