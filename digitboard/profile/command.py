"""`digitboard profile`: what the profile holds (counts, as text or JSON, or each example with a
small picture), and the user's control over it: forget examples, export, import, clear with a
backup, restore that backup."""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from digitboard.paths import require_readable_file, shown
from digitboard.profile.examples import Example
from digitboard.profile.legacy import read_old_profile
from digitboard.profile.rows import ProfileContents
from digitboard.profile.schema import NotAProfile
from digitboard.profile.store import Profile, default_profile_path
from digitboard.recognition.classes import DIGIT_CLASSES
from digitboard.recognition.preprocess import digit_image

log = logging.getLogger(__name__)  # what the user should hear of: the shells show it (digitboard.cli)

ID_SHOWN = 8  # characters of an example's id `--list` shows at least; `--forget` takes any unique start of 4 or more
PICTURE_SIZE = 16  # pixels a side of `--list`'s picture: 8 braille characters by 4 lines


@dataclass(frozen=True)
class ProfileRequest:
    """What `digitboard profile` was asked to do (nothing: show the counts)."""

    path: str | None = None
    as_json: bool = False
    list_examples: bool = False
    forget: list[str] = field(default_factory=list)
    export: str | None = None
    force: bool = False
    import_file: str | None = None
    clear: bool = False
    restore: str | None = None  # a backup's path, or "latest"
    yes: bool = False


def read_examples_file(path: Path) -> ProfileContents:
    """The examples of a profile, an export, or an old JSON-lines profile (for `--import`)."""
    try:
        return Profile(path, writable=False).read()
    except NotAProfile as refusal:
        if not path.is_file() or "older JSON-lines" not in str(refusal):
            raise
    return read_old_profile(path)



def counts(held: dict[tuple[str, int, bool], int]) -> dict:
    """{"corrected": {"7": 1}, "let_stand": {"1": 8}, "tied": {...}}: digits as strings, only those
    held, from Profile.counts (by kind, digit and whether tied to corrections)."""
    result: dict[str, dict[str, int]] = {"corrected": {}, "let_stand": {}, "tied": {}}
    for (kind, label, tied), count in sorted(held.items(), key=lambda item: item[0][1]):
        for name in ["let_stand", "tied"] if tied else ["let_stand"] if kind == "let stand" else ["corrected"]:
            result[name][str(label)] = result[name].get(str(label), 0) + count
    return result


def summary(profile: Profile, held: dict[tuple[str, int, bool], int], skipped: int) -> str:
    """The counts as text: where the profile is and how many examples of each digit."""
    numbers = counts(held)
    corrected, stood = numbers["corrected"], numbers["let_stand"]
    lines = [(f"profile {profile.path}: {sum(held.values())} personal example(s), "
              f"{sum(corrected.values())} corrected and {sum(stood.values())} let stand")]
    for digit in map(str, range(DIGIT_CLASSES)):
        fixed, let = corrected.get(digit, 0), stood.get(digit, 0)
        tied = numbers["tied"].get(digit, 0)
        lines.append(f"  {digit}: {fixed + let} ({fixed} corrected, {let} let stand"
                     + (f", {tied} of them tied to corrections" if tied else "") + ")")
    if skipped:
        lines.append(f"  ({skipped} damaged example(s) skipped)")
    return "\n".join(lines)


def picture(example: Example) -> list[str]:
    """The example as the model sees it, in braille dots: 8 characters by 4 lines."""
    image = example.image if example.image is not None else digit_image(example.strokes)
    small = cv2.resize(np.asarray(image, np.float32), (PICTURE_SIZE, PICTURE_SIZE), interpolation=cv2.INTER_AREA) > 0.25
    dots = ((0, 0, 0x01), (1, 0, 0x02), (2, 0, 0x04), (0, 1, 0x08), (1, 1, 0x10), (2, 1, 0x20), (3, 0, 0x40), (3, 1, 0x80))
    lines = []
    for top in range(0, PICTURE_SIZE, 4):
        lines.append("".join(chr(0x2800 + sum(bit for row, column, bit in dots if small[top + row, left + column]))
                             for left in range(0, PICTURE_SIZE, 2)))
    return lines


def short_ids(ids: Iterable[str]) -> dict[str, str]:
    """Each id's shortest start that no other of `ids` shares, of ID_SHOWN characters at least
    (as git shortens commit names): ids begin with the time they were made
    (examples.new_example_id), so the examples of one minute share their first eight."""
    ordered = sorted(set(ids))
    shared = [0] * len(ordered)  # the most characters an id's start shares with another's
    for index in range(1, len(ordered)):
        common = len(os.path.commonprefix(ordered[index - 1:index + 1]))
        shared[index - 1], shared[index] = max(shared[index - 1], common), common
    return {id: id[:max(ID_SHOWN, length + 1)] for id, length in zip(ordered, shared)}


def listing(examples: list[Example], pictures: bool) -> list[str]:
    """One line an example (id, digit, kind, when), each followed by its picture if asked."""
    lines = []
    short = short_ids(itertools.chain.from_iterable((example.id, *example.tied_to) for example in examples))
    # An imported id may hold escape sequences: shown quoted, never sent raw.
    names = {example.id: shown(short[example.id]) for example in examples}
    width = max(map(len, names.values()), default=0)  # the columns line up
    for example in examples:
        kind = ("let stand, tied to " + ", ".join(shown(short[id]) for id in example.tied_to)
                if example.tied_to else "let stand" if example.accepted else "corrected")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(example.created))
        lines.append(f"{names[example.id]:{width}}  {example.label}  {when}  {kind}")
        if pictures:
            lines += [f"    {line}" for line in picture(example)]
    return lines


