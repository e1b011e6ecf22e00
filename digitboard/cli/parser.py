"""The `digitboard` command line, declared in one place: the board's options (no command), each
command's parser with its handler (`set_defaults(handler=...)`), the options several commands
share as parent parsers, and one error style for every parser."""

from __future__ import annotations

import argparse
import dataclasses

from digitboard import DEFAULT_MODEL, __version__
from digitboard.cli.board import run_board_command
from digitboard.cli.profile import run_profile_command
from digitboard.cli.replay import run_replay_command
from digitboard.cli.serve import WebDefault, run_serve_command
from digitboard.cli.training import run_export_command, run_train_command
from digitboard.window.config import MAX_SIDE, BoardConfig


class Parser(argparse.ArgumentParser):
    """An argument parser that reports a bad argument on one line, naming the option as argparse
    does, with exit status 2 (argparse's own prints its usage first). Subparsers are made of the
    same class, so every command reports alike."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: {' '.join(message.split())} (see {self.prog} --help)\n")


def a_path(text: str) -> str:
    """An option's path, never empty: `--profile "$UNSET"` must not mean the default profile."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path; give a file's path")
    return text


def pixels(text: str) -> int:
    """A window dimension: a whole number of pixels, 1 to MAX_SIDE."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of pixels, got {text!r}") from None
    if not 1 <= value <= MAX_SIDE:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_SIDE} pixels, got {value}")
    return value


# -- options several commands share ------------------------------------------------------------------
# Parents leave an option out of the namespace unless it is given (SUPPRESS), so that a command's
# option overrides the same option given before the command (`digitboard --profile P profile`),
# whose default the top-level parser sets. Each use gets a parent of its own: argparse shares a
# parent's actions, and the top-level parser's defaults must not reach the commands' copies.
def model_options() -> Parser:
    parent = Parser(add_help=False, argument_default=argparse.SUPPRESS)
    parent.add_argument("--model", metavar="PATH",
                        help="the .keras model; its ONNX copy beside it runs (default: the shipped best.keras)")
    return parent


def profile_options(help: str) -> Parser:
    parent = Parser(add_help=False, argument_default=argparse.SUPPRESS)
    parent.add_argument("--profile", metavar="PATH", type=a_path, help=help)
    return parent


def learning_options(corrections_only_help: str) -> Parser:
    parent = Parser(add_help=False, argument_default=argparse.SUPPRESS)
    parent.add_argument("--no-learning", dest="learning", action="store_false",
                        help="corrections set labels but teach the board nothing")
    parent.add_argument("--corrections-only", action="store_true", help=corrections_only_help)
    return parent


# -- the board (no command) ----------------------------------------------------------------------------
def build_parser() -> Parser:
    """The whole command line; its namespace's `handler` runs the command given."""
    defaults = BoardConfig()
    parser = Parser(
        prog="digitboard", argument_default=argparse.SUPPRESS,
        parents=[model_options(),
                 profile_options("where personal examples (corrections, digits let stand) are kept "
                                 "(default: the user data folder, see `digitboard profile`)"),
                 learning_options("learn from the digits you correct, not from those you let stand "
                                  "(docs/learning.md)")],
        description="A handwritten digit board. Without a command, open the board: draw digits with the mouse "
                    "and it reads them as you write, with a CNN on the image pooled with a small network on "
                    "the pen's path; correct a digit with a click or a key and it learns your handwriting. "
                    "Press F1 on the board for its keys.",
        epilog="Each command has its own help: digitboard COMMAND --help. More in README.md and docs/.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--record", metavar="FILE", help="keep the session in FILE as it is drawn: a .json FILE gets one JSON object, "
                        "any other name (e.g. .jsonl) one JSON line")
    parser.add_argument("--force", action="store_true", help="let --record overwrite an existing file")
    parser.add_argument("--save-dir", metavar="FOLDER", help=f"where S saves PNGs (default: ./{defaults.save_dir})")
    parser.add_argument("--size", type=pixels, nargs=2, metavar=("W", "H"),
                        help=f"window size (default {defaults.size[0]} {defaults.size[1]}; at most the screen's)")
    # Every BoardConfig field, and so every option the commands share with the board, has a value.
    parser.set_defaults(command=None, handler=run_board_command,
                        **{field.name: getattr(defaults, field.name) for field in dataclasses.fields(BoardConfig)})
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    add_train_parser(commands)
    add_export_parser(commands)
    add_replay_parser(commands)
    add_serve_parser(commands)
    add_profile_parser(commands)
    return parser


