"""What a board starts from: the window's learner with the profile's examples loading behind it,
and the examples each of replay's sessions starts from. Both read only the examples in use (the
most recent of each kind and digit), never every stroke of a large profile."""

from __future__ import annotations

import hashlib
import os

from digitboard.profile.examples import EmbeddingRecognizer, Example, LearningConfig
from digitboard.profile.in_use import Entry, in_use
from digitboard.profile.learner import PersonalRecognizer, embed_examples
from digitboard.profile.rows import identity_of
from digitboard.profile.store import Profile, default_profile_path


def model_fingerprint(model_path: str | os.PathLike[str]) -> str:
    """A short name for a model file's exact bytes: stored embeddings are used only with that model."""
    digest = hashlib.sha256()
    with open(model_path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


class ReplayStart:
    """The examples replay's sessions start from, read only from the profile at `path` (none:
    no profile, each session starts with no examples). A session starts from the examples in
    use of those its recording names (all, if it names none); each is read and embedded once,
    however many sessions start from it."""

    def __init__(self, path: str | os.PathLike[str] | None, recognizer: EmbeddingRecognizer,
                 config: LearningConfig = LearningConfig(), fingerprint: str = "") -> None:
        self.recognizer, self.config, self.fingerprint = recognizer, config, fingerprint
        self.profile: Profile | None = None
        if path is not None:
            self.profile = Profile(path, writable=False)
            if not self.profile.exists():
                raise FileNotFoundError(f"profile {self.profile.path} does not exist; give a profile written by "
                                        "the board or by `digitboard profile --export`")
        self._in_use: list[Entry] | None = None  # of the whole profile: what a session naming no examples starts from
        self._entries: list[Entry] | None = None  # every example's: read when a recording names examples
        self._digests: dict[str, str] | None = None  # stored, by id: read when a recording names examples
        self._read: dict[str, Example] = {}  # embedded, by id
        self._tried: set[str] = set()  # ids read (a damaged row is said once)

    def for_session(self, named: dict | None) -> tuple[list[Example], str | None]:
        """The examples a session recorded with `named` (its header's profile) starts from, and
        what differs from what it names (None: the same, or it names none)."""
        difference = None
        if self.profile is None:
            chosen: list[Entry] = []
        elif named is None:
            if self._in_use is None:
                self._in_use = self.profile.entries_in_use(self.config)
            chosen = self._in_use
        else:
            if self._entries is None:
                self._entries = self.profile.entries()
            wanted = set(named["ids"])
            entries = [entry for entry in self._entries if entry.id in wanted]
            digests = self._stored_digests()
            if identity_of((entry.id, digests.get(entry.id, "")) for entry in entries).digest != named["digest"]:
                missing = len(wanted) - len(entries)
                difference = (f"{missing} of its {len(wanted)} examples missing" if missing
                              else "its examples differ from the profile's")
            chosen = in_use(entries, self.config)
        unread = [entry for entry in chosen if entry.id not in self._tried]
        if unread and self.profile is not None:
            self._tried.update(entry.id for entry in unread)
            examples = self.profile.examples_of(unread)
            embed_examples(self.recognizer, examples, self.fingerprint)
            self._read.update((example.id, example) for example in examples)
        return [self._read[entry.id] for entry in chosen if entry.id in self._read], difference

    def _stored_digests(self) -> dict[str, str]:
        if self._digests is None:
            self._digests = self.profile.digests() if self.profile is not None else {}
        return self._digests


def window_learner(
    recognizer: EmbeddingRecognizer, path: str | os.PathLike[str] | None, config: LearningConfig = LearningConfig(),
    fingerprint: str = "",
) -> PersonalRecognizer:
    """The window's recogniser and learner; `starting_from` says which examples it starts from
    (None: no usable profile), for a recording to name. A path holding something other than a
    profile raises NotAProfile; one that cannot be read or made leaves learning for the session
    only. The examples load on a thread while the model loads (only their ids are read now), only those in use, with their stored embeddings (the ones the model makes are stored for
the next start); every example learned or forgotten is written to the profile as it happens, on
the learner's writing thread, never in a frame (`learner.close()` finishes it)."""
    profile = Profile(path or default_profile_path())
    model_path = getattr(recognizer, "model_path", None)  # the window's BackgroundRecognizer knows its file
    if not fingerprint and model_path is not None:
        fingerprint = model_fingerprint(model_path)
    learner = PersonalRecognizer(recognizer, config=config, journal=profile, fingerprint=fingerprint, write_behind=True)
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

    def load() -> list[Example]:  # exactly what the recording names, even if another board wrote since
        return profile.examples_in_use(config, ids=start.ids)

    learner.starting_from = start
    learner.load_in_background(load)
    return learner
