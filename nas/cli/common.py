"""What every command shares: the parser whose errors are one line, and ``run``, which turns the
library's errors into one line on stderr and an exit status.

An error the library raises on purpose (a ``NASError``) is the user's to fix: one line, exit 2
(1 for a job that could not finish). An ``OSError`` is the machine's (a missing file, a full
disk): one line naming the file, exit 2. Anything else is a bug: one line saying so and where
its traceback was written, exit 1; ``--debug`` or ``EFFICIENTNAS_DEBUG=1`` prints the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from nas.data import dataset_names
from nas.errors import ConfigError, Interrupted, JobFailed, NASError, flag_name
from nas.proxy import DEFAULT_DATASET, PRESET_FIELDS, PRESETS, PROXY_FIELDS, ProxyConfig
from nas.train import OPTIMIZERS

EXIT_USAGE = 2
EXIT_FAILED = 1
DEBUG_FLAG = "--debug"
DEBUG_ENV = "EFFICIENTNAS_DEBUG"


class _DefaultsFormatter(argparse.HelpFormatter):
    """Appends each flag's default to its help, unless there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "%(default)" in text:
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr (no usage block) and exit status 2."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _DefaultsFormatter)
        super().__init__(*args, **kwargs)
        self.add_argument(
            DEBUG_FLAG,
            action="store_true",
            help=f"print the full traceback of an unexpected error (also {DEBUG_ENV}=1)",
        )

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(EXIT_USAGE)


def run(
    main: Callable[[Sequence[str] | None], int], prog: str, argv: Sequence[str] | None = None
) -> int:
    """Run ``main``; errors a user can cause become one line on stderr and exit status 2.
    The library's messages (logger ``nas``) are shown on stderr while it runs."""
    with stderr_messages():
        return _run(main, prog, argv)


@contextlib.contextmanager
def stderr_messages() -> Iterator[None]:
    """The library's log messages, bare, on stderr inside the block."""
    logger = logging.getLogger("nas")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _run(main: Callable[[Sequence[str] | None], int], prog: str, argv: Sequence[str] | None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        return main(argv)
    except ConfigError as error:
        return _say(prog, error.render(flag_name), EXIT_USAGE)
    except JobFailed as error:
        return _say(prog, str(error), EXIT_FAILED)
    except NASError as error:
        return _say(prog, str(error), EXIT_USAGE)
    except OSError as error:  # the machine's: a missing file, an unwritable folder, a full disk
        where = f": {error.filename!r}" if error.filename else ""
        return _say(prog, f"{error.strerror or error}{where}", EXIT_USAGE)
    except Interrupted:  # the job has said what it kept and how to resume
        return 130
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as error:  # a bug, not the user's input
        debug = DEBUG_FLAG in arguments or os.environ.get(DEBUG_ENV, "") not in ("", "0")
        if debug:
            traceback.print_exc()
        where = _write_traceback(prog)
        shown = "above" if debug else f"in {where}" if where else "not saved"
        return _say(
            prog,
            f"internal error (a bug; please report it): {type(error).__name__}: {error}; "
            f"traceback {shown}, or rerun with {DEBUG_FLAG}",
            EXIT_FAILED,
        )


def _say(prog: str, message: str, status: int) -> int:
    text = " ".join(message.split())
    sys.stderr.write(f"{prog}: error: {text}\n")
    return status


def _write_traceback(prog: str) -> str | None:
    """The current exception's traceback in a file of the temporary folder; its path, or None
    when it cannot be written."""
    name = f"efficientnas-{prog.split()[-1].split('.')[-1]}-{time.strftime('%Y%m%d-%H%M%S')}-"
    try:
        with tempfile.NamedTemporaryFile("w", prefix=name, suffix=".txt", delete=False) as stream:
            traceback.print_exc(file=stream)
    except OSError:
        return None
    return stream.name


def add_proxy_arguments(parser: Parser, study_data: bool = False) -> None:
    """The proxy data and training flags, shared by every command that trains candidates.
    ``study_data``: the command can take its data from a study, so ``--dataset`` defaults to
    None (the command fills it in)."""
    group = parser.add_argument_group("proxy data and training")
    group.add_argument(
        "--dataset",
        default=None if study_data else DEFAULT_DATASET,
        help=", ".join(dataset_names())
        + (
            f" (default: the study's, for a search's best.json; else {DEFAULT_DATASET})"
            if study_data
            else ""
        ),
    )
    group.add_argument(
        "--data-dir",
        default=None,
        help="where the dataset's files are (fashion-mnist: else "
        "/usr/share/datasets/fashion-mnist, else downloaded)",
    )
    group.add_argument(
        "--preset",
        default="cpu",
        choices=tuple(PRESETS),
        help="budgets capped at what the data has: cpu: up to 20,000 training images, 20,000 "
        "images seen; gpu: the training set less 10,000 held out, 5 epochs",
    )
    group.add_argument(
        "--train-subset", type=int, default=None, help="training images (default: the preset's)"
    )
    group.add_argument(
        "--val-subset",
        type=int,
        default=None,
        help="validation images held out of the training set (default: preset)",
    )
    group.add_argument(
        "--epochs",
        type=float,
        default=None,
        help="epochs per candidate, fractions allowed (default: the preset's)",
    )
    group.add_argument(
        "--download-url",
        default=None,
        help="cifar10: download the tarball from this mirror (its MD5 is still checked; also "
        "the environment variable EFFICIENTNAS_CIFAR10_URL)",
    )
    group.add_argument(
        "--images-seen",
        type=int,
        default=None,
        help="the budget in training images seen, instead of --epochs (default: the cpu "
        "preset's 20,000, so a small dataset trains several epochs; the gpu preset counts epochs)",
    )
    group.add_argument(
        "--image-size",
        type=int,
        default=None,
        help="imagefolder datasets: the square size images are resized to (default: 64)",
    )
    group.add_argument(
        "--resize",
        default=None,
        choices=("crop", "stretch"),
        help="imagefolder datasets: crop (the shorter side resized, the centre cut; keeps the "
        "aspect) or stretch (both sides resized) (default: crop)",
    )
    group.add_argument(
        "--val-fraction",
        type=float,
        default=None,
        help="imagefolder datasets without val/: the share of each class held out to validate "
        "(default: the preset's held-out size, at most 10%%, at least 2 per class)",
    )
    group.add_argument(
        "--strict-images",
        action="store_true",
        help="imagefolder datasets: refuse a folder with unreadable image files (default: skip "
        "them with a warning and list them in the results folder)",
    )
    group.add_argument("--batch-size", type=int, default=None, help="(default: the preset's)")
    group.add_argument(
        "--lr", type=float, default=None, help="peak learning rate (default: the preset's)"
    )
    group.add_argument(
        "--optimizer",
        default=None,
        choices=OPTIMIZERS,
        help="adamw, or sgd with Nesterov momentum (default: the preset's)",
    )
    group.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")


def proxy_from_args(args: Any, **overrides: Any) -> ProxyConfig:
    """The ProxyConfig of parsed proxy flags (and ``--seed`` where the command has one)."""
    values = {name: getattr(args, name) for name in PROXY_FIELDS if hasattr(args, name)}
    return ProxyConfig(**(values | overrides))


__all__ = ["PRESET_FIELDS", "add_proxy_arguments", "proxy_from_args"]
