from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import baselines
from search_spaces import (
    ArchSpec,
    BlockSpec,
    decode,
    encode,
    from_dict,
    from_json,
    layer_plan,
    to_dict,
    to_json,
)

GOOD_BLOCK = dict(
    op="mbconv",
    kernel=3,
    stride=2,
    expansion=6,
    se_ratio=0.25,
    skip=True,
    out_channels=24,
    repeats=2,
)


def block(**changes) -> BlockSpec:
    return BlockSpec(**(GOOD_BLOCK | changes))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stride", 3),
        ("kernel", 4),
        ("kernel", 11),
        ("repeats", 0),
        ("out_channels", 0),
        ("expansion", 0),
        ("se_ratio", 1.5),
        ("se_ratio", -0.1),
        ("op", "transformer"),
        ("skip", "yes"),
        ("kernel", 3.0),
        ("repeats", True),
    ],
)
def test_bad_block_field_names_field_and_value(field, value):
    with pytest.raises(ValueError) as error:
        block(**{field: value})
    assert f"{field}={value!r}" in str(error.value)


@pytest.mark.parametrize("op", ["ds", "conv"])
def test_ops_without_expansion_refuse_one(op):
    with pytest.raises(ValueError, match="expansion=6"):
        block(op=op)
    assert block(op=op, expansion=1).expansion == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stem_channels", 0),
        ("head_channels", -8),
        ("activation", "gelu"),
        ("resolution", 4),
        ("stages", ()),
    ],
)
def test_bad_arch_field_names_field_and_value(field, value):
    fields = dict(stem_channels=32, stages=(block(),), head_channels=1280)
    with pytest.raises(ValueError, match=field):
        ArchSpec(**(fields | {field: value}))


def test_specs_are_frozen_and_hashable():
    arch = baselines.get("efficientnet_b0")
    with pytest.raises(AttributeError):
        arch.resolution = 300
    assert len({arch, baselines.get("efficientnet_b0"), arch.replace(resolution=300)}) == 2


def test_b0_string_is_table_1():
    assert encode(baselines.get("efficientnet_b0")) == (
        "stem32-ir_r1_k3_s1_e1_c16_se0.25-ir_r2_k3_s2_e6_c24_se0.25-ir_r2_k5_s2_e6_c40_se0.25"
        "-ir_r3_k3_s2_e6_c80_se0.25-ir_r3_k5_s1_e6_c112_se0.25-ir_r4_k5_s2_e6_c192_se0.25"
        "-ir_r1_k3_s1_e6_c320_se0.25-head1280-silu-res224"
    )


@pytest.mark.parametrize("name", baselines.names())
def test_baselines_round_trip(name):
    arch = baselines.get(name)
    assert decode(encode(arch)) == arch
    assert from_json(to_json(arch)) == arch
    assert from_dict(json.loads(json.dumps(to_dict(arch)))) == arch


def test_random_samples_round_trip(random_archs):
    for arch in random_archs:
        assert decode(encode(arch)) == arch
        assert from_json(to_json(arch)) == arch


def test_decode_accepts_options_in_any_order():
    arch = baselines.get("efficientnet_b0")
    text = encode(arch).replace("ir_r2_k3_s2_e6_c24_se0.25", "ir_se0.25_c24_e6_s2_k3_r2")
    assert decode(text) == arch


B0 = encode(baselines.get("efficientnet_b0"))


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        (B0.replace("ir_r2_k3_s2", "xx_r2_k3_s2"), "xx_r2_k3_s2"),
        (B0.replace("_k3_s2_e6_c24", "_k4_s2_e6_c24"), "ir_r2_k4_s2_e6_c24_se0.25"),
        (B0.replace("_k3_s2_e6_c24", "_k3_s3_e6_c24"), "ir_r2_k3_s3_e6_c24_se0.25"),
        (B0.replace("ir_r2_k3_s2_e6_c24", "ir_r2_k3_s2_e6"), "ir_r2_k3_s2_e6_se0.25"),
        (B0.replace("_c24_", "_c24_c32_"), "ir_r2_k3_s2_e6_c24_c32_se0.25"),
        (B0.replace("_c24_", "_cx_"), "ir_r2_k3_s2_e6_cx_se0.25"),
        (B0.replace("_c24_", "_z9_c24_"), "ir_r2_k3_s2_e6_z9_c24_se0.25"),
        (B0.replace("_c24_se0.25", "_c24_seabc"), "ir_r2_k3_s2_e6_c24_seabc"),
        (B0.replace("_c24_se0.25", "_c24_senan"), "ir_r2_k3_s2_e6_c24_senan"),
        (B0.replace("stem32", "stm32"), "stm32"),
        (B0.replace("head1280", "head"), "head"),
        (B0.replace("silu", "gelu"), "gelu"),
        (B0.replace("res224", "res2x4"), "res2x4"),
        (B0.replace("res224", "res2"), "resolution=2"),
        ("", "expected stem"),
        ("stem32-head1280-silu-res224", "expected stem"),
    ],
)
def test_malformed_string_names_bad_token(text, bad):
    with pytest.raises(ValueError) as error:
        decode(text)
    assert bad in str(error.value)


def test_ds_with_expansion_token_is_refused():
    text = B0.replace("ir_r1_k3_s1_e1_c16", "ds_r1_k3_s1_e1_c16")
    with pytest.raises(ValueError, match="takes no expansion"):
        decode(text)


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "null",
        "{}",
        '{"stem_channels": 32}',
        "not json",
        '{"stem_channels": 32, "stages": [{"op": "ir"}], "head_channels": 1280}',
        "\xff",
        json.dumps(to_dict(baselines.get("efficientnet_b0")) | {"extra": 1}),
        json.dumps(to_dict(baselines.get("efficientnet_b0")) | {"resolution": 224.0}),
    ],
)
def test_bad_json_gives_value_error(text):
    with pytest.raises(ValueError):
        from_json(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("stemhadirc_-.0123456789sekrnopxlufwbz")), max_size=120)
)
def test_decode_fuzz_only_value_error(text):
    try:
        arch = decode(text)
    except ValueError:
        return
    assert decode(encode(arch)) == arch


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 2000)
    | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "stem_channels",
                    "stages",
                    "head_channels",
                    "activation",
                    "resolution",
                    "op",
                    "kernel",
                    "stride",
                    "expansion",
                    "se_ratio",
                    "skip",
                    "out_channels",
                    "repeats",
                    "x",
                ]
            ),
            children,
            max_size=9,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_from_json_fuzz_only_value_error(value):
    try:
        arch = from_json(json.dumps(value))
    except ValueError:
        return
    assert from_json(to_json(arch)) == arch


def test_layer_plan_residual_rule():
    arch = baselines.get("efficientnet_b0")
    plan = layer_plan(arch)
    assert len(plan) == arch.depth == 16
    # First layer: 32 -> 16 channels, so no residual even with skip; then 16 -> 24 stride 2.
    assert [layer.residual for layer in plan[:4]] == [False, False, True, False]
    assert [layer.stride for layer in plan[:4]] == [1, 2, 1, 2]
    assert plan[1].in_channels == 16 and plan[1].out_channels == 24
    noskip = arch.replace(
        stages=tuple(s.__class__(**(s.__dict__ | {"skip": False})) for s in arch.stages)
    )
    assert not any(layer.residual for layer in layer_plan(noskip))
