"""The `digitboard` command: the board (no subcommand), `train`, `export` and `replay`."""

from __future__ import annotations

import argparse
import os
import sys

from digitboard import DEFAULT_MODEL


def _add_train_parser(subparsers) -> None:
    train = subparsers.add_parser("train", help="train the CNN on MNIST (and pen-drawn digits if present)")
    train.add_argument("--mnist", help="local MNIST .npz in Keras's layout (default: $DIGITBOARD_MNIST, else download)")
    train.add_argument("--unipen", help="pen-drawn digits (.jsonl.gz) to train on as well (default: ../shared/data if present)")
    train.add_argument("--no-drawn", action="store_true", help="train on MNIST alone")
    train.add_argument("--out", default="best.keras", help="where to write the best model (default: best.keras)")
    train.add_argument("--epochs", type=int, default=40)
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--learning-rate", type=float, default=2e-3)
    train.add_argument("--patience", type=int, default=10, help="epochs without improvement before stopping")
    train.add_argument("--sample-limit", type=int, help="use only this many training digits (quick runs)")
    train.add_argument("--seed", type=int, default=0)
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
    subparsers = parser.add_subparsers(dest="command")
    _add_train_parser(subparsers)
    export = subparsers.add_parser("export", help="derive the fast ONNX copy of a .keras model and check it agrees")
    export.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    export.add_argument("--mnist", help="MNIST .npz to check agreement on (default: $DIGITBOARD_MNIST)")
    replay = subparsers.add_parser("replay", help="replay recorded sessions headless and print the board's final state")
    replay.add_argument("files", nargs="+", metavar="FILE", help="session files (.json or .jsonl)")
    replay.add_argument("--model", dest="replay_model", default=None, help="the .keras model (default: the shipped best.keras)")
    replay.add_argument("--out", help="write JSON lines here instead of standard output")
    return parser


def run_train(args: argparse.Namespace) -> int:
    import time

    from digitboard.augment import Augmentation
    from digitboard.data import drawn_training_digits, load_mnist
    from digitboard.export import check_agreement, export_onnx
    from digitboard.model import build_model, load_for_fine_tuning
    from digitboard.train import augmented_batches, compile_model, fit, predict_labels, prepare_data

    mnist = load_mnist(args.mnist)
    drawn = [] if args.no_drawn else drawn_training_digits(args.unipen, announce=print)
    data = prepare_data(mnist, drawn, sample_limit=args.sample_limit, seed=args.seed)
    model = load_for_fine_tuning(args.init) if args.init else build_model()
    print(f"{model.count_params():,} parameters; {len(data.train):,} training and {len(data.validation):,} validation images")
    start = time.perf_counter()
    batches = augmented_batches(data.train, args.batch_size, Augmentation(), seed=args.seed)
    compile_model(model, args.learning_rate, decay_steps=args.epochs * len(batches))
    fit(model, batches, data.validation, args.out, epochs=args.epochs, patience=args.patience)
    minutes = (time.perf_counter() - start) / 60
    accuracy = float((predict_labels(model, data.test.x) == data.test.y).mean())
    print(f"MNIST test accuracy {accuracy:.4%} on {len(data.test):,} digits; trained in {minutes:.1f} min; saved {args.out}")
    onnx_path = export_onnx(args.out)
    agreement = check_agreement(args.out, data.test.x)
    print(f"derived {onnx_path} for ONNX Runtime: {agreement}")
    return 0 if agreement.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    try:
        if args.command == "train":
            return run_train(args)
        if args.command == "export":
            from digitboard.export import run_export

            return run_export(args.model, args.mnist)
        if args.command == "replay":
            from digitboard.replay import run_replay

            return run_replay(args.files, args.replay_model or args.model, args.out)
        from digitboard.app import run_board

        return run_board(args.model, tuple(args.size), args.record, args.force, args.save_dir)
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
