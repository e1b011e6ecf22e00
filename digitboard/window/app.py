"""The Pygame shell: the window, the event loop, the keys, saving PNGs. The only module that talks
to the display, the event queue and the clock; what is drawn is digitboard.window.view's, and all state
lives in digitboard.core.board.Board."""

from __future__ import annotations

import errno
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # its banner would go into replay's output
import pygame  # noqa: E402

from digitboard.core.actions import Action, Clear, Correct, Delete, Forget, Undo  # noqa: E402
from digitboard.core.board import Board  # noqa: E402
from digitboard.core.chooser import DELETE, FORGET, is_click, row_at  # noqa: E402
from digitboard.core.digits import Digit  # noqa: E402
from digitboard.recognition.learning import LearningConfig  # noqa: E402
from digitboard.sessions.recording import Recorder  # noqa: E402
from digitboard.window.view import (  # noqa: E402
    BOX,
    CORRECTED,
    INK,
    UNSURE,
    BoardView,
    Look,
    Status,
    display_scale,
    draw_polyline,
)

if TYPE_CHECKING:
    from digitboard.recognition.recognizer import BackgroundRecognizer

__all__ = ["BOX", "CORRECTED", "INK", "UNSURE", "BoardApp", "run_board", "run_frame", "run_loop", "stroke_events"]

FRAME_RATE = 60
TITLE = "digitboard"


