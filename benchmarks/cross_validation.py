"""Choose the training recipe by cross-validation that leaves whole UNIPEN institutions out.

The seven development institutions are split into three folds of similar digit counts; each
fold's model trains on the other folds' digits and non-digits (plus an MNIST subsample and
synthetic junk) with a shortened schedule, and is evaluated on the held-out institutions'
drawings rendered through the board's own preprocessing (`digit_image`). Nothing of a held-out
institution is seen in training, so the out-of-fold figures say how the board does on writers
it has never seen. The unsure threshold (`recognizer.UNSURE_BELOW`) is chosen on the same
out-of-fold predictions.

    python benchmarks/cross_validation.py --mnist ../shared/data/mnist.npz [--recipes A,B]

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

from digitboard.data import NOT_A_DIGIT, DrawnDigit, Mnist, drawn_training_data, load_mnist, load_unipen  # noqa: E402
from digitboard.train import TrainConfig, prepare_data, synthetic_junk, train_model  # noqa: E402

FOLDS = (("syn",), ("apa", "apb", "art"), ("ced", "gmd", "imp"))  # 4,554 / 2,895 / 2,749 digits
# Candidate recipes: changes to TrainConfig's defaults. Few, because each costs three trainings.
RECIPES = {
    "A": {"drawn_copies": 2, "nondigit_copies": 1, "junk": 4000},
    "B": {"drawn_copies": 2, "nondigit_copies": 2, "junk": 8000},
    "C": {"drawn_copies": 2, "nondigit_copies": 1, "junk": 4000, "style_variants": 0.0},
}
UNSURE_TARGET = 0.01  # the share of real digits the threshold may leave unsure
# From 0.5: a digit shown as confident is then certainly the likeliest class, "not a digit" included.
THRESHOLDS = np.round(np.arange(0.50, 0.995, 0.01), 2)
CURVE = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # below 0.5 for comparison only  # thresholds shown in the trade-off table
REPORTS = Path(__file__).resolve().parents[1] / "reports" / "cv"


def render_once(drawings: list[DrawnDigit]) -> np.ndarray:
    """The board's rendering of each drawing at its default stroke width: (N, 28, 28, 1)."""
    from digitboard.preprocess import digit_image

    return np.asarray([digit_image(d.strokes) for d in drawings], np.float32)[..., None]


def shown_confident(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """The board's rule (digitboard.recognizer.confident_digits) at another threshold."""
    from digitboard.recognizer import confident_digits

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


_mnist_cache: dict[str, Mnist] = {}


def mnist_full(args) -> Mnist:
    if "m" not in _mnist_cache:
        _mnist_cache["m"] = load_mnist(args.mnist)
    return _mnist_cache["m"]


def mnist_test_images(args) -> np.ndarray:
    from digitboard.data import to_model_input

    return to_model_input(mnist_full(args).x_test)


def mnist_test_labels(args) -> np.ndarray:
    return mnist_full(args).y_test


def choose_threshold(digit_probabilities: np.ndarray) -> float:
    """The highest threshold leaving at most UNSURE_TARGET of real digits not shown confident
    (fewest non-digits shown confident under that constraint); the lowest, 0.5, if none does."""
    allowed = [t for t in THRESHOLDS if (~shown_confident(digit_probabilities, t)).mean() <= UNSURE_TARGET]
    return float(max(allowed)) if allowed else float(THRESHOLDS[0])


def report(recipe: str, results: list[Path]) -> float:
    """Print the out-of-fold table of one recipe; returns its chosen threshold."""
    loaded = [dict(np.load(path)) for path in results]
    pooled = {key: np.concatenate([r[key] for r in loaded]) for key in
              ("digit_probabilities", "digit_labels", "digit_contributors", "nondigit_probabilities",
               "nondigit_contributors", "junk_probabilities")}
    threshold = choose_threshold(pooled["digit_probabilities"])
    read = pooled["digit_probabilities"][:, :10].argmax(axis=1)
    correct = read == pooled["digit_labels"]
    unsure = ~shown_confident(pooled["digit_probabilities"], threshold)
    fooled = shown_confident(pooled["nondigit_probabilities"], threshold)
    print(f"\nrecipe {recipe} ({RECIPES[recipe]}): out of fold, unsure below {threshold:.2f}")
    print(f"  {'institution':12} {'digits':>6} {'accuracy':>9} {'unsure':>7} {'non-digits':>10} {'confident':>9}")
    for institution in sorted(set(pooled["digit_contributors"])):
        rows = pooled["digit_contributors"] == institution
        others = pooled["nondigit_contributors"] == institution
        print(f"  {institution:12} {rows.sum():6,} {correct[rows].mean():9.2%} {unsure[rows].mean():7.2%} "
              f"{others.sum():10,} {fooled[others].mean() if others.any() else float('nan'):9.2%}")
    print(f"  {'all':12} {len(correct):6,} {correct.mean():9.2%} {unsure.mean():7.2%} "
          f"{len(fooled):10,} {fooled.mean():9.2%}")
    worst = min(range(10), key=lambda digit: correct[pooled["digit_labels"] == digit].mean())
    per_class = " ".join(f"{digit}:{correct[pooled['digit_labels'] == digit].mean():.1%}" for digit in range(10))
    print(f"  per class: {per_class} (worst {worst})")
    junk_fooled = shown_confident(pooled["junk_probabilities"], threshold).mean()
    print(f"  synthetic junk (fresh) shown as a confident digit: {junk_fooled:.2%}")
    print("  threshold:          " + " ".join(f"{t:6.2f}" for t in CURVE))
    for name, key, wanted in (("digits unsure", "digit_probabilities", False),
                              ("non-digits confident", "nondigit_probabilities", True),
                              ("junk confident", "junk_probabilities", True)):
        shares = [(shown_confident(pooled[key], t) == wanted).mean() for t in CURVE]
        print(f"  {name:20}" + " ".join(f"{share:6.2%}" for share in shares))
    for index, result in enumerate(loaded, 1):
        print(f"  fold {index}: MNIST test {float(result['mnist_accuracy']):.2%}, "
              f"{int(result['epochs_run'])} epochs in {float(result['minutes']):.1f} min")
    return threshold


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
    for recipe, paths in results.items():
        if paths:
            report(recipe, paths)
    print(f"\nwall time {(time.perf_counter() - start) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
