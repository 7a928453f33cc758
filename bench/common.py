"""What every benchmark shares: alternate ours and the peer, repeat, report median and best
with the load average, and state the goal. Scripts, not tests: they never fail the build."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results.json"
"""`make bench` gathers every script's figures here, then writes results.md from them."""

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

for _name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"):
    os.environ.pop(_name, None)  # tracing would time LangSmith's client, not ours


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine() -> str:
    return (
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, "
        f"load average {load_average()}"
    )


@dataclass
class Series:
    """One figure measured once per repeat (lower is better unless `higher_is_better`)."""

    label: str
    unit: str
    values: list[float] = field(default_factory=list)
    higher_is_better: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def best(self) -> float:
        return max(self.values) if self.higher_is_better else min(self.values)

    def row(self) -> str:
        shown = ", ".join(f"{v:.2f}" for v in self.values)
        return (
            f"  {self.label:<46} median {self.median:>9.2f} {self.unit:<3} "
            f"best {self.best:>9.2f}   [{shown}]"
        )


def alternate(repeats: int, runs: list[Callable[[], None]]) -> None:
    """Run each of `runs` once per repeat, in turn (ours, peer, ours, peer, ...), so load on a
    shared machine falls on both alike."""
    for repeat in range(repeats):
        for run in runs:
            run()
        print(f"  repeat {repeat + 1}/{repeats} done (load average {load_average()})", flush=True)


@dataclass
class Goal:
    text: str
    met: bool
    figure: str

    def line(self) -> str:
        return f"goal: {self.text}: {'MET' if self.met else 'NOT MET'} ({self.figure})"


def report(name: str, title: str, series: list[Series], goals: list[Goal]) -> int:
    print(f"\n{title}\n{machine()}")
    for item in series:
        print(item.row())
    for goal in goals:
        print(goal.line())
    _record(name, title, series, goals)
    return 0


def _record(name: str, title: str, series: list[Series], goals: list[Goal]) -> None:
    """Add this run to bench/results.json when `make bench` asked for it (BENCH_RECORD=1)."""
    if os.environ.get("BENCH_RECORD") != "1":
        return
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[name] = {
        "title": title,
        "machine": machine(),
        "series": [
            {
                "label": s.label,
                "unit": s.unit,
                "median": s.median,
                "best": s.best,
                "n": len(s.values),
            }
            for s in series
        ],
        "goals": [{"text": g.text, "met": g.met, "figure": g.figure} for g in goals],
    }
    RESULTS.write_text(json.dumps(results, indent=2))


BENCH_ENCRYPTION_KEY = "x3Xw4mQ1Yd4xvN0nB6Jc0Ff0yq7rOJq2h5mXnR3t9Ks="
"""One fixed key for the bench process and the processes it starts (never a generated one:
rows written here must be readable there)."""


def bench_settings(database_url: str, **overrides: object) -> Any:
    """Settings that ignore .env and the environment's LLM keys, with encryption configured
    for this process (what a composition root does at start-up)."""
    from stores import crypto
    from stores.settings import Settings

    values: dict[str, object] = {
        "database_url": database_url,
        "encryption_key": BENCH_ENCRYPTION_KEY,
        "twilio_auth_token": "bench-token-0123456789",
        "openai_api_key": None,
        "openai_base_url": None,
    }
    values.update(overrides)
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    crypto.configure(settings)
    return settings
