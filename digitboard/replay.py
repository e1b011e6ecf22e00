"""`digitboard replay`: run recorded sessions through the real board, headless, and print each
session's final state as one JSON line. Real pygame events go through the real event loop."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless, before pygame is imported
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # its banner would go into the output

import pygame  # noqa: E402

from digitboard.app import BoardApp  # noqa: E402
from digitboard.board import Board  # noqa: E402
from digitboard.recognizer import Recognizer, load_recognizer  # noqa: E402
from digitboard.session import KeyAction, Session, SessionError, StrokeAction, read_sessions  # noqa: E402

POST_AT_ONCE = 4096  # events posted before the board handles them: far below SDL's 65,535 limit
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


def board_state(board: Board, name: str, stroke_numbers: Sequence[int] | None = None) -> dict:
    """The board's final state in the replay output format (docs/session-format.md).

    `stroke_numbers[i]` is the session's number for the board's stroke i (they differ once a
    key has cleared or undone strokes); by default the board's own numbering.
    """
    numbers = list(range(len(board.strokes))) if stroke_numbers is None else stroke_numbers
    digits = []
    for digit in board.left_to_right():
        prediction = digit.prediction
        digits.append({
            "label": prediction.label if prediction else None,
            "confidence": round(prediction.confidence, 4) if prediction else None,
            "box": list(digit.box),
            "strokes": sorted(numbers[i] for i in digit.strokes),
        })
    return {"session": name, "digits": digits, "reading": board.reading()}


def replay_session(session: Session, recognizer: Recognizer, app: BoardApp | None = None) -> dict:
    """Post a session's events through the event queue and the board's handlers."""
    app = app or BoardApp(Board(recognizer), session.size, save_dir=os.devnull)
    app.board.clear()
    app.size = session.size
    stroke_numbers: list[int] = []  # the session's number of each stroke on the board
    stroke_count = 0
    for action, events in zip(session.actions, session_events(session)):
        for start in range(0, len(events), POST_AT_ONCE):
            for event in events[start:start + POST_AT_ONCE]:
                pygame.event.post(event)
            app.handle(pygame.event.get())
        # The board only adds a stroke at its end and removes strokes from its end (undo, clear).
        del stroke_numbers[len(app.board.strokes):]
        if isinstance(action, StrokeAction):
            if len(app.board.strokes) > len(stroke_numbers):
                stroke_numbers.append(stroke_count)
            stroke_count += 1
    assert len(stroke_numbers) == len(app.board.strokes)
    app.board.classify_pending()
    return board_state(app.board, session.name, stroke_numbers)


def run_replay(files: list[str], model: str, out: str | None = None) -> int:
    """Replay every session of every file; one JSON line each. Exit 2 if any file failed."""
    if out and any(Path(out).resolve() == Path(file).resolve() for file in files):
        raise ValueError(f"--out {out} is one of the session files; writing it would erase them")
    recognizer = load_recognizer(model)
    try:
        stream: TextIO = open(out, "w", encoding="utf-8") if out else sys.stdout
    except OSError as error:
        raise OSError(f"cannot write the replay output --out {out} ({error.strerror or error})") from None
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((1, 1))
    failed = []
    try:
        app = None
        for file in files:
            try:
                for session in read_sessions(file):
                    if app is None:
                        app = BoardApp(Board(recognizer), session.size, save_dir=os.devnull)
                    stream.write(json.dumps(replay_session(session, recognizer, app)) + "\n")
            except SessionError as error:
                failed.append(str(file))
                print(f"digitboard replay: {error}", file=sys.stderr)
    finally:
        if out:
            stream.close()
        else:
            stream.flush()
        pygame.quit()
    if len(files) > 1 and failed:  # with one file, its error line says it all
        print(f"digitboard replay: {len(failed)} of {len(files)} files failed: {', '.join(failed)}", file=sys.stderr)
    return 2 if failed else 0
