"""The builder and the closed form give NAS-Bench-Macro's exact params for all 6,561 networks."""

from __future__ import annotations

import pytest
from scipy.stats import kendalltau

from nas import cost
from nas.truth import load_table
from search_spaces import build_model, nb_macro


def test_the_closed_form_gives_the_table_s_params_for_every_network():
    table = load_table()
    wrong = [
        key for key in table if cost.params(nb_macro.arch(key), num_classes=10) != table[key].params
    ]
    assert wrong == []


@pytest.mark.parametrize("key", ["00000000", "22222222", "11022212", "20100201"])
def test_a_built_network_has_the_table_s_params_and_the_closed_form_s_flops(key):
    arch = nb_macro.arch(key)
    model = build_model(arch, num_classes=10)
    assert cost.module_params(model) == load_table()[key].params
    assert cost.fvcore_flops(model, 32) == cost.flops(arch, 32, 3, 10)


def test_flops_agree_with_the_table_in_rank_and_differ_by_batchnorm_and_pooling():
    table = load_table()
    keys = list(table)
    ours = [cost.flops(nb_macro.arch(key), 32, 3, 10) for key in keys]
    theirs = [table[key].flops for key in keys]
    assert kendalltau(ours, theirs).statistic > 0.99
    gaps = [a / b - 1 for a, b in zip(ours, theirs, strict=True)]
    assert min(gaps) > 0.01 and max(gaps) < 0.04
    # The table counts convolutions and the classifier: ours less BatchNorm (2 per output
    # element) and the final average pool (1280 channels x 4 x 4) is exactly the table's.
    arch = nb_macro.arch("11022212")
    batchnorm = 2 * sum(
        m.num_features * size * size
        for m, size in _batchnorm_sizes(build_model(arch, num_classes=10))
    )
    assert cost.flops(arch, 32, 3, 10) - batchnorm - 1280 * 16 == table["11022212"].flops


def _batchnorm_sizes(model):
    import torch
    from torch import nn

    sizes = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: sizes.append((m, o.shape[-1])))
        for m in model.modules()
        if isinstance(m, nn.BatchNorm2d)
    ]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, 32, 32))
    for hook in hooks:
        hook.remove()
    return sizes
