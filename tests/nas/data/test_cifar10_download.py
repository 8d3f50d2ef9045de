"""CIFAR-10 downloads from a local HTTP server: MD5-checked, atomic, pointed at by a setting or
the environment."""

from __future__ import annotations

import hashlib
import http.server
import threading

import pytest

from nas.data import CIFAR_URL_ENV, ChecksumError, DataConfig, cifar10, download, load_data
from tests.nas.data.helpers import cifar_tarball


class _Handler(http.server.BaseHTTPRequestHandler):
    """/good: the whole body; /drop: a Content-Length beyond what is sent, then a closed
    connection; /junk: bytes that are no archive; anything else: 404."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        bodies = self.server.bodies
        if self.path not in bodies:
            self.send_error(404)
            return
        body = bodies[self.path]
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        if self.path == "/drop":
            self.send_header("Content-Length", str(len(body) + 50_000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server(tmp_path):
    """(base URL, MD5 of /good, its bytes) of a server on 127.0.0.1 in a thread."""
    archive, md5 = cifar_tarball(tmp_path / "served" / "cifar.tar.gz")
    lacking, lacking_md5 = cifar_tarball(tmp_path / "served" / "lacking.tar.gz", batches=4)
    body = archive.read_bytes()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.bodies = {
        "/good": body,
        "/drop": body,
        "/junk": b"not a tarball",
        "/lacking": lacking.read_bytes(),
    }
    httpd.md5s = {"/lacking": lacking_md5}
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", md5, httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture(autouse=True)
def no_mirror(monkeypatch):
    monkeypatch.delenv(CIFAR_URL_ENV, raising=False)


def _left_in(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def _config(**fields) -> DataConfig:
    return DataConfig("cifar10", train_subset=None, val_subset=4, **fields)


def test_download_into_the_cache_extracts_the_layout(server, cache_home):
    base, md5, _ = server
    data = load_data(_config(download_url=base + "/good", download_md5=md5))
    assert data.train_images.shape == (16, 3, 32, 32) and data.val_images.shape[0] == 4
    assert _left_in(cache_home) == ["cifar10", "cifar10/cifar-10-batches-py"] + [
        f"cifar10/cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)
    ]
    again = load_data(_config(download_url=base + "/missing", download_md5=md5))
    assert again.train_images.equal(data.train_images)  # found in the cache, not downloaded


def test_wrong_checksum_is_one_line_and_leaves_nothing(server, cache_home):
    base, md5, _ = server
    wrong = "0123456789abcdef" * 2
    with pytest.raises(ChecksumError) as error:
        load_data(_config(download_url=base + "/good", download_md5=wrong))
    message = str(error.value)
    assert isinstance(error.value, ValueError) and "\n" not in message
    assert base + "/good" in message and wrong in message and md5 in message
    assert not cache_home.exists()


def test_mirror_is_checked_against_the_official_md5_by_default(server, cache_home):
    base, md5, _ = server
    with pytest.raises(ValueError, match=r"expected c58f30108f718f92721af3b95e74349a") as error:
        load_data(_config(download_url=base + "/good"))
    assert md5 in str(error.value)
    assert not cache_home.exists()


def test_dropped_connection_is_one_line_and_leaves_nothing(server, cache_home):
    base, md5, _ = server
    with pytest.raises(OSError, match=r"download failed") as error:
        load_data(_config(download_url=base + "/drop", download_md5=md5))
    assert "\n" not in str(error.value) and base + "/drop" in str(error.value)
    assert not cache_home.exists()


@pytest.mark.parametrize(
    ("path", "error"),
    [("/junk", r"/junk is not a valid tar.gz archive"), ("/lacking", r"no .*/data_batch_5")],
)
def test_bad_archive_leaves_nothing(server, cache_home, path, error):
    base, _, httpd = server
    md5 = httpd.md5s.get(path) or hashlib.md5(httpd.bodies[path]).hexdigest()
    with pytest.raises(ValueError, match=error):
        load_data(_config(download_url=base + path, download_md5=md5))
    assert not cache_home.exists()


def test_failed_download_keeps_a_cache_that_was_there(server, cache_home):
    base, md5, _ = server
    (cache_home / "other").mkdir(parents=True)
    with pytest.raises(ChecksumError):
        load_data(_config(download_url=base + "/good", download_md5="f" * 32))
    assert _left_in(cache_home) == ["other"]


def test_environment_variable_names_the_mirror(server, cache_home, monkeypatch):
    base, md5, _ = server
    monkeypatch.setenv(CIFAR_URL_ENV, base + "/good")
    assert cifar10.download_source(_config()) == (base + "/good", cifar10.CIFAR_MD5)
    data = load_data(_config(download_md5=md5))
    assert data.train_images.shape == (16, 3, 32, 32)


def test_setting_wins_over_the_environment(server, cache_home, monkeypatch):
    base, md5, _ = server
    monkeypatch.setenv(CIFAR_URL_ENV, base + "/drop")
    data = load_data(_config(download_url=base + "/good", download_md5=md5))
    assert data.train_images.shape == (16, 3, 32, 32)


def test_official_url_without_setting_or_environment():
    assert cifar10.download_source(_config()) == (cifar10.CIFAR_URL, cifar10.CIFAR_MD5)
    assert cifar10.CIFAR_URL == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert cifar10.CIFAR_MD5 == "c58f30108f718f92721af3b95e74349a"


def test_download_false_names_the_url_and_fetches_nothing(server, cache_home):
    base, md5, _ = server
    with pytest.raises(FileNotFoundError, match=r"download=False.*/good there") as error:
        load_data(_config(download=False, download_url=base + "/good", download_md5=md5))
    assert "\n" not in str(error.value)
    assert not cache_home.exists()


def test_archive_and_staging_folder_sit_beside_the_target(server, cache_home, monkeypatch):
    """Both temporaries are in the target's folder (one file system: the rename is atomic)."""
    base, md5, _ = server
    seen = []
    real = download._extract

    def spy(archive, into, folder, url):
        seen.append((archive.parent, into.parent, archive.name[:1], into.name[:1]))
        return real(archive, into, folder, url)

    monkeypatch.setattr(download, "_extract", spy)
    load_data(_config(download_url=base + "/good", download_md5=md5))
    assert seen == [(cache_home / "cifar10", cache_home / "cifar10", ".", ".")]
