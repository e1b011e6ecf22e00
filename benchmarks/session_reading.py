"""How fast `read_sessions` reads session files (docs/session-format.md, docs/robustness.md).

Writes each file to a temporary folder, reads it with `read_sessions` three times and prints the
best processor time (this process's: steadier than wall time on a shared machine), the rate in MB
of file a second, and what reading it gave:

- a recording of 4,000 strokes of 50 timed points, as `--record` writes it (one line an action);
- the same 4,000 strokes as one line, and as a `.json` file (one session read whole);
- 48 KB of gzip holding 50 MB of blank lines, and with `--large`, 4 MB of gzip holding 4 GB.

    python benchmarks/session_reading.py [--large]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
import time
from pathlib import Path

from digitboard.core.actions import Stroke
from digitboard.sessions.files import read_sessions
from digitboard.sessions.format import SessionError
from digitboard.sessions.recording import Recorder


def strokes(count: int, rng: random.Random) -> list[Stroke]:
    """`count` strokes of 50 timed points, wandering as a pen does."""
    made, clock = [], 0.0
    for _ in range(count):
        x, y = rng.uniform(0, 640), rng.uniform(0, 480)
        points, times = [], []
        for _ in range(50):
            clock += rng.uniform(5, 20)
            x, y = x + rng.uniform(-3, 3), y + rng.uniform(-3, 3)
            points.append((round(x, 1), round(y, 1)))
            times.append(round(clock, 1))
        made.append(Stroke(tuple(points), tuple(times)))
    return made


def blank_gzip(path: Path, megabytes: int) -> None:
    """`megabytes` MB of newlines, gzipped at the best ratio, written a block at a time."""
    block = b"\n" * 1_000_000
    with gzip.open(path, "wb", compresslevel=9) as handle:
        for _ in range(megabytes):
            handle.write(block)


def best_read(path: Path, runs: int = 3) -> tuple[float, str]:
    """The best processor time of reading every session of `path`, and what it gave."""
    best, outcome = float("inf"), ""
    for _ in range(runs):
        start = time.process_time()
        try:
            outcome = f"{sum(len(session.actions) for session in read_sessions(path)):,} actions"
        except SessionError as error:
            outcome = str(error)
        best = min(best, time.process_time() - start)
    return best, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also 4 MB of gzip holding 4 GB of blank lines")
    args = parser.parse_args()
    made = strokes(4_000, random.Random(0))
    with tempfile.TemporaryDirectory() as folder:
        files = []
        recording = Path(folder) / "recording.jsonl"
        recorder = Recorder(recording, (640, 480))
        for stroke in made:
            recorder.add(stroke)
        recorder.close()
        files.append(("a recording, 4,000 strokes of 50 timed points", recording))
        session = json.dumps(recorder.session.to_json(), separators=(",", ":"))
        (Path(folder) / "one-line.jsonl").write_text(session + "\n")
        files.append(("the same as one line", Path(folder) / "one-line.jsonl"))
        (Path(folder) / "whole.json").write_text(session)
        files.append(("the same as a .json file", Path(folder) / "whole.json"))
        blank_gzip(Path(folder) / "blank.jsonl.gz", 50)
        files.append(("50 MB of blank lines, gzipped", Path(folder) / "blank.jsonl.gz"))
        if args.large:
            blank_gzip(Path(folder) / "blank-4g.jsonl.gz", 4_000)
            files.append(("4 GB of blank lines, gzipped", Path(folder) / "blank-4g.jsonl.gz"))
        print(f"{'file':<48} {'MB':>7} {'best s':>7} {'MB/s':>7}  outcome")
        for name, path in files:
            megabytes = path.stat().st_size / 1e6
            seconds, outcome = best_read(path, runs=1 if "blank" in name else 3)
            print(f"{name:<48} {megabytes:7.2f} {seconds:7.3f} {megabytes / seconds:7.1f}  {outcome}", flush=True)


if __name__ == "__main__":
    main()
