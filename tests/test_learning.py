"""Personal examples: how corrections change recognition (digitboard.profile.learner), on the board and
in replay. A fake recogniser with an embedding stands in for the CNN."""

from __future__ import annotations

import dataclasses
import json
import threading

import numpy as np
import pytest
from conftest import FakeRecognizer, stroke

from digitboard.cli import main
from digitboard.core.actions import Correct, Undo
from digitboard.core.board import Board
from digitboard.profile.evidence import adjust, one_hot, personal_evidence, unit_rows
from digitboard.profile.examples import Example, LearningConfig
from digitboard.profile.learner import PersonalRecognizer, embed_examples
from digitboard.recognition.preprocess import digit_image
from digitboard.recognition.trajectory import trajectories
from digitboard.sessions import replay
from digitboard.sessions.format import parse_session

SEVEN = [[(100, 100), (160, 100), (120, 210)]]
ONE = [[(300, 100), (300, 210)]]
ZERO = [[(500, 100), (540, 120), (550, 160), (530, 205), (500, 210), (470, 180), (470, 130), (500, 100)]]


class EmbeddingFake(FakeRecognizer):
    """The conftest fake (labels by amount of ink, embeds the image pooled to 7x7) that counts
    what it embeds: by default an older model of the image alone (ten classes); with
    `classes=11`, one like the shipped model, reading the pen's path too and giving "not a digit"."""

    def __init__(self, confidence: float = 0.95, classes: int = 10) -> None:
        super().__init__(confidence, classes)
        self.embedded = 0

    def embed_and_predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        self.embedded += len(images)
        return super().embed_and_predict(images, paths)


def image_batch(*digits) -> np.ndarray:
    return np.stack([digit_image([np.asarray(s, np.float64) for s in strokes]) for strokes in digits])[..., None]


def shifted(strokes, dx=0.0, dy=0.0):
    return [[(x + dx, y + dy) for x, y in points] for points in strokes]


def draw(board: Board, strokes) -> None:
    for points in strokes:
        board.apply(stroke(points))


def learned(base, strokes, label, **kwargs) -> PersonalRecognizer:
    personal = PersonalRecognizer(base, **kwargs)
    personal.learn(image_batch(strokes)[0, ..., 0], [np.asarray(s, float) for s in strokes], label)
    return personal


# -- the rule ----------------------------------------------------------------------------------
def test_evidence_is_one_for_an_identical_example_and_nothing_at_or_below_the_floor():
    examples = unit_rows(np.array([[1.0, 0.0], [0.0, 1.0]]))
    at_floor = np.array([[0.8, 0.6]])  # cosine 0.8 with the first example, 0.6 with the second
    evidence = personal_evidence(np.array([[2.0, 0.0], [0.8, 0.6]]), examples, one_hot([3, 5]), floor=0.8)
    assert evidence.shape == (2, 10)
    assert evidence[0, 3] == pytest.approx(1.0) and evidence[0].sum() == pytest.approx(1.0)
    assert personal_evidence(at_floor, examples, one_hot([3, 5]), floor=0.8).max() == pytest.approx(0.0)


def test_agreeing_examples_add_up():
    examples = unit_rows(np.array([[1.0, 0.0], [1.0, 0.01], [1.0, -0.01]]))
    evidence = personal_evidence(np.array([[1.0, 0.0]]), examples, one_hot([4, 4, 2]), floor=0.5)
    assert evidence[0, 4] > 1.9 and evidence[0, 2] < 1.0


def test_adjust_leaves_rows_without_evidence_exactly_and_moves_the_others():
    probabilities = np.array([[0.9, 0.1] + [0.0] * 8, [0.2, 0.75] + [0.0] * 5 + [0.05, 0.0, 0.0]], np.float32)
    evidence = np.zeros((2, 10))
    evidence[1, 7] = 1.0  # the second digit is the very image of an example of 7
    adjusted = adjust(probabilities, evidence, strength=8.0)
    assert adjusted.dtype == np.float32 and np.array_equal(adjusted[0], probabilities[0])
    assert adjusted[1].argmax() == 7 and adjusted[1].sum() == pytest.approx(1.0, abs=1e-6)
    # log-odds move by strength x evidence: 7 against 1 from 0.05 / 0.75 to that times e^8
    assert adjusted[1, 7] / adjusted[1, 1] == pytest.approx(0.05 / 0.75 * np.exp(8.0), rel=1e-4)


def test_a_label_the_model_gave_no_chance_is_still_moved():
    probabilities = np.array([[0.9, 0.1] + [0.0] * 8], np.float32)
    evidence = np.zeros((1, 10))
    evidence[0, 7] = 5.0  # five identical examples of 7
    assert adjust(probabilities, evidence, strength=8.0)[0, 7] > 0


