"""Images per second of the proxy trainer against a plain PyTorch loop.

    python bench/proxy_throughput.py [--arch efficientnet_b0] [--device cpu] [--steps 60]
        [--warmup 10]

The plain loop is what most training scripts do: a Dataset that crops and flips one image at a
time, a DataLoader, fp32, NCHW. The proxy keeps the data on the device as a tensor and augments
whole batches there (and on CUDA adds bf16 autocast and channels_last). Same model, same batch
size, same device; the ratio is printed. Each loop first runs ``--warmup`` untimed steps on its
own model, so that one-off costs (on CUDA: loading each kernel at its first use, about 10 s for
B0's bf16 kernels on an H100) are not counted against either.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from nas.archs import resolve_arch
from nas.data import DataConfig, load_data, normalize
from nas.train import TrainConfig, train
from search_spaces import build_model


class PerImageDataset(Dataset):
    """Random crop (zero padding) and horizontal flip, one image at a time, on the CPU."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, data, pad: int) -> None:
        self.images, self.labels, self.data, self.pad = images.cpu(), labels.cpu(), data, pad

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        image = self.images[index]
        size = image.shape[-1]
        padded = nn.functional.pad(image, (self.pad,) * 4)
        top, left = torch.randint(0, 2 * self.pad + 1, (2,)).tolist()
        image = padded[:, top : top + size, left : left + size]
        if torch.rand(()) < 0.5:
            image = image.flip(-1)
        return normalize(image[None], self.data)[0], self.labels[index]


def plain_loop(
    model: nn.Module, data, batch_size: int, steps: int, device: torch.device, lr: float
) -> float:
    dataset = PerImageDataset(
        data.train_images, data.train_labels, data, max(2, data.image_size // 8)
    )
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    model.to(device).train()
    seen, step, start = 0, 0, time.perf_counter()
    while step < steps:
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            seen += len(labels)
            step += 1
            if step == steps:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="efficientnet_b0")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps before each loop")
    args = parser.parse_args()
    device = torch.device(args.device)
    # One epoch of ``steps`` batches, or the whole training set (epochs repeat) if smaller.
    data = load_data(DataConfig(dataset=args.dataset, train_subset=None, val_subset=512), device)
    wanted = args.batch_size * args.steps
    if data.train_images.shape[0] > wanted:
        data = load_data(DataConfig(args.dataset, train_subset=wanted, val_subset=512), device)
    arch = resolve_arch(args.arch)
    steps_per_epoch = max(1, data.train_images.shape[0] // args.batch_size)

    def fresh() -> nn.Module:
        torch.manual_seed(0)
        return build_model(arch, data.num_classes, data.in_channels, 0.0, 0.0)

    def proxy_run(steps: int) -> float:
        config = TrainConfig(
            epochs=steps / steps_per_epoch,
            batch_size=args.batch_size,
            bn_recalibration_batches=0,
            evaluations=1,
        )
        return train(fresh(), data, config).images_per_s

    if args.warmup:
        plain_loop(fresh(), data, args.batch_size, args.warmup, device, 3e-3)
        proxy_run(args.warmup)
    plain = plain_loop(fresh(), data, args.batch_size, args.steps, device, 3e-3)
    proxy = proxy_run(args.steps)
    print(
        f"{args.arch} on {args.dataset} ({data.image_size}px), batch {args.batch_size}, "
        f"{args.steps} steps after {args.warmup} untimed, device {device}, "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}"
    )
    print(f"plain loop (DataLoader, per-image augmentation, fp32, NCHW): {plain:8.0f} img/s")
    print(f"proxy trainer (tensors on device, batch augmentation)     : {proxy:8.0f} img/s")
    print(f"ratio: {proxy / plain:.2f}x")


if __name__ == "__main__":
    main()
