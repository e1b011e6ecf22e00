"""Confidence that means what it says: temperature scaling fitted on held-out writers, and the
reliability table and expected calibration error that show how far a model's stated confidence
is from how often it is right.

A network trained with cross-entropy is usually too sure of itself, and more so on writers it
never saw. Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", 2017)
divides the log-probabilities by one number T fitted on held-out data: the label read never
changes, only how sure it is said to be. The project fits T on the out-of-fold readings of the
leave-institutions-out cross-validation (benchmarks/cross_validation.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitboard.recognition.classes import DIGIT_CLASSES, with_temperature

TEMPERATURES = np.exp(np.linspace(np.log(0.25), np.log(8.0), 241))  # 1.5% apart: finer than it matters


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The mean of -log p(true class) over rows of (N, C) probabilities."""
    picked = np.asarray(probabilities, np.float64)[np.arange(len(labels)), np.asarray(labels)]
    return float(-np.log(np.maximum(picked, 1e-12)).mean())


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature (0.25 to 8) under which `probabilities` give their `labels` the highest
    likelihood. The likelihood is unimodal in log T, so a fine grid finds its best."""
    if len(labels) == 0:
        raise ValueError("a temperature is fitted on at least one labelled reading")
    losses = [negative_log_likelihood(with_temperature(probabilities, t), labels) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


@dataclass(frozen=True)
class Bin:
    """Readings whose stated confidence is in [low, high)."""

    low: float
    high: float
    count: int
    confidence: float  # their mean stated confidence
    accuracy: float  # the share of them read right


def reliability_table(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> list[Bin]:
    """Real digits' readings grouped by the confidence shown for them (the best digit's
    probability, as the board shows it), each group with how often it was right. The last bin
    includes a confidence of exactly 1."""
    probabilities = np.asarray(probabilities, np.float64)
    confidence = probabilities[:, :DIGIT_CLASSES].max(axis=1)
    right = probabilities[:, :DIGIT_CLASSES].argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    where = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    return [Bin(float(edges[i]), float(edges[i + 1]), int((where == i).sum()),
                float(confidence[where == i].mean()) if (where == i).any() else float("nan"),
                float(right[where == i].mean()) if (where == i).any() else float("nan"))
            for i in range(bins)]


def expected_calibration_error(table: list[Bin]) -> float:
    """The readings' mean gap between confidence shown and accuracy, bin by bin, weighted by the
    bins' sizes (Naeini et al., 2015): 0 for a model whose confidence means exactly what it says."""
    total = sum(row.count for row in table)
    return sum(row.count * abs(row.confidence - row.accuracy) for row in table if row.count) / max(total, 1)


def format_table(table: list[Bin]) -> str:
    """The reliability table as text, one bin a line."""
    lines = [f"  {'confidence':>11} {'digits':>7} {'mean shown':>10} {'right':>8}"]
    lines += [f"  {row.low:5.2f}-{row.high:4.2f} {row.count:7,} {row.confidence:10.2%} {row.accuracy:8.2%}"
              for row in table if row.count]
    return "\n".join(lines)
