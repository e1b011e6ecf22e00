"""`digitboard replay`: apply recorded sessions to the board, headless, and print each session's
final state as one JSON line. The actions go to `Board.apply`, as the window's do: no pygame,
no window, no event queue."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import TextIO

from digitboard import platforms
from digitboard.core.board import Board, ModelInputs
from digitboard.paths import same_file
from digitboard.core.digits import Digit
from digitboard.profile.examples import Example, LearningConfig
from digitboard.profile.learner import PersonalRecognizer
from digitboard.profile.loading import ReplayStart
from digitboard.recognition.recognizer import Recognizer, load_recognizer
from digitboard.sessions.files import read_sessions
from digitboard.sessions.format import Session, SessionError


def digit_state(digit: Digit) -> dict:
    """One digit in the replay output format (docs/session-format.md). Its mark and label text
    are the digit's own (digitboard.core.digits), as the window shows them."""
    prediction = digit.prediction
    corrected = digit.corrected is not None
    confidence = 1.0 if corrected else prediction.confidence if prediction else None
    return {
        "label": digit.label,
        "confidence": round(confidence, 4) if confidence is not None else None,
        "box": list(digit.box),
        "strokes": sorted(digit.stroke_ids),
        "unsure": digit.unsure,
        "mark": digit.mark.value,
        "text": digit.text,
        "alternatives": [[label, round(p, 4)] for label, p in prediction.alternatives] if prediction else [],
        "corrected": corrected,
        "yours": digit.yours,  # the label is the user's examples', not the model's alone
        "model": [prediction.own[0], round(prediction.own[1], 4)] if prediction and prediction.own else None,
    }


def board_state(board: Board, name: str) -> dict:
    """The board's state in the replay output format (docs/session-format.md)."""
    board.classify_pending()
    digits = [digit_state(digit) for digit in board.left_to_right()]
    return {"session": name, "digits": digits, "reading": board.reading()}


def replay_session(
    session: Session, recognizer: Recognizer, examples: Sequence[Example] | None = None,
    config: LearningConfig = LearningConfig(), model_inputs: ModelInputs | None = None,
    learner: PersonalRecognizer | None = None,
) -> dict:
    """Apply a session's actions to a fresh board; its final state.

    With `examples` (a profile's, or none), the board learns from the session's corrections, and
    from the digits let stand (unless `config` says not), for the rest of the session, starting
    from those examples; they are never changed. Without, a correction only sets its digit's label.
    A `learner` given instead keeps learning across sessions (and writes to its journal).
    `model_inputs` may remember drawings' model inputs between sessions (the web board's)."""
    if learner is not None:
        board = Board(learner, learner, model_inputs=model_inputs)
    elif examples is None:
        board = Board(recognizer, model_inputs=model_inputs)
    else:
        personal = PersonalRecognizer(recognizer, examples, config)
        board = Board(personal, personal, model_inputs=model_inputs)
    for action in session.actions:
        board.apply(action)
    return board_state(board, session.name)


def _replayed(
    session: Session, recognizer: Recognizer, start: ReplayStart | None, config: LearningConfig,
    learner: PersonalRecognizer | None, profile: str | None, warn,
) -> dict:
    """One session replayed from the examples it was recorded with, if the profile holds them;
    its state says whether it did (`"profile": "same"` or `"differs"`) when the session names them."""
    difference = None
    if learner is not None:
        from digitboard.profile.rows import example_identity

        if session.profile is not None and example_identity(learner.examples).digest != session.profile["digest"]:
            difference = "the profile has changed since"
        state = replay_session(session, recognizer, config=config, learner=learner)
    else:
        examples = None
        if start is not None:
            examples, difference = start.for_session(session.profile)
        state = replay_session(session, recognizer, examples, config)
    if session.profile is not None:
        if start is None and learner is None:
            difference = "replayed without learning"
        elif not profile and session.profile["examples"]:
            difference = "no --profile given"
        if difference:
            warn(f"{session.name}: recorded with a profile of {session.profile['examples']} example(s), and {difference}; "
                 "the readings may differ from what the board showed")
        state["profile"] = "differs" if difference else "same"
    return state


