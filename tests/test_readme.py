"""README.md stays a short guide whose Python API example runs and whose links resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAX_LINES = 250

# [text](target) links; images too. Targets with a scheme or a bare anchor are not files.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def section(text: str, heading: str) -> str:
    """The text under a markdown heading, up to the next heading of the same or a higher level."""
    lines = text.splitlines()
    headings = [
        (index, len(match.group(1)))
        for index, line in enumerate(lines)
        if (match := re.match(r"(#+)\s+(.*)", line)) and match.group(2).strip() == heading
    ]
    assert headings, f"README.md has no heading {heading!r}"
    start, level = headings[0]
    body = []
    for line in lines[start + 1 :]:
        match = re.match(r"(#+)\s", line)
        if match and len(match.group(1)) <= level:
            break
        body.append(line)
    return "\n".join(body)


def first_python_block(text: str) -> str:
    match = re.search(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    assert match, "no ```python block"
    return match.group(1)


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_LINES, f"README.md has {len(lines)} lines, at most {MAX_LINES}"


def test_readme_relative_links_exist():
    text = README.read_text(encoding="utf-8")
    targets = [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:|#", t)]
    assert targets, "README.md links no docs"
    missing = [t for t in targets if not (ROOT / t.split("#", 1)[0]).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_readme_python_api_example_runs(tmp_path, monkeypatch, one_thread):
    code = first_python_block(section(README.read_text(encoding="utf-8"), "Python API"))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(code, "README.md (Python API)", "exec"), namespace)

    trials_csv = (tmp_path / namespace["config"].folder / "trials.csv").resolve()
    assert trials_csv.is_file(), f"the example wrote no {trials_csv}"
    assert tmp_path.resolve() in trials_csv.parents, "the example wrote outside its directory"
    assert len(pd.read_csv(trials_csv)) == 2
    assert len(namespace["table"]) == 2
