"""The fast path: the ONNX copy is derived from the .keras model, agrees with it, and is used
only while it matches it byte for byte."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from digitboard.recognizer import KerasRecognizer, OnnxRecognizer, fast_copy_matches, load_recognizer, onnx_path_for


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """An untrained model saved as .keras, with its ONNX copy derived by the real exporter."""
    from digitboard.export import export_onnx
    from digitboard.model import build_model

    path = tmp_path_factory.mktemp("model") / "small.keras"
    model = build_model()
    model(np.zeros((1, 28, 28, 1), np.float32))
    model.save(path)
    export_onnx(path)
    return path


def test_export_writes_the_copy_and_its_fingerprint(small_model):
    assert onnx_path_for(small_model).is_file() and fast_copy_matches(small_model)
    assert isinstance(load_recognizer(small_model), OnnxRecognizer)


def test_copy_agrees_with_keras_on_random_inputs(small_model):
    from digitboard.export import check_agreement

    images = np.random.default_rng(0).random((64, 28, 28, 1), np.float32)
    agreement = check_agreement(small_model, images)
    assert agreement.ok, str(agreement)


def test_a_changed_model_no_longer_uses_the_stale_copy(small_model, tmp_path):
    changed = tmp_path / "small.keras"
    shutil.copy(small_model, changed)
    shutil.copy(onnx_path_for(small_model), onnx_path_for(changed))
    shutil.copy(str(onnx_path_for(small_model)) + ".json", str(onnx_path_for(changed)) + ".json")
    assert fast_copy_matches(changed)
    with open(changed, "ab") as handle:  # same name, different bytes
        handle.write(b"\0")
    assert not fast_copy_matches(changed)


def test_without_a_copy_keras_runs_the_model_and_says_how_to_derive_one(small_model, tmp_path, capsys):
    alone = tmp_path / "alone.keras"
    shutil.copy(small_model, alone)
    recognizer = load_recognizer(alone)
    assert isinstance(recognizer, KerasRecognizer)
    assert f"digitboard export {alone}" in capsys.readouterr().err
    assert recognizer.predict(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 10)


def test_shipped_copy_agrees_with_shipped_model_on_mnist_test_set(shipped_model, mnist_path):
    """The contract of issue 5: same labels on all 10,000 test digits, probabilities within 1e-4."""
    from digitboard.data import load_mnist, to_model_input
    from digitboard.export import check_agreement

    if not fast_copy_matches(shipped_model):
        pytest.fail(f"{onnx_path_for(shipped_model)} does not match {shipped_model}: run `digitboard export`")
    agreement = check_agreement(shipped_model, to_model_input(load_mnist(mnist_path).x_test))
    assert agreement.ok, str(agreement)
