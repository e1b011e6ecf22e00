"""Where a user's personal examples persist, and `digitboard profile`.

A profile is a JSON-lines file, appended to as the board learns: one line per learned example
(its strokes and label, and whether it was a digit let stand rather than corrected; never the
model's image or embedding, so a new model reads old examples afresh) and one per example
forgotten (an undo, a digit changed, the oldest accepted example of a digit beyond the cap). A
profile with many more lines than examples is rewritten compactly when it is next loaded. Every
line is flushed to disk before the board goes on, so a kill loses at most the line being written,
and a torn last line is skipped on reading. Nothing is sent anywhere. The format is in docs/learning.md.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitboard.recognition.classes import DIGIT_CLASSES
from digitboard.recognition.learning import (
    EmbeddingRecognizer,
    Example,
    LearningConfig,
    PersonalRecognizer,
    counts_by_label,
)
from digitboard.recognition.preprocess import digit_image

PROFILE_NAME = "profile.jsonl"
COMPACT_ABOVE = 1000  # lines beyond twice the examples in effect at which loading rewrites the profile


def default_profile_path() -> Path:
    """The platform's user data folder for digitboard (e.g. ~/.local/share/digitboard on Linux)."""
    import platformdirs

    return platformdirs.user_data_path("digitboard", appauthor=False) / PROFILE_NAME


@dataclass(frozen=True)
class StoredExample:
    """An example as the profile holds it: what a model needs to read it again."""

    id: str
    label: int
    strokes: list[np.ndarray]  # (n, 2) float64 board pixels each
    created: float
    accepted: bool = False  # a digit let stand, not corrected

    def to_example(self) -> Example:
        """The example with its model input rendered by today's preprocessing."""
        return Example(self.label, self.strokes, digit_image(self.strokes), self.id, self.created,
                       accepted=self.accepted)

    def row(self, decimals: int | None = None) -> dict:
        """The example as a profile's learn line holds it."""
        strokes = [[[round(float(x), decimals), round(float(y), decimals)] for x, y in stroke] if decimals is not None
                   else stroke.tolist() for stroke in self.strokes]
        row = {"id": self.id, "label": self.label, "strokes": strokes, "created": round(self.created, 3)}
        return {**row, "accepted": True} if self.accepted else row


@dataclass(frozen=True)
class ProfileContents:
    examples: list[StoredExample]  # in the order they were learned, forgotten ones left out
    damaged_lines: list[int]  # line numbers that could not be read (and were skipped)
    lines: int = 0  # lines read, learn and forget alike


def _stored(row: dict) -> StoredExample:
    strokes = [np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in row["strokes"]]
    label = row["label"]
    if (not strokes or any(len(stroke) == 0 for stroke in strokes) or not all(np.isfinite(s).all() for s in strokes)
            or isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < DIGIT_CLASSES):
        raise ValueError("not an example")
    accepted = row.get("accepted", False)
    if not isinstance(accepted, bool):
        raise ValueError("not an example")
    return StoredExample(str(row["id"]), label, strokes, float(row.get("created", 0.0)), accepted)


