"""The defaults of the sandbox's settings and limits: the one place their values are set.

``common.settings.Settings`` takes its ``sandbox*`` and ``gpu_memory_*`` defaults from
here, and so do the sandbox's own dataclasses (``worker.sandbox.host.api.Limits``,
``CudaLimits``, the hardened runner's sizes). Plain constants, no pydantic: a one-shot
command can start the sandbox with them before it has imported and read the settings.
Change a default here; the README's Settings table must say the same (a test checks it).
"""

SANDBOX = "auto"  # 'bwrap', 'process' or 'auto'
SANDBOX_MEMORY_MB = 1024  # memory one child may add above its zygote, MiB
SANDBOX_CPU_S = 60  # CPU seconds of one submission's child
SANDBOX_SUBMISSION_S = 120.0  # wall-clock budget of one submission's run, seconds
SANDBOX_IMPORT_S = 10.0  # wall-clock budget for running the file's top level, seconds
SANDBOX_CALL_S = 5.0  # time limit of one call where the pack sets none, seconds
SANDBOX_SCRATCH_MB = 64  # a zygote's scratch tmpfs, shared by its children, MiB
SANDBOX_CGROUP_MEMORY_MB = 4096  # a worker's sandbox cgroup (cgroup v2 hosts), MiB
SANDBOX_UID = 65534  # host uid of the sandbox when the worker runs as root ('nobody')
WORKER_MEMORY_MB = 2048  # a grading process's own memory (soft RLIMIT_DATA), MiB; 0: none
GPU_MEMORY_FRACTION = 0.25  # share of a GPU's memory one CUDA child may hold
GPU_MEMORY_MB = 0  # absolute cap on one CUDA child's GPU memory, MiB; 0: none
