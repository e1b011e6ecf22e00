"""What a path on the user's disk is, said on one line whatever its name: the checks and words
for messages about a file the user named (an option's file to read, or to write).

Every layer may use it, so it imports nothing of the project but `platforms`. Its calls:

- `shown(path)`: the path as typed, or quoted with escapes (as Python's `repr` does) when its
  name holds a newline, a control character or bytes that are not text;
- `describe(path)`: what is there, as words to put after the path ("is a folder", "is a named
  pipe (FIFO)", "does not exist", "is a file that cannot be read (Permission denied)"...);
- `require_readable_file(path, option)` and `require_writable_target(path, option)`: the path, or
  an OSError or ValueError whose one-line message names the option, the path and what is wrong;
- `same_file(a, b)`: whether two paths name one existing file, so that no output overwrites an input.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from digitboard import platforms

PathLike = str | os.PathLike[str]


def shown(path: PathLike) -> str:
    """`path` for a one-line message: as typed when every character of it prints, else quoted
    with escapes ('a\\nb.keras'), so that a name never breaks the line or hides its own ending."""
    text = os.fspath(path)
    return text if text.isprintable() else repr(text)


# What a path is, by its mode, in the words of a one-line message; the first test that holds.
KINDS = (
    (stat.S_ISREG, "is a file"),
    (stat.S_ISDIR, "is a folder"),
    (stat.S_ISFIFO, "is a named pipe (FIFO)"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
    (stat.S_ISSOCK, "is a socket"),
)


def _kind(mode: int) -> str:
    return next((words for holds, words in KINDS if holds(mode)), "is not a file")


def _reason(error: OSError) -> str:
    return error.strerror or error.__class__.__name__


def describe(path: PathLike) -> str:
    """What `path` is, as words that follow it in a message: "is a file", "is a folder",
    "is a named pipe (FIFO)", "is a character device", "is a block device", "is a socket",
    "is a symbolic link to nothing", "does not exist", "is a file that cannot be read
    (Permission denied)", "cannot be looked at (Permission denied)" (a folder on the way is
    closed); a symbolic link is followed."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "is a symbolic link to nothing" if os.path.islink(path) else "does not exist"
    except NotADirectoryError:
        return "does not exist (a folder on its way is a file)"
    except OSError as error:  # permission denied on a folder on its way, a symlink loop, a name too long
        return f"cannot be looked at ({_reason(error)})"
    except ValueError:  # a NUL character in the name
        return "is not a possible file name"
    kind = _kind(mode)
    if stat.S_ISREG(mode) and not platforms.can_open(path):
        return "is a file that cannot be read (Permission denied)"
    return kind


def _named(path: PathLike, option: str) -> str:
    return f"{option} {shown(path)}" if option else shown(path)


def require_readable_file(path: PathLike, option: str = "") -> Path:
    """`path` as a Path if it is a file that can be read (a symbolic link is followed); else an
    error naming `option` (e.g. "--mnist", or "" for none) and saying what the path is:
    FileNotFoundError if nothing is there, PermissionError if it cannot be read, ValueError for a
    folder, a FIFO, a device or a socket."""
    what = describe(path)
    if what == "is a file":
        return Path(path)
    message = f"{_named(path, option)}: {what}"
    if what.startswith(("does not exist", "is a symbolic link to nothing")):
        raise FileNotFoundError(message)
    if what.startswith(("cannot be", "is a file that cannot")):
        raise PermissionError(message)
    raise ValueError(f"{message}, not a file")


def require_writable_target(path: PathLike, option: str = "") -> Path:
    """`path` as a Path if a file can be written there: its folder exists and takes new files,
    and nothing but a file (which the caller may refuse to replace) is at `path` itself. Else an
    error naming `option` and the path: FileNotFoundError, PermissionError or ValueError.

    Whether the folder takes new files is tried, not guessed from its mode bits (which root
    ignores, and a read-only mount overrides): an unnamed temporary file is opened in it, so
    nothing is left behind even if the process is killed then."""
    target = Path(path)
    folder = target.parent
    if os.path.lexists(target):
        what = describe(target)
        if what != "is a file" and not what.startswith("is a file that"):
            raise ValueError(f"{_named(path, option)}: {what}; give the name of a file to write")
    folder_is = describe(folder)
    if folder_is != "is a folder":
        error = FileNotFoundError if "not exist" in folder_is or "nothing" in folder_is else ValueError
        raise error(f"{_named(path, option)}: its folder {shown(folder)} {folder_is}")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise PermissionError(f"{_named(path, option)}: cannot write in its folder {shown(folder)} "
                              f"({_reason(error)})") from None
    return target


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name one existing file (through links and other spellings)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False