class Terminated(Exception):
    """SIGTERM arrived: stop, keeping what was printed."""


def run_replay(
    files: list[str], model: str | os.PathLike[str], out: str | None = None,
    profile: str | None = None, learning: bool = True, config: LearningConfig = LearningConfig(),
    update_profile: bool = False,
) -> int:
    """Replay every session of every file; one JSON line each. Exit 2 if any file failed,
    143 on SIGTERM, 130 on Ctrl+C (the lines printed before stay). Each session learns from its
    own corrections, starting from `profile`'s examples if given (read only, unless
    `update_profile`: then every session starts from what the sessions before it taught, all of
    which is kept in the profile), unless not `learning`."""
    if out and any(same_file(out, file) for file in files):
        raise ValueError(f"--out {out} is one of the session files; writing it would erase them")
    if out and profile and same_file(out, profile):
        raise ValueError(f"--out {out} is the profile --profile names; writing it would erase your examples")
    if profile and not learning:
        raise ValueError("--profile and --no-learning contradict each other; give one")
    if update_profile and not profile:
        raise ValueError("--update-profile needs --profile PATH: the profile to keep what the sessions teach in")
    with platforms.sigterm_raises(Terminated):
        try:
            return _replay_files(files, model, out, profile, learning, config, update_profile)
        except Terminated:
            return 128 + signal.SIGTERM
        except KeyboardInterrupt:
            return 128 + signal.SIGINT


def _replay_files(
    files: list[str], model: str | os.PathLike[str], out: str | None, profile: str | None, learning: bool,
    config: LearningConfig, update_profile: bool = False,
) -> int:
    recognizer = load_recognizer(model)
    start: ReplayStart | None = None
    learner: PersonalRecognizer | None = None
    if learning:
        from digitboard.profile.loading import model_fingerprint
        from digitboard.profile.store import Profile

        fingerprint = model_fingerprint(model) if os.path.isfile(model) else ""
        if update_profile:
            store = Profile(profile)  # type: ignore[arg-type]
            store.exists()  # refuses what is not a profile before anything is written
            learner = PersonalRecognizer(recognizer, store.examples_in_use(config), config, journal=store,
                                         fingerprint=fingerprint, write_behind=True)  # written while replay reads on
            for notice in store.notices:
                print(f"digitboard replay: {notice}", file=sys.stderr)
        else:  # each session's examples in use, read and embedded once for every session
            start = ReplayStart(profile, recognizer, config, fingerprint)
    try:
        stream: TextIO = open(out, "w", encoding="utf-8") if out else sys.stdout
    except OSError as error:
        raise OSError(f"cannot write the replay output --out {out} ({error.strerror or error})") from None
    failed = []

    def warn(message: str) -> None:
        print(f"digitboard replay: {message}", file=sys.stderr)

    try:
        for file in files:
            try:
                for session in read_sessions(file, on_warning=warn):
                    state = _replayed(session, recognizer, start, config, learner, profile, warn)
                    stream.write(json.dumps(state) + "\n")
                    stream.flush()  # a session's line is out before the next starts: kept on a signal
            except SessionError as error:
                failed.append(str(file))
                print(f"digitboard replay: {error}", file=sys.stderr)
    finally:
        if learner is not None:
            learner.close()  # everything learned written (also on a signal: each change is whole)
        if out:
            stream.close()
    if len(files) > 1 and failed:  # with one file, its error line says it all
        print(f"digitboard replay: {len(failed)} of {len(files)} files failed: {', '.join(failed)}", file=sys.stderr)
    if learner is not None and learner.journal_error is not None:  # said when it happened: not a success
        print(f"digitboard replay: --update-profile: the profile {profile} was not updated in full "
              f"({learner.journal_error.strerror or learner.journal_error})", file=sys.stderr)
        return 2
    if learner is not None and learner.refused:  # the first said when it happened: not a success either
        print(f"digitboard replay: --update-profile: {learner.refused} example(s) could not be kept in the "
              f"profile {profile}; everything else learned is kept", file=sys.stderr)
        return 2
    return 2 if failed else 0

