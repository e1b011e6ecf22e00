"""The training run: from a configuration (digitboard.training.config.TrainConfig), prepare the
data (digitboard.training.dataset), build the model, train with Adam, EarlyStopping and
ModelCheckpoint, evaluate, export the fast-runtime copy."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitboard.paths import require_readable_file, require_writable_target, shown
from digitboard.recognition.classes import DIGIT_CLASSES, NOT_A_DIGIT
from digitboard.training.augment import Augmentation
from digitboard.training.config import TrainConfig
from digitboard.training.data import DrawnDigit
from digitboard.training.dataset import Prepared, Split, path_batches, prepare_data
from digitboard.training.progress import RunProgress, clock

MNIST_TARGET = 0.996  # the test accuracy (argmax over the ten digits) aimed at for a model to ship
# What the shipped model is held to (tests/test_shipped_model.py): the model of the 15-minute recipe
# misses the aim by 0.07 points (docs/cross-validation.md, "Plain 1s, and the recipe shipped").
MNIST_SHIPPED_FLOOR = 0.995


def compile_model(model, learning_rate: float) -> None:
    """Adam (its learning rate then set batch by batch by the one-cycle callback), sparse
    categorical cross-entropy."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def keras_callbacks(checkpoint: str | os.PathLike[str], patience: int, learning_rate: float, steps: int) -> list:
    """Keras's ModelCheckpoint (the best epoch by validation accuracy, kept at `checkpoint`) and
    EarlyStopping (stopping after `patience` epochs without a better one, and restoring the best
    epoch's weights), and the learning rate following one cycle to the peak `learning_rate` and
    down over `steps` batches (pipeline.one_cycle)."""
    import keras

    from digitboard.training.pipeline import OneCycleSchedule

    checkpoint_cb = keras.callbacks.ModelCheckpoint(checkpoint, monitor="val_accuracy", mode="max", save_best_only=True)
    early_stopping_cb = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=patience,
                                                      restore_best_weights=True)
    schedule_cb = OneCycleSchedule(learning_rate, steps)
    return [checkpoint_cb, early_stopping_cb, schedule_cb]


# What `compile_with` and `make_callbacks` of train_model are: the notebook passes its own, which a reader can change.
CompileModel = Callable[[object, float], None]
MakeCallbacks = Callable[[Path, int, float, int], list]


def fit(
    model,
    batches,
    validation: Split,
    output: str | os.PathLike[str],
    epochs: int,
    learning_rate: float,
    patience: int,
    progress: RunProgress | None = None,
    stage: str = "training",
    callbacks: Sequence = (),
    make_callbacks: MakeCallbacks = keras_callbacks,
) -> dict[str, list[float]]:
    """Train a compiled `model` on `batches` (a keras.utils.PyDataset) with one `model.fit` and
    `make_callbacks`' callbacks (keras_callbacks: the best epoch kept at `output`, early stopping,
    the one-cycle learning rate), then `callbacks`.

    Returns the history (loss and accuracy per epoch, training and validation); the model left in
    memory has the best epoch's weights.
    """
    from digitboard.training.pipeline import ProgressCallback

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    shown = [ProgressCallback(progress, stage, epochs, batches)] if progress is not None else []
    result = model.fit(batches, validation_data=(validation.x, validation.y), validation_batch_size=1024,
                       epochs=epochs, verbose=0,
                       callbacks=[*make_callbacks(output, patience, learning_rate, epochs * len(batches)), *shown,
                                  *callbacks])
    return result.history


