"""nas.atomic: a file is replaced whole or not at all."""

from __future__ import annotations

import os

import pytest

from nas.atomic import replacing, write_text


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "trials.csv"
    write_text(path, "old\n")
    with pytest.raises(RuntimeError), replacing(path) as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed mid-write")
    assert path.read_text() == "old\n" and os.listdir(tmp_path) == ["trials.csv"]


def test_a_new_file_gets_an_ordinary_mode_and_its_folders(tmp_path):
    path = tmp_path / "new" / "best.json"
    write_text(path, "{}\n")
    umask = os.umask(0)
    os.umask(umask)
    assert path.read_text() == "{}\n" and path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "best.json"
    write_text(path, "old\n")
    os.chmod(path, 0o640)
    write_text(path, "new\n")
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o777 == 0o640
