"""`digitboard profile`: the personal examples kept (digitboard.profile.command)."""

from __future__ import annotations

import argparse


def run_profile_command(args: argparse.Namespace) -> int:
    from digitboard.profile.command import ProfileRequest, run_profile

    return run_profile(ProfileRequest(args.profile, args.json, args.list, args.forget, args.export, args.force,
                                      args.import_file, args.clear, args.restore, args.yes))
