"""Measuring latency on a target: the layers of a table, interleaved, and whole networks.

Every measurement is a forward pass at the target's batch in eval mode: warm-up passes first,
then ``repeats`` timed passes, each layer of a chunk timed once per round in a new shuffled
order (so that a slow moment of the machine spreads over all layers instead of landing on one);
the median is the figure, the interquartile range over it the spread. glibc is told to keep
freed memory (``nas.runtime.keep_freed_memory``) for layers and networks alike. torch runs
eager under ``inference_mode`` (CUDA synchronised after each pass); ONNX Runtime runs the module
exported with torch's exporter, on the CPU with the target's threads and its extended graph
optimizations (not the NCHWc layout: a layer alone would pay the reorders a network pays once).
"""

from __future__ import annotations

import io
import random
import statistics
import time
import warnings
from collections.abc import Callable, Iterator, Sequence

import numpy
import torch
from torch import nn

from nas.cost.latency_layers import LayerKey, network_layers
from nas.cost.latency_table import Entry, Target
from nas.errors import InputError, MissingExtra
from nas.logs import quiet
from nas.runtime import keep_freed_memory, torch_threads
from search_spaces.blocks import BODY_BUILDERS, ConvBnAct, ResidualLayer
from search_spaces.network import build_model
from search_spaces.spec import ArchSpec

CHUNK = 128  # layers held ready and interleaved at once


def layer_module(key: LayerKey) -> nn.Module:
    """The module a key stands for, built as the network builder builds it, in eval mode."""
    if key.kind in ("stem", "head"):
        module: nn.Module = ConvBnAct(
            key.in_channels, key.out_channels, key.kernel, key.stride, activation=key.activation
        )
    elif key.kind == "classifier":
        module = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(key.in_channels, key.out_channels)
        )
    else:
        body = BODY_BUILDERS[key.op](
            key.in_channels,
            key.out_channels,
            key.kernel,
            key.stride,
            key.expansion,
            key.se_ratio,
            key.activation,
        )
        module = ResidualLayer(body, key.residual, 0.0)
    return module.eval()


def _check_target(target: Target) -> torch.device:
    if target.device == "cuda" and not torch.cuda.is_available():
        raise InputError("device='cuda' is invalid: no CUDA device is available here")
    return torch.device(target.device)


class Runner:
    """One forward pass of a module on the target, ready to be timed: ``prime()`` touches the
    input so that it sits in the cache as a network's previous layer leaves it, ``run()`` is
    the pass, returning when it is done."""

    def __init__(self, run: Callable[[], object], prime: Callable[[], object]) -> None:
        self.run = run
        self.prime = prime


