"""The board's state: strokes, which strokes form which digit, and each digit's prediction.

Pure Python and numpy: no pygame here. Every edit is an action (digitboard.core.actions) applied by
`Board.apply`, whichever shell it comes from. The recogniser is handed in, so tests pass a fake one.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from digitboard.core.acceptance import Learner, on_doubted_lines, safe_to_learn
from digitboard.core.actions import Action, Clear, Correct, Delete, Forget, Stroke, Undo
from digitboard.core.digits import Digit, Ink, Pen, Prediction
from digitboard.core.grouping import DigitIndex, place
from digitboard.core.reading import reading_lines
from digitboard.recognition.box import box
from digitboard.recognition.preprocess import STROKE_WIDTH, digit_image
from digitboard.recognition.recognizer import Recognizer
from digitboard.recognition.trajectory import trajectory


class ModelInputs(Protocol):
    """Where a board may take its digits' model inputs from (digitboard.web.memo.DrawingMemo)."""

    def model_input(self, strokes: list[np.ndarray], stroke_width: float) -> tuple[np.ndarray, np.ndarray]:
        """A drawing's (28, 28) image and (64, 5) path, as digit_image and trajectory give them."""
        ...


@dataclass(frozen=True)
class _Added:
    ink: Ink
    digit: Digit
    corrected: int | None  # the digit's correction before the stroke joined it (which drops it)
    absorbed: tuple[Digit, ...] = ()  # digits the stroke made one drawing with `digit`, as they were
    taken_from: Digit | None = None  # the digit the stroke before was taken from into `digit`


@dataclass(frozen=True)
class _Cleared:
    strokes: list[Ink]
    digits: list[Digit]


@dataclass(frozen=True)
class _Corrected:
    digit: Digit
    previous: int | None
    handle: object  # the learner's, to forget the example by
    taken_back: list = field(default_factory=list)  # examples the correction made the learner forget
    reread: list = field(default_factory=list)  # the digits read again without them


@dataclass(frozen=True)
class _Deleted:
    digit: Digit


@dataclass(frozen=True)
class _Forgot:
    digit: Digit
    examples: list  # the learner's examples that went, to restore on undo


_Edit = _Added | _Cleared | _Corrected | _Deleted | _Forgot


