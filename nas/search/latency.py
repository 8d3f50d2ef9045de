"""The latency table a search predicts candidates with: loaded, or built for the space's layers
it lacks before the first trial (a warning where it was measured elsewhere)."""

from __future__ import annotations

import logging
from typing import Any

from nas.cost.latency_build import build_table
from nas.cost.latency_layers import space_layers
from nas.cost.latency_table import LatencyTable, Target

log = logging.getLogger(__name__)


def check_latency_table(config: Any) -> None:
    """Read ``config``'s latency table if it exists, so that a file that is not one is refused
    before anything is written; measuring waits until the study is known to be its own."""
    if config.uses_latency and config.latency_table_path.exists():
        LatencyTable.load(config.latency_table_path)


def search_latency_table(config: Any, warn: bool = True) -> LatencyTable | None:
    """``config``'s (a SearchConfig) latency table, with every layer its space can produce at
    the deployment shape; None when the search does not use latency. ``warn``: say if it was
    measured elsewhere (once a search: its workers load it quietly)."""
    if not config.uses_latency:
        return None
    path = config.latency_table_path
    deploy = config.deployment
    shape = (deploy.resolution, deploy.in_channels, deploy.num_classes)
    space = config.search_space
    keys = space_layers(space, *shape)
    if path.exists():
        table = LatencyTable.load(path)
        if not table.missing(keys):
            reason = table.mismatch(table.target)
            if reason is not None and warn:
                log.warning(f"warning: latency table {path}: {reason}")
            return table
        target = table.target  # the build extending it warns if it was measured elsewhere
    else:
        target = Target()
    log.info(f"latency table {path}: measuring the layers it lacks on {target.describe()}")

    def progress(done: int, total: int) -> None:
        if total and (done == total or done % 512 < 128):
            log.info(f"latency table: {done:,} of {total:,} layers measured ({len(keys):,} in all)")

    return build_table(path, space, target, *shape, progress=progress).table