class Profile:
    """A user's profile file: read it, append to it, clear it, export it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()  # the loading thread may rewrite the file the board appends to

    def read(self) -> ProfileContents:
        """The examples still in effect; a missing file is an empty profile."""
        examples: dict[str, StoredExample] = {}
        damaged: list[int] = []
        lines = 0
        try:
            handle = open(self.path, encoding="utf-8")
        except FileNotFoundError:
            return ProfileContents([], [], 0)
        except OSError as error:
            raise OSError(f"cannot read the profile {self.path} ({error.strerror or error})") from None
        with handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                lines += 1
                try:
                    row = json.loads(line)
                    if "learn" in row:
                        example = _stored(row["learn"])
                        examples[example.id] = example
                    elif "forget" in row:
                        examples.pop(str(row["forget"]["id"]), None)
                    else:
                        raise ValueError("neither learn nor forget")
                except (ValueError, KeyError, TypeError, AttributeError):
                    damaged.append(number)
        return ProfileContents(list(examples.values()), damaged, lines)

    def examples(self) -> list[Example]:
        """The profile's examples, rendered for the model (embedded later, by the model in use).
        A profile of mostly forgotten lines is first rewritten with the examples in effect."""
        with self._lock:
            contents = self.read()
            if not contents.damaged_lines and contents.lines > COMPACT_ABOVE + 2 * len(contents.examples):
                try:
                    self._write(self.path, contents.examples)
                except OSError:  # a read-only profile stays as it is; it is still read right
                    pass
        if contents.damaged_lines:
            print(f"digitboard: skipped {len(contents.damaged_lines)} damaged line(s) of the profile {self.path} "
                  f"(line {contents.damaged_lines[0]}{', ...' if len(contents.damaged_lines) > 1 else ''})",
                  file=sys.stderr)
        return [stored.to_example() for stored in contents.examples]

    # -- the Journal the board's learner writes to ------------------------------------------------
    def remember(self, example: Example) -> None:
        stored = StoredExample(example.id, example.label, example.strokes, example.created, example.accepted)
        self._append({"learn": stored.row(decimals=2)})

    def forget(self, example: Example) -> None:
        self._append({"forget": {"id": example.id}})

    def _append(self, row: dict) -> None:
        """One line, flushed to disk before returning: a kill loses at most this line."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    # -- `digitboard profile` ----------------------------------------------------------------------
    def clear(self) -> int:
        """Remove the profile; returns how many examples it held."""
        count = len(self.read().examples)
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        return count

    def export(self, destination: str | os.PathLike[str]) -> int:
        """Write the examples in effect to `destination` as a profile of learn lines only (usable
        as --profile elsewhere); written beside it and renamed, never half-written."""
        examples = self.read().examples
        self._write(Path(destination), examples)
        return len(examples)

    @staticmethod
    def _write(destination: Path, examples: list[StoredExample]) -> None:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=destination.parent or ".",
                                         prefix=f".{destination.name}.", delete=False) as handle:
            for stored in examples:
                handle.write(json.dumps({"learn": stored.row()}, separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, destination)


def summary(profile: Profile) -> str:
    """What `digitboard profile` prints: where the profile is and how many examples of each digit."""
    contents = profile.read()
    corrected = counts_by_label(example.label for example in contents.examples if not example.accepted)
    accepted = counts_by_label(example.label for example in contents.examples if example.accepted)
    lines = [f"profile {profile.path}: {len(contents.examples)} personal example(s), "
             f"{sum(corrected)} corrected and {sum(accepted)} let stand"]
    lines += [f"  {digit}: {fixed + stood} ({fixed} corrected, {stood} let stand)"
              for digit, (fixed, stood) in enumerate(zip(corrected, accepted))]
    if contents.damaged_lines:
        lines.append(f"  ({len(contents.damaged_lines)} damaged line(s) skipped)")
    return "\n".join(lines)


def run_profile(path: str | None, clear: bool = False, export: str | None = None) -> int:
    """`digitboard profile`: show the counts, or clear or export the examples."""
    profile = Profile(path or default_profile_path())
    if export:
        if Path(export).resolve() == profile.path.resolve():
            raise ValueError(f"--export {export} is the profile itself; choose another file")
        count = profile.export(export)
        print(f"exported {count} personal example(s) from {profile.path} to {export}")
    if clear:
        count = profile.clear()
        print(f"cleared {count} personal example(s) from {profile.path}")
    if not (clear or export):
        print(summary(profile))
    return 0


def loaded_examples(path: str | os.PathLike[str]) -> Sequence[Example]:
    """A profile's examples for replay, which only reads it: a missing file is an error there."""
    profile = Profile(path)
    if not profile.path.is_file():
        raise FileNotFoundError(f"profile {profile.path} does not exist; give a profile written by the board "
                                "or by `digitboard profile --export`")
    return profile.examples()


def window_learner(
    recognizer: EmbeddingRecognizer, path: str | os.PathLike[str] | None, config: LearningConfig = LearningConfig(),
) -> PersonalRecognizer:
    """The window's recogniser and learner: the profile's examples loaded on a thread while the
    model loads, and every example learned or forgotten appended to the profile as it happens."""
    profile = Profile(path or default_profile_path())
    learner = PersonalRecognizer(recognizer, config=config, journal=profile)
    learner.load_in_background(profile.examples)
    return learner
