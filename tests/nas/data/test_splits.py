from __future__ import annotations

import pytest
import torch

from nas.data import DataConfig, split_indices
from nas.errors import ConfigError, flag_name


def test_split_indices_seeded_and_disjoint():
    train, val = split_indices(100, 10, 30, seed=0)
    again_train, again_val = split_indices(100, 10, 30, seed=0)
    other_train, other_val = split_indices(100, 10, 30, seed=1)
    assert torch.equal(train, again_train) and torch.equal(val, again_val)
    assert not torch.equal(val, other_val)
    assert (len(train), len(val)) == (30, 10) and not set(train.tolist()) & set(val.tolist())
    everything, held = split_indices(100, None, None, seed=0)
    assert (len(everything), len(held)) == (90, 10)  # 10% of a small set
    assert sorted(everything.tolist() + held.tolist()) == list(range(100))


def test_subset_larger_than_available_names_value_and_count():
    with pytest.raises(ValueError, match=r"val_subset=60000 .* 59999 images"):
        split_indices(60000, 60000, None, seed=0)
    with pytest.raises(ValueError, match=r"train_subset=59000 .* 58000 training images"):
        split_indices(60000, 2000, 59000, seed=0)
    with pytest.raises(ValueError, match=r"train_subset=0 "):
        DataConfig(train_subset=0)
    with pytest.raises(ValueError, match=r"val_subset=-1 "):
        DataConfig(val_subset=-1)


def test_subset_errors_render_as_flags_on_the_command_line():
    with pytest.raises(ConfigError) as error:
        split_indices(100, 100, None, seed=0)
    assert str(error.value).startswith("val_subset=100 is larger than the 99 images")
    assert error.value.render(flag_name).startswith("--val-subset=100 is larger than")
