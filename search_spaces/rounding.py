"""Channel rounding shared by the search space and compound scaling."""

from __future__ import annotations

from search_spaces.errors import SpecError


def round_channels(channels: int, multiplier: float = 1.0, divisor: int = 8) -> int:
    """The official EfficientNet rule: nearest multiple of ``divisor`` (at least ``divisor``),
    bumped up by one ``divisor`` when rounding lost more than 10% of ``channels * multiplier``."""
    if isinstance(divisor, bool) or not isinstance(divisor, int) or divisor < 1:
        raise SpecError(f"divisor={divisor!r} is invalid: must be an integer >= 1")
    if not multiplier > 0:
        raise SpecError(f"multiplier={multiplier!r} is invalid: must be > 0")
    exact = channels * multiplier
    rounded = max(divisor, int(exact + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * exact:
        rounded += divisor
    return int(rounded)
