"""One waitress server for the web board: its buffers and bounds, and its own refusals in JSON.

waitress reads each request whole (headers and body) in its event loop before one of its
threads runs the application, so a slow or stalled client holds a connection, never a thread.
"""

from __future__ import annotations

import json
import socket

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

from digitboard.web.app import SECURITY_HEADERS, WebConfig, board_url, cannot_listen

# waitress reads a whole request body before the application sees it, and would spill bodies
# over 512 KiB to a temporary file. Bodies up to this size are held in memory and reach the
# application, which refuses those over 1 MiB with a JSON 413; waitress refuses larger ones
# itself, unread. Nothing is ever written to disk.
BODY_BUFFER_BYTES = 4 * 1024 * 1024
RESPONSE_BUFFER_BYTES = 16 * 1024 * 1024  # far above the largest answer, so never a file either
# Open connections a process holds, idle or trickling ones included; past it, new ones wait in
# the listening socket's queue. Each costs a few kilobytes, no thread.
CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT_SECONDS = 60  # a connection that sends nothing for this long is closed


class JsonErrorTask(ErrorTask):
    """waitress's own error answers (400, 413, 431...) as `{"error": "one line"}`, not text."""

    def execute(self) -> None:
        error = self.request.error
        self.status = f"{error.code} {error.reason}"
        detail = " ".join(str(error.body).split())
        body = json.dumps({"error": f"{error.reason}: {detail}" if detail else error.reason}).encode()
        self.response_headers.extend([("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                                      *SECURITY_HEADERS.items()])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


def create_server(app: Flask, config: WebConfig, listener: socket.socket | None = None):
    """A waitress server for `app`, listening on the configured address, or on `listener` (a
    bound, listening socket shared by worker processes); not yet answering."""
    import waitress

    where = {"sockets": [listener]} if listener is not None else {"host": config.host, "port": config.port}
    try:
        server = waitress.create_server(
            app,
            **where,
            threads=config.threads,
            max_request_body_size=BODY_BUFFER_BYTES,
            inbuf_overflow=BODY_BUFFER_BYTES + 1,
            outbuf_overflow=RESPONSE_BUFFER_BYTES,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=CHANNEL_TIMEOUT_SECONDS,
            ident="digitboard",
        )
    except OSError as error:
        raise cannot_listen(config.host, config.port, error) from None
    server.channel_class = JsonErrorChannel
    return server


def server_url(server) -> str:
    """The address a server actually listens on: --port 0 lets the system choose the port."""
    return board_url(server.effective_host, server.effective_port)
