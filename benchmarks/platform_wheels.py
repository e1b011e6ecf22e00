"""Whether the board's install (`pip install .`, no extras) finds a built wheel of every package
it needs on Windows and macOS, x86-64 and arm64, for Python 3.11 to 3.13: a user there needs no
compiler. pip resolves each case as that machine would (`--platform`, `--python-version`,
`--only-binary=:all:`) without installing anything; it reads the packages' metadata from the
index (and fetches a few small wheels whose metadata is not published apart).

    python benchmarks/platform_wheels.py            # the whole table, about 12 resolutions
    python benchmarks/platform_wheels.py --python 3.12 --platform win_amd64

Prints one line a case: the platform, the Python, and either the wheels chosen for the
project's own dependencies or the one pip could not find. Exit status 1 if any case fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# pip's platform tags; a macOS tag admits wheels built for that version of macOS or older.
PLATFORMS = {
    "win_amd64": "Windows x86-64",
    "win_arm64": "Windows arm64",
    "macosx_14_0_x86_64": "macOS 14 x86-64",
    "macosx_14_0_arm64": "macOS 14 arm64",
}
PYTHONS = ("3.11", "3.12", "3.13")


def light_dependencies() -> list[str]:
    """The requirements of `pip install .`, from pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def resolve(requirements: list[str], platform: str, python: str) -> tuple[bool, str]:
    """(whether every requirement has a wheel there, what was chosen or pip's last error line)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                   "--only-binary=:all:", "--platform", platform, "--python-version", python,
                   "--implementation", "cp", "--target", str(Path(folder) / "target"), "--report", str(report),
                   *requirements]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
            return False, errors[0] if errors else result.stderr.strip().splitlines()[-1]
        chosen = json.loads(report.read_text())["install"]
    named = {requirement.split(">")[0].split("=")[0].split("<")[0].strip().lower() for requirement in requirements}
    wheels = sorted(item["download_info"]["url"].rsplit("/", 1)[-1] for item in chosen
                    if item["metadata"]["name"].lower().replace("_", "-") in named)
    return True, ", ".join(wheels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS), help="(default: all)")
    parser.add_argument("--python", action="append", choices=PYTHONS, help="(default: all)")
    args = parser.parse_args(argv)
    requirements = light_dependencies()
    print(f"pip install . needs: {', '.join(requirements)}")
    failed = 0
    for platform in args.platform or PLATFORMS:
        for python in args.python or PYTHONS:
            ok, what = resolve(requirements, platform, python)
            failed += not ok
            print(f"{PLATFORMS[platform]:17} Python {python}: {'wheels' if ok else 'MISSING'}: {what}", flush=True)
    cases = len(args.platform or PLATFORMS) * len(args.python or PYTHONS)
    print(f"{cases - failed} of {cases} cases install from wheels alone")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
