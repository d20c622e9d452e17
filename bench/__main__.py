"""`python -m bench [NAME ...]`: run every benchmark (or the named ones) and print one table.

A benchmark is a function that returns rows for the table; register new ones in BENCHMARKS.
"""

import os
import sys
from time import perf_counter

from bench import booking, dispatch, feeds, load, scale
from bench.common import Benchmark, BenchUnavailable, Row, format_table, progress

BENCHMARKS: dict[str, Benchmark] = {
    "booking": booking.run,
    "dispatch": dispatch.run,
    "feeds": feeds.run,
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
    print(format_table(rows), flush=True)
    progress(f"done in {perf_counter() - started:.0f} s; {_load_average()}")
    return 0


def _load_average() -> str:
    """Timings mean little on a busy machine: say how busy it was."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
