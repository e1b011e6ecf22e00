"""Evaluation: accuracy, a per-class report, a confusion matrix and figures of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Evaluation:
    labels: np.ndarray  # (N,) true
    predicted: np.ndarray  # (N,)

    @property
    def accuracy(self) -> float:
        return float((self.labels == self.predicted).mean())

    def confusion(self, classes: int = 10) -> np.ndarray:
        """(classes, classes) counts: rows true labels, columns predictions."""
        matrix = np.zeros((classes, classes), np.int64)
        np.add.at(matrix, (self.labels, self.predicted), 1)
        return matrix

    def report(self) -> str:
        """Precision, recall, F1 and support for each class, as text."""
        matrix = self.confusion()
        lines = [f"{'class':>5} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}"]
        for label in range(len(matrix)):
            true_positive = matrix[label, label]
            precision = true_positive / max(matrix[:, label].sum(), 1)
            recall = true_positive / max(matrix[label].sum(), 1)
            f1 = 2 * precision * recall / max(precision + recall, 1e-12)
            lines.append(f"{label:>5} {precision:>9.4f} {recall:>7.4f} {f1:>7.4f} {matrix[label].sum():>8}")
        lines.append(f"accuracy {self.accuracy:.4%} on {len(self.labels):,} digits")
        return "\n".join(lines)

    def misclassified(self) -> np.ndarray:
        return np.flatnonzero(self.labels != self.predicted)


def plot_digits(images: np.ndarray, titles: list[str], columns: int = 10, size: float = 1.2):
    """A grid of 28x28 images with a title each; returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    rows = max(1, -(-len(images) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size * 1.15), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, image, title in zip(axes.flat, images, titles):
        axis.imshow(np.squeeze(image), cmap="gray", vmin=0, vmax=1 if image.max() <= 1 else 255)
        axis.set_title(title, fontsize=8)
    figure.tight_layout()
    return figure


def plot_history(history: dict[str, list[float]]):
    """Loss and accuracy per epoch, training and validation."""
    import matplotlib.pyplot as plt

    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 3.5))
    for axis, metric in ((loss_axis, "loss"), (accuracy_axis, "accuracy")):
        for prefix, name in (("", "training"), ("val_", "validation")):
            if prefix + metric in history:
                axis.plot(range(1, len(history[prefix + metric]) + 1), history[prefix + metric], label=name)
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.legend()
    figure.tight_layout()
    return figure


def plot_confusion(matrix: np.ndarray):
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5.5, 5))
    axis.imshow(np.log1p(matrix), cmap="Blues")
    for (row, column), count in np.ndenumerate(matrix):
        axis.text(column, row, str(count), ha="center", va="center", fontsize=7,
                  color="white" if row == column else "black")
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_xticks(range(len(matrix)))
    axis.set_yticks(range(len(matrix)))
    figure.tight_layout()
    return figure
