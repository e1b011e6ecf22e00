"""Temperature scaling and the reliability table (digitboard.training.calibration)."""

from __future__ import annotations

import numpy as np
import pytest

from digitboard.recognition.classes import with_temperature
from digitboard.recognition.recognizer import pool_probabilities
from digitboard.training.calibration import (
    expected_calibration_error,
    fit_temperature,
    format_table,
    negative_log_likelihood,
    reliability_table,
)


def overconfident_readings(temperature: float, count: int = 20_000, seed: int = 0):
    """Readings whose labels are drawn from calibrated probabilities, then sharpened by 1/temperature:
    a model exactly `temperature` times too sure in log-odds."""
    rng = np.random.default_rng(seed)
    calibrated = rng.dirichlet(np.full(10, 0.3), count)
    labels = np.array([rng.choice(10, p=row) for row in calibrated])
    return with_temperature(calibrated, 1 / temperature), labels


def test_the_fitted_temperature_undoes_a_known_overconfidence():
    sharpened, labels = overconfident_readings(2.0)
    fitted = fit_temperature(sharpened, labels)
    assert fitted == pytest.approx(2.0, rel=0.06)
    assert negative_log_likelihood(with_temperature(sharpened, fitted), labels) < negative_log_likelihood(sharpened, labels)
    calibrated, labels = overconfident_readings(1.0, seed=1)
    assert fit_temperature(calibrated, labels) == pytest.approx(1.0, rel=0.06)


def test_temperature_keeps_the_label_and_changes_only_how_sure():
    rng = np.random.default_rng(2)
    probabilities = rng.dirichlet(np.ones(11), 50)
    for temperature in (0.5, 1.0, 3.0):
        scaled = with_temperature(probabilities, temperature)
        assert np.allclose(scaled.sum(axis=1), 1)
        assert (scaled.argmax(axis=1) == probabilities.argmax(axis=1)).all()
    assert (with_temperature(probabilities, 3.0).max(axis=1) < probabilities.max(axis=1)).all()
    assert np.allclose(with_temperature(probabilities, 1.0), probabilities)
    assert np.allclose(pool_probabilities(probabilities, None, 1.0, 2.0), with_temperature(probabilities, 2.0))
    with pytest.raises(ValueError, match="positive"):
        with_temperature(probabilities, 0.0)


def test_the_reliability_table_and_its_error():
    # Ten readings at 0.95 of which 9 are right, ten at 0.55 of which 5 are right.
    sure = np.eye(11)[3] * 0.95 + np.eye(11)[10] * 0.05
    unsure = np.eye(11)[3] * 0.55 + np.eye(11)[4] * 0.45
    probabilities = np.stack([sure] * 10 + [unsure] * 10)
    labels = np.array([3] * 9 + [5] + [3] * 5 + [4] * 5)
    table = reliability_table(probabilities, labels)
    filled = [row for row in table if row.count]
    assert [(row.low, row.count) for row in filled] == [(pytest.approx(0.5), 10), (pytest.approx(0.9), 10)]
    assert filled[0].accuracy == 0.5 and filled[1].accuracy == 0.9
    assert expected_calibration_error(table) == pytest.approx((abs(0.55 - 0.5) + abs(0.95 - 0.9)) / 2)
    assert "0.90-1.00" in format_table(table)
    perfect = reliability_table(np.stack([np.eye(11)[2]] * 4), np.array([2] * 4))
    assert perfect[-1].count == 4 and expected_calibration_error(perfect) == 0  # a confidence of 1 is in the last bin


def test_a_temperature_is_refused_where_it_would_be_ignored():
    from digitboard.cli import build_parser
    from digitboard.training.config import POOLED_TEMPERATURE, TrainConfig

    with pytest.raises(ValueError, match="--temperature"):
        TrainConfig(temperature=0.0)
    with pytest.raises(ValueError, match="--no-paths"):
        TrainConfig(temperature=1.2, paths=False)
    assert TrainConfig(temperature=1.2).pooled_temperature == 1.2
    # The default (the recipe's chosen temperature) belongs to the pooled model: a CNN alone is a
    # valid run without one, from the command line as from the notebook.
    assert TrainConfig(paths=False).temperature is None and TrainConfig().pooled_temperature == POOLED_TEMPERATURE
    assert build_parser().parse_args(["train", "--no-paths"]).paths is False
    TrainConfig(**{name: value for name, value in vars(build_parser().parse_args(["train", "--no-paths"])).items()
                   if name in {"paths", "temperature"}})
