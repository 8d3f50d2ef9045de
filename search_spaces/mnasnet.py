"""The MnasNet factorized hierarchical search space, relative to a reference architecture.

The network keeps the reference's stem, head, activation, resolution and per-block strides;
each block (stage) independently chooses its op, kernel, expansion (for ops that have one),
squeeze-excite ratio, skip, output filters (reference x multiplier, rounded to a multiple of 8)
and layers (reference repeats + delta, at least 1). Every choice list is configurable.

The only bridge to Optuna is ``sample(trial)``, which calls nothing but
``trial.suggest_categorical``, so any sampler, and ``optuna.trial.FixedTrial``, can drive it.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

from search_spaces.errors import SpecError
from search_spaces.rounding import round_channels
from search_spaces.spec import (
    KERNELS,
    MNASNET_OPS,
    OPS_WITH_EXPANSION,
    ArchSpec,
    BlockSpec,
    encode,
)

# Choice names of one block, in the order they are suggested. "expansion" is conditional.
CHOICE_NAMES: tuple[str, ...] = (
    "op",
    "kernel",
    "expansion",
    "se_ratio",
    "skip",
    "filters",
    "layers",
)


class CategoricalTrial(Protocol):
    """The part of optuna.trial.Trial the space uses."""

    def suggest_categorical(self, name: str, choices: Any) -> Any: ...


class _RandomTrial:
    """Uniform random choices from a ``random.Random``: sampling without a study."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return self.rng.choice(list(choices))


def _as_choices(name: str, values: Any, valid: Any, rule: str) -> tuple:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise SpecError(f"MnasSpace.{name}={values!r} is invalid: must be a list of choices")
    values = tuple(values)
    if not values:
        raise SpecError(f"MnasSpace.{name} is empty: give at least one choice")
    for value in values:
        if not valid(value):
            raise SpecError(f"MnasSpace.{name} has invalid choice {value!r}: {rule}")
    if len(set(values)) != len(values):
        raise SpecError(f"MnasSpace.{name}={values!r} repeats a choice")
    return values


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_reference(reference: object) -> ArchSpec:
    if isinstance(reference, ArchSpec):
        return reference
    raise SpecError(
        f"MnasSpace.reference={reference!r} is invalid: give an ArchSpec "
        "(a named one is baselines.get(name))"
    )


