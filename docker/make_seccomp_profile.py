"""Derive docker/seccomp-worker.json from Docker's default seccomp profile.

    apt-get install golang-github-docker-docker-dev   # ships Docker's default.json
    python3 docker/make_seccomp_profile.py [DEFAULT_JSON] [-o docker/seccomp-worker.json]
    python3 docker/make_seccomp_profile.py --check    # exit 1 if the committed file differs

The worker's sandbox (bubblewrap) makes user, mount, pid, net, ipc and uts namespaces as an
unprivileged user, then mounts a fresh /proc, tmpfs and read-only binds inside them and
pivots into the new root. Docker's default profile allows those syscalls only to containers
holding CAP_SYS_ADMIN; this profile is the default one with exactly that set allowed without
it. No capability is granted: the kernel still lets an unprivileged process mount only
inside a user namespace it created, so the container's own mounts stay out of reach.
Everything else (bpf, perf_event_open, keyctl, kexec, module loading, ptrace limits, clone3
answering ENOSYS so libc falls back to clone) is Docker's default, untouched.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEBIAN_DEFAULT = Path(
    "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
)
OUTPUT = Path(__file__).with_name("seccomp-worker.json")

# What the sandbox's `bwrap --unshare-all --hostname sandbox --proc /proc --uid N ...` needs,
# found by removing each in turn (each one missing makes bwrap fail): clone with CLONE_NEW*
# flags makes the namespaces; mount, pivot_root and umount2 build the new root inside them
# and drop the old one; unshare makes the inner user namespace in which bwrap sheds its
# capabilities; sethostname names the sandbox's own uts namespace (so the child does not see
# the container's id). setns, setdomainname and the new mount API (fsopen, move_mount, ...)
# are not needed and stay denied.
SANDBOX_SYSCALLS = ("clone", "mount", "pivot_root", "sethostname", "umount2", "unshare")
COMMENT = "autograder worker sandbox: unprivileged namespaces for bubblewrap (see docs/deploy.md)"


def derive(default: dict) -> dict:
    """Return ``default`` with SANDBOX_SYSCALLS allowed for processes without CAP_SYS_ADMIN.

    The default's conditional ``clone`` rules (flags masked to forbid CLONE_NEW*) are dropped,
    since an unconditional rule replaces them; every other rule is kept as it is.
    """
    rules = [rule for rule in default["syscalls"] if rule["names"] != ["clone"]]
    rules.append(
        {
            "names": list(SANDBOX_SYSCALLS),
            "action": "SCMP_ACT_ALLOW",
            "args": [],
            "comment": COMMENT,
            "includes": {},
            "excludes": {},
        }
    )
    return {**default, "syscalls": rules}


def render(profile: dict) -> str:
    """Return the profile as the JSON text that is committed (stable, diff-friendly)."""
    return json.dumps(profile, indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the worker's seccomp profile; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("default", nargs="?", type=Path, default=DEBIAN_DEFAULT)
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = render(derive(json.loads(args.default.read_text())))
    if args.check:
        if args.output.read_text() != text:
            print(f"{args.output} is out of date: rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
