"""A training run's progress on one line: a bar over the whole run (every stage, every epoch),
what the current stage is doing, and an estimate of the time left from the pace so far."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def clock(seconds: float) -> str:
    """12 s, 3:05, 1:02:03."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


class RunProgress:
    """Progress of a run measured in units of work (e.g. images through a network), stage by stage.

    `stages` maps a stage's name to the units it will do; `cost` weighs a stage's unit against the
    others' (a path model's drawing costs far less than an image), so the estimate of the time left
    holds across stages. The bar redraws in place on a terminal and prints one line per epoch
    elsewhere (a log file, a notebook's output).
    """

    def __init__(self, stages: dict[str, float], cost: dict[str, float] | None = None,
                 out: TextIO | None = None, width: int = 30) -> None:
        self.cost = {name: (cost or {}).get(name, 1.0) for name in stages}
        self.total = sum(units * self.cost[name] for name, units in stages.items())
        self.done = 0.0
        self.out = out if out is not None else sys.stdout
        self.width = width
        self.start = time.perf_counter()
        self.live = bool(getattr(self.out, "isatty", lambda: False)())

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def left(self) -> float | None:
        """Seconds left at the pace so far, or None before any work is done."""
        if self.done <= 0:
            return None
        return self.elapsed() * (self.total - self.done) / self.done

    def line(self, stage: str, note: str = "") -> str:
        share = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(share * self.width)
        left = self.left()
        estimate = f"about {clock(left)} left" if left is not None else "estimating the time left"
        return (f"[{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%} {stage}{' ' + note if note else ''}; "
                f"{clock(self.elapsed())} so far, {estimate}")

    def advance(self, stage: str, units: float, note: str = "", end_of_epoch: bool = False) -> None:
        """Count `units` of `stage` done; show the bar (a new line at each end of an epoch)."""
        self.done += units * self.cost[stage]
        if self.live:
            print("\r" + self.line(stage, note), end="\n" if end_of_epoch else "", file=self.out, flush=True)
        elif end_of_epoch:
            print(self.line(stage, note), file=self.out, flush=True)
