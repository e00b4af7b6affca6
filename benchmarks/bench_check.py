"""listclean check vs a naive pandas baseline vs the polars read+write floor, in one run.

"listclean check" is the default policy (people matched probabilistically: the generated file has
name columns); "listclean check exact" matches people by exact keys only, as the naive script does.

    pip install ".[bench]"
    python benchmarks/bench_check.py                 # 100k and 1M rows
    python benchmarks/bench_check.py --rows 100000   # one size
    python benchmarks/bench_check.py --rows 10000000 --no-baseline
    python benchmarks/bench_check.py --varied        # the export reshaped as varied.py says

Files are generated at run time with sample_data/generate.py into a temporary
folder and deleted afterwards. Every figure is measured in a fresh process:
wall seconds, rows per second, and peak resident memory (the process itself,
plus its largest worker process when it forks a pool).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from generated import generate
from varied import vary

ROOT = Path(__file__).resolve().parent.parent

LISTCLEAN = """
import os, sys
from listclean.entry import MALLOC_CONF, SWITCH_INTERVAL
os.environ.setdefault("_RJEM_MALLOC_CONF", MALLOC_CONF)  # what the command line sets for itself
sys.setswitchinterval(SWITCH_INTERVAL)
from listclean.pipeline import check
from listclean.settings import build_settings
settings = build_settings(as_of="2026-11-01", default_region="ES", policy=POLICY)
result = check(PATH, settings)
assert result.rows_in == sum(result.counts_by_status().values())
"""

FLOOR = """
import polars as pl
pl.read_csv(PATH, infer_schema=False).write_csv(OUT)
"""

# What a competent analyst writes: pandas, the libraries mapped over the columns, drop_duplicates.
NAIVE = """
import pandas as pd, phonenumbers, email_validator, datetime as dt
df = pd.read_csv(PATH, dtype=str, keep_default_na=False)
def email_ok(value):
    try:
        return email_validator.validate_email(value.strip(), check_deliverability=False).normalized
    except email_validator.EmailNotValidError:
        return None
COUNTRIES = {"es": "ES", "spain": "ES", "españa": "ES", "esp": "ES", "us": "US", "usa": "US",
             "united states": "US", "uk": "GB", "gb": "GB", "mx": "MX", "méxico": "MX", "mexico": "MX",
             "ar": "AR", "fr": "FR", "de": "DE", "co": "CO"}
def phone_e164(value, country):
    try:
        number = phonenumbers.parse(value, COUNTRIES.get(country.strip().lower(), "ES"))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
df["email_normalized"] = df["Email Address"].map(email_ok)
df["phone_e164"] = [phone_e164(p, c) for p, c in zip(df["Phone Number"], df["Country"])]
yes = {"yes", "y", "si", "sí", "true", "1", "opted-in", "subscribed"}
df["consent"] = df["Email Marketing Consent"].str.strip().str.lower().isin(yes)
df["unsubscribed"] = df["Unsubscribed"].str.strip().str.lower().isin(yes)
last = pd.to_datetime(df["Last Activity Date"], errors="coerce", format="mixed")
df["stale"] = last < pd.Timestamp("2024-11-01")
df["key"] = df["email_normalized"].str.lower()
deduped = df[df["email_normalized"].notna()].sort_values("Last Activity Date", ascending=False).drop_duplicates("key")
send = deduped[deduped["consent"] & ~deduped["unsubscribed"] & ~deduped["stale"]]
send.to_csv(OUT, index=False)
"""

MEASURE = """
import resource, sys, time
PATH, OUT = sys.argv[1], sys.argv[2]
start = time.perf_counter()
exec(compile(sys.stdin.read(), "<workload>", "exec"))
wall = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{wall:.3f} {own} {child}")
"""


#: The people stage with exact keys only (what the naive script does too); the default policy
#: matches people probabilistically when the file has name columns, as the generated one has.
EXACT_POLICY = '[match]\nmode = "exact"\n'


def measure(workload: str, path: Path, out: Path, policy: Path | None = None) -> tuple[float, float]:
    """(wall seconds, peak MiB) of ``workload`` run in a fresh interpreter."""
    workload = f"POLICY = {str(policy) if policy else None!r}\n" + workload
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(out)], input=workload,
                          capture_output=True, text=True, check=True, cwd=ROOT)
    wall, own_kib, child_kib = done.stdout.split()[-3:]
    return float(wall), (int(own_kib) + int(child_kib)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows per file (repeatable)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--varied", action="store_true",
                        help="many domains, twenty countries' phones, mixed dates (benchmarks/varied.py)")
    args = parser.parse_args()
    sizes = args.rows or [100_000, 1_000_000]
    print(f"{'rows':>10} {'what':<24} {'wall s':>8} {'rows/s':>12} {'peak MiB':>9}  ratio")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for rows in sizes:
            path = generate(rows, Path(folder))
            if args.varied:
                path = vary(path, path.with_name(f"varied_{rows}.csv"))
            out = Path(folder) / "out.csv"
            exact = Path(folder) / "exact.toml"
            exact.write_text(EXACT_POLICY, encoding="utf-8")
            figures = {"listclean check": measure(LISTCLEAN, path, out),
                       "listclean check exact": measure(LISTCLEAN, path, out, exact),
                       "floor (polars r+w)": measure(FLOOR, path, out)}
            if not args.no_baseline and rows <= 1_000_000:
                figures["naive pandas"] = measure(NAIVE, path, out)
            ours, exact_wall = figures["listclean check"][0], figures["listclean check exact"][0]
            for what, (wall, peak) in figures.items():
                ratio = "" if what.startswith("listclean") else (
                    f"listclean is {wall / ours:.1f}x faster ({wall / exact_wall:.1f}x exact)"
                    if what.startswith("naive")
                    else f"listclean takes {ours / wall:.1f}x the floor ({exact_wall / wall:.1f}x exact)")
                print(f"{rows:>10,} {what:<24} {wall:>8.2f} {rows / wall:>12,.0f} {peak:>9,.0f}  {ratio}", flush=True)
                results.append({"rows": rows, "what": what, "wall_s": wall, "peak_mib": peak})
            path.unlink()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
