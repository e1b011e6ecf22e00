"""`digitboard serve --workers N`: the web board in N processes, each a waitress server on one
listening socket they share (the kernel hands each new connection to one of them). A single
process is bound by Python's GIL to about one core, whatever its threads; two workers on two
cores answer about twice the requests (docs/web.md, Load). This needs fork (not on Windows);
there, and with `--workers 1`, `digitboard serve` runs waitress in its own process.

Each worker is a waitress, so each reads every request whole before its threads see it: slow
or stalled clients hold connections, never the threads that read digits. Each worker builds the
application and loads the model after it forks: ONNX Runtime's state does not survive a fork.
The model file is checked and the socket bound before any worker starts, so a bad model or a
port in use stops `digitboard serve` with one line. A worker that dies is started again; one
that dies within seconds of starting (it cannot load the model) stops them all.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time

from digitboard import platforms
from digitboard.web.app import WebConfig, board_url, cannot_listen

QUICK_DEATH_SECONDS = 10  # a worker that dies sooner after starting will not do better if started again
STOP_SECONDS = 10  # how long workers get to finish their requests when stopped


class _Stop(BaseException):
    """SIGTERM or SIGINT arrived (a BaseException, as KeyboardInterrupt is: a worker stopped while
    it loads the model must stop, not take the stop for the model's failure)."""


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
    return listener


def _worker(config: WebConfig, listener: socket.socket) -> None:
    """A worker process's life: build the application, answer until told to stop; never returns."""
    from digitboard.web.app import create_app
    from digitboard.web.waitress_server import create_server

    def stop(signum, frame) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    try:
        server = create_server(create_app(config), config, listener)
        try:
            server.run()
        finally:
            server.close()
    except (_Stop, KeyboardInterrupt):
        pass
    except Exception:  # noqa: BLE001 - any failure: said on the terminal, and the worker still leaves by _exit
        import traceback

        traceback.print_exc()
        status = 1
    os._exit(status)  # never back into the parent's code, whose copy this process holds


def _start(config: WebConfig, listener: socket.socket) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = platforms.fork_worker()
    if pid == 0:
        _worker(config, listener)
    return pid


def run_workers(config: WebConfig) -> int:
    """Serve the web board in config.workers processes until interrupted."""
    from digitboard.recognition.modelfile import check_model_file

    check_model_file(config.model)
    listener = listening_socket(config.host, config.port)
    url = board_url(*listener.getsockname()[:2])

    def stop(signum, frame) -> None:
        raise _Stop

    previous = signal.signal(signal.SIGTERM, stop)
    workers: dict[int, float] = {}  # process id -> when it started
    status = 0
    try:
        for _ in range(config.workers):
            workers[_start(config, listener)] = time.monotonic()
        print(f"digitboard: the web board is at {url} ({config.workers} workers; Ctrl+C stops it)", flush=True)
        while True:
            pid, _ = os.wait()
            started = workers.pop(pid, None)
            if started is None:
                continue
            if time.monotonic() - started < QUICK_DEATH_SECONDS:
                print("digitboard serve: a worker stopped as it started (its error is above); stopping",
                      file=sys.stderr, flush=True)
                status = 1
                break
            workers[_start(config, listener)] = time.monotonic()
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop_workers(workers)
        listener.close()
    return status


def _stop_workers(workers: dict[int, float]) -> None:
    """Ask every worker to stop, wait for them a while, then make them."""
    for pid in workers:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_SECONDS
    waiting = set(workers)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    waiting.discard(pid)
            except ChildProcessError:
                waiting.discard(pid)
        time.sleep(0.05)
    for pid in waiting:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
