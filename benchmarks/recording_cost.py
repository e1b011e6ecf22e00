"""What `--record` costs the frame loop per action, early and late in a long session.

Records strokes of 50 timed points (a digit stroke drawn in about 0.8 s) into a `.jsonl` and a
`.json` file and prints, for each, the median and the largest time of `Recorder.add` over the
100 strokes before stroke 100 and before stroke 4,000, and how long `sync` then waits for the
file to catch up (fsync for `.jsonl`, the last whole rewrite for `.json`).

    python benchmarks/recording_cost.py [--strokes 4000] [--folder DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from digitboard.core.actions import Stroke
from digitboard.sessions.recording import Recorder


def stroke(n: int) -> Stroke:
    points = tuple((100.0 + (n % 40) * 13.5 + i * 0.7, 80.0 + (n // 40 % 30) * 11.25 + i * 2.1) for i in range(50))
    return Stroke(points, tuple(n * 1500.0 + i * 16.7 for i in range(50)))


def measure(path: Path, strokes: int) -> dict[str, float]:
    recorder = Recorder(path, (640, 480))
    seconds = []
    for n in range(strokes):
        action = stroke(n)
        start = time.perf_counter()
        recorder.add(action)
        seconds.append(time.perf_counter() - start)
    start = time.perf_counter()
    recorder.sync()
    sync = time.perf_counter() - start
    recorder.close()
    early, late = seconds[:100], seconds[-100:]
    return {"early median": statistics.median(early), "early max": max(early),
            "late median": statistics.median(late), "late max": max(late), "sync": sync,
            "MB": path.stat().st_size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=4000)
    parser.add_argument("--folder", help="where to write (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        for name in ("session.jsonl", "session.json"):
            result = measure(Path(folder) / name, args.strokes)
            print(f"{name:14} add, strokes 1-100: median {result['early median'] * 1e3:.3f} ms, "
                  f"max {result['early max'] * 1e3:.2f} ms; strokes {args.strokes - 99}-{args.strokes}: "
                  f"median {result['late median'] * 1e3:.3f} ms, max {result['late max'] * 1e3:.2f} ms; "
                  f"then sync {result['sync'] * 1e3:.1f} ms; file {result['MB']:.1f} MB")


if __name__ == "__main__":
    main()
