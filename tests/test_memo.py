"""The web board's memory of drawings (digitboard.web.memo): the same answers, the work done once."""

from __future__ import annotations

import numpy as np
from test_learning import ONE, SEVEN, ZERO, EmbeddingFake, image_batch, shifted

from digitboard.recognition.preprocess import digit_image
from digitboard.recognition.trajectory import trajectories, trajectory
from digitboard.web.memo import DrawingMemo, MemoRecognizer


def drawn(*drawings):
    strokes = [[np.asarray(points, np.float64) for points in drawing] for drawing in drawings]
    return image_batch(*drawings), trajectories(strokes)


def test_the_memo_reads_as_its_model_and_runs_it_once_per_drawing():
    base, memo = EmbeddingFake(), MemoRecognizer(EmbeddingFake())
    images, paths = drawn(SEVEN, ONE, ZERO)
    for _ in range(2):
        embeddings, probabilities = memo.embed_and_predict(images, paths)
        expected_embeddings, expected = base.embed_and_predict(images, paths)
        assert np.array_equal(embeddings, expected_embeddings) and np.array_equal(probabilities, expected)
    assert memo.model_rows == 3
    more_images, more_paths = drawn(ZERO, shifted(SEVEN, 40, 0), [[(0, 0), (5, 90)]])  # a seven elsewhere reads alike
    assert np.array_equal(memo.predict(more_images, more_paths), base.predict(more_images, more_paths))
    assert memo.model_rows == 4  # only the new stroke was read by the model


def test_the_memo_forgets_the_least_recently_read_beyond_its_capacity():
    memo = MemoRecognizer(EmbeddingFake(), capacity=2)
    images, paths = drawn(SEVEN, ONE, ZERO)
    memo.predict(images[:2], paths[:2])
    memo.predict(images[:1], paths[:1])  # the seven is read again: the one is now the oldest
    memo.predict(images[2:], paths[2:])
    memo.predict(images[:1], paths[:1])
    assert memo.model_rows == 3
    memo.predict(images[1:2], paths[1:2])
    assert memo.model_rows == 4


def test_the_drawing_memo_gives_what_preprocessing_gives_and_keeps_it_unchanged():
    memo = DrawingMemo()
    strokes = [np.asarray(points, np.float64) for points in SEVEN]
    image, path = memo.model_input(strokes, 2.5)
    assert np.array_equal(image, digit_image(strokes, 2.5)) and np.array_equal(path, trajectory(strokes))
    again, _ = memo.model_input([stroke.copy() for stroke in strokes], 2.5)
    assert again is image and not image.flags.writeable
    assert not np.array_equal(memo.model_input(strokes, 4.0)[0], image)  # the pen's width is part of the key
