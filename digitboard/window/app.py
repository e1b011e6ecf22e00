"""The Pygame shell: the window, the event loop, the keys, saving PNGs. The only module that talks
to the display, the event queue and the clock; what is drawn is digitboard.window.view's, and all state
lives in digitboard.core.board.Board."""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # its banner would go into replay's output
import pygame  # noqa: E402

from digitboard.core.actions import Action  # noqa: E402
from digitboard.core.board import Board  # noqa: E402
from digitboard.core.controller import Button, Controller  # noqa: E402
from digitboard.core.digits import Digit, Mark  # noqa: E402
from digitboard.paths import same_file  # noqa: E402
from digitboard.sessions.recording import Recorder  # noqa: E402
from digitboard.window.config import BoardConfig  # noqa: E402
from digitboard.window.look import Look, Status, display_scale, draw_polyline  # noqa: E402
from digitboard.window.view import BoardView  # noqa: E402

if TYPE_CHECKING:
    from digitboard.recognition.recognizer import BackgroundRecognizer

__all__ = ["BoardApp", "key_name", "run_board", "run_frame", "run_loop", "stroke_events"]

FRAME_RATE = 60
TITLE = "digitboard"


class BoardApp:
    """One board in a pygame window: turns pygame's events into the controller's calls
    (digitboard.core.controller), saves PNGs, and draws the board."""

    def __init__(
        self,
        board: Board,
        size: tuple[int, int] = BoardConfig.size,
        recorder: Recorder | None = None,
        save_dir: str | os.PathLike[str] = BoardConfig.save_dir,
        status: Callable[[], str | None] = lambda: None,
        look: Look = Look(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.board = board
        self.recorder = recorder
        self.save_dir = Path(save_dir)
        self.status = status  # a lasting state to show, e.g. "loading the model…"
        self.clock = clock
        self.size = size
        self.view = BoardView(look, size)
        self.controller = Controller(board, self.view, clock, record=self.record, save=self.save)
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

    def on_quit(self, event: pygame.event.Event) -> None:
        self.controller.running = False

    def on_press(self, event: pygame.event.Event) -> None:
        button = BUTTONS.get(event.button)
        if button is not None:
            self.controller.press(event.pos, button)

    def on_motion(self, event: pygame.event.Event) -> None:
        self.controller.move(event.pos)

    def on_release(self, event: pygame.event.Event) -> None:
        button = BUTTONS.get(event.button)
        if button is not None:
            self.controller.release(event.pos, button)

    def on_key(self, event: pygame.event.Event) -> None:
        self.controller.key(key_name(event))

    def record(self, action: Action) -> None:
        """Write an applied action into the recording, if one is being made."""
        if self.recorder is None:
            return
        try:
            self.recorder.add(action)
        except OSError as error:
            self.controller.say(f"recording stopped: cannot write {self.recorder.path} ({error.strerror})")
            print(f"digitboard: {self.controller.message}", file=sys.stderr)
            self.recorder = None

    def on_resize(self, event: pygame.event.Event) -> None:
        # The view follows the window's size; strokes keep their positions.
        self.size = self.view.size = (max(1, event.w), max(1, event.h))

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
                label = _label_for_file(digit)
                path = _unused(self.save_dir, f"{base.stem}-digit{number:0{digits_width}d}-{label}", ".png")
                pixels = (digit.image * 255).astype(np.uint8)  # (28, 28) uint8
                image = pygame.surfarray.make_surface(np.repeat(pixels.T[..., None], 3, axis=2))
                written.append(write_png(image, path))
        except OSError as error:
            for path in written:
                path.unlink(missing_ok=True)
            self.controller.say(f"could not save to {self.save_dir}: {error.strerror or error}; nothing saved")
            print(f"digitboard: {self.controller.message}", file=sys.stderr)
            return []
        self.controller.say(f"saved {len(written)} PNG{'s' if len(written) != 1 else ''} in {self.save_dir}/")
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
        controller = self.controller
        age = self.clock() - controller.message_time
        status = Status(self.reading(), lasting or controller.message, 0.0 if lasting else age)
        self.view.draw(surface, self.board, status, controller.show_help, controller.open_panel(), controller.pointer)


def _label_for_file(digit: Digit) -> str:
    """The label the digit shows (the user's where corrected), as a file name's end: "7", "4-unsure"."""
    if digit.label is None:
        return "unread"
    return f"{digit.label}-unsure" if digit.unsure else str(digit.label)


BUTTONS = {1: Button.PRIMARY, 3: Button.SECONDARY}  # pygame's mouse buttons the board uses
KEY_NAMES = {pygame.K_DELETE: "delete", pygame.K_BACKSPACE: "backspace", pygame.K_ESCAPE: "escape", pygame.K_F1: "f1"}


def key_name(event: pygame.event.Event) -> str:
    """A key event's shell-neutral name (digitboard.core.keys): "delete", "ctrl+z", "7", "?", "n"."""
    if event.key in KEY_NAMES:
        return KEY_NAMES[event.key]
    name = pygame.key.name(event.key)
    if getattr(event, "mod", 0) & pygame.KMOD_CTRL:
        return f"ctrl+{name}"
    if len(name) == 1 and name.isascii() and name.isalpha():
        return name  # a letter by its key, whatever it types on this layout (N clears on a Cyrillic one too)
    character = getattr(event, "unicode", "")  # what the key types: "?" is Shift and "/" on many layouts
    return character if len(character) == 1 and character.isprintable() else name


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
            # The temporary file is private (0600); the PNG gets the mode the user's umask gives
            # any new file, as the claimed name got it.
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
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
    pygame.draw.rect(icon, Mark.READ.color, (3, 2, 26, 28), 2)
    return icon


def run_board(config: BoardConfig = BoardConfig()) -> int:
    """Open the window at once, load the model behind it, and run the frame loop."""
    from digitboard.recognition.modelfile import check_model_file
    from digitboard.recognition.recognizer import BackgroundRecognizer

    check_model_file(config.model)  # fail fast, before any window, on a file that cannot work
    size, record = config.size, config.record
    if record and config.learning:
        from digitboard.profile.store import default_profile_path

        if same_file(record, config.profile or default_profile_path()):
            raise ValueError(f"--record {record} is the profile the board learns in; recording there would erase "
                             "your examples")
    problem = display_problem(os.environ)
    if problem is not None:  # checked before --record creates its file
        print(f"digitboard: {problem}", file=sys.stderr)
        return 2
    # The model loads on its thread while the window opens, but only once the profile is known to
    # be usable: a refusal (a folder or a foreign file named as the profile) ends the process, and a
    # process that ends while ONNX Runtime or TensorFlow loads on another thread aborts
    # ("terminate called without an active exception", exit 134) instead of exiting 2.
    recognizer = BackgroundRecognizer(config.model, start=False)
    from digitboard.profile.loading import window_learner  # the profile's examples load behind the window too

    learner = window_learner(recognizer, config.profile, config.learning_config) if config.learning else None
    recognizer.start()
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
        starting_from = learner.starting_from if learner is not None else None  # the examples a recording names
        recorder = Recorder(record, size, force=config.force, profile=starting_from) if record else None
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
            Board(learner or recognizer, learner), size, recorder, config.save_dir,
            status=lambda: None if recognizer.ready else "loading the model…", look=look,
        )
        if learner is not None:
            learner.report_problems_to(app.controller.say)  # profile problems on the strip too, not only on stderr
        return run_loop(app, recognizer)
    finally:
        if recorder is not None:
            try:
                recorder.close()  # the last action on disk before the process ends
            except OSError as error:
                print(f"digitboard: the recording {record} may lack its last actions: {error}", file=sys.stderr)
        if learner is not None and not learner.close(timeout=30):  # the profile is written behind the frames
            print("digitboard: the profile is still held by another program; the last examples may not be kept",
                  file=sys.stderr)
        pygame.quit()  # the window goes at once...
        recognizer.wait()  # ...but the process ends only after the model's load (see above)


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
    while app.controller.running:
        if recognizer is not None and recognizer.error is not None:
            print(f"digitboard: {recognizer.error}", file=sys.stderr)
            return 2
        run_frame(app)
        clock.tick(FRAME_RATE)
    return 0
