"""Write bench/results.md from the figures `make bench` gathered in bench/results.json."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys

from bench.common import REPO, RESULTS

ORDER = [
    "turn_overhead",
    "checkpoint_storage",
    "turns_in_flight",
    "webhook_load",
    "cold_start",
    "memory_recall",
    "postgres_scale",
    "tokens_per_turn",
    "ingest",
]


def main() -> int:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {now}: {platform.platform()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs.",
        "",
        "Each script alternates ours and its peer in one run, repeats (>= 3 unless it says it is "
        "deterministic) and reports the median and the best of the repeats, with the load "
        "average when it ended. **The machine is shared (2 cores, several people): load "
        "averages far above 2 inflate every wall-clock figure here, ours and the peers' alike; "
        "compare ratios within a run rather than absolute times.**",
        "",
    ]
    for name in [n for n in ORDER if n in results] + [n for n in results if n not in ORDER]:
        entry = results[name]
        lines += [f"## {name}", "", entry["title"], "", f"_{entry['machine']}_", ""]
        lines += ["| figure | median | best | runs |", "| --- | ---: | ---: | ---: |"]
        for series in entry["series"]:
            unit = f" {series['unit']}" if series["unit"] else ""
            lines.append(
                f"| {series['label']} | {series['median']:.2f}{unit} | "
                f"{series['best']:.2f}{unit} | {series['n']} |"
            )
        lines.append("")
        for goal in entry["goals"]:
            verdict = "MET" if goal["met"] else "NOT MET"
            lines.append(f"- goal: {goal['text']}: **{verdict}** ({goal['figure']})")
        lines.append("")
    missing = [n for n in ORDER if n not in results]
    if missing:
        lines += [f"Not run this time: {', '.join(missing)}.", ""]
    (REPO / "bench" / "results.md").write_text("\n".join(lines))
    print(f"wrote bench/results.md ({len(results)} benchmarks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
