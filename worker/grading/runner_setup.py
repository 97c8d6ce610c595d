"""The grading side's sandbox: the runner and the limits that the settings ask for.

Settings flow down from whoever started the process (the Celery app, a CLI command): this
module reads no environment. The sandbox limits come from the settings, with a pack's
own overrides (reference.pack.SandboxLimits) on top. Light to import (no pydantic), so a
one-shot command can start the sandbox while it still imports and reads the settings.
"""

from __future__ import annotations

import atexit
from typing import TYPE_CHECKING

from common import sandbox_defaults as sd
from reference.pack import Device, Pack
from worker.sandbox.host import factory
from worker.sandbox.host.api import Limits, SandboxRunner
from worker.sandbox.host.nvidia import CudaLimits

if TYPE_CHECKING:
    from common.settings import Settings

_SHARED: dict[tuple, SandboxRunner] = {}
# runner_config() of the default settings, known without importing them
DEFAULT_CONFIG = (
    sd.SANDBOX,
    sd.GPU_MEMORY_FRACTION,
    sd.GPU_MEMORY_MB,
    sd.SANDBOX_SCRATCH_MB,
    sd.SANDBOX_CGROUP_MEMORY_MB,
    sd.SANDBOX_UID,
)


def sandbox_limits(settings: Settings, pack: Pack) -> Limits:
    """The limits of one submission to ``pack``: the settings', with the pack's overrides."""
    own = pack.limits

    def pick(override, setting):
        return setting if override is None else override

    return Limits(
        cpu_s=pick(own.cpu_s, settings.sandbox_cpu_s),
        wall_s=pick(own.submission_s, settings.sandbox_submission_s),
        import_s=pick(own.import_s, settings.sandbox_import_s),
        memory_mb=pick(own.memory_mb, settings.sandbox_memory_mb),
        call_s=pick(own.call_s, settings.sandbox_call_s),
    )


def runner_config(settings: Settings) -> tuple:
    """What tells one sandbox runner from another: the settings that shape its zygotes."""
    return (
        settings.sandbox,
        settings.gpu_memory_fraction,
        settings.gpu_memory_mb,
        settings.sandbox_scratch_mb,
        settings.sandbox_cgroup_memory_mb,
        settings.sandbox_uid,
    )


def make_runner(settings: Settings | None = None) -> SandboxRunner:
    """A new sandbox runner of the kind and with the caps that ``settings`` ask for (the
    default settings' when None)."""
    if settings is None:
        mode, fraction, memory_mb, scratch_mb, cgroup_mb, uid = DEFAULT_CONFIG
        cuda = CudaLimits(fraction, memory_mb)
        return factory.make_runner(mode, cuda, scratch_mb, cgroup_mb, uid)
    return factory.make_runner(
        mode=settings.sandbox,
        cuda=CudaLimits(settings.gpu_memory_fraction, settings.gpu_memory_mb),
        scratch_mb=settings.sandbox_scratch_mb,
        cgroup_memory_mb=settings.sandbox_cgroup_memory_mb,
        uid=settings.sandbox_uid,
    )


def shared_runner(settings: Settings) -> SandboxRunner:
    """This process's runner for ``settings``, made on first use and kept (warm zygotes)."""
    key = runner_config(settings)
    if key not in _SHARED:
        runner = _SHARED[key] = make_runner(settings)
        atexit.register(runner.close)
    return _SHARED[key]


def device_problem(device: Device) -> str | None:
    """Return why this machine cannot grade on ``device``, or None if it can.

    Only 'cuda' can be missing. Asked without initialising CUDA in this process (see
    worker.sandbox.host.gpu.cuda_problem): only the sandbox's children make a CUDA context.
    """
    if device != "cuda":
        return None
    from worker.sandbox.host.gpu import cuda_problem

    return cuda_problem()
