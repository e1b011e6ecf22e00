"""The profile written on a thread of its own: a board's frame thread hands each change over and
goes on drawing, however long the profile takes (another program's import holding it, a slow
disk), and replay goes on reading while its corrections are written. The changes are written in
the order they were made; those waiting together are committed together (each still whole)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext

from digitboard.profile.examples import Example, Journal

WAITING = 10_000  # changes handed over and not written yet, at most: then the learner waits (replay's, not a person)
TOGETHER = 1_000  # changes committed in one transaction, at most


class WritingThread:
    """A Journal that passes each change to `journal` on its own thread. The first change that
    fails (an OSError: a full disk, a read-only folder, a profile held too long) is told to
    `on_failure` from that thread, and the changes after it are dropped: the learner goes on for
    the session only, as it would with the failure in hand."""

    def __init__(self, journal: Journal, on_failure: Callable[[OSError], None]) -> None:
        self.journal = journal
        self.on_failure = on_failure
        self.failed = False
        self._changes: queue.Queue[tuple[str, object] | None] = queue.Queue(WAITING)
        self._thread = threading.Thread(target=self._run, name="profile-writer", daemon=True)
        self._thread.start()

    def remember(self, example: Example) -> None:
        self._changes.put(("remember", example))

    def forget(self, example: Example) -> None:
        self._changes.put(("forget", example))

    def keep_embeddings(self, examples: Sequence[Example]) -> None:
        self._changes.put(("keep_embeddings", list(examples)))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every change handed over so far is written (or dropped); whether it was in time."""
        written = threading.Event()
        self._changes.put(("", written))
        return written.wait(timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Write what is waiting, then stop the thread; whether it finished in time."""
        self._changes.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            waiting = [self._changes.get()]
            while len(waiting) < TOGETHER and waiting[-1] is not None:
                try:
                    waiting.append(self._changes.get_nowait())
                except queue.Empty:
                    break
            if waiting[-1] is None:
                stopping = True
                waiting.pop()
            self._write([change for change in waiting if change[0]])  # type: ignore[index]
            for what, flushed in waiting:  # type: ignore[misc]
                if not what:
                    flushed.set()  # a flush: everything before it is written

    def _write(self, changes: list[tuple[str, object]]) -> None:
        """Write the changes, in one transaction if the journal takes batches (Profile.batch)."""
        if not changes or self.failed:
            return
        batch = getattr(self.journal, "batch", None)
        with batch(self._fail) if batch is not None and len(changes) > 1 else nullcontext():
            for what, argument in changes:
                write = getattr(self.journal, what, None)
                if write is None:  # a journal that keeps no embeddings
                    continue
                try:
                    write(argument)
                except OSError as error:
                    self._fail(error)
                    return

    def _fail(self, error: OSError) -> None:
        if not self.failed:
            self.failed = True
            self.on_failure(error)
