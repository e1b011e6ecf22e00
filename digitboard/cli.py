"""The `digitboard` command: the board (no subcommand), `train`, `export`, `replay`, `serve` and
`profile`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from digitboard import (
    DEFAULT_MODEL,
    TRAIN_EXTRA_HINT,
    __version__,
    needs_training_extra,
    training_extra_missing,
)
from digitboard import platforms
from digitboard.paths import require_readable_file


def _add_train_parser(subparsers) -> None:
    """The `train` options map one to one onto TrainConfig fields; its defaults are the only ones."""
    from digitboard.training.train import TrainConfig

    defaults = TrainConfig()
    summary = ("train the CNN on MNIST, pen-drawn digits and non-digits (if present), and the path model "
               "beside it on the pen-drawn ones")
    train = subparsers.add_parser(
        "train", help=summary, argument_default=argparse.SUPPRESS,
        description=f"{summary[0].upper()}{summary[1:]}; write the pooled model as a .keras file and its "
                    "fast ONNX copy beside it. Needs the train extra (TensorFlow).")
    train.add_argument("--mnist", metavar="PATH", help="local MNIST .npz in Keras's layout (default: $DIGITBOARD_MNIST, else download)")
    train.add_argument("--unipen", metavar="PATH", help="pen-drawn digits (.jsonl.gz) to train on as well (default: ../shared/data if present)")
    train.add_argument("--nondigits", metavar="PATH", help="pen-drawn letters and symbols (.jsonl.gz), taught as not digits "
                                           "(default: ../shared/data if present)")
    train.add_argument("--no-drawn", dest="drawn", action="store_false", help="train on MNIST (and synthetic junk) alone")
    train.add_argument("--out", metavar="PATH", help=f"where to write the model (default: {defaults.out}); it must not exist yet")
    train.add_argument("--force", action="store_true", help="replace an existing --out and its ONNX copy")
    train.add_argument("--epochs", type=int, metavar="N", help=f"epochs of the CNN at most (default: {defaults.epochs})")
    train.add_argument("--batch-size", type=int, metavar="N", help=f"images a training step (default: {defaults.batch_size})")
    train.add_argument("--learning-rate", type=float, metavar="RATE",
                       help=f"Adam's starting learning rate (default: {defaults.learning_rate})")
    train.add_argument("--patience", type=int, metavar="N", help=f"epochs without improvement before stopping (default: {defaults.patience})")
    train.add_argument("--sample-limit", type=int, metavar="N", help="use only this many images of each source (quick runs)")
    train.add_argument("--seed", type=int, metavar="N", help=f"random seed of the data order and augmentation (default: {defaults.seed})")
    train.add_argument("--no-paths", dest="paths", action="store_false",
                       help="ship the CNN alone, without the model that reads the pen's path beside it")
    train.add_argument("--path-epochs", type=int, metavar="N", help=f"epochs of the path model (default: {defaults.path_epochs})")
    train.add_argument("--image-weight", type=float, metavar="W",
                       help=f"the CNN's weight when the two models' log-probabilities are pooled (default: {defaults.image_weight:g})")
    train.add_argument("--not-a-digit-shift", type=float, metavar="LOG_ODDS",
                       help=f"added to the shipped model's 'not a digit' log-odds (default: {defaults.not_a_digit_shift:g}; 0: none)")
    train.add_argument("--temperature", type=float, metavar="TEMPERATURE",
                       help=f"the pooled log-probabilities are divided by it, so the confidence shown is calibrated "
                            f"(default: {defaults.temperature:g})")
    train.add_argument("--quick", action="store_true", help="a first look in about 3 minutes: fewer images and epochs")
    train.add_argument("--init", metavar="PATH", help="start from this .keras model's weights (fine-tuning) instead of from scratch")
    _one_line_errors(train)


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    """Make `parser` report a bad argument on one line (argparse prints its usage first), naming
    the option as argparse does, exit status 2."""
    def error(message: str):
        parser.exit(2, f"{parser.prog}: {' '.join(message.split())} (see {parser.prog} --help)\n")

    parser.error = error  # type: ignore[method-assign]


def _pixels(text: str) -> int:
    """A window dimension: a whole number of pixels, 1 to 16384."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of pixels, got {text!r}") from None
    if not 1 <= value <= 16384:
        raise argparse.ArgumentTypeError(f"expected 1 to 16384 pixels, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitboard",
        description="A handwritten digit board. Without a command, open the board: draw digits with the mouse "
                    "and it reads them as you write, with a CNN on the image pooled with a small network on "
                    "the pen's path; correct a digit with a click or a key and it learns your handwriting. "
                    "Press F1 on the board for its keys.",
        epilog="Each command has its own help: digitboard COMMAND --help. More in README.md and docs/.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--model", metavar="PATH", default=str(DEFAULT_MODEL),
                        help="the .keras model; its ONNX copy beside it runs (default: the shipped best.keras)")
    parser.add_argument("--record", metavar="FILE", help="keep the session in FILE as it is drawn: a .json FILE gets one JSON object, "
                        "any other name (e.g. .jsonl) one JSON line")
    parser.add_argument("--force", action="store_true", help="let --record overwrite an existing file")
    parser.add_argument("--save-dir", metavar="FOLDER", default="digitboard-saves", help="where S saves PNGs (default: ./digitboard-saves)")
    parser.add_argument("--size", type=_pixels, nargs=2, default=(640, 480), metavar=("W", "H"),
                        help="window size (default 640 480; at most the screen's)")
    parser.add_argument("--profile", metavar="PATH", type=a_path, help="where personal examples (corrections, digits let stand) are kept "
                        "(default: the user data folder, see `digitboard profile`)")
    parser.add_argument("--no-learning", action="store_true", help="corrections set labels but teach the board nothing")
    parser.add_argument("--corrections-only", action="store_true",
                        help="learn from the digits you correct, not from those you let stand (docs/learning.md)")
    subparsers = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    _add_train_parser(subparsers)
    summary = "derive the fast ONNX copy of a .keras model and check it agrees"
    export = subparsers.add_parser(
        "export", help=summary,
        description="Derive the ONNX copy of a .keras model, which the board, replay and the web board run "
                    "(under ONNX Runtime, without TensorFlow), write its fingerprint beside it, and check "
                    "that the copy reads as the model does. Needs the train extra (TensorFlow).")
    export.add_argument("model", nargs="?", metavar="MODEL", default=str(DEFAULT_MODEL),
                        help="the .keras model (default: the shipped best.keras)")
    export.add_argument("--mnist", metavar="PATH", help="MNIST .npz to check agreement on (default: $DIGITBOARD_MNIST)")
    _one_line_errors(export)
    replay = subparsers.add_parser(
        "replay", help="replay recorded sessions headless and print the board's final state",
        description="Replay recorded sessions (digitboard --record FILE, or written by hand: docs/session-format.md) "
                    "on a board without a window, and print each session's final state (its digits, their "
                    "labels and boxes, and the reading) as one JSON line.")
    replay.add_argument("files", nargs="+", metavar="FILE",
                        help="session files (.json, .jsonl, either gzipped); - reads standard input")
    replay.add_argument("--model", dest="replay_model", metavar="PATH", default=None, help="the .keras model (default: the shipped best.keras)")
    replay.add_argument("--out", metavar="FILE", help="write JSON lines here instead of standard output")
    serve = subparsers.add_parser(
        "serve", help="the web board: draw digits in a browser (docs/web.md)",
        description="Serve the web board: open the address it prints in a browser and draw digits with a "
                    "mouse, a pen or a finger. The server reads each drawing as the board does and keeps "
                    "nothing between requests (docs/web.md).")
    serve.add_argument("--host", metavar="ADDRESS", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, metavar="N", default=8000, help="port to listen on (default: 8000; 0: any free port)")
    serve.add_argument("--threads", type=int, metavar="N", default=8, help="requests a process answers at once (default: 8)")
    serve.add_argument("--workers", type=int, metavar="N", default=1,
                       help="processes, under gunicorn, behind nginx (Linux, macOS; default: 1, waitress)")
    serve.add_argument("--model", dest="serve_model", metavar="PATH", default=None, help="the .keras model (default: the shipped best.keras)")
    replay.add_argument("--profile", dest="replay_profile", metavar="PATH", type=a_path,
                        help="start every session with this profile's personal examples (read, never written, "
                             "unless --update-profile)")
    replay.add_argument("--update-profile", action="store_true",
                        help="learn as the window does and keep what the sessions teach in --profile (created if missing)")
    replay.add_argument("--no-learning", dest="replay_no_learning", action="store_true",
                        help="corrections set labels but teach the board nothing")
    replay.add_argument("--corrections-only", dest="replay_corrections_only", action="store_true",
                        help="learn from the digits corrected, not from those let stand")
    _one_line_errors(replay)
    summary = "show, list, forget, export, import or clear the personal examples learned from your handwriting"
    profile = subparsers.add_parser(
        "profile", help=summary,
        description="Show, list, forget, export, import or clear your profile: the personal examples (digits you corrected, and "
                    "digits you let stand) the board learned your handwriting from. It stays on this "
                    "computer (docs/learning.md).")
    profile.add_argument("--profile", dest="profile_path", metavar="PATH", type=a_path, help="the profile (default: the user data folder)")
    profile.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    profile.add_argument("--list", action="store_true", help="list every example: id, digit, when, kind (and a picture "
                         "on a terminal)")
    profile.add_argument("--forget", nargs="+", metavar="ID", default=[], help="remove these examples (ids as --list shows them)")
    profile.add_argument("--export", metavar="FILE", help="write the personal examples to FILE (a profile of its own)")
    profile.add_argument("--force", dest="profile_force", action="store_true", help="let --export overwrite an existing FILE")
    profile.add_argument("--import", dest="import_file", metavar="FILE",
                         help="add the examples of FILE (an export, a profile, or an older profile.jsonl)")
    profile.add_argument("--clear", action="store_true", help="remove every personal example, keeping a dated backup beside "
                         "the profile (asks first on a terminal)")
    profile.add_argument("--restore", nargs="?", const="latest", metavar="BACKUP",
                         help="bring back the examples of the latest backup --clear kept (or of BACKUP)")
    profile.add_argument("--yes", action="store_true", help="clear without asking (for scripts)")
    return parser


