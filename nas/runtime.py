"""Process-wide settings changed for one block and restored after: torch's thread count."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """torch's intra-op thread count inside the block (unchanged for None), restored after."""
    import torch

    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def keep_freed_memory() -> bool:
    """Tell glibc's allocator to keep freed memory for reuse instead of returning it to the
    system (mmap and trim thresholds raised to 1 GiB), for the rest of the process. A network
    reaches that state by itself; a layer timed alone otherwise pays page faults for each large
    output (twice the time of a 112-pixel layer). False where the C library is not glibc."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    trim_threshold, mmap_threshold = -1, -3  # glibc's M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
    return bool(mallopt(mmap_threshold, 1 << 30)) and bool(mallopt(trim_threshold, 1 << 30))
