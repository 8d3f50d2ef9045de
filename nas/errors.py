"""The typed errors library code raises; the commands turn them into one line and an exit status.

Every one is a ``NASError`` (from ``search_spaces.errors``, the lowest floor, so that the
architecture floor shares the base); anything else that reaches a command is a bug. Library code
never names a command-line flag. A ``ConfigError`` names settings as fields
(``min_flops=5.0``); the command line renders the same error with flags (``--min-flops=5.0``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from search_spaces.errors import NASError, SpecError

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def flag_name(field: str) -> str:
    """The command-line flag of a setting: ``min_flops`` -> ``--min-flops``."""
    return "--" + field.replace("_", "-")


class ConfigError(NASError, ValueError):
    """A setting holds a bad value.

    ``rule`` says what the value must be; it may name other settings as ``{field}``
    placeholders, which are rendered like the setting itself. ``field=None`` makes an error about
    settings together, with ``rule`` the whole message.
    """

    def __init__(self, field: str | None, value: object, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(self.render(str))

    def render(self, name: Callable[[str], str] = str) -> str:
        """The message with every setting shown through ``name`` (``flag_name`` for a CLI)."""
        rule = _PLACEHOLDER.sub(lambda match: name(match.group(1)), self.rule)
        if self.field is None:
            return rule
        return f"{name(self.field)}={self.value!r} is invalid: {rule}"

    def __reduce__(self):  # picklable across worker processes
        return (type(self), (self.field, self.value, self.rule))


class InputError(NASError, ValueError):
    """An input that is not one setting is unusable: a file, a folder, a study, an
    architecture string, a combination of values."""


class MissingFile(NASError, FileNotFoundError):
    """A file or folder the user named, or one a command needs, is not there."""


class MissingExtra(NASError, ImportError):
    """An optional dependency (an extra) is needed and not installed; the message says which
    ``pip install`` line adds it."""


class JobFailed(NASError, RuntimeError):
    """A long job could not finish (a storage lost for good, a worker that died); the message
    is one line that says how to resume. Commands exit with status 1."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a job that has already said what it kept and how to resume;
    a command exits 130 without saying "interrupted" again."""


__all__ = [
    "ConfigError",
    "InputError",
    "Interrupted",
    "JobFailed",
    "MissingExtra",
    "MissingFile",
    "NASError",
    "SpecError",
    "flag_name",
]
