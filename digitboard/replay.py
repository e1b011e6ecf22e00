"""`digitboard replay`: run recorded sessions through the real board, headless, and print each
session's final state as one JSON line. Real pygame events go through the real event loop."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless, before pygame is imported

import pygame  # noqa: E402

from digitboard.app import BoardApp  # noqa: E402
from digitboard.board import Board  # noqa: E402
from digitboard.recognizer import Recognizer, load_recognizer  # noqa: E402
from digitboard.session import KeyAction, Session, SessionError, read_sessions  # noqa: E402

_KEY_EVENTS = {
    "n": (pygame.K_n, 0),
    "backspace": (pygame.K_BACKSPACE, 0),
    "ctrl+z": (pygame.K_z, pygame.KMOD_LCTRL),
}


def session_events(session: Session) -> Iterable[list[pygame.event.Event]]:
    """The events a user makes for each action: press, motions and release for a stroke."""
    for action in session.actions:
        if isinstance(action, KeyAction):
            key, mod = _KEY_EVENTS[action.key]
            yield [pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode="", scancode=0)]
            continue
        points = [(point[0], point[1]) for point in action.points]
        events = [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=points[0], button=1)]
        events += [pygame.event.Event(pygame.MOUSEMOTION, pos=p, rel=(0, 0), buttons=(1, 0, 0)) for p in points[1:]]
        events.append(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=points[-1], button=1))
        yield events


def board_state(board: Board, name: str) -> dict:
    """The board's final state in the replay output format (README.md)."""
    digits = []
    for digit in board.left_to_right():
        prediction = digit.prediction
        digits.append({
            "label": prediction.label if prediction else None,
            "confidence": round(prediction.confidence, 4) if prediction else None,
            "box": list(digit.box),
            "strokes": sorted(digit.strokes),
        })
    return {"session": name, "digits": digits, "reading": board.reading()}


def replay_session(session: Session, recognizer: Recognizer, app: BoardApp | None = None) -> dict:
    """Post a session's events through the event queue and the board's handlers."""
    app = app or BoardApp(Board(recognizer), session.size, save_dir=os.devnull)
    app.board.clear()
    for events in session_events(session):
        for event in events:
            pygame.event.post(event)
        # One stroke's events at a time: the queue stays far below SDL's limit.
        app.handle(pygame.event.get())
    app.board.classify_pending()
    return board_state(app.board, session.name)


def run_replay(files: list[str], model: str, out: str | None = None) -> int:
    """Replay every session of every file; one JSON line each. Exit 2 if any file failed."""
    recognizer = load_recognizer(model)
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((1, 1))
    failed = []
    stream: TextIO = open(out, "w", encoding="utf-8") if out else sys.stdout
    try:
        app = None
        for file in files:
            try:
                for session in read_sessions(file):
                    if app is None:
                        app = BoardApp(Board(recognizer), session.size, save_dir=os.devnull)
                    stream.write(json.dumps(replay_session(session, recognizer, app)) + "\n")
            except SessionError as error:
                failed.append(Path(file).name)
                print(f"digitboard replay: {error}", file=sys.stderr)
    finally:
        if out:
            stream.close()
        else:
            stream.flush()
        pygame.quit()
    if failed:
        print(f"digitboard replay: {len(failed)} of {len(files)} file(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 2
    return 0