def predict_probabilities(model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Probabilities (N, C) for a large batch of images (N, 28, 28, 1)."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))


def predict_labels(model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Digit labels (argmax over the ten digits) for a large batch of images (N, 28, 28, 1)."""
    return np.argmax(predict_probabilities(model, x, batch_size)[:, :DIGIT_CLASSES], axis=1)


def train_model(data: Prepared, config: TrainConfig, output: Path, model=None, verbose: int | str = "auto",
                callbacks: Sequence = (), progress: RunProgress | None = None,
                compile_with: CompileModel = compile_model, make_callbacks: MakeCallbacks = keras_callbacks):
    """Build (unless given) and train the model on `data` as `config` says, checkpointing the best
    epoch at `output`. Returns (model with the best weights, history dict, minutes of training).

    `compile_with` (default compile_model: Adam) and `make_callbacks` (default keras_callbacks) are
    the recipe's; the notebook hands in its own. With `verbose` 0 and no `progress`, it trains
    silently."""
    from digitboard.training.model import build_model

    model = model if model is not None else build_model()
    if progress is None and verbose != 0:
        progress = RunProgress({"the CNN": config.epochs * data.images_per_epoch(config)})
    start = time.perf_counter()
    compile_with(model, config.learning_rate)
    history = fit(model, data.cnn_batches(config, Augmentation()),
                  data.validation, output, epochs=config.epochs, learning_rate=config.learning_rate,
                  patience=config.patience, progress=progress, stage="the CNN", callbacks=callbacks,
                  make_callbacks=make_callbacks)
    return model, history, (time.perf_counter() - start) / 60


def train_path_model(drawings: tuple[Sequence[DrawnDigit], Sequence[DrawnDigit]], config: TrainConfig, output: Path,
                     verbose: int | str = "auto", progress: RunProgress | None = None, callbacks: Sequence = ()):
    """Build and train the trajectory model on (training, validation) drawings as `config` says,
    checkpointing the best epoch at `output`, with `callbacks` after the recipe's. Returns (model
    with the best weights, minutes)."""
    from digitboard.recognition.trajectory import trajectories
    from digitboard.training.path_model import build_trajectory_model

    training, validation = drawings
    model = build_trajectory_model()
    if progress is None and verbose != 0:
        progress = RunProgress({"the path model": config.path_epochs * len(training)})
    start = time.perf_counter()
    compile_model(model, config.learning_rate)
    held = Split(trajectories([d.strokes for d in validation]), np.asarray([d.label for d in validation], np.int64))
    styles = config.style_variants if config.style_paths else 0.0
    batches = path_batches(training, config.batch_size, seed=config.seed, style_variants=styles,
                           flag_reach=config.flag_reach)
    fit(model, batches, held, output,
        epochs=config.path_epochs, learning_rate=config.learning_rate, patience=config.patience,
        progress=progress, stage="the path model", callbacks=callbacks)
    return model, (time.perf_counter() - start) / 60


def partial_path(out: Path) -> Path:
    """Where a run writes its checkpoints: beside `out`, renamed to `out` only when it ends well."""
    return out.with_name(f".{out.stem}.partial.keras")


def check_outputs_free(config: TrainConfig) -> Path:
    """Refuse to write where a file cannot be written, over one of the run's own inputs, or over
    an existing model (or its ONNX copy) unless config.force."""
    from digitboard.recognition.modelfile import onnx_path_for

    out = Path(config.out)
    outputs = (require_writable_target(out, "--out"), require_writable_target(onnx_path_for(out), "--out's ONNX copy"))
    for option, path in training_inputs(config).items():
        if any(os.path.lexists(output) and os.path.samefile(path, output) for output in outputs):
            raise ValueError(f"--out {shown(out)}: {option} is that file; write the new model under another name")
    taken = [path for path in outputs if path.exists()]
    if taken and not config.force:
        raise FileExistsError(f"{shown(taken[0])} exists; pass --force to replace it, or --out to write elsewhere")
    return out


def training_inputs(config: TrainConfig) -> dict[str, Path]:
    """The files the run reads that were named (by option, or $DIGITBOARD_MNIST), each checked
    to be a readable file."""
    from digitboard.training.data import MNIST_ENV

    named = {"--mnist": config.mnist, "--init": config.init}
    if config.drawn:  # --no-drawn reads neither
        named.update({"--unipen": config.unipen, "--nondigits": config.nondigits})
    if not config.mnist and os.environ.get(MNIST_ENV):
        named = {**named, "--mnist": None, f"${MNIST_ENV}": os.environ[MNIST_ENV]}
    return {option: require_readable_file(path, option) for option, path in named.items() if path}


def check_arguments(config: TrainConfig) -> None:
    """Check every file the run reads and writes, before anything is loaded (TensorFlow included)."""
    from digitboard.recognition.modelfile import ModelError, check_model_file

    check_outputs_free(config)
    if config.init:
        try:
            check_model_file(config.init)
        except ModelError as error:
            raise ModelError(f"--init: {error}") from None


@dataclass(frozen=True)
class TrainResult:
    model_path: Path
    mnist_accuracy: float  # argmax over the ten digits, on the MNIST test set
    test_digits: int
    minutes: float  # training alone: data preparation and export are not counted
    agreement: object  # digitboard.training.export.Agreement
    history: dict[str, list[float]]


def load_training_data(config: TrainConfig, announce: Callable[[str], object] = print):
    """Check the outputs are free and load every input, before any training: (mnist, drawn, nondigits)."""
    from digitboard.training.data import drawn_training_data, load_mnist

    check_arguments(config)
    mnist = load_mnist(config.mnist)
    drawn, nondigits = drawn_training_data(config.unipen, config.nondigits, announce=announce) if config.drawn else ([], [])
    return mnist, drawn, nondigits


def initial_model(config: TrainConfig):
    """The CNN to fine-tune (config.init's, or its image part; given an eleventh class if it has
    ten), or None. A path model is always trained afresh: it trains in minutes."""
    from digitboard.recognition.keras_model import image_part
    from digitboard.recognition.modelfile import load_keras_model
    from digitboard.training.model import with_not_a_digit

    return with_not_a_digit(image_part(load_keras_model(config.init))) if config.init else None


PATH_DRAWING_COST = 0.25  # a path model's drawing against a CNN image, in training time (for the estimate)


def run_progress(data: Prepared, config: TrainConfig) -> RunProgress:
    """The progress bar of a whole run: the CNN's epochs, then the path model's."""
    stages = {"the CNN": config.epochs * data.images_per_epoch(config)}
    if data.drawings[0]:
        stages["the path model"] = config.path_epochs * len(data.drawings[0])
    return RunProgress(stages, cost={"the path model": PATH_DRAWING_COST})


def train_and_save(data: Prepared, config: TrainConfig, model=None, announce: Callable[[str], object] = print,
                   compile_with: CompileModel = compile_model, make_callbacks: MakeCallbacks = keras_callbacks,
                   callbacks: Sequence = ()):
    """Train `model`, else config.init's, else a new one, and write config.out only if training
    ends well. Returns (model with the best weights, history dict, minutes of training).
    `compile_with` and `make_callbacks` are the CNN's (train_model); `callbacks` go to both
    networks' training after the recipe's."""
    out = Path(config.out)
    model = model if model is not None else initial_model(config)
    partial = partial_path(out)
    announce(f"{len(data.train):,} training and {len(data.validation):,} validation images, "
             f"{int((data.train.y == NOT_A_DIGIT).sum()):,} of them not digits; "
             f"{config.epochs} epochs at most, batches of {config.batch_size}")
    eleven = (model.output_shape[-1] if model is not None else NOT_A_DIGIT + 1) == NOT_A_DIGIT + 1
    progress = run_progress(data if eleven else dataclasses.replace(data, drawings=([], [])), config)
    try:
        model, history, minutes = train_model(data, config, partial, model, progress=progress, compile_with=compile_with,
                                              make_callbacks=make_callbacks, callbacks=callbacks)
        if data.drawings[0] and eleven:
            from digitboard.training.model import pooled_model

            announce(f"the path model: {len(data.drawings[0]):,} training and {len(data.drawings[1]):,} validation "
                     f"drawings; {config.path_epochs} epochs")
            path_model, path_minutes = train_path_model(data.drawings, config, partial, progress=progress,
                                                        callbacks=callbacks)
            minutes += path_minutes
            model = pooled_model(model, path_model, config.image_weight, config.not_a_digit_shift, config.pooled_temperature)
            announce(f"pooled with the CNN at weight {config.image_weight:g} for the image, at temperature "
                     f'{config.pooled_temperature:g}; "not a digit" shifted by {config.not_a_digit_shift:+g} in log-odds')
            model.save(partial)
        elif config.not_a_digit_shift and eleven:
            from digitboard.training.model import shift_not_a_digit_logit

            shift_not_a_digit_logit(model, config.not_a_digit_shift)  # the best epoch's weights, in memory
            model.save(partial)
            announce(f'"not a digit" shifted by {config.not_a_digit_shift:+g} in log-odds')
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    announce(f"trained in {minutes:.1f} min; saved {out}")
    return model, history, minutes


def mnist_accuracy(model, test: Split) -> float:
    """Test accuracy as argmax over the ten digits (a "not a digit" output is ignored), of the
    CNN: MNIST's images come without the pen paths a pooled model's other part reads."""
    from digitboard.recognition.keras_model import image_part

    return float((predict_labels(image_part(model), test.x) == test.y).mean())


def run_training(config: TrainConfig, announce: Callable[[str], object] = print,
                 check: Callable[[], object] | None = None) -> TrainResult:
    """Train as `config` says and write config.out and its ONNX copy; every input is checked
    (and loaded) before training starts, and config.out is written only if training ends well.
    Ends by saying how long the whole run took, data preparation and export included. `check` is
    called between every two batches of both networks' training: where it raises, the run stops."""
    from digitboard.training.export import export_onnx

    start, processor_start = time.perf_counter(), time.process_time()
    mnist, drawn, nondigits = load_training_data(config, announce)
    model = initial_model(config)  # a model Keras cannot use stops the run here, before the data is rendered
    data = prepare_data(mnist, drawn, nondigits, config)
    prepared = time.perf_counter()
    announce(f"data loaded and rendered in {clock(prepared - start)}")
    from digitboard.training.pipeline import checking  # Keras: only once every input is checked and loaded

    model, history, minutes = train_and_save(data, config, model, announce,
                                             callbacks=[checking(check)] if check is not None else [])
    accuracy = mnist_accuracy(model, data.test)
    announce(f"MNIST test accuracy {accuracy:.4%} on {len(data.test):,} digits (the CNN, argmax over the ten digits)")
    agreement = export_onnx(config.out, data.test.x)
    announce(f"ONNX copy {'derived' if agreement.ok else 'NOT written'}: {agreement}")
    total = time.perf_counter() - start
    announce(f"the whole run took {clock(total)} ({total / 60:.1f} min): data {clock(prepared - start)}, "
             f"training {clock(minutes * 60)}, evaluation and export {clock(total - (prepared - start) - minutes * 60)}; "
             f"processor time {clock(time.process_time() - processor_start)} on {os.cpu_count()} cores")
    return TrainResult(Path(config.out), accuracy, len(data.test), minutes, agreement, history)
