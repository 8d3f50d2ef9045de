"""Reading an architecture given as a baseline name, an architecture string, a NAS-Bench-Macro
key (``nb-macro:22212220``) or a JSON file."""

from __future__ import annotations

import json
from pathlib import Path

import baselines
from nas.errors import InputError, MissingFile
from search_spaces import nb_macro
from search_spaces.spec import ArchSpec, decode, from_dict

NB_MACRO_PREFIX = f"{nb_macro.NAME}:"  # nb-macro:KEY names a network of NAS-Bench-Macro's space


def resolve_arch(text: str) -> ArchSpec:
    """An ArchSpec from a baseline name, an architecture string, ``nb-macro:KEY``, or a .json
    file holding an ArchSpec (or an object with an ``arch`` field holding one, such as a
    search's best.json)."""
    if text in baselines.names():
        return baselines.get(text)
    if text.startswith(NB_MACRO_PREFIX):
        return nb_macro.arch(text[len(NB_MACRO_PREFIX) :])
    if text.endswith(".json"):
        path = Path(text)
        if not path.is_file():
            raise MissingFile(f"architecture file {text!r} does not exist")
        try:
            data = json.loads(path.read_text())
        except (UnicodeDecodeError, ValueError) as error:
            raise InputError(f"architecture file {text!r} is not valid JSON: {error}") from None
        if isinstance(data, dict) and "arch" in data:
            data = data["arch"]
        try:
            return from_dict(data)
        except ValueError as error:
            raise InputError(f"architecture file {text!r}: {error}") from None
    if text.startswith("stem"):
        return decode(text)
    raise InputError(
        f"{text!r} is neither a baseline ({', '.join(baselines.names())}), an "
        "architecture string (stem...-res...), a NAS-Bench-Macro key (nb-macro:22212220) nor a "
        ".json file"
    )
