"""The training data as the models see it: MNIST split for training and validation, pen-drawn
digits, letters and symbols and synthetic junk rendered through the board's own preprocessing,
and the batches each epoch draws from them (shuffled, freshly distorted)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitboard.recognition.classes import NOT_A_DIGIT
from digitboard.recognition.preprocess import STROKE_WIDTH, digit_image
from digitboard.training.augment import FLAG_REACH, Augmentation, flagged_one, junk_strokes, plain_one_strokes, slashed_zero
from digitboard.training.config import TrainConfig
from digitboard.training.data import DrawnDigit, Mnist, to_model_input


SYNTHETIC = "synthetic"  # the contributor of drawings made here, not by a person


@dataclass(frozen=True)
class Split:
    """Model-ready images (N, 28, 28, 1) float32 in [0, 1] and integer labels (N,), 0-10."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def __add__(self, other: Split) -> Split:
        return Split(np.concatenate([self.x, other.x]), np.concatenate([self.y, other.y]))


@dataclass(frozen=True)
class Redrawn:
    """Training images drawn afresh every epoch from their pen drawings: row `rows[i]` of the
    training split is `drawings[i]`, a share `variants[i]` of whose renderings are slashed or
    flagged (0s and 1s), the flags at most `flag_reach` of a one's height long."""

    rows: np.ndarray
    drawings: list[DrawnDigit]
    variants: np.ndarray
    flag_reach: float = FLAG_REACH

    def __len__(self) -> int:
        return len(self.rows)


NOTHING_REDRAWN = Redrawn(np.zeros(0, np.int64), [], np.zeros(0))


@dataclass(frozen=True)
class Prepared:
    train: Split
    validation: Split
    test: Split  # MNIST's test set, digits only
    drawings: tuple[list[DrawnDigit], list[DrawnDigit]] = ([], [])  # pen drawings for the path model: (train, validation)
    redrawn: Redrawn = NOTHING_REDRAWN  # training rows redrawn every epoch (TrainConfig.redraw)
    mnist_rows: int = 0  # the training split's first rows, MNIST's (TrainConfig.mnist_per_epoch)

    def cnn_batches(self, config: TrainConfig, augmentation: Augmentation | None):
        """The CNN's training batches as `config` says (image_batches)."""
        return image_batches(self.train, augmentation, config.batch_size, seed=config.seed, redrawn=self.redrawn,
                             drawn=(self.mnist_rows, config.mnist_per_epoch))

    def images_per_epoch(self, config: TrainConfig) -> int:
        """How many training images an epoch of cnn_batches takes."""
        from digitboard.training.pipeline import examples_an_epoch

        return examples_an_epoch(len(self.train), (self.mnist_rows, config.mnist_per_epoch))


def render_drawn_digits(
    digits: Sequence[DrawnDigit], copies: int, rng: np.random.Generator,
    width_range: tuple[float, float] = (0.75 * STROKE_WIDTH, 1.3 * STROKE_WIDTH),
    style_variants: float = 0.0, flag_reach: float = FLAG_REACH,
) -> Split:
    """Render pen drawings through the board's own preprocessing, `copies` times each with a
    random stroke width, so the model sees exactly what the board will show it.

    With `style_variants` > 0, that share of the copies of 0s and 1s are drawn slashed or
    flagged (see digitboard.training.augment), styles of many European writers, the flags at most
    `flag_reach` of the one's height long.
    """
    images, labels = [], []
    for digit in digits:
        for _ in range(copies):
            strokes = styled(digit, style_variants, rng, flag_reach)
            images.append(digit_image(strokes, stroke_width=rng.uniform(*width_range)))
            labels.append(digit.label)
    x = np.asarray(images, np.float32).reshape(-1, 28, 28, 1)  # (N, 28, 28, 1) float32 in [0, 1]
    return Split(x, np.asarray(labels, np.int64))


def styled(digit: DrawnDigit, style_variants: float, rng: np.random.Generator,
           flag_reach: float = FLAG_REACH) -> list[np.ndarray]:
    """The drawing's strokes, or with a share `style_variants` of chances, a 0 slashed or a 1
    flagged (a flag at most `flag_reach` of its height long)."""
    strokes = digit.strokes
    if style_variants and rng.random() < style_variants:
        if digit.label == 0:
            return slashed_zero(strokes, rng)
        if digit.label == 1:
            return flagged_one(strokes, rng, flag_reach) or strokes
    return strokes


