"""The board's configuration: everything the window can be told, with its defaults stated once.
`digitboard` (no command) builds one from its options; tests and scripts build one directly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from digitboard import DEFAULT_MODEL
from digitboard.profile.examples import LearningConfig

MAX_SIDE = 16384  # pixels: SDL's largest window side


@dataclass(frozen=True)
class BoardConfig:
    """One board in a window: its model, window, recording, saves and learning."""

    model: Path = DEFAULT_MODEL  # the .keras model; its ONNX copy beside it runs
    size: tuple[int, int] = (640, 480)  # the window's width and height in pixels; at most the screen's
    record: Path | None = None  # keep the session in this file as it is drawn
    force: bool = False  # let `record` overwrite an existing file
    save_dir: Path = Path("digitboard-saves")  # where S saves PNGs
    profile: Path | None = None  # where personal examples are kept; None: the user data folder
    learning: bool = True  # False: corrections set labels but teach the board nothing
    corrections_only: bool = False  # learn from the digits corrected, not from those let stand

    def __post_init__(self) -> None:
        for name in ("model", "record", "save_dir", "profile"):
            value = getattr(self, name)
            if value is None:
                continue
            if not os.fspath(value):  # Path("") is the current folder: never what was meant
                raise ValueError(f"--{name.replace('_', '-')}: an empty path; give a file's path")
            object.__setattr__(self, name, Path(value))
        width, height = self.size
        if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
            raise ValueError(f"--size {width} {height}: expected 1 to {MAX_SIDE} pixels a side")
        object.__setattr__(self, "size", (int(width), int(height)))
        if self.profile is not None and not self.learning:
            raise ValueError("--profile and --no-learning contradict each other; give one")
        learning_config(self.corrections_only, self.learning)  # the two learning options agree

    @property
    def learning_config(self) -> LearningConfig:
        """The learning rule these options ask for."""
        return learning_config(self.corrections_only, self.learning)


def learning_config(corrections_only: bool, learning: bool = True) -> LearningConfig:
    """The learning rule: from corrections alone if asked (which no learning contradicts).
    The board and replay share it."""
    if corrections_only and not learning:
        raise ValueError("--corrections-only and --no-learning contradict each other; give one")
    return LearningConfig(accepted_per_label=0) if corrections_only else LearningConfig()
