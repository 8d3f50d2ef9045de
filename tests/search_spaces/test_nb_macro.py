from __future__ import annotations

import itertools

import pytest
from optuna.trial import FixedTrial

from search_spaces import (
    ArchSpec,
    BlockSpec,
    build_model,
    decode,
    encode,
    from_json,
    layer_plan,
    make_space,
    nb_macro,
    to_json,
)


def test_the_space_holds_every_key_once_and_maps_both_ways():
    keys = list(nb_macro.keys())
    assert len(keys) == len(set(keys)) == 3**8 == make_space("nb-macro").size()
    strings = set()
    for key in keys:
        arch = nb_macro.arch(key)
        assert nb_macro.key(arch) == key
        string = encode(arch)
        assert decode(string) == arch
        strings.add(string)
    assert len(strings) == len(keys)


def test_a_key_reads_as_the_table_describes_it():
    arch = nb_macro.arch("02100012")
    assert (arch.stem_channels, arch.stem_stride, arch.head_channels) == (32, 1, 1280)
    assert (arch.activation, arch.resolution) == ("relu", 32)
    plan = layer_plan(arch)
    assert [layer.op for layer in plan] == ["identity", "mbconv", "mbconv"] + ["identity"] * 3 + [
        "mbconv",
        "mbconv",
    ]
    assert [(layer.kernel, layer.expansion) for layer in plan[1:3]] == [(5, 6), (3, 3)]
    assert [layer.stride for layer in plan] == [2, 1, 2, 1, 1, 2, 1, 1]
    assert [layer.out_channels for layer in plan] == [64, 64, 128, 128, 128, 256, 256, 256]
    # A residual wherever an MBConv keeps its shape; never around an identity.
    assert [layer.residual for layer in plan] == [False, True, False] + [False] * 3 + [True] * 2


def test_identity_layers_build_as_nothing_or_a_projection():
    model = build_model(nb_macro.arch("00000000"), num_classes=10)
    bodies = [layer.body for stage in model.stages for layer in stage]
    assert [len(body) for body in bodies] == [1, 0, 1, 0, 0, 1, 0, 0]
    projection = bodies[0][0]
    assert [type(m).__name__ for m in projection] == ["SameConv2d", "BatchNorm2d"]
    assert projection[0].stride == (2, 2) and projection[0].kernel_size == (1, 1)


@pytest.mark.parametrize(
    "key", ["", "1234", "0120120", "012012012", "01201203", "0120120a", 12012012, None]
)
def test_a_bad_key_is_refused_naming_it(key):
    with pytest.raises(ValueError, match="key=.*8 digits"):
        nb_macro.arch(key)


def test_a_network_outside_the_space_has_no_key():
    outside = nb_macro.arch("11111111").replace(head_channels=1024)
    with pytest.raises(ValueError, match="not a network of the NAS-Bench-Macro space"):
        nb_macro.key(outside)
    assert outside not in make_space("nb-macro")


def test_the_space_samples_through_suggest_categorical_and_inverts():
    space = make_space("nb-macro")
    for key in ("00000000", "22212220", "10201012"):
        params = space.params_of(nb_macro.arch(key))
        assert params == {f"b{i + 1}_choice": digit for i, digit in enumerate(key)}
        assert nb_macro.key(space.sample(FixedTrial(params))) == key
    seen = {nb_macro.key(space.sample_random(seed)) for seed in range(50)}
    assert len(seen) > 40


def test_the_fixed_space_takes_no_reference_and_the_others_need_one():
    with pytest.raises(ValueError, match="takes no reference"):
        make_space("nb-macro", nb_macro.arch("11111111"))
    with pytest.raises(ValueError, match="built around a reference"):
        make_space("mnasnet")


def test_identity_rules_and_the_stem_stride_in_strings_and_json():
    arch = nb_macro.arch("10000001")
    assert encode(arch).startswith("stem32s1-ir_r1_k3_s2_e3_c64-id_r1_k1_s1_c64_noskip-")
    assert from_json(to_json(arch)) == arch
    identity = dict(
        op="identity", kernel=1, stride=1, expansion=1, se_ratio=0.0, skip=False, out_channels=8
    )
    BlockSpec(**identity, repeats=1)
    for field, value in (("kernel", 3), ("se_ratio", 0.25), ("skip", True), ("expansion", 2)):
        with pytest.raises(ValueError, match=field):
            BlockSpec(**(identity | {field: value}), repeats=1)
    with pytest.raises(ValueError, match="stem_stride"):
        ArchSpec(32, arch.stages, 1280, "relu", 32, stem_stride=3)
    with pytest.raises(ValueError, match="written s1 or left out"):
        decode(encode(arch).replace("stem32s1", "stem32s2"))
    # The ImageNet stem (stride 2) keeps its old string.
    assert encode(arch.replace(stem_stride=2)).startswith("stem32-ir_")


def test_the_mnasnet_space_does_not_offer_the_identity():
    from search_spaces import MnasSpace

    with pytest.raises(ValueError, match="ops has invalid choice 'identity'"):
        MnasSpace(nb_macro.arch("11111111"), ops=("mbconv", "identity"))


def test_every_choice_of_a_layer_is_a_distinct_network():
    for layer, (a, b) in itertools.product(range(8), itertools.combinations("012", 2)):
        base = list("11111111")
        one, two = base.copy(), base.copy()
        one[layer], two[layer] = a, b
        assert nb_macro.arch("".join(one)) != nb_macro.arch("".join(two))
