"""`digitboard serve` as a user runs it, in its own process on localhost: a waitress worker a core
where processes fork (the default here), one waitress with `--workers 1`."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from digitboard.web.app import MAX_BODY_BYTES

SESSION = {"size": [640, 480], "actions": [{"stroke": [[100, 100, 0], [160, 100, 90], [120, 210, 240]]},
                                           {"stroke": [[105, 150, 600], [150, 150, 700]]}]}
START_SECONDS = 60
served_line: list[str] = []  # what the module's server printed as it started


def serve(*arguments: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "digitboard", "serve", *arguments],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )


@pytest.fixture(scope="module")
def served(request) -> Iterator[tuple[str, int]]:
    """`digitboard serve --port 0` with the shipped model; yields where it listens."""
    request.getfixturevalue("shipped_model")
    process = serve("--port", "0")
    line = process.stdout.readline()  # printed once the port is bound (and the model file checked)
    match = re.search(r"http://([\d.]+):(\d+)/", line)
    if not match:
        process.kill()
        pytest.fail(f"digitboard serve did not start: {line!r} {process.communicate(timeout=START_SECONDS)[1]}")
    served_line[:] = [line]
    yield match[1], int(match[2])
    process.send_signal(signal.SIGINT)  # Ctrl+C stops the server; it has nothing to save
    assert process.wait(timeout=30) == 0
    process.stdout.close()
    process.stderr.close()


def ask(where: tuple[str, int], method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """A request as the page sends it: a body goes as JSON unless `headers` say otherwise."""
    if headers is None:
        headers = {"Content-Type": "application/json"} if body is not None else {}
    connection = http.client.HTTPConnection(*where, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_serve_answers_on_localhost_with_a_worker_a_core(served):
    from digitboard.recognition.batches import usable_cores

    host, _ = served
    assert host == "127.0.0.1"  # bound to this machine unless told otherwise
    status, headers, page = ask(served, "GET", "/")
    assert status == 200 and b'<canvas id="ink"' in page
    # waitress (in a process a core), never Flask's development server
    assert headers["Server"] == "digitboard"
    assert usable_cores() == 1 or re.search(r"\(\d+ workers;", served_line[0])
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    status, headers, body = ask(served, "POST", "/api/read", json.dumps(SESSION).encode(), {"Content-Type": "application/json"})
    assert status == 200
    answer = json.loads(body)
    assert answer["reading"] == "7" and answer["digits"][0]["strokes"] == [0, 1]


def test_a_chunked_session_is_read_and_a_chunked_flood_is_a_json_413(served):
    chunks = iter([json.dumps(SESSION).encode()])
    connection = http.client.HTTPConnection(*served, timeout=30)
    connection.request("POST", "/api/read", body=chunks, encode_chunked=True, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200 and json.loads(response.read())["reading"] == "7"
    connection.close()
    flood = (b" " * 65536 for _ in range(2 * MAX_BODY_BYTES // 65536))
    connection = http.client.HTTPConnection(*served, timeout=30)
    connection.request("POST", "/api/read", body=flood, encode_chunked=True, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"].startswith("session: the request body is over 1,048,576 bytes")
    connection.close()


def test_bodies_over_the_limit_are_413_and_the_server_keeps_answering(served):
    status, headers, body = ask(served, "POST", "/api/read", b" " * (MAX_BODY_BYTES + 1))
    assert status == 413 and headers["Content-Type"] == "application/json"
    connection = http.client.HTTPConnection(*served, timeout=30)
    connection.putrequest("POST", "/api/read")
    connection.putheader("Content-Length", str(16 * MAX_BODY_BYTES))
    connection.endheaders()  # announce 16 MiB, send none: waitress refuses it unread (docs/web.md)
    assert connection.getresponse().status == 413
    connection.close()
    status, _, body = ask(served, "POST", "/api/read", b"{" * 50_000)
    assert status == 400 and json.loads(body)["error"].startswith("session:1: not valid JSON")
    assert ask(served, "POST", "/api/read", json.dumps(SESSION).encode())[0] == 200


def test_one_worker_is_waitress_and_reads_the_same(shipped_model):
    process = serve("--port", "0", "--workers", "1")
    try:
        line = process.stdout.readline()
        match = re.search(r"http://([\d.]+):(\d+)/", line)
        assert match, f"digitboard serve --workers 1 did not start: {line!r}"
        where = (match[1], int(match[2]))
        status, headers, body = ask(where, "POST", "/api/read", json.dumps(SESSION).encode())
        assert status == 200 and headers["Server"] == "digitboard" and json.loads(body)["reading"] == "7"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        process.stdout.close()
        process.stderr.close()


def test_two_workers_serve_the_same_answers_and_refuse_as_json(shipped_model):
    """`--workers 2`: two processes on one socket, same answers; waitress's own refusals are JSON."""
    process = serve("--port", "0", "--workers", "2")
    try:
        line = process.stdout.readline()
        match = re.search(r"http://([\d.]+):(\d+)/ \(2 workers;", line)
        assert match, f"digitboard serve --workers 2 did not start: {line!r}"
        where = (match[1], int(match[2]))
        for _ in range(6):  # whichever worker answers, the answer is the same
            status, headers, body = ask(where, "POST", "/api/read", json.dumps(SESSION).encode())
            assert status == 200 and json.loads(body)["reading"] == "7" and headers["Cache-Control"] == "no-store"
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        with socket.create_connection(where, timeout=30) as connection:  # not HTTP at all
            connection.sendall(b"GARBAGE\r\n\r\n")
            response = http.client.HTTPResponse(connection)
            response.begin()
            assert response.status == 400 and response.getheader("Content-Type") == "application/json"
            assert set(json.loads(response.read())) == {"error"}
        with socket.create_connection(where, timeout=30) as connection:  # headers over waitress's bound
            connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 300_000 + b"\r\n\r\n")
            response = http.client.HTTPResponse(connection)
            response.begin()
            assert response.status == 431 and json.loads(response.read())["error"].startswith("Request Header Fields Too Large")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        process.stdout.close()
        process.stderr.close()


@pytest.mark.parametrize("arguments, message", [
    (["--port", "70000"], "digitboard: --port 70000: expected a port number from 0 to 65535\n"),
    (["--threads", "0"], "digitboard: --threads 0: expected 1 to 256 threads\n"),
    (["--workers", "0"], "digitboard: --workers 0: expected 1 to 64 worker processes\n"),
])
def test_bad_options_stop_with_one_line(arguments, message):
    process = serve(*arguments)
    stdout, stderr = process.communicate(timeout=START_SECONDS)
    assert process.returncode == 2 and stderr == message and stdout == ""


def test_a_port_in_use_stops_with_one_line(shipped_model):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = serve("--port", str(port))
        stdout, stderr = process.communicate(timeout=START_SECONDS)
    assert process.returncode == 2
    assert re.fullmatch(rf"digitboard: cannot listen on 127\.0\.0\.1 port {port} \(.+\)\n", stderr)
    assert stdout == ""
