"""The fidelity check as text: the table of accuracies and the figures, one line each."""

from __future__ import annotations

import pandas as pd

from nas.fidelity.analysis import mean_column, seconds_column, seed_columns
from nas.fidelity.runs import BUDGETS


def _number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"


def table_text(table: pd.DataFrame) -> str:
    """The networks, cheapest sample last as chosen: FLOPs, each seed's accuracy and the means."""
    shown = pd.DataFrame({"name": table["name"], "MFLOPs": table["flops"] / 1e6})
    percent = []
    for budget in BUDGETS:
        for column in seed_columns(table, budget):
            name = f"{budget} {column.rsplit('_', 1)[1]}"
            shown[name] = table[column]
            percent.append(name)
        shown[f"{budget} mean"] = table[mean_column(budget)]
        percent.append(f"{budget} mean")
    for budget in BUDGETS:
        shown[f"{budget} s"] = table[seconds_column(budget)]
    formatters = {name: "{:.2%}".format for name in percent}
    formatters |= {"MFLOPs": "{:.0f}".format, "proxy s": "{:.0f}".format}
    formatters["yardstick s"] = "{:.0f}".format
    return shown.to_string(index=False, formatters=formatters, na_rep="-")


def learning_warnings(accuracies: pd.Series, budget, label: str) -> list[str]:
    """Lines saying that the ``label`` budget's networks learned nothing to rank: every
    accuracy the same, or at chance (1 / classes, within one held-out image)."""
    values = accuracies.dropna()
    if values.empty:
        return []
    advice = "the budget is too small to rank; give more images seen or epochs"
    if values.max() - values.min() < 1e-12:
        return [
            f"warning: every network scored {values.iloc[0]:.2%} with the {label}: a constant "
            f"prediction, nothing was ranked; {advice}"
        ]
    if not budget.num_classes:
        return []
    chance = 1 / budget.num_classes
    at_chance = values <= chance + 1 / max(budget.val_images, 1)
    if at_chance.all():
        return [
            f"warning: every network is at chance ({chance:.2%}, {budget.num_classes} classes) "
            f"with the {label}; {advice}"
        ]
    if at_chance.any():
        return [
            f"warning: {int(at_chance.sum())} of {len(values)} networks are at chance "
            f"({chance:.2%}) with the {label}: they learned nothing, and rank by noise"
        ]
    return []


def summary(result) -> str:
    """The table and the figures of a ``FidelityResult``, as the command prints them."""
    config, figures = result.config, result.figures
    flops = result.table["flops"]
    tau, rho = figures.kendall, figures.spearman
    share = f"{tau.confidence:.0%}"
    lines = [
        table_text(result.table),
        "",
        f"proxy: {config.proxy.dataset}, preset {config.proxy.preset}, "
        f"{result.proxy.describe()}; {config.proxy_seeds} seed(s)",
        f"yardstick: {result.yardstick.describe()} "
        f"({result.yardstick.times(result.proxy):.3g}x the images seen); "
        f"{config.yardstick_seeds} seed(s)",
        f"validation: {result.proxy.val_images:,} held-out images; device {result.device}; "
        f"{result.trained + result.reused} runs: {result.trained} trained, {result.reused} "
        f"from {config.runs_path}",
        "",
        f"Kendall tau {_number(tau.value)} ({share} interval {_number(tau.low)} to "
        f"{_number(tau.high)}), Spearman rho {_number(rho.value)} ({share} interval "
        f"{_number(rho.low)} to {_number(rho.high)}): the proxy's mean against the "
        f"yardstick's mean over {figures.networks} networks",
        "tau of each proxy seed: " + ", ".join(_number(t) for t in figures.seed_taus),
    ]
    if figures.proxy_agreement is not None:
        lines.append(
            f"proxy seeds with each other: tau {_number(figures.proxy_agreement)} (mean over "
            f"pairs); spread: coefficient of variation {figures.proxy_cv:.2%} (mean over networks)"
        )
    if figures.yardstick_agreement is not None:
        part = (
            f"; the proxy's tau / the ceiling = {figures.ceiling_fraction:.2f}"
            if figures.ceiling_fraction is not None
            else "; no ceiling to measure the proxy against"
        )
        lines.append(
            f"yardstick seeds with each other: tau {_number(figures.yardstick_agreement)} "
            f"(the noise ceiling){part}; spread: coefficient of variation "
            f"{figures.yardstick_cv:.2%}"
        )
    for budget in (result.proxy, result.yardstick):
        lines += learning_warnings(result.table[mean_column(budget.name)], budget, budget.name)
    lines.append(
        f"by reward, accuracy x (FLOPs / {figures.target_flops / 1e6:.0f}M)^{figures.w:g} with "
        f"FLOPs at {config.resolution} px ({flops.min() / 1e6:.0f}M-{flops.max() / 1e6:.0f}M): "
        f"tau {_number(figures.reward_tau)}; the FLOPs term alone, every accuracy equal: "
        f"{_number(figures.flops_alone_tau)}"
    )
    return "\n".join(lines)


__all__ = ["summary", "table_text"]
