"""Training end to end on small settings: the command and the notebook. Never touches the
committed best.keras."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from digitboard import DEFAULT_MODEL

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "train.ipynb"


@pytest.mark.slow
def test_train_command_writes_a_model_and_its_agreeing_copy(tmp_path, mnist_path, capsys):
    from digitboard.cli import main
    from digitboard.recognizer import fast_copy_matches

    out = tmp_path / "model.keras"
    before = DEFAULT_MODEL.stat().st_mtime if DEFAULT_MODEL.exists() else None
    status = main(["train", "--mnist", str(mnist_path), "--no-drawn", "--sample-limit", "1500",
                   "--epochs", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert out.is_file() and fast_copy_matches(out)
    assert "MNIST test accuracy" in printed and "agrees with Keras" in printed
    assert (DEFAULT_MODEL.stat().st_mtime if DEFAULT_MODEL.exists() else None) == before

    import keras

    tuned = tmp_path / "tuned.keras"
    status = main(["train", "--mnist", str(mnist_path), "--no-drawn", "--sample-limit", "600",
                   "--epochs", "1", "--learning-rate", "1e-7", "--init", str(out), "--out", str(tuned)])
    assert status == 0 and fast_copy_matches(tuned)
    kernel = lambda path: keras.saving.load_model(path).layers[1].get_weights()[0]
    assert np.allclose(kernel(out), kernel(tuned), atol=1e-4), "fine-tuning must start from the given weights"


@pytest.mark.slow
def test_notebook_runs_end_to_end_on_a_small_subset(tmp_path, mnist_path, unipen_path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    (parameters,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    overrides = {"EPOCHS": 1, "BATCH_SIZE": 64, "SAMPLE_LIMIT": 800, "OUTPUT": str(tmp_path / "nb.keras"),
                 "MNIST_PATH": str(mnist_path), "UNIPEN_PATH": str(unipen_path), "FIGURES": str(tmp_path / "figures")}
    parameters.source += "\n" + "\n".join(f"{name} = {json.dumps(value)}" for name, value in overrides.items())
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    assert (tmp_path / "nb.keras").is_file() and (tmp_path / "nb.onnx").is_file()
    figures = {p.name for p in (tmp_path / "figures").iterdir()}
    assert {"samples.png", "training-curves.png", "confusion-matrix.png", "misclassified.png"} <= figures
    outputs = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "accuracy" in outputs and "agrees with Keras" in outputs
