"""What a large profile costs: a board's start, read-only replay, the counts, replay keeping every
correction, and a correction made while another program imports (docs/learning.md, "What a
large profile costs").

    python benchmarks/profile_costs.py                       # everything, profiles built in a temporary folder
    python benchmarks/profile_costs.py --folder DIR          # keep the built profiles in DIR for the next run
    python benchmarks/profile_costs.py --only start,replay   # some of: start, replay, json, update, stall

The profiles hold UNIPEN digits (the writers' own strokes), two corrections to one digit let
stand, made one second apart, as an import of a year of use would give, without embeddings (an
older profile, or one written by another model). The commands run as the user runs them, each in
a process of its own, whose peak resident memory is read from the kernel's accounting.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from digitboard import DEFAULT_MODEL
from digitboard.profile.examples import Example
from digitboard.profile.learner import PersonalRecognizer, embed_examples
from digitboard.profile.loading import model_fingerprint, window_learner
from digitboard.profile.store import Profile
from digitboard.recognition.preprocess import digit_image
from digitboard.recognition.recognizer import load_recognizer
from digitboard.training.data import default_unipen_path

SIZES = {"start": 20_000, "large": 200_000}
CORRECTIONS = 100_000
ONE = [[300, 100], [300, 210]]


def unipen_strokes(path: Path) -> list[tuple[int, list[np.ndarray]]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [(int(row["label"]), [np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in row["strokes"]])
                for row in map(json.loads, lines)]


def build(path: Path, count: int, digits: list[tuple[int, list[np.ndarray]]]) -> None:
    """A profile of `count` examples without embeddings, unless one is there already."""
    if path.exists():
        return
    started = time.perf_counter()
    building = path.with_name(path.name + ".building")
    building.unlink(missing_ok=True)
    profile = Profile(building)
    for first in range(0, count, 20_000):  # one transaction per 20,000: bounded memory while building
        examples = [Example(label, strokes, accepted=index % 3 == 2, created=1.6e9 + index)
                    for index in range(first, min(count, first + 20_000))
                    for label, strokes in [digits[index % len(digits)]]]
        profile.merge(examples)
    profile.close()
    os.replace(building, path)
    print(f"built {path.name}: {count:,} examples in {time.perf_counter() - started:.0f} s, "
          f"{path.stat().st_size / 2**20:.0f} MiB", flush=True)


def measured(command: list[str], **kwargs) -> tuple[float, float, float]:
    """(seconds, peak resident MB, CPU seconds) of a command run in a process of its own."""
    wrapper = ("import resource, subprocess, sys, time; start = time.perf_counter(); "
               "result = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
               "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
               "print(time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, result.returncode); "
               "sys.stderr.buffer.write(result.stderr)")
    result = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, **kwargs)
    seconds, kilobytes, cpu, status = result.stdout.split()
    if int(status) != 0:
        raise SystemExit(f"{' '.join(command)} exited {status}: {result.stderr.strip()}")
    return float(seconds), int(kilobytes) / 1024, float(cpu)


def digitboard(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "digitboard", *arguments]


def start(folder: Path, model: Path) -> None:
    """A board's start: what the window waits for before its first reading with the examples."""
    recognizer = load_recognizer(model)
    fingerprint = model_fingerprint(model)
    source = folder / f"start-{SIZES['start']}.sqlite"
    profile = folder / "start-copy.sqlite"
    shutil.copyfile(source, profile)  # its embeddings are stored by the first start: a fresh copy each run
    print(f"a board's start on {SIZES['start']:,} examples stored without embeddings, the model loaded "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    runs = []
    for run in range(6):
        started, cpu = time.perf_counter(), time.process_time()
        learner = window_learner(recognizer, profile, fingerprint=fingerprint)
        identity = time.perf_counter() - started
        learner._loading.join()
        runs.append((time.perf_counter() - started, identity, time.process_time() - cpu))
        learner.close()
        if run == 0:
            print(f"  first start (embeds the {len(learner.examples):,} examples in use, stores them): "
                  f"{runs[0][0] * 1000:.0f} ms until they are in use, CPU {runs[0][2] * 1000:.0f} ms")
    later = runs[1:]
    print(f"  next starts (embeddings stored), {len(later)} of them: median {statistics.median(r[0] for r in later) * 1000:.0f} ms "
          f"until the examples are in use (max {max(r[0] for r in later) * 1000:.0f}), of which before the window "
          f"opens (the ids) {statistics.median(r[1] for r in later) * 1000:.0f} ms; CPU median "
          f"{statistics.median(r[2] for r in later) * 1000:.0f} ms")
    started = time.perf_counter()
    everything = Profile(source).examples()
    read = time.perf_counter() - started
    started = time.perf_counter()
    embed_examples(recognizer, everything, fingerprint)
    print(f"  as before (every example read, then every one embedded, at every start): reading "
          f"{read * 1000:.0f} ms, embedding {time.perf_counter() - started:.1f} s")


def replay(folder: Path, model: Path) -> None:
    """Read-only replay of one short session with a large profile, against none."""
    session = folder / "one-stroke.jsonl"
    session.write_text(json.dumps({"size": [640, 480], "strokes": [ONE]}) + "\n")
    large = folder / f"large-{SIZES['large']:_}.sqlite"
    used = folder / f"large-{SIZES['large']:_}-used.sqlite"
    if not used.exists():  # as a board leaves it: the embeddings of the examples in use stored by its start
        shutil.copyfile(large, used)
        learner = window_learner(load_recognizer(model), used, fingerprint=model_fingerprint(model))
        learner._loading.join()
        learner.close()
    print(f"replay of one stroke, read only (load average {os.getloadavg()[0]:.1f}):")
    for name, options in (("no profile", []),
                          (f"--profile of {SIZES['large']:,} examples, none embedded", ["--profile", str(large)]),
                          (f"--profile of {SIZES['large']:,} examples a board has used", ["--profile", str(used)])):
        runs = [measured(digitboard("replay", "--model", str(model), *options, str(session))) for _ in range(3)]
        print(f"  {name}: median {statistics.median(run[0] for run in runs):.2f} s "
              f"(CPU {statistics.median(run[2] for run in runs):.2f} s), peak {max(run[1] for run in runs):.0f} MB "
              "resident (3 runs)")


def counts(folder: Path) -> None:
    large = folder / f"large-{SIZES['large']:_}.sqlite"
    seconds, megabytes, cpu = measured(digitboard("profile", "--profile", str(large), "--json"))
    print(f"profile --json on {SIZES['large']:,} examples ({large.stat().st_size / 2**20:.0f} MiB): "
          f"{seconds:.2f} s (CPU {cpu:.2f} s), peak {megabytes:.0f} MB resident")


def update(folder: Path, model: Path) -> None:
    """replay --update-profile of one digit corrected 100,000 times, against replay without a profile."""
    session = folder / "corrections.jsonl"
    actions = [{"stroke": ONE}] + [{"correct": {"at": [300, 150], "label": index % 10}} for index in range(CORRECTIONS)]
    session.write_text(json.dumps({"size": [640, 480], "actions": actions}) + "\n")
    print(f"replay of one digit corrected {CORRECTIONS:,} times (load average {os.getloadavg()[0]:.1f}):")
    seconds, cpu = {}, {}
    for name in ("no profile", "--profile NEW --update-profile"):
        target = folder / "updated.sqlite"
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        options = ["--profile", str(target), "--update-profile"] if "update" in name else []
        seconds[name], megabytes, cpu[name] = measured(digitboard("replay", "--model", str(model), *options, str(session)))
        kept = f"; {len(Profile(target).read().examples):,} examples kept" if options else ""
        print(f"  {name}: {seconds[name]:.1f} s (CPU {cpu[name]:.1f} s), peak {megabytes:.0f} MB{kept}")
    kept = "--profile NEW --update-profile"
    print(f"  --update-profile takes {seconds[kept] / seconds['no profile']:.2f}x the time "
          f"({cpu[kept] / cpu['no profile']:.2f}x the CPU time)")


def stall(folder: Path, model: Path) -> None:
    """How long a correction holds the frame thread while another program imports into the profile."""
    recognizer = load_recognizer(model)
    source = folder / f"start-{SIZES['start']}.sqlite"
    image = digit_image([np.asarray(ONE, float)])
    print(f"a correction made while `profile --import` adds {SIZES['start']:,} examples to the same profile:")
    for name, behind in (("written on the frame thread (as before)", False), ("written behind, by the learner's thread", True)):
        target = folder / "importing.sqlite"
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        Profile(target).create()
        learner = PersonalRecognizer(recognizer, journal=Profile(target), write_behind=behind)
        importing = subprocess.Popen(digitboard("profile", "--profile", str(target), "--import", str(source)),
                                     stdout=subprocess.DEVNULL)
        probe = sqlite3.connect(target, timeout=0, isolation_level=None)
        while importing.poll() is None:  # until the import holds the profile
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            except sqlite3.OperationalError:
                break
        waits = []
        while importing.poll() is None and len(waits) < 20:
            started = time.perf_counter()
            learner.learn(image, [np.asarray(ONE, float)], 1)
            waits.append((time.perf_counter() - started) * 1000)
            time.sleep(1 / 60)  # a frame
        importing.wait()
        probe.close()
        learner.close()
        held = len(Profile(target).read().examples)
        print(f"  {name}: {len(waits)} corrections during the import, the longest held its frame "
              f"{max(waits, default=0):.1f} ms (median {statistics.median(waits or [0]):.2f} ms); "
              f"the profile holds {held:,} examples afterwards")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, help="keep the built profiles here (default: a temporary folder)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--unipen", type=Path, default=default_unipen_path())
    parser.add_argument("--only", default="start,replay,json,update,stall")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.folder or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        digits = unipen_strokes(args.unipen)
        if parts & {"start", "stall"}:
            build(folder / f"start-{SIZES['start']}.sqlite", SIZES["start"], digits)
        if parts & {"replay", "json"}:
            build(folder / f"large-{SIZES['large']:_}.sqlite", SIZES["large"], digits)
        for part, run in (("start", lambda: start(folder, args.model)), ("replay", lambda: replay(folder, args.model)),
                          ("json", lambda: counts(folder)), ("update", lambda: update(folder, args.model)),
                          ("stall", lambda: stall(folder, args.model))):
            if part in parts:
                run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
