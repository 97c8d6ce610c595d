"""Write the summary of a bench/gpu_check.sh run (Markdown) from what its steps left in OUT.

Reads ``steps.tsv`` (step, exit status, seconds), ``env.txt``, ``grade_*.json`` and
``latency.json``; writes ``summary.md`` and prints it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def grade_line(path: Path) -> str:
    """'torch_correct.py: graded, 100/100' plus the failed functions and their diagnoses."""
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return f"- {path.stem.removeprefix('grade_')}: no result"
    line = f"- {path.stem.removeprefix('grade_')}: {result['status']}, "
    line += f"{result['score']:g}/{result['max_score']:g} on {result['device']}"
    failed = {}
    for test in result.get("tests", []):
        if not test["passed"]:
            failed.setdefault(test["function"], test.get("diagnosis") or "failed")
    if failed:
        line += "; lost: " + ", ".join(f"{fn} ({why})" for fn, why in failed.items())
    return line


def latency_lines(path: Path) -> list[str]:
    """The latency table (p50/p90 per measurement) and the fresh / warm ratio."""
    try:
        figures = json.loads(path.read_text())
    except (OSError, ValueError):
        return ["no latency figures"]
    lines = [f"runner: {figures['runner']}, device: {figures['device']}", ""]
    lines += ["| measurement | n | p50 (s) | p90 (s) |", "| --- | --- | --- | --- |"]
    for name in ("warm", "child", "fresh", "cuda_init"):
        if name in figures:
            row = figures[name]
            lines.append(f"| {name} | {row['n']} | {row['p50_s']:.3f} | {row['p90_s']:.3f} |")
    lines += ["", f"fresh / warm p50: {figures['fresh_over_warm']}x"]
    return lines


def main(out: str) -> int:
    """Compose OUT/summary.md; return 0."""
    folder = Path(out)
    lines = ["# GPU check", ""]
    env = folder / "env.txt"
    if env.exists():
        lines += ["```", env.read_text().strip(), "```", ""]
    lines += ["## Steps", "", "| step | exit | seconds |", "| --- | --- | --- |"]
    steps = folder / "steps.tsv"
    for row in steps.read_text().splitlines() if steps.exists() else []:
        lines.append("| " + " | ".join(row.split("\t")) + " |")
    lines += ["", "## Grading", ""]
    lines += [grade_line(p) for p in sorted(folder.glob("grade_*.json"))]
    lines += ["", "## Latency", ""] + latency_lines(folder / "latency.json")
    text = "\n".join(lines) + "\n"
    (folder / "summary.md").write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