def run_train(args: argparse.Namespace) -> int:
    """Build the TrainConfig from the options given (the rest keep its defaults) and train."""
    import dataclasses

    from digitboard.training.train import MNIST_TARGET, TrainConfig, run_training

    fields = {field.name for field in dataclasses.fields(TrainConfig)}
    options = {name: value for name, value in vars(args).items() if name in fields}
    quick = vars(args).get("quick", False)  # train's options are present only when given
    config = TrainConfig.quick_look(**options) if quick else TrainConfig(**options)
    result = run_training(config)
    if result.mnist_accuracy < MNIST_TARGET and config.sample_limit is None and not quick:
        print(f"note: {result.mnist_accuracy:.2%} on MNIST is short of the {MNIST_TARGET:.1%} a shipped model keeps")
    return 0 if result.agreement.ok else 1


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised wherever the program is, so that it stops as on Ctrl+C: every `finally`
    runs (a half-written model or ONNX copy is deleted); the exit status is then 143."""


# After SIGTERM or Ctrl+C, how long the clean-up on the main thread may take before the watcher
# removes the partial files itself and ends the process: TensorFlow can hold the main thread in
# native code (starting an epoch's iterator), where no Python signal handler runs.
CLEAN_UP_SECONDS = 30.0


@contextmanager
def sigterm_as_interrupt(leftovers: Callable[[], list[Path]] = list) -> Iterator[None]:
    """Within this block, SIGTERM raises Terminated on the main thread, as Ctrl+C raises
    KeyboardInterrupt (once: a second SIGTERM during the clean-up is ignored, so it finishes).

    A thread of its own hears both signals as they arrive (digitboard.platforms.SignalWaiter),
    also while the main thread is held in native code, where no Python handler runs; if the main
    thread has not finished CLEAN_UP_SECONDS after one, that thread deletes `leftovers()` and ends
    the process with the signal's status (143 or 130). On Windows, where no other process can
    send SIGTERM, Ctrl+C is heard the same way."""
    def on_sigterm(signum, frame) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    done = threading.Event()
    waiter = platforms.SignalWaiter()

    def watch() -> None:
        while not done.is_set():
            received = waiter.wait(0.2)
            if received not in (signal.SIGTERM, signal.SIGINT):
                continue
            if not done.wait(CLEAN_UP_SECONDS):
                for path in leftovers():
                    path.unlink(missing_ok=True)
                print(f"digitboard: stopped ({signal.Signals(received).name}); partial files removed",
                      file=sys.stderr, flush=True)
                os._exit(128 + received)
            return

    watcher = threading.Thread(target=watch, name="signal-watcher", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        waiter.close()
        signal.signal(signal.SIGTERM, previous)


def train_leftovers(args: argparse.Namespace) -> list[Path]:
    """The hidden file a training run writes before it is done (digitboard.training.train)."""
    from digitboard.training.train import TrainConfig, partial_path

    return [partial_path(Path(vars(args).get("out") or TrainConfig().out))]  # present only when given


def export_leftovers(args: argparse.Namespace) -> list[Path]:
    """The hidden ONNX copy an export writes before it is checked (digitboard.training.export)."""
    from digitboard.recognition.modelfile import onnx_path_for
    from digitboard.training.export import partial_onnx_path

    return [partial_onnx_path(onnx_path_for(Path(args.model).resolve()))]


def a_path(text: str) -> str:
    """An option's path, never empty: `--profile "$UNSET"` must not mean the default profile."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path; give a file's path")
    return text


