"""`python -m nas.search`: the end-to-end architecture search, and ``run_search(SearchConfig)``.

Running the same command again resumes the study: finished trials are kept, the numbering goes
on, and ``--trials`` is the study's total, so a killed job is finished rather than extended.
"""

from __future__ import annotations

import dataclasses
import json
import math
import signal
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import torch
from optuna.trial import TrialState

import baselines
from nas import cost, results
from nas.cli import Parser, run
from nas.data import DataConfig, load_data
from nas.faults import with_backoff
from nas.objective import SURPLUS, Deployment, Objective
from nas.progress import Progress
from nas.reward import RewardConfig
from nas.storage import (
    HEARTBEAT_SECONDS,
    has_optuna_heartbeat,
    mask_url,
    open_storage,
    recover_stale_trials,
    scheme_of,
)
from nas.train import OPTIMIZERS, TrainConfig
from search_spaces.mnasnet import MnasSpace

PROG = "python -m nas.search"
SAMPLERS = ("tpe", "random", "nsga2", "evolution")
PRUNERS = ("median", "hyperband", "none")
DATASETS = ("fashion-mnist", "cifar10", "synthetic", "imagefolder:PATH")


@dataclass(frozen=True)
class Preset:
    """Proxy-training defaults; any flag given explicitly wins."""

    train_subset: int | None
    val_subset: int | None
    epochs: float
    batch_size: int
    lr: float
    optimizer: str
    label_smoothing: float
    evaluations: int  # validation points per candidate when pruning; the last is never pruned
    pruner: str  # the default --pruner


# The SearchConfig fields where None means the preset's value, each with its own flag.
PRESET_FLAGS = ("train_subset", "val_subset", "epochs", "batch_size", "lr", "optimizer")