def _onnx_runner(module: nn.Module, sample: torch.Tensor, threads: int) -> Runner:
    try:
        import onnxruntime
    except ImportError:
        raise MissingExtra(
            "measuring on onnxruntime needs it: pip install 'efficientnas[onnx]'"
        ) from None
    buffer = io.BytesIO()
    with quiet("torch.onnx"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The TorchScript exporter: a small module exports in a tenth of a second, where the
        # dynamo exporter takes seconds, and a table holds thousands of layers.
        torch.onnx.export(module, (sample,), buffer, input_names=["x"], dynamo=False)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    session = onnxruntime.InferenceSession(
        buffer.getvalue(), options, providers=["CPUExecutionProvider"]
    )
    array = sample.numpy()
    with torch.inference_mode():
        result = module(sample).numpy()
    # Input and output bound to buffers of their own: a pass copies no result out, as a layer
    # inside a network does not (returning outputs added up to 15% in the first layers).
    out = numpy.empty_like(result)
    binding = session.io_binding()
    binding.bind_cpu_input("x", array)
    output = session.get_outputs()[0].name
    binding.bind_output(output, "cpu", 0, out.dtype, out.shape, out.ctypes.data)

    def prime() -> None:
        numpy.multiply(array, 1.0, out=array)

    def run() -> object:
        session.run_with_iobinding(binding)
        return out  # held here: the bound buffer must live as long as the runner

    return Runner(run, prime)


def runner(module: nn.Module, shape: Sequence[int], target: Target) -> Runner:
    """``module``'s forward pass on the target, at the input ``shape``."""
    device = _check_target(target)
    generator = torch.Generator().manual_seed(0)
    sample = torch.randn(tuple(shape), generator=generator)
    module = module.eval()
    if target.backend == "onnxruntime":
        return _onnx_runner(module, sample, target.threads)
    module = module.to(device)
    sample = sample.to(device)

    def prime() -> None:
        sample.mul_(1.0)
        if device.type == "cuda":  # done before the clock starts, not inside the layer's time
            torch.cuda.synchronize()

    if device.type == "cuda":

        def run_cuda() -> object:
            with torch.inference_mode():
                out = module(sample)
            torch.cuda.synchronize()
            return out

        return Runner(run_cuda, prime)

    def run() -> object:
        with torch.inference_mode():
            return module(sample)

    return Runner(run, prime)


def _entry(times: list[float]) -> Entry:
    median = statistics.median(times)
    if len(times) >= 4:
        quartiles = statistics.quantiles(times, n=4)
        spread = (quartiles[2] - quartiles[0]) / median if median > 0 else 0.0
    else:
        spread = 0.0
    return Entry(1e3 * median, spread, len(times))


def _timed(runner: Runner) -> float:
    runner.prime()
    start = time.perf_counter()
    runner.run()
    return time.perf_counter() - start


def _interleaved(runs: Sequence[Runner], warmup: int, repeats: int, order: random.Random):
    """Each run warmed up, then timed once per round, the rounds in shuffled orders."""
    for each in runs:
        for _ in range(warmup):
            each.run()
    times: list[list[float]] = [[] for _ in runs]
    indices = list(range(len(runs)))
    for _ in range(repeats):
        order.shuffle(indices)
        for index in indices:
            times[index].append(_timed(runs[index]))
    return [_entry(measured) for measured in times]


def _check_counts(**counts: int) -> None:
    for name, value in counts.items():
        least = 0 if name == "warmup" else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InputError(f"{name}={value!r} is invalid: must be an integer >= {least}")


def _threads(target: Target):
    return torch_threads(target.threads if target.device == "cpu" else None)


def measure_chunks(
    keys: Sequence[LayerKey],
    target: Target,
    warmup: int = 3,
    repeats: int = 15,
    seed: int = 0,
    chunk: int = CHUNK,
) -> Iterator[dict[str, Entry]]:
    """Each key's latency on ``target``, ``chunk`` layers at a time, interleaved: one dict per
    chunk as it is measured (a caller saves between chunks)."""
    _check_counts(warmup=warmup, repeats=repeats, chunk=chunk)
    _check_target(target)
    keep_freed_memory()
    order = random.Random(seed)
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        with _threads(target):
            runs = [
                runner(
                    layer_module(key), (target.batch, key.in_channels, key.size, key.size), target
                )
                for key in part
            ]
            entries = _interleaved(runs, warmup, repeats, order)
        yield {key.text: entry for key, entry in zip(part, entries, strict=True)}


def measure_layers(
    keys: Sequence[LayerKey], target: Target, warmup: int = 3, repeats: int = 15, seed: int = 0
) -> dict[str, Entry]:
    """Each key's latency on ``target`` (``measure_chunks`` merged)."""
    found: dict[str, Entry] = {}
    for part in measure_chunks(keys, target, warmup, repeats, seed):
        found |= part
    return found


def measure_networks(
    archs: Sequence[ArchSpec],
    target: Target,
    resolution: int | None = None,
    in_channels: int = 3,
    num_classes: int = 1000,
    warmup: int = 3,
    repeats: int = 15,
    seed: int = 0,
) -> list[Entry]:
    """Each network's end-to-end latency on ``target``, interleaved like the layers."""
    _check_counts(warmup=warmup, repeats=repeats)
    _check_target(target)
    keep_freed_memory()
    runs = []
    with _threads(target):
        for arch in archs:
            size = arch.resolution if resolution is None else resolution
            network_layers(arch, size, in_channels, num_classes)  # checks the arguments
            model = build_model(arch, num_classes=num_classes, in_channels=in_channels)
            runs.append(runner(model, (target.batch, in_channels, size, size), target))
        return _interleaved(runs, warmup, repeats, random.Random(seed))
