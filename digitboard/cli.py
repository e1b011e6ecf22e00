"""The `digitboard` command: the board (no subcommand), `train`, `export`, `replay`, `serve` and
`profile`."""

from __future__ import annotations

import argparse
import os
import sys

from digitboard import DEFAULT_MODEL


def _add_train_parser(subparsers) -> None:
    """The `train` options map one to one onto TrainConfig fields; its defaults are the only ones."""
    from digitboard.training.train import TrainConfig

    defaults = TrainConfig()
    train = subparsers.add_parser("train", help="train the CNN on MNIST, pen-drawn digits and non-digits (if present), "
                                               "and the path model beside it on the pen-drawn ones",
                                  argument_default=argparse.SUPPRESS)
    train.add_argument("--mnist", help="local MNIST .npz in Keras's layout (default: $DIGITBOARD_MNIST, else download)")
    train.add_argument("--unipen", help="pen-drawn digits (.jsonl.gz) to train on as well (default: ../shared/data if present)")
    train.add_argument("--nondigits", help="pen-drawn letters and symbols (.jsonl.gz), taught as not digits "
                                           "(default: ../shared/data if present)")
    train.add_argument("--no-drawn", dest="drawn", action="store_false", help="train on MNIST (and synthetic junk) alone")
    train.add_argument("--out", help=f"where to write the model (default: {defaults.out}); it must not exist yet")
    train.add_argument("--force", action="store_true", help="replace an existing --out and its ONNX copy")
    train.add_argument("--epochs", type=int, help=f"(default: {defaults.epochs})")
    train.add_argument("--batch-size", type=int, help=f"(default: {defaults.batch_size})")
    train.add_argument("--learning-rate", type=float, help=f"(default: {defaults.learning_rate})")
    train.add_argument("--patience", type=int, help=f"epochs without improvement before stopping (default: {defaults.patience})")
    train.add_argument("--sample-limit", type=int, help="use only this many images of each source (quick runs)")
    train.add_argument("--seed", type=int, help=f"(default: {defaults.seed})")
    train.add_argument("--no-paths", dest="paths", action="store_false",
                       help="ship the CNN alone, without the model that reads the pen's path beside it")
    train.add_argument("--path-epochs", type=int, help=f"epochs of the path model (default: {defaults.path_epochs})")
    train.add_argument("--image-weight", type=float, metavar="W",
                       help=f"the CNN's weight when the two models' log-probabilities are pooled (default: {defaults.image_weight:g})")
    train.add_argument("--not-a-digit-shift", type=float, metavar="LOG_ODDS",
                       help=f"added to the shipped model's 'not a digit' log-odds (default: {defaults.not_a_digit_shift:g}; 0: none)")
    train.add_argument("--quick", action="store_true", help="a first look in about 3 minutes: fewer images and epochs")
    train.add_argument("--init", metavar="MODEL", help="start from this .keras model's weights (fine-tuning) instead of from scratch")


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
        prog="digitboard", description="Draw digits with the mouse; a CNN reads them as you write."
    )
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="the .keras model (default: the shipped best.keras)")
    parser.add_argument("--record", metavar="FILE", help="keep the session in FILE as it is drawn: a .json FILE gets one JSON object, "
                        "any other name (e.g. .jsonl) one JSON line")
    parser.add_argument("--force", action="store_true", help="let --record overwrite an existing file")
    parser.add_argument("--save-dir", default="digitboard-saves", help="where S saves PNGs (default: ./digitboard-saves)")
    parser.add_argument("--size", type=_pixels, nargs=2, default=(640, 480), metavar=("W", "H"),
                        help="window size (default 640 480; at most the screen's)")
    parser.add_argument("--profile", metavar="PATH", help="where personal examples (corrections, digits let stand) are kept "
                        "(default: the user data folder, see `digitboard profile`)")
    parser.add_argument("--no-learning", action="store_true", help="corrections set labels but teach the board nothing")
    parser.add_argument("--corrections-only", action="store_true",
                        help="learn from the digits you correct, not from those you let stand (docs/learning.md)")
    subparsers = parser.add_subparsers(dest="command")
    _add_train_parser(subparsers)
    export = subparsers.add_parser("export", help="derive the fast ONNX copy of a .keras model and check it agrees")
    export.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    export.add_argument("--mnist", help="MNIST .npz to check agreement on (default: $DIGITBOARD_MNIST)")
    replay = subparsers.add_parser("replay", help="replay recorded sessions headless and print the board's final state")
    replay.add_argument("files", nargs="+", metavar="FILE",
                        help="session files (.json, .jsonl, either gzipped); - reads standard input")
    replay.add_argument("--model", dest="replay_model", default=None, help="the .keras model (default: the shipped best.keras)")
    replay.add_argument("--out", help="write JSON lines here instead of standard output")
    serve = subparsers.add_parser("serve", help="the web board: draw digits in a browser (docs/web.md)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0: any free port)")
    serve.add_argument("--threads", type=int, default=8, help="requests a process answers at once (default: 8)")
    serve.add_argument("--workers", type=int, default=None,
                       help="processes, a core each (default: one a core where gunicorn runs, Linux and macOS; "
                            "else 1, which runs waitress)")
    serve.add_argument("--model", dest="serve_model", default=None, help="the .keras model (default: the shipped best.keras)")
    replay.add_argument("--profile", dest="replay_profile", metavar="PATH",
                        help="start every session with this profile's personal examples (read, never written)")
    replay.add_argument("--no-learning", dest="replay_no_learning", action="store_true",
                        help="corrections set labels but teach the board nothing")
    replay.add_argument("--corrections-only", dest="replay_corrections_only", action="store_true",
                        help="learn from the digits corrected, not from those let stand")
    profile = subparsers.add_parser("profile", help="show, clear or export the personal examples learned from your handwriting")
    profile.add_argument("--profile", dest="profile_path", metavar="PATH", help="the profile (default: the user data folder)")
    profile.add_argument("--clear", action="store_true", help="delete every personal example")
    profile.add_argument("--export", metavar="FILE", help="write the personal examples to FILE (a profile of its own)")
    return parser


