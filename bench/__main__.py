"""`python -m bench [NAME ...]`: run every benchmark (or the named ones) and print one table.

A benchmark is a function that returns rows for the table; register new ones in BENCHMARKS.
"""

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

from bench import booking, dispatch, feeds, floor, healthz, load, scale
from bench.common import Benchmark, BenchUnavailable, Row, format_table, progress

# docs/benchmarks.md: the table above this line is replaced by every full run, the notes below it are kept.
NOTES_MARKER = "<!-- notes: kept by `make bench` -->"

BENCHMARKS: dict[str, Benchmark] = {
    "booking": booking.run,
    "dispatch": dispatch.run,
    "feeds": feeds.run,
    "floor": floor.run,
    "healthz": healthz.run,
    "load": load.run,
    "scale": scale.run,
}


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in BENCHMARKS]
    if unknown:
        print(
            f"bench: unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr
        )
        return 2
    started = perf_counter()
    progress(_load_average())
    rows: list[Row] = []
    for name in argv or list(BENCHMARKS):
        progress(f"running {name}")
        try:
            rows.extend(BENCHMARKS[name]())
        except BenchUnavailable as error:
            print(f"bench: {error}", file=sys.stderr)
            return 1
    table = format_table(rows)
    print(table, flush=True)
    elapsed = perf_counter() - started
    progress(f"done in {elapsed:.0f} s; {_load_average()}")
    if not argv:  # only a full run replaces the published table
        _publish(table, elapsed)
    return 0


def _publish(table: str, elapsed: float) -> None:
    """Write the table to docs/benchmarks.md, with when and on how busy a machine it was measured."""
    python = f"{platform.python_implementation()} {platform.python_version()}"
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, {python}"
    text = (
        "# Benchmarks\n\n"
        "Measured by `make bench` (every benchmark, one run, side by side). The ratio is value/target for\n"
        "timings (at most 1.00 meets the target), value/target for throughput (at least 1.00 meets it) and\n"
        "large/small for SQL statement counts (1.00: independent of data size).\n\n"
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {elapsed:.0f} s, {machine}; {_load_average()}.\n\n"
        f"```\n{table}\n```\n"
    )
    path = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
    path.parent.mkdir(exist_ok=True)
    # What is written by hand below the table (what the figures mean, how they were reached) is kept.
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    notes = old.split(NOTES_MARKER, 1)[1] if NOTES_MARKER in old else "\n"
    path.write_text(text + "\n" + NOTES_MARKER + notes, encoding="utf-8")
    progress(f"table written to {path.relative_to(path.parent.parent)}")


def _load_average() -> str:
    """Timings mean little on a busy machine: say how busy it was."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