# What a redrawn image is distorted by after rendering: the board centres and scales every drawing,
# so its shape is distorted before (path_model.distorted) and only the ink's wobble after.
REDRAWN_AUGMENTATION = Augmentation(rotation=0.0, shift=0.0, scale=(1.0, 1.0), shear=0.0, thickness_probability=0.0)


def redrawn_image(digit: DrawnDigit, style_variants: float, rng: np.random.Generator, flag_reach: float = FLAG_REACH,
                  width_range: tuple[float, float] = (0.75 * STROKE_WIDTH, 1.3 * STROKE_WIDTH)) -> np.ndarray:
    """One fresh training image of a pen drawing: its strokes (styled) rotated, slanted, stretched
    and jittered as a writer might have drawn them, rendered as the board renders them at a random
    stroke width, then wobbled. (28, 28) float32 in [0, 1]."""
    from digitboard.training.path_model import distorted

    strokes = distorted(styled(digit, style_variants, rng, flag_reach), rng)
    image = digit_image(strokes, stroke_width=rng.uniform(*width_range))
    return REDRAWN_AUGMENTATION.apply(image[None], rng)[0]


def synthetic_junk(count: int, rng: np.random.Generator) -> list[DrawnDigit]:
    """`count` clicks, wiggles and scribbles (digitboard.training.augment.junk_strokes), as NOT_A_DIGIT."""
    return [DrawnDigit(NOT_A_DIGIT, SYNTHETIC, junk_strokes(rng), "junk") for _ in range(count)]


def synthetic_ones(count: int, rng: np.random.Generator) -> list[DrawnDigit]:
    """`count` ruler-straight 1s (digitboard.training.augment.plain_one_strokes)."""
    return [DrawnDigit(1, SYNTHETIC, plain_one_strokes(rng), "line") for _ in range(count)]


def drawing_sources(
    drawn: Sequence[DrawnDigit], nondigits: Sequence[DrawnDigit], config: TrainConfig, rng: np.random.Generator
) -> list[tuple[Sequence[DrawnDigit], int, float]]:
    """Every source of drawings both models train on, each with the copies of it the CNN sees and
    the share of its 0s and 1s drawn slashed or flagged: the pen-drawn digits and non-digits, the
    synthetic junk and the plain 1s (at most `config.sample_limit` of each)."""
    limit = config.sample_limit
    junk = synthetic_junk(min(config.junk, limit or config.junk), rng)
    ones = synthetic_ones(min(config.plain_ones, limit or config.plain_ones), rng)
    return [(drawn, config.drawn_copies, config.style_variants), (nondigits, config.nondigit_copies, 0.0),
            (junk, 1, 0.0), (ones, 1, 0.0)]


def split_off(items: Sequence, fraction: float, limit: int | None, rng: np.random.Generator) -> tuple[list, list]:
    """Shuffle `items` (at most `limit` of them) into (training, validation)."""
    order = rng.permutation(len(items))[:limit]
    n_val = int(len(order) * fraction)
    return [items[i] for i in order[n_val:]], [items[i] for i in order[:n_val]]