PRESETS: dict[str, Preset] = {
    # Measured on a 2-core CPU: see README ("The proxy must rank").
    "cpu": Preset(
        train_subset=10000,
        val_subset=10000,
        epochs=1.0,
        batch_size=64,
        lr=3e-3,
        optimizer="adamw",
        label_smoothing=0.1,
        evaluations=2,
        # The default search must train every candidate to the end; with the median pruner it
        # stopped 7 of its 12 trials half-way, on a proxy already too noisy to rank closely.
        pruner="none",
    ),
    # The full training set less the held-out validation images, several epochs.
    "gpu": Preset(
        train_subset=None,
        val_subset=10000,
        epochs=5.0,
        batch_size=256,
        lr=4e-3,
        optimizer="adamw",
        label_smoothing=0.1,
        evaluations=5,
        pruner="median",
    ),
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class SearchConfig:
    """Everything a search needs; ``None`` means the preset's value."""

    target_flops: float = 400e6
    w: float = -0.07
    alpha: float | None = None
    beta: float | None = None
    min_flops: float | None = None
    max_flops: float | None = None
    resolution: int = 224
    reference: str = "efficientnet_b0"
    use_reference: bool = True
    dataset: str = "fashion-mnist"
    data_dir: str | None = None
    preset: str = "cpu"
    train_subset: int | None = None
    val_subset: int | None = None
    epochs: float | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None
    sampler: str = "tpe"
    pruner: str | None = None  # None: the preset's
    trials: int = 12
    timeout: float | None = None
    seed: int = 0
    study_name: str | None = None
    results_dir: str = "results"
    storage: str | None = None
    device: str = "auto"
    workers: int = 1
    devices: tuple[str, ...] | None = None  # one worker per entry, round robin
    threads: int | None = None  # torch threads per worker; default: the cores / workers
    heartbeat: float = HEARTBEAT_SECONDS
    top_k: int = 10
    show_progress: bool = True

    def __post_init__(self) -> None:
        def bad(name: str, rule: str) -> ValueError:
            return ValueError(f"{_flag(name)}={getattr(self, name)!r} is invalid: {rule}")

        def positive(name: str, integer: bool = False, optional: bool = False) -> None:
            value = getattr(self, name)
            if value is None and optional:
                return
            kinds = (int,) if integer else (int, float)
            if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0:
                raise bad(name, "must be a positive " + ("integer" if integer else "number"))
            if not math.isfinite(value):
                raise bad(name, "must be finite")

        positive("target_flops")
        positive("resolution", integer=True)
        positive("trials", integer=True)
        positive("top_k", integer=True)
        positive("workers", integer=True)
        positive("threads", integer=True, optional=True)
        positive("heartbeat")
        for name in ("min_flops", "max_flops", "timeout", "epochs", "lr"):
            positive(name, optional=True)
        for name in ("train_subset", "val_subset", "batch_size"):
            positive(name, integer=True, optional=True)
        if (
            self.min_flops is not None
            and self.max_flops is not None
            and self.min_flops > self.max_flops
        ):
            raise bad("min_flops", f"must not exceed --max-flops={self.max_flops!r}")
        for name in ("w", "alpha", "beta"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise bad(name, "must be a finite number")
        if (self.alpha is None) != (self.beta is None):
            raise ValueError(
                "--alpha and --beta go together (the hard constraint is --alpha 0 --beta -1)"
            )
        choices = {"sampler": SAMPLERS, "preset": tuple(PRESETS)}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise bad(name, f"must be one of {', '.join(allowed)}")
        if self.pruner is not None and self.pruner not in PRUNERS:
            raise bad("pruner", f"must be one of {', '.join(PRUNERS)}")
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise bad("optimizer", f"must be one of {', '.join(OPTIMIZERS)}")
        if self.reference not in baselines.names():
            raise bad("reference", f"must be one of {', '.join(baselines.names())}")
        known = self.dataset in DATASETS[:3] or (
            self.dataset.startswith("imagefolder:") and len(self.dataset) > 12
        )
        if not known:
            raise bad("dataset", f"must be one of {', '.join(DATASETS)}")
        if (
            not isinstance(self.seed, int)
            or isinstance(self.seed, bool)
            or not 0 <= self.seed < 2**32
        ):
            raise bad("seed", "must be an integer from 0 to 2**32 - 1")
        if self.study_name is not None and (
            not self.study_name or "/" in self.study_name or self.study_name.startswith(".")
        ):
            raise bad("study_name", "must be a plain name (no '/', not starting with '.')")
        resolve_device(self.device)
        if self.devices is not None:
            if not self.devices:
                raise bad("devices", "must name at least one device")
            for device in self.devices:
                resolve_device(device, flag="--devices")
        if self.workers > 1 and scheme_of(self.storage) == "sqlite":
            raise ValueError(
                f"--workers {self.workers} with --storage {mask_url(self.storage or '')!r} is "
                "refused: SQLite does not take concurrent writers; use the default journal file, "
                "postgresql:// or redis://"
            )

    # --- derived settings -------------------------------------------------------------------

    def value(self, name: str) -> Any:
        """The flag's value, or the preset's where the flag was not given."""
        own = getattr(self, name)
        return getattr(PRESETS[self.preset], name) if own is None else own

    @property
    def pruning(self) -> str:
        """The pruner in effect: the flag, else the preset's; none for nsga2 (two objectives)."""
        return "none" if self.sampler == "nsga2" else self.value("pruner")

    @property
    def name(self) -> str:
        if self.study_name:
            return self.study_name
        data = (
            self.dataset.split(":", 1)[0]
            if ":" not in self.dataset
            else ("imagefolder-" + Path(self.dataset.split(":", 1)[1].rstrip("/")).name)
        )
        return f"{data}-{self.sampler}"

    @property
    def folder(self) -> Path:
        return Path(self.results_dir) / self.name

    @property
    def reward(self) -> RewardConfig:
        alpha = self.w if self.alpha is None else self.alpha
        beta = self.w if self.beta is None else self.beta
        return RewardConfig(self.target_flops, alpha, beta)

    @property
    def train_config(self) -> TrainConfig:
        return TrainConfig(
            epochs=float(self.value("epochs")),
            batch_size=self.value("batch_size"),
            lr=float(self.value("lr")),
            optimizer=self.value("optimizer"),
            label_smoothing=PRESETS[self.preset].label_smoothing,
            # Intermediate evaluations serve the pruner only; they do not change the training.
            evaluations=PRESETS[self.preset].evaluations if self.pruning != "none" else 1,
        )

    @property
    def data_config(self) -> DataConfig:
        return DataConfig(
            dataset=self.dataset,
            data_dir=self.data_dir,
            train_subset=self.value("train_subset"),
            val_subset=self.value("val_subset"),
            seed=self.seed,
        )

    @property
    def deployment(self) -> Deployment:
        return Deployment(
            resolution=self.resolution, min_flops=self.min_flops, max_flops=self.max_flops
        )

    def identity(self) -> dict[str, Any]:
        """The settings that give a study its meaning; a resumed study must keep them."""
        reward = self.reward
        return {
            "reference": self.reference,
            "dataset": self.dataset,
            "sampler": self.sampler,
            "target_flops": reward.target_flops,
            "alpha": reward.alpha,
            "beta": reward.beta,
            "resolution": self.resolution,
            "min_flops": self.min_flops,
            "max_flops": self.max_flops,
            "seed": self.seed,
            "seeding": "common",  # every trial trains from the seed (earlier: seed + trial number)
            **{name: self.value(name) for name in PRESET_FLAGS},
            "label_smoothing": PRESETS[self.preset].label_smoothing,
        }


def resolve_device(device: str, flag: str = "--device") -> torch.device:
    """``auto`` is CUDA when available, else the CPU; errors name ``flag``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"{flag}={device!r} is invalid: use auto, cpu or cuda[:N]") from None
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"{flag}={device!r} is invalid: use auto, cpu or cuda[:N]")
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{flag}={device!r}: CUDA is not available on this machine")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(f"{flag}={device!r}: only {torch.cuda.device_count()} GPU(s)")
    return resolved


def make_sampler(config: SearchConfig, offset: int = 0) -> optuna.samplers.BaseSampler:
    """The sampler; ``offset`` (the trials already in the study) shifts its seed."""
    seed = (config.seed * 1_000_003 + offset) % 2**32
    if config.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if config.sampler == "nsga2":
        population = max(4, min(50, config.trials // 3))
        return optuna.samplers.NSGAIISampler(population_size=population, seed=seed)
    if config.sampler == "evolution":
        from nas.evolution import RegularizedEvolutionSampler

        population = max(2, min(20, config.trials // 3))
        return RegularizedEvolutionSampler(
            population_size=population, sample_size=max(1, min(5, population // 2)), seed=seed
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(
            seed=seed,
            multivariate=True,
            group=True,
            constant_liar=True,
            n_startup_trials=max(3, min(10, config.trials // 2)),
        )


def make_pruner(config: SearchConfig) -> optuna.pruners.BasePruner:
    if config.pruning == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5)
    if config.pruning == "hyperband":
        return optuna.pruners.HyperbandPruner()
    return optuna.pruners.NopPruner()


def open_study(config: SearchConfig) -> optuna.Study:
    """Create the study, or load it when it exists and was made with the same settings."""
    storage = open_storage(config.storage, config.folder / "journal.log", config.heartbeat)
    directions = ["maximize", "minimize"] if config.sampler == "nsga2" else ["maximize"]
    study = optuna.create_study(
        study_name=config.name,
        storage=storage,
        sampler=make_sampler(config),
        pruner=make_pruner(config),
        directions=directions,
        load_if_exists=True,
    )
    record_settings(study, config.identity(), "give another --study-name to start afresh")
    # Seeded by the trials already there, so a resumed study does not repeat its first draws.
    study.sampler = make_sampler(config, offset=len(study.trials))
    return study


def record_settings(study: optuna.Study, identity: dict[str, Any], advice: str) -> None:
    """Record the settings that give a study its meaning, or refuse to resume it with others."""
    recorded = study.user_attrs.get("efficientnas")
    if recorded is None:
        study.set_user_attr("efficientnas", identity)
        return
    if recorded != identity:
        changed = [
            f"{key} {recorded.get(key)!r} -> {value!r}"
            for key, value in identity.items()
            if recorded.get(key) != value
        ]
        raise ValueError(
            f"study {study.study_name!r} was made with other settings "
            f"({'; '.join(changed)[:500]}): {advice}"
        )


def finished_count(study: optuna.Study) -> int:
    return sum(results.counts_as_finished(t) for t in study.get_trials(deepcopy=False))


class _Outputs:
    """Rewrites trials.csv and best.json after every trial; stops at the requested total."""

    def __init__(self, config: SearchConfig, num_classes: int, in_channels: int) -> None:
        self.config = config
        self.num_classes = num_classes
        self.in_channels = in_channels

    def write(self, study: optuna.Study) -> None:
        frame = results.trials_frame(study)
        results.write_csv(frame, self.config.folder / "trials.csv")
        results.write_best_json(
            frame, self.config.folder / "best.json", self.num_classes, self.in_channels
        )

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self.write(study)
        if finished_count(study) >= self.config.trials:
            study.stop()


def dry_run(config: SearchConfig) -> str:
    """What a search would do, without loading data or training."""
    space = MnasSpace(config.reference)
    reference = space.reference
    flops = cost.flops(reference, config.resolution)
    lines = [
        space.describe(),
        f"reference {config.reference}: {flops / 1e6:.1f}M FLOPs at {config.resolution}px, "
        f"{cost.params(reference):,} params, reward if accuracy were 1: "
        f"{config.reward(1.0, flops):.4f}",
        f"study {config.name!r} in {config.folder}/ "
        f"(storage: {mask_url(config.storage) if config.storage else 'journal file'})",
        f"proxy: {config.dataset}, preset {config.preset}: train_subset="
        f"{config.value('train_subset')}, val_subset={config.value('val_subset')}, "
        f"epochs={config.value('epochs')}, batch_size={config.value('batch_size')}, "
        f"lr={config.value('lr')}, optimizer={config.value('optimizer')}, "
        f"device {resolve_device(config.device)}",
        f"{config.trials} trials, sampler {config.sampler}, pruner {config.pruning}",
    ]
    return "\n".join(lines)


def prepare_study(config: SearchConfig, write_config: bool = True) -> optuna.Study:
    """Open the study, record config.json, and enqueue the reference into a new study."""
    study = open_study(config)
    if write_config:
        results.write_atomic(
            config.folder / "config.json",
            json.dumps(
                dataclasses.asdict(config) | {"storage": mask_url(config.storage or "")},
                indent=2,
            )
            + "\n",
        )
    if config.use_reference and not study.get_trials(deepcopy=False):
        space = MnasSpace(config.reference)
        study.enqueue_trial(
            space.params_of(space.reference),
            user_attrs={"reference": config.reference},
            skip_if_exists=True,  # workers starting together on a new study enqueue it once
        )
    return study


class _WithinTotal:
    """Runs the objective only while the study still needs trials. Workers start trials
    concurrently, so a trial whose lower-numbered trials already make up the total (finished,
    running or waiting) is dropped as surplus: the study ends with exactly ``total``."""

    def __init__(self, objective: Objective, total: int) -> None:
        self.objective = objective
        self.total = total

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, float]:
        live = (TrialState.RUNNING, TrialState.WAITING)
        claims = sum(
            t.state in live or results.counts_as_finished(t)
            for t in trial.study.get_trials(deepcopy=False)
            if t.number < trial.number
        )
        if claims >= self.total:
            trial.set_user_attr(SURPLUS, True)
            raise optuna.TrialPruned("the study already has its total")
        return self.objective(trial)


def _optimize(
    study: optuna.Study,
    objective: _WithinTotal,
    config: SearchConfig,
    callbacks: list[Any],
    label: str,
) -> None:
    """Run trials until the study has ``config.trials`` finished ones (counting every
    worker's), retrying trials whose worker died and riding out short storage outages."""
    deadline = None if config.timeout is None else time.monotonic() + config.timeout
    poll = min(5.0, config.heartbeat / 2)
    where = repr(mask_url(config.storage or str(config.folder / "journal.log")))

    def step() -> bool:
        if has_optuna_heartbeat(config.storage):
            # Optuna does this when a trial starts; a worker waiting for the last trials
            # elsewhere must do it too, or one whose worker died is waited for forever.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(study)
        recovered = recover_stale_trials(study, grace=2 * config.heartbeat)
        if recovered:
            print(
                f"{label}trials {recovered} were stopped mid-way: retrying their parameters",
                file=sys.stderr,
            )
        trials = study.get_trials(deepcopy=False)
        finished = sum(results.counts_as_finished(t) for t in trials)
        if finished >= config.trials or (deadline is not None and time.monotonic() > deadline):
            return False
        waiting = any(t.state == TrialState.WAITING for t in trials)
        running = sum(t.state == TrialState.RUNNING for t in trials)
        if not waiting and finished + running >= config.trials:
            time.sleep(poll)  # the last trials run elsewhere; if their worker dies, retry them
            return True
        study.optimize(
            objective, n_trials=1, catch=(Exception,), callbacks=callbacks, gc_after_trial=True
        )
        return True

    while with_backoff(step, where):
        pass


class _TerminateAsInterrupt:
    """SIGTERM (Slurm's scancel, kill) is handled like Ctrl-C: the running trial fails
    cleanly, the outputs are written, and re-running the command resumes."""

    def __enter__(self) -> _TerminateAsInterrupt:
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def run_search(config: SearchConfig, worker: int | None = None) -> optuna.Study:
    """Run (or resume) the search described by ``config`` and return its study. With
    ``config.workers > 1`` the trials are spread over that many processes, each of which
    calls this with its ``worker`` index."""
    label = ""
    if worker is None and config.workers > 1:
        from nas.workers import run_workers

        return run_workers(config)
    if worker is not None:
        from nas.workers import worker_devices, worker_threads

        device_name = worker_devices(config)[worker]
        label = f"[worker {worker} {resolve_device(device_name)}] "
        config = dataclasses.replace(config, device=device_name, show_progress=False)
        torch.set_num_threads(worker_threads(config))
    elif config.threads is not None:
        torch.set_num_threads(config.threads)
    device = resolve_device(config.device)
    data = load_data(config.data_config, device)
    verbosity = optuna.logging.get_verbosity()
    # Every trial's outcome, a failure's reason included, gets a line of our own; Optuna's
    # warnings would repeat a failed or interrupted trial with its traceback.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        study = prepare_study(config, write_config=worker is None)
        outputs = _Outputs(config, data.num_classes, data.in_channels)
        objective = Objective(
            MnasSpace(config.reference),
            data,
            config.train_config,
            config.reward,
            config.deployment,
            seed=config.seed,
            two_objectives=config.sampler == "nsga2",
            heartbeat=None if has_optuna_heartbeat(config.storage) else config.heartbeat,
        )
        progress = Progress(
            config.trials, finished_count(study), enabled=config.show_progress, label=label
        )
        try:
            with _TerminateAsInterrupt():
                _optimize(
                    study,
                    _WithinTotal(objective, config.trials),
                    config,
                    [outputs, progress],
                    label,
                )
        except KeyboardInterrupt:
            progress.close()
            outputs.write(study)
            print(
                f"\n{label}interrupted: {finished_count(study)} of {config.trials} trials "
                "finished; the running trial will be retried: run the same command again "
                "to resume",
                file=sys.stderr,
            )
            raise
        progress.close()
        outputs.write(study)
    finally:
        optuna.logging.set_verbosity(verbosity)
    return study


def status(config: SearchConfig) -> str:
    """Where a study stands, read from its storage by any host: no data loaded, no training."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(config.storage, config.folder / "journal.log", config.heartbeat)
    try:
        study = optuna.load_study(study_name=config.name, storage=storage)
    except KeyError:
        raise ValueError(
            f"no study {config.name!r} in {mask_url(config.storage or str(config.folder))}"
        ) from None
    trials = [t for t in study.get_trials(deepcopy=False) if not t.user_attrs.get(SURPLUS)]
    states = {state: sum(t.state == state for t in trials) for state in TrialState}
    workers = {t.user_attrs.get("worker") for t in trials if t.state == TrialState.RUNNING}
    frame = results.trials_frame(study)
    best = results.best_row(frame)
    lines = [
        f"study {config.name!r}: {finished_count(study)} of {config.trials} trials finished "
        f"({states[TrialState.COMPLETE]} complete, {states[TrialState.PRUNED]} pruned, "
        f"{states[TrialState.FAIL]} failed); {states[TrialState.RUNNING]} running on "
        f"{len(workers)} worker(s), {states[TrialState.WAITING]} waiting",
    ]
    if best is not None:
        lines.append(
            f"best so far: trial {best['number']}, reward {best['reward']:.4f}, accuracy "
            f"{best['accuracy']:.2%}, {best['flops'] / 1e6:.1f}M FLOPs"
        )
    return "\n".join(lines)


def summary(study: optuna.Study, config: SearchConfig) -> str:
    frame = results.trials_frame(study)
    best = results.best_row(frame)
    lines = [
        f"\n{finished_count(study)} trials in {config.folder}/ (trials.csv, best.json)",
        results.top_table(frame, config.top_k),
    ]
    if best is not None:
        lines.append(
            f"\nbest: trial {best['number']}, reward {best['reward']:.4f}, "
            f"accuracy {best['accuracy']:.2%}, {best['flops'] / 1e6:.1f}M FLOPs\n"
            f"  {best['arch']}"
        )
    return "\n".join(lines)


# The flags add_proxy_arguments adds: every command that trains candidates takes them.
PROXY_FLAGS = ("dataset", "data_dir", "preset", *PRESET_FLAGS, "device")


def add_proxy_arguments(parser: Parser) -> None:
    """The proxy data and training flags, shared by every command that trains candidates."""
    group = parser.add_argument_group("proxy data and training")
    group.add_argument(
        "--dataset",
        default="fashion-mnist",
        help="fashion-mnist, cifar10, synthetic or imagefolder:PATH",
    )
    group.add_argument(
        "--data-dir",
        default=None,
        help="where the dataset's files are (fashion-mnist: else "
        "/usr/share/datasets/fashion-mnist, else downloaded)",
    )
    group.add_argument(
        "--preset",
        default="cpu",
        choices=tuple(PRESETS),
        help="cpu: 10,000 images, 1 epoch; gpu: the full training set, 5 epochs",
    )
    group.add_argument(
        "--train-subset", type=int, default=None, help="training images (default: the preset's)"
    )
    group.add_argument(
        "--val-subset",
        type=int,
        default=None,
        help="validation images held out of the training set (default: preset)",
    )
    group.add_argument(
        "--epochs",
        type=float,
        default=None,
        help="epochs per candidate, fractions allowed (default: the preset's)",
    )
    group.add_argument("--batch-size", type=int, default=None, help="(default: the preset's)")
    group.add_argument(
        "--lr", type=float, default=None, help="peak learning rate (default: the preset's)"
    )
    group.add_argument(
        "--optimizer",
        default=None,
        choices=OPTIMIZERS,
        help="adamw, or sgd with Nesterov momentum (default: the preset's)",
    )
    group.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description=(
            "Search the MnasNet space around a reference network: train each candidate briefly "
            "on a proxy dataset and score it with ACC x (FLOPS/T)^w. Re-running the same command "
            "resumes the study."
        ),
    )
    add = parser.add_argument
    group = parser.add_argument_group("reward")
    group.add_argument(
        "--target-flops",
        type=float,
        default=400e6,
        help="T, in multiply-adds at the deployment shape",
    )
    group.add_argument("--w", type=float, default=-0.07, help="soft-constraint exponent")
    group.add_argument(
        "--alpha",
        type=float,
        default=None,
        help="exponent at or under T (hard constraint: 0); needs --beta",
    )
    group.add_argument(
        "--beta",
        type=float,
        default=None,
        help="exponent above T (hard constraint: -1); needs --alpha",
    )
    group.add_argument(
        "--min-flops", type=float, default=None, help="candidates below are recorded, not trained"
    )
    group.add_argument(
        "--max-flops", type=float, default=None, help="candidates above are recorded, not trained"
    )
    group.add_argument(
        "--resolution",
        type=int,
        default=224,
        help="deployment input size that FLOPs are priced at (3 channels, 1000 classes)",
    )
    group = parser.add_argument_group("search space")
    group.add_argument(
        "--reference",
        default="efficientnet_b0",
        choices=baselines.names(),
        help="the architecture the space is built around, enqueued as trial 0",
    )
    group.add_argument(
        "--no-reference",
        action="store_true",
        help="do not enqueue the reference as the first trial",
    )
    add_proxy_arguments(parser)
    group = parser.add_argument_group("study")
    group.add_argument(
        "--sampler",
        default="tpe",
        choices=SAMPLERS,
        help="tpe (multivariate), random, nsga2 (accuracy and FLOPs), evolution "
        "(regularized evolution)",
    )
    group.add_argument(
        "--pruner",
        default=None,
        choices=PRUNERS,
        help="default: the preset's ("
        + ", ".join(f"{name}: {preset.pruner}" for name, preset in PRESETS.items())
        + "); never prunes at a candidate's last evaluation",
    )
    group.add_argument(
        "--trials",
        type=int,
        default=12,
        help="the study's total of finished trials, the reference included",
    )
    group.add_argument(
        "--timeout", type=float, default=None, help="stop starting trials after this many seconds"
    )
    group.add_argument(
        "--seed", type=int, default=0, help="fixes sampling, the data split and training"
    )
    group.add_argument(
        "--study-name",
        default=None,
        help="default: <dataset>-<sampler>; the same name resumes the study",
    )
    group.add_argument(
        "--results-dir", default="results", help="outputs go to RESULTS_DIR/<study>/"
    )
    group.add_argument(
        "--storage",
        default=None,
        help="sqlite:///FILE, postgresql://... or redis://... (default: a "
        "journal file in the study's folder)",
    )
    group = parser.add_argument_group("workers")
    group.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes on this host, sharing the study (default: one per --devices "
        "entry, else 1); on the CPU they split the cores",
    )
    group.add_argument(
        "--devices",
        default=None,
        help="comma-separated devices, one worker each, round robin (cuda:0,cuda:1)",
    )
    group.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads per worker (default: cores / workers)",
    )
    group.add_argument(
        "--heartbeat",
        type=float,
        default=HEARTBEAT_SECONDS,
        help="seconds between a running trial's heartbeats; a trial silent for twice this is "
        "retried by another worker",
    )
    group.add_argument(
        "--status",
        action="store_true",
        help="print how far the study is (from any host sharing --storage) and exit",
    )
    add("--top-k", type=int, default=10, help="rows of the final table")
    add("--no-progress", action="store_true", help="no progress bar")
    add(
        "--dry-run",
        action="store_true",
        help="print the space, the reference's cost and the plan, then exit",
    )
    return parser


def config_from_args(args: Any) -> SearchConfig:
    fields = {field.name for field in dataclasses.fields(SearchConfig)}
    values = {name: value for name, value in vars(args).items() if name in fields}
    values["use_reference"] = not args.no_reference
    values["show_progress"] = not args.no_progress
    if args.devices is not None:
        values["devices"] = tuple(d.strip() for d in args.devices.split(",") if d.strip())
    if args.workers is None:
        values["workers"] = len(values["devices"]) if args.devices is not None else 1
    return SearchConfig(**values)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = config_from_args(args)
    if args.dry_run:
        print(dry_run(config))
        return 0
    if args.status:
        print(status(config))
        return 0
    study = run_search(config)
    print(summary(study, config))
    return 0


if __name__ == "__main__":
    raise SystemExit(run(main, PROG))
