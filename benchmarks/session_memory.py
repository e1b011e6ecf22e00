"""Peak memory of reading and replaying long session lines (docs/session-format.md, docs/robustness.md).

Writes each line to a temporary folder, then runs it in a fresh process: `digitboard replay FILE`
(with the shipped model) or, for sessions within the limits that would take long to replay
through the board, only the reading (`read_sessions`). Prints each process's own peak resident
memory (Linux's VmHWM) and wall time. Usage: python benchmarks/session_memory.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run in a fresh process; prints its own peak resident memory (VmHWM, reset at exec: the
# parent's size, which wait4's ru_maxrss can include, never counts) as its last line.
CHILD = """
import sys
from digitboard.sessions.files import read_sessions

mode, path = sys.argv[1:]
if mode == "replay":
    from digitboard.cli import main
    status = main(["replay", path])
else:
    sessions = list(read_sessions(path))
    print(len(sessions), "session(s),", sum(len(s.actions) for s in sessions), "actions")
    status = 0
sys.stdout.flush()
with open("/proc/self/status") as lines:
    peak_kb = next(line for line in lines if line.startswith("VmHWM:")).split()[1]
print("peak", int(peak_kb) / 1024, file=sys.stderr)
sys.exit(status)
"""


def dots(count: int, rng: random.Random) -> str:
    """`count` one-point strokes with coordinates of one or two digits: about 9 bytes each."""
    strokes = ",".join(f"[[{rng.randrange(100)},{rng.randrange(10)}]]" for _ in range(count))
    return '{"size":[640,480],"strokes":[' + strokes + "]}\n"


def one_stroke(points: int) -> str:
    return '{"size":[640,480],"strokes":[[' + ",".join(["[1,2]"] * points) + "]]}\n"


def timed_stroke(points: int, rng: random.Random) -> str:
    """One stroke of `points` timed points, written as a pen writes them: about 25 bytes a point."""
    text = ",".join(f"[{rng.uniform(0, 640):.1f},{rng.uniform(0, 480):.1f},{8.3 * n:.1f}]" for n in range(points))
    return '{"size":[640,480],"strokes":[[' + text + "]]}\n"


def handwriting(strokes: int, rng: random.Random) -> str:
    """A long evening of handwriting: `strokes` strokes of 50 timed points."""
    actions = []
    clock = 0.0
    for _ in range(strokes):
        x, y = rng.uniform(0, 640), rng.uniform(0, 480)
        points = []
        for _ in range(50):
            clock += rng.uniform(5, 20)
            x, y = x + rng.uniform(-3, 3), y + rng.uniform(-3, 3)
            points.append([round(x, 1), round(y, 1), round(clock, 1)])
        actions.append({"stroke": points})
    return json.dumps({"size": [640, 480], "actions": actions}, separators=(",", ":")) + "\n"


def run(mode: str, path: Path) -> tuple[int, str, float, float]:
    """(exit status, what it said, peak resident MB, seconds) of one fresh process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, mode, str(path)], capture_output=True, text=True,
                          env=env, check=False)
    seconds = time.perf_counter() - started
    *said, peak = (done.stdout + done.stderr).splitlines()
    outcome = said[-1] if said else ""
    if mode == "replay" and outcome.startswith("{"):
        outcome = f"replayed: {len(json.loads(outcome)['digits'])} digits"
    return done.returncode, outcome[:110], float(peak.split()[1]), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the two target lines")
    args = parser.parse_args()
    rng = random.Random(0)
    cases = [
        ("one short session (the runtime alone)", "replay", lambda: '{"size":[640,480],"strokes":[[[1,2],[3,4]]]}\n'),
        ("3,000,000 dots (over the action limit)", "replay", lambda: dots(3_000_000, rng)),
        ("one stroke of 5.6 million points, 32 MiB (over the point limit)", "replay", lambda: one_stroke(5_592_395)),
    ]
    if not args.quick:
        cases += [
            ("one stroke of 1,200,000 timed points (within the limits)", "replay", lambda: timed_stroke(1_200_000, rng)),
            ("1,000,000 dots (at the action limit)", "read", lambda: dots(1_000_000, rng)),
            ("one stroke of 1,900,000 points (within the point limit)", "read", lambda: one_stroke(1_900_000)),
            ("4,000 strokes of 50 timed points (handwriting)", "read", lambda: handwriting(4_000, rng)),
        ]
    print(f"{'line':<66} {'MB':>6} {'mode':<6} {'exit':>4} {'peak MB':>8} {'x line':>7} {'s':>6}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        for name, mode, make in cases:
            path = Path(folder) / "line.jsonl"
            text = make()
            path.write_text(text)
            del text
            megabytes = path.stat().st_size / 1e6
            status, said, peak, seconds = run(mode, path)
            print(f"{name:<66} {megabytes:6.1f} {mode:<6} {status:>4} {peak:8.0f} {peak / max(megabytes, 1):7.1f} "
                  f"{seconds:6.1f}  {said}", flush=True)


if __name__ == "__main__":
    main()
