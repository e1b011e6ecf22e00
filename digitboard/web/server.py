"""`digitboard serve`: the web board on waitress, a production WSGI server that runs everywhere
(digitboard.web.waitress_server): in one process, or in one a core where processes fork
(digitboard.web.workers). Either way the server keeps no state between requests.
"""

from __future__ import annotations

import dataclasses
import sys

from digitboard import platforms
from digitboard.web.app import WebConfig, create_app
from digitboard.web.waitress_server import create_server, server_url

__all__ = ["create_server", "run_serve", "server_url"]


def run_serve(config: WebConfig) -> int:
    """Load the model once, then answer requests until interrupted (in config.workers processes)."""
    import logging

    logging.basicConfig(format="digitboard serve: %(levelname)s %(name)s: %(message)s")  # errors to stderr
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "all threads busy" is normal under load
    if config.workers > 1 and not platforms.can_fork():
        print(f"digitboard serve: --workers {config.workers} needs processes that fork (Linux, macOS), which this "
              "system has not; serving in one process", file=sys.stderr, flush=True)
        config = dataclasses.replace(config, workers=1)
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
