"""The journal file, the default storage: opened under its lock, with a torn last record repaired.

A crash or a full disk mid-write can cut a journal's last record. Optuna reads past it, but the
next record appended to that line makes the whole file unreadable. Before the journal is opened,
a cut last record is dropped (the file is backed up first, and a warning says so); a record
damaged anywhere else is an error naming the file and the line.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock

from nas.errors import InputError

log = logging.getLogger(__name__)

BACKUP_SUFFIX = ".torn"


class JournalDamaged(InputError):
    """A journal file holds a damaged record before its last one."""


def _backup_path(path: Path) -> Path:
    candidate = path.with_name(path.name + BACKUP_SUFFIX)
    number = 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}{BACKUP_SUFFIX}.{number}")
    return candidate


def _is_record(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def repair_torn_tail(path: Path) -> Path | None:
    """Drop a cut last record of the journal at ``path``, after copying the file beside it.
    Returns the backup's path, or None when the file was whole. The caller holds the lock."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    with open(path, "rb") as stream:
        data = stream.read()
    if not data.endswith(b"\n"):  # bytes after the last newline: a record never finished
        keep = data.rfind(b"\n") + 1
    else:  # the last line is finished; is it a whole record?
        start = data.rfind(b"\n", 0, len(data) - 1) + 1
        if _is_record(data[start:]):
            return None
        keep = start
    backup = _backup_path(path)
    shutil.copy2(path, backup)
    with open(path, "r+b") as stream:
        stream.truncate(keep)
    dropped = len(data) - keep
    log.warning(
        f"journal {str(path)!r}: its last record was cut ({dropped} bytes, a crash or a full "
        f"disk mid-write); dropped it and kept a copy of the file as {str(backup)!r}"
    )
    return backup


def damaged_line(path: Path) -> tuple[int, str] | None:
    """The first line of the journal that is not a whole record, with why, or None."""
    with open(path, "rb") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.endswith(b"\n"):
                return number, "the line is not finished"
            try:
                json.loads(line)
            except (ValueError, UnicodeDecodeError) as error:
                return number, str(error).splitlines()[0]
    return None


def open_journal(path: Path) -> JournalStorage:
    """Optuna's journal storage on the file at ``path`` (made if missing), its cut last record
    repaired first. A record damaged before the last raises JournalDamaged naming the line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = JournalFileSymlinkLock(str(path))
    lock.acquire()
    try:
        repair_torn_tail(path)
    finally:
        lock.release()
    try:
        return JournalStorage(JournalFileBackend(str(path), lock_obj=lock))
    except ValueError as error:  # json.JSONDecodeError is one
        found = damaged_line(path)
        where = f"line {found[0]} is damaged ({found[1]})" if found else f"unreadable ({error})"
        raise JournalDamaged(
            f"journal {str(path)!r}: {where}; restore the file from a backup, or move it away "
            "to start the study afresh"
        ) from None
