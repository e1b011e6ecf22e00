"""Large batches split over the cores give what one run gives, in order."""

from __future__ import annotations

import numpy as np

from digitboard.recognition.batches import SPLIT_FROM, in_parts


def test_a_large_batch_is_split_in_order_and_a_small_one_is_not():
    items = list(range(SPLIT_FROM * 3 + 1))
    parts = in_parts(list, items, cores=4)
    assert len(parts) == 4 and [item for part in parts for item in part] == items
    assert in_parts(list, items[:SPLIT_FROM - 1], cores=4) == [items[:SPLIT_FROM - 1]]
    assert in_parts(list, items, cores=1) == [items]


def test_the_onnx_recogniser_reads_a_split_batch_as_it_reads_each_digit(shipped_model):
    from digitboard.recognition.modelfile import onnx_path_for
    from digitboard.recognition.recognizer import OnnxRecognizer

    recognizer = OnnxRecognizer(onnx_path_for(shipped_model))
    rng = np.random.default_rng(0)
    images = rng.random((SPLIT_FROM * 2 + 3, 28, 28, 1), dtype=np.float32)
    paths = rng.uniform(-0.5, 0.5, (len(images), 64, 5)).astype(np.float32)
    one_by_one = np.concatenate([recognizer.predict(image[None], path[None]) for image, path in zip(images, paths)])
    assert np.allclose(recognizer.predict(images, paths), one_by_one, atol=1e-6)
    embeddings, probabilities = recognizer.embed_and_predict(images, paths)
    # the shipped model's embedding: the CNN's 128 features and the path model's 128, side by side
    assert embeddings.shape == (len(images), 256) and np.allclose(probabilities, one_by_one, atol=1e-6)


def test_a_batch_longer_than_one_run_reads_as_its_runs_read_apart(shipped_model):
    from digitboard.recognition.modelfile import onnx_path_for
    from digitboard.recognition.recognizer import RUN_ROWS, OnnxRecognizer

    recognizer = OnnxRecognizer(onnx_path_for(shipped_model))
    rng = np.random.default_rng(1)
    images = rng.random((RUN_ROWS * 2 + 5, 28, 28, 1), dtype=np.float32)
    paths = rng.uniform(-0.5, 0.5, (len(images), 64, 5)).astype(np.float32)
    apart = np.concatenate([recognizer.predict(images[start:start + 50], paths[start:start + 50])
                            for start in range(0, len(images), 50)])
    assert np.allclose(recognizer.predict(images, paths), apart, atol=1e-6)
    embeddings, probabilities = recognizer.embed_and_predict(images, paths)
    assert embeddings.shape == (len(images), 256) and np.allclose(probabilities, apart, atol=1e-6)
    assert recognizer.predict(images[:0], paths[:0]).shape == (0, 11)
