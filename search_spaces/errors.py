"""The base of every error the project raises on purpose, and the architecture floor's own.

``NASError`` lives on the lowest floor so that every package can raise it; ``nas.errors`` adds
the kinds the search machinery raises. An error that is not a ``NASError`` is a bug.
"""

from __future__ import annotations


class NASError(Exception):
    """An error the project raises on purpose: bad input, a setting out of range, a job that
    cannot go on. Its message is one line that names the bad value and the rule."""


class SpecError(NASError, ValueError):
    """An architecture, an architecture string or a space holds a bad value."""
