"""Where downloaded and decoded data is cached, and downloads written whole or not at all."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

DOWNLOAD_TIMEOUT_S = 30


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/efficientnas``, or ``~/.cache/efficientnas``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "efficientnas"


def download_file(url: str, dest: Path) -> None:
    """Fetch ``url`` into ``dest`` (written whole or not at all); OSError when it cannot.

    A ``dest`` that exists is kept as it is. A transfer shorter than the server's
    Content-Length is an OSError and leaves nothing behind."""
    if dest.is_file():
        return
    part = dest.with_name(dest.name + f".{os.getpid()}.part")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            expected = response.headers.get("Content-Length")
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(part, "wb") as out:
                while block := response.read(1 << 20):
                    out.write(block)
        if expected is not None and part.stat().st_size != int(expected):
            raise OSError(f"{url} ended after {part.stat().st_size} of {expected} bytes")
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
