"""Run the real board (`digitboard.cli.main`, what the `digitboard` command calls) and watch its
start-up from the outside: benchmarks/latency.py launches this file as a subprocess.

The only thing added to the product is a wrapper around `pygame.display.flip` (and a look at
`set_mode`), installed in this process alone. On the first frame it posts the mouse events of one
digit, as a user drawing at once would; when that digit has a prediction it posts QUIT. It
prints one JSON line of CLOCK_MONOTONIC timestamps, the clock the parent read before launching.

    python benchmarks/board_driver.py STROKES.json [digitboard options, e.g. --model PATH]
"""

from __future__ import annotations

import json
import sys
import threading
import time

import pygame

from digitboard.cli import main
from digitboard.window import app as board_app

TIMEOUT = 120  # seconds: give up (post QUIT) if the digit is never recognised


class StartupProbe:
    """Timestamps the board's first frame, first accepted stroke, model readiness, first label."""

    def __init__(self, strokes: list[list[list[float]]]) -> None:
        self.strokes = strokes
        self.times: dict[str, float] = {}
        self.frames = 0
        self.flips: list[float] = []  # when each frame was shown, until the model was ready
        self.app: board_app.BoardApp | None = None
        self.quit_posted = False

    def mark(self, name: str) -> None:
        self.times.setdefault(name, time.monotonic())

    def post_digit(self) -> None:
        for stroke in self.strokes:
            for event in board_app.stroke_events(stroke):
                pygame.event.post(event)

    def after_flip(self) -> None:
        self.frames += 1
        if "model_ready" not in self.times:
            self.flips.append(time.monotonic())
        if self.frames == 1:
            self.mark("first_frame")  # the window shows the board and its loop handles events
            self.post_digit()
        board = self.app.board if self.app is not None else None
        if board is None:
            return
        if board.digits:
            self.mark("stroke_accepted")  # the digit's strokes are on the board and on screen
        if getattr(board.recognizer, "ready", False):
            self.mark("model_ready")  # first frame on which the recogniser was ready
        if board.digits and board.digits[0].prediction is not None and not self.quit_posted:
            self.mark("recognised")
            self.quit()

    def longest_frame_while_loading(self) -> float | None:
        """Seconds between two frames shown while the model loaded: does the window stay live?"""
        gaps = [later - earlier for earlier, later in zip(self.flips, self.flips[1:])]
        return max(gaps) if gaps else None

    def quit(self) -> None:
        self.quit_posted = True
        pygame.event.post(pygame.event.Event(pygame.QUIT))


def install(probe: StartupProbe) -> None:
    """Wrap flip, set_mode and BoardApp.draw in this process so the probe sees every frame."""
    flip, set_mode, draw = pygame.display.flip, pygame.display.set_mode, board_app.BoardApp.draw

    def probed_flip(*args, **kwargs):
        result = flip(*args, **kwargs)
        probe.after_flip()
        return result

    def probed_set_mode(*args, **kwargs):
        surface = set_mode(*args, **kwargs)
        probe.mark("window_created")
        return surface

    def probed_draw(app, surface):
        probe.app = app
        return draw(app, surface)

    pygame.display.flip = probed_flip
    pygame.display.set_mode = probed_set_mode
    board_app.BoardApp.draw = probed_draw


def peak_rss_kib() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as handle:
        probe = StartupProbe(json.load(handle))
    install(probe)
    watchdog = threading.Timer(TIMEOUT, probe.quit)
    watchdog.daemon = True
    watchdog.start()
    status = main(argv[1:])
    probe.mark("exited_loop")
    print(json.dumps({"status": status, "frames": probe.frames, "times": probe.times,
                      "longest_frame_while_loading": probe.longest_frame_while_loading(),
                      "peak_rss_kib": peak_rss_kib()}))
    return status


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
