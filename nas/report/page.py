"""The report as it is written: its files, its notes, and the one self-contained HTML page.

Every figure is embedded as a base64 data URI and the CSS is inline, so report.html opens
without a network and without the PNGs beside it.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from nas import results

WRITER = "python -m nas.report"
PAGE_FILE = "report.html"
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1150px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;font-size:.82em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:.2em .5em;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right}.text{text-align:left}
code{font-size:.9em;word-break:break-all}
figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}.note{color:#8a5a00}
"""

logger = logging.getLogger(__name__)


@dataclass
class Report:
    """What has been written so far, the notes, and the HTML sections.

    ``echo`` receives the lines a reader follows the report by (the top tables, the notes as
    "note: ...", the files written); None sends the notes to this module's logger as warnings
    and the other lines to it as info.
    """

    folder: Path
    echo: Callable[[str], None] | None = None
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        if self.echo is not None:
            self.echo(line)
        else:
            logger.info(line)

    def note(self, text: str) -> None:
        self.notes.append(text)
        if self.echo is not None:
            self.echo(f"note: {text}")
        else:
            logger.warning(text)

    def text(self, name: str, content: str) -> None:
        path = self.folder / name
        results.write_atomic(path, content)
        self.files[name] = path

    def figure(self, name: str, draw: Callable[[Path], Any], title: str, caption: str) -> Any:
        """Draw a PNG with ``draw(path)`` and embed it, captioned, in the page."""
        path = self.folder / name
        drawn = draw(path)
        self.files[name] = path
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        self.sections.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(title)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
        return drawn

    def heading(self, text: str) -> None:
        self.sections.append(f"<h2>{html.escape(text)}</h2>")

    def html(self, fragment: str) -> None:
        self.sections.append(fragment)


def html_page(report: Report, title: str) -> str:
    """The whole page: the sections so far, the notes, and the list of files."""
    notes = "".join(f'<li class="note">{html.escape(n)}</li>' for n in report.notes)
    files = "".join(f"<li><code>{html.escape(name)}</code></li>" for name in report.files)
    generated = datetime.now().isoformat(timespec="seconds")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Written by <code>{WRITER}</code> on {generated}, "
        f"into <code>{html.escape(str(report.folder))}</code>.</p>"
        + "".join(report.sections)
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + f"<h2>Files</h2><ul>{files}<li><code>{PAGE_FILE}</code></li></ul>"
        + "</body></html>\n"
    )
