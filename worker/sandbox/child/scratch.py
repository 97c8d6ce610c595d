"""Child side: the zygote's per-child scratch dirs, made, removed whatever their modes,
and checked clean before each fork.

A student cannot chmod in the hardened sandbox (seccomp), but can still create a dir or
file with any mode (``os.mkdir(path, 0)``), nest dirs deeper than PATH_MAX, or fill the
scratch tmpfs. :func:`remove` gives every dir back its owner's rights before it empties
it, walks with directory fds (no path grows, no recursion), and says whether the dir is
gone; :func:`dirty` is what the zygote checks before it forks the next child.
"""

from __future__ import annotations

import os
import tempfile

PREFIX = "child-"
MAX_USED_BYTES = 1 << 20  # what an empty scratch tmpfs may still count as used
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def make(root: str) -> str:
    """Create a fresh scratch dir (mode 0700) under ``root`` and return its path."""
    return tempfile.mkdtemp(prefix=PREFIX, dir=root)


def remove(path: str) -> bool:
    """Remove the tree at ``path`` whatever modes its entries have; True if it is gone.

    The child's processes must be dead already. Every dir is chmod 0700 before it is
    opened (we own it: the child ran as our uid), so read-only or unreadable dirs empty
    like any other; descent goes by dir fds, one open at a time, so depth is unbounded.
    """
    try:
        os.chmod(path, 0o700, follow_symlinks=False)
        fd = os.open(path, _DIR_FLAGS)
    except FileNotFoundError:
        return True
    except OSError:
        return not os.path.lexists(path)
    names: list[str] = []  # the dirs we went down into, below ``path``
    try:
        while True:
            below = _empty_files(fd)
            if below is not None:  # go down into a subdir first
                os.chmod(below, 0o700, dir_fd=fd, follow_symlinks=False)
                fd = _descend(fd, below)
                names.append(below)
                continue
            if not names:
                break
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(names.pop(), dir_fd=fd)
    except OSError:
        pass
    finally:
        os.close(fd)
    try:
        os.rmdir(path)
    except OSError:
        pass
    return not os.path.lexists(path)


def _empty_files(fd: int) -> str | None:
    """Unlink everything but dirs in the dir at ``fd``; return one subdir's name, if any."""
    with os.scandir(fd) as entries:
        listed = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
    subdir = None
    for name, is_dir in listed:
        if is_dir:
            subdir = subdir or name
        else:
            os.unlink(name, dir_fd=fd)
    return subdir


def _descend(fd: int, name: str) -> int:
    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
    os.close(fd)
    return child


def dirty(root: str, live: set[str], own_tmpfs: bool) -> str | None:
    """Why the scratch under ``root`` is not clean for a new child, or None if it is.

    Clean: no scratch dir but those of ``live`` children; and, where ``root`` is the
    zygote's own tmpfs and no child lives, (almost) nothing of it in use.
    """
    try:
        left = {e.path for e in os.scandir(root) if e.name.startswith(PREFIX)} - live
    except OSError as e:
        return f"cannot list the scratch root: {e}"
    if left:
        return f"{len(left)} scratch dir(s) of ended children are left"
    if own_tmpfs and not live:
        st = os.statvfs(root)
        used = (st.f_blocks - st.f_bfree) * st.f_frsize
        if used > MAX_USED_BYTES:
            return f"the scratch tmpfs still holds {used} bytes"
    return None
