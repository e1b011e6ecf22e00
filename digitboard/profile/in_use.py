"""Which of a profile's examples a board reads with: the most recent corrections and digits let
stand of each digit, up to the caps of its LearningConfig, chosen from a small entry per example
before any stroke is read or any example embedded (a profile may hold 200,000)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from digitboard.profile.examples import LearningConfig


class Entry(NamedTuple):
    """What choosing needs of an example: no strokes, no embedding."""

    rowid: int  # its place in the profile: the order examples were kept in
    id: str
    accepted: bool  # let stand, not corrected
    label: int
    created: float
    tied_to: tuple[str, ...]  # the corrections a digit let stand goes with


def in_use(entries: Iterable[Entry], config: LearningConfig, corrections_elsewhere: Iterable[str] = ()) -> list[Entry]:
    """The entries a learner with `config` keeps of these, in the profile's order: of each kind and
    digit the most recent by `created` (as PersonalRecognizer's trim keeps them), without the
    digits let stand tied to a correction left out, which go with it there too
    (`corrections_elsewhere`: corrections of the profile not among `entries`, so left out)."""
    groups: dict[tuple[bool, int], list[Entry]] = {}
    for entry in sorted(entries, key=lambda entry: entry.rowid):
        groups.setdefault((entry.accepted, entry.label), []).append(entry)
    chosen: list[Entry] = []
    for (accepted, _), held in groups.items():
        cap = config.accepted_per_label if accepted else config.corrected_per_label
        held.sort(key=lambda entry: entry.created)  # stable: equal times stay in the profile's order
        chosen += held[max(0, len(held) - cap):]
    left_out = {entry.id for entries_of in groups.values() for entry in entries_of if not entry.accepted} - {
        entry.id for entry in chosen}
    left_out.update(corrections_elsewhere)
    chosen = [entry for entry in chosen if not (entry.accepted and left_out.intersection(entry.tied_to))]
    return sorted(chosen, key=lambda entry: entry.rowid)
