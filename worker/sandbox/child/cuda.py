"""Child side: give one freshly forked child its own CUDA context, capped, before student code.

The zygote never touches ``torch.cuda``: a CUDA context does not survive ``fork``, so each
child makes its own here. :func:`.confine.confine` calls :func:`initialise` after Landlock
(so the driver's helper threads are born inside the Landlock domain) and before the
rlimits (the driver reserves a large virtual range and opens its own fds at start-up) and
seccomp (then synchronised onto the driver's threads).

Limits: the caching allocator of every visible device is capped at ``memory_fraction`` of
that device's memory, or at ``memory_bytes`` if that is smaller, so one child takes at
most its share of the GPU; going past the cap raises ``torch.OutOfMemoryError`` in the
student's call, which the harness reports as ``memory_limit``. The context dies with the
child. A small warm-up then loads cuBLAS and the usual kernels, so their one-off cost is
not charged to the student's first call.

The cap is the allocator's own bookkeeping: it stops a student's accidentally huge tensor,
not a student who sets a new fraction or calls the driver directly. What bounds those is
the child's time limit: its context, and all its memory, die with it.
"""

from __future__ import annotations


class CudaSetupError(RuntimeError):
    """CUDA could not be set up in this child (our failure: no student code ran yet)."""


def initialise(config: dict) -> dict:
    """Create this child's CUDA context and cap its allocations; return what was set.

    ``config``: ``memory_fraction`` (0 < f <= 1, share of each device's memory) and
    ``memory_bytes`` (absolute cap per device, 0 for none). Returns ``{"devices": n,
    "fraction": f}`` with the fraction applied to device 0 (after the absolute cap).
    Raises CudaSetupError if torch sees no CUDA device here.
    """
    import torch

    if not torch.cuda.is_available():
        raise CudaSetupError("torch sees no CUDA device in this sandbox child")
    torch.cuda.init()
    wanted = float(config.get("memory_fraction", 0.25))
    cap = int(config.get("memory_bytes", 0))
    applied = []
    for index in range(torch.cuda.device_count()):
        total = torch.cuda.get_device_properties(index).total_memory
        fraction = min(wanted, cap / total) if cap else wanted
        torch.cuda.set_per_process_memory_fraction(fraction, index)
        applied.append(fraction)
    _warm_up(torch)
    return {"devices": len(applied), "fraction": applied[0]}


def _warm_up(torch) -> None:
    """Run the kinds of operations lecture code runs (matmul, exp, log, index, copy back)."""
    for dtype in (torch.float64, torch.float32):
        a = torch.ones(4, 3, device="cuda", dtype=dtype)
        scores = a @ a.T - a.sum(dim=1, keepdim=True).max()
        rows = torch.arange(4, device="cuda")
        picked = torch.log(torch.exp(scores).sum(dim=1))[rows]
        picked.mean().item()
        scores.to("cpu")
    torch.cuda.synchronize()
