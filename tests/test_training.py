"""Training: bad arguments stop before any work, an existing model is never overwritten without
--force, the model is written only when training ends well; and end to end on small settings,
the command and the notebook. Never touches the committed best.keras."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import TRAIN_EXTRA_MISSING

from digitboard import DEFAULT_MODEL
from digitboard.cli import main
from digitboard.training import dataset, train
from digitboard.training.config import TrainConfig

pytest.importorskip("keras", reason=TRAIN_EXTRA_MISSING)  # every test here trains, exports or runs Keras

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "train.ipynb"


@pytest.fixture
def tiny_mnist(tmp_path) -> Path:
    path = tmp_path / "mnist.npz"
    rng = np.random.default_rng(0)
    np.savez(path, x_train=rng.integers(0, 255, (40, 28, 28), np.uint8), y_train=np.arange(40, dtype=np.uint8) % 10,
             x_test=rng.integers(0, 255, (20, 28, 28), np.uint8), y_test=np.arange(20, dtype=np.uint8) % 10)
    return path


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: the checks must come first."""
    def started(*args, **kwargs):
        raise AssertionError("training started before the arguments were checked")

    monkeypatch.setattr(train, "train_model", started)


def write_jsonl_gz(path: Path, rows: list[dict]) -> Path:
    with gzip.open(path, "wt") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    return path


def one_line_error(capsys, *expected: str) -> None:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("digitboard: ") and "Traceback" not in err, err
    for text in expected:
        assert text in err, err


