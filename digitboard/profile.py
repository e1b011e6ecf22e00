"""Where a user's personal examples persist, and `digitboard profile`.

A profile is a JSON-lines file, appended to as the board learns: one line per learned example
(its strokes and label, never the model's image or embedding, so a new model reads old examples
afresh) and one per example forgotten by an undo. Every line is flushed to disk before the board
goes on, so a kill loses at most the line being written, and a torn last line is skipped on
reading. Nothing is sent anywhere. The format is in docs/learning.md.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitboard.learning import DIGIT_CLASSES, EmbeddingRecognizer, Example, PersonalRecognizer, counts_by_label
from digitboard.preprocess import digit_image

PROFILE_NAME = "profile.jsonl"


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

    def to_example(self) -> Example:
        """The example with its model input rendered by today's preprocessing."""
        return Example(self.label, self.strokes, digit_image(self.strokes), self.id, self.created)


@dataclass(frozen=True)
class ProfileContents:
    examples: list[StoredExample]  # in the order they were learned, forgotten ones left out
    damaged_lines: list[int]  # line numbers that could not be read (and were skipped)


def _stored(row: dict) -> StoredExample:
    strokes = [np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in row["strokes"]]
    label = row["label"]
    if (not strokes or any(len(stroke) == 0 for stroke in strokes) or not all(np.isfinite(s).all() for s in strokes)
            or isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < DIGIT_CLASSES):
        raise ValueError("not an example")
    return StoredExample(str(row["id"]), label, strokes, float(row.get("created", 0.0)))


class Profile:
    """A user's profile file: read it, append to it, clear it, export it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def read(self) -> ProfileContents:
        """The examples still in effect; a missing file is an empty profile."""
        examples: dict[str, StoredExample] = {}
        damaged: list[int] = []
        try:
            handle = open(self.path, encoding="utf-8")
        except FileNotFoundError:
            return ProfileContents([], [])
        except OSError as error:
            raise OSError(f"cannot read the profile {self.path} ({error.strerror or error})") from None
        with handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
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
        return ProfileContents(list(examples.values()), damaged)

    def examples(self) -> list[Example]:
        """The profile's examples, rendered for the model (embedded later, by the model in use)."""
        contents = self.read()
        if contents.damaged_lines:
            print(f"digitboard: skipped {len(contents.damaged_lines)} damaged line(s) of the profile {self.path} "
                  f"(line {contents.damaged_lines[0]}{', ...' if len(contents.damaged_lines) > 1 else ''})",
                  file=sys.stderr)
        return [stored.to_example() for stored in contents.examples]

    # -- the Journal the board's learner writes to ------------------------------------------------
    def remember(self, example: Example) -> None:
        strokes = [[[round(float(x), 2), round(float(y), 2)] for x, y in stroke] for stroke in example.strokes]
        self._append({"learn": {"id": example.id, "label": example.label, "strokes": strokes,
                                "created": round(example.created, 3)}})

    def forget(self, example: Example) -> None:
        self._append({"forget": {"id": example.id}})

    def _append(self, row: dict) -> None:
        """One line, flushed to disk before returning: a kill loses at most this line."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
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
        destination = Path(destination)
        examples = self.read().examples
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=destination.parent or ".",
                                         prefix=f".{destination.name}.", delete=False) as handle:
            for stored in examples:
                strokes = [stroke.tolist() for stroke in stored.strokes]
                row = {"learn": {"id": stored.id, "label": stored.label, "strokes": strokes, "created": stored.created}}
                handle.write(json.dumps(row, separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, destination)
        return len(examples)


def summary(profile: Profile) -> str:
    """What `digitboard profile` prints: where the profile is and how many examples of each digit."""
    contents = profile.read()
    counts = counts_by_label(example.label for example in contents.examples)
    lines = [f"profile {profile.path}: {len(contents.examples)} personal example(s)"]
    lines += [f"  {digit}: {count}" for digit, count in enumerate(counts)]
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


def window_learner(recognizer: EmbeddingRecognizer, path: str | os.PathLike[str] | None) -> PersonalRecognizer:
    """The window's recogniser and learner: the profile's examples loaded on a thread while the
    model loads, and every correction (and its undo) appended to the profile as it is made."""
    profile = Profile(path or default_profile_path())
    learner = PersonalRecognizer(recognizer, journal=profile)
    learner.load_in_background(profile.examples)
    return learner