def prepare_data(
    mnist: Mnist, drawn: Sequence[DrawnDigit], nondigits: Sequence[DrawnDigit], config: TrainConfig
) -> Prepared:
    """Split MNIST's training set into train and validation (the test set stays untouched) and add
    pen-drawn digits, pen-drawn non-digits, synthetic junk and plain 1s, rendered as the board
    renders them, to both in the same proportion."""
    rng = np.random.default_rng(config.seed)
    limit = config.sample_limit
    order = rng.permutation(len(mnist.y_train))[:limit]
    n_val = max(1, int(len(order) * config.validation_fraction))
    x_all, y_all = to_model_input(mnist.x_train), mnist.y_train.astype(np.int64)
    train = Split(x_all[order[n_val:]], y_all[order[n_val:]])
    mnist_rows = len(train)
    validation = Split(x_all[order[:n_val]], y_all[order[:n_val]])
    test_count = min(len(mnist.y_test), limit or len(mnist.y_test))
    test = Split(to_model_input(mnist.x_test[:test_count]), mnist.y_test[:test_count].astype(np.int64))

    path_train: list[DrawnDigit] = []
    path_validation: list[DrawnDigit] = []
    redrawn_rows, redrawn_drawings, redrawn_variants = [], [], []
    for drawings, copies, variants in drawing_sources(drawn, nondigits, config, rng):
        if not drawings or not copies:
            continue
        for_training, for_validation = split_off(drawings, config.validation_fraction, limit, rng)
        if config.redraw and any(d.contributor != SYNTHETIC for d in for_training):
            # Rendered once here for their place and label; each epoch draws them afresh.
            redrawn_rows.append(len(train) + np.arange(len(for_training) * copies))
            redrawn_drawings += [d for d in for_training for _ in range(copies)]
            redrawn_variants.append(np.full(len(for_training) * copies, variants))
        train = train + render_drawn_digits(for_training, copies, rng, style_variants=variants,
                                            flag_reach=config.flag_reach)
        validation = validation + render_drawn_digits(for_validation, 1, rng)
        path_train += for_training
        path_validation += for_validation
    # The path model learns from pen-drawn digits; synthetic drawings alone teach it nothing worth shipping.
    with_paths = config.paths and any(d.label != NOT_A_DIGIT and d.contributor != SYNTHETIC for d in path_train)
    redrawn = (Redrawn(np.concatenate(redrawn_rows), redrawn_drawings, np.concatenate(redrawn_variants), config.flag_reach)
               if redrawn_rows else NOTHING_REDRAWN)
    return Prepared(train, validation, test, (path_train, path_validation) if with_paths else ([], []), redrawn,
                    mnist_rows)


def image_batches(split: Split, augmentation: Augmentation | None, batch_size: int, seed: int = 0,
                  redrawn: Redrawn = NOTHING_REDRAWN, drawn: tuple[int, float] = (0, 1.0)):
    """The images in batches, shuffled and freshly distorted every epoch (pipeline.ShuffledBatches);
    the rows of `redrawn` drawn afresh from their pen drawings (redrawn_image) instead. With `drawn`
    (rows, share), an epoch takes that share of the first rows (MNIST's), a fresh draw each epoch."""
    from digitboard.training.pipeline import ShuffledBatches

    drawing_of = np.full(len(split), -1, np.int64)
    drawing_of[redrawn.rows] = np.arange(len(redrawn))

    def make(rows: np.ndarray, rng: np.random.Generator):
        x, drawings = split.x[rows], drawing_of[rows]
        kept = drawings < 0
        if augmentation is not None and kept.any():
            x[kept] = augmentation.apply(x[kept], rng)
        for at in np.flatnonzero(~kept):
            x[at, ..., 0] = redrawn_image(redrawn.drawings[drawings[at]], redrawn.variants[drawings[at]], rng,
                                          redrawn.flag_reach)
        return x, split.y[rows]

    return ShuffledBatches(len(split), make, batch_size, seed, drawn=drawn)


def path_batches(drawings: Sequence[DrawnDigit], batch_size: int, seed: int = 0, style_variants: float = 0.0,
                 flag_reach: float = FLAG_REACH):
    """The pen paths in batches, each drawing freshly distorted every epoch
    (digitboard.training.path_model.distorted), a share `style_variants` of the pen-drawn 0s and 1s
    slashed or flagged (styled, flags at most `flag_reach` long): (B, 64, 5) float32 and labels (B,)."""
    from digitboard.recognition.trajectory import trajectories
    from digitboard.training.path_model import distorted
    from digitboard.training.pipeline import ShuffledBatches

    labels = np.asarray([drawing.label for drawing in drawings], np.int64)
    shares = np.asarray([0.0 if drawing.contributor == SYNTHETIC else style_variants for drawing in drawings])

    def make(rows: np.ndarray, rng: np.random.Generator):
        return (trajectories([distorted(styled(drawings[row], shares[row], rng, flag_reach), rng) for row in rows]),
                labels[rows])

    return ShuffledBatches(len(drawings), make, batch_size, seed)
