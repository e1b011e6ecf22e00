"""The fast path: the ONNX copy is derived from the .keras model, agrees with it (probabilities
and embedding), and is used only while the fingerprint matches both files byte for byte."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import TRAIN_EXTRA_MISSING

from digitboard.recognition.modelfile import fast_copy_matches, onnx_path_for
from digitboard.recognition.recognizer import KerasRecognizer, OnnxRecognizer, load_recognizer

pytest.importorskip("keras", reason=TRAIN_EXTRA_MISSING)  # every test here trains, exports or runs Keras

IMAGES = np.random.default_rng(0).random((64, 28, 28, 1), np.float32)


def save_untrained(path, seed: int):
    import keras

    from digitboard.training.model import build_model

    keras.utils.set_random_seed(seed)
    model = build_model()
    model(np.zeros((1, 28, 28, 1), np.float32))
    model.save(path)
    return path


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """An untrained model saved as .keras, with its ONNX copy derived by the real exporter."""
    from digitboard.training.export import export_onnx

    path = save_untrained(tmp_path_factory.mktemp("model") / "small.keras", seed=1)
    assert export_onnx(path, IMAGES).ok
    return path


def test_a_pooled_model_exports_with_both_inputs_and_needs_the_paths(tmp_path):
    """A model reading the image and the pen's path: its copy takes both, agrees with Keras (on
    paths traced from the images), and both runtimes refuse to read without the paths."""
    import keras

    from digitboard.recognition.trajectory import traced_paths
    from digitboard.training.export import export_onnx
    from digitboard.training.model import build_model, pooled_model
    from digitboard.training.path_model import build_trajectory_model

    keras.utils.set_random_seed(2)
    path = tmp_path / "pooled.keras"
    pooled_model(build_model(), build_trajectory_model(), 0.6, -2.5).save(path)
    assert export_onnx(path, IMAGES).ok
    onnx, reference = load_recognizer(path), KerasRecognizer.load(path)
    assert isinstance(onnx, OnnxRecognizer) and onnx.reads_paths and reference.reads_paths
    paths = traced_paths(IMAGES[:20])
    assert np.allclose(onnx.predict(IMAGES[:20], paths), reference.predict(IMAGES[:20], paths), atol=1e-5)
    for recognizer in (onnx, reference):
        with pytest.raises(ValueError, match="pen's path"):
            recognizer.predict(IMAGES[:2])


def test_the_path_model_exports_fused_into_fewer_operations_reading_the_same(tmp_path):
    """fused_path_model: 2-D layers, batch normalisations folded into their convolutions (here with
    statistics far from a fresh layer's), no Unsqueeze or Squeeze around each convolution; the
    Keras model and the ONNX copy read as the model as trained."""
    import keras
    import onnx

    from digitboard.recognition.trajectory import traced_paths
    from digitboard.training.export import export_onnx
    from digitboard.training.fused import fused, fused_path_model
    from digitboard.training.model import build_model, pooled_model
    from digitboard.training.path_model import build_trajectory_model

    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    path_model = build_trajectory_model()
    for layer in path_model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 2, gamma.shape), rng.normal(0, 0.5, beta.shape),
                               rng.normal(0, 0.5, mean.shape), rng.uniform(0.2, 3, variance.shape)])
    paths = traced_paths(IMAGES[:32])
    folded = fused_path_model(path_model)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in folded.layers)
    assert np.allclose(folded.predict(paths, verbose=0), path_model.predict(paths, verbose=0), atol=1e-5)
    model = pooled_model(build_model(), path_model, 0.5, -3.0)
    assert np.allclose(fused(model).predict([IMAGES[:32], paths], verbose=0),
                       model.predict([IMAGES[:32], paths], verbose=0), atol=1e-6)
    path = tmp_path / "pooled.keras"
    model.save(path)
    assert export_onnx(path, IMAGES).ok
    operations = [node.op_type for node in onnx.load(str(onnx_path_for(path))).graph.node]
    assert "Unsqueeze" not in operations and operations.count("Conv") == 9  # 4 of the CNN, 5 of the path model
    assert np.allclose(load_recognizer(path).predict(IMAGES[:32], paths), model.predict([IMAGES[:32], paths], verbose=0),
                       atol=1e-5)


def copy_pair(model, folder, name="small.keras"):
    target = folder / name
    shutil.copy(model, target)
    shutil.copy(onnx_path_for(model), onnx_path_for(target))
    shutil.copy(str(onnx_path_for(model)) + ".json", str(onnx_path_for(target)) + ".json")
    return target


def test_export_writes_the_copy_and_its_fingerprint(small_model):
    assert onnx_path_for(small_model).is_file() and fast_copy_matches(small_model)
    assert isinstance(load_recognizer(small_model), OnnxRecognizer)
    recorded = json.loads((small_model.parent / "small.onnx.json").read_text())
    assert {"sha256", "onnx_sha256"} <= set(recorded)
    assert not list(small_model.parent.glob(".*partial*"))


def test_copy_gives_probabilities_and_embedding_agreeing_with_keras(small_model):
    from digitboard.training.export import check_agreement

    agreement = check_agreement(small_model, IMAGES)
    assert agreement.ok, str(agreement)
    for recognizer in (OnnxRecognizer(onnx_path_for(small_model)), KerasRecognizer.load(small_model)):
        embeddings, probabilities = recognizer.embed_and_predict(IMAGES[:3])
        assert embeddings.shape == (3, 128) and embeddings.dtype == np.float32
        assert probabilities.shape == (3, 11) and recognizer.ready
        assert np.allclose(recognizer.predict(IMAGES[:3]), probabilities, atol=1e-6)


def test_a_changed_model_no_longer_uses_the_stale_copy(small_model, tmp_path):
    changed = copy_pair(small_model, tmp_path)
    assert fast_copy_matches(changed)
    with open(changed, "ab") as handle:  # same name, different bytes
        handle.write(b"\0")
    assert not fast_copy_matches(changed)


def test_another_models_onnx_beside_the_model_and_its_fingerprint_is_not_used(small_model, tmp_path):
    """the fingerprint covers the .onnx too, so a swapped copy is never run."""
    from digitboard.training.export import export_onnx

    (tmp_path / "other").mkdir()
    other = save_untrained(tmp_path / "other" / "other.keras", seed=2)
    assert export_onnx(other, IMAGES).ok
    pair = copy_pair(small_model, tmp_path)
    shutil.copy(onnx_path_for(other), onnx_path_for(pair))  # a different model's copy, same name
    assert not fast_copy_matches(pair)
    assert isinstance(load_recognizer(pair), KerasRecognizer)


def test_export_without_mnist_writes_nothing(small_model, tmp_path):
    """`digitboard export` with no MNIST exits 2 and leaves no copy or fingerprint."""
    from digitboard.cli import main

    alone = tmp_path / "alone.keras"
    shutil.copy(small_model, alone)
    assert main(["export", str(alone), "--mnist", str(tmp_path / "absent.npz")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone.keras"]


def test_a_copy_that_disagrees_is_not_written_and_the_old_pair_is_kept(small_model, tmp_path, monkeypatch):
    from digitboard.training import export

    pair = copy_pair(small_model, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with open(pair, "ab") as handle:  # the model changed: its old copy no longer matches
        handle.write(b"\0")
    monkeypatch.setattr(export, "compare", lambda *args: export.Agreement(64, 63, 0.5))
    agreement = export.export_onnx(pair, IMAGES)
    assert not agreement.ok and "DISAGREES" in str(agreement)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after["small.onnx"] == before["small.onnx"] and after["small.onnx.json"] == before["small.onnx.json"]
    assert not fast_copy_matches(pair) and set(after) == set(before)


def test_a_deeply_nested_fingerprint_is_just_not_a_match(small_model, tmp_path):
    """no RecursionError traceback."""
    pair = copy_pair(small_model, tmp_path)
    (tmp_path / "small.onnx.json").write_text("[" * 100_000 + "]" * 100_000)
    assert not fast_copy_matches(pair)


def test_without_a_copy_keras_runs_the_model_and_says_how_to_derive_one(small_model, tmp_path, capsys):
    alone = tmp_path / "alone.keras"
    shutil.copy(small_model, alone)
    recognizer = load_recognizer(alone)
    assert isinstance(recognizer, KerasRecognizer)
    assert f"digitboard export {alone}" in capsys.readouterr().err
    assert recognizer.predict(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 11)


def test_shipped_copy_agrees_with_shipped_model_on_mnist_test_set(shipped_model, mnist_path):
    """The ONNX copy's contract: same labels on all 10,000 test digits, probabilities within 1e-4."""
    from digitboard.training.data import load_mnist, to_model_input
    from digitboard.training.export import check_agreement

    if not fast_copy_matches(shipped_model):
        pytest.fail(f"{onnx_path_for(shipped_model)} does not match {shipped_model}: run `digitboard export`")
    agreement = check_agreement(shipped_model, to_model_input(load_mnist(mnist_path).x_test))
    assert agreement.ok, str(agreement)
