from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nas.data import DataConfig, load_data, train_batches
from nas.train import TrainConfig, TrainingFailed, evaluate, recalibrate_batchnorm, train
from search_spaces import ArchSpec, BlockSpec, build_model

SMALL = ArchSpec(
    16,
    (
        BlockSpec("mbconv", 3, 2, 3, 0.0, True, 24, 2),
        BlockSpec("mbconv", 3, 2, 3, 0.25, True, 32, 1),
    ),
    64,
)


@pytest.fixture(scope="module")
def data():
    return load_data(DataConfig(dataset="synthetic", train_subset=1024, val_subset=256))


def small_model(data) -> nn.Module:
    torch.manual_seed(0)
    return build_model(SMALL, data.num_classes, data.in_channels, dropout=0.0, drop_path=0.0)


def test_brief_training_learns_and_reports(data):
    calls = []
    config = TrainConfig(epochs=2, batch_size=64, evaluations=2)
    result = train(
        small_model(data), data, config, report=lambda acc, step, last: calls.append((step, last))
    )
    assert result.accuracy > 0.3  # chance is 0.1
    assert result.history[-1] == result.accuracy and len(result.history) == 2
    assert calls == [(16, False), (32, True)]
    assert result.steps == 32 and result.images_per_s > 0 and result.seconds > 0


def test_fractional_epochs(data):
    result = train(small_model(data), data, TrainConfig(epochs=0.5, batch_size=64))
    assert result.steps == math.ceil(0.5 * 1024 // 64) == 8


def test_same_seed_same_accuracy(data):
    config = TrainConfig(epochs=0.5, batch_size=64)
    first = train(small_model(data), data, config, seed=3).accuracy
    assert train(small_model(data), data, config, seed=3).accuracy == first


def test_scoring_on_the_way_does_not_change_the_training(data):
    """Evaluating after some images (a halving rung's, for a candidate that keeps training)
    leaves the training as it was, and records the accuracy at each point it reached."""
    config = TrainConfig(epochs=1.0, batch_size=64, evaluations=1)
    plain = train(small_model(data), data, config, seed=3)
    kept = TrainConfig(epochs=1.0, batch_size=64, evaluations=1, eval_images=(256, 100_000))
    scored = train(small_model(data), data, kept, seed=3)
    assert scored.accuracy == plain.accuracy and scored.loss_last == plain.loss_last
    assert [images for images, _ in scored.accuracy_at] == [256]  # 100,000 is past the end
    assert len(scored.history) == 2
    assert scored.scores()["accuracy_at_256"] == scored.history[0]
    assert "accuracy_at_256" not in plain.scores()


@pytest.mark.parametrize("bad", [(0,), (1.5,), [256], (True,)])
def test_eval_images_must_be_image_counts(bad):
    with pytest.raises(Exception, match="eval_images"):
        TrainConfig(eval_images=bad)


def test_report_can_stop_training(data):
    class Stop(Exception):
        pass

    def stop(accuracy, step, last):
        raise Stop

    with pytest.raises(Stop):
        train(small_model(data), data, TrainConfig(epochs=2, evaluations=4), report=stop)


def test_nan_loss_fails_with_reason(data):
    class Broken(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(1, 10)

        def forward(self, x):
            return self.linear(x.mean((1, 2, 3))[:, None]) * float("nan")

    with pytest.raises(TrainingFailed, match="loss became nan at step 1"):
        train(Broken(), data, TrainConfig(epochs=1))


def test_sgd_runs(data):
    result = train(small_model(data), data, TrainConfig(epochs=1, optimizer="sgd", lr=0.05))
    assert 0 <= result.accuracy <= 1


def test_batchnorm_recalibration_resets_statistics(data):
    model = small_model(data)
    norm = next(m for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    norm.running_mean.fill_(100.0)
    norm.running_var.fill_(1e-6)
    broken = evaluate(model, data, 256)
    recalibrate_batchnorm(model, data, 4, 64, torch.Generator().manual_seed(0))
    assert norm.running_mean.abs().max() < 50 and norm.running_var.min() > 1e-4
    assert norm.momentum == 0.1 and not model.training  # evaluate() left it in eval mode
    # The recalibrated statistics are those of the stem's outputs on training images.
    images, _ = next(iter(train_batches(data, 256, torch.Generator().manual_seed(1))))
    with torch.no_grad():
        stem_out = model.stem[0](images)
    torch.testing.assert_close(norm.running_mean, stem_out.mean((0, 2, 3)), atol=0.05, rtol=0.1)
    assert broken <= 0.2  # absurd statistics: about chance


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [
        ({"epochs": 0}, "epochs=0"),
        ({"optimizer": "lamb"}, "lamb"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"warmup": 1.0}, "warmup=1.0"),
        ({"evaluations": 0}, "evaluations=0"),
    ],
)
def test_bad_train_config(kwargs, bad):
    with pytest.raises(ValueError, match=bad):
        TrainConfig(**kwargs)


def test_out_of_memory_fails_with_reason(data):
    from nas.train.proxy import OUT_OF_MEMORY

    class Hungry(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(1, 10)

        def forward(self, x):
            raise OUT_OF_MEMORY("CUDA out of memory. Tried to allocate 80.00 GiB")

    with pytest.raises(TrainingFailed, match="out of memory: CUDA out of memory"):
        train(Hungry(), data, TrainConfig(epochs=1))


def test_evaluating_does_not_change_training(data):
    once = train(small_model(data), data, TrainConfig(epochs=1, evaluations=1), seed=4)
    thrice = train(small_model(data), data, TrainConfig(epochs=1, evaluations=3), seed=4)
    assert thrice.accuracy == once.accuracy and len(thrice.history) == 3


def test_a_run_reports_its_training_losses(data):
    result = train(small_model(data), data, TrainConfig(epochs=1, batch_size=64))
    assert 0 < result.loss_last < result.loss_all < 3  # the loss falls during training
    assert result.scores() == {"loss_all": result.loss_all, "loss_last": result.loss_last}


def test_ema_weights_are_what_is_scored(data):
    plain = train(small_model(data), data, TrainConfig(epochs=1, batch_size=64))
    averaged = train(small_model(data), data, TrainConfig(epochs=1, batch_size=64, ema=0.9))
    # The same training (the losses match), another network scored.
    assert averaged.loss_all == pytest.approx(plain.loss_all)
    assert averaged.accuracy != plain.accuracy
    with pytest.raises(ValueError, match="ema=1.5 is invalid"):
        TrainConfig(ema=1.5)


def test_a_resolution_resizes_the_images_once(data):
    seen = []
    model = small_model(data)
    model.register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0].shape[-1]))
    train(model, data, TrainConfig(epochs=0.25, batch_size=64, resolution=12))
    assert set(seen) == {12}
    with pytest.raises(ValueError, match="resolution=4 is invalid"):
        TrainConfig(resolution=4)
