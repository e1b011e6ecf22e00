"""A plain vertical stroke, the commonest 1 there is, read through the board by the shipped model."""

from __future__ import annotations

import numpy as np

from digitboard.core.actions import Stroke
from digitboard.core.board import Board

SURE_ONE = 0.9


def vertical_strokes() -> list[tuple[str, np.ndarray]]:
    """Straight vertical strokes of many lengths and samplings, in whole board pixels."""
    strokes = []
    for length in (12, 30, 80, 200, 400):
        for count in (2, 5, 40, 200):
            y = np.round(np.linspace(40, 40 + length, count))
            strokes.append((f"{length} px in {count} points", np.stack([np.full(count, 300.0), y], axis=1)))
    return strokes


def readings(recognizer) -> list[tuple[str, int, float]]:
    """(what was drawn, label, confidence) for each stroke, each alone on a fresh board."""
    out = []
    for name, points in vertical_strokes():
        board = Board(recognizer)
        board.apply(Stroke(tuple(map(tuple, points))))
        board.classify_pending()
        (digit,) = board.digits
        out.append((name, digit.prediction.label, digit.prediction.confidence))
    return out


def test_a_plain_vertical_stroke_of_any_length_and_sampling_reads_one_with_confidence(shipped_model):
    from digitboard.recognition.recognizer import load_recognizer

    weak = [(name, label, round(confidence, 3)) for name, label, confidence in readings(load_recognizer(shipped_model))
            if label != 1 or confidence < SURE_ONE]
    assert not weak, weak
