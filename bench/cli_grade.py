"""Wall time of ``autograder grade`` on one file, a fresh process each time, as a user runs it.

Each round runs, in turn: ``python -c "import numpy"`` (the floor: an interpreter that
does nothing but import NumPy), then the grade command once per source tree. Interleaving
them spreads the machine's load drift over every column, so the columns compare. Prints
the median, min and max wall seconds of each, with the machine and its load average.

``--tree DIR`` (repeatable) also times a checkout in DIR (e.g. ``git archive`` of an older
commit), run with the same interpreter, DIR first on ``sys.path``; the current tree is
always timed as ``here``. Usage::

    python -m bench.cli_grade [--count 15] [--tree /tmp/before] [--assignment ID] [FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT / "tests" / "fixtures" / "submissions" / "numpy_correct.py"


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run ``argv`` to the end; return its wall seconds (RuntimeError if it fails)."""
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed


def commands(trees: dict[str, Path], assignment: str, file: Path) -> dict[str, tuple]:
    """Name -> (argv, cwd, env) of the floor and of the grade command in each tree."""
    floor = ([sys.executable, "-c", "import numpy"], ROOT, dict(os.environ))
    found = {"python -c 'import numpy'": floor}
    script = Path(sys.executable).with_name("autograder")  # the console script users run
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "autograder.cli"]
    for name, tree in trees.items():
        env = dict(os.environ)
        if tree != ROOT:  # put that checkout ahead of the installed (editable) one
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), env.get("PYTHONPATH")]))
        argv = [*entry, "grade", "--assignment", assignment, str(file.resolve())]
        found[f"autograder grade ({name})"] = (argv, tree, env)
    return found


def machine() -> str:
    """'N cores, <CPU model>, load average a b c' of this machine, now."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, {model}, load average {load}"


def main(argv: list[str] | None = None) -> int:
    """Time the commands ``--count`` rounds each and print the table."""
    parser = argparse.ArgumentParser(prog="bench.cli_grade", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--assignment", default="lecture4-numpy")
    parser.add_argument("--tree", action="append", default=[], type=Path, metavar="DIR")
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args(argv)
    trees = {"here": ROOT, **{str(t): t.resolve() for t in args.tree}}
    runs = commands(trees, args.assignment, args.file)
    print(f"{datetime.now().isoformat(timespec='seconds')}  {machine()}")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set: modules without a current .pyc compile every run")
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.count):
        for name, (command, cwd, env) in runs.items():
            times[name].append(timed(command, cwd, env))
    print(f"{'command':<44} {'median':>8} {'min':>8} {'max':>8}   (seconds, n={args.count})")
    for name, values in times.items():
        low, mid, high = min(values), statistics.median(values), max(values)
        print(f"{name:<44} {mid:8.3f} {low:8.3f} {high:8.3f}")
    print(f"after: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
