"""How a web session learns: from its corrections only, each in the form the page keeps it, so
that a correction teaches the rest of its visit exactly as it teaches the next visit, where it
travels as one of the user's examples. The server answers the examples a session has taught
(`"learned"`); the page keeps exactly those, and drops what undo took back, by the board's own rule.

The desktop board also learns from the digits the user lets stand; the page keeps only
corrections, so a web session does not (as `digitboard replay --corrections-only`)."""

from __future__ import annotations

from collections.abc import Sequence

from digitboard.core.actions import Correct
from digitboard.core.board import Board
from digitboard.profile.examples import EmbeddingRecognizer, Example, LearningConfig, fitted_strokes
from digitboard.profile.learner import PersonalRecognizer
from digitboard.recognition.preprocess import STROKE_WIDTH
from digitboard.sessions.format import Session
from digitboard.sessions.replay import board_state
from digitboard.web.memo import DrawingMemo

# Corrections only: the page keeps no digit let stand, so a visit must not learn from them either.
WEB_LEARNING = LearningConfig(accepted_per_label=0)


class PageLearner(PersonalRecognizer):
    """A learner that keeps each correction as the page will keep it (`fitted_strokes`, at most
    `max_points` points, ends included, so that a later request takes it back), and remembers
    which of the session's corrections gave which example."""

    def __init__(self, base: EmbeddingRecognizer, examples: Sequence[Example], drawings: DrawingMemo,
                 max_points: int) -> None:
        super().__init__(base, examples, WEB_LEARNING)
        self.drawings = drawings
        self.max_points = max_points
        self.taught: list[Example] = []  # the session's corrections, in order

    def learn(self, image, strokes, label, path=None, reasons=(), own_label=None) -> Example:
        kept = fitted_strokes(strokes, self.max_points // 2, self.max_points)  # two ends a stroke at least
        image, path = self.drawings.model_input(kept, STROKE_WIDTH)  # as a request's example renders
        example = super().learn(image, kept, label, path, reasons, own_label)
        self.taught.append(example)
        return example


def read_session(session: Session, recognizer: EmbeddingRecognizer, examples: Sequence[Example],
                 drawings: DrawingMemo, max_points: int) -> dict:
    """The session's final state, as `digitboard replay --corrections-only` prints it with a
    profile of `examples`, and `"learned"`: the examples its corrections still teach at its end
    (an undone correction's is gone), in the form learned, each with the index of its `correct`
    action and the strokes of the digit it corrected."""
    learner = PageLearner(recognizer, examples, drawings, max_points)
    board = Board(learner, learner, model_inputs=drawings)
    learned = []
    for index, action in enumerate(session.actions):
        before = len(learner.taught)
        digit = board.apply(action)
        if isinstance(action, Correct) and len(learner.taught) > before and digit is not None:
            learned.append((index, sorted(digit.stroke_ids), learner.taught[-1]))
    state = board_state(board, session.name)
    held = [(index, strokes, example) for index, strokes, example in learned if learner.example(example.id) is example]
    if held:
        state["learned"] = [{"action": index, "digit": strokes, "label": example.label,
                             "strokes": [stroke.tolist() for stroke in example.strokes]}
                            for index, strokes, example in held]
    return state
