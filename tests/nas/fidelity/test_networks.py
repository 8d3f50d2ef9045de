"""Choosing the networks: the reference first, then distinct samples spread over the FLOPs."""

from __future__ import annotations

import pytest

import baselines
from nas import cost
from nas.errors import ConfigError
from nas.fidelity.networks import choose_networks, spread_indices
from search_spaces import MnasSpace, encode


def test_spread_indices_are_distinct_and_span_the_range():
    assert spread_indices(10, 1) == [4]
    assert spread_indices(10, 2) == [0, 9]
    assert spread_indices(5, 5) == [0, 1, 2, 3, 4]
    for size in range(1, 30):
        for count in range(1, size + 1):
            picks = spread_indices(size, count)
            assert len(set(picks)) == count and picks == sorted(picks)
            assert count == 1 or (picks[0], picks[-1]) == (0, size - 1)


def test_reference_first_then_distinct_samples_spread_over_flops():
    b0 = baselines.get("efficientnet_b0")
    networks = choose_networks(b0, 16, seed=0, reference_name="efficientnet_b0")
    assert len(networks) == 16
    assert networks[0].name == "efficientnet_b0" and networks[0].arch == b0
    assert [n.name for n in networks[1:]] == [f"sample {i}" for i in range(1, 16)]
    assert len({n.string for n in networks}) == 16
    space = MnasSpace(b0)
    assert all(n.arch in space for n in networks)
    flops = [n.flops for n in networks[1:]]
    assert flops == sorted(flops)
    assert networks[0].flops == cost.flops(b0, 224)
    # The pool's extremes are taken: the cheapest and the dearest of 400 samples.
    assert flops[0] < 0.5 * networks[0].flops and flops[-1] > 3 * networks[0].flops


def test_the_choice_is_seeded():
    b0 = baselines.get("efficientnet_b0")
    first = [n.string for n in choose_networks(b0, 5, seed=1, pool=50)]
    assert first == [n.string for n in choose_networks(b0, 5, seed=1, pool=50)]
    assert first != [n.string for n in choose_networks(b0, 5, seed=2, pool=50)]
    assert encode(b0) == first[0]


def test_too_small_a_pool_is_refused():
    with pytest.raises(ConfigError, match="distinct networks"):
        choose_networks(baselines.get("efficientnet_b0"), 5, pool=2)
