"""Zero-cost scores: what a network's untrained weights say about how well it will train.

- ``naswot`` (Mellor et al. 2021, "Neural Architecture Search without Training"): the log
  determinant of the kernel of the binary codes a batch of images leaves at every activation
  (which units are on); networks whose units separate the images better score higher.
- ``synflow`` (Tanaka et al. 2020; Abdelfattah et al. 2021, "Zero-Cost Proxies for Lightweight
  NAS"): the sum over parameters of |theta x dR/dtheta|, R the output sum of the network with
  every weight made positive, on an input of ones, in double precision and eval mode; returned
  as its natural log (it spans hundreds of orders of magnitude). A weight initialised to zero
  (the classifier's) counts as ones there, or it would zero every network's score.

Both take a network at its initialisation (seeded) and one batch; no training. Whether either
ranks a space better than its FLOPs alone is measured against the truth by
bench/zero_cost_vs_truth.py (docs/benchmarks.md).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from search_spaces.blocks import ACTIVATION_LAYERS

SCORES = ("naswot", "synflow")


def naswot(model: nn.Module, images: torch.Tensor) -> float:
    """NASWOT's score of ``model`` (train mode, as at the start of training) on ``images``:
    log |K|, K[i, j] = the number of activation units on which images i and j agree (both on
    or both off), over every activation layer of the network."""
    batch = images.shape[0]
    kernel = torch.zeros(batch, batch, dtype=torch.float64)  # on the CPU, whatever the device
    activations = tuple(ACTIVATION_LAYERS.values())

    def record(_module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        # Before the (in-place) activation: a unit is on where its input is positive.
        codes = (inputs[0].detach().reshape(batch, -1) > 0).to(torch.float32)
        # Agreements = both on + both off = units - on_i - on_j + 2 (both on): one product,
        # exact in float32 (counts far below 2 ** 24) while matmuls keep full float32 precision
        # (no TF32: nothing in the project turns it on).
        both_on = (codes @ codes.T).to("cpu", torch.float64)
        on = both_on.diagonal()
        kernel.add_(codes.shape[1] - on[:, None] - on[None, :] + 2 * both_on)

    hooks = [
        module.register_forward_pre_hook(record)
        for module in model.modules()
        if isinstance(module, activations)
    ]
    was_training = model.training
    try:
        model.train()
        with torch.no_grad():
            model(images)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    sign, logdet = torch.linalg.slogdet(kernel)
    return float(logdet) if sign > 0 else -math.inf


def synflow(model: nn.Module, shape: tuple[int, ...]) -> float:
    """SynFlow's score of ``model`` for inputs of ``shape`` (batch first), as a natural log:
    computed on a double-precision copy whose every parameter is its absolute value."""
    copy = _positive_copy(model)
    ones = torch.ones((1, *shape[1:]), dtype=torch.float64)
    copy.zero_grad(set_to_none=True)
    copy(ones).sum().backward()
    total = math.fsum(
        float((parameter.detach() * parameter.grad).abs().sum())
        for parameter in copy.parameters()
        if parameter.grad is not None
    )
    return math.log(total) if total > 0 else -math.inf


def _positive_copy(model: nn.Module) -> nn.Module:
    """A double-precision copy of ``model`` in eval mode with every parameter made positive."""
    import copy

    positive = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        for parameter in positive.parameters():
            parameter.abs_()
            if parameter.ndim >= 2 and not parameter.any():
                # A weight initialised to zero (the classifier's) would zero every score.
                parameter.fill_(1.0)
    return positive


def zero_cost_scores(
    model: nn.Module, images: torch.Tensor, scores: tuple[str, ...] = SCORES
) -> dict[str, float]:
    """The zero-cost ``scores`` of ``model`` (at its initialisation) on the batch ``images``."""
    found = {}
    if "naswot" in scores:
        found["naswot"] = naswot(model, images)
    if "synflow" in scores:
        found["synflow"] = synflow(model, tuple(images.shape))
    return found