def test_an_eleventh_column_is_kept_and_renormalised():
    probabilities = np.array([[0.5, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3]])
    evidence = np.zeros((1, 10))
    evidence[0, 1] = 0.5
    adjusted = adjust(probabilities, evidence, strength=8.0)
    assert adjusted.shape == (1, 11) and adjusted.sum() == pytest.approx(1.0)
    assert adjusted[0, 1] > 0.9 and 0 < adjusted[0, 10] < 0.3


# -- the recogniser ----------------------------------------------------------------------------
def test_without_examples_the_base_model_answers_unchanged():
    base = EmbeddingFake()
    images = image_batch(SEVEN, ONE)
    assert np.array_equal(PersonalRecognizer(base).predict(images), base.predict(images))


def test_a_learned_digit_is_read_with_its_label_and_a_different_one_is_not_touched():
    base = EmbeddingFake()
    images = image_batch(SEVEN, ZERO)
    model_label = int(base.predict(images)[0].argmax())
    label = (model_label + 1) % 10
    personal = learned(base, SEVEN, label)
    probabilities = personal.predict(image_batch(shifted(SEVEN, 200, 50), ZERO))
    assert probabilities.shape == (2, 10) and np.allclose(probabilities.sum(axis=1), 1)
    assert probabilities[0].argmax() == label  # the same drawing elsewhere, at another place
    assert np.array_equal(probabilities[1], base.predict(image_batch(ZERO))[0])  # far from the example


def test_forgetting_restores_the_base_model():
    base = EmbeddingFake()
    personal = learned(base, SEVEN, 3)
    (example,) = personal.examples
    personal.forget(example)
    assert personal.examples == []
    assert np.array_equal(personal.predict(image_batch(SEVEN)), base.predict(image_batch(SEVEN)))


def test_a_higher_floor_ignores_a_loosely_similar_example():
    base = EmbeddingFake()
    near_seven = [[(100, 100), (160, 100), (140, 210)]]  # a steeper seven
    cosine = float((unit_rows(base.embed_and_predict(image_batch(SEVEN))[0])
                    @ unit_rows(base.embed_and_predict(image_batch(near_seven))[0]).T)[0, 0])
    assert 0 < cosine < 1
    strict = learned(base, SEVEN, 3, config=LearningConfig(similarity_floor=min(0.999, cosine + 0.01)))
    loose = learned(base, SEVEN, 3, config=LearningConfig(similarity_floor=cosine - 0.2))
    images = image_batch(near_seven)
    assert np.array_equal(strict.predict(images), base.predict(images))
    assert loose.predict(images)[0, 3] > base.predict(images)[0, 3]


def test_an_eleven_class_model_keeps_its_shape():
    base = EmbeddingFake(classes=11)
    personal = learned(base, SEVEN, 2)
    probabilities = personal.predict(image_batch(SEVEN), trajectories([[np.asarray(s, float) for s in SEVEN]]))
    assert probabilities.shape == (1, 11) and probabilities[0].argmax() == 2
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-6)


def test_examples_are_embedded_once_however_often_the_board_reads():
    base = EmbeddingFake()
    personal = learned(base, SEVEN, 3)
    for _ in range(5):
        personal.predict(image_batch(ONE))
    assert base.embedded == 1 + 5  # the example once, then one digit a call


def test_ready_waits_for_the_model_and_for_examples_loading_in_the_background():
    base = EmbeddingFake()
    base.ready = False
    personal = PersonalRecognizer(base)
    assert not personal.ready
    base.ready = True
    release = threading.Event()

    def load() -> list[Example]:
        release.wait(5)
        strokes = [np.asarray(s, float) for s in SEVEN]
        return [Example(4, strokes, digit_image(strokes))]

    personal.load_in_background(load)
    personal.learn(image_batch(ONE)[0, ..., 0], [np.asarray(ONE[0], float)], 8)  # while loading
    assert not personal.ready
    release.set()
    personal._loading.join(5)
    assert personal.ready and [example.label for example in personal.examples] == [4, 8]
    assert personal.predict(image_batch(SEVEN))[0].argmax() == 4


def test_a_journal_that_cannot_be_written_leaves_learning_working(capsys):
    class FullDisk:
        def remember(self, example):
            raise OSError(28, "No space left on device")

        def forget(self, example):
            raise AssertionError("not called once the journal failed")

    personal = learned(EmbeddingFake(), SEVEN, 3, journal=FullDisk())
    assert personal.journal is None and personal.journal_error is not None
    assert "session only" in capsys.readouterr().err
    personal.forget(personal.examples[0])
    assert personal.examples == []


