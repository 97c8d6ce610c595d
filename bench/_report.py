"""Turn a burst's outcome into figures (a JSON-ready dict) and a text report.

Lost: accepted (202) but not finished by the end of the run. Graded twice: a result stored
more than once for one id, by either witness (Redis publications, the worker's log; see
bench/_watch.py). Re-runs (``attempts`` > 1) are counted apart: a redelivered run that
finds the result already stored is the system working, not a double grade.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bench._burst import Sent
from bench._stats import Spread, phases, throughput
from bench._watch import STORED


def _group(sent: Sent) -> str:
    return f"{sent.planned.sample.assignment}/{sent.planned.sample.kind}"


def outcome(sent: Sequence[Sent], publications: Counter | None, log: dict | None) -> dict:
    """Counts of accepted, refused, finished, lost and doubly graded submissions."""
    accepted = [s for s in sent if s.id is not None]
    lost = [s.id for s in accepted if not s.finished]
    double_pub = sorted(i for i, n in (publications or {}).items() if n > 1)
    double_log = sorted(i for i, c in (log or {}).items() if sum(c[name] for name in STORED) > 1)
    ours = {s.id for s in accepted}
    return {
        "planned": len(sent),
        "accepted": len(accepted),
        "refused": dict(Counter(str(s.http_status or s.error[:40]) for s in sent if not s.id)),
        "submit_retries": sum(s.retries for s in sent),
        "finished": sum(s.finished for s in accepted),
        "lost": len(lost),
        "lost_ids": lost[:20],
        "graded_twice": len(set(double_pub + double_log) & ours),
        "graded_twice_ids": sorted(set(double_pub + double_log) & ours)[:20],
        "witnesses": [name for name, seen in (("redis", publications), ("log", log)) if seen],
        "reruns": sum(1 for s in accepted if s.finished and s.record.get("attempts", 1) > 1),
    }


def statuses(sent: Sequence[Sent]) -> dict:
    """Final statuses per (assignment, kind), and correct files that lost points."""
    by_group: dict[str, Counter] = {}
    for s in sent:
        if s.finished:
            by_group.setdefault(_group(s), Counter())[s.record["status"]] += 1
    short = [
        f"{s.planned.sample.name}: {s.record.get('score')}/{s.record.get('max_score')}"
        for s in sent
        if s.finished and s.planned.sample.kind == "correct"
        if s.record.get("score") != s.record.get("max_score")
    ]
    return {
        "by_group": {g: dict(c) for g, c in sorted(by_group.items())},
        "correct_short": len(short),
        "correct_short_examples": short[:10],
    }


def timings(sent: Sequence[Sent], workers: int) -> dict:
    """Latency, intake, queue wait and grading spreads (all and per group); throughput."""
    finished = [s for s in sent if s.finished]
    rows = [(s, phases(s.record)) for s in finished]
    rows = [(s, p) for s, p in rows if p is not None]
    spreads = {name: Spread.of(p[name] for _, p in rows).as_dict() for name in _PHASES}
    per_group = {}
    for group in sorted({_group(s) for s, _ in rows}):
        mine = [p for s, p in rows if _group(s) == group]
        per_group[group] = {name: Spread.of(p[name] for p in mine).as_dict() for name in _PHASES}
    seen = [s.seen_at - s.submitted_at for s in finished if s.seen_at]
    rate = throughput([s.record for s in finished], workers)
    return {
        "phases": spreads,
        "per_group": per_group,
        "client_seen": Spread.of(seen).as_dict(),
        "submit_round_trip": Spread.of(s.accepted_s for s in sent if s.id).as_dict(),
        "throughput": vars(rate),
    }


_PHASES = ("latency", "intake", "queue_wait", "grading")


def _line(spread: dict) -> str:
    return Spread(**spread).line()


def render(figures: dict) -> str:
    """A plain-text report of ``figures`` (as built by bench.load)."""
    o, t, st = figures["outcome"], figures["timings"], figures["statuses"]
    rate = t["throughput"]
    lines = [
        f"== load run: {figures['run']['label']}",
        f"submissions: planned {o['planned']}, accepted {o['accepted']}, "
        f"finished {o['finished']}, refused {o['refused'] or 0}, retries {o['submit_retries']}",
        f"LOST: {o['lost']}   GRADED TWICE: {o['graded_twice']} "
        f"(witnesses: {', '.join(o['witnesses']) or 'none'})   re-runs: {o['reruns']}",
        f"throughput: {rate['per_s']:.2f} finished/s over {rate['span_s']:.1f} s; "
        f"{rate['per_worker_s']:.2f} per worker process ({rate['workers']} workers)",
    ]
    for name in _PHASES:
        lines.append(f"{name:>11}: {_line(t['phases'][name])}")
    lines.append(f"client-seen: {_line(t['client_seen'])}")
    lines.append(f"  submit RTT: {_line(t['submit_round_trip'])}")
    for group, spreads in t["per_group"].items():
        lines.append(f"  {group}: latency {_line(spreads['latency'])}")
        lines.append(f"  {' ' * len(group)}  grading {_line(spreads['grading'])}")
    lines.append(f"statuses: {st['by_group']}")
    lines.append(f"correct files short of full marks: {st['correct_short']}")
    lines += [f"    {example}" for example in st["correct_short_examples"]]
    memory = figures.get("memory")
    if memory:
        lines.append(
            f"peak memory of the service tree: RSS {memory['rss_mib']:.0f} MiB, "
            f"PSS {memory['pss_mib']:.0f} MiB, {memory['processes']} processes"
        )
    baseline = figures.get("baseline")
    if baseline:
        for assignment, row in baseline.items():
            lines.append(
                f"baseline {assignment}: fresh interpreter {row['fresh_mean_ms']:.0f} ms/file "
                f"({row['files']} files, jobs {row['jobs']}) vs service grading "
                f"{row['service_mean_ms']:.0f} ms/file: {row['ratio']:.1f}x"
            )
    return "\n".join(lines)
