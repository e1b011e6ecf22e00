"""`digitboard serve --workers N`: the web board in N processes under gunicorn's arbiter, the
supervisor Flask's own deployment guide names: it restarts a worker that dies, kills one that
hangs past its timeout, stops the workers gracefully (within GRACEFUL_SECONDS) on SIGTERM, and
its workers leave by themselves when it is killed. It needs fork, so not on Windows.

Each worker is gunicorn's threaded worker (`gthread`), `--threads` requests at once, and builds
the application, loading the model, after it forks (not preloaded in the arbiter: ONNX
Runtime's sessions and thread pools do not survive a fork). gthread reads a request in the
thread that answers it, so a client that trickles its request holds a thread: with more than
one worker, put nginx in front (docs/web.md, More than one machine), which reads each request
whole before passing it on.
"""

from __future__ import annotations

import errno
import socket

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import TConn, ThreadWorker

from digitboard.web.app import WebConfig, create_app

GRACEFUL_SECONDS = 10  # how long a stopping worker gives its requests in flight (each takes at most about 100 ms)
WORKER_TIMEOUT_SECONDS = 30  # a worker silent this long (stuck) is killed and started again
KEEPALIVE_SECONDS = 5  # an idle kept-alive connection is closed after this long


class DrainingWorker(ThreadWorker):
    """gunicorn's threaded worker, except that when told to stop (SIGTERM, or its arbiter gone)
    it takes the connections already queued on the listening socket and then closes its copy at
    once, instead of holding it open while it finishes: once every worker has, new connections
    are refused (a client or nginx knows to go elsewhere) rather than queued and then reset when
    the last worker leaves."""

    def is_parent_alive(self) -> bool:
        alive = super().is_parent_alive()
        if not alive:
            self.alive = False  # stop as on SIGTERM: the same drain, the socket closed at once
        return alive

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            for listener in self.sockets:
                if listener.sock is not None:
                    self._take_waiting(listener)
                    listener.close()

    def _take_waiting(self, listener) -> None:
        listener.setblocking(False)
        while True:
            try:
                client, address = listener.accept()
            except OSError as error:
                if error.errno == errno.ECONNABORTED:
                    continue
                return  # EAGAIN: the queue is empty
            self.nr_conns += 1
            client.setblocking(True)
            self.enqueue_req(TConn(self.cfg, client, address, listener.getsockname()))


class BoardApplication(BaseApplication):
    """The web board as a gunicorn application, configured here rather than by a file or the
    command line (gunicorn's documented "custom application")."""

    def __init__(self, config: WebConfig, listener: socket.socket) -> None:
        self.board_config = config
        # gunicorn takes the socket over by its descriptor and closes that itself: no second
        # copy stays open (every worker would inherit it and hold the port open as it stops).
        self.listener_descriptor = listener.detach()
        super().__init__()

    def load_config(self) -> None:
        settings = {
            "bind": [f"fd://{self.listener_descriptor}"],  # bound by `digitboard serve`: its errors are one line
            "workers": self.board_config.workers,
            "worker_class": f"{__name__}.DrainingWorker",
            "threads": self.board_config.threads,
            "graceful_timeout": GRACEFUL_SECONDS,
            "timeout": WORKER_TIMEOUT_SECONDS,
            "keepalive": KEEPALIVE_SECONDS,
            "preload_app": False,
            "proc_name": "digitboard",
            "loglevel": "warning",  # a worker killed or failing to start is said; each request is not
            "accesslog": None,
            "errorlog": "-",
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self):
        return create_app(self.board_config)


def run_gunicorn(config: WebConfig, listener: socket.socket) -> int:
    """Serve on `listener` (bound and listening) in config.workers processes until stopped; the
    exit status gunicorn gives (0 after SIGTERM or Ctrl+C; 3 if a worker cannot start)."""
    try:
        BoardApplication(config, listener).run()
    except SystemExit as stopped:  # the arbiter leaves by sys.exit
        return stopped.code if isinstance(stopped.code, int) else 1
    return 0
