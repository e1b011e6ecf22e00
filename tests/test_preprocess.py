"""Preprocessing: strokes to MNIST-like 28x28 inputs, checked against MNIST itself."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import needs_training_extra

from digitboard.recognition import preprocess
from digitboard.recognition.preprocess import BOX_SIZE, IMAGE_SIZE, RENDER_POINTS, _centre_of_mass_shift, digit_image, thinned


def normalise_image(image: np.ndarray) -> np.ndarray:
    """MNIST's normalisation of a grey image of one digit (white ink on black), from pixels: the
    ink's box fitted into 20x20 keeping its aspect ratio, centred by centre of mass.

    Returns (28, 28) float32 in [0, 1]. Only these tests need it: the board renders strokes.
    """
    ys, xs = np.nonzero(image > 0)
    if len(xs) == 0:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    crop = image[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    factor = BOX_SIZE / max(h, w)
    new_w, new_h = max(1, round(w * factor)), max(1, round(h * factor))
    resized = cv2.resize(crop, (new_w, new_h), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    top, left = (IMAGE_SIZE - new_h) // 2, (IMAGE_SIZE - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = resized
    canvas = _centre_of_mass_shift(canvas)
    return canvas / max(float(canvas.max()), 1e-6)


def ink_box(image: np.ndarray, threshold: float = 0.05) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(image > threshold)
    return xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    moments = cv2.moments(image)
    return np.array([moments["m10"], moments["m01"]]) / moments["m00"]


SEVEN = [np.array([[0, 0], [60, 0], [25, 100]], float), np.array([[20, 50], [50, 50]], float)]


def test_output_is_28x28_float_in_unit_range():
    image = digit_image(SEVEN)
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0 and 0.9 < image.max() <= 1


def test_size_and_position_on_the_board_do_not_matter():
    small = digit_image([s * 0.9 + (5, 300) for s in SEVEN])
    large = digit_image([s * 2.6 + (400, 10) for s in SEVEN])
    assert np.abs(small - large).max() < 0.15


def test_longer_side_fills_the_20_pixel_box_keeping_the_aspect_ratio():
    tall = digit_image([np.array([[0, 0], [0, 200]], float), np.array([[0, 0], [50, 0]], float)])
    x, y, w, h = ink_box(tall)
    assert BOX_SIZE - 1 <= h <= BOX_SIZE + 1
    assert w < h / 2  # not squashed to a square


def test_stroke_width_is_mnist_like_whatever_the_drawn_size():
    for scale in (0.5, 1, 4):
        line = digit_image([np.array([[0, 0], [0, 100]], float) * scale])
        width = (line[14] > 0.5).sum()
        assert 2 <= width <= 3


def test_centre_of_mass_is_at_the_centre():
    image = digit_image(SEVEN)
    assert np.abs(centre_of_mass(image) - 14).max() <= 0.6


def test_a_single_point_and_coinciding_points_make_a_small_dot():
    for strokes in ([np.array([[5.0, 5.0]])], [np.array([[5.0, 5.0], [5.0, 5.0]])]):
        image = digit_image(strokes)
        assert 0 < (image > 0.5).sum() <= 12


def test_bad_strokes_are_refused_with_a_message():
    with pytest.raises(ValueError, match="at least one"):
        digit_image([])
    with pytest.raises(ValueError, match="finite"):
        digit_image([np.array([[0.0, np.nan]])])


def test_mnist_test_digits_pasted_large_on_a_board_keep_their_label(mnist_path, shipped_model):
    """The reference check: an MNIST digit blown up onto a 640x480 board, normalised again,
    must come back from the shipped model with the label MNIST gives it."""
    needs_training_extra()
    from digitboard.recognition.keras_model import image_part
    from digitboard.recognition.modelfile import load_keras_model
    from digitboard.recognition.recognizer import KerasRecognizer
    from digitboard.training.data import load_mnist

    mnist = load_mnist(mnist_path)
    recognizer = KerasRecognizer(image_part(load_keras_model(shipped_model)))  # a pasted image has no pen path
    rng = np.random.default_rng(0)
    indices = rng.choice(len(mnist.y_test), 300, replace=False)
    inputs = []
    for index in indices:
        board = np.zeros((480, 640), np.uint8)
        size = int(rng.integers(90, 260))
        digit = cv2.resize(mnist.x_test[index], (size, size), interpolation=cv2.INTER_LINEAR)
        x, y = rng.integers(0, 640 - size), rng.integers(0, 480 - size)
        board[y:y + size, x:x + size] = digit
        inputs.append(normalise_image(board))
    labels = recognizer.predict(np.stack(inputs)[..., None])[:, :10].argmax(axis=1)  # the ten digits
    assert (labels == mnist.y_test[indices]).mean() >= 0.98


def test_normalising_an_mnist_digit_changes_it_little(mnist_path):
    from digitboard.training.data import load_mnist

    mnist = load_mnist(mnist_path)
    original = mnist.x_test[:50].astype(np.float32) / 255
    again = np.stack([normalise_image(cv2.resize(d, (200, 200))) for d in mnist.x_test[:50]])
    assert np.mean(np.abs(original - again)) < 0.06


@pytest.mark.parametrize("dx, dy", [(0, 0), (3, -5), (-7, 2), (111, 0), (-112, 5), (200, -200), (-1, 111)])
def test_a_whole_pixel_shift_by_slicing_is_what_warp_affine_gives(dx, dy):
    import cv2

    from digitboard.recognition.preprocess import shifted

    image = np.random.default_rng([dx + 500, dy + 500]).integers(0, 256, (112, 112), dtype=np.uint8)
    expected = cv2.warpAffine(image, np.float32([[1, 0, dx], [0, 1, dy]]), (112, 112), flags=cv2.INTER_NEAREST)
    assert np.array_equal(shifted(image, dx, dy), expected)


# -- drawings of many points ----------------------------------------------------------------------
def spiral(samples: int) -> list[np.ndarray]:
    """One smooth pen stroke (a loop and a tail, as of a 6), sampled `samples` times."""
    t = np.linspace(0, 3 * np.pi, samples)
    return [np.stack([100 + 60 * np.sin(t), 100 + 40 * t + 20 * np.cos(2 * t)], axis=1)]


def test_a_dense_pen_path_renders_as_the_same_path_sampled_as_a_pen_samples_it():
    """A 1000 Hz mouse gives thousands of points where a pen gives tens: drawn through fewer, the
    digit looks as the pen's; drawn through every point it did not (each join blends its edge again)."""
    pen, dense = digit_image(spiral(60)), spiral(3000)
    assert float(np.abs(digit_image(dense) - pen).mean()) < 0.006
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(preprocess, "RENDER_POINTS", 10**9)
        assert float(np.abs(digit_image(dense) - pen).mean()) > 0.01


