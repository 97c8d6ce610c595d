"""Run one test again and again, each time in a fresh pytest process; count passes.

For flaky-test hunts and for the record that a fault test holds (issue 18: the Redis-crash
test 20 times in a row). Each run keeps its pytest output and temporary folder (worker and
Redis logs) under ``--out`` when it fails, and deletes them when it passes. Prints one line
per run and a summary with the machine's load. Usage::

    python -m bench.repeat_test [--count 20] [--out /tmp/repeat] [--until-fail] NODEID
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CRASH_TEST = (
    "tests/faults/test_redis_faults.py::"
    "test_redis_crashing_and_restarting_in_a_burst_loses_no_accepted_submission"
)


def run_once(nodeid: str, folder: Path) -> tuple[bool, float, str]:
    """Run ``nodeid`` once with its temporary files in ``folder``; (passed, seconds, last line)."""
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", nodeid]
    argv += [f"--basetemp={folder / 'tmp'}"]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    seconds = time.monotonic() - started
    (folder / "pytest.out").write_text(done.stdout + done.stderr)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    return done.returncode == 0, seconds, last


def main(argv: list[str] | None = None) -> int:
    """Run the test ``--count`` times; exit 1 if any run failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nodeid", nargs="?", default=CRASH_TEST)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("/tmp/autograder-repeat"))
    parser.add_argument("--until-fail", action="store_true", help="stop at the first failure")
    args = parser.parse_args(argv)
    passed = 0
    for index in range(1, args.count + 1):
        folder = args.out / f"run-{index:03d}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        ok, seconds, last = run_once(args.nodeid, folder)
        verdict = "pass" if ok else "FAIL"
        print(f"run {index:3d}: {verdict} in {seconds:5.1f} s  ({last})", flush=True)
        if ok:
            passed += 1
            shutil.rmtree(folder)
        elif args.until_fail:
            break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{passed} of {index} passed; {os.cpu_count()} cores, load average {load}")
    return 0 if passed == index else 1


if __name__ == "__main__":
    sys.exit(main())
