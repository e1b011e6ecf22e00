"""The waitress server's two lanes: requests of large bodies, and the requests of clients whose
requests have lately been costly, are answered by a thread of their own, so that they never hold
up small ones.

Answering is Python work, and a process runs one thread of Python at a time: threads answering
at once only take turns, and every turn costs (one-digit boards from 16 clients, on two cores:
two threads answered 411 to 504 requests/s, eight 285 to 376, each request costing up to twice
the processor time). So few threads answer; but a queue that few threads take in turn puts a
small request behind every costly one before it (16 clients posting the costliest boards: other
clients' p99 1.4 s with two threads and one queue; 164 to 182 ms with the lanes). waitress has
read a request whole before any thread takes it, so its body's size is known, and a page's work
grows with it (its points, strokes and examples): bodies over `heavy_bytes` wait in a queue of
their own, answered by their own thread, beside the small ones' threads. A client posting the
costliest boards over and over then slows the others by one answer's turns at most, not by a
queue of answers. Size is a page's measure: a hostile client can pack costly strokes in few
bytes. So a client whose requests have lately been costly (digitboard.web.costs) is sent to the
heavy lane too, whatever its bodies' size.

waitress's dispatcher is a queue and its threads (`waitress.task.ThreadedTaskDispatcher`); this
is two of them, each task (a connection with a request read) given to one by the size of its
request and its client's costs. (gunicorn's workers, behind nginx, are left as they are.)"""

from __future__ import annotations

from waitress.task import ThreadedTaskDispatcher

from digitboard.web.costs import ClientCosts

HEAVY_THREADS = 1  # a process answers one heavy request at a time


def body_bytes(channel) -> int:
    """The size of the body of the first request a waitress connection has read, 0 if none."""
    requests = getattr(channel, "requests", None)
    if not requests:
        return 0
    request = requests[0]
    return max(getattr(request, "content_length", 0) or 0, getattr(request, "body_bytes_received", 0) or 0)


def client_address(channel) -> str:
    """The address of the peer on a waitress connection, as the application's REMOTE_ADDR."""
    address = getattr(channel, "addr", None)
    return str(address[0]) if isinstance(address, tuple) and address else str(address or "")


class LaneDispatcher:
    """waitress's task dispatcher in two lanes: heavy requests (bodies over `heavy_bytes`, or from
    a client whose requests have lately been costly, by `costs`) to `heavy_threads` threads, the
    rest to as many as waitress's `threads` say."""

    def __init__(self, heavy_bytes: int, heavy_threads: int = HEAVY_THREADS, costs: ClientCosts | None = None) -> None:
        self.heavy_bytes = heavy_bytes
        self.costs = costs
        self.light, self.heavy = ThreadedTaskDispatcher(), ThreadedTaskDispatcher()
        self.heavy.set_thread_count(heavy_threads)

    def set_thread_count(self, count: int) -> None:
        self.light.set_thread_count(count)

    def add_task(self, task) -> None:
        heavy = body_bytes(task) > self.heavy_bytes or (self.costs is not None and self.costs.costly(client_address(task)))
        (self.heavy if heavy else self.light).add_task(task)

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        heavy = self.heavy.shutdown(cancel_pending, timeout / 2)
        return self.light.shutdown(cancel_pending, timeout / 2) or heavy
