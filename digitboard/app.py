"""The Pygame shell: the window, the event loop, drawing. The only module that talks to the
display, the event queue and the clock; all state lives in digitboard.board.Board."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # its banner would go into replay's output
import pygame  # noqa: E402

from digitboard.actions import Action, Clear, Undo  # noqa: E402
from digitboard.board import Board, Digit, Ink  # noqa: E402
from digitboard.session import Recorder  # noqa: E402

if TYPE_CHECKING:
    from digitboard.recognizer import BackgroundRecognizer

BACKGROUND = (0, 0, 0)
INK = (255, 255, 255)
BOX = (230, 40, 40)
UNSURE = (250, 170, 40)
TEXT = (200, 200, 200)
PEN_RADIUS = 6  # screen pixels; recognition renders from the points, not from the screen
FRAME_RATE = 60
HELP = "N clear · Backspace/Ctrl+Z undo · S save · Esc quit"


class BoardApp:
    """One board in a pygame window: turns events into board edits and draws the board."""

    def __init__(
        self,
        board: Board,
        size: tuple[int, int] = (640, 480),
        recorder: Recorder | None = None,
        save_dir: str | os.PathLike[str] = "digitboard-saves",
        status: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.board = board
        self.recorder = recorder
        self.save_dir = Path(save_dir)
        self.status = status  # extra status text, e.g. "loading model"
        self.message = ""  # the last thing a key did, e.g. where S saved
        self.running = True
        self.started = time.monotonic()
        self.size = size
        self.ink: pygame.Surface | None = None  # finished strokes, drawn once each, at the window's size
        self._inked: list[Ink] = []  # the strokes on the ink layer, the board's own objects
        self._labels: dict[str, pygame.Surface] = {}
        self.font = pygame.font.Font(None, 24)
        self.small_font = pygame.font.Font(None, 20)
        self.handlers: dict[int, Callable[[pygame.event.Event], None]] = {
            pygame.QUIT: self.on_quit,
            pygame.MOUSEBUTTONDOWN: self.on_press,
            pygame.MOUSEMOTION: self.on_motion,
            pygame.MOUSEBUTTONUP: self.on_release,
            pygame.KEYDOWN: self.on_key,
            pygame.VIDEORESIZE: self.on_resize,
        }

    # -- events -----------------------------------------------------------------------------
    def handle(self, events: Iterable[pygame.event.Event]) -> None:
        for event in events:
            handler = self.handlers.get(event.type)
            if handler is not None:
                handler(event)

    def _ms(self) -> float:
        return round((time.monotonic() - self.started) * 1000, 1)

    def on_quit(self, event: pygame.event.Event) -> None:
        self.running = False

    def on_press(self, event: pygame.event.Event) -> None:
        if event.button != 1:
            return
        if self.board.pen is not None:  # a press without a release (focus lost): end that stroke
            self._finish_stroke()
        self.board.pen_down(*event.pos, self._ms())

    def on_motion(self, event: pygame.event.Event) -> None:
        self.board.pen_move(*event.pos, self._ms())

    def on_release(self, event: pygame.event.Event) -> None:
        if event.button != 1 or self.board.pen is None:
            return
        self.on_motion(event)
        self._finish_stroke()

    def _finish_stroke(self) -> None:
        stroke = self.board.lift_pen()
        if stroke is not None:
            self.apply(stroke)

    def on_key(self, event: pygame.event.Event) -> None:
        ctrl = bool(getattr(event, "mod", 0) & pygame.KMOD_CTRL)
        if event.key == pygame.K_ESCAPE:
            self.running = False
        elif event.key == pygame.K_n:
            self.board.drop_pen()
            if self.board.strokes:  # clearing an empty board is no edit
                self.apply(Clear())
        elif event.key == pygame.K_BACKSPACE or (event.key == pygame.K_z and ctrl):
            # Undo during a stroke drops that stroke, which was never an edit: nothing to apply.
            if not self.board.drop_pen() and self.board.history:
                self.apply(Undo())
        elif event.key == pygame.K_s:
            self.save()

    def apply(self, action: Action) -> None:
        """Apply an action to the board and record it: what replay will apply again."""
        self.board.apply(action)
        if self.recorder is None:
            return
        try:
            self.recorder.add(action)
        except OSError as error:
            self.message = f"recording stopped: cannot write {self.recorder.path} ({error.strerror})"
            print(f"digitboard: {self.message}", file=sys.stderr)
            self.recorder = None

    def on_resize(self, event: pygame.event.Event) -> None:
        # The ink layer follows the drawn surface's size in draw(); strokes keep their positions.
        self.size = (max(1, event.w), max(1, event.h))

    # -- saving -----------------------------------------------------------------------------
    def save(self, surface: pygame.Surface | None = None) -> list[Path]:
        """Save the board and each digit's 28x28 input as PNGs; never overwrite a file."""
        surface = surface or pygame.display.get_surface()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        try:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            paths = []
            base = _unused(self.save_dir, f"board-{stamp}", ".png")
            if surface is not None:
                pygame.image.save(surface, _claim(base))
                paths.append(base)
            for number, digit in enumerate(self.board.left_to_right(), 1):
                if digit.image is None:
                    continue
                path = _unused(self.save_dir, f"{base.stem}-digit{number}", ".png")
                pixels = (digit.image * 255).astype(np.uint8)  # (28, 28) uint8
                image = pygame.surfarray.make_surface(np.repeat(pixels.T[..., None], 3, axis=2))
                pygame.image.save(image, _claim(path))
                paths.append(path)
        except OSError as error:
            self.message = f"could not save to {self.save_dir}: {error.strerror or error}"
            print(f"digitboard: {self.message}", file=sys.stderr)
            return []
        self.message = f"saved {len(paths)} PNG(s) to {self.save_dir}/"
        return paths

    # -- drawing ----------------------------------------------------------------------------
    def _redraw_ink(self, size: tuple[int, int]) -> None:
        """Start the ink layer afresh at `size`; draw() then adds every stroke to it."""
        if self.ink is None or self.ink.get_size() != size:
            self.ink = pygame.Surface(size)
        self.ink.fill(BACKGROUND)
        self._inked = []

    def _label(self, text: str, color) -> pygame.Surface:
        key = f"{text}|{color}"
        if key not in self._labels:
            if len(self._labels) > 512:
                self._labels.clear()
            self._labels[key] = self.font.render(text, True, color)
        return self._labels[key]

    def draw(self, surface: pygame.Surface) -> None:
        # New strokes are added to the ink layer; after an undo or a clear (the layer holds a
        # stroke the board no longer has) or a resized window, it is redrawn whole.
        size = surface.get_size()
        strokes = self.board.strokes
        kept = len(self._inked) <= len(strokes) and all(a is b for a, b in zip(self._inked, strokes))
        if self.ink is None or self.ink.get_size() != size or not kept:
            self._redraw_ink(size)
        for stroke in strokes[len(self._inked):]:
            draw_stroke(self.ink, stroke.points)
            self._inked.append(stroke)
        surface.blit(self.ink, (0, 0))
        if self.board.pen:
            draw_stroke(surface, np.asarray(self.board.pen.points))
        for digit in self.board.digits:
            self._draw_digit(surface, digit)
        self._draw_status(surface)

    def _draw_digit(self, surface: pygame.Surface, digit: Digit) -> None:
        x, y, w, h = digit.box
        pad = PEN_RADIUS + 2
        rect = pygame.Rect(x - pad, y - pad, w + 2 * pad, h + 2 * pad)
        prediction = digit.prediction
        color = UNSURE if prediction is not None and prediction.unsure else BOX
        pygame.draw.rect(surface, color, rect, 2)
        text = prediction.text if prediction is not None else "…"
        label = self._label(text, color)
        surface.blit(label, (rect.x, max(0, rect.y - label.get_height() - 2)))

    def _draw_status(self, surface: pygame.Surface) -> None:
        width, height = surface.get_size()
        reading = self.board.reading()
        line = f"reading: {reading}" if reading else "draw digits with the mouse"
        extra = self.status() or self.message
        if extra:
            line += f"   ({extra})"
        surface.blit(self.small_font.render(line, True, TEXT), (8, height - 40))
        surface.blit(self.small_font.render(HELP, True, TEXT), (8, height - 20))