def test_a_dense_stroke_back_to_where_it_began_keeps_its_whole_path():
    """A fast mouse's 1 drawn up and back down to its very start, and a 0 closed on its start."""
    up = np.linspace(0, -60, 200)
    one = [np.column_stack([np.full(400, 100.0), 300 + np.concatenate([up, up[::-1]])])]
    assert (digit_image(one).max(axis=1) > 0.3).sum() >= BOX_SIZE
    turn = np.linspace(0, 2 * np.pi, 500)
    zero = digit_image([np.column_stack([100 + 30 * np.sin(turn), 100 + 50 * np.cos(turn)])])
    assert (zero > 0.3).sum() > 100 and zero[12:16, 12:16].max() == 0  # a ring, its middle empty


def test_a_drawing_is_drawn_through_at_most_its_bound_of_points(monkeypatch):
    """Drawing costs by the point: a scribble of thousands is drawn through the bound (and two
    ends a stroke), placed by all its points; a drawing within the bound through every point."""
    drawn: list[int] = []
    polylines = cv2.polylines
    monkeypatch.setattr(cv2, "polylines", lambda canvas, lines, *rest: drawn.append(sum(map(len, lines))) or polylines(canvas, lines, *rest))
    rng = np.random.default_rng(0)
    scribble = [rng.uniform(0, 300, (100, 2)) for _ in range(50)]
    image = digit_image(scribble)
    assert sum(drawn) <= RENDER_POINTS + 2 * len(scribble) and image.max() > 0.5
    drawn.clear()
    digit_image(scribble[:2])
    assert sum(drawn) == 200


def test_thinning_keeps_each_strokes_ends_and_an_even_share_of_its_points():
    rng = np.random.default_rng(1)
    for _ in range(200):
        lengths = rng.integers(1, 80, int(rng.integers(1, 30)))
        points = rng.uniform(0, 100, (int(lengths.sum()), 2))
        most = int(rng.integers(1, 400))
        kept, kept_lengths = thinned(points, lengths, most)
        strokes = np.split(points, np.cumsum(lengths)[:-1])
        expected = []
        for stroke in strokes:  # the rule, one stroke at a time
            share = max(min(len(stroke), 2), len(stroke) * most // int(lengths.sum()))
            if lengths.sum() <= most or share >= len(stroke):
                expected.append(stroke)
            else:
                expected.append(stroke[np.floor(np.arange(share) * (len(stroke) - 1) / max(1, share - 1) + 0.5).astype(int)])
        assert np.array_equal(kept, np.concatenate(expected)) and list(kept_lengths) == [len(e) for e in expected]
        assert all(np.array_equal(e[[0, -1]], s[[0, -1]]) for e, s in zip(expected, strokes))
        assert len(kept) <= max(most, 0) + 2 * len(lengths)
