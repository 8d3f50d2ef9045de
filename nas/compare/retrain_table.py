"""The retrain benchmark's table (``nas.compare.retrain``): one row per finished search (its
winner's yardstick accuracy and reward, the mean over the yardstick seeds), the reference's row,
each sampler against random search of the same seed (on yardstick reward, what the search
maximises, and on accuracy), against the reference within its FLOPs, and whether each search
climbed the proxy reward it saw. Read from the studies and the run log only: safe beside a
benchmark still running.
"""

from __future__ import annotations

import statistics
from typing import Any

import pandas as pd

from nas import results
from nas.compare.analysis import paired_figures
from nas.compare.config import BASELINE
from nas.compare.retrain import Pair, RetrainPlan, finished_trials, short_arch, winner
from nas.compare.run import reward_percentile, true_rewards
from nas.truth import load_table
from search_spaces import decode, nb_macro

TABLE_COLUMNS = [
    "sampler",
    "seed",
    "trial",
    "arch",
    "flops",
    "params",
    "proxy_accuracy",
    "proxy_reward",
    "yardstick_accuracy",
    "yardstick_reward",
    "yardstick_seeds",
]
MEASURES = {"yardstick_reward": "reward", "yardstick_accuracy": "accuracy"}
TRUTH_MEASURES = {"true_reward": "reward", "true_accuracy": "accuracy"}
TRUTH_COLUMNS = [
    "sampler",
    "seed",
    "trial",
    "arch",
    "table_key",
    "flops",
    "params",
    "proxy_accuracy",
    "proxy_reward",
    "true_accuracy",
    "true_reward",
    "accuracy_percentile",
    "reward_percentile",
    "images_seen",
]
RESAMPLES = 2000
CONFIDENCE = 0.9


def retrain_table(plan: RetrainPlan) -> tuple[pd.DataFrame, pd.Series | None]:
    """One row per search whose winner has at least one logged retrain, and the reference's
    row (None until it is retrained)."""
    logged = plan.log.load()
    reward = plan.search_config(*plan.pairs[0]).rewarding

    def row(pair: Pair | None) -> dict[str, Any] | None:
        chosen = winner(plan, pair)
        if chosen is None:
            return None
        found = [plan.retrain(chosen["arch"], i).key for i in range(plan.yardstick_seeds)]
        accuracies = [logged[key].accuracy for key in found if key in logged]
        if not accuracies:
            return None
        rewards = [reward(accuracy, chosen["flops"]) for accuracy in accuracies]
        return chosen | {
            "yardstick_accuracy": statistics.fmean(accuracies),
            "yardstick_reward": statistics.fmean(rewards),
            "yardstick_seeds": len(accuracies),
        }

    rows = [r for r in map(row, plan.pairs) if r is not None]
    reference = row(None)
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return frame, None if reference is None else pd.Series(reference)


def truth_table(plan: RetrainPlan) -> pd.DataFrame:
    """One row per finished search of a space with a table of truth: its winner's true
    accuracy and reward (the table's mean accuracy x the FLOPs term the search prices) and
    their percentiles among the space's networks."""
    rows = []
    for pair in plan.pairs:
        chosen = winner(plan, pair)
        if chosen is None:
            continue
        config = plan.search_config(*pair)
        truth = load_table(config.table)
        key = nb_macro.key(decode(chosen["arch"]))
        rewards = true_rewards(config.table, config.target, config.w)
        rows.append(
            chosen
            | {
                "table_key": key,
                "true_accuracy": truth[key].accuracy,
                "true_reward": rewards[key],
                "accuracy_percentile": truth.percentile(truth[key].accuracy),
                "reward_percentile": reward_percentile(
                    rewards[key], config.table, config.target, config.w
                ),
                "images_seen": chosen.get("images_seen"),
            }
        )
    return pd.DataFrame(rows, columns=TRUTH_COLUMNS)


