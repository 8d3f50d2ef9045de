"""`python -m nas.train`: train a search's winner, a family member or a baseline to convergence
with EfficientNetV2's progressive learning, and report its test accuracy.

Image size grows from --min-size to --max-size over --stages stages while dropout, RandAugment
and mixup grow with it; --min-size equal to --max-size is fixed-size training. Every epoch
ends with a checkpoint: running the same command again (or --resume DIR) continues a killed run.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from nas.archs import resolve_arch
from nas.cli.common import Parser, run
from nas.data import DataConfig, check_dataset, dataset_names, image_size_of
from nas.errors import ConfigError, InputError
from nas.export.task import study_data
from nas.proxy import resolve_device
from nas.report import PlotsUnavailable
from nas.report.curves import learning_curve_figure
from nas.train import OPTIMIZERS
from nas.train.full import FullTrainConfig
from nas.train.progressive import ProgressiveSchedule
from nas.train.run import CURVE_FILE, RESULT_FILE, TrainRun, resume_run, run_training

PROG = "python -m nas.train"
PLOT_FILE = "curve.png"
SCHEDULE_FIELDS = [f.name for f in dataclasses.fields(ProgressiveSchedule)]


def build_parser(prog: str = PROG) -> Parser:
    parser = Parser(prog=prog, description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    parser.add_argument(
        "arch",
        nargs="?",
        metavar="ARCH",
        help="best.json of a search, b<phi>.json of a family, a baseline name or an "
        "architecture string (not with --resume)",
    )
    group = parser.add_argument_group("data")
    group.add_argument(
        "--dataset",
        default=None,
        help=f"one of {', '.join(dataset_names())} (default: the study's when ARCH is a "
        "search's best.json, else cifar10)",
    )
    group.add_argument("--data-dir", default=None, help="where the dataset's files are")
    group.add_argument("--image-size", type=int, default=None, help="imagefolder: side in px")
    group.add_argument(
        "--resize",
        default=None,
        choices=("crop", "stretch"),
        help="imagefolder: crop (the shorter side, the centre) or stretch (default: crop)",
    )
    group.add_argument(
        "--val-fraction",
        type=float,
        default=None,
        help="imagefolder without val/: the share of each class held out",
    )
    group.add_argument(
        "--train-subset", type=int, default=None, help="training images (default: all left)"
    )
    group.add_argument(
        "--val-subset",
        type=int,
        default=None,
        help="held-out validation images, from the training files (default: 10,000 or 10%%)",
    )
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=int, default=30)
    group.add_argument("--batch-size", type=int, default=128)
    group.add_argument("--optimizer", choices=OPTIMIZERS, default="adamw")
    group.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    group.add_argument("--weight-decay", type=float, default=None, help="default 0.05 (AdamW)")
    group.add_argument("--warmup", type=float, default=0.05, help="share of steps warming up")
    group.add_argument("--label-smoothing", type=float, default=0.1)
    group.add_argument("--drop-path", type=float, default=0.1, help="stochastic depth rate")
    group = parser.add_argument_group("progressive learning (EfficientNetV2 Algorithm 1)")
    group.add_argument("--stages", type=int, default=4, help="M: stages of equal epochs")
    group.add_argument("--min-size", type=int, default=None, help="S0 (default: half the data's)")
    group.add_argument("--max-size", type=int, default=None, help="Se (default: the data's)")
    group.add_argument("--eval-size", type=int, default=None, help="default: --max-size")
    group.add_argument("--min-dropout", type=float, default=0.1)
    group.add_argument("--max-dropout", type=float, default=0.3)
    group.add_argument(
        "--min-randaug", type=float, default=5.0, help="RandAugment magnitude (0-29, 0: off)"
    )
    group.add_argument("--max-randaug", type=float, default=15.0)
    group.add_argument("--min-mixup", type=float, default=0.0, help="largest mix weight (0: off)")
    group.add_argument("--max-mixup", type=float, default=0.0)
    group = parser.add_argument_group("run")
    group.add_argument("--out", default=None, help="output folder (default results/train-NAME)")
    group.add_argument("--resume", default=None, help="continue the run in this folder")
    group.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _name_of(text: str) -> str:
    path = Path(text)
    if text.endswith(".json"):
        return path.parent.name + "-" + path.stem if path.parent.name else path.stem
    return text if not text.startswith("stem") else "arch"


def run_from_args(args: Any) -> TrainRun:
    if args.resume is not None:
        saved = resume_run(args.resume)
        return dataclasses.replace(saved, device=str(resolve_device(saved.device)))
    if args.arch is None:
        raise ConfigError(None, None, "name what to train as ARCH (or give {resume})")
    try:
        arch = resolve_arch(args.arch)
    except (ValueError, FileNotFoundError) as error:  # ARCH is positional: no --arch to name
        raise InputError(f"ARCH={args.arch!r} is invalid: {error}") from None
    study = study_data(args.arch)  # a search's best.json: train on the data it searched
    if args.dataset is None:
        args.dataset = study.get("dataset", "cifar10")
        if args.dataset == study.get("dataset"):
            for name in ("data_dir", "image_size", "resize", "val_fraction"):
                if getattr(args, name) is None:
                    setattr(args, name, study.get(name))
    check_dataset(args.dataset)
    native = image_size_of(args.dataset, args.image_size)
    max_size = args.max_size or native
    min_size = args.min_size or min(max_size, max(8, native // 2))
    schedule_values = {name: getattr(args, name) for name in SCHEDULE_FIELDS}
    schedule = ProgressiveSchedule(
        **(schedule_values | {"min_size": min_size, "max_size": max_size})
    )
    config = FullTrainConfig(
        schedule=schedule,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        lr=args.lr,
        weight_decay=args.weight_decay,
        warmup=args.warmup,
        label_smoothing=args.label_smoothing,
        drop_path=args.drop_path,
        eval_size=args.eval_size,
        seed=args.seed,
    )
    data = DataConfig(
        dataset=args.dataset,
        data_dir=args.data_dir,
        train_subset=args.train_subset,
        val_subset=args.val_subset,
        seed=args.seed,
        image_size=args.image_size,
        resize=args.resize,
        val_fraction=args.val_fraction,
        val_cap=args.val_subset is None,
    )
    name = _name_of(args.arch)
    folder = args.out or str(Path("results") / f"train-{name}")
    return TrainRun(arch, name, data, config, folder, str(resolve_device(args.device)))


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    args = build_parser(prog).parse_args(argv)
    train_run = run_from_args(args)
    folder = Path(train_run.folder)
    bar = tqdm(
        unit="step",
        disable=args.no_progress,
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.1,
    )

    def on_step(settings: Any) -> None:
        bar.set_postfix_str(f"stage {settings.stage + 1}, {settings.image_size}px", refresh=False)
        bar.update(1)

    def on_epoch(record: Any) -> None:
        bar.write(
            f"epoch {record.epoch}/{train_run.config.epochs} (stage {record.stage}, "
            f"{record.image_size}px): loss {record.train_loss:.3f}, validation "
            f"{record.val_accuracy:.2%}, {record.seconds:.1f} s",
            file=sys.stderr,
        )

    def on_start(total: int, done: int) -> None:
        bar.reset(total=total)
        bar.update(done)

    try:
        outcome = run_training(train_run, on_epoch, on_step, on_start)
    finally:
        bar.close()
    written = [CURVE_FILE, RESULT_FILE, "model.pt", "arch.json"]
    try:
        learning_curve_figure(folder / CURVE_FILE, folder / PLOT_FILE)
        written.append(PLOT_FILE)
    except PlotsUnavailable as error:
        print(f"no plot: {error}")
    print(
        f"{train_run.name}: test accuracy {outcome.test_accuracy:.2%} at "
        f"{train_run.config.final_size}px after {train_run.config.epochs} epochs "
        f"({outcome.train_seconds:.0f} s of training)"
    )
    print(f"wrote {', '.join(written)} in {folder}/")
    return 0


def command(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """``python -m nas.train`` and ``efficientnas train``."""
    return run(lambda args: main(args, prog), prog, argv)


__all__ = ["PROG", "build_parser", "command", "main"]
