"""The sandbox: runs student code in confined child processes, and nothing else does.

Parent side (the worker; imports the project): ``api`` (the boundary), ``factory``
(``make_runner``), ``runner``/``process_runner``/``bwrap_runner`` (how zygotes start),
``session`` (one submission: deadlines, restarts), ``zygote_client``, ``results`` (strict
parsing of replies), ``oracle`` (answers for substituted helpers), ``hidden`` (error texts
of hidden calls), ``bwrap`` (the mounts), ``nvidia`` (what CUDA zygotes see of the
driver, and CudaLimits), ``cgroup``.

Child side (bound read-only into the sandbox; imports only NumPy, torch and each other,
so this file must stay import-free): ``zygote``, ``harness``, ``proxies``, ``guard``,
``capture``, ``confine``, ``landlock``, ``syscalls``, ``cuda`` (a child's own CUDA
context and caps), and ``wire`` and ``values``, which both sides share.
"""