def test_digits_let_stand_teach_like_corrections_and_only_the_latest_of_a_label_are_kept():
    base = EmbeddingFake()
    journal = []

    class Journal:
        def remember(self, example):
            journal.append(("remember", example.label, example.accepted))

        def forget(self, example):
            journal.append(("forget", example.label, example.accepted))

    personal = PersonalRecognizer(base, config=LearningConfig(accepted_per_label=2), journal=Journal())
    strokes = [np.asarray(s, float) for s in SEVEN]
    model_label = int(base.predict(image_batch(SEVEN))[0].argmax())
    label = (model_label + 1) % 10
    first = personal.accept(image_batch(SEVEN)[0, ..., 0], strokes, label)
    assert first.accepted and personal.predict(image_batch(shifted(SEVEN, 80)))[0].argmax() == label
    second, third = (personal.accept(image_batch(SEVEN)[0, ..., 0], strokes, label) for _ in range(2))
    corrected = personal.learn(image_batch(SEVEN)[0, ..., 0], strokes, label)
    assert personal.examples == [second, third, corrected]  # the oldest let stand went; corrections stay
    assert journal[-2:] == [("forget", label, True), ("remember", label, False)]
    personal.forget(first)  # already gone: nothing is written twice
    assert journal.count(("forget", label, True)) == 1
    assert PersonalRecognizer(base, config=LearningConfig(accepted_per_label=0)).accept(
        image_batch(SEVEN)[0, ..., 0], strokes, label) is None
    # examples handed in (a profile) are held to the cap too
    again = PersonalRecognizer(base, [first, second, third, corrected], LearningConfig(accepted_per_label=1))
    assert again.examples == [third, corrected]


def test_a_digit_let_stand_right_after_it_was_read_is_not_embedded_again():
    from digitboard.recognition.trajectory import trajectory

    base = EmbeddingFake()
    personal = learned(base, ONE, 1)
    strokes = [np.asarray(s, float) for s in SEVEN]
    image = image_batch(SEVEN)[0, ..., 0]
    personal.predict(image[None, ..., None], trajectory(strokes)[None])
    embedded = base.embedded
    example = personal.accept(image, strokes, 7)
    personal.predict(image_batch(ZERO))
    assert base.embedded == embedded + 1  # the zero; the seven's embedding was kept from its reading
    assert np.linalg.norm(example.embedding) == pytest.approx(1.0)


def test_example_rows_follow_the_examples_added_and_removed_in_any_order():
    from digitboard.profile.evidence import ExampleRows

    rng = np.random.default_rng(0)
    examples = []
    for index in range(150):  # more than the first allocation
        strokes = [np.asarray(SEVEN[0], float)]
        examples.append(Example(index % 10, strokes, digit_image(strokes), embedding=unit_rows(rng.normal(size=8))))
    rows = ExampleRows(examples[:100])
    for example in examples[100:]:
        rows.add(example)
    kept = list(examples)
    for example in [examples[i] for i in rng.permutation(150)[:90]] + [examples[0]]:  # one twice
        rows.remove(example)
        if example in kept:
            kept.remove(example)
        embeddings, labels = rows.view()
        assert sorted(map(id, rows.examples)) == sorted(map(id, kept))
        assert all(np.array_equal(embeddings[row], e.embedding) and labels[row].argmax() == e.label
                   for row, e in enumerate(rows.examples))


def test_a_learning_configuration_out_of_range_is_refused():
    for bad in (dict(similarity_floor=1.0), dict(strength=-1.0), dict(accepted_per_label=-1)):
        with pytest.raises(ValueError):
            LearningConfig(**bad)


def test_embed_examples_fills_only_missing_embeddings():
    base = EmbeddingFake()
    strokes = [np.asarray(s, float) for s in SEVEN]
    done = Example(1, strokes, digit_image(strokes), embedding=np.ones(49) / 7)
    missing = Example(2, strokes, digit_image(strokes))
    embed_examples(base, [done, missing])
    assert base.embedded == 1 and np.linalg.norm(missing.embedding) == pytest.approx(1.0)
    assert np.array_equal(done.embedding, np.ones(49) / 7)


# -- on the board --------------------------------------------------------------------------------
def test_a_correction_teaches_the_board_and_undo_unteaches_it():
    base = EmbeddingFake()
    personal = PersonalRecognizer(base)
    board = Board(personal, personal)
    draw(board, SEVEN)
    board.classify_pending()
    model_label = board.digits[0].label
    label = (model_label + 1) % 10
    board.apply(Correct((130, 150), label))
    assert [example.label for example in personal.examples] == [label]
    draw(board, shifted(SEVEN, 300, 150))  # the same seven again, elsewhere
    board.classify_pending()
    assert board.digits[1].label == label and board.digits[1].corrected is None
    board.apply(Undo())  # takes back the second seven
    board.apply(Undo())  # takes back the correction: the example goes too
    assert personal.examples == [] and board.digits[0].label == model_label


