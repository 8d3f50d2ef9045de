"""Files written whole or not at all: through a temporary file beside the target, renamed over
it, so no reader ever sees half a file and a crash mid-write leaves the old one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """``with replacing(path) as temporary:`` write ``temporary``; when the block ends, it
    replaces ``path`` (folders made as needed). After an error the temporary file is removed
    and ``path`` is as it was. The file gets the mode an ordinary new file would."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    temporary = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; results are shared like any file
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """``text`` into ``path``, whole or not at all."""
    with replacing(path) as temporary:
        temporary.write_text(text)