def truth_text(plan: RetrainPlan, frame: pd.DataFrame) -> str:
    """The printed table of a search judged by the truth, the medians and the paired figures."""
    percent = "{:.2%}".format
    printable = pd.DataFrame(
        {
            "sampler": frame["sampler"],
            "seed": frame["seed"],
            "trial": frame["trial"],
            "network": frame["table_key"],
            "MFLOPs": (frame["flops"].astype(float) / 1e6).map("{:.1f}".format),
            "proxy acc": frame["proxy_accuracy"].map(percent),
            "true acc": frame["true_accuracy"].map(percent),
            "true reward": frame["true_reward"].map("{:.4f}".format),
            "percentile": frame["reward_percentile"].map("{:.2f}".format),
        }
    )
    lines = [printable.to_string(index=False) if len(frame) else "(no search finished yet)"]
    lines.append(f"\n{len(frame)} of {len(plan.pairs)} searches finished")
    lines.extend(
        medians_text(
            plan,
            frame,
            "the truth",
            lambda own: (
                f"true accuracy {own['true_accuracy'].median():.2%}  true reward "
                f"{own['true_reward'].median():.4f}  percentile "
                f"{own['reward_percentile'].median():.2f}  ({len(own)} search(es))"
            ),
        )
    )
    lines.extend(paired_text(against_random(plan, frame, TRUTH_MEASURES), "the truth"))
    search = plan.search_config(*plan.pairs[0])
    lines.append(
        f"\nproxy: {plan.proxy.dataset}, preset {plan.proxy.preset}, {plan.train_images:,} "
        f"images, {plan.proxy.images_seen_on(plan.train_images):,} seen per candidate; every "
        f"arm gets {plan.trials} of those trainings' images; reward: true accuracy x (FLOPs / "
        f"{search.target / 1e6:.0f}M)^{search.w:g}; percentile among the space's networks"
    )
    return "\n".join(lines)


def against_random(
    plan: RetrainPlan, frame: pd.DataFrame, measures: dict[str, str] | None = None
) -> pd.DataFrame:
    """Each sampler's winner against random search's winner of the same seed, on each measure:
    seeds, wins, the win rate with its bootstrap interval, sign-test and Wilcoxon p, the median
    gap and each seed's gap."""
    measures = MEASURES if measures is None else measures
    rows = []
    indexed = frame.set_index(["sampler", "seed"])
    for sampler in (s for s in plan.samplers if s != BASELINE):
        seeds = [
            seed
            for seed in plan.seeds
            if (sampler, seed) in indexed.index and (BASELINE, seed) in indexed.index
        ]
        if not seeds:
            continue
        for column, measure in measures.items():
            mine = indexed.loc[[(sampler, s) for s in seeds], column].to_numpy(float)
            theirs = indexed.loc[[(BASELINE, s) for s in seeds], column].to_numpy(float)
            gaps = mine - theirs
            figures = paired_figures(gaps, RESAMPLES, CONFIDENCE)
            rows.append(
                {
                    "sampler": sampler,
                    "measure": measure,
                    "seeds": len(seeds),
                    "wins": int((gaps > 0).sum()),
                    **figures,
                    "gaps": dict(zip(seeds, gaps.tolist(), strict=True)),
                }
            )
    return pd.DataFrame(rows)


