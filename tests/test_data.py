"""MNIST and UNIPEN loading: the local file, the environment variable, and the clear errors."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from conftest import needs_training_extra

from digitboard.recognition.classes import NOT_A_DIGIT
from digitboard.training import data
from digitboard.training.data import MNIST_ENV, drawn_training_data, load_mnist, load_unipen, to_model_input


def write_npz(path, n_train=6, n_test=4, **overrides):
    arrays = {
        "x_train": np.zeros((n_train, 28, 28), np.uint8),
        "y_train": np.arange(n_train, dtype=np.uint8) % 10,
        "x_test": np.full((n_test, 28, 28), 255, np.uint8),
        "y_test": np.arange(n_test, dtype=np.uint8) % 10,
    }
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def test_loads_a_local_npz_given_as_argument(tmp_path):
    mnist = load_mnist(write_npz(tmp_path / "m.npz"))
    assert mnist.x_train.shape == (6, 28, 28) and mnist.y_test.tolist() == [0, 1, 2, 3]


def test_loads_the_file_named_by_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(MNIST_ENV, str(write_npz(tmp_path / "env.npz", n_train=3)))
    assert len(load_mnist().x_train) == 3


def test_argument_wins_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(MNIST_ENV, str(tmp_path / "missing.npz"))
    assert len(load_mnist(write_npz(tmp_path / "m.npz", n_train=2)).y_train) == 2


def test_missing_file_names_it_and_both_ways(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.npz.*--mnist PATH or DIGITBOARD_MNIST"):
        load_mnist(tmp_path / "nope.npz")


def test_corrupt_file_names_the_expected_keys(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(ValueError, match=r"bad\.npz.*x_train, y_train, x_test, y_test"):
        load_mnist(bad)


def test_missing_keys_are_named(tmp_path):
    with pytest.raises(ValueError, match="lacks y_test"):
        load_mnist(write_npz(tmp_path / "m.npz", y_test=None))


def test_wrong_shapes_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"x_train must be \(N, 28, 28\)"):
        load_mnist(write_npz(tmp_path / "m.npz", x_train=np.zeros((6, 32, 32), np.uint8)))


def test_without_a_file_or_network_the_error_names_both_ways(monkeypatch):
    needs_training_extra()
    import keras

    monkeypatch.delenv(MNIST_ENV, raising=False)

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(FileNotFoundError, match="--mnist PATH, or set DIGITBOARD_MNIST"):
        load_mnist()


def test_the_shared_mnist_file_has_keras_layout(mnist_path):
    mnist = load_mnist(mnist_path)
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.x_train.dtype == np.uint8 and set(np.unique(mnist.y_test)) == set(range(10))


def test_model_input_is_float_in_unit_range_with_a_channel():
    x = to_model_input(np.array([[[0, 255]]], np.uint8).repeat(28, 1).repeat(14, 2))
    assert x.shape == (1, 28, 28, 1) and x.dtype == np.float32 and x.min() == 0 and x.max() == 1


def write_unipen(path, rows):
    with gzip.open(path, "wt") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return path


def test_unipen_loads_and_filters_by_contributor(tmp_path):
    rows = [
        {"label": 4, "contributor": "a", "strokes": [[[0, 0], [1, 5]], [[3, 0], [3, 9]]]},
        {"label": 1, "contributor": "b", "strokes": [[[0, 0], [0, 9]]]},
    ]
    path = write_unipen(tmp_path / "u.jsonl.gz", rows)
    digits = load_unipen(path)
    assert [d.label for d in digits] == [4, 1] and digits[0].strokes[1].shape == (2, 2)
    assert [d.label for d in load_unipen(path, ["b"])] == [1]


def test_unipen_bad_line_is_named(tmp_path):
    path = write_unipen(tmp_path / "u.jsonl.gz", [{"label": 1, "contributor": "a"}])
    with pytest.raises(ValueError, match=r"u\.jsonl\.gz:1"):
        load_unipen(path)


def test_training_without_drawn_files_falls_back_to_mnist_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "default_unipen_path", lambda: tmp_path / "absent.jsonl.gz")
    monkeypatch.setattr(data, "default_nondigits_path", lambda: tmp_path / "absent-too.jsonl.gz")
    said = []
    assert drawn_training_data(None, None, announce=said.append) == ([], [])
    assert "no pen-drawn digits" in said[0] and "no pen-drawn non-digits" in said[1]
    with pytest.raises(FileNotFoundError):
        drawn_training_data(tmp_path / "asked-for.jsonl.gz", None)


def test_non_digits_load_as_the_eleventh_class_and_institutions_can_be_left_out(tmp_path):
    rows = [{"label": "N", "contributor": "a", "strokes": [[[0, 0], [0, 9], [5, 0], [5, 9]]]},
            {"label": "#", "contributor": "b", "strokes": [[[0, 3], [9, 3]], [[0, 6], [9, 6]]]}]
    path = write_unipen(tmp_path / "n.jsonl.gz", rows)
    drawings = load_unipen(path, digits=False)
    assert [(d.label, d.character) for d in drawings] == [(NOT_A_DIGIT, "N"), (NOT_A_DIGIT, "#")]
    digits_path = write_unipen(tmp_path / "d.jsonl.gz", [{"label": 3, "contributor": "b", "strokes": [[[0, 0], [1, 1]]]}])
    digits, nondigits = drawn_training_data(digits_path, path, exclude=["b"])
    assert digits == [] and [d.character for d in nondigits] == ["N"]


@pytest.mark.parametrize("row, problem", [
    ({"label": 1, "contributor": "a", "strokes": [[[0, 0], [0, 9]], []]}, "stroke 2 is not a non-empty list"),
    ({"label": 1, "contributor": "a", "strokes": []}, "non-empty list of strokes"),
    ({"label": 12, "contributor": "a", "strokes": [[[0, 0], [0, 9]]]}, "not a digit 0-9"),
])
def test_an_empty_stroke_or_a_bad_label_is_named_by_file_and_line(tmp_path, row, problem):
    good = {"label": 1, "contributor": "a", "strokes": [[[0, 0], [0, 9]]]}
    path = write_unipen(tmp_path / "u.jsonl.gz", [good, row])
    with pytest.raises(ValueError, match=rf"u\.jsonl\.gz:2: .*{problem}"):
        load_unipen(path)


def test_a_truncated_gzip_file_is_a_value_error_naming_the_file(tmp_path):
    rows = [{"label": 1, "contributor": "a", "strokes": [[[0, i], [0, i + 9]]]} for i in range(2000)]
    whole = write_unipen(tmp_path / "whole.jsonl.gz", rows)
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(whole.read_bytes()[:len(whole.read_bytes()) // 2])
    with pytest.raises(ValueError, match=r"truncated\.jsonl\.gz:\d+: unreadable, truncated"):
        load_unipen(truncated)


def test_a_single_array_npy_is_refused_with_one_clear_error(tmp_path):
    single = tmp_path / "x.npy"
    np.save(single, np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"x\.npy holds a single array, not an \.npz archive"):
        load_mnist(single)


def test_a_file_that_is_not_an_archive_names_itself_and_the_keys(tmp_path):
    page = tmp_path / "mnist.npz"
    page.write_text("<html>not found</html>")
    with pytest.raises(ValueError, match=r"mnist\.npz is not a readable \.npz.*x_train, y_train, x_test, y_test"):
        load_mnist(page)
