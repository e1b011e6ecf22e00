"""`digitboard serve`: the web board on a production WSGI server: gunicorn workers, a core each,
where processes fork (digitboard.web.workers); waitress, which runs everywhere, in one process
otherwise or with `--workers 1`. Either way the server keeps no state between requests.
"""

from __future__ import annotations

from flask import Flask

from digitboard.web.app import WebConfig, board_url, cannot_listen, create_app

# waitress reads a whole request body before the application sees it, and would spill bodies
# over 512 KiB to a temporary file. Bodies up to this size are held in memory and reach the
# application, which refuses those over 1 MiB with a JSON 413; waitress refuses larger ones
# itself, unread. Nothing is ever written to disk.
BODY_BUFFER_BYTES = 4 * 1024 * 1024
RESPONSE_BUFFER_BYTES = 16 * 1024 * 1024  # far above the largest answer, so never a file either


def create_server(app: Flask, config: WebConfig):
    """A waitress server for `app`, listening on the configured address (not yet answering)."""
    import waitress

    try:
        return waitress.create_server(
            app,
            host=config.host,
            port=config.port,
            threads=config.threads,
            max_request_body_size=BODY_BUFFER_BYTES,
            inbuf_overflow=BODY_BUFFER_BYTES + 1,
            outbuf_overflow=RESPONSE_BUFFER_BYTES,
            ident="digitboard",
        )
    except OSError as error:
        raise cannot_listen(config.host, config.port, error) from None


def server_url(server) -> str:
    """The address a server actually listens on: --port 0 lets the system choose the port."""
    return board_url(server.effective_host, server.effective_port)


def run_serve(config: WebConfig) -> int:
    """Load the model once, then answer requests until interrupted (in config.workers processes)."""
    import logging

    logging.basicConfig(format="digitboard serve: %(levelname)s %(name)s: %(message)s")  # errors to stderr
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "all threads busy" is normal under load
    if config.workers > 1:
        from digitboard.web.workers import run_workers

        return run_workers(config)
    server = create_server(create_app(config), config)
    print(f"digitboard: the web board is at {server_url(server)} (Ctrl+C stops it)", flush=True)
    try:
        server.run()
    finally:
        server.close()
    return 0
