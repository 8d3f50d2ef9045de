"""What every command-line tool shares: one-line errors with exit status 2, and reading an
architecture given as a baseline name, an architecture string or a JSON file."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import baselines
from search_spaces.spec import ArchSpec, decode, from_dict

EXIT_USAGE = 2
EXIT_FAILED = 1


class CommandFailed(RuntimeError):
    """The command could not finish (a storage lost for good, a worker that died); the
    message is one line that says what to do next. Exit status 1."""


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

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(EXIT_USAGE)


def run(
    main: Callable[[Sequence[str] | None], int], prog: str, argv: Sequence[str] | None = None
) -> int:
    """Run ``main``; errors a user can cause become one line on stderr and exit status 2."""
    try:
        return main(argv)
    except ValueError as error:
        sys.stderr.write(f"{prog}: error: {error}\n")
        return EXIT_USAGE
    except OSError as error:  # a missing file, an unwritable --results-dir...
        where = f": {error.filename!r}" if error.filename else ""
        detail = error.strerror or str(error)
        sys.stderr.write(f"{prog}: error: {detail}{where}\n".replace("\n", " ").rstrip() + "\n")
        return EXIT_USAGE
    except CommandFailed as error:
        sys.stderr.write(f"{prog}: error: {error}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


def resolve_arch(text: str) -> ArchSpec:
    """An ArchSpec from a baseline name, an architecture string, or a .json file holding an
    ArchSpec (or an object with an ``arch`` field holding one, such as a search's best.json)."""
    if text in baselines.names():
        return baselines.get(text)
    if text.endswith(".json"):
        path = Path(text)
        if not path.is_file():
            raise FileNotFoundError(f"architecture file {text!r} does not exist")
        try:
            data = json.loads(path.read_text())
        except (UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"architecture file {text!r} is not valid JSON: {error}") from None
        if isinstance(data, dict) and "arch" in data:
            data = data["arch"]
        try:
            return from_dict(data)
        except ValueError as error:
            raise ValueError(f"architecture file {text!r}: {error}") from None
    if text.startswith("stem"):
        return decode(text)
    raise ValueError(
        f"{text!r} is neither a baseline ({', '.join(baselines.names())}), an "
        "architecture string (stem...-res...) nor a .json file"
    )