class BoardApp:
    """One board in a pygame window: turns events into board edits and draws the board."""

    def __init__(
        self,
        board: Board,
        size: tuple[int, int] = (640, 480),
        recorder: Recorder | None = None,
        save_dir: str | os.PathLike[str] = "digitboard-saves",
        status: Callable[[], str | None] = lambda: None,
        look: Look = Look(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.board = board
        self.recorder = recorder
        self.save_dir = Path(save_dir)
        self.status = status  # a lasting state to show, e.g. "loading the model…"
        self.clock = clock
        self.message = ""  # the last thing a key did, e.g. where S saved; it fades
        self.message_time = 0.0
        self.show_help = False
        self.pointer: tuple[float, float] | None = None  # where the mouse was last: what 0-9 and Delete act on
        self.choosing: Digit | None = None  # the digit whose chooser is open (digitboard.core.chooser)
        self._pressed_off_pen = False  # the left button went down to use or close the chooser, not to write
        self.running = True
        self.started = clock()
        self.size = size
        self.view = BoardView(look)
        self.caption = ""  # the window title last set
        self._reading: tuple[int, str] = (-1, "")
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
        return round((self.clock() - self.started) * 1000, 1)

    def say(self, message: str) -> None:
        """Show `message` in the status strip for a few seconds."""
        self.message, self.message_time = message, self.clock()

    def on_quit(self, event: pygame.event.Event) -> None:
        self.running = False

    def on_press(self, event: pygame.event.Event) -> None:
        self.pointer = event.pos
        if event.button == 3:  # the right button opens a digit's chooser, and never writes
            self.choose(self.view.digit_shown_at(self.board, event.pos))
            return
        if event.button != 1:
            return
        self.show_help = False  # writing: the board is what to see
        chooser_open = self.choosing is not None
        if self.board.pen is not None:  # a press without a release (focus lost): end that stroke
            self._finish_stroke()
        self._pressed_off_pen = chooser_open
        if chooser_open:  # a press on a row picks it; anywhere else it only closes the chooser
            hit = row_at([rect for rect, _ in self.view.chooser_rows], event.pos)
            if hit is not None:
                self.pick(self.view.chooser_rows[hit][1].label)
            self.choose(None)
            return
        self.board.pen_down(*event.pos, self._ms())

    def on_motion(self, event: pygame.event.Event) -> None:
        self.pointer = event.pos
        self.board.pen_move(*event.pos, self._ms())

    def on_release(self, event: pygame.event.Event) -> None:
        if event.button != 1:
            return
        if self._pressed_off_pen:
            self._pressed_off_pen = False
            return
        if self.board.pen is None:
            return
        self.on_motion(event)
        self._finish_stroke()

    def _finish_stroke(self) -> None:
        stroke = self.board.lift_pen()
        if stroke is None:
            return
        # A click on a digit or its label opens its chooser; a click anywhere else is ink (a dot).
        clicked = self.view.digit_shown_at(self.board, stroke.points[-1]) if is_click(stroke.points) else None
        if clicked is not None:
            self.choose(clicked)
        else:
            self.apply(stroke)

    # -- the chooser --------------------------------------------------------------------------
    def choose(self, digit: Digit | None) -> None:
        """Open `digit`'s chooser (its likeliest labels), or close the open one with None."""
        self.choosing = digit
        if digit is not None:
            self.say("click the right label, or type it; Esc closes")

    def pick(self, label: int) -> None:
        """Give the chooser's digit `label` (DELETE: delete it), and close the chooser."""
        digit, self.choosing = self.choosing, None
        if digit is None or digit not in self.board.digits:
            return
        at = self.board.point_of(digit)
        self.apply(Delete(at) if label == DELETE else Forget(at) if label == FORGET else Correct(at, label))

    def on_key(self, event: pygame.event.Event) -> None:
        ctrl = bool(getattr(event, "mod", 0) & pygame.KMOD_CTRL)
        unicode = getattr(event, "unicode", "")
        if self.choosing is not None and event.key in (pygame.K_ESCAPE, pygame.K_DELETE):
            if event.key == pygame.K_DELETE:
                self.pick(DELETE)
            self.choose(None)
        elif self.choosing is not None and len(unicode) == 1 and unicode in "0123456789" and not ctrl:
            self.pick(int(unicode))
        elif event.key == pygame.K_ESCAPE:
            if self.show_help:  # Esc first closes the help; quitting loses the board
                self.show_help = False
            else:
                self.running = False
        elif event.key == pygame.K_F1 or unicode == "?":
            self.show_help = not self.show_help
        elif event.key == pygame.K_n:
            self.board.drop_pen()
            if self.board.strokes:  # clearing an empty board is no edit
                self.apply(Clear())
                self.say("cleared: Ctrl+Z brings it back")
        elif event.key == pygame.K_BACKSPACE or (event.key == pygame.K_z and ctrl):
            # Undo during a stroke drops that stroke, which was never an edit: nothing to apply.
            if not self.board.drop_pen() and self.board.history:
                self.apply(Undo())
        elif event.key == pygame.K_s:
            self.save()
        elif len(unicode) == 1 and unicode in "0123456789" and not ctrl:
            if self.board.digits and self.pointer is not None:
                self.apply(Correct(self.pointer, int(unicode)))
        elif event.key == pygame.K_DELETE:
            if self.board.digits and self.pointer is not None:
                self.apply(Delete(self.pointer))

    def apply(self, action: Action) -> None:
        """Apply an action to the board and record it: what replay will apply again."""
        self.board.apply(action)
        if self.recorder is None:
            return
        try:
            self.recorder.add(action)
        except OSError as error:
            self.say(f"recording stopped: cannot write {self.recorder.path} ({error.strerror})")
            print(f"digitboard: {self.message}", file=sys.stderr)
            self.recorder = None

    def on_resize(self, event: pygame.event.Event) -> None:
        # The view follows the drawn surface's size; strokes keep their positions.
        self.size = (max(1, event.w), max(1, event.h))

    # -- saving -----------------------------------------------------------------------------
    def save(self, surface: pygame.Surface | None = None) -> list[Path]:
        """Save the board (without the status strip) and each digit's 28x28 input as PNGs.

        Never overwrites a file; all or nothing: if any file cannot be written whole, the
        ones written by this save are removed again and the message says what failed.
        """
        picture = self.view.picture or surface or pygame.display.get_surface()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        digits = [digit for digit in self.board.left_to_right() if digit.image is not None]
        digits_width = max(2, len(str(len(digits))))  # digit01 ... digit99 sort as they read
        written: list[Path] = []
        try:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            base = _unused(self.save_dir, f"board-{stamp}", ".png")
            if picture is not None:
                written.append(write_png(picture, base))
            for number, digit in enumerate(digits, 1):
                label = _label_for_file(digit.prediction)
                path = _unused(self.save_dir, f"{base.stem}-digit{number:0{digits_width}d}-{label}", ".png")
                pixels = (digit.image * 255).astype(np.uint8)  # (28, 28) uint8
                image = pygame.surfarray.make_surface(np.repeat(pixels.T[..., None], 3, axis=2))
                written.append(write_png(image, path))
        except OSError as error:
            for path in written:
                path.unlink(missing_ok=True)
            self.say(f"could not save to {self.save_dir}: {error.strerror or error}; nothing saved")
            print(f"digitboard: {self.message}", file=sys.stderr)
            return []
        self.say(f"saved {len(written)} PNG{'s' if len(written) != 1 else ''} in {self.save_dir}/")
        return written

    # -- drawing ----------------------------------------------------------------------------
    def reading(self) -> str:
        """The board's reading, worked out once per change of the board."""
        if self._reading[0] != self.board.version:
            self._reading = (self.board.version, self.board.reading())
        return self._reading[1]

    def title(self) -> str:
        reading = self.reading()
        return f"{TITLE}: {reading}" if reading else TITLE

    def draw(self, surface: pygame.Surface) -> None:
        lasting = self.status()
        age = self.clock() - self.message_time
        status = Status(self.reading(), lasting or self.message, 0.0 if lasting else age)
        if self.choosing is not None and self.choosing not in self.board.digits:
            self.choosing = None  # its digit went: undone, cleared or deleted
        self.view.draw(surface, self.board, status, self.show_help, self.choosing, self.pointer)


def _label_for_file(prediction) -> str:
    if prediction is None:
        return "unread"
    return f"{prediction.label}-unsure" if prediction.unsure else str(prediction.label)


def write_png(surface: pygame.Surface, path: Path) -> Path:
    """Write `surface` as a PNG at `path`, which must not exist yet, or raise OSError.

    pygame.image.save may not report a failed write (a full disk left short files), so the PNG
    is encoded in memory, written to a temporary file beside `path` by Python (which reports a
    full disk), read back to check it, and only then given its name; a failure leaves no file.
    """
    encoded = io.BytesIO()
    pygame.image.save(surface, encoded, path.name)
    data = encoded.getvalue()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".png.part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # a full disk may only show here
        try:
            written = pygame.image.load(temporary)
        except pygame.error as error:
            raise OSError(errno.EIO, f"{path.name} came out unreadable ({error})") from None
        if written.get_size() != surface.get_size():
            raise OSError(errno.EIO, f"{path.name} came out {written.get_size()}, not {surface.get_size()}")
        with open(path, "x"):  # claim the name: fails if another writer got there first
            pass
        try:
            os.replace(temporary, path)
        except OSError:
            path.unlink(missing_ok=True)
            raise
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


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


def display_problem(environ: dict[str, str] | os._Environ[str], platform: str = sys.platform) -> str | None:
    """Why no window would be seen, before SDL quietly falls back to drawing offscreen."""
    if platform in ("win32", "darwin"):  # a desktop is always there
        return None
    if any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")):
        return None  # SDL_VIDEODRIVER=dummy, set on purpose, runs the board unseen (tests, scripts)
    return ("no display to show the board on (DISPLAY and WAYLAND_DISPLAY are unset): run it in a "
            "desktop session, or set SDL_VIDEODRIVER=dummy to run it unseen")


def fit_to_display(size: tuple[int, int], desktop_sizes: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """`size` shrunk, if need be, to the largest desktop's."""
    if not desktop_sizes:
        return size
    return min(size[0], max(w for w, _ in desktop_sizes)), min(size[1], max(h for _, h in desktop_sizes))


def window_icon() -> pygame.Surface:
    """A 32x32 icon: a 7 in a red box, the board in small."""
    icon = pygame.Surface((32, 32), 0, 32)
    icon.fill((0, 0, 0))
    draw_polyline(icon, np.array([[10.0, 8.0], [22.0, 8.0], [14.0, 24.0]]), 3)
    pygame.draw.rect(icon, BOX, (3, 2, 26, 28), 2)
    return icon


def run_board(
    model: str | os.PathLike[str],
    size: tuple[int, int] = (640, 480),
    record: str | os.PathLike[str] | None = None,
    force: bool = False,
    save_dir: str | os.PathLike[str] = "digitboard-saves",
    profile: str | os.PathLike[str] | None = None,
    learning: bool = True,
    learning_config: LearningConfig = LearningConfig(),
) -> int:
    """Open the window at once, load the model behind it, and run the frame loop."""
    from digitboard.recognition.modelfile import check_model_file
    from digitboard.recognition.recognizer import BackgroundRecognizer

    check_model_file(model)  # fail fast, before any window, on a file that cannot work
    problem = display_problem(os.environ)
    if problem is not None:  # checked before --record creates its file
        print(f"digitboard: {problem}", file=sys.stderr)
        return 2
    recognizer = BackgroundRecognizer(model)  # loads on its thread while the window opens
    from digitboard.recognition.profile import (
        window_learner,  # the profile's examples load behind the window too
    )

    learner = window_learner(recognizer, profile, learning_config) if learning else None
    # Only what the board uses: pygame.init() would also open the audio device, up to 0.1 s of
    # start-up (and ALSA errors on stderr) on a machine without sound.
    recorder = None
    try:
        try:
            pygame.display.init()
        except pygame.error as error:
            print(f"digitboard: cannot use the display ({error}); check DISPLAY or WAYLAND_DISPLAY", file=sys.stderr)
            return 2
        pygame.font.init()
        if pygame.display.get_driver() in ("offscreen", "dummy") and not os.environ.get("SDL_VIDEODRIVER"):
            print(f"digitboard: SDL found no display, only its {pygame.display.get_driver()!r} driver; "
                  "check DISPLAY or WAYLAND_DISPLAY", file=sys.stderr)
            return 2
        desktops = pygame.display.get_desktop_sizes()
        fitted = fit_to_display(size, desktops)
        if fitted != size:
            print(f"digitboard: --size {size[0]} {size[1]} is larger than the display; "
                  f"opening {fitted[0]}x{fitted[1]}", file=sys.stderr)
            size = fitted
        recorder = Recorder(record, size, force=force, profile=getattr(learner, "starting_from", None)) if record else None
        pygame.display.set_icon(window_icon())
        pygame.display.set_caption(TITLE)
        try:
            pygame.display.set_mode(size, pygame.RESIZABLE)
        except pygame.error as error:
            print(f"digitboard: cannot open a {size[0]}x{size[1]} window ({error}); "
                  "check the display (DISPLAY or WAYLAND_DISPLAY) or try a smaller --size", file=sys.stderr)
            return 2
        look = Look(scale=display_scale(max((h for _, h in desktops), default=1080)))
        app = BoardApp(
            Board(learner or recognizer, learner), size, recorder, save_dir,
            status=lambda: None if recognizer.ready else "loading the model…", look=look,
        )
        if learner is not None:
            learner.report_problems_to(app.say)  # profile problems on the strip too, not only on stderr
        return run_loop(app, recognizer)
    finally:
        if recorder is not None:
            try:
                recorder.close()  # the last action on disk before the process ends
            except OSError as error:
                print(f"digitboard: the recording {record} may lack its last actions: {error}", file=sys.stderr)
        pygame.quit()


def run_frame(app: BoardApp) -> pygame.Surface:
    """One frame: handle the queued events, classify what is pending, draw, show."""
    app.handle(pygame.event.get())
    app.board.classify_pending()
    screen = pygame.display.get_surface()  # pygame resizes it with the window
    app.draw(screen)
    title = app.title()
    if title != app.caption:
        pygame.display.set_caption(title)
        app.caption = title
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
