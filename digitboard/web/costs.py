"""What each client's requests have cost lately, so that the waitress server's lanes
(digitboard.web.lanes) can send the requests of a client that asks for costly work to the lane of
costly requests, whatever its bodies' size.

A request's size says what a page asks: a page's board of many strokes is a large body. It does
not say what a hostile client asks: 64 strokes of two points each, every one across two
drawings, cost 67 ms in a body of 2.5 KB, and 16 clients posting them left the others' p99 at
1.1 s, their small bodies waiting with the small requests. What a client's requests have cost
does: of each request's time in the application, what passes `FREE_SECONDS` is added to its
address's account, which halves every `HALF_LIFE_SECONDS`; an address whose account holds more
than `COSTLY_SECONDS` is sent to the costly lane until it empties. A person at a page asks a few
milliseconds a stroke (the drawings already read are remembered), a correction some tens: one
correction leaves the account under the bound, a stream of costly requests fills it in two or
three, and cheap requests between them (a refused flood) do not empty it.

Behind a proxy every request comes from the proxy's address, and this tells nothing apart:
bound costly clients there (nginx's `limit_req`, docs/web.md).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, g, request

FREE_SECONDS = 0.02  # a request's time up to this is free: a page's stroke, its board remembered
COSTLY_SECONDS = 0.1  # an address whose account holds more is costly
HALF_LIFE_SECONDS = 5.0  # an account halves in this time
ADDRESSES_KEPT = 4096  # the least recently seen beyond these are forgotten


class ClientCosts:
    """Each client address's account of costly work (module docstring); thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, kept: int = ADDRESSES_KEPT) -> None:
        self.clock = clock
        self.kept = kept
        self._accounts: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address -> (seconds, when)
        self._lock = threading.Lock()

    def add(self, address: str, seconds: float) -> None:
        """Count a request of `address` that took `seconds` in the application."""
        excess = max(0.0, seconds - FREE_SECONDS)
        with self._lock:
            now = self.clock()
            self._accounts[address] = (self._held(address, now) + excess, now)
            self._accounts.move_to_end(address)
            while len(self._accounts) > self.kept:
                self._accounts.popitem(last=False)

    def costly(self, address: str) -> bool:
        """Whether this address's account holds more than COSTLY_SECONDS."""
        with self._lock:
            return self._held(address, self.clock()) > COSTLY_SECONDS

    def _held(self, address: str, now: float) -> float:
        held, when = self._accounts.get(address, (0.0, now))
        return held * 0.5 ** ((now - when) / HALF_LIFE_SECONDS)


def record_costs(app: Flask, costs: ClientCosts) -> None:
    """Have `app` add each request's time to its client's costs (request.remote_addr: the peer
    the server saw)."""

    @app.before_request
    def started() -> None:
        g.digitboard_started = time.perf_counter()

    @app.teardown_request
    def finished(_error: BaseException | None) -> None:
        began = g.pop("digitboard_started", None)
        if began is not None and request.remote_addr:
            costs.add(request.remote_addr, time.perf_counter() - began)
