"""The one run log: a CSV with a header, one row per finished run, appended to as runs end
(under a lock, so several processes log at once) and read back whole, so that a stopped job
resumes and a finished one runs nothing. Every job that keeps a log of runs (the fidelity check,
the sampler benchmark, the benches) keeps it here, each with its own columns and key."""

from __future__ import annotations

import csv
import fcntl
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nas.errors import ConfigError, InputError

Row = dict[str, str]


class RunLog:
    """The log at ``path`` with ``columns``; a row's identity is its ``key`` columns (a later
    row with the same key wins). ``older``: the headers of earlier versions of the log, still
    read (their rows lack the newer columns, which read as empty)."""

    def __init__(
        self,
        path: str | Path,
        columns: Sequence[str],
        key: Sequence[str],
        older: Sequence[Sequence[str]] = (),
        kind: str = "run log",
        field: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.key = tuple(key)
        self.older = [list(header) for header in older]
        self.kind = kind
        self.field = field  # the setting that named the file, for errors (ConfigError)

    def _bad(self, rule: str) -> InputError | ConfigError:
        if self.field is not None:
            return ConfigError(self.field, str(self.path), rule)
        return InputError(f"{str(self.path)!r}: {rule}")

    def header(self) -> list[str] | None:
        """The file's header; None for a missing or empty file."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return None
        if self.path.is_dir():
            raise self._bad(f"is a folder: give a CSV file for the {self.kind}")
        with self.path.open(newline="") as stream:
            return next(csv.reader(stream), [])

    def rows(self) -> list[Row]:
        """Every row, in order; InputError naming the file when its header is not this log's."""
        header = self.header()
        if header is None:
            return []
        if header != self.columns and header not in self.older:
            raise self._bad(
                f"its columns ({', '.join(header)}) are not those of a {self.kind} "
                f"({', '.join(self.columns)}); give another file"
            )
        with self.path.open(newline="") as stream:
            reader = csv.reader(stream)
            next(reader)
            found = []
            for line, values in enumerate(reader, start=2):
                if not values:
                    continue
                if len(values) != len(header):
                    raise self._bad(f"line {line} is not a run: {','.join(values)}")
                row = dict.fromkeys(self.columns, "") | dict(zip(header, values, strict=True))
                found.append(row)
        return found

    def load(self) -> dict[tuple[str, ...], Row]:
        """The rows by key."""
        return {tuple(row[name] for name in self.key): row for row in self.rows()}

    def append(self, row: Mapping[str, Any]) -> None:
        """Log one finished run (the header first into a new or empty file), under an exclusive
        lock. A log begun with an older header goes on with its columns."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", newline="") as stream:
            fcntl.flock(stream, fcntl.LOCK_EX)
            try:
                stream.seek(0)
                first = stream.readline()
                header = next(csv.reader([first])) if first.strip() else None
                columns = header if header in self.older else self.columns
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                if header is None:
                    writer.writerow(columns)
                writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
                stream.seek(0, io.SEEK_END)
                stream.write(buffer.getvalue())
                stream.flush()
            finally:
                fcntl.flock(stream, fcntl.LOCK_UN)