def table_text(plan: RetrainPlan, frame: pd.DataFrame, reference: pd.Series | None) -> str:
    """The printed table, the medians, the paired figures and the comparison with the
    reference."""
    shown = frame if reference is None else pd.concat([frame, reference.to_frame().T])
    percent = "{:.2%}".format

    def cell(value: Any, form) -> str:
        return "-" if value is None or pd.isna(value) else form(value)

    printable = pd.DataFrame(
        {
            "sampler": shown["sampler"],
            "seed": shown["seed"].map(lambda v: cell(v, str)),
            "trial": shown["trial"].map(lambda v: cell(v, str)),
            "arch": shown["arch"].map(short_arch),
            "MFLOPs": (shown["flops"].astype(float) / 1e6).map("{:.1f}".format),
            "proxy acc": shown["proxy_accuracy"].map(lambda v: cell(v, percent)),
            "yardstick acc": shown["yardstick_accuracy"].map(percent),
            "yardstick reward": shown["yardstick_reward"].map("{:.4f}".format),
        }
    )
    lines = [printable.to_string(index=False) if len(shown) else "(no run finished yet)"]
    missing = len(plan.pairs) - len(frame)
    lines.append(
        f"\n{len(frame)} of {len(plan.pairs)} runs finished"
        + (f" ({missing} not retrained yet)" if missing else "")
        + ("" if reference is not None else "; the reference not retrained yet")
    )
    lines.extend(
        medians_text(
            plan,
            frame,
            "yardstick",
            lambda own: (
                f"accuracy {statistics.median(own['yardstick_accuracy']):.2%}  "
                f"reward {statistics.median(own['yardstick_reward']):.4f}  ({len(own)} run(s); "
                f"proxy accuracy {statistics.median(own['proxy_accuracy']):.2%})"
            ),
        )
    )
    lines.extend(paired_text(against_random(plan, frame)))
    if reference is not None and len(frame):
        lines.extend(reference_text(plan, frame, reference))
    lines.append("\n" + settings_text(plan))
    return "\n".join(lines)


def medians_text(plan: RetrainPlan, frame: pd.DataFrame, judge: str, describe) -> list[str]:
    """A line per sampler with runs in ``frame``: ``describe(its rows)``."""
    if frame.empty:
        return []
    lines = [f"\nmedian per sampler ({judge}):"]
    for sampler in plan.samplers:
        own = frame[frame["sampler"] == sampler]
        if not own.empty:
            lines.append(f"  {sampler:<10} {describe(own)}")
    return lines


def paired_text(paired: pd.DataFrame, judge: str = "yardstick") -> list[str]:
    if paired.empty:
        return []
    lines = [f"\nagainst random search's winner of the same seed ({judge}; ties count half):"]
    for _, row in paired.iterrows():
        scale = "{:+.2%}" if row["measure"].endswith("accuracy") else "{:+.4f}"
        each = ", ".join(f"seed {seed} {scale.format(gap)}" for seed, gap in row["gaps"].items())
        lines.append(
            f"  {row['sampler']:<10} on {row['measure']:<8} wins {row['wins']} of {row['seeds']}, "
            f"win rate {row['win_rate']:.2f} [{row['win_rate_low']:.2f}, "
            f"{row['win_rate_high']:.2f}], sign p {row['sign_p']:.3g}, Wilcoxon p "
            f"{row['wilcoxon_p']:.3g}, median {scale.format(row['median_gap'])}: {each}"
        )
    return lines


def reference_text(plan: RetrainPlan, frame: pd.DataFrame, reference: pd.Series) -> list[str]:
    """Does each sampler's best winner within the reference's FLOPs beat its accuracy?"""
    limit = float(reference["flops"])
    base = float(reference["yardstick_accuracy"])
    lines = [
        f"\nbeats the reference ({base:.2%} at {limit / 1e6:.1f}M FLOPs) at no more than its FLOPs?"
    ]
    for sampler in plan.samplers:
        own = frame[frame["sampler"] == sampler]
        if own.empty:
            continue
        within = own[own["flops"].astype(float) <= limit]
        if within.empty:
            lines.append(f"  {sampler:<10} no: no winner within its FLOPs")
            continue
        best = within.loc[within["yardstick_accuracy"].idxmax()]
        beats = int((within["yardstick_accuracy"] > base).sum())
        verdict = "yes" if best["yardstick_accuracy"] > base else "no"
        lines.append(
            f"  {sampler:<10} {verdict}: best winner seed {best['seed']} "
            f"{best['yardstick_accuracy']:.2%} at {best['flops'] / 1e6:.1f}M FLOPs "
            f"({best['yardstick_accuracy'] - base:+.2%}); {beats} of its {len(own)} winners beat "
            "it within its FLOPs"
        )
    return lines


