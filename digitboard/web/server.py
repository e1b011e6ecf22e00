"""`digitboard serve`: the web board in one process on waitress (digitboard.web.waitress_server),
which runs everywhere and reads every request whole before a thread takes it; or, with
`--workers N` where processes fork, in N processes under gunicorn's arbiter
(digitboard.web.gunicorn_server). Either way the server keeps no state between requests, and a
stop (SIGTERM, Ctrl+C) lets the requests in flight finish.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import sys

from digitboard import platforms
from digitboard.web.app import WebConfig, board_url, cannot_listen, create_app

LISTEN_BACKLOG = 2048


def run_serve(config: WebConfig) -> int:
    """Serve the web board until stopped; the exit status (0 after SIGTERM or Ctrl+C)."""
    logging.basicConfig(format="digitboard serve: %(levelname)s %(name)s: %(message)s")  # errors to stderr
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "all threads busy" is normal under load
    if config.workers > 1 and not platforms.can_fork():
        print(f"digitboard serve: --workers {config.workers} needs processes that fork (Linux, macOS), which this "
              "system has not; serving in one process", file=sys.stderr, flush=True)
        config = dataclasses.replace(config, workers=1)
    if config.workers > 1:
        return _run_workers(config)
    from digitboard.web.waitress_server import create_server, serve, server_url

    server = create_server(create_app(config), config)
    print(f"digitboard: the web board is at {server_url(server)} (Ctrl+C stops it)", flush=True)
    serve(server)
    return 0


def _run_workers(config: WebConfig) -> int:
    """Check the model and bind the port here, so that either fails with one line before any
    worker starts, then hand the socket to gunicorn."""
    from digitboard.recognition.modelfile import check_model_file
    from digitboard.web.gunicorn_server import run_gunicorn

    check_model_file(config.model)
    listener = listening_socket(config.host, config.port)
    print(f"digitboard: the web board is at {board_url(*listener.getsockname()[:2])} "
          f"({config.workers} workers; Ctrl+C stops it)", flush=True)
    return run_gunicorn(config, listener)


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) and listening; OSError with a one-line reason if it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(LISTEN_BACKLOG)
    except OSError as error:
        listener.close()
        raise cannot_listen(host, port, error) from None
    listener.set_inheritable(True)  # gunicorn takes it by descriptor (fd://)
    return listener
