from __future__ import annotations

import random

import pytest

from search_spaces.mnasnet import MnasSpace


@pytest.fixture(scope="session")
def space() -> MnasSpace:
    return MnasSpace()


@pytest.fixture(scope="session")
def random_archs(space):
    """200 architectures drawn uniformly from the default space, from both references."""
    rng = random.Random(2026)
    other = MnasSpace("mobilenet_v2")
    return [space.sample_random(rng) for _ in range(150)] + [
        other.sample_random(rng) for _ in range(50)
    ]
