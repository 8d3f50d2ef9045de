from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nas.cost.zero_cost import naswot, synflow, zero_cost_scores
from search_spaces import build_model, nb_macro


def test_naswot_is_the_log_determinant_of_agreements_between_activation_codes():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 6), nn.ReLU(), nn.Linear(6, 2))
    images = torch.randn(4, 5)
    codes = []
    hidden = model[0](images)
    codes.append(hidden > 0)
    codes.append(model[2](torch.relu(hidden)) > 0)
    kernel = torch.zeros(4, 4, dtype=torch.float64)
    for code in codes:
        c = code.double()
        kernel += c @ c.T + (1 - c) @ (1 - c).T
    assert naswot(model, images) == pytest.approx(float(torch.logdet(kernel)))
    assert model.training  # left as it was


def test_naswot_of_identical_images_is_minus_infinity():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 2))
    assert naswot(model, torch.ones(3, 5)) == -math.inf


def test_synflow_of_a_network_without_biases_is_its_depth_times_its_positive_output():
    """R is homogeneous of degree one in each layer's weights, so sum theta dR/dtheta = L x R."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3, bias=False), nn.ReLU(), nn.Linear(3, 2, bias=False))
    first = model[0].weight.detach().abs().double()
    second = model[2].weight.detach().abs().double()
    output = float((second @ first @ torch.ones(4, dtype=torch.float64)).sum())
    assert synflow(model, (8, 4)) == pytest.approx(math.log(2 * output))
    assert model[0].weight.dtype == torch.float32 and (model[0].weight < 0).any()  # untouched


def test_a_zero_initialised_classifier_does_not_zero_the_score():
    torch.manual_seed(0)
    model = build_model(nb_macro.arch("01201201"), num_classes=10, in_channels=3)
    assert not model.classifier.weight.any()  # the builder's initialisation
    scores = zero_cost_scores(model, torch.randn(8, 3, 32, 32))
    assert set(scores) == {"naswot", "synflow"}
    assert all(math.isfinite(value) for value in scores.values())
