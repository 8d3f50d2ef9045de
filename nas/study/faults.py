"""Telling a lost storage from a failed candidate, and riding out a short outage."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from nas.errors import JobFailed

T = TypeVar("T")
log = logging.getLogger(__name__)

# The connection errors of the storage drivers. They share no base class, and importing a
# driver only to name its errors would make it a dependency, so they are matched by name.
_CONNECTION_ERRORS = {
    "sqlalchemy.exc.OperationalError",
    "sqlalchemy.exc.InterfaceError",
    "sqlalchemy.exc.DisconnectionError",
    "redis.exceptions.ConnectionError",
    "redis.exceptions.TimeoutError",
    "builtins.ConnectionError",
}
BACKOFF_SECONDS = (1, 2, 4, 8, 16, 32)  # about a minute in all


class StorageLost(JobFailed):
    """The storage stayed unreachable through every retry; the message says how to resume."""


def is_connection_error(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the storage could not be reached."""
    while error is not None:
        names = {f"{kind.__module__}.{kind.__qualname__}" for kind in type(error).__mro__}
        if names & _CONNECTION_ERRORS:
            return True
        error = error.__cause__ or error.__context__
    return False


def with_backoff(
    action: Callable[[], T],
    where: str,
    backoff: tuple[float, ...] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``action``; while it fails for want of the storage, wait and try again
    (``BACKOFF_SECONDS`` by default). After the last wait, raise StorageLost naming ``where``
    (a masked URL)."""
    backoff = BACKOFF_SECONDS if backoff is None else backoff
    for attempt, seconds in enumerate((*backoff, None)):
        try:
            return action()
        except Exception as error:
            if not is_connection_error(error):
                raise
            if seconds is None:
                raise StorageLost(
                    f"storage {where} unreachable for {sum(backoff):g} s "
                    f"({type(error).__name__}); finished trials are kept: run the same "
                    "command again to resume"
                ) from None
            log.warning(
                f"storage {where} unreachable ({type(error).__name__}); "
                f"retry {attempt + 1} of {len(backoff)} in {seconds:g} s",
            )
            sleep(seconds)
    raise AssertionError("unreachable")
