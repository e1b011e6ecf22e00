"""The profile written on a thread of its own: a board's frame thread hands each change over and
goes on drawing, however long the profile takes (another program's import holding it, a slow
disk), and replay goes on reading while its corrections are written. The changes are written in
the order they were made; those waiting together are committed together (each still whole)."""

from __future__ import annotations

import errno
import itertools
import threading
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import nullcontext

from digitboard.profile.examples import Example, Journal

WAITING = 10_000  # changes handed over and not written yet, at most: then the learner waits (replay's, not a person)
TOGETHER = 10_000  # changes committed in one transaction, at most
GATHERING = 0.05  # seconds a change waits for the ones after it, unless a flush or the close comes

Change = tuple[str, object]  # ("remember", an example), ("forget", ...), ("keep_embeddings", ...), ("", a flush)


class Waiting:
    """The changes handed over and not written yet, at most `bound`: put one at a time, taken all
    at once (queue.Queue took a lock, and notified, for each one taken)."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self._changes: deque[Change | None] = deque()
        self._changed = threading.Condition()

    def put(self, change: Change | None) -> None:
        with self._changed:
            while len(self._changes) >= self.bound:
                self._changed.wait()
            self._changes.append(change)
            if len(self._changes) == 1:  # the writer waits only while there is none
                self._changed.notify_all()

    def take(self, most: int, wait: bool = True) -> list[Change | None]:
        """Up to `most` changes, oldest first; with `wait`, at least one."""
        with self._changed:
            while wait and not self._changes:
                self._changed.wait()
            taken = [self._changes.popleft() for _ in range(min(most, len(self._changes)))]
            self._changed.notify_all()  # a learner waiting for room
        return taken


class WritingThread:
    """A Journal that passes each change to `journal` on its own thread. The first change that
    fails (an OSError: a full disk, a read-only folder, a profile held too long) is told to
    `on_failure` from that thread, and the changes after it are dropped: the learner goes on for
    the session only, as it would with the failure in hand. An example the journal refuses (a
    ValueError: beyond a profile's bounds) is skipped and told to `on_refused` (the learner counts
    them); the changes after it are written. Whatever a write raises, the thread goes on
    taking changes, so no flush, close or learner handing one over waits for it in vain."""

    def __init__(self, journal: Journal, on_failure: Callable[[OSError], None],
                 on_refused: Callable[[ValueError], None] | None = None) -> None:
        self.journal = journal
        self.on_failure = on_failure
        self.on_refused = on_refused
        self.failed = False
        self._changes = Waiting(WAITING)
        self._hurry = threading.Event()  # a flush or the close is waiting: write without gathering
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
        self._hurry.set()
        return written.wait(timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Write what is waiting, then stop the thread; whether it finished in time."""
        self._changes.put(None)
        self._hurry.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            waiting = self._changes.take(TOGETHER)
            if len(waiting) < TOGETHER and waiting[0] is not None and waiting[0][0]:
                # A change: let the ones a burst brings right after it gather first. Written as
                # they came, a few at a time, each write let go of Python's lock, and took it back
                # from the thread making the changes, hundreds of times a second (replay).
                self._hurry.wait(GATHERING)
                waiting += self._changes.take(TOGETHER - len(waiting), wait=False)
            self._hurry.clear()
            if None in waiting:  # the close: the last thing handed over
                stopping = True
                waiting = waiting[:waiting.index(None)]
            changes: list[Change] = waiting  # type: ignore[assignment]
            try:
                self._write([change for change in changes if change[0]])
            except Exception as error:  # no write should raise it: a failed write all the same, never a dead thread
                self._fail(OSError(errno.EIO, f"{type(error).__name__}: {error}"))
            for what, flushed in changes:
                if not what:
                    flushed.set()  # type: ignore[attr-defined]  # a flush: everything before it is written

    def _write(self, changes: list[Change]) -> None:
        """Write the changes, in one transaction if the journal takes batches (Profile.batch), and
        each run of examples learned one after another in one go if it takes them so
        (Profile.remember_all)."""
        if not changes or self.failed:
            return
        batch = getattr(self.journal, "batch", None)
        remember_all = getattr(self.journal, "remember_all", None)
        with batch(self._fail) if batch is not None and len(changes) > 1 else nullcontext():
            for what, run in itertools.groupby(changes, key=lambda change: change[0]):
                arguments = [argument for _, argument in run]
                if what == "remember" and remember_all is not None and len(arguments) > 1:
                    writes = deque([(remember_all, arguments)])
                else:
                    write = getattr(self.journal, what, None)
                    if write is None:  # a journal that keeps no embeddings
                        continue
                    writes = deque((write, argument) for argument in arguments)
                while writes:
                    write, argument = writes.popleft()
                    try:
                        write(argument)
                    except OSError as error:
                        self._fail(error)
                        return
                    except ValueError as error:  # an example the journal will not keep
                        if write is remember_all:  # it refuses them all before writing any: one at a time, then
                            writes.extendleft(reversed([(self.journal.remember, example) for example in argument]))
                        else:
                            self._refuse(error)

    def _refuse(self, error: ValueError) -> None:
        if self.on_refused is not None:
            self.on_refused(error)

    def _fail(self, error: OSError) -> None:
        if not self.failed:
            self.failed = True
            self.on_failure(error)