@dataclass
class Board:
    """Strokes grouped into digits, classified by `recognizer` when it is ready."""

    recognizer: Recognizer | None = None
    learner: Learner | None = None
    stroke_width: float = STROKE_WIDTH
    model_inputs: ModelInputs | None = None  # else each digit's are computed here
    strokes: list[Ink] = field(default_factory=list)  # on the board, in drawing order
    digits: list[Digit] = field(default_factory=list)  # in order of their first stroke
    pen: Pen | None = None
    stroke_count: int = 0  # strokes ever added: the next stroke's id
    version: int = 0  # counts changes, so shells can redraw and re-read only when needed
    history: list[_Edit] = field(default_factory=list)  # edits undo can take back
    index: DigitIndex = field(default_factory=DigitIndex)
    _unread: dict[int, Digit] = field(default_factory=dict)  # digits without a prediction, by id
    _awaiting: dict[int, Digit] = field(default_factory=dict)  # read, not yet accepted: by id, in reading order
    _lines: tuple[int, list[list[Digit]]] | None = None

    # -- the one way to edit the board ------------------------------------------------------
    def apply(self, action: Action) -> Digit | None:
        """Carry out an action; returns the digit a stroke went to, or that was corrected or deleted."""
        if isinstance(action, Stroke):
            return self._add(action)
        if isinstance(action, Clear):
            self._clear()
        elif isinstance(action, Undo):
            self._undo()
        elif isinstance(action, Correct):
            return self._correct(action)
        elif isinstance(action, Delete):
            return self._delete(action)
        elif isinstance(action, Forget):
            return self._forget(action)
        else:
            raise TypeError(f"not a board action: {action!r}")
        return None

    def digit_at(self, x: float, y: float) -> Digit | None:
        """The digit whose box holds (x, y), the smallest if several do; else the nearest."""
        point = np.array([x, y], np.float64)
        inside = [d for d in self.index.near(point, point) if np.all(d.low <= point) and np.all(point <= d.high)]
        if inside:
            return min(inside, key=lambda d: float(np.prod(d.high - d.low + 1)))
        distance = lambda d: float(np.linalg.norm(np.maximum(0.0, np.maximum(d.low - point, point - d.high))))
        return min(self.digits, key=distance, default=None)

    def point_of(self, digit: Digit) -> tuple[float, float]:
        """A point that `digit_at` takes to `digit`, for a Correct or Delete aimed at it: the
        middle of its box, else the first of its ink points not inside a smaller digit's box."""
        middle = (digit.low + digit.high) / 2
        for point in (middle, *(p for ink in digit.strokes for p in ink.points)):
            if self.digit_at(*point) is digit:
                return float(point[0]), float(point[1])
        return float(middle[0]), float(middle[1])

    # -- the pen: a stroke in the making, not yet an edit -------------------------------------
    def pen_down(self, x: float, y: float, time: float | None = None) -> None:
        self.pen = Pen([(float(x), float(y))], None if time is None else [float(time)])

    def pen_move(self, x: float, y: float, time: float | None = None) -> None:
        pen = self.pen
        if pen is None or pen.points[-1] == (x, y):
            return
        pen.points.append((float(x), float(y)))
        if pen.times is not None:
            pen.times.append(float(time) if time is not None else pen.times[-1])

    def lift_pen(self) -> Stroke | None:
        """End the stroke being drawn and return it as an action (not applied yet)."""
        pen, self.pen = self.pen, None
        return pen.stroke() if pen is not None else None

    def drop_pen(self) -> bool:
        """Forget the stroke being drawn; whether there was one."""
        pen, self.pen = self.pen, None
        return pen is not None

    # -- edits ------------------------------------------------------------------------------
    def _add(self, stroke: Stroke) -> Digit:
        points = np.asarray(stroke.points, np.float64).reshape(-1, 2)
        if not np.all(np.isfinite(points)):
            raise ValueError("stroke points must be finite numbers")
        times = None if stroke.times is None else np.asarray(stroke.times, np.float64)
        ink = Ink(self.stroke_count, points, times, *box(points))
        self.stroke_count += 1
        placement = place(self, ink)
        ink.speck, digit = placement.speck, placement.digit
        if digit is None and not ink.speck:
            # The user starts a line below: what they wrote above stands, and is accepted.
            self._accept_standing(above=float(ink.low[1]))
        self.strokes.append(ink)
        corrected = None
        taken_from = placement.taken.digit if placement.taken is not None else None
        if taken_from is not None:
            self._move_out(placement.taken, taken_from)
        if digit is None:
            parts = [ink] if placement.taken is None else [placement.taken, ink]
            digit = Digit(parts, low=np.min([part.low for part in parts], axis=0),
                          high=np.max([part.high for part in parts], axis=0))
            self.digits.append(digit)
            self._unread[id(digit)] = digit
        else:
            self._withdraw(digit)
            self.index.remove(digit)
            for other in placement.absorbed:
                self._absorb(digit, other)
            digit.strokes.append(ink)
            digit.low, digit.high = np.minimum(digit.low, ink.low), np.maximum(digit.high, ink.high)
            corrected, digit.corrected = digit.corrected, None  # new strokes: a new digit to read
        ink.digit = digit
        if placement.taken is not None:
            placement.taken.digit = digit
        self.index.add(digit)
        self.history.append(_Added(ink, digit, corrected, placement.absorbed, taken_from))
        self._changed(digit)
        return digit

    def _move_out(self, stroke: Ink, digit: Digit) -> None:
        """Take `stroke` out of `digit`, which keeps its other strokes and is read again."""
        self._withdraw(digit)
        self.index.remove(digit)
        digit.strokes.remove(stroke)
        digit.low, digit.high = box(np.concatenate([part.points for part in digit.strokes]))
        self.index.add(digit)
        self._changed(digit)

    def _absorb(self, digit: Digit, other: Digit) -> None:
        """Move `other`'s strokes into `digit` (off the index), in drawing order; `other` leaves the
        board unchanged, so that undo can put it back as it was."""
        self._withdraw(other)
        self._forget_reading(other)
        self.digits.remove(other)
        self.index.remove(other)
        digit.strokes = sorted([*digit.strokes, *other.strokes], key=lambda ink: ink.id)
        for ink in other.strokes:
            ink.digit = digit
        digit.low, digit.high = np.minimum(digit.low, other.low), np.maximum(digit.high, other.high)

    def _correct(self, action: Correct) -> Digit | None:
        digit = self.digit_at(*action.at)
        if digit is None:
            return None
        # Digits drawn before the correction are read without it, live and in replay alike.
        self.classify_pending()
        handle = None
        if self.learner is not None:
            self._withdraw(digit)
            strokes = [ink.points for ink in digit.strokes]
            handle = self.learner.learn(self.render(digit), strokes, action.label, self.trace(digit),
                                        **_what_was_read(digit))
        taken_back = list(self.learner.taken_back) if self.learner is not None else []
        # A misreading they gave, corrected: the digits they gave it to are read again.
        reread = self._reread_after(taken_back, None, besides=digit) if taken_back else []
        self.history.append(_Corrected(digit, digit.corrected, handle, taken_back, reread))
        digit.corrected = action.label
        self.version += 1
        return digit

    def _delete(self, action: Delete) -> Digit | None:
        digit = self.digit_at(*action.at)
        if digit is None:
            return None
        self.history.append(_Deleted(digit))
        self._withdraw(digit)
        self._forget_reading(digit)
        self.digits.remove(digit)
        self.index.remove(digit)
        gone = {id(ink) for ink in digit.strokes}
        self.strokes = [ink for ink in self.strokes if id(ink) not in gone]
        self.version += 1
        return digit

    def _forget(self, action: Forget) -> Digit | None:
        digit = self.digit_at(*action.at)
        self.classify_pending()  # read as the window read it before the user asked
        if digit is None or not digit.yours or self.learner is None:
            return None
        gone = self.learner.forget_ids(digit.prediction.reasons)  # type: ignore[union-attr]
        self.history.append(_Forgot(digit, gone))
        self._reread_after(gone, digit)
        return digit

    def _reread_after(self, examples: list, digit: Digit | None, besides: Digit | None = None) -> list[Digit]:
        """Read again `digit` and every digit (but `besides`) whose reading these examples gave:
        the learner changed under them. Returns the digits to be read again."""
        ids = {example.id for example in examples}
        reread = []
        for other in self.digits:
            if other is besides:
                continue
            if other is digit or (other.prediction is not None and ids & set(other.prediction.reasons)):
                if other.accepted is not None and getattr(other.accepted, "id", None) in ids:
                    other.accepted = None  # it went with them
                other.prediction = None
                self._unread[id(other)] = other
                self._awaiting.pop(id(other), None)
                reread.append(other)
        self.version += 1
        return reread

    def _clear(self) -> None:
        if not self.strokes:
            return
        self._accept_standing()  # the user moves on from every digit on the board
        self.history.append(_Cleared(self.strokes, self.digits))
        self.strokes, self.digits = [], []
        self._unread, self._awaiting = {}, {}
        self.index = DigitIndex()
        self.version += 1

    def _undo(self) -> None:
        if not self.history:
            return
        edit = self.history.pop()
        self.version += 1
        if isinstance(edit, _Cleared):
            self.strokes, self.digits = edit.strokes, edit.digits
            self.index = DigitIndex()
            for digit in self.digits:
                self.index.add(digit)
                self._restore_reading(digit)
        elif isinstance(edit, _Corrected):
            edit.digit.corrected = edit.previous
            if self.learner is not None and edit.handle is not None:
                self.learner.forget(edit.handle)
            if edit.taken_back:
                self.learner.restore(edit.taken_back)  # type: ignore[union-attr]
                for digit in edit.reread:
                    if digit in self.digits:
                        self._reread_after([], digit)
            self._await(edit.digit)
        elif isinstance(edit, _Forgot):
            self.learner.restore(edit.examples)  # type: ignore[union-attr]
            self._reread_after(edit.examples, edit.digit)
        elif isinstance(edit, _Deleted):
            digit = edit.digit
            for ink in digit.strokes:  # back among the strokes, in drawing order
                self.strokes.insert(bisect.bisect([other.id for other in self.strokes], ink.id), ink)
            first = [other.strokes[0].id for other in self.digits]
            self.digits.insert(bisect.bisect(first, digit.strokes[0].id), digit)
            self.index.add(digit)
            self._restore_reading(digit)
        else:
            self._unadd(edit)

    def _unadd(self, edit: _Added) -> None:
        ink, digit = edit.ink, edit.digit
        if self.strokes[-1] is ink:  # always so, as later edits were undone first
            self.strokes.pop()
        else:
            self.strokes.remove(ink)
        self.index.remove(digit)
        self._withdraw(digit)
        digit.strokes.remove(ink)
        if edit.taken_from is not None:  # the stroke before goes back to the digit it was taken from
            taken, source = digit.strokes.pop(), edit.taken_from
            self.digits.remove(digit)
            self._forget_reading(digit)
            self.index.remove(source)
            self._withdraw(source)
            source.strokes.append(taken)
            taken.digit = source
            source.low, source.high = np.minimum(source.low, taken.low), np.maximum(source.high, taken.high)
            self.index.add(source)
            self._changed(source)
            return
        for other in edit.absorbed:  # back on the board, as they were
            moved = {id(stroke) for stroke in other.strokes}
            digit.strokes = [stroke for stroke in digit.strokes if id(stroke) not in moved]
            for stroke in other.strokes:
                stroke.digit = other
            first = [existing.strokes[0].id for existing in self.digits]
            self.digits.insert(bisect.bisect(first, other.strokes[0].id), other)
            self.index.add(other)
            self._restore_reading(other)
        if not digit.strokes:
            self.digits.remove(digit)
            self._forget_reading(digit)
            return
        points = np.concatenate([other.points for other in digit.strokes])
        digit.low, digit.high = box(points)
        self.index.add(digit)
        self._changed(digit)
        digit.corrected = edit.corrected

    def _accept_standing(self, above: float | None = None) -> None:
        """Tell the learner of the digits the user has visibly accepted: every digit on the board
        when it is cleared, or, as a new digit starts at height `above`, those wholly above it
        (the user went on to a line below). Of these, each uncorrected, read safely enough to
        learn from (acceptance.safe_to_learn), on a line showing no doubt (a letter among digits
        read as digits, the stems of an H each read 1 beside its bar), and not an example yet.
        Digits drawn before are read first, live and in replay alike (the window has read them
        already, at their pen lift). A learner that keeps no digit let stand is told nothing, and
        nothing is read for it: the digits are read later together, as the learner stands unchanged
        until the next correction, which reads them first (or an undo, which takes back every edit
        after the learner changed, and their readings with them)."""
        if self.learner is None or not self.learner.keeps_accepted:
            return
        self.classify_pending()
        accepted = {key: digit for key, digit in self._awaiting.items() if above is None or digit.high[1] < above}
        for key in accepted:
            del self._awaiting[key]
        doubted = on_doubted_lines(self.digits, accepted.values()) if accepted else set()
        for digit in accepted.values():
            prediction = digit.prediction
            if (digit.accepted is None and digit.corrected is None and prediction is not None
                    and safe_to_learn(prediction) and not digit.speck and id(digit) not in doubted):
                strokes = [ink.points for ink in digit.strokes]
                reading = {"reasons": prediction.reasons} if prediction.reasons else {}
                digit.accepted = self.learner.accept(self.render(digit), strokes, prediction.label, self.trace(digit),
                                                     **reading)

    def _forget_reading(self, digit: Digit) -> None:
        """The digit leaves the board: neither to be read nor accepted."""
        self._unread.pop(id(digit), None)
        self._awaiting.pop(id(digit), None)

    def _restore_reading(self, digit: Digit) -> None:
        """The digit is back on the board (an undone clear or deletion), as it was."""
        if digit.prediction is None:
            self._unread[id(digit)] = digit
        self._await(digit)

    def _await(self, digit: Digit) -> None:
        """A digit read and uncorrected, back on the board or read anew: accepted when the user goes
        on (by a learner that keeps digits let stand; for another, nothing awaits)."""
        if (self.learner is not None and self.learner.keeps_accepted and digit.prediction is not None
                and digit.accepted is None):
            self._awaiting[id(digit)] = digit

    def _withdraw(self, digit: Digit) -> None:
        """The digit changes, is corrected or goes: it is no longer an example let stand."""
        if digit.accepted is not None and self.learner is not None:
            self.learner.forget(digit.accepted)
        digit.accepted = None

    def _changed(self, digit: Digit) -> None:
        """Mark a digit for classification; it is rendered and classified in the next batch."""
        digit.image = digit.path = None
        digit.prediction = None
        self._unread[id(digit)] = digit
        self._awaiting.pop(id(digit), None)  # awaited again once read
        self.version += 1

    # -- recognition ------------------------------------------------------------------------
    @property
    def pending(self) -> list[Digit]:
        """The digits without a prediction, in board order (kept apart: a long session is not
        searched through at every stroke)."""
        return sorted(self._unread.values(), key=lambda digit: digit.strokes[0].id)

    def render(self, digit: Digit) -> np.ndarray:
        """The digit's model input, (28, 28) float32 in [0, 1]."""
        return self._model_input(digit)[0]

    def trace(self, digit: Digit) -> np.ndarray:
        """The digit's pen path as the model reads it, (64, 5) float32."""
        return self._model_input(digit)[1]

    def _model_input(self, digit: Digit) -> tuple[np.ndarray, np.ndarray]:
        """Image and path, computed once since the digit last changed (from the board's memory
        of drawings if it has one): the model always reads both."""
        if digit.image is None or digit.path is None:
            strokes = [ink.points for ink in digit.strokes]
            if self.model_inputs is not None:
                digit.image, digit.path = self.model_inputs.model_input(strokes, self.stroke_width)
            else:
                digit.image, digit.path = digit_image(strokes, self.stroke_width), trajectory(strokes)
        return digit.image, digit.path

    def classify_pending(self) -> int:
        """Classify, in one batch, every digit without a prediction, if the recogniser is ready."""
        pending = self.pending
        if not pending or self.recognizer is None or not self.recognizer.ready:
            return 0
        images = np.stack([self.render(digit) for digit in pending])[..., None]  # (N, 28, 28, 1) float32
        paths = np.stack([self.trace(digit) for digit in pending])  # (N, 64, 5) float32
        if self.learner is not None:  # the learner reads too, and says which examples moved a reading
            explained = self.learner.predict_explained(images, paths)
            probabilities = np.asarray(explained.probabilities, np.float64)
            own, reasons = np.asarray(explained.own, np.float64), explained.reasons
        else:
            probabilities = np.asarray(self.recognizer.predict(images, paths), np.float64)
            own, reasons = probabilities, [()] * len(probabilities)
        for digit, row, own_row, why in zip(pending, probabilities, own, reasons):
            digit.prediction = Prediction.from_probabilities(row, own_row, why)
            del self._unread[id(digit)]
            self._await(digit)
        self.version += 1
        return len(pending)

    # -- reading ----------------------------------------------------------------------------
    def rows(self) -> list[list[Digit]]:
        """The digits in lines of writing, top to bottom, each read left to right."""
        if self._lines is None or self._lines[0] != self.version:
            self._lines = (self.version, reading_lines(self.digits))
        return self._lines[1]

    def left_to_right(self) -> list[Digit]:
        """All digits in reading order: lines top to bottom, each left to right."""
        return [digit for row in self.rows() for digit in row]

    def reading(self) -> str:
        """The number on the board: labels left to right (the user's where corrected; '_' for a
        digit not classified yet, '?' for ink likelier no digit; specks left out), lines of
        writing separated by a space."""
        lines = ("".join(d.reading for d in row if not d.speck) for row in self.rows())
        return " ".join(line for line in lines if line)


def _what_was_read(digit: Digit) -> dict:
    """What a learner is told of a digit's reading when it is corrected: the examples that gave
    it and the model's own label, if personal examples changed it."""
    prediction = digit.prediction
    if prediction is None or not prediction.reasons or prediction.own is None:
        return {}
    return {"reasons": prediction.reasons, "own_label": prediction.own[0]}
