from __future__ import annotations

import itertools
import random

import optuna
import pytest
from optuna.trial import FixedTrial

import baselines
from search_spaces import ArchSpec, BlockSpec, layer_plan
from search_spaces.mnasnet import MnasSpace
from search_spaces.rounding import round_channels

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_b0_is_a_point_of_the_default_space(space):
    b0 = baselines.get("efficientnet_b0")
    params = space.params_of(b0)
    assert space.sample(FixedTrial(params)) == b0
    assert len(params) == 7 * 7  # seven choices per block, expansion included for MBConv


def test_fixed_trial_drives_sample_and_params_of_inverts(space, random_archs):
    other = MnasSpace(baselines.get("mobilenet_v2"))
    for arch in random_archs:
        owner = space if arch.activation == "silu" else other
        assert owner.sample(FixedTrial(owner.params_of(arch))) == arch


def test_sample_suggests_only_categoricals():
    calls = []

    class Recorder:
        def suggest_categorical(self, name, choices):
            calls.append(name)
            return choices[0]

    arch = MnasSpace(baselines.get("efficientnet_b0")).sample(Recorder())
    assert isinstance(arch, ArchSpec) and len(calls) >= 6 * 7


def test_expansion_is_only_suggested_for_ops_that_have_one(space):
    params = space.params_of(baselines.get("efficientnet_b0"))
    params |= {"b1_op": "ds"}
    del params["b1_expansion"]
    arch = space.sample(FixedTrial(params))
    assert arch.stages[0].op == "ds" and arch.stages[0].expansion == 1


def test_mnasnet_a1_is_outside_the_b0_space_with_a_reason(space):
    with pytest.raises(ValueError, match="activation='relu'"):
        space.params_of(baselines.get("mnasnet_a1"))
    assert baselines.get("mnasnet_a1") not in space


def test_choice_outside_the_space_is_named(space):
    b0 = baselines.get("efficientnet_b0")
    wide = b0.replace(
        stages=(b0.stages[0].__class__(**(b0.stages[0].__dict__ | {"kernel": 7})), *b0.stages[1:])
    )
    with pytest.raises(ValueError, match="block 1 kernel=7"):
        space.params_of(wide)


def test_filters_and_layers_are_relative_to_the_reference(space):
    choices = space.block_choices(2)  # B0's 40-channel, 2-layer block
    assert choices["filters"] == (32, 40, 48)
    assert choices["layers"] == (1, 2, 3)
    assert space.block_choices(0)["layers"] == (1, 2)  # never zero layers
    assert all(f % 8 == 0 for b in range(7) for f in space.block_choices(b)["filters"])


@pytest.mark.parametrize(
    "sampler",
    [
        optuna.samplers.TPESampler(seed=1, multivariate=True, group=True),
        optuna.samplers.RandomSampler(seed=1),
        optuna.samplers.NSGAIISampler(seed=1),
    ],
)
def test_optuna_samplers_drive_the_space(space, sampler):
    study = optuna.create_study(sampler=sampler, directions=["maximize"])
    study.enqueue_trial(space.params_of(baselines.get("efficientnet_b0")))
    seen = []

    def objective(trial):
        arch = space.sample(trial)
        seen.append(arch)
        return sum(stage.out_channels for stage in arch.stages)

    study.optimize(objective, n_trials=12)
    assert seen[0] == baselines.get("efficientnet_b0")
    assert all(arch in space for arch in seen) and len(set(seen)) > 3


def brute_force_size(space: MnasSpace) -> int:
    """Enumerate every choice combination, build each network's layer signature, count them."""
    per_block = []
    for block in range(space.num_blocks):
        c = space.block_choices(block)
        options = []
        for op, k, e, se, skip, f, n in itertools.product(
            c["op"],
            c["kernel"],
            c["expansion"],
            c["se_ratio"],
            c["skip"],
            c["filters"],
            c["layers"],
        ):
            if op in ("ds", "conv") and e != c["expansion"][0]:
                continue  # expansion is not a choice of these ops
            e = e if op in ("mbconv", "fused_mbconv") else 1
            options.append(
                BlockSpec(op, k, space.reference.stages[block].stride, e, se, skip, f, n)
            )
        per_block.append(options)
    signatures = set()
    for stages in itertools.product(*per_block):
        arch = space.reference.replace(stages=stages)
        signatures.add(
            tuple(
                (
                    "fused" if layer.op in ("fused_mbconv", "conv") else "mb",
                    layer.expansion,
                    layer.kernel,
                    layer.se_ratio,
                    layer.in_channels,
                    layer.out_channels,
                    layer.stride,
                    layer.residual,
                )
                for layer in layer_plan(arch)
            )
        )
    return len(signatures)


@pytest.mark.parametrize(
    "kwargs",
    [
        {
            "ops": ("mbconv", "ds", "conv", "fused_mbconv"),
            "expansions": (1, 6),
            "kernels": (3,),
            "se_ratios": (0.0,),
            "filter_multipliers": (1.0, 1.5),
            "layer_deltas": (-1, 0),
        },
        {
            "ops": ("mbconv", "conv"),
            "expansions": (3,),
            "kernels": (3, 5),
            "filter_multipliers": (0.5, 1.0),
            "layer_deltas": (0,),
        },
    ],
)
def test_size_counts_distinct_networks(kwargs):
    reference = ArchSpec(
        16,
        (
            BlockSpec("mbconv", 3, 1, 1, 0.0, True, 16, 1),
            BlockSpec("mbconv", 3, 1, 6, 0.0, True, 24, 2),
            BlockSpec("mbconv", 3, 2, 6, 0.0, True, 24, 1),
        ),
        64,
    )
    space = MnasSpace(reference, **kwargs)
    assert space.size() == brute_force_size(space)


def test_default_space_size_is_the_product_when_skip_always_matters():
    space = MnasSpace(
        baselines.get("efficientnet_b0"), ops=("mbconv",), expansions=(6,), layer_deltas=(1,)
    )  # >= 2 layers
    per_block = [2 * 2 * 2 * len(space.block_choices(b)["filters"]) for b in range(7)]
    product = 1
    for n in per_block:
        product *= n
    assert space.size() == product


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [
        ({"kernels": (4,)}, "kernels has invalid choice 4"),
        ({"ops": ()}, "ops is empty"),
        ({"ops": ("lstm",)}, "'lstm'"),
        ({"se_ratios": (2.0,)}, "2.0"),
        ({"filter_multipliers": (0,)}, "filter_multipliers has invalid choice 0"),
        ({"layer_deltas": (0, 0)}, "repeats a choice"),
        ({"reference": "resnet50"}, "resnet50"),
        ({"skips": "yes"}, "skips='yes'"),
        ({"divisor": 0}, "divisor=0"),
    ],
)
def test_bad_space_configuration(kwargs, bad):
    with pytest.raises(ValueError, match=bad.replace("(", r"\(").replace(")", r"\)")):
        MnasSpace(**{"reference": baselines.get("efficientnet_b0"), **kwargs})


def test_round_channels_official_rule():
    assert round_channels(40, 0.75) == 32
    assert round_channels(24, 0.75) == 24  # 16 would lose more than 10% of 18
    assert round_channels(16, 0.25) == 8  # never below the divisor
    assert round_channels(320, 1.1) == 352
    with pytest.raises(ValueError, match="divisor=0"):
        round_channels(32, 1.0, 0)


def test_sample_random_is_seeded(space):
    assert space.sample_random(5) == space.sample_random(random.Random(5))
    assert len({space.sample_random(seed) for seed in range(20)}) == 20
