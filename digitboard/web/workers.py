"""`digitboard serve` with more than one worker: the web board in gunicorn worker processes, one a
core, each answering `--threads` requests at once. A single process is bound by Python's GIL to
about one core, whatever its threads; two workers on two cores answer about twice the requests
(docs/web.md, Load). gunicorn forks, so this runs where fork does (not on Windows); there, and
with `--workers 1`, `digitboard serve` runs waitress in one process.

Each worker builds the application and loads the model once, after it forks: ONNX Runtime's state
does not survive a fork (a worker that inherited it aborted on exit). The model file is checked and
the socket bound before gunicorn starts, so a bad model or a port in use stops `digitboard serve`
with one line, as with waitress.
"""

from __future__ import annotations

import os
import socket

from flask import Flask
from gunicorn.app.base import BaseApplication

from digitboard.web.app import WebConfig, board_url, cannot_listen


class _Workers(BaseApplication):
    """gunicorn run from Python, with our settings; each worker builds its own application."""

    def __init__(self, config: WebConfig, settings: dict) -> None:
        self.config = config
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.settings.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        from digitboard.web.app import create_app

        return create_app(self.config)


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) and listening; OSError with a one-line reason if it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(2048)
    except OSError as error:
        listener.close()
        raise cannot_listen(host, port, error) from None
    listener.set_inheritable(True)  # the workers fork from the process that holds it
    return listener


def run_workers(config: WebConfig) -> int:
    """Serve the web board in config.workers gunicorn processes until interrupted."""
    from digitboard.recognition.modelfile import check_model_file

    check_model_file(config.model)
    listener = listening_socket(config.host, config.port)
    url = board_url(*listener.getsockname()[:2])
    descriptor = listener.detach()  # gunicorn's from here on: it closes it when it stops
    settings = {
        "bind": [f"fd://{descriptor}"],
        "workers": config.workers,
        "worker_class": "gthread",
        "threads": config.threads,
        "keepalive": 5,  # seconds a browser's connection stays open between requests
        "graceful_timeout": 5,  # seconds the workers get to finish their requests when stopped
        "loglevel": "warning",  # errors to standard error; no line per worker or request
        "errorlog": "-",
        "accesslog": None,
        "when_ready": lambda _: print(f"digitboard: the web board is at {url} ({config.workers} workers; "
                                      "Ctrl+C stops it)", flush=True),
    }
    if os.path.isdir("/dev/shm"):  # the workers' heartbeat files in memory, off the disk
        settings["worker_tmp_dir"] = "/dev/shm"
    try:
        _Workers(config, settings).run()
    except SystemExit as stop:  # gunicorn's master ends by exiting; its status is ours
        return int(stop.code or 0)
    return 0