def resolve_ids(examples: list[Example], wanted: list[str]) -> list[str]:
    """Full ids for ids or unique starts of ids (4 characters or more); ValueError naming the first
    that matches none or several."""
    ids = [example.id for example in examples]
    found = []
    for start in wanted:
        matches = [id for id in ids if id == start] or ([id for id in ids if id.startswith(start)] if len(start) >= 4 else [])
        if len(matches) != 1:
            problem = "matches no example" if not matches else f"matches {len(matches)} examples; give more of it"
            raise ValueError(f"--forget {start}: {problem} (see `digitboard profile --list`)")
        found.append(matches[0])
    return found


def confirmed(question: str, yes: bool, stdin: TextIO, stdout: TextIO) -> bool:
    """Whether the user agrees: --yes, or 'y' typed on a terminal. Without a terminal to ask on
    and without --yes: ValueError, nothing done."""
    if yes:
        return True
    if not (stdin.isatty() and stdout.isatty()):
        raise ValueError("--clear asks for confirmation, and there is no terminal to ask on; add --yes to clear anyway")
    stdout.write(f"{question} [y/N] ")
    stdout.flush()
    return stdin.readline().strip().lower() in ("y", "yes")


def run_profile(request: ProfileRequest, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """`digitboard profile`: show, list, forget, export, import, clear or restore."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    profile = Profile(request.path or default_profile_path())
    exists = profile.exists()  # refuses what is not a profile before anything is read or written
    if not exists and profile.old_profile_beside() is not None:  # the first start after an update
        profile.create()
        exists = True
        for notice in profile.notices:
            log.warning(notice)
        profile.notices.clear()
    say = lambda text: print(text, file=stdout)
    if request.export:
        destination = Path(request.export)
        if exists and destination.exists() and os.path.samefile(destination, profile.target):
            raise ValueError(f"--export {destination} is the profile itself; choose another file")
        if destination.exists() and not request.force:
            raise FileExistsError(f"{destination} exists; pass --force to overwrite it, or choose another file")
        if destination.exists() and not destination.is_file():
            raise ValueError(f"--export {destination} is not a regular file; choose a file's path")
        profile.copy_to(destination, replace=request.force)
        say(f"exported {len(profile.read().examples)} personal example(s) from {profile.path} to {destination}")
    if request.import_file:
        source = require_readable_file(request.import_file, "--import")  # a typo must not create a profile
        if exists and os.path.samefile(source, profile.target):
            raise ValueError(f"--import {source} is the profile itself; choose another file")
        contents = read_examples_file(source)
        added, held = profile.merge(contents.examples)
        for notice in profile.notices:
            log.warning(notice)
        skipped = f", {contents.skipped} damaged one(s) skipped" if contents.skipped else ""
        say(f"imported {added} personal example(s) from {source} into {profile.path} ({held} already there{skipped})")
    if request.restore:
        backups = profile.backups()
        if request.restore != "latest":
            backup = require_readable_file(request.restore, "--restore")
        elif backups:
            backup = backups[-1]
        else:
            raise FileNotFoundError(f"no backup of {profile.path} to restore; `--clear` keeps one beside it")
        contents = Profile(backup, writable=False).read()
        added, held = profile.merge(contents.examples)
        say(f"restored {added} personal example(s) from {backup} into {profile.path} ({held} already there)")
    if request.forget:
        examples = profile.read().examples if exists else []
        named = list(dict.fromkeys(resolve_ids(examples, request.forget)))  # an id given twice is forgotten once
        gone = profile.forget_ids(named)
        tied = len(gone) - len(named)
        say(f"forgot {len(named)} personal example(s)" + (f" and {tied} let stand tied to them" if tied > 0 else ""))
    if request.clear:
        count = len(profile.read().examples) if exists else 0
        if count == 0:
            say(f"{profile.path} holds no personal examples; nothing to clear")
        elif confirmed(f"clear {count} personal example(s) from {profile.path}? (a backup is kept beside it)",
                       request.yes, stdin, stdout):
            count, backup = profile.clear()
            say(f"cleared {count} personal example(s) from {profile.path}; `digitboard profile --restore` "
                f"brings them back from {backup}")
        else:
            say("nothing cleared")
    if request.as_json or request.list_examples or not (request.export or request.import_file or request.restore
                                            or request.forget or request.clear):
        if request.list_examples and not request.as_json:
            contents = profile.read()
            pictures = stdout.isatty() and shutil.get_terminal_size().columns >= 40
            for line in listing(contents.examples, pictures):
                say(line)
            if not contents.examples:
                say(f"{profile.path} holds no personal examples")
        else:  # counted by SQLite: no stroke is read
            held, skipped = profile.counts()
            if request.as_json:
                say(json.dumps({"profile": str(profile.path), "examples": sum(held.values()), **counts(held),
                                "skipped": skipped}))
            else:
                say(summary(profile, held, skipped))
    profile.close()
    return 0
