"""One training run's configuration: `TrainConfig`, its defaults stated once. `digitboard
train`, the notebook and the benchmarks all build one."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from digitboard.paths import shown
from digitboard.training.augment import FLAG_REACH

@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs. The data recipe (copies, non-digits, junk, style
    variants) is the one chosen by leave-institutions-out cross-validation (docs/cross-validation.md)."""

    mnist: str | None = None  # local MNIST .npz in Keras's layout; None: $DIGITBOARD_MNIST, else download
    unipen: str | None = None  # pen-drawn digits; None: ../shared/data if present
    nondigits: str | None = None  # pen-drawn letters and symbols; None: ../shared/data if present
    drawn: bool = True  # False: MNIST and synthetic junk alone
    out: str = "best.keras"
    force: bool = False  # replace an existing `out`
    init: str | None = None  # start from this model's weights (fine-tuning) instead of from scratch
    epochs: int = 9  # of the CNN; one cycle of the learning rate over the run (digitboard.training.pipeline)
    batch_size: int = 256
    learning_rate: float = 3e-3  # the peak of the cycle
    patience: int = 6  # epochs without a better validation accuracy before stopping
    sample_limit: int | None = None  # only this many images of each source (quick runs)
    seed: int = 0
    drawn_copies: int = 2  # renderings of each pen-drawn digit, with random stroke widths
    nondigit_copies: int = 2  # renderings of each pen-drawn letter or symbol
    junk: int = 8000  # synthetic clicks, wiggles and scribbles
    plain_ones: int = 1000  # synthetic ruler-straight 1s (digitboard.training.augment.plain_one_strokes)
    style_variants: float = 0.6  # share of drawn 0s and 1s rendered slashed or flagged
    flag_reach: float = FLAG_REACH  # the longest flag of a flagged 1, as a share of its height (augment.flagged_one)
    # Pen drawings rendered afresh every epoch from their strokes rotated, slanted, stretched and
    # jittered (digitboard.training.dataset.redrawn_image), not distorted as fixed images.
    redraw: bool = False
    # The share of MNIST's training images an epoch of the CNN sees, drawn afresh every epoch: the
    # pen drawings, which strangers' writing resembles, are seen every epoch.
    mnist_per_epoch: float = 1.0
    # The trajectory model read beside the CNN (digitboard.recognition.trajectory), trained on the pen-drawn
    # digits, non-digits and junk; the two are pooled into one model (digitboard.training.model.pooled_model).
    paths: bool = True  # False, or no pen-drawn data: ship the CNN alone
    path_epochs: int = 12
    style_paths: bool = True  # the path model learns the slashed and flagged variants too (style_variants)
    # The weight, shift and temperature below are those benchmarks/cross_validation.py --paths chose
    # on all three folds of this recipe ("chosen on all folds", docs/cross-validation.md).
    image_weight: float = 0.5  # the CNN's weight in the pooled log-probabilities
    # Added to the shipped model's "not a digit" log-odds (digitboard.training.model): the weakest shift
    # leaving at most 1% of unseen writers' digits unsure, out of fold.
    not_a_digit_shift: float = -2.25
    # The pooled log-probabilities are divided by it, so that the confidence shown is how often a
    # reading is right on unseen writers: fitted out of fold (digitboard.training.calibration).
    # None: POOLED_TEMPERATURE; a model of the CNN alone (--no-paths) has none.
    temperature: float | None = None
    validation_fraction: float = 0.1

    def __post_init__(self) -> None:
        positive = {"epochs": self.epochs, "batch_size": self.batch_size, "drawn_copies": self.drawn_copies,
                    "path_epochs": self.path_epochs}
        for name, value in positive.items():
            if value < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
        if self.sample_limit is not None and self.sample_limit < 1:
            raise ValueError(f"--sample-limit must be at least 1 (or left out for all data), got {self.sample_limit}")
        if not 0 <= self.seed < 2**63:  # numpy's generators take no negative seed
            raise ValueError(f"--seed must be a non-negative integer below 2**63, got {self.seed}")
        if self.temperature is not None:
            if not (self.temperature > 0 and math.isfinite(self.temperature)):
                raise ValueError(f"--temperature must be a positive number, got {self.temperature}")
            if not self.paths:
                raise ValueError("--temperature applies to the CNN and the path model pooled, not to --no-paths")
        if not math.isfinite(self.not_a_digit_shift):
            raise ValueError(f"--not-a-digit-shift must be a finite number, got {self.not_a_digit_shift}")
        if self.patience < 1 or self.nondigit_copies < 0 or self.junk < 0 or self.plain_ones < 0:
            raise ValueError("--patience must be at least 1, nondigit-copies, junk and plain-ones at least 0")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise ValueError(f"--learning-rate must be a positive number, got {self.learning_rate}")
        if not 0 < self.image_weight <= 1:
            raise ValueError(f"--image-weight must be in (0, 1], got {self.image_weight}")
        if not 0.25 <= self.flag_reach <= 1.5:
            raise ValueError(f"flag_reach must be in [0.25, 1.5] (of a one's height), got {self.flag_reach}")
        if not 0 < self.mnist_per_epoch <= 1:
            raise ValueError(f"mnist_per_epoch must be in (0, 1], got {self.mnist_per_epoch}")
        if not 0 <= self.style_variants <= 1 or not 0 < self.validation_fraction < 1:
            raise ValueError("style-variants must be in [0, 1] and validation-fraction in (0, 1)")
        if Path(self.out).suffix != ".keras":
            raise ValueError(f"--out {shown(self.out)}: the model is saved in Keras's native format, "
                             "so the name must end in .keras")


    @property
    def pooled_temperature(self) -> float:
        """What the pooled log-probabilities are divided by."""
        return POOLED_TEMPERATURE if self.temperature is None else self.temperature

    @classmethod
    def quick_look(cls, **changes) -> TrainConfig:
        """A first look in about 3 minutes on two cores (QUICK_LOOK); `changes` override it."""
        return cls(**{**QUICK_LOOK, **changes})


POOLED_TEMPERATURE = 1.0  # chosen with the weight and the shift on all folds of the recipe

# A quick run: a third of MNIST, a few epochs. Its model is for a first look, not for the board.
QUICK_LOOK = {"epochs": 3, "path_epochs": 4, "sample_limit": 10_000}
