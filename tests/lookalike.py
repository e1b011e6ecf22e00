"""Run `digitboard` in a Python made to look like Windows or like macOS, on Linux.

    python tests/lookalike.py windows replay session.jsonl
    python tests/lookalike.py macos profile --json

Before the project is imported, the names those systems' Pythons lack are removed from `os`,
`signal` and `select` (Windows: no O_NONBLOCK, O_CLOEXEC, fork, readv, set_blocking,
pthread_sigmask, sigtimedwait, SIGKILL...; its select() takes only sockets), and the modules
they lack (fcntl, resource, pwd on Windows) cannot be imported. The system itself stays Linux,
so what this proves is that the project asks Python what it has, and copes without it; CI runs
on Linux only.

With LOOKALIKE_DRAW=1 in the environment, a thread draws on the board's window as a user
would (a stroke, another, then N to clear) and closes it, so the window can run headless
(SDL_VIDEODRIVER=dummy) for a few seconds.
"""

from __future__ import annotations

import errno
import os
import runpy
import select
import signal
import stat
import sys
import threading
import time
import types

# What each system's Python lacks that Linux's has (CPython 3.11 to 3.13).
MISSING = {
    "windows": {
        os: ("O_NONBLOCK", "O_CLOEXEC", "O_NOFOLLOW", "O_NOCTTY", "O_DIRECTORY", "O_SYNC", "O_DSYNC", "O_ASYNC",
             "O_PATH", "O_TMPFILE", "O_NOATIME", "fork", "forkpty", "readv", "writev", "preadv", "pwritev",
             "set_blocking", "get_blocking", "getuid", "geteuid", "getgid", "getegid", "getgroups", "setsid",
             "setpgid", "getpgid", "killpg", "mkfifo", "mknod", "sched_getaffinity", "sched_setaffinity", "sync",
             "wait", "wait3", "wait4", "WNOHANG", "pipe2", "nice", "getloadavg", "statvfs", "fstatvfs", "chown",
             "fchown", "lchown", "fchmod", "pread", "pwrite", "sendfile", "openpty", "ttyname", "ctermid", "uname",
             "memfd_create", "eventfd", "posix_fadvise", "posix_fallocate"),
        signal: ("pthread_sigmask", "pthread_kill", "sigtimedwait", "sigwaitinfo", "sigwait", "sigpending",
                 "SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK", "alarm", "pause", "setitimer", "getitimer",
                 "siginterrupt", "SIGHUP", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGCONT",
                 "SIGSTOP", "SIGTSTP"),
        select: ("poll", "epoll", "devpoll", "kqueue", "PIPE_BUF"),
    },
    "macos": {
        os: ("sched_getaffinity", "sched_setaffinity", "pipe2", "memfd_create", "eventfd", "posix_fadvise",
             "posix_fallocate", "O_DIRECT", "O_PATH", "O_TMPFILE", "O_NOATIME", "O_LARGEFILE", "getrandom",
             "copy_file_range", "splice", "pidfd_open"),
        signal: ("sigtimedwait", "sigwaitinfo", "SIGRTMIN", "SIGRTMAX"),
        select: ("epoll",),
    },
}
UNIMPORTABLE = {"windows": ("fcntl", "resource", "pwd", "grp", "termios", "pty", "tty"), "macos": ()}
# Libraries that choose their code by sys.platform as they are imported (numpy asks os.uname()
# on Linux, subprocess keeps os.WNOHANG): on the real systems they take their own branches, so
# they are imported before the names go. The project itself is imported after.
DEPENDENCIES = ("subprocess", "numpy", "cv2", "pygame", "onnxruntime", "sqlite3", "flask", "waitress", "platformdirs")
TRAINING_DEPENDENCIES = ("tensorflow", "keras", "multiprocessing.heap", "multiprocessing.pool", "multiprocessing.sharedctypes")

# Names Windows' Python has and Linux's lacks; 0 keeps Linux's os.open as it is.
ADDED = {"windows": {os: {"O_BINARY": 0, "O_NOINHERIT": 0}}, "macos": {}}


def _sockets_only(select_select):
    """Windows' select(): sockets only, anything else fails as WinSock does (WSAENOTSOCK)."""
    def windows_select(readers, writers, errors, *timeout):
        for item in (*readers, *writers, *errors):
            descriptor = item if isinstance(item, int) else item.fileno()
            if not stat.S_ISSOCK(os.fstat(descriptor).st_mode):
                raise OSError(errno.ENOTSOCK, "An operation was attempted on something that is not a socket")
        return select_select(readers, writers, errors, *timeout)

    return windows_select


def _keep_whole_for_what_is_loaded() -> None:
    """Give every module loaded so far (the standard library's and the dependencies') whole
    copies of os, signal and select: they chose their Linux code as they were imported (waitress
    wakes its loop through a pipe it makes non-blocking; on Windows it uses a socket), and on the
    real systems they would have chosen their own. Only what is imported later, the project,
    sees the names removed."""
    for module in (os, signal, select):
        whole = types.ModuleType(module.__name__)
        whole.__dict__.update(module.__dict__)
        for loaded in list(sys.modules.values()):
            if loaded is None or loaded is sys.modules[__name__]:
                continue
            for name, value in list(vars(loaded).items()):
                if value is module:  # `import os`, and `import os as _os` (tempfile, shutil)
                    setattr(loaded, name, whole)


def look_like(system: str, training: bool = False) -> None:
    """Make this Python look like `system`'s ("windows" or "macos") as far as the names go; with
    `training`, TensorFlow is imported first too."""
    import importlib

    for name in DEPENDENCIES + (TRAINING_DEPENDENCIES if training else ()):
        importlib.import_module(name)
    _keep_whole_for_what_is_loaded()
    for module, names in MISSING[system].items():
        for name in names:
            if hasattr(module, name):
                delattr(module, name)
    for module, names in ADDED[system].items():
        for name, value in names.items():
            setattr(module, name, value)
    for name in UNIMPORTABLE[system]:
        sys.modules[name] = None  # type: ignore[assignment]  # `import fcntl` raises ImportError
    if system == "windows":
        select.select = _sockets_only(select.select)


def _draw_then_close() -> None:
    """Draw on the board's window as a user would, once it is open, then close it."""
    import pygame

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (pygame.display.get_init() and pygame.display.get_surface()):
        time.sleep(0.05)
    time.sleep(1.5)  # the model loads behind the window

    def stroke(points):
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=points[0], button=1))
        for point in points[1:]:
            pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=point, rel=(0, 0), buttons=(1, 0, 0)))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=points[-1], button=1))

    stroke([(100, 100 + 5 * i) for i in range(25)])  # a 1
    time.sleep(0.5)
    stroke([(250, 100), (320, 100), (280, 220)])  # a 7
    time.sleep(0.5)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_n, mod=0, unicode="n", scancode=0))
    time.sleep(0.5)
    pygame.event.post(pygame.event.Event(pygame.QUIT))


def main() -> None:
    system, *arguments = sys.argv[1:]
    look_like(system, training=bool(arguments) and arguments[0] in ("train", "export"))
    if os.environ.get("LOOKALIKE_DRAW"):
        threading.Thread(target=_draw_then_close, daemon=True).start()
    sys.argv = ["digitboard", *arguments]
    runpy.run_module("digitboard", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
