"""The waitress server's lanes (digitboard.web.lanes): a request of a large body is answered by
a thread of its own, so small requests are answered while large ones take long or wait."""

from __future__ import annotations

import http.client
import threading

from flask import Flask, request

from digitboard.web.app import WebConfig
from digitboard.web.lanes import LaneDispatcher, body_bytes
from digitboard.web.waitress_server import create_server

HEAVY_BYTES = WebConfig().heavy_bytes


def post(where: tuple[str, int], body: bytes, answers: list) -> None:
    connection = http.client.HTTPConnection(*where, timeout=20)
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