@pytest.mark.parametrize("option, value, expected", [
    ("--batch-size", "0", "batch-size must be at least 1"),
    ("--epochs", "0", "epochs must be at least 1"),
    ("--epochs", "-1", "epochs must be at least 1"),
    ("--sample-limit", "0", "sample-limit must be at least 1"),
    ("--out", "m.h5", "must end in .keras"),
    ("--learning-rate", "nan", "learning-rate must be a positive number"),
    ("--path-epochs", "0", "path-epochs must be at least 1"),
    ("--image-weight", "0", "image-weight must be in (0, 1]"),
    ("--image-weight", "1.5", "image-weight must be in (0, 1]"),
])
def test_bad_training_numbers_and_names_stop_at_once_with_one_line(option, value, expected, tmp_path, capsys,
                                                                   no_training, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--mnist", "absent.npz", option, value]) == 2
    one_line_error(capsys, expected)
    assert list(tmp_path.iterdir()) == []


def test_an_npy_for_mnist_stops_before_training_with_one_line(tmp_path, capsys, no_training):
    single = tmp_path / "x.npy"
    np.save(single, np.zeros((3, 28, 28), np.uint8))
    assert main(["train", "--mnist", str(single), "--out", str(tmp_path / "m.keras")]) == 2
    one_line_error(capsys, "x.npy holds a single array")


def test_a_truncated_or_bad_unipen_file_stops_before_training_naming_file_and_line(tmp_path, tiny_mnist, capsys,
                                                                                   no_training):
    rows = [{"label": i % 10, "contributor": "a", "strokes": [[[0, i], [3, i + 9]]]} for i in range(3000)]
    whole = write_jsonl_gz(tmp_path / "digits.jsonl.gz", rows)
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(whole.read_bytes()[:len(whole.read_bytes()) // 2])
    nondigits = write_jsonl_gz(tmp_path / "n.jsonl.gz", [{"label": "N", "contributor": "a", "strokes": [[[0, 0], [1, 1]]]}])
    common = ["train", "--mnist", str(tiny_mnist), "--nondigits", str(nondigits), "--out", str(tmp_path / "m.keras")]
    assert main([*common, "--unipen", str(truncated)]) == 2
    one_line_error(capsys, "truncated.jsonl.gz:", "unreadable, truncated")
    empty_stroke = write_jsonl_gz(tmp_path / "empty.jsonl.gz", [rows[0], {**rows[1], "strokes": [[[0, 0]], []]}])
    assert main([*common, "--unipen", str(empty_stroke)]) == 2
    one_line_error(capsys, "empty.jsonl.gz:2:", "stroke 2 is not a non-empty list")


def test_an_existing_model_is_not_replaced_without_force(tmp_path, tiny_mnist, capsys, no_training):
    out = tmp_path / "model.keras"
    out.write_bytes(b"the user's model")
    assert main(["train", "--mnist", str(tiny_mnist), "--no-drawn", "--out", str(out)]) == 2
    one_line_error(capsys, f"{out} exists; pass --force")
    assert out.read_bytes() == b"the user's model"
    out.unlink()
    (tmp_path / "model.onnx").write_bytes(b"an older copy")  # its ONNX copy would be replaced too
    assert main(["train", "--mnist", str(tiny_mnist), "--no-drawn", "--out", str(out)]) == 2
    one_line_error(capsys, "model.onnx exists; pass --force")


def test_a_run_that_fails_midway_leaves_the_existing_model_and_no_partial_file(tmp_path, tiny_mnist, monkeypatch):
    out = tmp_path / "model.keras"
    out.write_bytes(b"the user's model")

    def fails_after_a_checkpoint(data, config, output, model=None, **kwargs):
        Path(output).write_bytes(b"half-trained")  # ModelCheckpoint wrote an epoch, then...
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "train_model", fails_after_a_checkpoint)
    assert main(["train", "--mnist", str(tiny_mnist), "--no-drawn", "--out", str(out), "--force"]) == 130
    assert out.read_bytes() == b"the user's model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist.npz", "model.keras"]


def test_the_path_model_gets_the_pen_drawings_split_as_the_images_are_unless_told_not_to(tiny_mnist):
    from digitboard.training.data import DrawnDigit, load_mnist

    stroke = [np.array([[0.0, 0.0], [3.0, 9.0]])]
    drawn = [DrawnDigit(index % 10, "x", stroke) for index in range(30)]
    nondigits = [DrawnDigit(10, "x", stroke, "A") for _ in range(20)]
    config = TrainConfig(junk=10, plain_ones=10)
    data = dataset.prepare_data(load_mnist(tiny_mnist), drawn, nondigits, config)
    training, validation = data.drawings
    assert len(training) + len(validation) == 30 + 20 + 10 + 10 and len(validation) == 3 + 2 + 1 + 1
    assert sum(d.label < 10 for d in training) == 27 + 9  # the digits the CNN renders for training
    alone = dataset.prepare_data(load_mnist(tiny_mnist), drawn, nondigits, dataclasses.replace(config, paths=False))
    assert alone.drawings == ([], []) and len(alone.train) == len(data.train)


def test_the_cli_notebook_and_benchmark_share_trainconfigs_defaults():
    """Defaults are stated once: the CLI's --help shows TrainConfig's, the notebook leaves them to it."""
    from digitboard.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["train"])
    assert not {"epochs", "batch_size", "learning_rate", "patience", "seed"} & set(vars(args))
    notebook = json.loads(NOTEBOOK.read_text())
    (parameters,) = [c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert "EPOCHS = None" in "".join(parameters["source"]) and "BATCH_SIZE = None" in "".join(parameters["source"])


def test_the_learning_rate_climbs_to_its_peak_then_decays():
    from digitboard.training.pipeline import END_FACTOR, START_FACTOR, WARM_UP, one_cycle

    assert one_cycle(0.0, 1.0) == pytest.approx(START_FACTOR) and one_cycle(WARM_UP, 1.0) == pytest.approx(1.0)
    assert one_cycle(1.0, 1.0) == pytest.approx(END_FACTOR)
    rates = [one_cycle(p, 3e-3) for p in np.linspace(0, 1, 101)]
    peak = int(np.argmax(rates))
    assert np.all(np.diff(rates[:peak + 1]) > 0) and np.all(np.diff(rates[peak:]) <= 0)


def test_batches_cover_every_example_once_an_epoch_in_a_new_order_each_time():
    from digitboard.training.pipeline import ShuffledBatches

    def make(rows, rng):
        return rows.copy(), rows + rng.random(len(rows))

    batches = ShuffledBatches(10, make, batch_size=4, seed=3)
    assert len(batches) == 3
    first = np.concatenate([batches[i][0] for i in range(len(batches))])
    again = ShuffledBatches(10, make, batch_size=4, seed=3)
    assert sorted(first) == list(range(10)) and np.array_equal(again[1][1], batches[1][1])  # same seed, same run
    batches.on_epoch_end()
    second = np.concatenate([batches[i][0] for i in range(len(batches))])
    assert sorted(second) == list(range(10)) and not np.array_equal(first, second)


def test_an_epoch_can_see_a_fresh_share_of_the_first_examples_and_all_the_others():
    """TrainConfig.mnist_per_epoch: half of MNIST's rows (the first 40) a different half each
    epoch, every pen drawing (the other 20) every epoch."""
    from digitboard.training.pipeline import ShuffledBatches

    batches = ShuffledBatches(60, lambda rows, rng: (rows.copy(), rows), batch_size=8, seed=1, drawn=(40, 0.5))
    assert batches.count == 40 and len(batches) == 5
    epochs = []
    for _ in range(3):
        rows = np.concatenate([batches[i][0] for i in range(len(batches))])
        assert len(rows) == len(set(rows.tolist())) == 40  # each row at most once an epoch
        assert set(range(40, 60)) <= set(rows.tolist()) and (rows < 40).sum() == 20
        epochs.append(set(rows[rows < 40].tolist()))
        batches.on_epoch_end()
    assert len(epochs[0] | epochs[1] | epochs[2]) > 30  # a fresh draw each epoch
    with pytest.raises(ValueError):
        ShuffledBatches(60, lambda rows, rng: (rows, rows), batch_size=8, drawn=(70, 0.5))


def test_the_data_knows_its_mnist_rows_and_the_images_an_epoch_sees():
    from digitboard.training.config import TrainConfig
    from digitboard.training.data import DrawnDigit, Mnist
    from digitboard.training.dataset import prepare_data

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    mnist = Mnist(images, (np.arange(50) % 10).astype(np.uint8), images[:5], np.arange(5, dtype=np.uint8))
    drawn = [DrawnDigit(7, "pen", [np.array([[10.0, 10.0], [60.0, 10.0], [30.0, 90.0]])]) for _ in range(10)]
    config = TrainConfig(junk=0, plain_ones=0, mnist_per_epoch=0.5, validation_fraction=0.2)
    data = prepare_data(mnist, drawn, [], config)
    assert data.mnist_rows == 40 and len(data.train) == 40 + 8 * 2
    assert data.images_per_epoch(config) == 20 + 16 == data.cnn_batches(config, None).count
    assert np.array_equal(data.train.x[:40], prepare_data(mnist, [], [], config).train.x)  # MNIST's rows first


def test_training_uses_keras_own_early_stopping_and_checkpoint(tmp_path, monkeypatch):
    """One model.fit with keras.callbacks.EarlyStopping (best weights restored) and ModelCheckpoint."""
    import keras

    from digitboard.training.pipeline import ShuffledBatches

    seen = []
    original = keras.Model.fit

    def watched_fit(model, *args, **kwargs):
        seen.append(kwargs.get("callbacks", []))
        return original(model, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", watched_fit)
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 4)).astype(np.float32), rng.integers(0, 2, 64)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    train.compile_model(model, 1e-2)
    batches = ShuffledBatches(64, lambda rows, _: (x[rows], y[rows]), batch_size=16, workers=1)
    history = train.fit(model, batches, dataset.Split(x, y), tmp_path / "m.keras", epochs=3, learning_rate=1e-2,
                        patience=2)
    (callbacks,) = seen
    kinds = {type(callback) for callback in callbacks}
    assert {keras.callbacks.EarlyStopping, keras.callbacks.ModelCheckpoint} <= kinds
    (stopping,) = [c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)]
    assert stopping.restore_best_weights and len(history["val_accuracy"]) <= 3
    assert (tmp_path / "m.keras").is_file()


