"""The profile written on a thread of its own: a board's frame thread hands each change over and
goes on drawing, however long the profile takes (another program's import holding it, a slow
disk); the changes are written in the order they were made, each in its own transaction."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence

from digitboard.profile.examples import Example, Journal

WRITE = ("remember", "forget", "keep_embeddings")


class WritingThread:
    """A Journal that passes each change to `journal` on its own thread. The first change that
    fails (an OSError: a full disk, a read-only folder, a profile held too long) is told to
    `on_failure` from that thread, and the changes after it are dropped: the learner goes on for
    the session only, as it would with the failure in hand."""

    def __init__(self, journal: Journal, on_failure: Callable[[OSError], None]) -> None:
        self.journal = journal
        self.on_failure = on_failure
        self.failed = False
        self._changes: queue.SimpleQueue[tuple[str, object] | None] = queue.SimpleQueue()
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
        while (change := self._changes.get()) is not None:
            what, argument = change
            if not what:
                argument.set()  # type: ignore[attr-defined]  # a flush: everything before it is done
                continue
            if self.failed:
                continue
            write = getattr(self.journal, what, None)
            if write is None:  # a journal that keeps no embeddings
                continue
            try:
                write(argument)
            except OSError as error:
                self.failed = True
                self.on_failure(error)
