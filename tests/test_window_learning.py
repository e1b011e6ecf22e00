"""Learning as the window shows it, through real events and the real frame loop: a digit read by
the user's examples says so, its panel forgets them in one click, and profile problems show on
the strip as well as on standard error."""

from __future__ import annotations

import numpy as np
from conftest import WINDOW_SIZE
from test_learning import SEVEN, EmbeddingFake, image_batch
from test_window import centre, click, digit_strokes, draw, frame

from digitboard.core.actions import Correct
from digitboard.core.board import Board
from digitboard.core.chooser import FORGET
from digitboard.profile.learner import PersonalRecognizer
from digitboard.window.app import BoardApp


def test_the_panel_forgets_the_examples_behind_a_digit_read_by_them_in_one_click(window, tmp_path):
    personal = PersonalRecognizer(EmbeddingFake())
    app = BoardApp(Board(personal, personal), WINDOW_SIZE, save_dir=tmp_path)
    draw(app, *digit_strokes(100, 100, 100))
    first = app.board.digits[0]
    own = first.label
    wrong = (own + 3) % 10
    app.controller.apply(Correct(app.board.point_of(first), wrong))  # an accidental correction
    draw(app, *digit_strokes(300, 100, 100))
    second = app.board.digits[1]
    assert second.label == wrong and second.yours
    frame(app, *click(centre(app.view.label_rect(second))))
    assert app.controller.choosing is second
    rows = app.view.panel_rows(app.board, second)
    assert [row.models_own for _, row in rows].count(True) == 1
    forget = next(rect for rect, row in rows if row.label == FORGET)
    frame(app, *click(centre(forget)))
    assert second.label == own and not second.yours and personal.examples == [] and app.controller.choosing is None
    assert first.corrected == wrong  # the label the user gave stays; only what it taught went


def test_a_profile_problem_shows_on_the_strip_as_well_as_on_stderr(window, tmp_path, capsys):
    class FullDisk:
        def remember(self, example):
            raise OSError(28, "No space left on device")

        def forget(self, example):
            pass

    personal = PersonalRecognizer(EmbeddingFake(), journal=FullDisk())
    personal.problem("personal examples not loaded (a test)")  # said before the window opened
    app = BoardApp(Board(personal, personal), WINDOW_SIZE, save_dir=tmp_path)
    personal.report_problems_to(app.controller.say)
    assert "not loaded" in app.controller.message
    personal.learn(image_batch(SEVEN)[0, ..., 0], [np.asarray(SEVEN[0], float)], 3)
    assert "cannot write personal examples" in app.controller.message and "session only" in app.controller.message
    assert "cannot write personal examples" in capsys.readouterr().err
