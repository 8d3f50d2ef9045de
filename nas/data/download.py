"""Where downloaded and decoded data is cached, and downloads written whole or not at all."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import tarfile
import tempfile
import urllib.request
import zlib
from pathlib import Path

from nas.atomic import replacing
from nas.data._util import one_line
from nas.errors import InputError, NASError

DOWNLOAD_TIMEOUT_S = 30
_BLOCK = 1 << 20

logger = logging.getLogger(__name__)


class ChecksumError(NASError, ValueError):
    """A download whose MD5 is not the expected one; the message names the URL and both sums."""


class DownloadError(NASError, OSError):
    """A download that failed or ended short; the message names the URL and the cause."""


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/efficientnas``, or ``~/.cache/efficientnas``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "efficientnas"


def _fetch(url: str, out) -> str:
    """Stream ``url`` into the open file ``out``; its MD5 (hex). OSError when the transfer fails
    or ends short of the server's Content-Length."""
    md5 = hashlib.md5(usedforsecurity=False)
    written = 0
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            expected = response.headers.get("Content-Length")
            while block := response.read(_BLOCK):
                out.write(block)
                md5.update(block)
                written += len(block)
    except http.client.HTTPException as error:  # IncompleteRead and kin are not OSErrors
        raise DownloadError(f"{url} failed after {written} bytes: {one_line(error)}") from None
    except ValueError as error:  # urllib's "unknown url type"
        raise DownloadError(f"{url} cannot be fetched: {one_line(error)}") from None
    if expected is not None and expected.isdigit() and written != int(expected):
        raise DownloadError(f"{url} ended after {written} of {expected} bytes")
    return md5.hexdigest()


def download_file(url: str, dest: Path, md5: str | None = None) -> None:
    """Fetch ``url`` into ``dest`` (written whole or not at all); OSError when it cannot,
    ChecksumError (a ValueError) when ``md5`` is given and the file's differs.

    A ``dest`` that exists is kept as it is. A transfer shorter than the server's
    Content-Length, or with the wrong MD5, leaves nothing behind."""
    if dest.is_file():
        return
    created = new_folders(dest.parent)
    try:
        with replacing(dest) as part, open(part, "wb") as out:
            _check_md5(url, _fetch(url, out), md5)
    except BaseException:
        remove_folders(created)
        raise


def _check_md5(url: str, actual: str, expected: str | None) -> None:
    if expected is not None and actual != expected.lower():
        raise ChecksumError(
            f"{url} has MD5 {actual}, expected {expected.lower()}; the download was discarded"
        )


def new_folders(folder: Path) -> list[Path]:
    """``folder`` and its ancestors that do not exist yet, deepest first."""
    return [p for p in (folder, *folder.parents) if not p.exists()]


def remove_folders(created: list[Path]) -> None:
    """Remove the folders ``new_folders`` listed (deepest first), each only while empty."""
    for path in created:
        try:
            path.rmdir()
        except OSError:
            break


def download_tree(
    url: str, md5: str, root: Path, folder: str, required: tuple[str, ...] = ()
) -> Path:
    """Download the tar.gz at ``url``, check its MD5, extract its ``folder/`` (which must hold
    the files ``required``) and move it to ``root/folder``, which is returned.

    Atomic: the archive goes to a temporary file in ``root`` and is extracted into a temporary
    folder there, then renamed into place; after any failure neither is left, nor folders made
    for them. OSError when the transfer fails, ChecksumError when the MD5 differs, ValueError
    when the archive is not a tar.gz holding ``folder/``. A ``root/folder`` that appears
    meanwhile (another process) is kept."""
    target = root / folder
    created = new_folders(root)
    root.mkdir(parents=True, exist_ok=True)
    handle, archive_name = tempfile.mkstemp(dir=root, prefix=f".{folder}.", suffix=".tar.gz.part")
    archive = Path(archive_name)
    staging: Path | None = None
    done = False
    try:
        with os.fdopen(handle, "wb") as out:
            actual = _fetch(url, out)
        _check_md5(url, actual, md5)
        staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{folder}.", suffix=".tmp"))
        _extract(archive, staging, folder, url)
        missing = [name for name in required if not (staging / folder / name).is_file()]
        if missing:
            raise InputError(f"{url} holds no {folder}/{missing[0]}")
        try:
            os.rename(staging / folder, target)
        except OSError:
            if not target.is_dir():
                raise
            logger.info("%s appeared while downloading %s: kept as it is", target, url)
        done = True
        return target
    finally:
        archive.unlink(missing_ok=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if not done:
            remove_folders(created)


def _extract(archive: Path, into: Path, folder: str, url: str) -> None:
    """The regular files under ``folder/`` in ``archive``, extracted into ``into``."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = [
                m
                for m in tar.getmembers()
                if m.isfile() and m.name.startswith(folder + "/") and ".." not in Path(m.name).parts
            ]
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(into, members=members, **extra)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise InputError(f"{url} is not a valid tar.gz archive: {one_line(error)}") from None
    if not members:
        raise InputError(f"{url} holds no {folder}/ folder")
