"""`digitboard serve` as a user runs it, in its own process on localhost: one waitress process
(the default), and `--workers N` under gunicorn's arbiter; how each stops, and how gunicorn's
copes with a worker or itself killed."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def test_serve_answers_on_localhost_in_one_waitress_process(served):
    host, _ = served
    assert host == "127.0.0.1"  # bound to this machine unless told otherwise
    status, headers, page = ask(served, "GET", "/")
    assert status == 200 and b'<canvas id="ink"' in page
    # waitress, in one process, never Flask's development server
    assert headers["Server"] == "digitboard"
    assert "workers" not in served_line[0]
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
    assert json.loads(response.read())["error"].startswith(f"session: the request body is over {MAX_BODY_BYTES:,} bytes")
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


def test_waitress_refusals_are_json(served):
    with socket.create_connection(served, timeout=30) as connection:  # not HTTP at all
        connection.sendall(b"GARBAGE\r\n\r\n")
        response = http.client.HTTPResponse(connection)
        response.begin()
        assert response.status == 400 and response.getheader("Content-Type") == "application/json"
        assert set(json.loads(response.read())) == {"error"}
    with socket.create_connection(served, timeout=30) as connection:  # headers over waitress's bound
        connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 300_000 + b"\r\n\r\n")
        response = http.client.HTTPResponse(connection)
        response.begin()
        assert response.status == 431 and json.loads(response.read())["error"].startswith("Request Header Fields Too Large")


# -- more than one process: gunicorn's arbiter ---------------------------------------------------

FORKS = hasattr(os, "fork") and Path("/proc/self/task").is_dir()
needs_gunicorn = pytest.mark.skipif(not FORKS, reason="gunicorn needs fork; these tests read /proc (Linux)")
KILL = getattr(signal, "SIGKILL", None)


def workers_of(pid: int) -> set[int]:
    """The child processes of `pid` (gunicorn's workers), from /proc."""
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextmanager
def started(*arguments: str) -> Iterator[tuple[subprocess.Popen, tuple[str, int]]]:
    """`digitboard serve --port 0 ...` started; stopped, with any worker it left, whatever happens."""
    process = serve("--port", "0", *arguments)
    workers: set[int] = set()
    try:
        line = process.stdout.readline()
        match = re.search(r"http://([\d.]+):(\d+)/", line)
        assert match, f"digitboard serve did not start: {line!r} {process.communicate(timeout=START_SECONDS)[1]}"
        where = (match[1], int(match[2]))
        deadline = time.monotonic() + START_SECONDS
        while True:  # every worker has loaded the model
            try:
                if ask(where, "POST", "/api/read", json.dumps(SESSION).encode())[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "digitboard serve never answered"
            time.sleep(0.2)
        count = int(arguments[arguments.index("--workers") + 1]) if "--workers" in arguments else 1
        if count > 1:  # gunicorn's: the first worker may answer before the arbiter has forked the next
            assert wait_for(lambda: len(workers_of(process.pid)) >= count, START_SECONDS), "a worker never started"
        workers = workers_of(process.pid)
        yield process, where
    finally:
        workers |= workers_of(process.pid)
        process.kill()
        process.wait(timeout=30)
        for pid in workers:
            if alive(pid) and KILL is not None:
                os.kill(pid, KILL)
        process.stdout.close()
        process.stderr.close()


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@needs_gunicorn
def test_two_workers_under_gunicorn_serve_the_same_answers(shipped_model):
    with started("--workers", "2") as (process, where):
        assert len(workers_of(process.pid)) == 2
        for _ in range(6):  # whichever worker answers, the answer is the same
            status, headers, body = ask(where, "POST", "/api/read", json.dumps(SESSION).encode())
            assert status == 200 and json.loads(body)["reading"] == "7" and headers["Cache-Control"] == "no-store"
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


@needs_gunicorn
def test_a_worker_killed_twice_within_10_s_the_server_keeps_answering(shipped_model):
    """The home-made supervisor stopped everything when a worker died within 10 s of its start."""
    with started("--workers", "2") as (process, where):
        first = workers_of(process.pid)
        assert len(first) == 2
        victim = min(first)
        os.kill(victim, KILL)
        began = time.monotonic()
        for _ in range(5):  # the other worker answers at once
            assert ask(where, "POST", "/api/read", json.dumps(SESSION).encode())[0] == 200
        assert wait_for(lambda: len(workers_of(process.pid) - {victim}) == 2, 8), "no worker started in its place"
        (replacement,) = workers_of(process.pid) - first
        os.kill(replacement, KILL)  # a worker killed within seconds of its start
        assert time.monotonic() - began < 10
        for _ in range(5):
            assert ask(where, "POST", "/api/read", json.dumps(SESSION).encode())[0] == 200
        assert wait_for(lambda: len(workers_of(process.pid) - {victim, replacement}) == 2, 30)
        time.sleep(3)  # the new worker loads the model: then both answer again
        for _ in range(6):
            assert ask(where, "POST", "/api/read", json.dumps(SESSION).encode())[0] == 200
        assert process.poll() is None


@needs_gunicorn
def test_the_arbiter_killed_leaves_no_worker_on_the_port(shipped_model):
    """kill -9 of the parent: its workers see it gone, finish, and leave; the port is free again."""
    with started("--workers", "2") as (process, where):
        workers = workers_of(process.pid)
        assert len(workers) == 2
        process.kill()  # SIGKILL, or TerminateProcess
        process.wait(timeout=30)
        assert wait_for(lambda: not any(alive(pid) for pid in workers), 15), "workers still running"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(where, timeout=5).close()
        again = serve("--port", str(where[1]), "--workers", "1")  # the port can be taken again
        try:
            line = again.stdout.readline()
            assert f":{where[1]}/" in line, again.communicate(timeout=START_SECONDS)[1]
        finally:
            again.kill()
            again.communicate(timeout=30)


def heavy_session(rng) -> bytes:
    """Twenty digits' strokes at random places: new drawings each time, tens of ms of a worker."""
    actions = []
    for index in range(20):
        left, top = 60 * (index % 10) + rng.uniform(0, 20), 150 * (index // 10) + rng.uniform(0, 20)
        actions.append({"stroke": [[round(left + 20 * (step % 3) + rng.uniform(0, 2), 1),
                                    round(top + 8 * step, 1)] for step in range(12)]})
    return json.dumps({"size": [800, 400], "actions": actions}).encode()


@pytest.mark.parametrize("workers", ["1", pytest.param("2", marks=needs_gunicorn)])
def test_sigterm_under_load_cuts_no_request(shipped_model, workers):
    """Clients post on new connections, back to back, as SIGTERM arrives, some seconds after
    connecting: each request is answered, or its connection refused (never taken); none is cut
    (reset, or closed without an answer)."""
    import numpy as np

    term = getattr(signal, "SIGTERM", None)
    if term is None or not hasattr(os, "kill"):
        pytest.skip("no SIGTERM to send here")
    outcomes: list[str] = []
    answered_after: list[float] = []
    stop_at: list[float] = []

    def client(seed: int) -> None:
        rng = np.random.default_rng(seed)
        while True:
            try:
                connection = http.client.HTTPConnection(*where, timeout=30)
                connection.connect()
                time.sleep(rng.uniform(0, 3))  # a loaded client: taken, but slow to send its request
            except ConnectionRefusedError:
                outcomes.append("refused")
                return
            try:
                connection.request("POST", "/api/read", body=heavy_session(rng),
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                outcomes.append("answered" if response.status == 200 else f"status {response.status}")
                if stop_at:
                    answered_after.append(time.monotonic() - stop_at[0])
            except (OSError, http.client.HTTPException) as error:
                outcomes.append(f"cut: {error!r}")
            finally:
                connection.close()

    with started("--workers", workers) as (process, where):
        clients = [threading.Thread(target=client, args=(seed,)) for seed in range(8)]
        for thread in clients:
            thread.start()
        time.sleep(2)
        stop_at.append(time.monotonic())
        process.send_signal(term)
        for thread in clients:
            thread.join(timeout=60)
        assert process.wait(timeout=30) == 0
    cut = [outcome for outcome in outcomes if outcome not in ("answered", "refused")]
    assert cut == [], cut[:5]
    assert outcomes.count("answered") >= 8 and answered_after, "no request was in flight as SIGTERM came"

@pytest.mark.parametrize("arguments, message", [
    (["--port", "70000"], "digitboard: --port 70000: expected a port number from 0 to 65535\n"),
    (["--threads", "0"], "digitboard: --threads 0: expected 1 to 256 threads\n"),
    (["--workers", "0"], "digitboard: --workers 0: expected 1 to 64 worker processes\n"),
])
def test_bad_options_stop_with_one_line(arguments, message):
    process = serve(*arguments)
    stdout, stderr = process.communicate(timeout=START_SECONDS)
    assert process.returncode == 2 and stderr == message and stdout == ""


@pytest.mark.parametrize("workers", ["1", pytest.param("2", marks=needs_gunicorn)])
def test_a_port_in_use_stops_with_one_line(shipped_model, workers):
    """Bound by digitboard itself, also before gunicorn starts: one line, not gunicorn's retries."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = serve("--port", str(port), "--workers", workers)
        stdout, stderr = process.communicate(timeout=START_SECONDS)
    assert process.returncode == 2
    assert re.fullmatch(rf"digitboard: cannot listen on 127\.0\.0\.1 port {port} \(.+\)\n", stderr)
    assert stdout == ""
