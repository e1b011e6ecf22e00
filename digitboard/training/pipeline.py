"""What one training epoch is fed: its examples, freshly distorted, prepared in a background
thread while the previous epoch trains, in batches whose size grows over the run, and the
learning rate at each point of the run (one cycle: a short warm-up, then a cosine decay).

Distorting an epoch's images with OpenCV costs about a fifth of the time the network takes to
learn from them; done in line, as a Keras PyDataset does without workers, that fifth is added to
every epoch. Done beside the training, it overlaps it (OpenCV releases the interpreter's lock)."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

# (share of the run, multiple of the base batch size): small batches while the weights move
# fast, larger ones when they settle; a larger batch runs more images a second on a CPU.
BATCH_GROWTH = ((0.0, 1), (0.4, 2), (0.7, 4))
WARM_UP = 0.15  # share of the run over which the learning rate climbs to its peak
START_FACTOR = 0.1  # the learning rate at the start, as a share of the peak
END_FACTOR = 0.01  # and at the end


def batch_size_for(epoch: int, epochs: int, base: int) -> int:
    """The batch size of `epoch` (0-based) in a run of `epochs`: `base`, then larger (BATCH_GROWTH)."""
    share = epoch / epochs
    return base * max(multiple for start, multiple in BATCH_GROWTH if share >= start)


def one_cycle(progress: float, peak: float) -> float:
    """The learning rate at `progress` (0 to 1) of the run: linear warm-up from START_FACTOR * peak
    to the peak over WARM_UP, then a cosine decay to END_FACTOR * peak."""
    progress = min(max(progress, 0.0), 1.0)
    if progress < WARM_UP:
        return peak * (START_FACTOR + (1 - START_FACTOR) * progress / WARM_UP)
    cosine = 0.5 * (1 + math.cos(math.pi * (progress - WARM_UP) / (1 - WARM_UP)))
    return peak * (END_FACTOR + (1 - END_FACTOR) * cosine)


class EpochMaker:
    """Each epoch's (x, y), shuffled and distorted afresh, one epoch ahead in a background thread.

    make(rows, rng) gives the examples at `rows` (an index array), distorted with `rng`; every
    epoch has its own generator drawn from `seed`, so a run is the same whatever the timing.
    """

    def __init__(self, count: int, make: Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]],
                 seed: int = 0) -> None:
        self.count = count
        self.make = make
        self.seeds = np.random.SeedSequence(seed)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="epoch-maker")
        self.next: Future | None = None

    def _epoch(self, seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        return self.make(rng.permutation(self.count), rng)

    def _start_next(self) -> None:
        self.next = self.pool.submit(self._epoch, self.seeds.spawn(1)[0])

    def get(self, more_to_come: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """This epoch's (x, y); starts preparing the next one if `more_to_come`."""
        if self.next is None:
            self._start_next()
        epoch = self.next.result()
        self.next = None
        if more_to_come:
            self._start_next()
        return epoch

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def batched(x: np.ndarray, y: np.ndarray, batch_size: int):
    """A tf.data pipeline over an epoch's arrays, in order (they come shuffled), batched, the next
    batch made ready while one trains."""
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).prefetch(tf.data.AUTOTUNE)