def test_digits_drawn_before_a_correction_are_read_without_it():
    personal = PersonalRecognizer(EmbeddingFake())
    board = Board(personal, personal)
    draw(board, SEVEN)
    draw(board, shifted(SEVEN, 300))  # not classified yet when the first is corrected
    board.apply(Correct((130, 150), 3))
    assert board.digits[1].prediction is not None and board.digits[1].label != 3


def test_the_board_reads_and_accepts_the_same_whether_it_is_read_after_every_stroke_or_not():
    """The window reads each digit at its pen lift; replay reads only when it must. Digits are
    accepted, and so read, alike in both."""
    drawings = [SEVEN, shifted(ONE, 100), shifted(ZERO, 200), shifted(SEVEN, 700), shifted(ONE, 500, 300)]
    boards = []
    for read_every_stroke in (True, False):
        personal = PersonalRecognizer(EmbeddingFake())
        board = Board(personal, personal)
        for drawing in drawings:
            for points in drawing:
                board.apply(stroke(points))
                if read_every_stroke:
                    board.classify_pending()
        board.classify_pending()
        boards.append((board, personal))
    (live, live_personal), (replayed_board, replayed_personal) = boards
    assert [d.prediction for d in live.digits] == [d.prediction for d in replayed_board.digits]
    assert [e.label for e in live_personal.examples] == [e.label for e in replayed_personal.examples]
    assert len(live_personal.examples) == len(drawings) - 1  # all but the last, still being written



def test_a_learner_of_corrections_only_has_the_board_read_in_one_batch_what_it_would_read_stroke_by_stroke():
    """Told nothing of digits let stand, it needs no reading as the user goes on: the digits of a
    line are read together at the next correction or at the end, each as it would have been read
    at its own pen lift, undone corrections and strokes included."""
    drawings = [SEVEN, shifted(ONE, 100), shifted(ZERO, 200), shifted(SEVEN, 0, 250), shifted(ONE, 150, 250),
                shifted(ZERO, 300, 250), shifted(SEVEN, 0, 500), shifted(ONE, 150, 500)]
    corrections = {1: Correct((330, 150), 4), 4: Correct((130, 400), 4), 6: Correct((130, 650), 2)}
    boards = []
    for read_every_stroke in (True, False):
        base = EmbeddingFake(classes=11)
        batches = []
        embed = base.embed_and_predict
        base.embed_and_predict = lambda images, paths=None: batches.append(len(images)) or embed(images, paths)
        personal = PersonalRecognizer(base, config=LearningConfig(accepted_per_label=0))
        board = Board(personal, personal)
        for number, drawing in enumerate(drawings):
            draw(board, drawing)
            if read_every_stroke:
                board.classify_pending()
            if number in corrections:
                board.apply(corrections[number])
            if number == 5:
                board.apply(Undo())  # the zero's stroke taken back, then drawn again
                draw(board, drawing)
        board.classify_pending()
        boards.append((board, personal, batches))
    (live, live_personal, live_batches), (deferred, personal, batches) = boards
    def readings(board, learner):  # example ids differ between the two learners: named by their order
        order = {example.id: number for number, example in enumerate(learner.examples)}
        return [dataclasses.replace(d.prediction, reasons=tuple(order[id] for id in d.prediction.reasons))
                for d in board.digits]

    assert readings(live, live_personal) == readings(deferred, personal)
    assert any(d.prediction.reasons for d in deferred.digits)  # the examples changed a reading
    assert [e.label for e in live_personal.examples] == [e.label for e in personal.examples] == [4, 4, 2]
    assert len(batches) == len(corrections) + 1 < len(live_batches) and not personal.keeps_accepted


# -- in replay -----------------------------------------------------------------------------------
SESSION = {"size": [900, 480], "actions": [
    {"stroke": SEVEN[0]},
    {"correct": {"at": [130, 150], "label": 3}},
    {"stroke": shifted(SEVEN, 400, 100)[0]},
]}


def replayed(session: dict, examples=None) -> dict:
    return replay.replay_session(parse_session(json.loads(json.dumps(session)), "s.jsonl:1"), EmbeddingFake(), examples)


def test_replay_learns_from_a_sessions_corrections_and_starts_each_session_afresh():
    learning = replayed(SESSION, examples=[])
    assert [d["label"] for d in learning["digits"]] == [3, 3]
    assert [d["corrected"] for d in learning["digits"]] == [True, False]
    without = replayed(SESSION)
    assert without["digits"][1]["label"] != 3 and without["digits"][0]["label"] == 3


