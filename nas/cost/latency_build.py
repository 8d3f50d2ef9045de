"""Building a latency table for a space (only the layers it lacks, saved as it goes, then its
scale and per-layer term fitted on networks measured end to end) and checking its predictions
against end-to-end measurement."""

from __future__ import annotations

import logging
import multiprocessing
import random
import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy
import pandas as pd

import baselines
from nas.cost.latency_layers import LayerKey, network_layers, space_layers
from nas.cost.latency_measure import measure_chunks, measure_networks
from nas.cost.latency_table import LatencyTable, Target, library_versions, machine
from nas.errors import InputError
from search_spaces import encode
from search_spaces.spec import ArchSpec

log = logging.getLogger(__name__)

CALIBRATION_NETWORKS = 20
CALIBRATION_SEED = 1000  # the check draws from seed 0: the networks it judges are others
Progress = Callable[[int, int], None]  # (layers measured, layers to measure)


@dataclass(frozen=True)
class Measurement:
    """How a table is measured: warm-up and timed passes, and the networks its scale is fitted
    on."""

    warmup: int = 3
    repeats: int = 15
    calibration_networks: int = CALIBRATION_NETWORKS
    # Measure the calibration networks in a fresh process, as the check measures its own: a
    # process that has just done heavy work (thousands of layers, or training) runs the same
    # networks slower, and a table fitted there predicts every network too slow.
    fresh_process: bool = True


@dataclass(frozen=True)
class Built:
    """What ``build_table`` did: the table, the layers the space needs, and how many of them
    it measured now."""

    table: LatencyTable
    needed: int
    measured: int


def _draw(space: object, count: int, seed: int) -> list:
    rng = random.Random(seed)
    return [space.sample_random(rng) for _ in range(count)]  # type: ignore[attr-defined]


def open_table(path: Path, target: Target, missing: list[LayerKey] | None = None) -> LatencyTable:
    """The table at ``path`` to extend with ``missing`` layers (a new one if there is none).
    InputError if it was measured on another target, or on another machine when layers are
    missing (they would be measured here, beside the other device's); a warning if with other
    library versions."""
    if not path.exists():
        return LatencyTable(target, versions=library_versions(target))
    table = LatencyTable.load(path)
    if table.target != target:
        raise InputError(
            f"{path} was measured on {table.target.describe()}, not {target.describe()}: "
            "name another file for this target"
        )
    lacking = table.missing(missing or [])
    if lacking and table.machine != machine():
        raise InputError(
            f"{path} was measured on {table.machine or 'an unnamed machine'}, not here, and "
            f"lacks {len(lacking):,} layer(s) this needs (the first: {lacking[0].text}): "
            "measure them on that device"
        )
    reason = table.mismatch(target)
    if reason is not None:
        log.warning(
            f"warning: latency table {path}: {reason}; its entries and new ones may not agree"
        )
    return table


def build_table(
    path: str | Path,
    space: object,
    target: Target,
    resolution: int | None = None,
    in_channels: int = baselines.DEPLOYMENT_CHANNELS,
    num_classes: int = baselines.DEPLOYMENT_CLASSES,
    measurement: Measurement = Measurement(),
    progress: Progress | None = None,
    recalibrate: bool = False,
) -> Built:
    """Measure the layers of ``space`` that the table at ``path`` lacks, saving after each
    chunk (a stopped build resumes), then fit the table's scale on networks of the space when
    the table is new or ``recalibrate`` says so (a file's scale, fitted on the space first
    built or set by hand, is kept: predictions already made with it stay valid)."""
    path = Path(path)
    keys = space_layers(space, resolution, in_channels, num_classes)
    new = not path.exists()
    table = open_table(path, target, keys)
    missing = table.missing(keys)
    done = 0
    if progress is not None:
        progress(0, len(missing))
    path.parent.mkdir(parents=True, exist_ok=True)
    for part in measure_chunks(missing, target, measurement.warmup, measurement.repeats):
        table.entries.update(part)
        table.save(path)
        done += len(part)
        if progress is not None:
            progress(done, len(missing))
    if (new or recalibrate) and measurement.calibration_networks > 0:
        calibrate(table, space, target, resolution, in_channels, num_classes, measurement)
        table.save(path)
    elif not path.exists():
        table.save(path)
    return Built(table, len(keys), done)


def table_for_networks(
    path: str | Path,
    networks: list[tuple[ArchSpec, int]],
    measurement: Measurement = Measurement(),
    in_channels: int = baselines.DEPLOYMENT_CHANNELS,
    num_classes: int = baselines.DEPLOYMENT_CLASSES,
) -> tuple[LatencyTable, int]:
    """The table at ``path`` (which must exist: its target is the one measured on), with the
    layers of ``networks`` (architecture, resolution) it lacked measured and saved; and how
    many were."""
    path = Path(path)
    keys = [
        key
        for arch, resolution in networks
        for key in network_layers(arch, resolution, in_channels, num_classes)
    ]
    table = open_table(path, LatencyTable.load(path).target, keys)
    target = table.target
    missing = table.missing(keys)
    for part in measure_chunks(missing, target, measurement.warmup, measurement.repeats):
        table.entries.update(part)
        table.save(path)
    return table, len(missing)