def settings_text(plan: RetrainPlan) -> str:
    search = plan.search_config(*plan.pairs[0])
    yardstick = plan.yardstick(0)
    return (
        f"proxy: {plan.proxy.dataset}, preset {plan.proxy.preset}, {plan.train_images:,} "
        f"images, {plan.proxy.images_seen_on(plan.train_images):,} seen, {plan.trials} trials "
        f"per run; yardstick: {plan.factor:g}x the images seen "
        f"({yardstick.value('train_subset'):,} images, {yardstick.budget_images:,} seen), mean "
        f"of {plan.yardstick_seeds} seed(s); accuracy on {plan.val_images:,} held-out training "
        f"images; reward: accuracy x (FLOPs / {search.target / 1e6:.0f}M)^{search.w:g}, FLOPs "
        f"at {search.deployment_resolution} px"
    )


def plan_text(plan: RetrainPlan) -> str:
    """The plan, as a dry run prints it: the searches, the proxy, the yardstick, each search's
    state."""
    search = plan.search_config(*plan.pairs[0])
    train = search.train_config(plan.train_images)
    yardstick = plan.yardstick(0)
    images = yardstick.value("train_subset")
    runs = len(plan.pairs)
    proxy = plan.proxy
    truth = plan.judged_by_truth
    lines = [
        f"{runs} runs: samplers {', '.join(plan.samplers)} x seeds "
        f"{', '.join(map(str, plan.seeds))}, {plan.trials} trials' training images each "
        f"({runs * plan.trials} proxy trainings"
        + ("" if truth else "; the reference is trial 0 of each")
        + ")",
        f"proxy: {proxy.dataset}, preset {proxy.preset}, {plan.train_images:,} training and "
        f"{plan.val_images:,} held-out images, {train.epochs:.3g} epoch(s) = "
        f"{proxy.images_seen_on(plan.train_images):,} images seen, batch {train.batch_size}, "
        f"lr {train.lr:g}, {train.optimizer}",
        "judged by the truth: each winner's 50-epoch mean accuracy in the space's table and "
        "its true reward; nothing retrained"
        if truth
        else f"yardstick: {plan.factor:g}x the images seen: {images:,} training images (of "
        f"{plan.available:,}) = {yardstick.budget_images:,} images seen, "
        f"{plan.yardstick_seeds} seed(s) (proxy seed 1000+i: its own held-out "
        f"{plan.val_images:,}); {runs + 1} networks x {plan.yardstick_seeds} = "
        f"{(runs + 1) * plan.yardstick_seeds} retrains (the {runs} winners and the reference)",
        f"{plan.threads} torch thread(s) per process; run log {plan.runs_log}",
    ]
    for pair in plan.pairs:
        config = plan.search_config(*pair)
        done = finished_trials(config)
        state = "not started" if done is None else f"{done} of {plan.trials} trials so far"
        lines.append(f"  {config.name}: {config.folder}/ ({state})")
    return "\n".join(lines)


def climb_text(plan: RetrainPlan) -> str:
    """Does each search climb the reward it sees? Per run, from its study's trials.csv: the best
    proxy reward and the mean proxy reward of the first and the second half of its trials (the
    reference and failed trials left out). Runs of one seed share the held-out split and the
    training seed, so their proxy rewards compare; across seeds they do not."""
    half = plan.trials // 2
    lines = [
        f"\nproxy reward per run (its trials.csv, the reference left out; first half: trials "
        f"< {half}):"
    ]
    for sampler, seed in plan.pairs:
        try:
            trials = results.load(plan.search_config(sampler, seed).folder)
        except FileNotFoundError:
            continue
        done = results.complete(trials)
        done = done[done["reference"] == ""]
        if done.empty:
            continue
        first = done[done["number"] < half]["reward"]
        second = done[done["number"] >= half]["reward"]

        def mean(values: pd.Series) -> str:
            return f"{values.mean():.4f}" if len(values) else "-"

        lines.append(
            f"  {sampler:<10} seed {seed}  best {done['reward'].max():.4f}  first half "
            f"{mean(first)}  second half {mean(second)}  ({len(done)} trials)"
        )
    return "\n".join(lines) if len(lines) > 1 else ""
