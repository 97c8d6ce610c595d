"""The files a burst sends: correct, buggy and hostile submissions, and how they are mixed.

Correct and buggy files are the test fixtures (tests/fixtures/submissions/, named
``<runtime>_<what>.py``); hostile ones are bench/corpus/ (endless loops, a memory bomb,
a fork bomb, an output flood) plus the fixtures whose functions never return. A mix gives
each (assignment, kind) group a share of the burst; within a group the files take turns,
so the same seed always gives the same burst.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
CORPUS = ROOT / "bench" / "corpus"
ASSIGNMENT = {"numpy": "lecture4-numpy", "torch": "lecture4-torch"}
HOSTILE_FIXTURES = ("infinite_loop",)  # fixtures that are hostile rather than merely wrong

Kind = Literal["correct", "buggy", "hostile"]
Group = tuple[str, Kind]  # (assignment, kind)

# Shares of a burst per (assignment, kind). 'mixed' is a deadline: mostly NumPy, a quarter
# torch, a few hostile files (each costs seconds of worker time by design).
MIXES: dict[str, dict[Group, float]] = {
    "mixed": {
        ("lecture4-numpy", "correct"): 0.45,
        ("lecture4-numpy", "buggy"): 0.27,
        ("lecture4-numpy", "hostile"): 0.03,
        ("lecture4-torch", "correct"): 0.15,
        ("lecture4-torch", "buggy"): 0.10,
    },
    "numpy-correct": {("lecture4-numpy", "correct"): 1.0},
    "torch-correct": {("lecture4-torch", "correct"): 1.0},
    "hostile": {("lecture4-numpy", "hostile"): 1.0},
}


@dataclass(frozen=True)
class Sample:
    """A file to submit: its path, the assignment it is written for, and its kind."""

    path: Path
    assignment: str
    kind: Kind

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Planned:
    """One submission of the burst: its position, its file and its (unique) student id."""

    index: int
    sample: Sample
    student_id: str


def _fixture_kind(stem: str) -> Kind:
    what = stem.split("_", 1)[1]
    if what == "correct":
        return "correct"
    return "hostile" if what in HOSTILE_FIXTURES else "buggy"


def pool() -> list[Sample]:
    """Every file a burst can send, sorted by path."""
    samples = []
    for path in sorted(FIXTURES.glob("*_*.*")):
        runtime = path.stem.split("_", 1)[0]
        if path.suffix in (".py", ".ipynb") and runtime in ASSIGNMENT:
            samples.append(Sample(path, ASSIGNMENT[runtime], _fixture_kind(path.stem)))
    for path in sorted(CORPUS.glob("hostile_*.py")):
        samples.append(Sample(path, "lecture4-numpy", "hostile"))
    return samples


def allocate(n: int, shares: Mapping[Group, float]) -> dict[Group, int]:
    """Split ``n`` over the groups in proportion to ``shares`` (largest remainders)."""
    total = sum(shares.values())
    exact = {group: n * share / total for group, share in shares.items()}
    counts = {group: int(value) for group, value in exact.items()}
    by_remainder = sorted(exact, key=lambda g: (counts[g] - exact[g], g))
    for group in by_remainder[: n - sum(counts.values())]:
        counts[group] += 1
    return counts


def plan(n: int, mix: str | Mapping[Group, float], seed: int = 0) -> list[Planned]:
    """Return ``n`` submissions drawn from the pool by ``mix``, shuffled by ``seed``.

    Every student id is distinct (``load-<seed>-<index>``), so per-student caps and rates
    never refuse a burst that a whole class sends.
    """
    shares = MIXES[mix] if isinstance(mix, str) else mix
    samples = pool()
    chosen: list[Sample] = []
    for (assignment, kind), count in allocate(n, shares).items():
        group = [s for s in samples if s.assignment == assignment and s.kind == kind]
        if count and not group:
            raise ValueError(f"no {kind} files for {assignment} in the pool")
        chosen += [group[i % len(group)] for i in range(count)]
    random.Random(seed).shuffle(chosen)
    return [Planned(i, sample, f"load-{seed}-{i:05d}") for i, sample in enumerate(chosen)]
