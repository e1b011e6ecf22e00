"""SIGTERM stops a command as Ctrl+C does, and a watcher thread makes sure it stops even when the
main thread is held in native code."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from digitboard import platforms


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised wherever the program is, so that it stops as on Ctrl+C: every `finally`
    runs (a half-written model or ONNX copy is deleted); the exit status is then 143."""


# After SIGTERM or Ctrl+C, how long the clean-up on the main thread may take before the watcher
# removes the partial files itself and ends the process: TensorFlow can hold the main thread in
# native code (starting an epoch's iterator), where no Python signal handler runs.
CLEAN_UP_SECONDS = 30.0


class HeardSignal:
    """The stop signal (SIGTERM or Ctrl+C) the watcher thread heard, for the main thread to raise
    at a point of its choosing (`raise_if_heard`), where Python's own raise may have been lost:
    an interrupt that lands while a finalizer runs (TensorFlow's objects have many) is printed
    and dropped, and a training run would go on to its end."""

    def __init__(self) -> None:
        self.number: int | None = None
        self._raised = False

    def raise_if_heard(self) -> None:
        """Raise Terminated (SIGTERM) or KeyboardInterrupt (Ctrl+C) once, if one was heard."""
        if self.number is None or self._raised:
            return
        self._raised = True
        raise Terminated if self.number == signal.SIGTERM else KeyboardInterrupt


def interrupted_status(interrupt: KeyboardInterrupt) -> int:
    """The exit status of a command stopped by SIGTERM (143) or Ctrl+C (130)."""
    return 128 + (signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT)


@contextmanager
def sigterm_as_interrupt(leftovers: Callable[[], list[Path]] = list) -> Iterator[HeardSignal]:
    """Within this block, SIGTERM raises Terminated on the main thread, as Ctrl+C raises
    KeyboardInterrupt (once: a second SIGTERM during the clean-up is ignored, so it finishes).

    A thread of its own hears both signals as they arrive (digitboard.platforms.SignalWaiter),
    also while the main thread is held in native code, where no Python handler runs; if the main
    thread has not finished CLEAN_UP_SECONDS after one, that thread deletes `leftovers()` and ends
    the process with the signal's status (143 or 130). On Windows, where no other process can
    send SIGTERM, Ctrl+C is heard the same way. Yields the HeardSignal that thread sets, for the
    block to raise where Python's own raise may be lost."""
    heard = HeardSignal()
    with platforms.sigterm_raises(Terminated, once=True) as raises:
        if not raises:  # not the main thread: signals are left alone
            yield heard
            return
        with _watched(leftovers, heard):
            yield heard


@contextmanager
def _watched(leftovers: Callable[[], list[Path]], heard: HeardSignal) -> Iterator[None]:
    """A watcher thread that notes SIGTERM or Ctrl+C in `heard` and ends the process if the main
    thread has not CLEAN_UP_SECONDS after, deleting `leftovers()` first."""
    done = threading.Event()
    waiter = platforms.SignalWaiter()

    def watch() -> None:
        while not done.is_set():
            received = waiter.wait(0.2)
            if received not in (signal.SIGTERM, signal.SIGINT):
                continue
            heard.number = received
            if not done.wait(CLEAN_UP_SECONDS):
                for path in leftovers():
                    path.unlink(missing_ok=True)
                print(f"digitboard: stopped ({signal.Signals(received).name}); partial files removed",
                      file=sys.stderr, flush=True)
                os._exit(128 + received)
            return

    watcher = threading.Thread(target=watch, name="signal-watcher", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        waiter.close()
