"""The CNN builder and the augmentation."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TRAIN_EXTRA_MISSING

from digitboard.recognition.preprocess import digit_image
from digitboard.training.augment import Augmentation, change_thickness, elastic

pytest.importorskip("keras", reason=TRAIN_EXTRA_MISSING)  # every test here trains, exports or runs Keras


def test_model_takes_28x28x1_and_gives_11_probabilities():
    from digitboard.training.model import build_model

    model = build_model()
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 11)
    out = np.asarray(model(np.random.default_rng(0).random((3, 28, 28, 1), np.float32)))
    assert out.shape == (3, 11) and np.allclose(out.sum(axis=1), 1, atol=1e-5) and (out >= 0).all()
    assert 50_000 < model.count_params() < 400_000


@pytest.mark.parametrize("classes", [10, 11])
def test_the_embedding_is_the_penultimate_layer_of_new_and_old_models(classes):
    import keras

    from digitboard.recognition.keras_model import with_embedding
    from digitboard.training.model import build_model

    model = build_model(num_classes=classes)
    images = np.random.default_rng(0).random((4, 28, 28, 1), np.float32)
    if classes == 10:  # an older model: no layer named "embedding"
        model = keras.Model(model.inputs, model.outputs)
        model.get_layer("embedding").name = "relu_before_dropout"
    probabilities, embedding = (np.asarray(a) for a in with_embedding(model)(images, training=False))
    assert probabilities.shape == (4, classes) and embedding.shape == (4, 128)
    assert np.allclose(probabilities, np.asarray(model(images, training=False)), atol=1e-6)
    last = model.layers[-1]  # probabilities = softmax(embedding @ W + b), the output layer's own maths
    weights, bias = last.get_weights()
    logits = embedding @ weights + bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert np.allclose(probabilities, expected / expected.sum(axis=1, keepdims=True), atol=1e-5)


def test_the_pooled_model_pools_as_the_numpy_rule_and_keeps_the_cnn_embedding(tmp_path):
    """Image and path in, the two models' weighted geometric mean with the shift out; saved and
    loaded as one .keras file; its embedding is the CNN's and the path model's features, each of
    unit length; its image part is the CNN."""
    import keras

    from digitboard.recognition.classes import shift_not_a_digit
    from digitboard.recognition.keras_model import image_part, with_embedding
    from digitboard.recognition.modelfile import load_keras_model
    from digitboard.recognition.recognizer import pool_probabilities
    from digitboard.training.model import build_model, pooled_model, shift_not_a_digit_logit
    from digitboard.training.path_model import build_trajectory_model

    keras.utils.set_random_seed(3)
    cnn, paths = build_model(), build_trajectory_model()
    rng = np.random.default_rng(0)
    images = rng.random((5, 28, 28, 1), np.float32)
    drawn = rng.uniform(-0.5, 0.5, (5, 64, 5)).astype(np.float32)
    model = pooled_model(cnn, paths, image_weight=0.6, not_a_digit_shift=-2.5, temperature=1.7)
    expected = shift_not_a_digit(pool_probabilities(np.asarray(cnn(images)), np.asarray(paths(drawn)), 0.6, 1.7), -2.5)
    assert np.allclose(np.asarray(model([images, drawn])), expected, atol=1e-5)
    model.save(tmp_path / "pooled.keras")
    loaded = load_keras_model(tmp_path / "pooled.keras")
    assert np.allclose(np.asarray(loaded([images, drawn])), expected, atol=1e-5)
    probabilities, embedding = (np.asarray(a) for a in with_embedding(loaded)([images, drawn]))
    assert np.allclose(probabilities, expected, atol=1e-5)
    image_features = np.asarray(with_embedding(cnn)(images)[1])
    path_features = np.asarray(keras.Model(paths.inputs, paths.layers[-1].input)(drawn))
    unit = lambda rows: rows / np.linalg.norm(rows, axis=1, keepdims=True)
    assert embedding.shape == (5, image_features.shape[1] + path_features.shape[1])
    assert np.allclose(embedding, np.concatenate([unit(image_features), unit(path_features)], axis=1), atol=1e-5)
    assert np.allclose(np.asarray(image_part(loaded)(images)), np.asarray(cnn(images)), atol=1e-6)
    with pytest.raises(ValueError, match="pooled_model"):
        shift_not_a_digit_logit(loaded, -1.0)
    assert np.allclose(pool_probabilities(expected, expected, 1.0), expected)  # weight 1: the image alone


def test_junk_is_clicks_wiggles_and_scribbles_that_render_like_the_board():
    from digitboard.training.augment import junk_strokes

    rng = np.random.default_rng(0)
    pieces = [junk_strokes(rng) for _ in range(300)]
    extents = [np.ptp(np.concatenate(strokes), axis=0).max() for strokes in pieces]
    assert min(extents) <= 1 and any(2 <= e <= 8 for e in extents) and max(extents) > 40  # all three kinds
    for strokes in pieces:
        assert all(len(stroke) >= 1 and np.array_equal(stroke, np.round(stroke)) for stroke in strokes)  # whole pixels
        image = digit_image(strokes)
        assert image.shape == (28, 28) and image.max() > 0


def test_shifting_the_not_a_digit_logit_is_the_same_change_on_the_model_and_on_probabilities(digits):
    from digitboard.recognition.classes import shift_not_a_digit
    from digitboard.training.model import build_model, shift_not_a_digit_logit

    model = build_model()
    layer = model.layers[-1]
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel + np.random.default_rng(0).normal(0, 0.3, kernel.shape), bias])  # an untrained model is near-uniform
    before = np.asarray(model.predict_on_batch(digits))
    shift_not_a_digit_logit(model, -2.0)
    after = np.asarray(model.predict_on_batch(digits))
    assert np.allclose(after, shift_not_a_digit(before, -2.0), atol=1e-5)
    assert (after[:, 10] < before[:, 10]).all()
    assert (after[:, :10].argmax(axis=1) == before[:, :10].argmax(axis=1)).all()  # the label read is unchanged
    with pytest.raises(ValueError, match="not a digit"):
        shift_not_a_digit_logit(build_model(num_classes=10), -2.0)


@pytest.fixture
def digits() -> np.ndarray:
    seven = [np.array([[0, 0], [60, 0], [25, 100]], float)]
    zero = [np.array([[30 + 30 * np.cos(t), 50 + 50 * np.sin(t)] for t in np.linspace(0, 6.3, 40)])]
    return np.stack([digit_image(seven), digit_image(zero)])[..., None]  # (2, 28, 28, 1)


def test_augmentation_keeps_shape_dtype_and_range(digits):
    out = Augmentation().apply(digits, np.random.default_rng(1))
    assert out.shape == digits.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    assert not np.allclose(out, digits)  # it did distort


def test_augmentation_is_reproducible_for_a_seed(digits):
    first = Augmentation().apply(digits, np.random.default_rng(7))
    again = Augmentation().apply(digits, np.random.default_rng(7))
    assert np.array_equal(first, again)


def test_augmentation_keeps_most_of_the_ink(digits):
    out = Augmentation().apply(np.repeat(digits, 50, axis=0), np.random.default_rng(2))
    ratios = out.sum(axis=(1, 2, 3)) / np.repeat(digits, 50, axis=0).sum(axis=(1, 2, 3))
    assert ratios.min() > 0.4 and ratios.max() < 2.0


def test_thickness_changes_go_the_right_way(digits):
    image = digits[0, ..., 0]
    assert change_thickness(image, thicker=True).sum() > image.sum() * 1.2
    assert change_thickness(image, thicker=False).sum() < image.sum()


def test_elastic_distortion_moves_ink_a_little(digits):
    image = digits[1, ..., 0]
    moved = elastic(image, alpha=1.5, sigma=3, rng=np.random.default_rng(3))
    assert moved.shape == image.shape and 0.6 < moved.sum() / image.sum() < 1.4
    assert not np.allclose(moved, image)


def test_labels_are_untouched_by_training_epochs_and_each_epoch_is_distorted_afresh(digits):
    from digitboard.training.dataset import Split, image_batches

    split = Split(np.repeat(digits, 5, axis=0), np.array([7, 0] * 5))

    def epoch(batches) -> tuple[np.ndarray, np.ndarray]:
        x, y = zip(*(batches[i] for i in range(len(batches))))
        return np.concatenate(x), np.concatenate(y)

    batches = image_batches(split, Augmentation(), batch_size=4, seed=0)
    first = epoch(batches)
    batches.on_epoch_end()
    second = epoch(batches)
    for x, y in (first, second):
        assert x.shape == (10, 28, 28, 1) and x.dtype == np.float32
        assert sorted(y.tolist()) == sorted(split.y.tolist())
    assert not np.allclose(np.sort(first[0].ravel()), np.sort(second[0].ravel()))  # not the same distortion
    again = image_batches(split, Augmentation(), batch_size=4, seed=0)
    assert np.array_equal(epoch(again)[0], first[0])  # a seed gives the same run


def test_redrawn_rows_are_rendered_afresh_from_their_strokes_and_the_others_distorted_as_images():
    """TrainConfig.redraw: a pen drawing's rows are drawn anew every epoch, as the board renders a
    drawing (centred and scaled, whatever the distortion of its strokes); other rows untouched by it."""
    from digitboard.recognition.preprocess import digit_image
    from digitboard.training.config import TrainConfig
    from digitboard.training.data import DrawnDigit, Mnist
    from digitboard.training.dataset import SYNTHETIC, image_batches, prepare_data

    rng = np.random.default_rng(0)
    seven = [np.array([[10.0, 10.0], [60.0, 10.0], [30.0, 90.0]])]
    drawn = [DrawnDigit(7, "pen", seven) for _ in range(20)]
    images = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
    mnist = Mnist(images, (np.arange(30) % 10).astype(np.uint8), images[:5], np.arange(5, dtype=np.uint8))
    data = prepare_data(mnist, drawn, [], TrainConfig(redraw=True, junk=4, plain_ones=3, validation_fraction=0.2))
    plain = prepare_data(mnist, drawn, [], TrainConfig(redraw=False, junk=4, plain_ones=3, validation_fraction=0.2))
    assert np.array_equal(data.train.x, plain.train.x) and len(plain.redrawn) == 0
    assert len(data.redrawn) == 16 * 2  # the pen drawings' training copies, not the synthetic ones
    assert all(d.contributor != SYNTHETIC for d in data.redrawn.drawings)
    assert (data.train.y[data.redrawn.rows] == 7).all()

    batches = image_batches(data.train, None, batch_size=len(data.train), seed=0, redrawn=data.redrawn)
    order = batches.order
    x, y = batches[0]
    assert np.array_equal(y, data.train.y[order])
    redrawn = np.isin(order, data.redrawn.rows)
    assert np.array_equal(x[~redrawn], data.train.x[order][~redrawn])  # no augmentation given: as stored
    fresh, stored = x[redrawn, ..., 0], data.train.x[order][redrawn, ..., 0]
    assert not any(np.allclose(image, digit_image(seven)) for image in fresh)  # every one distorted
    # Its shape drawn otherwise each time, not only its stroke width (the stored copies')
    assert fresh.std(axis=0).mean() > 2 * stored.std(axis=0).mean()
    assert len({image.tobytes() for image in fresh}) == len(fresh)  # each its own way
    for image in fresh:  # scaled and centred as the board draws a digit: the ink fills 20 pixels, mass at the centre
        rows, columns = np.nonzero(image > 0.1)
        assert max(np.ptp(rows), np.ptp(columns)) >= 17
        mass = np.array([(image.sum(axis=1) * np.arange(28)).sum(), (image.sum(axis=0) * np.arange(28)).sum()])
        assert np.all(np.abs(mass / image.sum() - 13.5) < 1.5)
    again = image_batches(data.train, None, batch_size=len(data.train), seed=0, redrawn=data.redrawn)
    assert np.array_equal(again[0][0], x)  # a seed gives the same run


def test_path_batches_learn_flagged_ones_of_pen_drawings_only_when_asked():
    """TrainConfig.style_paths: the path model sees a pen-drawn 1 flagged (its path wider than the
    bar's); a synthetic 1 and every other drawing are only distorted."""
    from digitboard.training.data import DrawnDigit
    from digitboard.training.dataset import SYNTHETIC, path_batches

    bar = [np.array([[50.0, 0.0], [50.0, 50.0], [50.0, 100.0]])]
    drawings = [DrawnDigit(1, "pen", bar)] * 200 + [DrawnDigit(1, SYNTHETIC, bar)] * 200
    widest = {}
    for share in (0.0, 1.0):
        batches = path_batches(drawings, batch_size=400, seed=0, style_variants=share)
        x, y = batches[0]
        assert x.shape == (400, 64, 5) and (y == 1).all()
        pen = np.isin(batches.order, np.arange(200))
        width = np.ptp(x[..., 0], axis=1)  # the path's x extent, as a share of its longer side
        widest[share] = (width[pen].mean(), width[~pen].mean())
    assert widest[1.0][0] > 1.8 * widest[0.0][0]  # flags on the pen's 1s when asked
    assert widest[1.0][1] < 1.2 * widest[0.0][1]  # never on the synthetic ones


def test_slashed_zero_adds_one_stroke_crossing_the_zero_drawn_up_or_down():
    from digitboard.training.augment import slashed_zero

    zero = [np.array([[50 + 30 * np.cos(t), 50 + 50 * np.sin(t)] for t in np.linspace(0, 6.3, 40)])]
    upwards = 0
    for seed in range(20):
        strokes = slashed_zero(zero, np.random.default_rng(seed))
        assert len(strokes) == 2 and strokes[0] is zero[0]
        slash = strokes[1][np.argsort(strokes[1][:, 0])]
        assert slash[0, 0] < 50 < slash[-1, 0] and slash[0, 1] > 50 > slash[-1, 1]  # lower left to upper right
        assert np.ptp(slash[:, 1]) > 40  # steep enough to cross the zero, whatever the draw
        upwards += bool(strokes[1][0, 1] > strokes[1][-1, 1])
    assert 0 < upwards < 20


def test_flagged_one_adds_a_flag_down_and_left_of_the_top_in_each_writers_order():
    """The flag in one stroke with a bar drawn down, before the bar, or after it from the top."""
    from digitboard.training.augment import flagged_one

    one = [np.array([[50.0, 0.0], [52.0, 100.0]])]  # drawn down
    habits = set()
    for seed in range(30):
        strokes = flagged_one(one, np.random.default_rng(seed))
        points = np.concatenate(strokes)
        assert points[:, 0].min() < 45 and np.allclose(points[np.argmin(points[:, 1])], [50, 0])  # flag left of the top
        if len(strokes) == 1:
            habits.add("one stroke")
            assert np.allclose(strokes[0][-2:], one[0]) and strokes[0][0, 1] > 0  # up the flag, down the bar
        elif strokes[0] is one[0]:
            habits.add("bar, then flag")
            assert np.allclose(strokes[1][0], [50, 0]) and strokes[1][-1, 0] < 50  # from the top, down and left
        else:
            habits.add("flag, then bar")
            assert strokes[1] is one[0] and np.allclose(strokes[0][-1], [50, 0]) and strokes[0][0, 1] > 0
    assert len(habits) == 3
    upwards = [np.array([[52.0, 100.0], [50.0, 0.0]])]  # a bar drawn up: the flag is its own stroke
    assert all(len(flagged_one(upwards, np.random.default_rng(seed))) == 2 for seed in range(10))
    wide = [np.array([[0.0, 0.0], [60.0, 0.0], [20.0, 100.0]])]  # a 7-like shape: left alone
    assert flagged_one(wide, np.random.default_rng(0)) is None


def test_a_flag_reaches_as_far_as_the_recipe_lets_it():
    """TrainConfig.flag_reach: flags a quarter of the one's height long up to `reach` of it, so a
    recipe can teach the continental 1 whose flag starts low on the left."""
    from digitboard.training.augment import FLAG_REACH, flagged_one

    one = [np.array([[50.0, 0.0], [50.0, 100.0]])]

    def flag_lengths(reach: float) -> list[float]:
        lengths = []
        for seed in range(200):
            strokes = flagged_one(one, np.random.default_rng(seed), reach)
            points = np.concatenate(strokes)
            left = points[np.argmin(points[:, 0])]
            lengths.append(float(np.hypot(*(left - [50.0, 0.0]))))
        return lengths

    usual, long = flag_lengths(FLAG_REACH), flag_lengths(1.0)
    assert 25 - 1e-6 <= min(usual) and max(usual) <= 100 * FLAG_REACH + 1e-6
    assert max(long) > 90 and max(long) <= 100 + 1e-6 and min(long) >= 25 - 1e-6


def test_the_recipes_flag_reach_reaches_the_rendered_ones():
    """prepare_data renders the pen's 1s with TrainConfig.flag_reach: longer flags, wider ink."""
    from digitboard.training.config import TrainConfig
    from digitboard.training.data import DrawnDigit, Mnist
    from digitboard.training.dataset import prepare_data

    rng = np.random.default_rng(0)
    mnist = Mnist(rng.integers(0, 255, (20, 28, 28), dtype=np.uint8), rng.integers(0, 10, 20),
                  rng.integers(0, 255, (5, 28, 28), dtype=np.uint8), rng.integers(0, 10, 5))
    ones = [DrawnDigit(1, "pen", [np.array([[50.0, 0.0], [50.0, 100.0]])]) for _ in range(60)]
    widths = {}
    for reach in (0.3, 1.0):
        config = TrainConfig(style_variants=1.0, flag_reach=reach, junk=0, plain_ones=0, validation_fraction=0.1)
        data = prepare_data(mnist, ones, [], config)
        drawn = data.train.x[data.mnist_rows:, ..., 0]
        widths[reach] = np.mean([np.ptp(np.nonzero(image > 0.2)[1]) for image in drawn])
    assert widths[1.0] > widths[0.3] + 2
    with pytest.raises(ValueError, match="flag_reach"):
        TrainConfig(flag_reach=0.1)


def test_style_variants_keep_labels(digits):
    from digitboard.training.data import DrawnDigit
    from digitboard.training.dataset import render_drawn_digits

    drawn = [DrawnDigit(0, "x", [np.array([[30 + 30 * np.cos(t), 50 + 50 * np.sin(t)] for t in np.linspace(0, 6.3, 40)])]),
             DrawnDigit(1, "x", [np.array([[50.0, 0.0], [50.0, 100.0]])])]
    split = render_drawn_digits(drawn, 4, np.random.default_rng(0), style_variants=1.0)
    assert split.x.shape == (8, 28, 28, 1) and split.y.tolist() == [0] * 4 + [1] * 4
    plain = render_drawn_digits(drawn, 1, np.random.default_rng(0), style_variants=0.0)
    ink_width = lambda image: np.ptp(np.nonzero(image[..., 0] > 0.2)[1]) + 1
    assert min(ink_width(image) for image in split.x[4:]) > ink_width(plain.x[1]) + 3  # the flags


def test_synthetic_junk_big_enough_to_be_read_is_never_a_straight_line():
    """A straight line is a 1 at any size: junk taught as "not a digit" must never be one."""
    from digitboard.core.grouping import SPECK_PIXELS
    from digitboard.training.augment import junk_strokes, line_like

    assert line_like(np.array([[5.0, 0.0], [5.0, 3.0], [5.0, 9.0]])) and line_like(np.array([[1.0, 1.0]]))
    assert not line_like(np.array([[0.0, 0.0], [0.0, 8.0], [6.0, 8.0]]))  # an L
    rng = np.random.default_rng(0)
    for _ in range(3000):
        points = np.concatenate(junk_strokes(rng))
        if np.ptp(points, axis=0).max() >= SPECK_PIXELS:  # smaller marks are specks, never read
            assert not line_like(points), points


def test_synthetic_plain_ones_are_single_straight_upright_strokes_of_any_length_and_sampling():
    """What the training adds so that a ruler-straight bar reads 1: one line-like stroke within 12
    degrees of upright, mostly drawn downwards, of many lengths and point counts, taught as a 1."""
    from digitboard.training.augment import line_like
    from digitboard.training.dataset import SYNTHETIC, synthetic_ones

    ones = synthetic_ones(500, np.random.default_rng(0))
    assert {(d.label, d.contributor, len(d.strokes)) for d in ones} == {(1, SYNTHETIC, 1)}
    strokes = [d.strokes[0] for d in ones]
    assert all(line_like(points, thinness=0.1) for points in strokes)
    slants = [np.degrees(np.arctan2(abs(p[-1, 0] - p[0, 0]), abs(p[-1, 1] - p[0, 1]))) for p in strokes]
    assert max(slants) <= 13 and min(slants) < 2
    downwards = np.mean([p[-1, 1] > p[0, 1] for p in strokes])
    assert 0.8 < downwards < 1
    counts, lengths = [len(p) for p in strokes], [np.ptp(p[:, 1]) for p in strokes]
    assert min(counts) == 2 and max(counts) > 50 and min(lengths) < 30 and max(lengths) > 300


def test_a_pool_saved_before_temperatures_existed_reads_at_temperature_one():
    """Models saved before the temperature have no such key in their config: they load and read
    exactly as before."""
    from digitboard.recognition.keras_model import PooledProbabilities

    old = PooledProbabilities(0.6, -2.5)
    config = old.get_config()
    del config["temperature"]
    rng = np.random.default_rng(1)
    image, path = (rng.dirichlet(np.ones(11), 4).astype(np.float32) for _ in range(2))
    assert PooledProbabilities.from_config(config).temperature == 1.0
    assert np.allclose(np.asarray(PooledProbabilities.from_config(config)([image, path])),
                       np.asarray(old([image, path])), atol=1e-6)
    hotter = np.asarray(PooledProbabilities(0.6, -2.5, 2.0)([image, path]))
    assert (hotter.argmax(axis=1) == np.asarray(old([image, path])).argmax(axis=1)).all()  # same labels
    assert (hotter.max(axis=1) < np.asarray(old([image, path])).max(axis=1)).all()  # less sure
