"""S saves PNGs: whole files or none (a full disk is reported, no broken or temporary file is
left), named so that they sort in reading order and say each digit's label."""

from __future__ import annotations

import io
import os
import stat
import subprocess

import pygame
import pytest
from conftest import WINDOW_SIZE, FakeRecognizer

from digitboard.core.board import Board
from digitboard.window import app as board_app
from digitboard.window.app import BoardApp, run_frame, stroke_events

SIZE = WINDOW_SIZE
FOUR = [[(100, 100), (90, 170), (150, 170)], [(135, 110), (135, 220)]]
SEVEN = [[(300, 100), (360, 100), (320, 220)], [(310, 160), (350, 160)]]


def frame(app, *events):
    for event in events:
        pygame.event.post(event)
    return run_frame(app)


def draw(app, *strokes):
    return frame(app, *(event for points in strokes for event in stroke_events(points)))


def press_s(app):
    return frame(app, pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=0, unicode="s", scancode=0))


def short_writer(keep: int):
    """A pygame.image.save that, like a write to a full disk, silently keeps `keep` bytes."""
    save = pygame.image.save

    def write(surface, file, namehint=""):
        encoded = io.BytesIO()
        save(surface, encoded, namehint)
        file.write(encoded.getvalue()[:keep])

    return write


@pytest.mark.parametrize("keep", [0, 100, 4096])
def test_a_png_written_short_is_reported_and_nothing_is_left(window, tmp_path, monkeypatch, capsys, keep):
    saves = tmp_path / "saves"
    app = BoardApp(Board(FakeRecognizer()), SIZE, save_dir=saves)
    draw(app, *FOUR, *SEVEN)
    monkeypatch.setattr(board_app.pygame.image, "save", short_writer(keep))
    press_s(app)
    assert app.controller.message.startswith(f"could not save to {saves}: board-") and "unreadable" in app.controller.message
    assert app.controller.message.endswith("; nothing saved")
    assert list(saves.iterdir()) == []  # no broken PNG, no temporary file
    assert capsys.readouterr().err == f"digitboard: {app.controller.message}\n"


def test_a_full_disk_is_reported_and_nothing_is_left(window, tmp_path, capsys):
    small = tmp_path / "small-disk"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(small)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (root only): {mounted.stderr.decode().strip()}")
    try:
        app = BoardApp(Board(FakeRecognizer()), SIZE, save_dir=small)
        for row in range(4):  # enough ink that the board's PNG does not fit in 16 KiB
            draw(app, *[[(x + 20 * i, 40 + 100 * row + (i % 3) * 20) for i in range(30)] for x in (20, 330)])
        press_s(app)
        assert app.controller.message == f"could not save to {small}: No space left on device; nothing saved"
        assert os.listdir(small) == []
        assert "No space left on device" in capsys.readouterr().err
        draw(app, *SEVEN)
        assert app.controller.running and len(app.board.strokes) == 10  # the board goes on
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_saved_names_sort_in_reading_order_and_say_the_label(window, tmp_path, monkeypatch):
    monkeypatch.setattr(board_app.time, "strftime", lambda _: "20260101-120000")
    saves = tmp_path / "saves"
    app = BoardApp(Board(FakeRecognizer(confidence=0.4)), SIZE, save_dir=saves)
    strokes = [[(40 + 50 * column, 40 + 110 * row), (40 + 50 * column, 100 + 110 * row)]
               for row in range(3) for column in range(4)]
    draw(app, *strokes)
    press_s(app)
    names = sorted(path.name for path in saves.iterdir() if "-digit" in path.name)
    labels = [digit.prediction.label for digit in app.board.left_to_right()]
    assert names == [f"board-20260101-120000-digit{n:02d}-{label}-unsure.png" for n, label in enumerate(labels, 1)]


def test_a_saved_digit_is_named_by_the_label_shown_and_written_as_the_umask_says(window, tmp_path, monkeypatch):
    monkeypatch.setattr(board_app.time, "strftime", lambda _: "20260101-120000")
    saves = tmp_path / "saves"
    app = BoardApp(Board(FakeRecognizer()), SIZE, save_dir=saves)
    draw(app, *FOUR)
    (digit,) = app.board.digits
    corrected = (digit.prediction.label + 1) % 10
    pointer = pygame.event.Event(pygame.MOUSEMOTION, pos=(120, 150), rel=(0, 0), buttons=(0, 0, 0))
    frame(app, pointer, pygame.event.Event(pygame.KEYDOWN, key=pygame.K_0 + corrected, mod=0,
                                           unicode=str(corrected), scancode=0))
    assert digit.corrected == corrected
    previous = os.umask(0o027)
    try:
        written = app.save()
    finally:
        os.umask(previous)
    assert [path.name for path in written] == ["board-20260101-120000.png",
                                               f"board-20260101-120000-digit01-{corrected}.png"]
    assert {stat.S_IMODE(path.stat().st_mode) for path in written} == {0o640}
