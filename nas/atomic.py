"""Files written whole or not at all: through a temporary file beside the target, renamed over
it, so no reader ever sees half a file and a crash mid-write leaves the old one."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: the brief set-and-restore
    os.umask(mask)
    return mask


@contextlib.contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """``with replacing(path) as temporary:`` write ``temporary``; when the block ends, it is
    flushed to disk and replaces ``path`` (folders made as needed). After an error the
    temporary file is removed and ``path`` is as it was. The file keeps the mode of the one it
    replaces, else gets the mode an ordinary new file would."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    temporary = Path(name)
    try:
        os.chmod(temporary, mode)  # mkstemp makes 0600; results are shared like any file
        yield temporary
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)  # the data reaches the disk before the name points at it
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """``text`` into ``path``, whole or not at all."""
    with replacing(path) as temporary:
        temporary.write_text(text)
