"""What the HTML report costs: `listclean check` vs `listclean report` on the same file, in one run.

    python benchmarks/bench_report.py                  # 1M rows, 3 rounds
    python benchmarks/bench_report.py --rows 100000 --rounds 5
    python benchmarks/bench_report.py --file /path/to/export.csv

The file is generated at run time with sample_data/generate.py into a temporary folder (unless
--file). Each round runs both commands in fresh processes, one after the other, so that a busy
machine slows both alike; the figures are the best and the median wall seconds of each, the
report's share on top of check, and the page's size. The history is off (--history none) so the
rounds do not depend on each other.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generated import generate

COMMON = ["--as-of", "2026-11-01", "--store", "none", "--fail-on", "never", "--format", "summary"]


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--file", type=Path, help="An existing export to use instead of a generated one.")
    args = parser.parse_args()
    listclean = [sys.executable, "-m", "listclean"]
    with tempfile.TemporaryDirectory() as folder:
        path = args.file or generate(args.rows, Path(folder))
        page = Path(folder) / "report.html"
        checks, reports = [], []
        for _ in range(args.rounds):
            checks.append(timed([*listclean, "check", str(path), *COMMON]))
            reports.append(timed([*listclean, "report", str(path), "-o", str(page), "--history", "none", *COMMON]))
        size = page.stat().st_size
    best_check, best_report = min(checks), min(reports)
    median_check, median_report = statistics.median(checks), statistics.median(reports)
    print(f"file: {path.name if args.file else f'generated, {args.rows:,} rows'}; rounds: {args.rounds}")
    print(f"check   best {best_check:6.2f} s  median {median_check:6.2f} s")
    print(f"report  best {best_report:6.2f} s  median {median_report:6.2f} s")
    print(f"report adds {100 * (best_report / best_check - 1):+.1f}% (best) "
          f"{100 * (median_report / median_check - 1):+.1f}% (median) to check")
    print(f"page size {size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
