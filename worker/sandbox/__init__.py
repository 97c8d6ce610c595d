"""The sandbox: runs student code in confined child processes, and nothing else does.

Two packages, one per side of the boundary:

- ``child/``: what runs inside the sandbox. Bound read-only, as a whole, into the
  hardened zygote (as the package ``sandbox``); imports only the standard library, NumPy,
  torch and its own modules. ``wire`` and ``values`` are also read by the host side.
- ``host/``: the worker's side. ``api`` (the boundary: requests, reports, limits),
  ``factory`` (``make_runner``), ``zygote_runner``/``process_runner``/``bwrap_runner``
  (how zygotes start and children are confined), ``session`` (one submission: deadlines,
  restarts), ``zygote_client``, ``replies`` (strict parsing of what a child sends),
  ``oracle`` (answers for substituted helpers), ``hidden`` (error texts of hidden calls),
  ``bwrap`` (the mounts), ``cgroup``, ``nvidia`` and ``gpu``/``nvml`` (what CUDA zygotes
  see, and the GPU-leak check between submissions).

Nothing here imports ``worker`` outside ``worker/sandbox`` (a test checks it).
"""