def test_the_progress_line_says_how_far_and_how_long_is_left(monkeypatch):
    import io

    from digitboard.training import progress

    now = [100.0]
    monkeypatch.setattr(progress.time, "perf_counter", lambda: now[0])
    out = io.StringIO()
    bar = progress.RunProgress({"the CNN": 1000, "the path model": 1000}, cost={"the path model": 0.25}, out=out)
    assert "estimating" in bar.line("the CNN")
    now[0] += 60
    bar.advance("the CNN", 500, "epoch 1/2", end_of_epoch=True)  # 500 of 1250 units in a minute
    expected = "[############..................]  40% the CNN epoch 1/2; 1:00 so far, about 1:30 left"
    assert out.getvalue().splitlines() == [expected]
    assert progress.clock(5) == "5 s" and progress.clock(3725) == "1:02:05"


def test_a_quick_look_is_small_but_keeps_what_it_is_told():
    quick = TrainConfig.quick_look(epochs=2)
    assert quick.epochs == 2 and quick.sample_limit and quick.path_epochs < TrainConfig().path_epochs


@pytest.mark.slow
def test_train_command_writes_a_model_and_its_agreeing_copy(tmp_path, mnist_path, capsys):
    from digitboard.recognition.modelfile import fast_copy_matches

    out = tmp_path / "model.keras"
    before = DEFAULT_MODEL.stat().st_mtime if DEFAULT_MODEL.exists() else None
    status = main(["train", "--mnist", str(mnist_path), "--no-drawn", "--sample-limit", "1500",
                   "--epochs", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert out.is_file() and fast_copy_matches(out)
    assert "MNIST test accuracy" in printed and "agrees with Keras" in printed and "the whole run took" in printed
    assert "about" in printed and "left" in printed  # the progress bar's estimate
    assert f'"not a digit" shifted by {TrainConfig().not_a_digit_shift:+g} in log-odds' in printed  # the default change of prior
    assert (DEFAULT_MODEL.stat().st_mtime if DEFAULT_MODEL.exists() else None) == before
    assert not list(tmp_path.glob(".*partial*"))

    import keras

    tuned = tmp_path / "tuned.keras"
    status = main(["train", "--mnist", str(mnist_path), "--no-drawn", "--sample-limit", "600",
                   "--epochs", "1", "--learning-rate", "1e-7", "--init", str(out), "--out", str(tuned),
                   "--not-a-digit-shift", "0"])
    assert status == 0 and fast_copy_matches(tuned)
    kernel = lambda path: keras.saving.load_model(path).layers[1].get_weights()[0]
    assert np.allclose(kernel(out), kernel(tuned), atol=1e-4), "fine-tuning must start from the given weights"
    bias = lambda path: keras.saving.load_model(path).layers[-1].get_weights()[1]
    assert np.allclose(bias(out), bias(tuned), atol=1e-3), "a shift of 0 leaves the output as trained"
    assert keras.saving.load_model(tuned).output_shape == (None, 11)


def test_with_pen_drawings_the_train_command_pools_the_cnn_with_a_path_model(tmp_path, mnist_path, unipen_path, capsys):
    """The shipped kind of model: the CNN and the path model in one .keras file of two inputs,
    its ONNX copy agreeing; fine-tuning from it starts from its CNN."""
    import keras

    from digitboard.recognition.keras_model import image_part
    from digitboard.recognition.modelfile import fast_copy_matches
    from digitboard.recognition.recognizer import load_recognizer

    out = tmp_path / "pooled.keras"
    status = main(["train", "--mnist", str(mnist_path), "--unipen", str(unipen_path), "--sample-limit", "300",
                   "--epochs", "1", "--path-epochs", "1", "--image-weight", "0.5", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "the path model: " in printed and "pooled with the CNN at weight 0.5 for the image" in printed
    assert "agrees with Keras" in printed and fast_copy_matches(out)
    model = keras.saving.load_model(out)
    assert [tuple(tensor.shape) for tensor in model.inputs] == [(None, 28, 28, 1), (None, 64, 5)]
    assert load_recognizer(out).reads_paths

    tuned = tmp_path / "tuned.keras"
    status = main(["train", "--mnist", str(mnist_path), "--no-drawn", "--sample-limit", "300", "--epochs", "1",
                   "--learning-rate", "1e-7", "--init", str(out), "--out", str(tuned), "--not-a-digit-shift", "0"])
    assert status == 0 and fast_copy_matches(tuned)
    kernel = lambda model: model.layers[1].get_weights()[0]
    assert np.allclose(kernel(image_part(model)), kernel(keras.saving.load_model(tuned)), atol=1e-4)


@pytest.mark.slow
def test_notebook_runs_end_to_end_on_a_small_subset(tmp_path, mnist_path, unipen_path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    (parameters,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    overrides = {"EPOCHS": 1, "BATCH_SIZE": 64, "SAMPLE_LIMIT": 800, "OUTPUT": str(tmp_path / "nb.keras"),
                 "MNIST_PATH": str(mnist_path), "UNIPEN_PATH": str(unipen_path), "FIGURES": str(tmp_path / "figures")}
    parameters.source += "\n" + "\n".join(f"{name} = {json.dumps(value)}" for name, value in overrides.items())
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    assert (tmp_path / "nb.keras").is_file() and (tmp_path / "nb.onnx").is_file()
    figures = {p.name for p in (tmp_path / "figures").iterdir()}
    assert {"samples.png", "training-curves.png", "confusion-matrix.png", "misclassified.png"} <= figures
    outputs = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "accuracy" in outputs and "agrees with Keras" in outputs


def test_the_notebooks_recipe_cell_is_the_packages_recipe(tmp_path):
    """The notebook shows the compile and Keras's callbacks in a cell a reader can change; as
    shipped, they configure exactly what `digitboard train` does."""
    import keras

    notebook = json.loads(NOTEBOOK.read_text())
    (cell,) = [c for c in notebook["cells"] if "def cnn_callbacks" in "".join(c["source"])]
    source = "".join(cell["source"])
    assert "keras.callbacks.EarlyStopping" in source and "keras.callbacks.ModelCheckpoint" in source
    definitions = source.split("\nmodel, history, minutes = ")[0]
    namespace: dict = {}
    exec(compile(definitions, "notebook", "exec"), namespace)  # noqa: S102 - the repository's own notebook

    def configured(callbacks) -> list[tuple]:
        return [(type(c).__name__, *(getattr(c, name, None) for name in
                 ("monitor", "patience", "restore_best_weights", "save_best_only", "filepath", "peak", "total_steps")))
                for c in callbacks]

    arguments = (tmp_path / "m.keras", 6, 3e-3, 1000)
    assert configured(namespace["cnn_callbacks"](*arguments)) == configured(train.keras_callbacks(*arguments))
    compiled = []
    for compile_with in (namespace["compile_cnn"], train.compile_model):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        compile_with(model, 3e-3)
        compiled.append((type(model.optimizer).__name__, float(model.optimizer.learning_rate), model.loss))
    assert compiled[0] == compiled[1]
