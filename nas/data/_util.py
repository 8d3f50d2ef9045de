"""Small checks and message helpers the data modules share."""

from __future__ import annotations


def is_int(value: object) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def one_line(error: BaseException) -> str:
    """An error's message on one line, or its type's name when it has none."""
    text = " ".join(str(error).split())
    return text or type(error).__name__