# -- the commands ---------------------------------------------------------------------------------------
def add_train_parser(commands) -> None:
    """The `train` options map one to one onto TrainConfig fields; its defaults are the only ones."""
    from digitboard.training.config import TrainConfig

    defaults = TrainConfig()
    summary = ("train the CNN on MNIST, pen-drawn digits and non-digits (if present), and the path model "
               "beside it on the pen-drawn ones")
    train = commands.add_parser(
        "train", help=summary, argument_default=argparse.SUPPRESS,
        description=f"{summary[0].upper()}{summary[1:]}; write the pooled model as a .keras file and its "
                    "fast ONNX copy beside it. Needs the train extra (TensorFlow).")
    train.set_defaults(handler=run_train_command)
    train.add_argument("--mnist", metavar="PATH", help="local MNIST .npz in Keras's layout (default: $DIGITBOARD_MNIST, else download)")
    train.add_argument("--unipen", metavar="PATH", help="pen-drawn digits (.jsonl.gz) to train on as well (default: ../shared/data if present)")
    train.add_argument("--nondigits", metavar="PATH", help="pen-drawn letters and symbols (.jsonl.gz), taught as not digits "
                                           "(default: ../shared/data if present)")
    train.add_argument("--no-drawn", dest="drawn", action="store_false", help="train on MNIST (and synthetic junk and plain 1s) alone")
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
                            f"(default: {defaults.pooled_temperature:g})")
    train.add_argument("--quick", action="store_true", help="a first look in about 3 minutes: fewer images and epochs")
    train.add_argument("--init", metavar="PATH", help="start from this .keras model's weights (fine-tuning) instead of from scratch")


def add_export_parser(commands) -> None:
    summary = "derive the fast ONNX copy of a .keras model and check it agrees"
    export = commands.add_parser(
        "export", help=summary,
        description="Derive the ONNX copy of a .keras model, which the board, replay and the web board run "
                    "(under ONNX Runtime, without TensorFlow), write its fingerprint beside it, and check "
                    "that the copy reads as the model does. Needs the train extra (TensorFlow).")
    export.set_defaults(handler=run_export_command)
    export.add_argument("model", nargs="?", metavar="MODEL", default=str(DEFAULT_MODEL),
                        help="the .keras model (default: the shipped best.keras)")
    export.add_argument("--mnist", metavar="PATH", help="MNIST .npz to check agreement on (default: $DIGITBOARD_MNIST)")


def add_replay_parser(commands) -> None:
    replay = commands.add_parser(
        "replay", help="replay recorded sessions headless and print the board's final state",
        parents=[model_options(),
                 profile_options("start every session with this profile's personal examples (read, never written, "
                                 "unless --update-profile)"),
                 learning_options("learn from the digits corrected, not from those let stand")],
        description="Replay recorded sessions (digitboard --record FILE, or written by hand: docs/session-format.md) "
                    "on a board without a window, and print each session's final state (its digits, their "
                    "labels and boxes, and the reading) as one JSON line.")
    replay.set_defaults(handler=run_replay_command)
    replay.add_argument("files", nargs="+", metavar="FILE",
                        help="session files (.json, .jsonl, either gzipped); - reads standard input")
    replay.add_argument("--out", metavar="FILE", help="write JSON lines here instead of standard output")
    replay.add_argument("--update-profile", action="store_true",
                        help="learn as the window does and keep what the sessions teach in --profile (created if missing)")


def add_serve_parser(commands) -> None:
    serve = commands.add_parser(
        "serve", help="the web board: draw digits in a browser (docs/web.md)", parents=[model_options()],
        description="Serve the web board: open the address it prints in a browser and draw digits with a "
                    "mouse, a pen or a finger. The server reads each drawing as the board does and keeps "
                    "nothing between requests (docs/web.md).")
    serve.set_defaults(handler=run_serve_command)
    serve.add_argument("--host", metavar="ADDRESS", default=WebDefault("host"),
                       help="address to listen on (default: %(default)s, this machine only)")
    serve.add_argument("--port", type=int, metavar="N", default=WebDefault("port"),
                       help="port to listen on (default: %(default)s; 0: any free port)")
    serve.add_argument("--threads", type=int, metavar="N", default=WebDefault("threads"),
                       help="threads answering small requests in a process; one more answers large ones (default: %(default)s)")
    serve.add_argument("--workers", type=int, metavar="N", default=WebDefault("workers"),
                       help="processes, under gunicorn, behind nginx (Linux, macOS; default: %(default)s, waitress)")


def add_profile_parser(commands) -> None:
    summary = "show, list, forget, export, import or clear the personal examples learned from your handwriting"
    profile = commands.add_parser(
        "profile", help=summary, parents=[profile_options("the profile (default: the user data folder)")],
        description="Show, list, forget, export, import or clear your profile: the personal examples (digits you corrected, and "
                    "digits you let stand) the board learned your handwriting from. It stays on this "
                    "computer (docs/learning.md).")
    profile.set_defaults(handler=run_profile_command)
    profile.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    profile.add_argument("--list", action="store_true", help="list every example: id, digit, when, kind (and a picture "
                         "on a terminal)")
    profile.add_argument("--forget", nargs="+", metavar="ID", default=[], help="remove these examples (ids as --list shows them)")
    profile.add_argument("--export", metavar="FILE", help="write the personal examples to FILE (a profile of its own)")
    profile.add_argument("--force", action="store_true", default=argparse.SUPPRESS,
                         help="let --export overwrite an existing FILE")
    profile.add_argument("--import", dest="import_file", metavar="FILE",
                         help="add the examples of FILE (an export, a profile, or an older profile.jsonl)")
    profile.add_argument("--clear", action="store_true", help="remove every personal example, keeping a dated backup beside "
                         "the profile (asks first on a terminal)")
    profile.add_argument("--restore", nargs="?", const="latest", metavar="BACKUP",
                         help="bring back the examples of the latest backup --clear kept (or of BACKUP)")
    profile.add_argument("--yes", action="store_true", help="clear without asking (for scripts)")
