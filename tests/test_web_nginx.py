"""More than one server: the nginx configuration of docs/web.md, started as written (on free
ports), in front of two `digitboard serve`: both answer, and every answer is replay's.

Skips, saying what to install, where nginx is missing; `.ci/run` installs Debian's nginx.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or next((path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                       if Path(path).is_file()), None)
START_SECONDS = 60


def documented_nginx_config() -> str:
    """The nginx configuration docs/web.md shows, between its markers."""
    text = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- nginx: begin.*?-->\s*```nginx\n(.*?)```\s*<!-- nginx: end -->", text, re.DOTALL)
    assert match, "docs/web.md has no nginx configuration between its markers"
    return match[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "digitboard", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


@pytest.fixture(scope="module")
def balanced(request, tmp_path_factory) -> Iterator[tuple[int, Path, list[int], list[subprocess.Popen]]]:
    """nginx on a free port in front of two `digitboard serve`; yields its port, its upstream log,
    the servers' ports and their processes (a test may replace one: the list is the fixture's)."""
    if NGINX is None:
        pytest.skip("no nginx on PATH: apt-get install nginx (Debian's package; .ci/run installs it)")
    request.getfixturevalue("shipped_model")
    folder = tmp_path_factory.mktemp("nginx")
    folder.chmod(0o755)  # nginx's workers may run as another user and must reach their files
    ports = [free_port(), free_port()]
    servers = [start_server(port) for port in ports]
    nginx = None
    try:
        for server in servers:
            line = server.stdout.readline()
            assert "http://" in line, f"digitboard serve did not start: {line!r}"
        front = free_port()
        site = documented_nginx_config().replace("127.0.0.1:8001", f"127.0.0.1:{ports[0]}") \
            .replace("127.0.0.1:8002", f"127.0.0.1:{ports[1]}").replace("listen 80;", f"listen 127.0.0.1:{front};")
        (folder / "nginx.conf").write_text(f"""
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    log_format upstream '$upstream_addr $status';
    access_log {folder}/access.log upstream;
{site}
}}
""")
        nginx = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", front), timeout=1).close()
                break
            except OSError:
                if nginx.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start: {nginx.stderr.read() if nginx.poll() is not None else ''}"
                                f"{(folder / 'error.log').read_text() if (folder / 'error.log').exists() else ''}")
                time.sleep(0.1)
        yield front, folder / "access.log", ports, servers
    finally:
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            nginx.wait(timeout=30)
            nginx.stderr.close()
        for server in servers:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
            server.stdout.close()
            server.stderr.close()


def test_two_servers_behind_nginx_both_answer_and_answer_as_replay(balanced, unipen_path, tmp_path):
    from test_web_api import drawn_sessions, replay_lines

    front, access_log, ports, _ = balanced
    sessions = drawn_sessions(unipen_path, 12)
    answers = []
    connection = http.client.HTTPConnection("127.0.0.1", front, timeout=30)
    for session in sessions:
        connection.request("POST", "/api/read", body=json.dumps(session), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, body[:200]
        assert response.getheader("Cache-Control") == "no-store"
        answers.append(json.loads(body))
    connection.close()
    expected = replay_lines(tmp_path, sessions)
    for answer, replayed in zip(answers, expected):
        replayed.pop("session")
        assert answer == replayed
    time.sleep(0.5)  # nginx writes its log line as each answer goes out
    upstreams = [line.split()[0] for line in access_log.read_text().splitlines()]
    assert {f"127.0.0.1:{port}" for port in ports} <= set(upstreams), upstreams  # both servers answered


def test_a_rolling_restart_behind_nginx_gives_no_error(balanced, unipen_path):
    """Clients post through nginx while one server is stopped (SIGTERM) and started again, then
    the other: every request is answered."""
    import threading

    from test_web_api import drawn_sessions

    front, _, ports, servers = balanced
    term = getattr(signal, "SIGTERM", None)
    if term is None:
        pytest.skip("no SIGTERM to send here")
    bodies = [json.dumps(session) for session in drawn_sessions(unipen_path, 16)]
    outcomes: list[str] = []
    done = threading.Event()

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", front, timeout=30)
        number = offset
        while not done.is_set():
            number += 1
            try:
                connection.request("POST", "/api/read", body=bodies[number % len(bodies)],
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                outcomes.append(str(response.status))
            except (OSError, http.client.HTTPException) as error:
                outcomes.append(repr(error))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", front, timeout=30)
        connection.close()

    clients = [threading.Thread(target=client, args=(offset,)) for offset in range(4)]
    for thread in clients:
        thread.start()
    try:
        for index, port in enumerate(ports):
            time.sleep(3)  # the server restarted before is back in nginx's choice (fail_timeout=2s)
            servers[index].send_signal(term)
            assert servers[index].wait(timeout=30) == 0
            servers[index].stdout.close()
            servers[index].stderr.close()
            servers[index] = start_server(port)
            line = servers[index].stdout.readline()
            assert "http://" in line, f"digitboard serve did not start again: {line!r}"
        time.sleep(1)
    finally:
        done.set()
        for thread in clients:
            thread.join(timeout=60)
    errors = [outcome for outcome in outcomes if outcome != "200"]
    print(f"rolling restart behind nginx: {len(outcomes):,} requests, {len(errors):,} errors")
    assert errors == [], (len(errors), errors[:5])
    assert len(outcomes) > 50