def test_replay_with_a_profile_reads_it_and_never_writes_it(tmp_path, monkeypatch, capsys):
    from digitboard.profile.store import Profile

    profile_path = tmp_path / "profile.sqlite"
    strokes = [np.asarray(s, float) for s in SEVEN]
    store = Profile(profile_path)
    store.remember(Example(5, strokes, digit_image(strokes)))
    store.close()  # everything in the one file
    before = profile_path.read_bytes()
    monkeypatch.setattr(replay, "load_recognizer", lambda path: EmbeddingFake())
    session_file = tmp_path / "s.jsonl"
    session_file.write_text(json.dumps({"size": [640, 480], "actions": [
        {"stroke": shifted(SEVEN, 200)[0]}, {"correct": {"at": [330, 150], "label": 6}}]}) + "\n"
        + json.dumps({"size": [640, 480], "strokes": [shifted(SEVEN, 100)[0]]}) + "\n")
    assert main(["replay", str(session_file), "--profile", str(profile_path)]) == 0
    first, second = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert first["digits"][0]["label"] == 6 and second["digits"][0]["label"] == 5  # the profile's, not session 1's
    assert profile_path.read_bytes() == before
    assert main(["replay", str(session_file), "--no-learning", "--profile", str(profile_path)]) == 2
    assert main(["replay", str(session_file), "--profile", str(tmp_path / "none.sqlite")]) == 2
    assert "does not exist" in capsys.readouterr().err


NARROW_SEVEN = [[(100, 100), (145, 100), (120, 210)]]  # the fake reads it otherwise than SEVEN, embeds it alike


def test_replay_learns_from_digits_let_stand_unless_asked_to_learn_from_corrections_only(tmp_path, monkeypatch, capsys):
    base = EmbeddingFake()
    first, second = (int(base.predict(image_batch(drawing))[0].argmax()) for drawing in (SEVEN, NARROW_SEVEN))
    assert first != second
    monkeypatch.setattr(replay, "load_recognizer", lambda path: EmbeddingFake())
    session_file = tmp_path / "s.jsonl"
    # The narrow seven a line below: the seven above stands, let stand.
    session_file.write_text(json.dumps({"size": [640, 480], "strokes": [SEVEN[0], shifted(NARROW_SEVEN, 300, 150)[0]]}) + "\n")
    labels = {}
    for options in ((), ("--corrections-only",), ("--no-learning",)):
        assert main(["replay", str(session_file), *options]) == 0
        labels[options] = [d["label"] for d in json.loads(capsys.readouterr().out)["digits"]]
    assert labels[()] == [first, first]  # the seven let stand teaches the board its writer's sevens
    assert labels[("--corrections-only",)] == labels[("--no-learning",)] == [first, second]
    assert main(["--corrections-only", "--no-learning"]) == 2
    assert "contradict" in capsys.readouterr().err


