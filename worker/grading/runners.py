"""The sandbox runner of a grading process: made from the settings, reused, warmed early.

Kept apart from the pipeline and light to import, so a one-shot command can start the
sandbox (a zygote process that imports NumPy or torch) while it imports the rest.
"""

from __future__ import annotations

import atexit
import threading
from functools import cache
from typing import TYPE_CHECKING

from reference.pack import Device, Runtime
from worker.sandbox.api import SandboxRequest, SandboxRunner

if TYPE_CHECKING:
    from autograder.settings import Settings
    from worker.sandbox.nvidia import CudaLimits


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


def warm_start(runtime: Runtime, device: Device) -> tuple[SandboxRunner, threading.Thread]:
    """Make a runner of the default kind ('auto') and start its sandbox at once, in a thread.

    For one-shot commands: the settings are not read yet (pydantic costs a few hundred
    milliseconds to import), so the sandbox starts meanwhile; :func:`settle` then checks the
    guess against the settings.
    """
    from worker.sandbox import factory

    runner = factory.make_runner(mode="auto")
    return runner, start_warming(runner, runtime, device)


def settle(runner: SandboxRunner, warming: threading.Thread) -> SandboxRunner:
    """Wait for a :func:`warm_start`; return it if the settings ask for 'auto', else a new one."""
    warming.join()
    from autograder.settings import Settings

    settings = Settings()
    if settings.sandbox == "auto":
        runner.cuda = cuda_limits(settings)  # children forked from now on get these caps
        return runner
    runner.close()
    return new_runner()


def start_warming(runner: SandboxRunner, runtime: Runtime, device: Device) -> threading.Thread:
    """Start the runner's sandbox for (runtime, device) in a thread; join it before using it.

    It runs an empty submission: runners start their sandbox on first use, and waiting for
    it releases the GIL, so the caller's own imports and parsing overlap the start. A
    failure here is ignored: the real run meets it again and reports it.
    """

    def warm() -> None:
        try:
            runner.run(SandboxRequest(runtime=runtime, device=device, chunks=(), calls=()))
        except Exception:  # reported by the real run
            pass

    thread = threading.Thread(target=warm, name="sandbox-warm-up", daemon=True)
    thread.start()
    return thread


def device_problem(device: Device) -> str | None:
    """Return why this machine cannot grade on ``device``, or None if it can.

    Only 'cuda' can be missing. Asked without initialising CUDA in this process (see
    worker.gpu.cuda_problem): only the sandbox's children ever make a CUDA context.
    """
    if device != "cuda":
        return None
    from worker.gpu import cuda_problem

    return cuda_problem()
