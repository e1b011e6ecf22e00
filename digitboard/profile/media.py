"""Where a profile's file lies, and what that medium allows: a file given its name without hard
links (FAT and exFAT sticks have none), and a WAL profile read from read-only media (a stick or
share mounted read only), where SQLite cannot make the shared-memory file a WAL read needs."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from digitboard import platforms
from digitboard.profile.schema import check_profile_file

CANNOT_OPEN = 14  # SQLITE_CANTOPEN: a WAL profile whose shared-memory file cannot be made (read-only media)


class CannotOpen(Exception):
    """A read-only open SQLite could not make (read-only media): try another way to read."""


def place_new_file(temporary: str | os.PathLike[str], target: Path) -> None:
    """Give a finished file in `target`'s folder its name, never over anything there: a hard
    link (FileExistsError if the name is taken), or where the file system has none (FAT, exFAT)
    the name claimed empty, exclusively, and the file renamed over that claim. The caller
    removes `temporary` afterwards."""
    try:
        os.link(temporary, target)
        return
    except FileExistsError:
        raise
    except OSError:  # EPERM on FAT and exFAT, ENOTSUP or EINVAL elsewhere: whatever it is, the claim is as safe
        pass
    os.close(platforms.create_new(target))  # FileExistsError if the name is taken
    try:
        os.replace(temporary, target)  # over our own empty claim only
    except BaseException:
        os.unlink(target)
        raise


def made_by_another(target: Path, shown: Path) -> None:
    """Check the profile another process made at `target` while this one made its own; where
    there are no hard links, its name may be claimed but still empty for a moment."""
    for _ in range(100):
        if os.path.getsize(target) > 0:
            break
        time.sleep(0.02)
    check_profile_file(target, shown)


def read_only_media_uri(target: Path, scratch: Path) -> str:
    """How to read a WAL profile whose folder takes no files: as an immutable file when all of
    it is in the profile (no `-wal` beside it, or an empty one), else from a copy of the profile
    and its `-wal` in `scratch` (a temporary folder), which SQLite reads as usual (an immutable
    read would miss the examples still in the `-wal`)."""
    wal = Path(f"{target}-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        return target.as_uri() + "?mode=ro&immutable=1"
    copy = scratch / target.name
    if not copy.exists():
        shutil.copyfile(wal, f"{copy}-wal")
        shutil.copyfile(target, copy)
    return copy.as_uri() + "?mode=ro"