@dataclass(frozen=True)
class MnasSpace:
    """Per-block choices around ``reference`` (an ArchSpec: ``baselines.get(name)``)."""

    reference: ArchSpec
    ops: tuple[str, ...] = MNASNET_OPS
    kernels: tuple[int, ...] = (3, 5)
    expansions: tuple[int, ...] = (1, 3, 6)
    se_ratios: tuple[float, ...] = (0.0, 0.25)
    skips: tuple[bool, ...] = (True, False)
    filter_multipliers: tuple[float, ...] = (0.75, 1.0, 1.25)
    layer_deltas: tuple[int, ...] = (-1, 0, 1)
    divisor: int = 8

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "reference", _check_reference(self.reference))
        set_(
            self,
            "ops",
            _as_choices(
                "ops",
                self.ops,
                lambda v: v in MNASNET_OPS,
                f"must be one of {', '.join(MNASNET_OPS)}",
            ),
        )
        set_(
            self,
            "kernels",
            _as_choices(
                "kernels",
                self.kernels,
                lambda v: _is_int(v) and v in KERNELS,
                "must be an odd size from 1 to 9",
            ),
        )
        set_(
            self,
            "expansions",
            _as_choices(
                "expansions",
                self.expansions,
                lambda v: _is_int(v) and v >= 1,
                "must be an integer >= 1",
            ),
        )
        set_(
            self,
            "se_ratios",
            _as_choices(
                "se_ratios",
                self.se_ratios,
                lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1,
                "must be a number from 0 to 1",
            ),
        )
        set_(
            self,
            "skips",
            _as_choices(
                "skips", self.skips, lambda v: isinstance(v, bool), "must be True or False"
            ),
        )
        set_(
            self,
            "filter_multipliers",
            _as_choices(
                "filter_multipliers",
                self.filter_multipliers,
                lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0,
                "must be a number > 0",
            ),
        )
        set_(
            self,
            "layer_deltas",
            _as_choices("layer_deltas", self.layer_deltas, _is_int, "must be an integer"),
        )
        if not _is_int(self.divisor) or self.divisor < 1:
            raise SpecError(
                f"MnasSpace.divisor={self.divisor!r} is invalid: must be an integer >= 1"
            )

    @property
    def num_blocks(self) -> int:
        return len(self.reference.stages)

    def block_choices(self, block: int) -> dict[str, tuple]:
        """The choices of block ``block`` (0-based), filters and layers as absolute values."""
        ref = self.reference.stages[block]
        filters = sorted(
            {round_channels(ref.out_channels, m, self.divisor) for m in self.filter_multipliers}
        )
        layers = sorted({max(1, ref.repeats + d) for d in self.layer_deltas})
        return {
            "op": self.ops,
            "kernel": self.kernels,
            "expansion": self.expansions,
            "se_ratio": self.se_ratios,
            "skip": self.skips,
            "filters": tuple(filters),
            "layers": tuple(layers),
        }

    @staticmethod
    def param_name(block: int, choice: str) -> str:
        """The Optuna parameter name of a choice: ``b1_op`` ... ``b7_layers`` (1-based)."""
        return f"b{block + 1}_{choice}"

    def sample(self, trial: CategoricalTrial) -> ArchSpec:
        """One architecture, chosen through ``trial.suggest_categorical`` alone."""
        stages = []
        for block, ref in enumerate(self.reference.stages):
            choices = self.block_choices(block)

            def pick(choice: str, block: int = block, choices: dict = choices) -> Any:
                return trial.suggest_categorical(self.param_name(block, choice), choices[choice])

            op = pick("op")
            kernel = pick("kernel")
            expansion = pick("expansion") if op in OPS_WITH_EXPANSION else 1
            se_ratio = pick("se_ratio")
            skip = pick("skip")
            filters = pick("filters")
            layers = pick("layers")
            stages.append(
                BlockSpec(op, kernel, ref.stride, expansion, se_ratio, skip, filters, layers)
            )
        return self.reference.replace(stages=tuple(stages))

    def sample_random(self, rng: random.Random | int | None = None) -> ArchSpec:
        """A uniformly random architecture, without Optuna (for benchmarks and tests)."""
        if not isinstance(rng, random.Random):
            rng = random.Random(rng)
        return self.sample(_RandomTrial(rng))

    def params_of(self, arch: ArchSpec) -> dict[str, Any]:
        """The trial parameters that make ``sample`` return ``arch``: for
        ``study.enqueue_trial`` or ``FixedTrial``. ValueError if ``arch`` is not in the space."""
        ref = self.reference
        if not isinstance(arch, ArchSpec):
            raise SpecError(f"expected an ArchSpec, got {type(arch).__name__}")
        for field in ("stem_channels", "head_channels", "activation", "resolution"):
            if getattr(arch, field) != getattr(ref, field):
                raise SpecError(
                    f"{field}={getattr(arch, field)!r} differs from the reference's "
                    f"{getattr(ref, field)!r}: not in this space"
                )
        if len(arch.stages) != len(ref.stages):
            raise SpecError(
                f"{len(arch.stages)} stages, the space has {len(ref.stages)}: not in this space"
            )
        params: dict[str, Any] = {}
        for block, (stage, ref_stage) in enumerate(zip(arch.stages, ref.stages, strict=True)):
            if stage.stride != ref_stage.stride:
                raise SpecError(
                    f"block {block + 1} stride={stage.stride} differs from the "
                    f"reference's {ref_stage.stride}: not in this space"
                )
            choices = self.block_choices(block)
            values = {
                "op": stage.op,
                "kernel": stage.kernel,
                "expansion": stage.expansion,
                "se_ratio": stage.se_ratio,
                "skip": stage.skip,
                "filters": stage.out_channels,
                "layers": stage.repeats,
            }
            for choice in CHOICE_NAMES:
                if choice == "expansion" and stage.op not in OPS_WITH_EXPANSION:
                    continue
                if values[choice] not in choices[choice]:
                    raise SpecError(
                        f"block {block + 1} {choice}={values[choice]!r} is not "
                        f"among this space's choices {choices[choice]}"
                    )
                params[self.param_name(block, choice)] = values[choice]
        return params

    def size(self) -> int:
        """The number of distinct networks in the space.

        Choices that build the same network count once: ``ds`` is MBConv with expansion 1, a
        regular conv is Fused-MBConv with expansion 1, and skip changes nothing in a one-layer
        block that can have no residual (its stride is 2 or its channels change).
        """
        ways = Counter({self.reference.stem_channels: 1})  # input channels -> prefixes
        for block in range(self.num_blocks):
            stride = self.reference.stages[block].stride
            choices = self.block_choices(block)
            bodies = set()
            for op in choices["op"]:
                expansions = choices["expansion"] if op in OPS_WITH_EXPANSION else (1,)
                family = "fused" if op in ("fused_mbconv", "conv") else "mbconv"
                for expansion in expansions:
                    for kernel in choices["kernel"]:
                        for se in choices["se_ratio"]:
                            bodies.add((family, expansion, kernel, float(se)))
            following = Counter()
            for in_channels, count in ways.items():
                for filters in choices["filters"]:
                    for layers in choices["layers"]:
                        first_residual_possible = stride == 1 and in_channels == filters
                        shortcuts = {
                            skip and (layers > 1 or first_residual_possible)
                            for skip in choices["skip"]
                        }
                        following[filters] += count * len(bodies) * len(shortcuts)
            ways = following
        return sum(ways.values())

    def __contains__(self, arch: object) -> bool:
        try:
            self.params_of(arch)  # type: ignore[arg-type]
        except ValueError:
            return False
        return True

    def describe(self) -> str:
        """A table of every block's choices, for logs and --dry-run."""
        lines = [f"MnasSpace around {encode(self.reference)}"]
        for block in range(self.num_blocks):
            stride = self.reference.stages[block].stride
            parts = [f"{name}={list(values)}" for name, values in self.block_choices(block).items()]
            lines.append(f"  block {block + 1} (stride {stride}): " + ", ".join(parts))
        lines.append(f"  distinct networks: {self.size():,}")
        return "\n".join(lines)
