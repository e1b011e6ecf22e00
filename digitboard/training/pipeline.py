"""What training is fed, as Keras wants it: a `keras.utils.PyDataset` of batches, reshuffled
every epoch, each batch made (and freshly distorted) on worker threads while the network learns
from the previous ones; and the learning rate at each point of the run (one cycle: a short
warm-up, then a cosine decay), as a callback.

Distorting images with OpenCV costs about a fifth of the time the network takes to learn from
them; on worker threads that fifth overlaps the training (OpenCV releases the interpreter's lock)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import keras
import numpy as np

if TYPE_CHECKING:
    from digitboard.training.progress import RunProgress

WARM_UP = 0.15  # share of the run over which the learning rate climbs to its peak
START_FACTOR = 0.1  # the learning rate at the start, as a share of the peak
END_FACTOR = 0.01  # and at the end
WORKERS = 2  # threads making batches: one a core of the machines the recipe was timed on


def one_cycle(progress: float, peak: float) -> float:
    """The learning rate at `progress` (0 to 1) of the run: linear warm-up from START_FACTOR * peak
    to the peak over WARM_UP, then a cosine decay to END_FACTOR * peak."""
    progress = min(max(progress, 0.0), 1.0)
    if progress < WARM_UP:
        return peak * (START_FACTOR + (1 - START_FACTOR) * progress / WARM_UP)
    cosine = 0.5 * (1 + math.cos(math.pi * (progress - WARM_UP) / (1 - WARM_UP)))
    return peak * (END_FACTOR + (1 - END_FACTOR) * cosine)


BatchMaker = Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def examples_an_epoch(count: int, drawn: tuple[int, float] = (0, 1.0)) -> int:
    """How many of `count` examples an epoch of ShuffledBatches takes: the share `drawn[1]` of the
    first `drawn[0]`, and all the others."""
    first, share = drawn
    return count - first + round(first * share)


class ShuffledBatches(keras.utils.PyDataset):
    """`count` examples in batches of `batch_size`, in a new order every epoch.

    make(rows, rng) gives the examples at `rows` (an index array), distorted with `rng`. Every
    batch has its own generator, drawn from (seed, epoch, batch), so a run is the same whatever
    the threads' timing. With `drawn` (first, share), an epoch takes only that share of the
    first `first` examples, drawn afresh every epoch, and all the others: `count` is an epoch's.
    """

    def __init__(self, count: int, make: BatchMaker, batch_size: int, seed: int = 0, workers: int = WORKERS,
                 drawn: tuple[int, float] = (0, 1.0)) -> None:
        super().__init__(workers=workers, use_multiprocessing=False, max_queue_size=4 * workers)
        first, share = drawn
        if not (0 <= first <= count and 0 < share <= 1):
            raise ValueError(f"cannot draw a share {share} of the first {first} of {count} examples")
        self.total, self.first, self.each_epoch = count, first, round(first * share)
        self.count = examples_an_epoch(count, drawn)
        if self.count < 1:
            raise ValueError("there is nothing to train on")
        self.make, self.batch_size, self.seed = make, batch_size, seed
        self.epoch = 0
        self.order = self._order()

    def _order(self) -> np.ndarray:
        rng = np.random.default_rng([self.seed, self.epoch])
        if self.each_epoch == self.first:
            return rng.permutation(self.count)
        rows = np.concatenate([rng.choice(self.first, self.each_epoch, replace=False), np.arange(self.first, self.total)])
        return rng.permutation(rows)

    def __len__(self) -> int:
        return math.ceil(self.count / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.make(rows, np.random.default_rng([self.seed, self.epoch, index]))

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = self._order()


class OneCycleSchedule(keras.callbacks.Callback):
    """Sets the optimizer's learning rate before every batch: `one_cycle` over `total_steps`."""

    def __init__(self, peak: float, total_steps: int) -> None:
        super().__init__()
        self.peak, self.total_steps, self.step = peak, max(1, total_steps), 0

    def on_train_batch_begin(self, batch, logs=None) -> None:
        self.model.optimizer.learning_rate.assign(one_cycle(self.step / self.total_steps, self.peak))
        self.step += 1


def checking(check: Callable[[], object]) -> keras.callbacks.Callback:
    """Keras's LambdaCallback calling `check` on the main thread after every batch and epoch:
    where `check` raises, training stops there (digitboard.cli.signals.HeardSignal)."""
    return keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: check(),
                                          on_epoch_end=lambda epoch, logs: check())


class ProgressCallback(keras.callbacks.Callback):
    """Moves `progress` on by each batch's examples, and says each epoch's validation accuracy."""

    def __init__(self, progress: RunProgress, stage: str, epochs: int, batches: ShuffledBatches) -> None:
        super().__init__()
        self.progress, self.stage, self.epochs, self.batches = progress, stage, epochs, batches
        self.epoch, self.left = 0, 0

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch, self.left = epoch, self.batches.count

    def on_train_batch_end(self, batch, logs=None) -> None:
        done = min(self.batches.batch_size, self.left)
        self.left -= done
        self.progress.advance(self.stage, done, f"epoch {self.epoch + 1}/{self.epochs}")

    def on_epoch_end(self, epoch, logs=None) -> None:
        accuracy = (logs or {}).get("val_accuracy", math.nan)
        self.progress.advance(self.stage, 0, f"epoch {epoch + 1}/{self.epochs}: validation accuracy {accuracy:.2%}",
                              end_of_epoch=True)
