"""`digitboard replay`: recorded sessions replayed on a board without a window."""

from __future__ import annotations

import argparse
import os

from digitboard.paths import require_readable_file
from digitboard.window.config import learning_config


def run_replay_command(args: argparse.Namespace) -> int:
    from digitboard.sessions.replay import run_replay

    config = learning_config(args.corrections_only, args.learning)
    if args.profile and not args.update_profile:  # a folder, a FIFO or a device is named as such, before the model loads
        require_readable_file(args.profile, "--profile")
    return run_replay(args.files, os.fspath(args.model), args.out, profile=args.profile, learning=args.learning,
                      config=config, update_profile=args.update_profile)
