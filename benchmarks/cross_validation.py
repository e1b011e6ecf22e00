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
    python benchmarks/cross_validation.py --full --recipes LS --cnn-from L --paths    # L's fold CNNs, LS's path models

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
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from digitboard.recognition.classes import (  # noqa: E402
    DIGIT_CLASSES,
    NOT_A_DIGIT,
    UNSURE_BELOW,
    shift_not_a_digit,
    shown_no_digit,
    with_temperature,
)
from digitboard.recognition.recognizer import pool_probabilities  # noqa: E402
from digitboard.training.calibration import (  # noqa: E402
    expected_calibration_error,
    fit_temperature,
    format_table,
    reliability_table,
)
from digitboard.training.data import DrawnDigit, Mnist, drawn_training_data, load_mnist, load_unipen  # noqa: E402
from digitboard.training.config import TrainConfig  # noqa: E402
from digitboard.training.dataset import drawing_sources, prepare_data, split_off, synthetic_junk  # noqa: E402
from digitboard.training.train import keras_callbacks, train_model, train_path_model  # noqa: E402

FOLDS = (("syn",), ("apa", "apb", "art"), ("ced", "gmd", "imp"))  # 4,554 / 2,895 / 2,749 digits
# Candidate recipes: changes to TrainConfig's defaults. Few, because each costs three trainings.
# The recipes before LF drew flags at most 0.65 of a 1's height long, and only the CNN learned them.
BEFORE_LF = {"flag_reach": 0.65, "style_paths": False}
RECIPES = {
    "A": {**BEFORE_LF, "drawn_copies": 2, "nondigit_copies": 1, "junk": 4000, "plain_ones": 0},
    "B": {**BEFORE_LF, "drawn_copies": 2, "nondigit_copies": 2, "junk": 8000, "plain_ones": 0},
    "C": {**BEFORE_LF, "drawn_copies": 2, "nondigit_copies": 1, "junk": 4000, "style_variants": 0.0, "plain_ones": 0},
    "L": {**BEFORE_LF, "drawn_copies": 2, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000, "redraw": False},  # B with plain 1s
    "M": {**BEFORE_LF, "drawn_copies": 2, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000, "redraw": True},  # L redrawn each epoch
    "H": {**BEFORE_LF, "drawn_copies": 2, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000, "mnist_per_epoch": 0.5,
          "epochs": 12},  # L seeing half of MNIST an epoch, 12 epochs in about 9's time
    "H2": {**BEFORE_LF, "drawn_copies": 2, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000, "mnist_per_epoch": 0.5,
           "epochs": 12, "learning_rate": 2e-3},  # H with a lower peak (H's fold 3 was unstable at 3e-3)
    "P": {**BEFORE_LF, "drawn_copies": 4, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000},  # L with the pen digits twice as often
    "P10": {**BEFORE_LF, "drawn_copies": 4, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000, "epochs": 10},  # P, an epoch more
    "PN": {**BEFORE_LF, "drawn_copies": 4, "nondigit_copies": 1, "junk": 8000, "plain_ones": 1000},  # P at L's share of MNIST
    "PE": {**BEFORE_LF, "drawn_copies": 4, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000},  # P, weights averaged (TRAINING)
    "PS": {**BEFORE_LF, "drawn_copies": 4, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000},  # P, labels smoothed (TRAINING)
    # L with flags up to the full height of a 1 (the continental 1), learned by both networks: the
    # TrainConfig defaults; and P so
    "LF": {"drawn_copies": 2, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000, "flag_reach": 1.0,
           "style_paths": True},
    "PF": {"drawn_copies": 4, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000, "flag_reach": 1.0,
           "style_paths": True},
    # Recipes that change the path model alone, trained beside another recipe's fold CNNs (--cnn-from)
    "LS": {**BEFORE_LF, "drawn_copies": 2, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000, "style_paths": True},
    "MS": {**BEFORE_LF, "drawn_copies": 2, "nondigit_copies": 2, "junk": 8000, "plain_ones": 1000, "redraw": True, "style_paths": True},
}
# Recipes that train the CNN otherwise than train.compile_model and train.keras_callbacks do: TRAINING[recipe]
# gives train_model its `compile_with` and `make_callbacks`.
EMA_MOMENTUM = 0.999  # about the last 1,000 batches (two to three epochs) in the average