# -- with the shipped model and a real writer ----------------------------------------------------
class ReadsOnesAsSevens:
    """The shipped model as a model that never saw a writer might read him: most of the
    probability it gives his ones goes to seven (the shipped model itself was trained on every
    development writer, so it misreads almost none of them). The embedding is the model's own."""

    ready = True

    def __init__(self, base, share: float = 0.8) -> None:
        self.base, self.share = base, share

    def _misread(self, probabilities: np.ndarray) -> np.ndarray:
        shifted = np.array(probabilities)
        moved = self.share * shifted[:, 1]
        shifted[:, 7] += moved
        shifted[:, 1] -= moved
        return shifted

    def predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> np.ndarray:
        return self._misread(self.base.predict(images, paths))

    def embed_and_predict(self, images: np.ndarray, paths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        embeddings, probabilities = self.base.embed_and_predict(images, paths)
        return embeddings, self._misread(probabilities)


def test_a_writer_who_repeats_a_style_is_read_right_after_a_correction_or_two(unipen_path, shipped_model):
    """gmd's writer alek, read by a model that takes his ones for sevens: once he corrects one or
    two, his later ones are read right, and none of his other digits changes for the worse."""
    import gzip

    from digitboard.core.drawing import fit_height, to_actions
    from digitboard.recognition.recognizer import load_recognizer

    with gzip.open(unipen_path, "rt", encoding="utf-8") as lines:
        rows = [row for row in map(json.loads, lines) if row["file"].endswith("gmd/alek.dat")]
    if not rows:
        pytest.skip(f"writer alek (gmd) not in {unipen_path}")
    recognizer = ReadsOnesAsSevens(load_recognizer(shipped_model))
    personal = PersonalRecognizer(recognizer)
    learning, plain = Board(personal, personal), Board(recognizer)
    base_right = learned_right = corrections = 0
    for index, row in enumerate(rows):
        strokes = fit_height([np.asarray(s, float) for s in row["strokes"]], 120, (200.0 * (index % 40), 300.0 * (index // 40)))
        for board in (learning, plain):
            for action in to_actions(strokes):
                board.apply(action)
            board.classify_pending()
        base_right += plain.digits[-1].label == row["label"]
        learned_right += learning.digits[-1].label == row["label"]
        if learning.digits[-1].label != row["label"]:
            x, y, w, h = learning.digits[-1].box
            learning.apply(Correct((x + w / 2, y + h / 2), row["label"]))
            corrections += 1
    base_errors, learned_errors = len(rows) - base_right, len(rows) - learned_right
    assert base_errors >= sum(row["label"] == 1 for row in rows) - 1  # the misreading model errs on his ones
    assert learned_errors <= base_errors / 3 and corrections == learned_errors
    broken = [d for d, p in zip(learning.digits, plain.digits) if d.prediction.label != p.prediction.label
              and p.prediction.label == rows[learning.digits.index(d)]["label"]]
    assert broken == []


# -- mistakes taken back: learning never feeds on itself ------------------------------------------
def read_last(board: Board, strokes, dx: float) -> object:
    """Draw `strokes` `dx` to the right and as far down: each drawing a line below the ones
    before, which the user so accepts (they are learned from if read safely)."""
    draw(board, shifted(strokes, dx, dx))
    board.classify_pending()
    return board.digits[-1]


def accidental_board():
    """A board whose user wrongly corrected a one: later ones read as that label, theirs."""
    personal = PersonalRecognizer(EmbeddingFake())
    board = Board(personal, personal)
    first = read_last(board, ONE, 0)
    own = first.label
    wrong = (own + 3) % 10
    board.apply(Correct(board.point_of(first), wrong))
    return board, personal, own, wrong


def test_a_digit_read_by_the_users_examples_says_so_and_names_the_models_own_reading():
    board, personal, own, wrong = accidental_board()
    (accident,) = personal.examples
    digit = read_last(board, ONE, 150)
    assert digit.label == wrong and digit.yours and digit.prediction.own[0] == own
    assert digit.prediction.reasons == (accident.id,)
    state = replay.digit_state(digit)
    assert state["yours"] is True and state["model"][0] == own and state["label"] == wrong
    plain = replay.digit_state(board.digits[0])
    assert plain["yours"] is False and plain["model"][0] == own  # corrected: the user's label, not "yours"


def test_a_digit_let_stand_with_a_reading_only_a_correction_gave_is_tied_to_it_not_evidence_of_its_own():
    board, personal, _, wrong = accidental_board()
    (accident,) = personal.examples
    read_last(board, ONE, 150)
    read_last(board, ZERO, 300)  # the user goes on: the one read as `wrong` is let stand
    tied = [example for example in personal.examples if example.accepted]
    assert [(e.label, e.tied_to) for e in tied] == [(wrong, (accident.id,))]
    board.apply(Undo())  # the zero
    board.apply(Undo())  # the one let stand
    board.apply(Undo())  # the accidental correction: what was tied to it goes with it
    assert personal.examples == []


def test_one_counter_correction_undoes_one_accidental_correction_after_several_digits_let_stand():
    board, personal, own, wrong = accidental_board()
    for step in range(1, 5):  # four more ones read as `wrong`, let stand one after the other
        assert read_last(board, ONE, 120 * step).label == wrong
    counter = read_last(board, ONE, 600)
    assert sum(e.accepted for e in personal.examples) == 4
    board.apply(Correct(board.point_of(counter), own))  # corrected back to what the model reads
    assert [(e.label, e.accepted) for e in personal.examples] == [(own, False)]  # the accident and its ties went
    after = read_last(board, ONE, 720)
    assert after.label == own and not after.yours


def test_a_correction_to_a_third_label_forgets_the_ties_but_keeps_the_correction_behind_them():
    board, personal, own, wrong = accidental_board()
    (accident,) = personal.examples
    read_last(board, ONE, 120)
    third = read_last(board, ONE, 240)
    other = next(label for label in range(10) if label not in (own, wrong))
    board.apply(Correct(board.point_of(third), other))
    assert accident in personal.examples and not any(e.accepted for e in personal.examples)


def test_forget_on_a_digit_forgets_the_examples_behind_its_reading_and_undo_brings_them_back():
    from digitboard.core.actions import Forget

    board, personal, own, wrong = accidental_board()
    plain = read_last(board, ZERO, 300)  # read as the model reads it: nothing to forget
    assert board.apply(Forget(board.point_of(plain))) is None and len(personal.examples) == 1
    digit = read_last(board, ONE, 150)
    assert board.apply(Forget(board.point_of(digit))) is digit
    assert personal.examples == [] or all(e.label != wrong for e in personal.examples)
    board.classify_pending()
    assert digit.label == own and not digit.yours
    board.apply(Undo())  # the forget: the examples come back and the digit is read with them again
    board.classify_pending()
    assert digit.label == wrong and digit.yours


def test_the_panel_of_a_digit_read_by_the_users_examples_offers_the_models_reading_and_forget():
    from digitboard.core.chooser import DELETE, FORGET, rows_for

    board, _, own, wrong = accidental_board()
    digit = read_last(board, ONE, 150)
    rows = rows_for(digit)
    assert rows[0].label == wrong and rows[1].label == own and rows[1].models_own and rows[1].text.endswith("by the model alone")
    assert rows[0].text.endswith("with your examples")  # two readings, each figure said whose it is
    assert [row.label for row in rows[-2:]] == [FORGET, DELETE] and rows[-2].text == "forget the examples behind this"
    assert digit.label_texts[1] == f"{wrong} · yours"
    plain = read_last(board, ZERO, 300)
    assert FORGET not in [row.label for row in rows_for(plain)] and "yours" not in plain.label_texts[0]


def test_a_forget_is_recorded_and_replays_the_same():
    from digitboard.core.actions import Forget
    from digitboard.sessions.format import Session, action_to_json, parse_action

    action = Forget((12.0, 34.0))
    assert parse_action(action_to_json(action), "s", "actions[0]") == action
    board, _, own, wrong = accidental_board()
    digit = read_last(board, ONE, 150)
    actions = [stroke(ONE[0]), Correct(board.point_of(board.digits[0]), wrong), stroke(shifted(ONE, 150)[0]),
               Forget(board.point_of(digit))]
    state = replay.replay_session(Session((900, 480), actions, "s"), EmbeddingFake(), [])
    assert [d["label"] for d in state["digits"]] == [wrong, own] and state["digits"][1]["yours"] is False


# -- replay and the profile ------------------------------------------------------------------------
def test_replay_with_update_profile_keeps_every_correction_even_one_that_confirms_the_reading(tmp_path, monkeypatch, capsys):
    from digitboard.profile.store import Profile

    monkeypatch.setattr(replay, "load_recognizer", lambda path: EmbeddingFake())
    own = int(EmbeddingFake().predict(image_batch(SEVEN))[0].argmax())
    session_file = tmp_path / "s.jsonl"
    session_file.write_text(json.dumps({"size": [900, 480], "actions": [
        {"stroke": SEVEN[0]}, {"correct": {"at": [130, 150], "label": own}},
        {"stroke": shifted(ONE, 200)[0]}, {"correct": {"at": [500, 150], "label": 3}}]}) + "\n")
    path = tmp_path / "p.sqlite"
    assert main(["replay", str(session_file), "--profile", str(path)]) == 2  # read only: it must exist
    assert main(["replay", str(session_file), "--update-profile"]) == 2
    assert "--update-profile needs --profile" in capsys.readouterr().err
    assert main(["replay", str(session_file), "--profile", str(path), "--update-profile"]) == 0
    capsys.readouterr()
    assert main(["profile", "--profile", str(path), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["corrected"] == ({str(own): 1, "3": 1} if own != 3 else {"3": 2})
    before = len(Profile(path).read().examples)
    assert main(["replay", str(session_file), "--profile", str(path)]) == 0  # without it, nothing is kept
    assert len(Profile(path).read().examples) == before


def test_a_recording_names_its_examples_and_replay_with_that_profile_gives_what_the_board_showed(
        tmp_path, monkeypatch, capsys):
    from digitboard.profile.loading import window_learner
    from digitboard.profile.store import Profile
    from digitboard.sessions.recording import Recorder

    path = tmp_path / "p.sqlite"
    stored = Example(5, [np.asarray(s, float) for s in NARROW_SEVEN])
    Profile(path).remember(stored)
    learner = window_learner(EmbeddingFake(), path)
    learner._loading.join(5)
    recording = tmp_path / "r.jsonl"
    recorder = Recorder(recording, (900, 480), profile=learner.starting_from)
    board = Board(learner, learner)
    for action in [stroke(shifted(NARROW_SEVEN, 100)[0]), stroke(shifted(ONE, 300, 150)[0])]:  # a line below
        board.apply(action)
        recorder.add(action)
        board.classify_pending()
    correction = Correct(board.point_of(board.digits[1]), 2)
    board.apply(correction)
    recorder.add(correction)
    for action in [stroke(shifted(ONE, 500, 270)[0])]:
        board.apply(action)
        recorder.add(action)
    recorder.close()
    board.classify_pending()
    shown = board.reading()
    assert learner.close(10)  # what the learner writes behind, written
    assert len(Profile(path).read().examples) == 3  # the session taught the profile more since it began
    header = json.loads(recording.read_text().splitlines()[0])
    assert header["profile"]["ids"] == [stored.id] and header["profile"]["examples"] == 1
    monkeypatch.setattr(replay, "load_recognizer", lambda path: EmbeddingFake())
    assert main(["replay", str(recording), "--profile", str(path)]) == 0
    captured = capsys.readouterr()
    state = json.loads(captured.out)
    assert state["reading"] == shown and state["profile"] == "same" and captured.err == ""
    Profile(path).forget(stored)  # the profile no longer holds what the session started from
    assert main(["replay", str(recording), "--profile", str(path)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["profile"] == "differs" and "1 of its 1 examples missing" in captured.err
    assert main(["replay", str(recording)]) == 0
    assert "no --profile given" in capsys.readouterr().err


def test_corrections_beyond_the_cap_rest_in_the_profile_and_the_newest_are_used():
    journal = []

    class Journal:
        def remember(self, example):
            journal.append(("remember", example.label))

        def forget(self, example):
            journal.append(("forget", example.label))

    personal = PersonalRecognizer(EmbeddingFake(), config=LearningConfig(corrected_per_label=2), journal=Journal())
    strokes = [np.asarray(s, float) for s in SEVEN]
    made = [personal.learn(image_batch(SEVEN)[0, ..., 0], strokes, 4) for _ in range(3)]
    assert personal.examples == made[1:]  # the newest two of the digit are read with
    assert journal == [("remember", 4)] * 3  # and the profile keeps all three


def test_a_counter_correction_reads_again_the_digits_the_accident_misread_and_undo_restores_them():
    board, personal, own, wrong = accidental_board()
    misread = [read_last(board, ONE, 120 * step) for step in (1, 2)]
    counter = read_last(board, ONE, 360)
    assert [digit.label for digit in misread] == [wrong, wrong]
    board.apply(Correct(board.point_of(counter), own))
    board.classify_pending()
    assert [(digit.label, digit.yours) for digit in misread] == [(own, False)] * 2  # read again, as the model reads them
    before = len(personal.examples)
    board.apply(Undo())  # the counter-correction: the accident and its ties come back
    board.classify_pending()
    assert [digit.label for digit in misread] == [wrong, wrong] and len(personal.examples) > before - 1
    assert any(not e.accepted and e.label == wrong for e in personal.examples)


# -- the profile's examples are never lost by the rules that choose which are in use --------------
def stored_profile(path, examples) -> None:
    from digitboard.profile.store import Profile

    profile = Profile(path)
    for example in examples:
        profile.remember(example)


def loaded(path, config) -> PersonalRecognizer:
    from digitboard.profile.loading import window_learner

    learner = window_learner(EmbeddingFake(), path, config)
    learner._loading.join(10)
    return learner


def test_learning_from_corrections_only_keeps_every_example_let_stand_in_the_profile(tmp_path):
    """Opening the board with --corrections-only once took a profile from 100 examples to 66."""
    from digitboard.profile.store import Profile

    path = tmp_path / "p.sqlite"
    stroke_points = [np.asarray(s, float) for s in SEVEN]
    stored_profile(path, [Example(7, stroke_points, accepted=True) for _ in range(60)]
                   + [Example(1, stroke_points) for _ in range(40)])
    learner = loaded(path, LearningConfig(accepted_per_label=0))
    assert sum(example.accepted for example in learner.examples) == 0  # not learned from
    assert len(Profile(path).read().examples) == 100  # nor forgotten


def test_the_examples_kept_are_the_most_recently_made_not_the_last_imported(tmp_path):
    """50 ones let stand today, then 50 imported from a year ago: a start kept the old ones."""
    import time as clock

    from digitboard.profile.store import Profile

    path = tmp_path / "p.sqlite"
    stroke_points = [np.asarray(s, float) for s in ONE]
    today = [Example(1, stroke_points, accepted=True) for _ in range(50)]
    last_year = [Example(1, stroke_points, accepted=True, created=clock.time() - 365 * 86400) for _ in range(50)]
    stored_profile(path, today + last_year)
    learner = loaded(path, LearningConfig())  # keeps 50 let stand of each label
    kept = {example.id for example in learner.examples}
    assert kept == {example.id for example in today}
    held = {example.id for example in Profile(path).read().examples}  # a start reads those in use, deletes none
    assert held == kept | {example.id for example in last_year}


def test_replay_update_profile_fails_when_the_profile_could_not_be_written(tmp_path, monkeypatch, capsys):
    """It once said nothing of it in its exit status: exit 0 after a write failed."""
    import errno

    from digitboard.profile.store import Profile

    monkeypatch.setattr(replay, "load_recognizer", lambda path: EmbeddingFake())
    path = tmp_path / "p.sqlite"
    Profile(path).create()

    def full_disk(self, example):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Profile, "remember", full_disk)
    session = tmp_path / "s.jsonl"
    session.write_text(json.dumps(SESSION) + "\n")
    assert main(["replay", str(session), "--profile", str(path), "--update-profile"]) == 2
    captured = capsys.readouterr()
    assert "No space left on device" in captured.err and json.loads(captured.out)["digits"]