def run_train(args: argparse.Namespace) -> int:
    """Build the TrainConfig from the options given (the rest keep its defaults) and train."""
    import dataclasses

    from digitboard.training.train import MNIST_TARGET, TrainConfig, run_training

    fields = {field.name for field in dataclasses.fields(TrainConfig)}
    options = {name: value for name, value in vars(args).items() if name in fields}
    config = TrainConfig.quick_look(**options) if getattr(args, "quick", False) else TrainConfig(**options)
    result = run_training(config)
    if result.mnist_accuracy < MNIST_TARGET and config.sample_limit is None and not getattr(args, "quick", False):
        print(f"note: {result.mnist_accuracy:.2%} on MNIST is short of the {MNIST_TARGET:.1%} a shipped model keeps")
    return 0 if result.agreement.ok else 1


def learning_config(corrections_only: bool, no_learning: bool):
    """The learning rule, learning from corrections alone if asked (which no learning contradicts)."""
    from digitboard.recognition.learning import LearningConfig

    if corrections_only and no_learning:
        raise ValueError("--corrections-only and --no-learning contradict each other; give one")
    return LearningConfig(accepted_per_label=0) if corrections_only else LearningConfig()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    try:
        if args.command == "train":
            return run_train(args)
        if args.command == "export":
            from digitboard.training.export import run_export

            return run_export(args.model, args.mnist)
        if args.command == "replay":
            from digitboard.sessions.replay import run_replay

            no_learning = args.replay_no_learning or args.no_learning
            config = learning_config(args.replay_corrections_only or args.corrections_only, no_learning)
            return run_replay(args.files, args.replay_model or args.model, args.out,
                              profile=args.replay_profile or args.profile, learning=not no_learning, config=config)
        if args.command == "serve":
            from digitboard.web.app import WebConfig, default_workers
            from digitboard.web.server import run_serve

            workers = default_workers() if args.workers is None else args.workers
            return run_serve(WebConfig(args.serve_model or args.model, args.host, args.port, args.threads, workers))
        if args.command == "profile":
            from digitboard.recognition.profile import run_profile

            return run_profile(args.profile_path or args.profile, args.clear, args.export)
        if args.profile and args.no_learning:
            raise ValueError("--profile and --no-learning contradict each other; give one")
        from digitboard.window.app import run_board

        config = learning_config(args.corrections_only, args.no_learning)
        return run_board(args.model, tuple(args.size), args.record, args.force, args.save_dir,
                         profile=args.profile, learning=not args.no_learning, learning_config=config)
    except BrokenPipeError:  # the reader went away (`digitboard replay ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 1
    except (OSError, ValueError) as error:
        print(f"digitboard: {' '.join(str(error).split())}", file=sys.stderr)  # one line, always
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
