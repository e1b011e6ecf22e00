"""The waitress server's lanes (digitboard.web.lanes): a request of a large body is answered by
a thread of its own, so small requests are answered while large ones take long or wait."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest
from flask import Flask, request

from digitboard.web.app import WebConfig
from digitboard.web.costs import HALF_LIFE_SECONDS, ClientCosts, record_costs
from digitboard.web.lanes import LaneDispatcher, body_bytes
from digitboard.web.waitress_server import create_server

HEAVY_BYTES = WebConfig().heavy_bytes


def post(where: tuple[str, int], body: bytes, answers: list, source: tuple[str, int] | None = None) -> None:
    connection = http.client.HTTPConnection(*where, timeout=20, source_address=source)
    try:
        connection.request("POST", "/", body=body, headers={"Content-Type": "application/octet-stream"})
        answers.append(connection.getresponse().read())
    except OSError as error:
        answers.append(error)
    finally:
        connection.close()


def test_small_requests_are_answered_while_large_ones_hold_their_lane():
    release, holding = threading.Event(), threading.Event()
    app = Flask("lanes")

    @app.post("/")
    def answer():
        body = request.get_data()
        if len(body) > HEAVY_BYTES:  # a costly request: it takes as long as the test says
            holding.set()
            release.wait(20)
        return str(len(body))

    server = create_server(app, WebConfig(port=0, threads=1))  # one thread for small requests, as one for large
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    where = (server.effective_host, server.effective_port)
    heavy_answers: list = []
    heavy = [threading.Thread(target=post, args=(where, b"x" * (HEAVY_BYTES + 1), heavy_answers)) for _ in range(3)]
    try:
        for thread in heavy:
            thread.start()
        assert holding.wait(10)  # one large request is being answered, the others wait behind it
        small: list = []
        for _ in range(5):
            post(where, b"12345", small)
        assert small == [b"5"] * 5 and not heavy_answers  # answered, the large ones still held
    finally:
        release.set()
        for thread in heavy:
            thread.join(20)
        server.close()
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    assert heavy_answers == [str(HEAVY_BYTES + 1).encode()] * 3


def test_a_connection_is_weighed_by_its_first_request_body():
    class Request:
        def __init__(self, content_length: int, received: int = 0) -> None:
            self.content_length, self.body_bytes_received = content_length, received

    class Channel:
        def __init__(self, *requests) -> None:
            self.requests = list(requests)

    assert body_bytes(Channel()) == 0 and body_bytes(object()) == 0
    assert body_bytes(Channel(Request(10), Request(10**6))) == 10
    assert body_bytes(Channel(Request(0, received=HEAVY_BYTES * 2))) == HEAVY_BYTES * 2  # sent in chunks
    lanes = LaneDispatcher(heavy_bytes=100)
    taken = []
    lanes.light.add_task = lambda task: taken.append(("light", task))
    lanes.heavy.add_task = lambda task: taken.append(("heavy", task))
    small, large = Channel(Request(100)), Channel(Request(101))
    lanes.add_task(small)
    lanes.add_task(large)
    assert taken == [("light", small), ("heavy", large)]
    lanes.shutdown(timeout=1)  # its heavy thread stopped


def test_a_clients_costly_requests_fill_its_account_and_cheap_ones_do_not_empty_it():
    now = [0.0]
    costs = ClientCosts(clock=lambda: now[0])
    for _ in range(100):  # a page's strokes, its board remembered: free
        costs.add("10.0.0.1", 0.015)
    costs.add("10.0.0.1", 0.09)  # one correction: still under the bound
    assert not costs.costly("10.0.0.1")
    for _ in range(3):  # a stream of costly requests
        costs.add("10.0.0.2", 0.07)
    assert costs.costly("10.0.0.2") and not costs.costly("10.0.0.3")
    for _ in range(20):  # refused floods between them take nothing out
        costs.add("10.0.0.2", 0.004)
    assert costs.costly("10.0.0.2")
    now[0] += 3 * HALF_LIFE_SECONDS  # it stopped: its account empties
    assert not costs.costly("10.0.0.2")


def test_a_costly_clients_small_requests_wait_in_the_heavy_lane_not_before_others():
    """A client whose requests took long is answered in the heavy lane, whatever their size: a
    second client's small requests are answered while its requests are held."""
    release, holding = threading.Event(), threading.Event()
    app = Flask("lanes")
    app.extensions["digitboard.client_costs"] = costs = ClientCosts()  # as digitboard's app keeps them
    record_costs(app, costs)

    @app.post("/")
    def answer():
        body = request.get_data()
        if body == b"slow":  # costly work, in a small body
            time.sleep(0.1)
        elif body == b"hold":
            holding.set()
            release.wait(20)
        return "ok"

    server = create_server(app, WebConfig(port=0, threads=1))
    try:
        loop = threading.Thread(target=server.run, daemon=True)
        loop.start()
        where = (server.effective_host, server.effective_port)
        costly = ("127.0.0.2", 0)
        try:
            with socket.create_connection(where, source_address=costly):
                pass
        except OSError:
            pytest.skip("no second loopback address (127.0.0.2) to send from here")
        answers: list = []
        for _ in range(4):
            post(where, b"slow", answers, source=costly)
        assert answers == [b"ok"] * 4 and costs.costly("127.0.0.2") and not costs.costly("127.0.0.1")
        held = [threading.Thread(target=post, args=(where, b"hold", answers), kwargs={"source": costly}) for _ in range(2)]
        for thread in held:
            thread.start()
        assert holding.wait(10)
        small: list = []
        for _ in range(3):
            post(where, b"12345", small)
        assert small == [b"ok"] * 3 and len(answers) == 4  # answered, the costly client's still held
    finally:
        release.set()
        server.close()
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
