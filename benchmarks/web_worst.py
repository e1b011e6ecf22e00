"""The costliest requests the web board accepts: how long one takes a worker, at the bounds.

Builds requests at the web board's bounds (digitboard.web.app: actions, points, corrections,
examples), each of drawings never seen before (the server remembers drawings it has read, so a
repeat would be cheap), and times each in the application itself, with the shipped model, one at
a time: the server's own time (Server-Timing), as a worker spends it. The target is at most
about 100 ms for each. Bounded: --repeats (at most 20) of each kind; nothing goes over a network.

    python benchmarks/web_worst.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

import numpy as np

from digitboard.web.app import (
    EXAMPLES_REFUSED,
    MAX_BODY_BYTES,
    MAX_CORRECTIONS,
    MAX_EXAMPLE_POINTS,
    MAX_EXAMPLES,
    WEB_LIMITS,
    WebConfig,
    create_app,
)

SIZE = [1600, 900]


def wiggle(rng: np.random.Generator, count: int, centre: tuple[float, float], radius: float) -> list[list[float]]:
    """A stroke of `count` distinct points wandering around `centre`."""
    angles = np.cumsum(rng.uniform(0.05, 0.4, count))
    radii = radius * (0.5 + 0.5 * np.sin(np.arange(count) * rng.uniform(0.05, 0.3)))
    points = np.stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)], axis=1)
    points += rng.uniform(-0.4, 0.4, points.shape)
    return np.round(points, 1).tolist()


def overlapping(rng: np.random.Generator) -> dict:
    """Every stroke over the last one: a single digit of many strokes, corrected again and again."""
    strokes = WEB_LIMITS.actions - MAX_CORRECTIONS
    points = WEB_LIMITS.points // strokes
    actions, every = [], strokes // MAX_CORRECTIONS
    for number in range(strokes):
        actions.append({"stroke": wiggle(rng, points, (400, 400), 120)})
        if number % every == every - 1 and len(actions) < WEB_LIMITS.actions:
            actions.append({"correct": {"at": [400, 400], "label": int(rng.integers(10))}})
    return {"size": SIZE, "actions": actions}


def many_digits(rng: np.random.Generator) -> dict:
    """As many separate digits as the bounds allow, every one corrected that the bounds allow."""
    strokes = WEB_LIMITS.actions - MAX_CORRECTIONS
    points = WEB_LIMITS.points // strokes
    actions, centres = [], []
    for number in range(strokes):
        centre = (40 + 55 * (number % 28), 40 + 55 * (number // 28))
        centres.append(centre)
        actions.append({"stroke": wiggle(rng, points, centre, 20)})
        if number % (strokes // MAX_CORRECTIONS) == 0 and len(actions) - number - 1 < MAX_CORRECTIONS:
            actions.append({"correct": {"at": list(centre), "label": int(rng.integers(10))}})
    return {"size": SIZE, "actions": actions}


def straight(rng: np.random.Generator, start: tuple[float, float], end: tuple[float, float], count: int) -> list[list[float]]:
    """A stroke of `count` points from `start` to `end`, a little unsteady."""
    along = np.linspace(0, 1, count)[:, None]
    points = np.array(start) + along * (np.array(end) - np.array(start)) + rng.uniform(-0.3, 0.3, (count, 2))
    return np.round(points, 1).tolist()


def bridged(rng: np.random.Generator) -> dict:
    """A row of upright strokes, then strokes each across two neighbours: every one meets two
    drawings, which the classifier judges one drawing or two, and the drawing grows to the whole row."""
    strokes = WEB_LIMITS.actions
    points = WEB_LIMITS.points // strokes
    uprights = strokes // 2 + 1
    actions = [{"stroke": straight(rng, (40 + 45 * i, 100), (40 + 45 * i, 160), points)} for i in range(uprights)]
    actions += [{"stroke": straight(rng, (35 + 45 * i, 130 + rng.uniform(-20, 20)), (90 + 45 * i, 130 + rng.uniform(-20, 20)),
                                    points)} for i in range(strokes - uprights)]
    return {"size": [1700, 400], "actions": actions}


def bridged_in_few_bytes(rng: np.random.Generator) -> dict:
    """The bridged row in strokes of two points each: as much work, in a few kilobytes."""
    session = bridged(rng)
    for action in session["actions"]:
        stroke = action["stroke"]
        action["stroke"] = [[round(value) for value in stroke[0]], [round(value) for value in stroke[-1]]]
    return session


def with_examples(rng: np.random.Generator) -> dict:
    """Many separate digits and the most examples a request may carry, each at its most points."""
    session = many_digits(rng)
    session["examples"] = [{"label": int(rng.integers(10)), "strokes": [wiggle(rng, MAX_EXAMPLE_POINTS, (100, 100), 60)]}
                           for _ in range(MAX_EXAMPLES)]
    return session


def filled(item, room: int = MAX_BODY_BYTES - 1000) -> list:
    """As many `item`s as `room` bytes of a body hold (by default, a body just under the size limit)."""
    return [item] * (room // (len(json.dumps(item)) + 2))


def key_flood(rng: np.random.Generator) -> dict:
    """A full body (just under MAX_BODY_BYTES) of key presses (refused: too many actions)."""
    return {"size": SIZE, "actions": filled({"key": "n"})}


def tiny_strokes(rng: np.random.Generator) -> dict:
    """A full body of one-point strokes (refused: too many actions)."""
    return {"size": SIZE, "actions": filled({"stroke": [[round(float(rng.uniform(0, 900)), 1), 1.5]]})}


def broken_flood(rng: np.random.Generator) -> dict | str:
    """A full body of key presses that is not JSON at its very end (refused: not valid JSON)."""
    return json.dumps(key_flood(rng))[:-2] + "x"


def examples_at_refusal(rng: np.random.Generator) -> dict:
    """Many separate digits and the most examples a request may hold (the newest are read)."""
    session = many_digits(rng)
    session["examples"] = [{"label": int(rng.integers(10)), "strokes": [wiggle(rng, MAX_EXAMPLE_POINTS, (100, 100), 60)]}
                           for _ in range(EXAMPLES_REFUSED)]
    return session


def example_flood(rng: np.random.Generator) -> dict:
    """A full body of small examples (refused: too many examples)."""
    session = many_digits(rng)
    room = MAX_BODY_BYTES - len(json.dumps(session)) - 1000
    session["examples"] = filled({"label": 3, "strokes": [wiggle(rng, 12, (100, 100), 30)]}, room)
    return session


# What each kind is answered: a request within the bounds is read; a flood is refused.
KINDS = {"overlapping strokes, corrected": (overlapping, 200), "separate digits, corrected": (many_digits, 200),
         "strokes across two drawings each": (bridged, 200),
         "strokes across two drawings each, two points a stroke": (bridged_in_few_bytes, 200),
         f"separate digits, corrected, {MAX_EXAMPLES} examples": (with_examples, 200),
         "a full body of key presses": (key_flood, 400), "a full body of one-point strokes": (tiny_strokes, 400),
         "a full body of key presses, not JSON at its end": (broken_flood, 400),
         "separate digits, corrected, a full body of examples": (example_flood, 400),
         f"separate digits, corrected, {EXAMPLES_REFUSED} examples": (examples_at_refusal, 200)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="requests of each kind (default: 5, at most 20)")
    args = parser.parse_args(argv)
    if not 1 <= args.repeats <= 20:
        parser.error("expected 1 to 20 repeats")
    client = create_app(WebConfig()).test_client()
    rng = np.random.default_rng(0)
    client.post("/api/read", json=many_digits(rng))  # the model's first run, not counted
    print(f"web_worst: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; bounds {WEB_LIMITS.actions} actions, {WEB_LIMITS.points:,} points, {MAX_CORRECTIONS} corrections, "
          f"{MAX_EXAMPLES} examples of {MAX_EXAMPLE_POINTS:,} points")
    worst = 0.0
    for name, (make, expected) in KINDS.items():
        times, cpus, size = [], [], 0
        for _ in range(args.repeats):
            made = make(rng)
            body = (made if isinstance(made, str) else json.dumps(made)).encode()
            size = len(body)
            began, cpu = time.perf_counter(), time.process_time()
            response = client.post("/api/read", data=body, content_type="application/json")
            wall = (time.perf_counter() - began) * 1000
            cpus.append((time.process_time() - cpu) * 1000)  # this process's CPU, the model's threads included
            if response.status_code != expected:
                print(f"web_worst: {name}: answered {response.status_code} {response.get_data(as_text=True)[:200]}")
                return 1
            timing = re.search(r"dur=([\d.]+)", response.headers.get("Server-Timing", ""))
            times.append(float(timing[1]) if timing else wall)  # a refusal carries no Server-Timing
            answer = response.get_json()
            digits = f"{len(answer['digits'])} digits read" if "digits" in answer else f"refused: {answer['error'][:60]}"
            worst = max(worst, wall)
        print(f"{name}: {size / 1024:.0f} KB, {digits}; server time median {np.median(times):.1f} ms, "
              f"max {max(times):.1f} ms; CPU median {np.median(cpus):.1f} ms, max {max(cpus):.1f} ms over {args.repeats}")
    print(f"worst request, as the client saw it: {worst:.1f} ms; load average {os.getloadavg()[0]:.1f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
