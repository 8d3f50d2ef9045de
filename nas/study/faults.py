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


class StorageUnwritable(JobFailed):
    """The storage could not be written (a full disk, a read-only file); the message names the
    storage and the cause, and says how to resume."""


def os_error_in(error: BaseException | None) -> OSError | None:
    """The first OSError in ``error``'s chain (itself, its cause, its context) that is not a
    lost connection: Optuna reports a failed journal write as ``AssertionError: Should not
    reach.`` with the OSError as its context."""
    while error is not None:
        if isinstance(error, OSError) and not is_connection_error(error):
            return error
        error = error.__cause__ or error.__context__
    return None


def unwritable(error: OSError, where: str) -> StorageUnwritable:
    """The one-line error for a storage ``where`` that ``error`` stopped writing."""
    cause = error.strerror or " ".join(str(error).split()) or type(error).__name__
    name = f" ({error.filename})" if error.filename else ""
    return StorageUnwritable(
        f"the study's storage {where}{name} cannot be written: {cause}; finished trials are "
        "kept: free the space (or fix the file) and run the same command again to resume"
    )


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