def calibrate(
    table: LatencyTable,
    space: object,
    target: Target,
    resolution: int | None,
    in_channels: int,
    num_classes: int,
    measurement: Measurement,
) -> None:
    """Fit the table's ``scale`` and ``per_layer_ms`` on ``measurement.calibration_networks``
    networks drawn from the space (CALIBRATION_SEED) and measured end to end."""
    archs = _draw(space, measurement.calibration_networks, CALIBRATION_SEED)
    arguments = (
        archs,
        target,
        resolution,
        in_channels,
        num_classes,
        measurement.warmup,
        measurement.repeats,
    )
    if measurement.fresh_process:
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            measured = pool.submit(measure_networks, *arguments).result()
    else:
        measured = measure_networks(*arguments)
    sums, counts = zip(
        *(table.layers_sum(arch, resolution, in_channels, num_classes) for arch in archs),
        strict=True,
    )
    table.scale, table.per_layer_ms = fit_calibration(sums, counts, [e.ms for e in measured])
    table.calibration = {"networks": len(archs), "seed": CALIBRATION_SEED}


def fit_calibration(
    sums: Sequence[float], counts: Sequence[int], measured: Sequence[float]
) -> tuple[float, float]:
    """(scale, per_layer_ms) that predict ``measured`` from the networks' layer sums and layer
    counts with the least squared relative error; with too few networks, or a fit that is not
    a positive scale, the median ratio of measured to summed and no per-layer term."""
    ratio = statistics.median(m / s for m, s in zip(measured, sums, strict=True))
    if len(set(counts)) < 2 or len(measured) < 4:
        return ratio, 0.0
    y = numpy.asarray(measured, dtype=float)
    design = numpy.column_stack([sums, counts]).astype(float) / y[:, None]
    (scale, per_layer), *_ = numpy.linalg.lstsq(design, numpy.ones(len(y)), rcond=None)
    predicted = numpy.asarray(sums) * scale + numpy.asarray(counts) * per_layer
    if not (scale > 0 and (predicted > 0).all()):
        return ratio, 0.0
    return float(scale), float(per_layer)


@dataclass(frozen=True)
class CheckFigures:
    """Prediction against measurement: mean absolute and worst percentage error, Kendall tau,
    and the same before the scale (the plain sum of layers)."""

    networks: int
    mape: float
    worst: float
    tau: float
    mape_sum: float
    worst_sum: float


def check_table(
    table: LatencyTable,
    space: object,
    target: Target,
    networks: int = 50,
    seed: int = 0,
    resolution: int | None = None,
    in_channels: int = baselines.DEPLOYMENT_CHANNELS,
    num_classes: int = baselines.DEPLOYMENT_CLASSES,
    measurement: Measurement = Measurement(),
) -> tuple[pd.DataFrame, CheckFigures]:
    """Draw ``networks`` networks of ``space``, predict each from the table and measure it end
    to end on ``target``: one row per network, and the figures."""
    from scipy.stats import kendalltau

    if isinstance(networks, bool) or not isinstance(networks, int) or networks < 2:
        raise InputError(f"networks={networks!r} is invalid: must be an integer >= 2")
    archs = _draw(space, networks, seed)
    for arch in archs:  # every layer known before anything is timed
        table.layer_ms(network_layers(arch, resolution, in_channels, num_classes))
    measured = measure_networks(
        archs,
        target,
        resolution,
        in_channels,
        num_classes,
        measurement.warmup,
        measurement.repeats,
    )
    rows = []
    for arch, entry in zip(archs, measured, strict=True):
        summed, layers = table.layers_sum(arch, resolution, in_channels, num_classes)
        predicted = table.combine(summed, layers)
        rows.append(
            {
                "arch": encode(arch),
                "layers": layers,
                "predicted_ms": predicted,
                "layers_sum_ms": summed,
                "measured_ms": entry.ms,
                "spread": entry.spread,
                "error": predicted / entry.ms - 1,
            }
        )
    frame = pd.DataFrame(rows)
    plain = (frame["layers_sum_ms"] / frame["measured_ms"] - 1).abs()
    figures = CheckFigures(
        networks=len(frame),
        mape=float(frame["error"].abs().mean()),
        worst=float(frame["error"].abs().max()),
        tau=float(kendalltau(frame["predicted_ms"], frame["measured_ms"]).statistic),
        mape_sum=float(plain.mean()),
        worst_sum=float(plain.max()),
    )
    return frame, figures
