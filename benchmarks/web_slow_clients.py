"""Slow clients beside normal ones: can connections that trickle their headers a byte a second
keep the web board from answering everyone else?

Starts `digitboard serve` on a free localhost port (its default workers, or --workers), opens
--slow connections that each send a request's first line and then one byte of header a second,
never finishing, and meanwhile posts --requests real one-digit sessions (UNIPEN pen digits) from
--clients normal clients, one request at a time each, --pause seconds apart. Prints how many normal requests were
answered, their p50, p99 and max latency, and whether the slow connections were still open at
the end (they must be held, not refused, for the test to mean anything). With --costly N, N more
clients post the costliest requests back to back meanwhile (benchmarks/web_worst.py's: at the
bounds, of drawings never seen before, and floods of a full body the server refuses), from another
local address (127.0.0.2, as another machine), and it prints how many of those were answered and how.

Bounded in time (--seconds, at most 120) and in count (at most 200 slow connections and 2,000
requests); it sends traffic to localhost only.

    python benchmarks/web_slow_clients.py                    # 50 slow, 4 clients, 200 requests
    python benchmarks/web_slow_clients.py --workers 1
    python benchmarks/web_slow_clients.py --slow 0 --costly 16  # 16 costly clients beside the normal ones
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from web_load import one_digit_board, percentile, post, start_server
from web_worst import bridged, bridged_in_few_bytes, key_flood, many_digits, overlapping, tiny_strokes

from digitboard.training.data import default_unipen_path, load_unipen
from digitboard.web.app import WebConfig


def trickle(host: str, port: int, stop: threading.Event, opened: list[int], still_open: list[int]) -> None:
    """Open a connection, send a request line, then a header one byte a second until `stop`."""
    try:
        connection = socket.create_connection((host, port), timeout=5)
    except OSError:
        return
    opened[0] += 1
    header = b"POST /api/read HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 10_000
    try:
        connection.sendall(header[:30])
        for byte in header[30:]:
            if stop.wait(1.0):
                break
            connection.sendall(bytes([byte]))
        else:
            return
        still_open[0] += 1  # it was never cut off
    except OSError:
        pass
    finally:
        connection.close()


def normal_client(host: str, port: int, path: str, bodies: list[bytes], latencies: list[float], errors: list[str],
                  deadline: float, pause: float) -> None:
    """Post each session on its own connection, `pause` seconds apart, as a browser tab would."""
    for body in bodies:
        time.sleep(pause)
        if time.monotonic() > deadline:
            errors.append("not sent: out of time")
            continue
        began = time.perf_counter()
        connection = http.client.HTTPConnection(host, port, timeout=max(1.0, deadline - time.monotonic()))
        try:
            status, answer, _ = post(connection, path, body)
        except (OSError, http.client.HTTPException) as error:
            errors.append(f"{type(error).__name__}: {error}")
            continue
        finally:
            connection.close()
        if status == 200:
            latencies.append(time.perf_counter() - began)
        else:
            errors.append(f"status {status}: {answer[:80]!r}")


# The costly clients' own address, as another machine's: the server tells clients apart by
# address (digitboard.web.costs). All of 127.0.0.0/8 is this machine's on Linux; elsewhere, or if
# it cannot be bound, they share the normal clients' address.
COSTLY_ADDRESS = "127.0.0.2"


def costly_source(host: str) -> tuple[str, int] | None:
    if host != "127.0.0.1":
        return None
    try:
        with socket.socket() as probe:
            probe.bind((COSTLY_ADDRESS, 0))
    except OSError:
        return None
    return COSTLY_ADDRESS, 0


def costly_client(host: str, port: int, path: str, bodies: list[bytes], stop: threading.Event,
                  outcomes: list[str]) -> None:
    """Post the costliest requests back to back, each on its own connection, until `stop`."""
    number = 0
    source = costly_source(host)
    while not stop.is_set():
        body = bodies[number % len(bodies)]
        number += 1
        connection = http.client.HTTPConnection(host, port, timeout=60, source_address=source)
        try:
            status, _, _ = post(connection, path, body)
            outcomes.append(str(status))
        except (OSError, http.client.HTTPException) as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=50, help="connections trickling their headers (default: 50)")
    parser.add_argument("--clients", type=int, default=4, help="normal clients (default: 4)")
    parser.add_argument("--requests", type=int, default=200, help="normal requests in all (default: 200)")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between a client's requests (default: 0.3)")
    parser.add_argument("--seconds", type=float, default=60.0, help="the most the run may take (default: 60)")
    parser.add_argument("--workers", type=int, help="the server's processes (digitboard serve --workers)")
    parser.add_argument("--threads", type=int, default=WebConfig().threads,
                        help=f"the server's threads (digitboard serve --threads; default: {WebConfig().threads})")
    parser.add_argument("--costly", type=int, default=0, help="clients posting the costliest requests (default: 0)")
    parser.add_argument("--unipen", default=str(default_unipen_path()), help="UNIPEN .jsonl.gz")
    args = parser.parse_args(argv)
    if not (0 <= args.slow <= 200 and 0 <= args.costly <= 32 and 1 <= args.clients <= 32 and 1 <= args.requests <= 2000
            and 0 < args.seconds <= 120 and 0 <= args.pause <= 5):
        parser.error("expected 0 to 200 slow connections, 1 to 32 clients, 1 to 2,000 requests, at most 120 seconds")
    if not Path(args.unipen).is_file():
        print(f"web_slow_clients: no UNIPEN digits at {args.unipen}; pass --unipen PATH", file=sys.stderr)
        return 2
    rng = np.random.default_rng(0)
    digits = load_unipen(args.unipen)
    bodies = [one_digit_board(digits[i], rng) for i in rng.choice(len(digits), args.requests)]
    costly_bodies = [json.dumps(make(rng)).encode() for _ in range(10)
                     for make in (overlapping, many_digits, bridged, bridged_in_few_bytes, key_flood, tiny_strokes)] \
        if args.costly else []

    process, url = start_server(args.threads, args.workers)
    parts = urlsplit(url)
    host, port, path = parts.hostname, parts.port, "/api/read"
    stop = threading.Event()
    opened, still_open = [0], [0]
    try:
        slow = [threading.Thread(target=trickle, args=(host, port, stop, opened, still_open), daemon=True)
                for _ in range(args.slow)]
        for thread in slow:
            thread.start()
        costly_outcomes: list[str] = []
        costly = [threading.Thread(target=costly_client, args=(host, port, path, costly_bodies[i::args.costly] or costly_bodies,
                                                                 stop, costly_outcomes), daemon=True)
                  for i in range(args.costly)]
        for thread in costly:
            thread.start()
        time.sleep(3.0)  # every slow connection open and trickling before the normal requests
        latencies: list[float] = []
        errors: list[str] = []
        deadline = time.monotonic() + args.seconds
        shares = [bodies[i::args.clients] for i in range(args.clients)]
        clients = [threading.Thread(target=normal_client, args=(host, port, path, share, latencies, errors, deadline,
                                                                      args.pause))
                   for share in shares]
        began = time.monotonic()
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        wall = time.monotonic() - began
        stop.set()
        for thread in slow + costly:
            thread.join(timeout=60)
        print(f"web_slow_clients: {url} (workers: {args.workers or 'default'}), {os.cpu_count()} CPUs; "
              f"{opened[0]} of {args.slow} slow connections opened, {still_open[0]} still open and trickling at the end")
        print(f"{args.clients} normal clients, {len(latencies)} of {args.requests} requests answered in {wall:.1f} s: "
              f"p50 {percentile(latencies, 50) * 1000:.1f} ms, p99 {percentile(latencies, 99) * 1000:.1f} ms, "
              f"max {max(latencies, default=0) * 1000:.1f} ms; errors {len(errors)}")
        if args.costly:
            tally = {outcome: costly_outcomes.count(outcome) for outcome in sorted(set(costly_outcomes))}
            source = costly_source(host)
            print(f"{args.costly} costly clients (from {source[0] if source else host}): {len(costly_outcomes)} requests, answered {tally}")
        for error in sorted(set(errors))[:5]:
            print(f"  error: {error}")
    finally:
        stop.set()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        process.stdout.close()
    return 1 if errors or len(latencies) < args.requests else 0


if __name__ == "__main__":
    sys.exit(main())
