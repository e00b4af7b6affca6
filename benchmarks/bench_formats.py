"""Every report format on one judged list: what each costs on top of the check, and its size.

    python benchmarks/bench_formats.py                 # 1M rows generated at run time
    python benchmarks/bench_formats.py --rows 100000
    python benchmarks/bench_formats.py --file /path/to/export.csv

The list is judged once (in this process); then each reporter writes the same Result to a file
in a temporary folder, three times, best time kept. ``check --format F`` costs the check plus
this; the last column is that total against the text format's.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from generated import generate

from listclean import pipeline
from listclean.report import reporters
from listclean.settings import build_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.file or generate(args.rows, Path(folder))
        started = time.perf_counter()
        result = pipeline.check(path, build_settings(as_of="2026-11-01", store=Path("none")))
        checked = time.perf_counter() - started
        print(f"check: {result.rows_in:,} rows, {result.findings.height:,} findings, {checked:.2f} s")
        costs = {}
        for name, emit in reporters().items():
            best, size = float("inf"), 0
            for _ in range(3):
                target = Path(folder) / f"report.{name}"
                with target.open("w", encoding="utf-8") as stream:
                    started = time.perf_counter()
                    emit(result, stream)
                    best = min(best, time.perf_counter() - started)
                size = target.stat().st_size
            costs[name] = best
            print(f"{name:8} {best:7.2f} s  {size / 1e6:8.1f} MB", flush=True)
        text = checked + costs["text"]
        print("check + format, against check + text:")
        for name, cost in costs.items():
            print(f"  {name:8} {(checked + cost) / text:5.2f}x")


if __name__ == "__main__":
    main()
