"""Quiet hours at scale: an SMS check with and without ``--send-at`` (rule CT001), side by side.

    python benchmarks/bench_quiet_hours.py                  # 1M rows generated at run time
    python benchmarks/bench_quiet_hours.py --rows 200000

The generated export is judged as an SMS list with exact keys (so that the people stage does not
hide the rule's cost), each run in a fresh process: wall seconds, peak resident memory, and the
CT001 findings (the same count is expected whatever the version).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_check import MEASURE, ROOT
from generated import generate

WORKLOAD = """
import os, sys
from listclean.entry import MALLOC_CONF, SWITCH_INTERVAL
os.environ.setdefault("_RJEM_MALLOC_CONF", MALLOC_CONF)
sys.setswitchinterval(SWITCH_INTERVAL)
from listclean.pipeline import check
from listclean.settings import build_settings
settings = build_settings(as_of="2026-11-01", default_region="ES", channel="sms", policy=POLICY, send_at=SEND_AT)
result = check(PATH, settings)
print("CT001", int((result.findings["code"] == "CT001").sum()), file=sys.stderr)
"""

POLICY = '[match]\nmode = "exact"\n[quiet_hours]\nsms = "08:00-21:00"\n'
SEND_AT = "2026-12-01T22:30+01:00"


def run(path: Path, policy: Path, send_at: str | None) -> tuple[float, float, int]:
    """(wall seconds, peak MiB, CT001 findings) of one check in a fresh interpreter."""
    workload = f"POLICY = {str(policy)!r}\nSEND_AT = {send_at!r}\n" + WORKLOAD
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path), "-"], input=workload,
                          capture_output=True, text=True, check=True, cwd=ROOT)
    wall, own_kib, child_kib = done.stdout.split()[-3:]
    found = int(done.stderr.split("CT001")[-1].split()[0])
    return float(wall), (int(own_kib) + int(child_kib)) / 1024, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = generate(args.rows, Path(folder))
        policy = Path(folder) / "quiet.toml"
        policy.write_text(POLICY, encoding="utf-8")
        print(f"{'rows':>10} {'what':<32} {'wall s':>8} {'peak MiB':>9} {'CT001':>9}")
        for what, send_at in (("check --channel sms", None), (f"  … --send-at {SEND_AT}", SEND_AT)):
            wall, peak, found = run(path, policy, send_at)
            print(f"{args.rows:>10,} {what:<32} {wall:>8.2f} {peak:>9,.0f} {found:>9,}", flush=True)


if __name__ == "__main__":
    main()
