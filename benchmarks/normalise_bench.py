"""Email and phone normalisation with and without the vectorised fast paths, on a CRM dump.

For a generated export (sample_data/generate.py: mostly distinct, messy values in the mix a
HubSpot/Shopify export has) this times, side by side in one run:

  library   add_email_columns / add_phone_columns with FAST_PATH off: email-validator and
            phonenumbers once per distinct value, over the available cores (the baseline)
  fast      the same calls with FAST_PATH on: polars decides what it can, the libraries the rest

and prints the share of distinct values (and of rows) the fast path decided. Both runs start
with cold caches (compiled metadata, typo look-ups) and their outputs are checked to be equal.

Run: python benchmarks/normalise_bench.py [--rows 1000000] [--input export.csv] [--repeat 1]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]   # a script, not an installed package

import polars as pl  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402

from listclean.normalize import email, fast_email, fast_phone, phone, phonemeta  # noqa: E402
from listclean.normalize.distinct import available_cores  # noqa: E402

EMAIL_COLUMN, PHONE_COLUMN, COUNTRY_COLUMN = "Email Address", "Phone Number", "Country"
DEFAULT_REGION = "ES"


def _export(rows: int, given: Path | None, folder: Path) -> Path:
    if given is not None:
        return given
    path = folder / f"crm_{rows}.csv"
    subprocess.run([sys.executable, str(REPO / "sample_data" / "generate.py"), "--rows", str(rows),
                    "-o", str(path)], check=True, stdout=subprocess.DEVNULL)
    return path


def _cold() -> None:
    email.typo_fix.cache_clear()
    phonemeta._region_meta.cache_clear()
    fast_phone._calling_code_table.cache_clear()


def _timed(fn, *args) -> tuple[float, pl.DataFrame]:
    _cold()
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--input", type=Path, help="an existing export (same headers as generate.py)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per mode; the best is shown")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = _export(args.rows, args.input, Path(folder))
        source = pl.read_csv(path, infer_schema=False)
    work = source.select(
        pl.col(EMAIL_COLUMN).alias("raw_email"), pl.col(PHONE_COLUMN).alias("raw_phone"),
        phone.country_code_expr(source, COUNTRY_COLUMN).alias("country_code"),
    )

    # What the fast paths decide: distinct values, as the normalisers see them.
    cleaned_email = work.select(email.clean_expr("raw_email").alias("e"))["e"]
    distinct_email = cleaned_email.drop_nulls().unique()
    decided_email = cleaned_email.is_in(distinct_email.gather(fast_email.judge(distinct_email)["_i"]).implode())
    pairs = work.select(phone.clean_expr("raw_phone").alias("_phone_clean"),
                        pl.col("country_code").fill_null(DEFAULT_REGION).alias("_region"))
    distinct_pairs = pairs.drop_nulls("_phone_clean").unique()
    decided = fast_phone.judge(distinct_pairs["_phone_clean"], distinct_pairs["_region"],
                               phone._PARSE_REASONS, phone._POSSIBLE_REASONS)
    decided_pairs = distinct_pairs[decided["_i"]]
    rows_decided_phone = pairs.join(decided_pairs, on=["_phone_clean", "_region"], how="semi", nulls_equal=True).height

    timings: dict[tuple[str, bool], float] = {}
    outputs: dict[tuple[str, bool], pl.DataFrame] = {}
    for fast in (False, True):
        email.FAST_PATH = phone.FAST_PATH = fast
        for _ in range(args.repeat):
            for kind, call in (("email", lambda: email.add_email_columns(work, "raw_email")),
                               ("phone", lambda: phone.add_phone_columns(work, "raw_phone", "country_code",
                                                                         DEFAULT_REGION))):
                seconds, result = _timed(call)
                timings[(kind, fast)] = min(seconds, timings.get((kind, fast), float("inf")))
                outputs[(kind, fast)] = result
    email.FAST_PATH = phone.FAST_PATH = True
    for kind in ("email", "phone"):
        assert_frame_equal(outputs[(kind, True)], outputs[(kind, False)])

    email_rows = cleaned_email.is_not_null().sum()
    phone_rows = pairs["_phone_clean"].is_not_null().sum()
    print(f"{work.height:,} rows from {path.name if args.input else 'sample_data/generate.py'}, "
          f"{available_cores()} cores, best of {args.repeat}")
    print(f"{'':8} {'library s':>10} {'fast s':>8} {'speed-up':>9} {'distinct':>10} "
          f"{'fast decided (distinct)':>24} {'(rows)':>8}")
    share = {
        "email": (len(distinct_email), fast_email.judge(distinct_email).height / max(len(distinct_email), 1),
                  decided_email.sum() / max(email_rows, 1)),
        "phone": (distinct_pairs.height, decided.height / max(distinct_pairs.height, 1),
                  rows_decided_phone / max(phone_rows, 1)),
    }
    for kind in ("email", "phone"):
        slow, fast = timings[(kind, False)], timings[(kind, True)]
        distinct, by_value, by_row = share[kind]
        print(f"{kind:8} {slow:10.2f} {fast:8.2f} {slow / fast:8.1f}x {distinct:10,} {by_value:24.2%} {by_row:8.2%}")
    print("outputs identical with and without the fast paths")


if __name__ == "__main__":
    main()
