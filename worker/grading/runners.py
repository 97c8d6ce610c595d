"""The sandbox runner of a grading process: made from the settings, reused, warmed early.

Kept apart from the pipeline and light to import, so a one-shot command can start the
sandbox (a zygote process that imports NumPy or torch) while it imports the rest.
"""

from __future__ import annotations

import atexit
import os
from functools import cache
from typing import TYPE_CHECKING

from reference.pack import Device, Runtime
from worker.sandbox.api import SandboxInfrastructureError, SandboxRunner

if TYPE_CHECKING:
    from autograder.settings import Settings
    from worker.sandbox.nvidia import CudaLimits

ENV_PREFIX = "AUTOGRADER_"  # Settings.model_config["env_prefix"] (a test holds them equal)


def new_runner() -> SandboxRunner:
    """Return a new sandbox runner of the kind the settings ask for (AUTOGRADER_SANDBOX)."""
    from autograder.settings import Settings
    from worker.sandbox import factory  # starts nothing until its first run

    settings = Settings()
    return factory.make_runner(mode=settings.sandbox, cuda=cuda_limits(settings))


def cuda_limits(settings: Settings) -> CudaLimits:
    """The GPU memory caps of CUDA children (AUTOGRADER_GPU_MEMORY_FRACTION / _MB)."""
    from worker.sandbox.nvidia import CudaLimits

    return CudaLimits(settings.gpu_memory_fraction, settings.gpu_memory_mb)


@cache
def default_runner() -> SandboxRunner:
    """Return this process's sandbox runner, made on first use and kept for reuse."""
    runner = new_runner()
    atexit.register(runner.close)
    return runner


def warm_start(runtime: Runtime, device: Device) -> SandboxRunner:
    """Make a runner of the default kind ('auto') and start its sandbox now, not waiting.

    For one-shot commands: the zygote boots (bubblewrap, an interpreter, NumPy) in its own
    process while this one imports the rest; the first run waits for it to be ready, and
    :func:`settle` checks the guessed kind against the settings. Call it from the thread
    that runs the command: bubblewrap's --die-with-parent kills the sandbox when the
    *thread* that started it ends.
    """
    from worker.sandbox import factory
    from worker.sandbox.runner import ZygoteRunner

    runner = factory.make_runner(mode="auto")
    if isinstance(runner, ZygoteRunner):
        try:
            runner.launch(runtime, device)
        except SandboxInfrastructureError:  # the real run meets it again and reports it
            pass
    return runner


def settle(runner: SandboxRunner) -> SandboxRunner:
    """Return the :func:`warm_start` runner if the settings ask for 'auto', else theirs.

    Settings come only from ``AUTOGRADER_*`` environment variables (any case); with none
    set they are the defaults ('auto', default CUDA caps: what the runner has), so
    pydantic-settings is not imported just to learn that.
    """
    if not any(name.upper().startswith(ENV_PREFIX) for name in os.environ):
        return runner
    from autograder.settings import Settings

    settings = Settings()
    if settings.sandbox == "auto":
        runner.cuda = cuda_limits(settings)  # children forked from now on get these caps
        return runner
    runner.close()
    return new_runner()


def device_problem(device: Device) -> str | None:
    """Return why this machine cannot grade on ``device``, or None if it can.

    Only 'cuda' can be missing. Asked without initialising CUDA in this process (see
    worker.gpu.cuda_problem): only the sandbox's children ever make a CUDA context.
    """
    if device != "cuda":
        return None
    from worker.gpu import cuda_problem

    return cuda_problem()
