"""What a board starts from: the window's learner with the profile's examples loading behind it,
and the examples replay reads."""

from __future__ import annotations

import os

from digitboard.profile.examples import EmbeddingRecognizer, Example, LearningConfig
from digitboard.profile.learner import PersonalRecognizer
from digitboard.profile.rows import Identity, example_identity
from digitboard.profile.store import Profile, default_profile_path, model_fingerprint


def loaded_examples(path: str | os.PathLike[str]) -> tuple[list[Example], Identity]:
    """A profile's examples for replay, which only reads it (a missing file is an error there),
    and which examples they are."""
    profile = Profile(path, writable=False)
    if not profile.exists():
        raise FileNotFoundError(f"profile {profile.path} does not exist; give a profile written by the board "
                                "or by `digitboard profile --export`")
    examples = profile.examples()
    return examples, example_identity(examples)


def window_learner(
    recognizer: EmbeddingRecognizer, path: str | os.PathLike[str] | None, config: LearningConfig = LearningConfig(),
    fingerprint: str = "",
) -> PersonalRecognizer:
    """The window's recogniser and learner; `starting_from` says which examples it starts from
    (None: no usable profile), for a recording to name. A path holding something other than a
    profile raises NotAProfile; one that cannot be read or made leaves learning for the session only. The examples load on a thread while the model loads (only their ids are read
    now); every example learned or forgotten is written to the profile as it happens."""
    profile = Profile(path or default_profile_path())
    model_path = getattr(recognizer, "model_path", None)  # the window's BackgroundRecognizer knows its file
    if not fingerprint and model_path is not None:
        fingerprint = model_fingerprint(model_path)
    learner = PersonalRecognizer(recognizer, config=config, journal=profile, fingerprint=fingerprint)
    try:
        if not profile.exists():  # NotAProfile (a foreign file) goes up: the board refuses to start
            profile.create()  # now, so that an import of an older profile is told at once
        start = profile.identity()
    except OSError as error:
        learner.journal = None
        learner.load_error = error
        learner.problem(f"personal examples not loaded, nor kept: {error}")
        return learner
    for notice in profile.notices:
        learner.problem(notice)  # also on the window's strip

    def load() -> list[Example]:
        wanted = set(start.ids)  # exactly what the recording names, even if another board wrote since
        return [example for example in profile.examples() if example.id in wanted]

    learner.starting_from = start
    learner.load_in_background(load)
    return learner
