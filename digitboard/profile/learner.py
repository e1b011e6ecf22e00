"""Personal examples: the user's handwriting, and how it changes what the board reads.

Each correction becomes an example: the digit's strokes, its model input, the label the user
gave, and the model's embedding of it (digitboard.recognition.keras_model.with_embedding). So does each digit the
user lets stand, read with confidence, once they go on to write another: an *accepted* example,
the most recent `accepted_per_label` of each digit kept. A digit whose embedding lies close to
examples of one label (cosine similarity above a floor) has that label's probability raised, the
more the closer it is and the more examples agree; far from every example the shipped model's
probabilities pass unchanged. A writer's one that the model reads as a seven is read as a one once
they have corrected one like it, or written ones like it that the board read right, while their
sevens, which lie elsewhere in the embedding, stay sevens. The rule and its numbers are in
docs/learning.md.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from digitboard.profile.evidence import ExampleRows, adjust, closeness, personal_evidence, unit_rows
from digitboard.profile.examples import EmbeddingRecognizer, Example, Explained, Journal, LearningConfig, drawing_key
from digitboard.profile.rows import BOUNDS, strokes_within_bounds
from digitboard.profile.writer import WritingThread
from digitboard.recognition.classes import DIGIT_CLASSES
from digitboard.recognition.preprocess import digit_image
from digitboard.recognition.trajectory import trajectories, trajectory

log = logging.getLogger(__name__)  # what the user should hear of: the shells show it (digitboard.cli)

RECENT_EMBEDDINGS = 256  # embeddings of digits read lately kept for `accept`, at most
REASONS_KEPT = 64  # the closest examples named as a reading's reasons, at most


class PersonalRecognizer:
    """The board's recogniser and its learner at once: the base model's probabilities, moved
    toward the labels of the personal examples a digit resembles.

    Learning never feeds on itself: a digit let stand with a label only the personal examples
    gave is kept tied to the corrections behind that label and goes with them; a correction of
    such a digit back to the model's own reading forgets the closest correction behind it.
    """

    def __init__(
        self,
        base: EmbeddingRecognizer,
        examples: Iterable[Example] = (),
        config: LearningConfig = LearningConfig(),
        journal: Journal | None = None,
        fingerprint: str = "",
        write_behind: bool = False,
    ) -> None:
        """`write_behind`: the journal is written on a thread of its own (the window's: a frame
        never waits for the profile), which `close` finishes."""
        self.base = base
        self.config = config
        self.writer: WritingThread | None = None
        if journal is not None and write_behind:
            journal = self.writer = WritingThread(journal, self.journal_failed, self.journal_refused)
        self.journal = journal
        self.fingerprint = fingerprint  # of the base model: stored embeddings by another model are recomputed
        self._examples: dict[str, Example] = {}  # by id, oldest first
        # (accepted, label) -> by id, in the order they were made (`created`; in the order they came if at once)
        self._by_kind: dict[tuple[bool, int], dict[str, Example]] = {}
        self._tied: dict[str, set[str]] = {}  # a correction's id -> the ids of the examples tied to it
        self._matrix: ExampleRows | None = None  # the examples' embeddings and labels as matrices
        self._lock = threading.RLock()  # examples may arrive from a loading thread
        self._loading: threading.Thread | None = None
        self.load_error: Exception | None = None
        self.journal_error: OSError | None = None
        self.refused = 0  # examples the journal would not keep: learned for this session only
        self.on_problem: Callable[[str], None] | None = None  # also told of each problem (the window's strip)
        self.problems: list[str] = []  # every problem said so far
        self.starting_from: object | None = None  # the profile's name for the examples it started from
        self.taken_back: list[Example] = []  # what the last correction made the learner forget
        self._recent: dict[bytes, np.ndarray] = {}  # embeddings of the digits read lately, by drawing
        for example in examples:
            self._add(example)
        self._trim()  # a profile of more examples than this board keeps

    # -- the board's recogniser -------------------------------------------------------------
    @property
    def ready(self) -> bool:
        loading = self._loading is not None and self._loading.is_alive()
        return not loading and self.base.ready

    def predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> np.ndarray:
        """(N, 28, 28, 1) float32 in [0, 1] and paths (N, 64, 5) -> (N, C) probabilities, as the base model's."""
        if not self._examples:  # nothing learned: exactly the shipped model
            return self.base.predict(images, paths)
        return self.predict_explained(images, paths).probabilities

    def predict_explained(self, images: np.ndarray, paths: np.ndarray | None = None) -> Explained:
        """The probabilities after learning, the model's own, and the examples behind each change."""
        if not self._examples:
            own = self.base.predict(images, paths)
            return Explained(own, own, [()] * len(own))
        embeddings, own = self.base.embed_and_predict(images, paths)
        if paths is not None:  # kept for `accept`: a digit let stand was read just before
            if len(self._recent) > RECENT_EMBEDDINGS:
                self._recent.clear()
            for image, path, embedding in zip(images, paths, embeddings):
                self._recent[drawing_key(image, path)] = embedding
        with self._lock:
            example_embeddings, labels = self._example_matrix()
            if len(labels) == 0:
                return Explained(np.asarray(own), np.asarray(own), [()] * len(own))
            close = closeness(embeddings, example_embeddings, self.config.similarity_floor)  # (N, M)
            probabilities = adjust(own, close @ labels, self.config.strength)
            reasons: list[tuple[str, ...]] = []
            for row, (after, before) in enumerate(zip(probabilities, own)):
                label = int(np.argmax(after[:DIGIT_CLASSES]))
                if label == int(np.argmax(before[:DIGIT_CLASSES])):
                    reasons.append(())
                    continue
                pulling = np.flatnonzero((close[row] > 0) & (labels[:, label] > 0))
                pulling = pulling[np.argsort(-close[row, pulling], kind="stable")][:REASONS_KEPT]
                reasons.append(tuple(self._matrix.examples[column].id for column in pulling))  # type: ignore[union-attr]
        return Explained(probabilities, np.asarray(own), reasons)

    def adjust(self, embeddings: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
        """The base model's probabilities for digits with these embeddings, after learning."""
        example_embeddings, labels = self._example_matrix()
        if len(labels) == 0:
            return np.asarray(probabilities)
        evidence = personal_evidence(embeddings, example_embeddings, labels, self.config.similarity_floor)
        return adjust(probabilities, evidence, self.config.strength)

    # -- the board's learner ----------------------------------------------------------------
    def learn(
        self, image: np.ndarray, strokes: Sequence[np.ndarray], label: int, path: np.ndarray | None = None,
        reasons: Sequence[str] = (), own_label: int | None = None,
    ) -> Example:
        """Keep a corrected digit as an example (and write it down); returns it, to forget by.
        `path` is the drawing's (digitboard.recognition.trajectory), computed from the strokes if not given.

        `reasons` are the examples that gave the digit its reading, `own_label` the model's own:
        a correction away from a reading they gave forgets the digits let stand tied to them, and
        one back to the model's own reading also the closest correction behind it."""
        self.taken_back = self._take_back(reasons, label, own_label) if reasons else []
        example = self._keep(self._example(image, strokes, label, path, accepted=False))
        self._trim(label, accepted=False)
        return example

    def _take_back(self, reasons: Sequence[str], label: int, own_label: int | None) -> list[Example]:
        """Forget what gave a reading the user corrected; what went (`taken_back`, for the board)."""
        with self._lock:
            behind = [self._examples[id] for id in reasons if id in self._examples]
        if any(example.label == label for example in behind):
            return []  # not a reading these examples gave
        closest = next((example for example in behind if not example.accepted), None)
        gone = [example for example in behind if example.accepted and example.tied_to]
        if own_label == label and closest is not None:
            gone.append(closest)
        return [went for example in gone for went in self.forget(example)]

    @property
    def keeps_accepted(self) -> bool:
        return self.config.accepted_per_label > 0

    def accept(
        self, image: np.ndarray, strokes: Sequence[np.ndarray], label: int, path: np.ndarray | None = None,
        reasons: Sequence[str] = (),
    ) -> Example | None:
        """Keep a digit the user let stand with the board's reading, unless accepted examples are
        off; the oldest accepted example of that label beyond `accepted_per_label` is forgotten.

        A reading the model alone would not have given (`reasons`: the examples that gave it) is
        no evidence of its own: the example is tied to the corrections behind it and goes with
        them; with none left, or more than a stored example may be tied to (`BOUNDS.tied_to`: the
        profile would refuse it), it is not kept at all."""
        if self.config.accepted_per_label == 0:
            return None
        anchors: set[str] = set()
        with self._lock:
            for id in reasons:
                behind = self._examples.get(id)
                if behind is None:
                    continue
                if not behind.accepted:
                    anchors.add(id)
                anchors.update(anchor for anchor in behind.tied_to if anchor in self._examples)
        if (reasons and not anchors) or len(anchors) > BOUNDS.tied_to:
            return None
        example = self._example(image, strokes, label, path, accepted=True)
        example.tied_to = tuple(sorted(anchors))
        self._keep(example)
        self._trim(label, accepted=True)
        return example

    def _example(
        self, image: np.ndarray, strokes: Sequence[np.ndarray], label: int, path: np.ndarray | None, accepted: bool,
    ) -> Example:
        """A new example, with its embedding if the digit was read lately (no second model run).
        A drawing beyond what the profile can hold is kept as it can hold it, here as there
        (rows.strokes_within_bounds): rendered and embedded afresh at the next reading, as it
        would be when the profile is read."""
        within = strokes_within_bounds(strokes)
        if within is not strokes:
            return Example(label, _copied(within), None, accepted=accepted, model=self.fingerprint)
        image = np.asarray(image, np.float32)
        embedding = None
        if self._recent:  # else nothing to look up, and no drawing to hash (replay's corrections, most)
            embedding = self._recent.get(drawing_key(image, trajectory(list(strokes)) if path is None else path))
        return Example(label, _copied(strokes), image, accepted=accepted, model=self.fingerprint,
                       embedding=None if embedding is None else unit_rows(embedding))

    def forget(self, handle: object, write_down: bool = True) -> list[Example]:
        """Drop an example learned before (the correction was undone, the digit changed), and the
        examples tied to it; an example already forgotten is left alone. Returns what went.
        Without `write_down` the profile keeps them (a correction beyond the cap rests there)."""
        assert isinstance(handle, Example), "forget takes what learn or accept returned"
        gone: list[Example] = []
        with self._lock:
            waiting = [handle]
            while waiting:
                example = waiting.pop()
                if self._examples.get(example.id) is not example:
                    continue
                self._remove(example)
                gone.append(example)
                waiting += [self._examples[id] for id in self._tied.pop(example.id, ()) if id in self._examples]
        for example in gone if write_down else ():
            self._write_down("forget", example)
        return gone

    def forget_ids(self, ids: Iterable[str]) -> list[Example]:
        """Forget the examples with these ids (and those tied to them); returns what went."""
        gone: list[Example] = []
        for id in ids:
            example = self._examples.get(id)
            if example is not None:
                gone += self.forget(example)
        return gone

    def restore(self, examples: Iterable[Example]) -> None:
        """Keep again examples forgotten before (a forget undone), in their order."""
        for example in examples:
            if example.id not in self._examples:
                self._keep(example)

    def _add(self, example: Example) -> None:
        """Hold an example (under the lock, or before any thread starts)."""
        previous = self._examples.pop(example.id, None)
        if previous is not None:
            self._remove(previous)
        self._examples[example.id] = example
        kind = self._by_kind.setdefault((example.accepted, example.label), {})
        newest = next(reversed(kind.values()), None)
        kind[example.id] = example
        if newest is not None and example.created < newest.created:  # older than one held (an import, a restore)
            in_order = sorted(kind.values(), key=lambda held: held.created)  # stable: as they came, if made at once
            kind.clear()
            kind.update((held.id, held) for held in in_order)
        for anchor in example.tied_to:
            self._tied.setdefault(anchor, set()).add(example.id)
        if self._matrix is not None and example.embedding is not None and example.model == (self.fingerprint or example.model):
            self._matrix.add(example)
        else:
            self._matrix = None  # embedded, and the rows built again, at the next reading

    def _remove(self, example: Example) -> None:
        self._examples.pop(example.id, None)
        self._by_kind.get((example.accepted, example.label), {}).pop(example.id, None)
        for anchor in example.tied_to:
            self._tied.get(anchor, set()).discard(example.id)
        if self._matrix is not None:
            self._matrix.remove(example)

    def _keep(self, example: Example) -> Example:
        with self._lock:
            self._add(example)
        self._write_down("remember", example)
        return example

    def _trim(self, label: int | None = None, accepted: bool | None = None) -> None:
        """Forget the oldest examples (by when they were made, not when they came: an import
        of last year's examples is older than today's) of `label` (of every label: None) of a
        kind (both kinds: None) beyond that kind's cap: digits let stand for good, corrections
        only here (the profile keeps them). With no digit let stand to learn from
        (corrections only), those of the profile are set aside here, never forgotten there."""
        surplus: list[tuple[Example, bool]] = []
        with self._lock:
            for kind in (True, False) if accepted is None else (accepted,):
                cap = self.config.accepted_per_label if kind else self.config.corrected_per_label
                for digit in range(DIGIT_CLASSES) if label is None else (label,):
                    held = self._by_kind.get((kind, digit), {})  # oldest first: no sort at each correction
                    surplus += [(example, kind) for example in itertools.islice(held.values(), max(0, len(held) - cap))]
        for example, kind in surplus:
            self.forget(example, write_down=kind and self.config.accepted_per_label > 0)

    def _write_down(self, what: str, argument: object) -> None:
        """Tell the journal (of an example learned or forgotten, or of embeddings made for stored
        examples, if it keeps them); if it cannot be written (a full disk, a read-only folder), go
        on learning for this session only, and say so once. An example it refuses is learned
        for this session only, and counted."""
        journal = self.journal
        write = getattr(journal, what, None)
        if write is None:
            return
        try:
            write(argument)
        except OSError as error:
            self.journal_failed(error)
        except ValueError as error:
            self.journal_refused(error)

    def journal_failed(self, error: OSError) -> None:
        """Go on for the session only, and say why once: the journal could not be written."""
        if self.journal_error is not None:
            return
        self.journal_error, self.journal = error, None
        self.problem(f"cannot write personal examples ({error.strerror or error}); "
                     "corrections are learned for this session only")

    def journal_refused(self, error: ValueError) -> None:
        """Count an example the journal would not keep (beyond a profile's bounds), learned for
        this session only; say the first. The journal goes on keeping the others."""
        self.refused += 1
        if self.refused == 1:
            self.problem(f"an example could not be kept in the profile ({error}); "
                         "it is learned for this session only")

    def close(self, timeout: float | None = None) -> bool:
        """Finish writing what was learned (a journal written behind); whether it finished in time."""
        return self.writer.close(timeout) if self.writer is not None else True

    def problem(self, message: str) -> None:
        """Say what went wrong with the profile: to the "digitboard" logger (the shells show it on
        standard error), and to `on_problem` if set (the window's strip)."""
        log.warning(message)
        self.problems.append(message)
        if self.on_problem is not None:
            self.on_problem(message)

    def report_problems_to(self, on_problem: Callable[[str], None]) -> None:
        """Tell `on_problem` of every later problem, and of the last one said before, if any."""
        self.on_problem = on_problem
        if self.problems:
            on_problem(self.problems[-1])

    @property
    def examples(self) -> list[Example]:
        with self._lock:
            return list(self._examples.values())

    def example(self, id: str) -> Example | None:
        return self._examples.get(id)

    def load_in_background(self, load: Callable[[], list[Example]]) -> None:
        """Add examples from `load` (a profile: reading, rendering, embedding) on a thread; the
        recogniser is not ready until they are in. A failure leaves `load_error` set and the
        examples learned so far in place."""

        def run() -> None:
            try:
                loaded = load()
                while not self.base.ready and getattr(self.base, "error", None) is None:
                    time.sleep(0.02)  # the model loads on its own thread; embed as soon as it can
                if self.base.ready:  # else the model failed, which the shell reports
                    self._write_down("keep_embeddings", embed_examples(self.base, loaded, self.fingerprint))
            except Exception as error:  # a damaged profile must not take the board down
                self.load_error = error
                self.problem(f"personal examples not loaded ({error})")
                return
            with self._lock:
                learned = list(self._examples.values())  # while loading: they stay the newest
                for example in learned:
                    self._remove(example)
                for example in [*loaded, *learned]:
                    self._add(example)
                self._matrix = None
            self._trim()  # a profile written with a larger cap, or by another board

        self._loading = threading.Thread(target=run, name="profile-loader", daemon=True)
        self._loading.start()

    def _example_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if self._matrix is None:
                examples = list(self._examples.values())
                made = embed_examples(self.base, examples, self.fingerprint)
                self._matrix = ExampleRows(examples)
                if made:
                    self._write_down("keep_embeddings", made)
            return self._matrix.view()


def _copied(strokes: Sequence[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(stroke, np.float64).copy() for stroke in strokes]


def embed_examples(
    recognizer: EmbeddingRecognizer, examples: Sequence[Example], fingerprint: str = "",
) -> list[Example]:
    """Give every example without a sound embedding by the model `fingerprint` names (any model:
    "") the recogniser's embedding of its drawing, rendering its image first if it has none. A
    stored embedding of the wrong length, not finite or not of unit length (a damaged row) is
    made again from the strokes, which are the example's truth. Returns the examples embedded now
    (to be stored, so that the next start need not run the model on them)."""
    def sound(embedding: np.ndarray | None) -> bool:
        return (embedding is not None and embedding.ndim == 1 and bool(np.isfinite(embedding).all())
                and abs(float(np.linalg.norm(embedding)) - 1.0) < 1e-3)

    lengths = Counter(len(example.embedding) for example in examples if sound(example.embedding))
    usual = lengths.most_common(1)[0][0] if lengths else None  # the model's width, as the sound rows say
    missing = [example for example in examples if not sound(example.embedding) or len(example.embedding) != usual
               or (fingerprint and example.model != fingerprint)]
    if not missing:
        return []
    for example in missing:
        if example.image is None:
            example.image = digit_image(example.strokes)
    images = np.stack([example.image for example in missing])[..., None]  # (M, 28, 28, 1) float32
    paths = trajectories([example.strokes for example in missing])  # (M, 64, 5) float32
    embeddings = unit_rows(recognizer.embed_and_predict(images, paths)[0])
    for example, embedding in zip(missing, embeddings):
        example.embedding = embedding
        example.model = fingerprint or example.model
    stale = [example for example in examples if len(example.embedding) != embeddings.shape[1]]
    for example in stale:  # the stored rows were of another model's width, all of them: made again too
        example.embedding = None
    if stale:
        missing += embed_examples(recognizer, stale, fingerprint)
    return missing