def compile_averaged(model, learning_rate: float) -> None:
    """train.compile_model, with Adam keeping an exponential moving average of the weights."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate, use_ema=True, ema_momentum=EMA_MOMENTUM),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def averaged_callbacks(checkpoint: Path, patience: int, learning_rate: float, steps: int) -> list:
    """train.keras_callbacks, the averaged weights swapped in at the end of every epoch (Keras's
    SwapEMAWeights, first), so that the validation, the checkpoint and the weights EarlyStopping
    restores are the average's."""
    import keras

    return [keras.callbacks.SwapEMAWeights(swap_on_epoch=True),
            *keras_callbacks(checkpoint, patience, learning_rate, steps)]


LABEL_SMOOTHING = 0.1  # of the target's probability spread evenly over the eleven classes


def smoothed_cross_entropy(labels, probabilities):
    """Categorical cross-entropy against one-hot targets smoothed by LABEL_SMOOTHING (Keras's own
    `label_smoothing`, which its sparse loss lacks)."""
    import keras

    classes = keras.ops.shape(probabilities)[-1]
    targets = keras.ops.one_hot(keras.ops.cast(keras.ops.reshape(labels, (-1,)), "int32"), classes)
    return keras.losses.categorical_crossentropy(targets, probabilities, label_smoothing=LABEL_SMOOTHING)