def draw_stroke(surface: pygame.Surface, points: np.ndarray) -> None:
    """A smooth, continuous stroke: thick segments between successive points, round joins."""
    xy = [(float(x), float(y)) for x, y in np.asarray(points)[:, :2]]
    if len(xy) > 1:
        pygame.draw.lines(surface, INK, False, xy, 2 * PEN_RADIUS)
    for point in xy:
        pygame.draw.circle(surface, INK, point, PEN_RADIUS)


def stroke_events(points: Sequence[Sequence[float]]) -> list[pygame.event.Event]:
    """The events a mouse makes drawing a stroke: a press, a motion to each point, a release.

    For driving the real loop from tests, benchmarks and scripts; the window itself turns
    events into actions, never the other way round.
    """
    xy = [(point[0], point[1]) for point in points]
    events = [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=xy[0], button=1)]
    events += [pygame.event.Event(pygame.MOUSEMOTION, pos=p, rel=(0, 0), buttons=(1, 0, 0)) for p in xy[1:]]
    events.append(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=xy[-1], button=1))
    return events


def _unused(folder: Path, stem: str, suffix: str) -> Path:
    path, number = folder / f"{stem}{suffix}", 1
    while path.exists():
        number += 1
        path = folder / f"{stem}-{number}{suffix}"
    return path


