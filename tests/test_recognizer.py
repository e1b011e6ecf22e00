"""Model files the recogniser must refuse with one line, the ones it accepts, and the board's
reading rule (confident digit, unsure, not a digit)."""

from __future__ import annotations

import numpy as np
import pytest

from digitboard.cli import main
from digitboard.recognition.classes import DIGIT_SHOWN_FROM, UNSURE_BELOW, confident_digits, shown_no_digit
from digitboard.recognition.recognizer import KerasRecognizer

SESSION = '{"size": [640, 480], "strokes": [[[100, 100], [100, 200]]]}\n'


@pytest.fixture(scope="module")
def keras_models(tmp_path_factory):
    keras = pytest.importorskip("keras")
    folder = tmp_path_factory.mktemp("recognizer-models")

    def dense(classes: int, activation: str | None):
        return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(16, activation="relu"),
                                 keras.layers.Dense(classes, activation=activation)])

    nan_weights = dense(11, "softmax")
    nan_weights.layers[-1].set_weights([np.full_like(w, np.nan) for w in nan_weights.layers[-1].get_weights()])
    nan_weights.save(folder / "nan.keras")
    dense(11, None).save(folder / "raw-scores.keras")  # no softmax: scores, not probabilities
    dense(10, "softmax").save(folder / "ten.keras")
    return folder


def one_line(capfd, *expected: str) -> None:
    err = capfd.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("digitboard") and "Traceback" not in err, err
    for text in expected:
        assert text in lines[0], err


@pytest.mark.parametrize("name, problem", [
    ("nan.keras", "gives non-finite outputs"),
    ("raw-scores.keras", "not probabilities"),
])
def test_a_model_that_does_not_give_probabilities_is_refused_with_one_line(keras_models, name, problem, tmp_path, capfd):
    session = tmp_path / "one.jsonl"
    session.write_text(SESSION)
    assert main(["replay", str(session), "--model", str(keras_models / name)]) == 2
    one_line(capfd, name, problem)
    assert capfd.readouterr().out == ""


def test_a_ten_class_model_is_still_accepted(keras_models):
    recognizer = KerasRecognizer.load(keras_models / "ten.keras")
    embeddings, probabilities = recognizer.embed_and_predict(np.zeros((2, 28, 28, 1), np.float32))
    assert probabilities.shape == (2, 10) and embeddings.shape == (2, 16)


def test_passing_the_onnx_copy_as_the_model_says_to_pass_the_keras_file(tmp_path, capfd):
    onnx = tmp_path / "best.onnx"
    onnx.write_bytes(b"\x08\x07\x12\x07onnx bytes, not a zip")
    assert main(["--model", str(onnx)]) == 2
    one_line(capfd, "not a Keras .keras file", f"pass the .keras model it was derived from (e.g. {tmp_path / 'best.keras'})")


def test_confident_means_a_digit_wins_and_clears_the_threshold():
    rows = np.array([
        [0.9, 0.05, 0, 0, 0, 0, 0, 0, 0, 0, 0.05],  # a confident 0
        [0.3, 0.25, 0, 0, 0, 0, 0, 0, 0, 0, 0.45],  # not a digit wins
        [UNSURE_BELOW - 0.01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 - UNSURE_BELOW + 0.01],  # unsure (and not a digit)
    ])
    assert confident_digits(rows).tolist() == [True, False, False]
    ten = np.array([[0.6, 0.4] + [0] * 8, [0.3, 0.3, 0.4] + [0] * 7])  # older models: no eleventh output
    assert confident_digits(ten, 0.5).tolist() == [True, False]
    assert 0 < UNSURE_BELOW < 1


def test_a_reading_is_shown_no_digit_only_when_its_best_digit_has_almost_nothing():
    """The "?" rule, the same for a board's digit (Prediction.no_digit) and the benchmarks."""
    from digitboard.core.digits import Prediction

    rows = np.array([
        [0.3, 0.25, 0, 0, 0, 0, 0, 0, 0, 0, 0.45],  # not a digit wins, but 0 is worth naming: "0?"
        [DIGIT_SHOWN_FROM - 0.01] + [0.001] * 9 + [0.95],  # nothing worth naming: "?"
        [0.9, 0.05, 0, 0, 0, 0, 0, 0, 0, 0, 0.05],  # a confident 0
    ])
    assert shown_no_digit(rows).tolist() == [False, True, False]
    assert [Prediction.from_probabilities(row).no_digit for row in rows] == [False, True, False]
    assert not shown_no_digit(rows[:, :10]).any()  # older models: no eleventh output
