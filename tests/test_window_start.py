"""Opening the window (digitboard.window.app.run_board): no display means one line and exit 2, before
any file is created; a window larger than the display is shrunk to it; text scales with it."""

from __future__ import annotations

import json

import pygame
import pytest
from conftest import FakeLoader

from digitboard.recognition import recognizer as recognizer_module
from digitboard.window import app as board_app
from digitboard.window.app import display_problem, fit_to_display, run_board
from digitboard.window.config import BoardConfig


@pytest.fixture
def no_window(monkeypatch):
    """set_mode fails the test if called: no window may open."""
    def set_mode(*args, **kwargs):
        raise AssertionError("a window was opened")

    monkeypatch.setattr(pygame.display, "set_mode", set_mode)


def test_with_no_display_the_board_says_so_and_exits_2_before_recording(monkeypatch, no_window, shipped_model,
                                                                        tmp_path, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(name, raising=False)
    record = tmp_path / "session.jsonl"
    assert run_board(BoardConfig(shipped_model, record=record)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("digitboard: no display") and "SDL_VIDEODRIVER=dummy" in err
    assert not record.exists()


def test_when_sdl_falls_back_to_drawing_offscreen_the_board_says_so(monkeypatch, no_window, shipped_model,
                                                                    tmp_path, capsys):
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(pygame.display, "init", lambda: None)
    monkeypatch.setattr(pygame.display, "get_driver", lambda: "offscreen")
    record = tmp_path / "session.jsonl"
    assert run_board(BoardConfig(shipped_model, record=record)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'offscreen'" in err and not record.exists()


def test_where_a_display_is_needed():
    assert display_problem({}, "linux") is not None
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"SDL_VIDEODRIVER": "dummy"}, "linux") is None  # unseen on purpose
    assert display_problem({"DISPLAY": ""}, "linux") is not None
    assert display_problem({}, "win32") is None and display_problem({}, "darwin") is None


def test_fit_to_display():
    assert fit_to_display((16384, 16384), [(1920, 1080)]) == (1920, 1080)
    assert fit_to_display((640, 480), [(1920, 1080)]) == (640, 480)
    assert fit_to_display((3000, 500), [(1920, 1080), (2560, 1440)]) == (2560, 500)
    assert fit_to_display((640, 480), []) == (640, 480)


class Opened:
    """What run_board opened: set_mode's size, the icon, and the app it ran."""

    def __init__(self, monkeypatch, desktop) -> None:
        self.sizes, self.icons, self.app = [], [], None
        set_mode = pygame.display.set_mode
        monkeypatch.setattr(pygame.display, "set_mode", lambda size, *a: self.sizes.append(tuple(size)) or set_mode(size, *a))
        monkeypatch.setattr(pygame.display, "get_desktop_sizes", lambda: [desktop])
        monkeypatch.setattr(pygame.display, "set_icon", lambda icon: self.icons.append(icon.get_size()))
        monkeypatch.setattr(recognizer_module, "BackgroundRecognizer", FakeLoader)
        monkeypatch.setattr(board_app, "run_loop", self.run_loop)

    def run_loop(self, app, recognizer=None) -> int:
        self.app = app
        board_app.run_frame(app)
        return 0


def test_a_window_larger_than_the_display_is_shrunk_to_it(monkeypatch, shipped_model, tmp_path, capsys):
    opened = Opened(monkeypatch, (800, 600))
    record = tmp_path / "session.json"
    assert run_board(BoardConfig(shipped_model, (16384, 16384), record=record, learning=False)) == 0
    assert opened.sizes == [(800, 600)] and opened.app.size == (800, 600)
    assert opened.app.view.picture.get_size() == (800, 600)
    assert json.loads(record.read_text())["size"] == [800, 600]
    assert capsys.readouterr().err == "digitboard: --size 16384 16384 is larger than the display; opening 800x600\n"
    assert opened.icons == [(32, 32)]


def test_on_a_high_resolution_display_text_is_larger(monkeypatch, shipped_model):
    opened = Opened(monkeypatch, (3840, 2160))
    assert run_board(BoardConfig(shipped_model, (640, 480), learning=False)) == 0
    assert opened.app.view.look.scale == 2.0 and opened.sizes == [(640, 480)]
    assert opened.app.view.label_font.get_height() > 30  # 17 pixels at 1080 lines


def test_help_says_what_each_record_suffix_gives(tmp_path):
    from digitboard.cli import build_parser
    from digitboard.sessions.recording import Recorder

    text = " ".join(build_parser().format_help().split())
    assert "a .json FILE gets one JSON object, any other name (e.g. .jsonl) one JSON line" in text
    for name, lines in (("one.json", 0), ("one.jsonl", 1)):  # what the recorder does, as said
        Recorder(tmp_path / name, (640, 480))
        written = (tmp_path / name).read_text()
        assert written.count("\n") == lines and json.loads(written)["size"] == [640, 480]


class Loader(FakeLoader):
    """The model loader, telling when it was started and waited for."""

    made: list[Loader] = []

    def __init__(self, model_path, start: bool = True) -> None:
        super().__init__(model_path)
        self.events = ["start"] if start else []
        Loader.made.append(self)

    def start(self) -> None:
        self.events.append("start")

    def wait(self) -> None:
        self.events.append("wait")


@pytest.fixture
def loaders(monkeypatch) -> list[Loader]:
    monkeypatch.setattr(recognizer_module, "BackgroundRecognizer", Loader)
    monkeypatch.setattr(Loader, "made", [])
    return Loader.made


def test_a_refused_profile_stops_the_board_before_the_model_starts_loading(loaders, no_window, shipped_model, tmp_path):
    """A process that ends while ONNX Runtime loads the model on another thread is aborted
    (exit 134): what the board refuses, it refuses before the loader starts."""
    with pytest.raises(ValueError, match="is a folder"):
        run_board(BoardConfig(shipped_model, profile=tmp_path))
    assert [loader.events for loader in loaders] in ([], [[]])


def test_the_board_returns_only_once_the_model_has_loaded(loaders, monkeypatch, shipped_model, capsys):
    """The window that cannot open, as a user who quits at once: the process may end next."""
    def no_display(*args, **kwargs):
        raise pygame.error("No available video device")

    monkeypatch.setattr(pygame.display, "set_mode", no_display)
    assert run_board(BoardConfig(shipped_model, learning=False)) == 2
    assert [loader.events for loader in loaders] == [["start", "wait"]]


def test_the_model_loader_starts_when_told_and_can_be_waited_for(shipped_model):
    loader = recognizer_module.BackgroundRecognizer(shipped_model, start=False)
    assert not loader.ready
    loader.start()
    loader.wait()
    assert loader.ready and loader.error is None