def _claim(path: Path) -> str:
    """Create `path` exclusively (fails if another writer got there first) and return it."""
    with open(path, "x"):
        pass
    return str(path)


def run_board(
    model: str | os.PathLike[str],
    size: tuple[int, int] = (640, 480),
    record: str | os.PathLike[str] | None = None,
    force: bool = False,
    save_dir: str | os.PathLike[str] = "digitboard-saves",
    profile: str | os.PathLike[str] | None = None,
    learning: bool = True,
) -> int:
    """Open the window at once, load the model behind it, and run the frame loop."""
    from digitboard.recognizer import BackgroundRecognizer, check_model_file

    check_model_file(model)  # fail fast, before any window, on a file that cannot work
    recorder = Recorder(record, size, force=force) if record else None
    recognizer = BackgroundRecognizer(model)
    from digitboard.profile import window_learner  # the profile's examples load behind the window too

    learner = window_learner(recognizer, profile) if learning else None
    # Only what the board uses: pygame.init() would also open the audio device, up to 0.1 s of
    # start-up (and ALSA errors on stderr) on a machine without sound.
    pygame.display.init()
    pygame.font.init()
    try:
        try:
            pygame.display.set_mode(size, pygame.RESIZABLE)
        except pygame.error as error:
            print(f"digitboard: cannot open a {size[0]}x{size[1]} window ({error}); "
                  "check the display (DISPLAY or WAYLAND_DISPLAY) or try a smaller --size", file=sys.stderr)
            return 2
        pygame.display.set_caption("digitboard")
        app = BoardApp(
            Board(learner or recognizer, learner), size, recorder, save_dir,
            status=lambda: None if recognizer.ready else "loading the model…",
        )
        return run_loop(app, recognizer)
    finally:
        pygame.quit()


def run_frame(app: BoardApp) -> pygame.Surface:
    """One frame: handle the queued events, classify what is pending, draw, show."""
    app.handle(pygame.event.get())
    app.board.classify_pending()
    screen = pygame.display.get_surface()  # pygame resizes it with the window
    app.draw(screen)
    pygame.display.flip()
    return screen


def run_loop(app: BoardApp, recognizer: BackgroundRecognizer | None = None) -> int:
    """Run frames until the user quits; exit status 2 if the model fails to load."""
    clock = pygame.time.Clock()
    while app.running:
        if recognizer is not None and recognizer.error is not None:
            print(f"digitboard: {recognizer.error}", file=sys.stderr)
            return 2
        run_frame(app)
        clock.tick(FRAME_RATE)
    return 0
