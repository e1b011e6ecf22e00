"""Load on the web board: concurrent clients posting real drawn sessions to `POST /api/read`.

Starts `digitboard serve` on a free localhost port (or uses --url), then:
1. 40-digit boards (four lines of ten real pen digits), posted one request at a time, the
   server's own time from its Server-Timing header, median and p99: each board first as a board
   never read before ("first read"), then another one the way the page posts it, after its last
   stroke, the board before that stroke having been posted just before ("after a stroke"). The
   server remembers each drawing's reading (digitboard.web.memo), so the two differ;
2. N concurrent clients, each on its own keep-alive connection, posting one-digit sessions (real
   UNIPEN pen digits, ../shared/data/unipen-dev.jsonl.gz, each at its own random size, so no
   drawing repeats) back to back, or at a fixed rate in all (--rate): requests per second, p50
   and p99 latency as the client sees it, and errors (any failure or status but 200).
Bounded in count and in time; it sends traffic to localhost only, unless --url says otherwise.

    python benchmarks/web_load.py                 # 16 clients for 10 s, at most 20,000 requests
    python benchmarks/web_load.py --clients 32 --seconds 5
    python benchmarks/web_load.py --rate 300      # 16 clients sending 300 requests/s in all, on a schedule
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from digitboard.core.drawing import extent, fit_height
from digitboard.training.data import DrawnDigit, default_unipen_path, load_unipen
from digitboard.web.app import WebConfig

WARM_UP_REQUESTS = 100
BIG_BOARD_REQUESTS = 40  # boards of each kind
ONE_DIGIT_SESSIONS = 30_000  # distinct one-digit sessions made, at most (one per request, and the warm-up)
BIG_BOARD = (1600, 900)
START_SECONDS = 60


def timed_session(strokes: list[np.ndarray], size: tuple[int, int]) -> bytes:
    """A session body as the page sends it: each point with its time, 8 ms apart, the pen lifted
    for 300 ms between strokes."""
    actions, ms = [], 0
    for stroke in strokes:
        points = []
        for x, y in stroke:
            ms += 8
            points.append([round(float(x), 1), round(float(y), 1), ms])
        actions.append({"stroke": points})
        ms += 300
    return json.dumps({"size": list(size), "actions": actions}, separators=(",", ":")).encode()


def one_digit_board(digit: DrawnDigit, rng: np.random.Generator) -> bytes:
    """One digit 90 to 260 px high at a random place on a 640x480 board, in whole pixels."""
    strokes = fit_height(digit.strokes, rng.uniform(90, 260))
    width, height = extent(strokes)
    if width > 620:  # a very wide scribble: shrink it to fit
        strokes = fit_height(digit.strokes, height * 620 / width)
        width, height = extent(strokes)
    at = (rng.uniform(10, max(10, 630 - width)), rng.uniform(10, max(10, 470 - height)))
    return timed_session([np.round(stroke + at) for stroke in strokes], (640, 480))


def forty_digit_strokes(digits: list[DrawnDigit], rng: np.random.Generator) -> list[np.ndarray]:
    """Four lines of ten digits, each 110 px high, a third of a height apart, on a 1600x900 board."""
    strokes = []
    for line in range(4):
        x = 20.0
        for digit in (digits[i] for i in rng.choice(len(digits), 10, replace=False)):
            placed = fit_height(digit.strokes, 110.0, (x, 40.0 + line * 210))
            strokes += [np.round(stroke) for stroke in placed]
            x += extent(placed)[0] + 110 / 3
    return strokes


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    server_times: list[float] = field(default_factory=list)  # milliseconds, from Server-Timing
    errors: list[str] = field(default_factory=list)
    digits: list[int] = field(default_factory=list)  # digits read on each board (the 40-digit boards)
    lock: threading.Lock = field(default_factory=threading.Lock)


def post(connection: http.client.HTTPConnection, path: str, body: bytes) -> tuple[int, bytes, float | None]:
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    timing = re.search(r"dur=([\d.]+)", response.getheader("Server-Timing") or "")
    return response.status, answer, float(timing[1]) if timing else None


def client(host: str, port: int, path: str, bodies: list[bytes], start: int, step: int, deadline: float,
           budget: list[int], results: Results, rate: float | None = None) -> None:
    """Post sessions on one keep-alive connection until the deadline or the budget: back to back,
    or with `rate` (this client's requests a second) each at its time on a fixed schedule, its
    latency counted from that time, so that a late answer also delays what waits behind it
    rather than hiding it (a closed loop's "coordinated omission")."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    index = 0
    bodies = bodies[start::step]  # a client of its own share: no session is posted twice unless the budget
    first = time.perf_counter() + (start / step / rate if rate else 0.0)  # the clients' schedules interleaved
    while time.monotonic() < deadline:
        with results.lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        body = bodies[index % len(bodies)]
        began = time.perf_counter()
        if rate:
            began = first + index / rate
            time.sleep(max(0.0, began - time.perf_counter()))
        index += 1
        try:
            status, answer, server_ms = post(connection, path, body)
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=30)
            with results.lock:
                results.errors.append(f"{type(error).__name__}: {error}")
            continue
        elapsed = time.perf_counter() - began
        with results.lock:
            if status == 200:
                results.latencies.append(elapsed)
                if server_ms is not None:
                    results.server_times.append(server_ms)
            else:
                results.errors.append(f"status {status}: {answer[:120]!r}")
    connection.close()


def start_server(threads: int, workers: int | None) -> tuple[subprocess.Popen, str]:
    options = ["--threads", str(threads)] + (["--workers", str(workers)] if workers else [])
    process = subprocess.Popen(
        [sys.executable, "-m", "digitboard", "serve", "--port", "0", *options],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )
    line = process.stdout.readline()
    match = re.search(r"(http://\S+/)", line)
    if not match:
        process.kill()
        raise SystemExit(f"digitboard serve did not start: {line!r}")
    return process, match[1]


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process and its child processes (the workers) have used
    so far; Linux only."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) or 0.0 for child in children)


def resident_mb(pid: int) -> float | None:
    """Resident memory of a process and its child processes (the workers), in MB; Linux only."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    own = int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024
    return own + sum(resident_mb(int(child)) or 0.0 for child in children)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default: 16)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the load runs, at most (default: 10)")
    parser.add_argument("--max-requests", type=int, default=20_000, help="requests under load, at most (default: 20,000)")
    parser.add_argument("--threads", type=int, default=WebConfig().threads,
                        help=f"the server's threads (digitboard serve --threads; default: {WebConfig().threads})")
    parser.add_argument("--workers", type=int, help="the server's processes (digitboard serve --workers; default: its own)")
    parser.add_argument("--url", help="an already running web board to load instead of starting one")
    parser.add_argument("--unipen", default=str(default_unipen_path()), help="UNIPEN .jsonl.gz")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate", type=float,
                        help="requests a second from all clients together, each on a fixed schedule (default: "
                             "back to back, as fast as answered); latency counts from each request's scheduled time")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256 or not 0 < args.seconds <= 300 or not 1 <= args.max_requests <= 1_000_000:
        parser.error("expected 1 to 256 clients, at most 300 seconds and 1 to 1,000,000 requests")
    if args.rate is not None and not 0 < args.rate <= 100_000:
        parser.error("--rate: expected a number of requests a second above 0")
    if not Path(args.unipen).is_file():
        print(f"web_load: no UNIPEN digits at {args.unipen}: the load needs real drawn sessions; "
              "pass --unipen PATH or set DIGITBOARD_UNIPEN", file=sys.stderr)
        return 2

    rng = np.random.default_rng(args.seed)
    digits = load_unipen(args.unipen)
    count = min(args.max_requests + WARM_UP_REQUESTS, ONE_DIGIT_SESSIONS)
    one_digit = [one_digit_board(digits[i], rng) for i in rng.choice(len(digits), count)]
    boards = [forty_digit_strokes(digits, rng) for _ in range(2 * BIG_BOARD_REQUESTS)]

    process = None
    url = args.url
    if url is None:
        process, url = start_server(args.threads, args.workers)
    parts = urlsplit(url)
    host, port, path = parts.hostname, parts.port or 80, parts.path.rstrip("/") + "/api/read"
    print(f"web_load: {url} ({'started here, --threads ' + str(args.threads) if process else 'given'}); "
          f"{len(one_digit)} one-digit sessions of {len(digits):,} UNIPEN digits; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} before")
    try:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        post(connection, path, one_digit[-1])  # every worker has loaded its model by its first answer
        memory_before = resident_mb(process.pid) if process else None
        for body in one_digit[-WARM_UP_REQUESTS:]:
            post(connection, path, body)

        first, after_stroke = Results(), Results()
        for number, strokes in enumerate(boards):
            if number % 2:  # the page posts the board after every stroke: the one before came first
                post(connection, path, timed_session(strokes[:-1], BIG_BOARD))
            body = timed_session(strokes, BIG_BOARD)
            results = after_stroke if number % 2 else first
            began = time.perf_counter()
            status, answer, server_ms = post(connection, path, body)
            if status != 200:
                raise SystemExit(f"web_load: a 40-digit board was not read: {status} {answer[:200]!r}")
            results.digits.append(len(json.loads(answer)["digits"]))
            results.latencies.append(time.perf_counter() - began)
            results.server_times.append(server_ms)
        connection.close()
        for name, results in (("first read", first), ("after a stroke", after_stroke)):
            print(f"40-digit boards, {name}: {len(results.server_times)} boards one at a time: server median "
                  f"{percentile(results.server_times, 50):.1f} ms, p99 {percentile(results.server_times, 99):.1f} ms; "
                  f"client median {percentile(results.latencies, 50) * 1000:.1f} ms; "
                  f"{sum(count == 40 for count in results.digits)} read as 40 digits")

        load = Results()
        budget = [args.max_requests]
        server_cpu = cpu_seconds(process.pid) if process else None
        client_cpu = time.process_time()
        began = time.monotonic()
        deadline = began + args.seconds
        threads = [
            threading.Thread(target=client, args=(host, port, path, one_digit[:-WARM_UP_REQUESTS], i, args.clients,
                                                  deadline, budget, load,
                                                  args.rate / args.clients if args.rate else None))
            for i in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
        client_cpu = time.process_time() - client_cpu
        if server_cpu is not None:
            server_cpu = cpu_seconds(process.pid) - server_cpu
        done = len(load.latencies)
        paced = f" paced at {args.rate:g} requests/s" if args.rate else ""
        print(f"{args.clients} clients{paced}, one-digit sessions, {wall:.1f} s: {done:,} answered, "
              f"{done / wall:,.0f} requests/s, p50 {percentile(load.latencies, 50) * 1000:.1f} ms, "
              f"p99 {percentile(load.latencies, 99) * 1000:.1f} ms, max {max(load.latencies, default=0) * 1000:.1f} ms, "
              f"errors {len(load.errors)}; server time median {percentile(load.server_times, 50):.2f} ms")
        for error in sorted(set(load.errors))[:5]:
            print(f"  error: {error}")
        server_share = f"server {server_cpu / wall:.2f} cores, " if server_cpu is not None else ""
        print(f"CPU under load: {server_share}these clients {client_cpu / wall:.2f} cores; "
              f"load average {os.getloadavg()[0]:.1f} after")
        if memory_before is not None:
            memory_after = resident_mb(process.pid)
            print(f"server memory (all its processes, resident): {memory_before:.0f} MB after its first answer, "
                  f"{memory_after:.0f} MB after {WARM_UP_REQUESTS + 2 * BIG_BOARD_REQUESTS + done:,} requests of drawings "
                  f"never seen before")
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
            process.stdout.close()
    return 1 if load.errors else 0


if __name__ == "__main__":
    sys.exit(main())
