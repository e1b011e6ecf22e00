"""The JSON-lines profile of earlier versions (`profile.jsonl`: learn and forget lines), read
for the import into an SQLite profile."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from digitboard.profile.examples import Example
from digitboard.profile.rows import BOUNDS, ProfileContents, created_in_bounds, example_row, strokes_within_bounds
from digitboard.profile.schema import NotAProfile
from digitboard.recognition.classes import DIGIT_CLASSES

OLD_PROFILE_NAME = "profile.jsonl"  # the JSON-lines profile of earlier versions, imported once


def read_old_profile(path: Path) -> ProfileContents:
    """Every readable example of a JSON-lines profile (learn and forget lines), bounded: a line
    too long, not UTF-8, nested too deep or not an example is skipped and counted."""
    if not path.is_file():  # follows symlinks; a pipe or a device is never opened
        raise NotAProfile(f"{path} is not a regular file")
    examples: dict[str, Example] = {}
    skipped = 0
    with open(path, "rb") as handle:
        while True:
            line = handle.readline(BOUNDS.old_line + 1)
            if not line:
                break
            if len(line) > BOUNDS.old_line and not line.endswith(b"\n"):
                skipped += 1
                while line and not line.endswith(b"\n"):  # the rest of the long line
                    line = handle.readline(BOUNDS.old_line)
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line.decode("utf-8"))
                if "learn" in row:
                    example = _old_example(row["learn"])
                    examples[example.id] = example
                elif "forget" in row:
                    examples.pop(str(row["forget"]["id"]), None)
                else:
                    raise ValueError("neither learn nor forget")
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError, UnicodeDecodeError):
                skipped += 1
            if len(examples) > BOUNDS.examples:
                raise NotAProfile(f"{path} holds over {BOUNDS.examples:,} examples, more than a profile may")
    return ProfileContents(list(examples.values()), skipped)


def _old_example(row: dict) -> Example:
    strokes = [np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in row["strokes"]]
    label, accepted = row["label"], row.get("accepted", False)
    if (isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < DIGIT_CLASSES
            or not isinstance(accepted, bool)):
        raise ValueError("not an example")
    created = row.get("created", 0.0)
    if not created_in_bounds(created):
        raise ValueError("not an example")
    strokes = list(strokes_within_bounds(strokes))  # a drawing larger than a row holds: kept as one holds it
    example = Example(label, strokes, None, str(row["id"])[:BOUNDS.id_length], float(created), accepted=accepted)
    example_row(example)  # within the bounds
    return example