def learning_config(corrections_only: bool, no_learning: bool):
    """The learning rule, learning from corrections alone if asked (which no learning contradicts)."""
    from digitboard.recognition.learning import LearningConfig

    if corrections_only and no_learning:
        raise ValueError("--corrections-only and --no-learning contradict each other; give one")
    return LearningConfig(accepted_per_label=0) if corrections_only else LearningConfig()


class _ToStandardError(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a message comes (a test may have swapped it)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def report_to_standard_error() -> None:
    """Show what the package's modules say the user should hear of (their "digitboard" loggers'
    warnings) on standard error, one line each, as the commands' own messages are."""
    logger = logging.getLogger("digitboard")
    if not any(isinstance(handler, _ToStandardError) for handler in logger.handlers):
        handler = _ToStandardError()
        handler.setFormatter(logging.Formatter("digitboard: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False  # said once, whatever the root logger does (serve configures it)
    logger.setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    report_to_standard_error()
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    if args.command in ("train", "export") and training_extra_missing():
        print(f"digitboard: `digitboard {args.command}` needs TensorFlow, which this install leaves out: "
              f"{TRAIN_EXTRA_HINT}", file=sys.stderr)
        return 2
    try:
        if args.command == "train":
            with sigterm_as_interrupt(lambda: train_leftovers(args)):
                return run_train(args)
        if args.command == "export":
            from digitboard.training.export import run_export

            with sigterm_as_interrupt(lambda: export_leftovers(args)):
                return run_export(args.model, args.mnist)
        if args.command == "replay":
            from digitboard.sessions.replay import run_replay

            no_learning = args.replay_no_learning or args.no_learning
            config = learning_config(args.replay_corrections_only or args.corrections_only, no_learning)
            profile = args.replay_profile or args.profile
            if profile and not args.update_profile:  # a folder, a FIFO or a device is named as such, before the model loads
                require_readable_file(profile, "--profile")
            return run_replay(args.files, args.replay_model or args.model, args.out,
                              profile=profile, learning=not no_learning, config=config,
                              update_profile=args.update_profile)
        if args.command == "serve":
            from digitboard.web.app import WebConfig
            from digitboard.web.server import run_serve

            return run_serve(WebConfig(args.serve_model or args.model, args.host, args.port, args.threads, args.workers))
        if args.command == "profile":
            from digitboard.recognition.profile_command import (
                ProfileRequest,
                run_profile,
            )

            return run_profile(ProfileRequest(
                args.profile_path or args.profile, args.json, args.list, args.forget, args.export,
                args.profile_force or args.force, args.import_file, args.clear, args.restore, args.yes))
        if args.profile and args.no_learning:
            raise ValueError("--profile and --no-learning contradict each other; give one")
        from digitboard.window.app import run_board

        config = learning_config(args.corrections_only, args.no_learning)
        return run_board(args.model, tuple(args.size), args.record, args.force, args.save_dir,
                         profile=args.profile, learning=not args.no_learning, learning_config=config)
    except ImportError as error:
        if not needs_training_extra(error):
            raise
        command = f"digitboard {args.command}" if args.command else "digitboard"
        print(f"digitboard: `{command}` needs TensorFlow here, which this install leaves out: {TRAIN_EXTRA_HINT}",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`digitboard replay ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 1
    except (OSError, ValueError) as error:
        print(f"digitboard: {' '.join(str(error).split())}", file=sys.stderr)  # one line, always
        return 2
    except KeyboardInterrupt as interrupt:
        return 128 + (signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
