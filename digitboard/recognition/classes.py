"""The classes a model reads and the rule that says when a reading is sure: defined here once.

A model gives the ten digits' probabilities, then (models with an eleventh output) the
probability that the ink is no digit at all.
"""

from __future__ import annotations

import numpy as np

DIGIT_CLASSES = 10  # the digits 0 to 9, at their own index
NOT_A_DIGIT = 10  # index of the "not a digit" probability, in models that have one
CLASSES = DIGIT_CLASSES + 1  # what a model trained by this project reads

# A digit whose best digit probability is below this is shown as unsure. Chosen on the
# out-of-fold readings of the leave-institutions-out cross-validation with the "not a digit"
# shift (benchmarks/cross_validation.py, choose_unsure_rule; docs/cross-validation.md): of the
# thresholds and shifts leaving at most 1% of real digits unsure, the pair showing the fewest
# wrong readings as sure. On every fold that pair has 0.5, the lowest at which a confident
# digit is still the likeliest class.
UNSURE_BELOW = 0.5


def confident_digits(probabilities: np.ndarray, unsure_below: float = UNSURE_BELOW) -> np.ndarray:
    """Which rows of (N, 10 or 11) probabilities the board shows as a confident digit: the best
    of all classes is a digit, and its probability is at least `unsure_below`."""
    probabilities = np.asarray(probabilities)
    best_digit = probabilities[:, :DIGIT_CLASSES].max(axis=1)
    return (probabilities.argmax(axis=1) < DIGIT_CLASSES) & (best_digit >= unsure_below)


# A reading whose best digit is under this share, and below "not a digit", is shown as no digit
# at all ("?"); above it, the digit keeps its guess, marked unsure (a plain 1 half taken for a stroke).
DIGIT_SHOWN_FROM = 0.05


def shown_no_digit(probabilities: np.ndarray) -> np.ndarray:
    """Which rows of (N, 10 or 11) probabilities the board shows as no digit at all ("?"): "not a
    digit" likelier than the best digit, and that digit under DIGIT_SHOWN_FROM."""
    probabilities = np.asarray(probabilities)
    best_digit = probabilities[:, :DIGIT_CLASSES].max(axis=1)
    if probabilities.shape[1] <= NOT_A_DIGIT:
        return np.zeros(len(probabilities), bool)
    return (probabilities[:, NOT_A_DIGIT] > best_digit) & (best_digit < DIGIT_SHOWN_FROM)


def shift_not_a_digit(probabilities: np.ndarray, shift: float) -> np.ndarray:
    """(N, 11) probabilities with `shift` added to the "not a digit" logit: its odds against every
    digit multiplied by e**shift, the digits' odds among themselves unchanged. The same as
    digitboard.training.model.shift_not_a_digit_logit on the model itself (a test checks it)."""
    probabilities = np.asarray(probabilities, np.float64)
    scaled = probabilities.copy()
    scaled[:, NOT_A_DIGIT] *= np.exp(shift)
    return scaled / scaled.sum(axis=1, keepdims=True)


def with_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """(N, C) probabilities with their log-probabilities divided by `temperature`: above 1 less
    sure, below 1 surer, the label read unchanged. The same as the temperature of
    digitboard.recognition.keras_model.PooledProbabilities (a test checks it)."""
    if not temperature > 0:
        raise ValueError(f"a temperature must be positive, got {temperature}")
    logits = np.log(np.maximum(np.asarray(probabilities, np.float64), 1e-300)) / temperature
    scaled = np.exp(logits - logits.max(axis=1, keepdims=True))
    return scaled / scaled.sum(axis=1, keepdims=True)
