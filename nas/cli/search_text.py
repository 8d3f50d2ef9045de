"""What ``python -m nas.search`` prints: the plan of a dry run, a study's status and the final
summary. The library returns data; these functions say it."""

from __future__ import annotations

import optuna
import pandas as pd

from nas import cost, results
from nas.errors import NASError
from nas.proxy import resolve_device
from nas.search import SearchConfig, StudyStatus
from nas.search.prescreen import SCREENED, WARMUP
from nas.study.keys import finished_count, spent_images
from nas.study.storage import mask_url
from search_spaces import encode


def status_text(status: StudyStatus) -> str:
    """``--status``: the trials by state and the best so far."""
    states = status.states
    lines = [
        f"study {status.name!r}: {status.finished} of {status.total} trials finished "
        f"({states['COMPLETE']} complete, {states['PRUNED']} pruned, {states['FAIL']} failed); "
        f"{states['RUNNING']} running on {status.workers} worker(s), {states['WAITING']} waiting",
    ]
    if status.budget_images is not None:  # the budget ends it; the total is only a cap
        lines[0] = lines[0].replace(f"of {status.total} trials", "trials", 1)
        lines.append(
            f"training images seen: {status.images_seen:,} of the budget's "
            f"{status.budget_images:,} ({status.images_seen / status.budget_images:.0%})"
        )
    best = status.best
    if best is not None:
        lines.append(
            f"best so far: trial {best['number']}, reward {best['reward']:.4f}, accuracy "
            f"{best['accuracy']:.2%}, {best['flops'] / 1e6:.1f}M FLOPs"
        )
    return "\n".join(lines)


def summary_text(study: optuna.Study, config: SearchConfig) -> str:
    """The final table and the best trial, as the command prints them."""
    frame = results.trials_frame(study)
    best = results.best_row(frame)
    seen = spent_images(study.get_trials(deepcopy=False))
    reasons = frame["fail_reason"] if "fail_reason" in frame else pd.Series(dtype=str)
    screened = int(reasons.fillna("").str.startswith(SCREENED).sum())
    lines = [
        f"\n{finished_count(study)} trials"
        + (f" ({screened} screened out, untrained)" if screened else "")
        + f" in {config.folder}/ "
        f"({results.TRIALS_FILE}, {results.BEST_FILE})"
        + (f"; {seen:,} training images seen" if seen else ""),
        results.top_table(frame, config.top_k),
    ]
    if best is not None:
        lines.append(
            f"\nbest: trial {best['number']}, reward {best['reward']:.4f}, "
            f"accuracy {best['accuracy']:.2%}, {best['flops'] / 1e6:.1f}M FLOPs\n"
            f"  {best['arch']}"
        )
    return "\n".join(lines)


def plan_text(config: SearchConfig) -> str:
    """``--dry-run``: what a search would do, without loading data or training."""
    space = config.search_space
    reference = space.reference
    deploy = config.deployment
    flops = cost.flops(reference, deploy.resolution, deploy.in_channels, deploy.num_classes)
    proxy = config.proxy
    name = config.reference_name if config.has_reference else "(not enqueued) " + encode(reference)
    lines = [
        space.describe(),
        f"reference {name}: {flops / 1e6:.1f}M FLOPs at {deploy.resolution}px, "
        f"{cost.params(reference, deploy.num_classes, deploy.in_channels):,} params, "
        + (
            f"reward if accuracy were 1: {config.rewarding(1.0, flops):.4f}"
            if config.training_aware is None
            else f"reward ACC x S^{config.w} x P^{config.v} (S: training step time, P: "
            "parameters, each relative to the reference's, timed on the training device)"
        ),
        f"study {config.name!r} in {config.folder}/ "
        f"(storage: {mask_url(config.storage) if config.storage else 'journal file'})",
        (
            "objective: table: no training; a trial's accuracy is "
            + (
                f"the table's mean plus Gaussian noise of sd {config.noise_sd:g}"
                if config.noise_sd is not None
                else f"the table's run {config.proxy.seed % 3 + 1} of 3 (by --seed)"
            )
            + (
                f", its log x {config.noise_slope:g} around the table's mean"
                if config.noise_slope != 1
                else ""
            )
            if config.objective == "table"
            else f"proxy: {proxy.dataset}, preset {proxy.preset}: train_subset="
            f"{proxy.value('train_subset')}, val_subset={proxy.value('val_subset')}, "
            f"epochs={proxy.value('epochs')}"
            + (f" (images_seen={proxy.budget_images})" if proxy.budget_images else "")
            + f", batch_size={proxy.value('batch_size')}, "
            f"lr={proxy.value('lr')}, optimizer={proxy.value('optimizer')}, "
            f"device {resolve_device(proxy.device)}"
        ),
        f"{config.trials} trials"
        + (
            f" (the last {config.finalist_trials}: the best {config.finalist_count} retrained "
            f"{config.finalist_seeds} time(s) each)"
            if config.finalist_count
            else ""
        )
        + f", sampler {config.sampler_name}, pruner {config.pruning}"
        if config.budget_images is None and config.screening is None
        else budget_text(config),
    ]
    return "\n".join(lines)


def budget_text(config: SearchConfig) -> str:
    """The budget in images, as a dry run says it (the images per candidate known)."""
    try:
        config = config.budgeted() if config.budget_images is None else config  # pre-screened
        rungs = config.rungs_for()
    except NASError:
        if config.budget_images is None:
            return f"{config.trials} candidates trained, strategy {config.strategy}, pre-screened"
        return f"budget {config.budget_images:,} training images, strategy {config.strategy}"
    paid = (config.candidate_budget() or 0) // rungs.images_at[0]  # trials it can pay for
    if rungs.rungs == 1:
        shape = (
            f"{paid} candidates of {rungs.images:,} images (a network proposed again reuses its "
            "result, at no cost)"
        )
    else:
        shape = (
            f"up to {paid} candidates climbing {rungs.rungs} rungs of "
            f"{', '.join(f'{n:,}' for n in rungs.images_at)} images (1 in "
            f"{rungs.reduction_factor} goes on"
            f"{', continuing its training' if rungs.promotion == 'continue' else ''})"
        )
    finalists = (
        f"; then the best {config.finalist_count} retrained {config.finalist_seeds} time(s) "
        f"each ({config.finalist_trials} x {rungs.images:,} images)"
        if config.finalist_count
        else ""
    )
    screen = (
        f"; trained only if its NASWOT-predicted reward is in the best {config.screening:.0%} "
        f"proposed (from {WARMUP} trained on, while their scores correlate with their metric)"
        if config.screening is not None
        else ""
    )
    return (
        f"budget {config.budget_images:,} training images, strategy {config.strategy}: {shape}"
        f"{screen}{finalists}; sampler {config.sampler_name}, pruner {config.pruning}"
    )