def compile_smoothed(model, learning_rate: float) -> None:
    """train.compile_model with the labels smoothed; the accuracy named as before, so that the
    callbacks' "val_accuracy" is the same figure."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=smoothed_cross_entropy,
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])


TRAINING = {"PE": {"compile_with": compile_averaged, "make_callbacks": averaged_callbacks},
            "PS": {"compile_with": compile_smoothed}}
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
    model, history, minutes = train_model(data, config, folder / f"fold{fold + 1}.keras", verbose=2,
                                          **TRAINING.get(recipe, {}))

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
        mnist_accuracy=float((mnist_probabilities[:, :DIGIT_CLASSES].argmax(axis=1) == mnist_test_labels(args)).mean()),
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
    for drawings, _, _ in drawing_sources(drawn, nondigits, config, rng):
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


THRESHOLDS = np.round(np.arange(0.5, 0.951, 0.05), 2)  # the unsure rule's candidates, lowest first


@dataclass(frozen=True)
class Choice:
    """How a fold model's two networks are read: the CNN's weight in the pool, the temperature,
    the "not a digit" shift, and the confidence below which a digit is shown unsure."""

    weight: float = 1.0
    temperature: float = 1.0
    shift: float = 0.0
    threshold: float = UNSURE_BELOW

    def __str__(self) -> str:
        return f"w {self.weight:g}, T {self.temperature:.2f}, shift {self.shift:+g}, unsure below {self.threshold:g}"


def choose_shift(digit_probabilities: np.ndarray, threshold: float = UNSURE_BELOW) -> float:
    """The weakest "not a digit" shift (TrainConfig.not_a_digit_shift) leaving at most UNSURE_TARGET
    of real digits unsure at `threshold`; the strongest tried if none does."""
    for shift in SHIFTS:
        if (~shown_confident(shift_not_a_digit(digit_probabilities, shift), threshold)).mean() <= UNSURE_TARGET:
            return float(shift)
    return float(SHIFTS[-1])


def choose_unsure_rule(digits: np.ndarray, labels: np.ndarray, nondigits: np.ndarray) -> tuple[float, float]:
    """(shift, threshold): of the pairs leaving at most UNSURE_TARGET of real digits unsure, the
    one that shows the fewest wrong readings as sure: the share of digits read wrong with no
    unsure mark plus the share of letters and symbols shown as a confident digit. Ties go to the
    weaker shift, then the lower threshold. If no pair keeps to the target: the shift
    choose_shift gives at the lowest threshold."""
    best, best_cost = None, np.inf
    read_wrong = digits[:, :DIGIT_CLASSES].argmax(axis=1) != labels
    for shift in SHIFTS:
        shifted_digits, shifted_others = shift_not_a_digit(digits, shift), shift_not_a_digit(nondigits, shift)
        for threshold in THRESHOLDS:
            sure = shown_confident(shifted_digits, threshold)
            if (~sure).mean() > UNSURE_TARGET:
                continue
            cost = (read_wrong & sure).mean() + shown_confident(shifted_others, threshold).mean()
            if cost < best_cost - 1e-12:
                best, best_cost = (float(shift), float(threshold)), cost
    return best or (choose_shift(digits, THRESHOLDS[0]), float(THRESHOLDS[0]))


PROBABILITIES = ("digit_probabilities", "nondigit_probabilities", "junk_probabilities")


def pooled(fold: dict, paths: dict | None, weight: float, shift: float = 0.0, temperature: float = 1.0) -> dict:
    """A fold's results read by the CNN pooled with its path model at `weight` and `temperature`,
    then shifted."""
    return {**fold, **{key: shift_not_a_digit(pool_probabilities(fold[key], paths[key] if paths else None, weight,
                                                                 temperature), shift)
                       for key in PROBABILITIES if key in fold}}


def read_with(fold: dict, paths: dict | None, choice: Choice) -> dict:
    return pooled(fold, paths, choice.weight, choice.shift, choice.temperature)


def choose_weight(folds: list[dict], paths: list[dict] | None) -> float:
    """The CNN's weight reading the most of `folds`' digits right (1: no path models)."""
    if not paths:
        return 1.0
    labels = np.concatenate([fold["digit_labels"] for fold in folds])

    def right(weight: float) -> int:
        read = np.concatenate([pooled(fold, path, weight)["digit_probabilities"] for fold, path in zip(folds, paths)])
        return int((read[:, :DIGIT_CLASSES].argmax(axis=1) == labels).sum())

    return max(WEIGHTS, key=right)  # the first of equals


def choose(folds: list[dict], paths: list[dict] | None) -> Choice:
    """The Choice made on `folds`, in order: the weight reading most digits right; the
    temperature under which the real digits' readings among the ten digits are likeliest
    (digitboard.training.calibration); then the unsure rule (choose_unsure_rule)."""
    paths = paths or [None] * len(folds)
    weight = choose_weight(folds, paths if paths[0] is not None else None)
    read = [pooled(fold, path, weight) for fold, path in zip(folds, paths)]
    digits = np.concatenate([fold["digit_probabilities"] for fold in read])
    labels = np.concatenate([fold["digit_labels"] for fold in folds])
    temperature = fit_temperature(digits[:, :DIGIT_CLASSES] / digits[:, :DIGIT_CLASSES].sum(axis=1, keepdims=True), labels)
    nondigits = np.concatenate([fold["nondigit_probabilities"] for fold in read])
    shift, threshold = choose_unsure_rule(with_temperature(digits, temperature), labels,
                                          with_temperature(nondigits, temperature))
    return Choice(weight, temperature, shift, threshold)


def nested_choices(loaded: list[dict], paths: list[dict] | None = None) -> list[Choice]:
    """Each fold's Choice, made on the other folds' out-of-fold readings alone: the figures of a
    fold read with its own were not looked at while choosing them."""
    def others(items: list | None, i: int) -> list | None:
        return [item for j, item in enumerate(items) if j != i] if items else None

    return [choose(others(loaded, i), others(paths, i)) for i in range(len(loaded))]


def report(recipe: str, results: list[Path], path_results: list[Path] | None = None) -> Choice:
    """Print the out-of-fold table of one recipe (pooled with the path models if given), each
    fold read with the Choice made on the other folds, with its reliability table; returns the
    Choice made on all folds (what the shipped model gets)."""
    loaded = [dict(np.load(path)) for path in results]
    paths = [dict(np.load(path)) for path in path_results] if path_results else None
    each_path = paths or [None] * len(loaded)
    choices = nested_choices(loaded, paths) if len(loaded) > 1 else [Choice()]
    shifted = [read_with(fold, path, choice) for fold, path, choice in zip(loaded, each_path, choices)]
    keys = ("digit_probabilities", "digit_labels", "digit_contributors", "nondigit_probabilities",
            "nondigit_contributors", "junk_probabilities")
    chosen = choose(loaded, paths)
    raw = {key: np.concatenate([r[key] for r in (pooled(fold, path, chosen.weight, 0.0, chosen.temperature)
                                                 for fold, path in zip(loaded, each_path))])
           for key in keys}
    pooled_folds = {key: np.concatenate([r[key] for r in shifted]) for key in keys}
    def each_fold_threshold(key: str) -> np.ndarray:  # a row's threshold is its fold's
        return np.concatenate([np.full(len(fold[key]), choice.threshold) for fold, choice in zip(loaded, choices)])

    thresholds = {kind: each_fold_threshold(f"{kind}_probabilities") for kind in ("digit", "nondigit", "junk")}
    read = pooled_folds["digit_probabilities"][:, :DIGIT_CLASSES].argmax(axis=1)
    correct = read == pooled_folds["digit_labels"]
    unsure = ~shown_confident(pooled_folds["digit_probabilities"], thresholds["digit"])
    fooled = shown_confident(pooled_folds["nondigit_probabilities"], thresholds["nondigit"])
    what = "the CNN and the path model pooled" if paths else "the CNN alone"
    print(f"\nrecipe {recipe} ({RECIPES[recipe]}), {what}: out of fold, each fold read with the choices made on "
          f"the other folds ({'; '.join(str(choice) for choice in choices)})")
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
    # The figures above read a digit by its likeliest of the ten digits; the board shows "?" (no
    # digit at all) when "not a digit" is likelier and the best digit has almost nothing.
    on_board = correct & ~shown_no_digit(pooled_folds["digit_probabilities"])
    print(f"  read right as the board shows it (a \"?\" counted wrong): {on_board.mean():.2%} "
          f"({(~on_board).sum()} wrong; worst class "
          f"{min(on_board[pooled_folds['digit_labels'] == digit].mean() for digit in range(10)):.1%})")
    print(f"  read wrong with no unsure mark: {(~correct & ~unsure).mean():.2%} of digits "
          f"({(~correct & ~unsure).sum()} of the {(~correct).sum()} wrong); right but marked unsure: "
          f"{(correct & unsure).mean():.2%}")
    junk_fooled = shown_confident(pooled_folds["junk_probabilities"], thresholds["junk"]).mean()
    print(f"  synthetic junk (fresh) shown as a confident digit: {junk_fooled:.2%}")
    uncalibrated = [read_with(fold, path, dataclasses.replace(choice, temperature=1.0))
                    for fold, path, choice in zip(loaded, each_path, choices)]
    for name, folds in (("at temperature 1", uncalibrated), ("calibrated, each fold's T chosen on the others", shifted)):
        table = reliability_table(np.concatenate([fold["digit_probabilities"] for fold in folds]),
                                  pooled_folds["digit_labels"])
        print(f"  reliability of the confidence shown for real digits, {name}: "
              f"expected calibration error {expected_calibration_error(table):.2%}")
        print(format_table(table))
    print(f"  chosen on all folds (the shipped model's TrainConfig and UNSURE_BELOW): image_weight {chosen.weight:g}, "
          f"temperature {chosen.temperature:.2f}, not_a_digit_shift {chosen.shift:+g}, unsure below {chosen.threshold:g}")
    if paths:
        for weight in WEIGHTS:
            right = np.concatenate([(pooled(fold, path, weight)["digit_probabilities"][:, :DIGIT_CLASSES].argmax(axis=1)
                                     == fold["digit_labels"]) for fold, path in zip(loaded, paths)])
            print(f"  CNN weight {weight:g}, all folds: {right.mean():.2%} of digits right ({(~right).sum()} wrong)")
    print(f"  shift at the threshold chosen on all folds ({chosen.threshold:g}):"
          + " ".join(f"{shift:6.2f}" for shift in CURVE))
    for name, key, wanted in (("digits unsure", "digit_probabilities", False),
                              ("non-digits confident", "nondigit_probabilities", True),
                              ("junk confident", "junk_probabilities", True)):
        shares = [(shown_confident(shift_not_a_digit(raw[key], shift), chosen.threshold) == wanted).mean()
                  for shift in CURVE]
        print(f"  {name:20}" + " ".join(f"{share:6.2%}" for share in shares))
    for index, result in enumerate(loaded, 1):
        print(f"  fold {index}: MNIST test {float(result['mnist_accuracy']):.2%}, "
              f"{int(result['epochs_run'])} epochs in {float(result['minutes']):.1f} min"
              + (f"; path model {float(paths[index - 1]['minutes']):.1f} min" if paths else ""))
    return chosen


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
    for index, (path, choice) in enumerate(zip(results, choices)):
        model = load_keras_model(path.with_suffix(".keras"))
        if path_results:
            path_model = keras.saving.load_model(path_results[index].with_suffix(".keras"), compile=False)  # not a board's model
            model = pooled_model(model, path_model, choice.weight, choice.shift, choice.temperature)
        else:
            shift_not_a_digit_logit(model, choice.shift)  # a CNN alone is written without its temperature
        out = folder / path.with_suffix(".keras").name
        model.save(out)
        agreement = export_onnx(out, mnist_test_images(args)[:2000])
        print(f"{out}: {choice}; ONNX copy: {agreement}", flush=True)


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
    parser.add_argument("--cnn-from", metavar="RECIPE",
                        help="read with RECIPE's fold CNNs, trained already, instead of training the recipes' own "
                             "(for recipes that change the path model alone)")
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
            config = dataclasses.replace(TrainConfig(), **{"epochs": args.epochs, "patience": patience,
                                                           "sample_limit": args.sample_limit or None, **RECIPES[recipe]})
            path = args.out_dir / (args.cnn_from or recipe) / f"fold{fold + 1}.npz"
            if not args.report_only and not args.cnn_from and str(fold + 1) in args.folds.split(","):
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
