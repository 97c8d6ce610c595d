"""Child side of the sandbox: bound read-only into the zygote, where it is the package
``sandbox``. It must stay import-free: the zygote imports it before anything else."""
