"""The web board in one process on waitress: its buffers and bounds, its own refusals in JSON,
and a drained stop.

waitress reads each request whole (headers and body) in its event loop before one of its
threads runs the application, so a slow or stalled client holds a connection, never a thread.
It runs on every platform, Windows included.

Stopping (SIGTERM, Ctrl+C): the listening socket takes the connections already waiting in its
queue and closes, so new ones are refused at once (a client or a proxy in front knows to try
elsewhere); every request already received, or being received, is answered, each with
`Connection: close`; a connection taken but not yet sent on (a client still writing its first
request, slowed by its machine) is waited for as a request being received; then the process
leaves, after at most DRAIN_SECONDS. A second Ctrl+C stops it at once.
"""

from __future__ import annotations

import json
import time

from flask import Flask
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask, WSGITask

from digitboard import platforms
from digitboard.web.app import MAX_BODY_BYTES, SECURITY_HEADERS, WebConfig, board_url, cannot_listen
from digitboard.web.lanes import LaneDispatcher

# waitress reads a whole request body before the application sees it, and would spill bodies
# over 512 KiB to a temporary file. Bodies up to this size are held in memory and reach the
# application, which refuses those over MAX_BODY_BYTES with a JSON 413; waitress refuses larger
# ones itself, unread. Nothing is ever written to disk.
BODY_BUFFER_BYTES = 4 * MAX_BODY_BYTES
RESPONSE_BUFFER_BYTES = 16 * 1024 * 1024  # far above the largest answer, so never a file either
# Open connections a process holds, idle or trickling ones included; past it, new ones wait in
# the listening socket's queue. Each costs a few kilobytes, no thread.
CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT_SECONDS = 60  # a connection that sends nothing for this long is closed
# How long a stopping server gives the requests in flight; the costliest takes about 100 ms
# (docs/web.md, Bounds), so only a client that stalls mid-request is ever cut short.
DRAIN_SECONDS = 10.0
# How long a stopping server keeps idle kept-alive connections open: a request a client had
# already sent on one is answered (with `Connection: close`) rather than dropped.
LINGER_SECONDS = 1.0
LOOP_SECONDS = 0.25  # the event loop's longest wait: how soon a stop is heard


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


class DrainingTask(WSGITask):
    """An answer that, once the server is stopping, closes its connection (`Connection: close`),
    so that the client sends its next request elsewhere."""

    def build_response_header(self) -> bytes:
        if getattr(self.channel.server, "draining", False):
            self.set_close_on_finish()
        return super().build_response_header()


class BoardChannel(HTTPChannel):
    task_class = DrainingTask
    error_task_class = JsonErrorTask
    heard = False  # whether the client has sent anything yet: a silent new connection is a request to come

    def received(self, data: bytes) -> bool:
        self.heard = self.heard or bool(data)
        return super().received(data)


def create_server(app: Flask, config: WebConfig):
    """A waitress server for `app`, listening on the configured address; not yet answering."""
    import waitress

    # digitboard.web.lanes: large bodies, and costly clients' requests, in a lane of their own
    lanes = LaneDispatcher(config.heavy_bytes, costs=app.extensions.get("digitboard.client_costs"))
    lanes.set_thread_count(config.threads)
    try:
        server = waitress.create_server(
            app,
            _dispatcher=lanes,
            host=config.host,
            port=config.port,
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
    for listener in _listeners(_channels(server)):
        listener.channel_class = BoardChannel
    return server


def server_url(server) -> str:
    """The address a server actually listens on: --port 0 lets the system choose the port."""
    return board_url(server.effective_host, server.effective_port)


def serve(server, drain_seconds: float = DRAIN_SECONDS) -> int:
    """Answer requests until SIGTERM or Ctrl+C, then drain (above) and close; the signal's number."""
    received: list[int] = []
    with platforms.stop_signals(received.append):
        try:
            while not received:
                _loop_once(server, LOOP_SECONDS)
            _drain(server, drain_seconds, lambda: len(received) > 1)
        finally:
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
            wasyncore.close_all(_channels(server))
    return received[0] if received else 0


def _channels(server) -> dict:
    """The server's sockets by descriptor: its listening ones and its connections (a server on
    more than one address, such as `localhost` on IPv4 and IPv6, keeps them as `map`)."""
    return server._map if hasattr(server, "_map") else server.map


def _loop_once(server, timeout: float) -> None:
    wasyncore.loop(timeout=timeout, map=_channels(server), use_poll=server.adj.asyncore_use_poll, count=1)


def _listeners(channels: dict) -> list[BaseWSGIServer]:
    return [dispatcher for dispatcher in list(channels.values()) if isinstance(dispatcher, BaseWSGIServer)]


def _drain(server, seconds: float, hurried) -> None:
    """Stop listening and answer what has come in, for at most `seconds` or until `hurried()`."""
    channels = _channels(server)
    for listener in _listeners(channels):
        listener.draining = True
        _take_waiting(listener)
        wasyncore.dispatcher.close(listener)  # the listening socket only (not waitress's wake-up pipe)
    began = time.monotonic()
    while time.monotonic() < began + seconds and not hurried():
        connections = [channel for channel in channels.values() if isinstance(channel, HTTPChannel)]
        busy = any(channel.requests or channel.total_outbufs_len or channel.request is not None
                   or not getattr(channel, "heard", True) for channel in connections)
        if not busy and (not connections or time.monotonic() >= began + LINGER_SECONDS):
            break
        _loop_once(server, 0.05)


def _take_waiting(listener: BaseWSGIServer) -> None:
    """Accept every connection already queued on the listening socket: closing it would reset them."""
    while True:
        accepted = listener.accept()  # None once the queue is empty (the socket does not block)
        if accepted is None:
            return
        connection, address = accepted
        try:
            listener.set_socket_options(connection)
        except OSError:  # the client has already gone
            connection.close()
            continue
        listener.channel_class(listener, connection, listener.fix_addr(address), listener.adj, map=listener._map)

