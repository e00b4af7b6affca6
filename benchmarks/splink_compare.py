"""Splink 5 (DuckDB) on the same inputs as bench_people.py: quality, time, memory, footprint.

Splink is NOT a listclean dependency: it runs in a separate virtual environment.

    python -m venv /tmp/splinkvenv
    /tmp/splinkvenv/bin/pip install splink polars recordlinkage pyarrow
    # then, from listclean's own environment:
    python benchmarks/splink_compare.py --splink-python /tmp/splinkvenv/bin/python
    python benchmarks/splink_compare.py --febrl-only
    python benchmarks/splink_compare.py --rows 100000 --rows 1000000
    python benchmarks/splink_compare.py --footprint     # packages and MB splink adds to a polars-only venv

How it is made fair:

* Same data: the FEBRL sets (lean, full) and the people data of ``people_data.py`` (same seed),
  the same records frame as ``bench_people.py --mode direct``, and the same normalisation:
  listclean's ``people.match.prepare`` (folded names, full names split, surnames keyed, phone's
  last nine digits, postcode, birth date digits, name sounds) is run here, in listclean's
  environment, and its output handed to splink. Splink's docs ask for standardised input; this
  is it, and neither side gets cleaner data than the other. ``prepare`` is timed separately.
* Values shared by more than 200 rows in email, phone or customer id (placeholders such as
  test@test.com, 000000000) are set to null before splink sees them: splink's documented
  advice for dummy values. (Our matcher keeps them but does not block on them.)
* The model is splink's documented unsupervised recipe (as in its FEBRL 3 and 50k examples):
  ``ForenameSurnameComparison`` with term frequencies on the full name, ``EmailComparison``,
  Damerau-Levenshtein on the phone's last nine digits and on the customer id, exact postcode with
  term frequencies, and with the full shape ``DateOfBirthComparison`` and Jaro-Winkler on the
  street; city is left out (it repeats the postcode; splink's docs warn against correlated
  columns). The prior from deterministic rules (email; names + postcode) with recall 0.7; ``u``
  by random sampling (``max_pairs`` 1e7, seed 1); ``m`` by EM on two blocking rules (given name
  + surname; postcode) without term frequencies during EM, as the docs' 50k example does.
* Blocking rules are the matcher's first rule set (before its weak rules got a pair budget of
  2 pairs per record): email, phone, customer id, name
  sounds (either order), a name with the other's initial (either way round), surname or
  given-name sound + postcode, initials + postcode, birth date + an initial. Splink has no
  block-size cap, so the keys are derived as columns and a key shared by more than 200 rows is
  nulled, exactly as our ``max_block`` = 200 skips it. (Uncapped, these rules make 1.16 billion
  comparisons at 1M rows: splink's blocking analysis says so in 30 s.)
* DuckDB gets a memory limit of 8 GB (it spills to disk past it) and EM at most 5M pairs per
  session (``max_pairs``), so a 1M-row run fits this shared 24 GB machine.
* Thresholds fixed before scoring: clusters (connected components) at match probability 0.95
  (splink's docs example) and 0.99 (listclean's ``merge``); predictions kept from 0.5.

Every figure is measured in a fresh splink process: wall and CPU seconds, peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = (0.95, 0.99)
MAX_SHARED = 200
#: DuckDB's own memory limit (it spills past it); EM pairs sampled per session.
MEMORY_LIMIT, EM_PAIRS = "8GB", 5e6


# ---------------------------------------------------------------- the splink side (its own venv)

def splink_child(prepared: Path, shape: str, out: Path) -> None:
    import duckdb
    import polars as pl
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    start, cpu0 = time.perf_counter(), _cpu()
    frame = pl.read_parquet(prepared)
    # Dummy values shared by many unrelated rows become null (splink's advice for placeholders).
    frame = frame.with_columns(
        pl.when(pl.len().over(c) <= MAX_SHARED).then(pl.col(c)).alias(c) for c in ("email", "phone9", "customer_id"))
    frame = frame.with_columns(
        pl.concat_str("given", "surname", separator=" ").alias("given_surname"),
        pl.col("_given1").str.slice(0, 1).alias("given_initial"),
        pl.col("_surname1").str.slice(0, 1).alias("surname_initial"))
    has = {c for c in frame.columns if frame[c].null_count() < frame.height}
    shared_ids = "customer_id" in has and frame["customer_id"].drop_nulls().is_duplicated().any()
    frame = _blocking_keys(frame)

    comparisons = [
        cl.ForenameSurnameComparison("given", "surname", forename_surname_concat_col_name="given_surname"),
        cl.EmailComparison("email"),
        cl.DamerauLevenshteinAtThresholds("phone9", [1]).configure(term_frequency_adjustments=True),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
    ]
    if "birth" in has:
        comparisons.append(cl.DateOfBirthComparison("birth", input_is_string=True, datetime_format="%Y%m%d"))
    if "street" in has:
        comparisons.append(cl.JaroWinklerAtThresholds("street", [0.9]))
    if shared_ids:
        comparisons.append(cl.DamerauLevenshteinAtThresholds("customer_id", [2]))
    # the matcher's blocking keys (before its pair budget), each capped at MAX_SHARED rows
    rules = [block_on("email"), block_on("phone9"), block_on("customer_id"), block_on("k_sounds"),
             block_on("k_name_a"), block_on("k_name_b"), "l.k_name_a = r.k_name_b", "l.k_name_b = r.k_name_a",
             block_on("k_surname_postcode"), block_on("k_given_postcode"), block_on("k_initials_postcode"),
             block_on("k_birth_given"), block_on("k_birth_surname")]
    settings = SettingsCreator(
        unique_id_column_name="_id", link_type="dedupe_only", blocking_rules_to_generate_predictions=rules,
        comparisons=comparisons, retain_intermediate_calculation_columns=False, retain_matching_columns=False)

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")    # DuckDB spills to disk past it
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register(frame.drop("_given1", "_surname1", "_given_sound", "_surname_sound")
                                    .to_arrow()), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("given", "surname", "postcode")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given", "surname"), estimate_without_term_frequencies=True, max_pairs=EM_PAIRS)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True, max_pairs=EM_PAIRS)
    trained = time.perf_counter() - start
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    pairs = predictions.as_duckdbpyrelation().count("*").fetchall()[0][0]
    result = pl.DataFrame({"_id": frame["_id"]})
    for threshold in THRESHOLDS:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold)
        found = pl.from_arrow(clusters.as_duckdbpyrelation().select("_id, cluster_id").to_arrow_table())
        result = result.join(found.rename({"cluster_id": f"person_{threshold}"}).with_columns(
            pl.col(f"person_{threshold}").cast(pl.String)), on="_id", how="left")
    wall, cpu = time.perf_counter() - start, _cpu() - cpu0
    result.write_parquet(out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mib": peak / 1024, "train_s": trained,
                      "pairs_scored": pairs, "comparisons": [c.create_output_column_name() for c in comparisons]}))


def _blocking_keys(frame):
    """Columns holding listclean's blocking keys; a key shared by more than MAX_SHARED rows is
    null (blocks nothing), as listclean's ``max_block`` does. The name+initial keys are one key
    space (a swapped name still shares a key), so their cap counts both columns together."""
    import polars as pl

    g, s = pl.col("_given1"), pl.col("_surname1")
    gs, ss = pl.col("_given_sound"), pl.col("_surname_sound")
    frame = frame.with_columns(
        pl.when(gs <= ss).then(pl.concat_str(gs, ss, separator="|")).otherwise(pl.concat_str(ss, gs, separator="|"))
        .alias("k_sounds"),
        pl.concat_str(g, s.str.slice(0, 1), separator="|").alias("k_name_a"),
        pl.concat_str(s, g.str.slice(0, 1), separator="|").alias("k_name_b"),
        pl.concat_str(ss, "postcode", separator="|").alias("k_surname_postcode"),
        pl.concat_str(gs, "postcode", separator="|").alias("k_given_postcode"),
        pl.concat_str(g.str.slice(0, 1), s.str.slice(0, 1), "postcode", separator="|").alias("k_initials_postcode"),
        pl.concat_str("birth", g.str.slice(0, 1), separator="|").alias("k_birth_given"),
        pl.concat_str("birth", s.str.slice(0, 1), separator="|").alias("k_birth_surname"))
    single = ["k_sounds", "k_surname_postcode", "k_given_postcode", "k_initials_postcode", "k_birth_given",
              "k_birth_surname"]
    frame = frame.with_columns(pl.when(pl.len().over(c) <= MAX_SHARED).then(pl.col(c)).alias(c) for c in single)
    names = pl.concat([frame["k_name_a"], frame["k_name_b"]]).rename("k").drop_nulls().value_counts(name="n")
    common = names.filter(pl.col("n") > MAX_SHARED)["k"]
    return frame.with_columns(pl.when(~pl.col(c).is_in(common.implode())).then(pl.col(c)).alias(c)
                              for c in ("k_name_a", "k_name_b"))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- listclean's side

def footprint(python: str) -> None:
    """Packages and MB that ``pip install splink`` adds to a fresh venv holding polars only."""
    folder = Path(tempfile.mkdtemp(prefix="splink-footprint-"))
    try:
        subprocess.run([python, "-m", "venv", str(folder)], check=True)
        pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q"]
        site = subprocess.run([str(folder / "bin" / "python"), "-c", "import site; print(site.getsitepackages()[0])"],
                              capture_output=True, text=True, check=True).stdout.strip()

        def state() -> tuple[int, float]:
            listed = subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                                    capture_output=True, text=True, check=True).stdout.split()
            size = sum(f.stat().st_size for f in Path(site).rglob("*") if f.is_file())
            return len(listed), size / 2**20

        subprocess.run(pip + ["polars"], check=True, capture_output=True)
        before = state()
        subprocess.run(pip + ["splink"], check=True, capture_output=True)
        after = state()
        added = subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                               capture_output=True, text=True, check=True).stdout.split()
        print(f"polars only: {before[0]} packages, {before[1]:,.0f} MB; with splink: {after[0]} packages, "
              f"{after[1]:,.0f} MB (+{after[0] - before[0]} packages, +{after[1] - before[1]:,.0f} MB)")
        print("  " + " ".join(added))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splink-python", default="/tmp/splinkvenv/bin/python")
    parser.add_argument("--rows", type=int, action="append", help="people-data rows (default 100k and 1M)")
    parser.add_argument("--febrl-only", action="store_true")
    parser.add_argument("--no-febrl", action="store_true")
    parser.add_argument("--footprint", action="store_true", help="only measure the install footprint")
    parser.add_argument("--max-rss-gib", type=float, default=12)
    parser.add_argument("--max-minutes", type=float, default=30)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prepared", help=argparse.SUPPRESS)
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        splink_child(Path(args.prepared), args.shape, Path(args.out))
        return
    if args.footprint:
        footprint(sys.executable)
        return
    if not Path(args.splink_python).exists():
        sys.exit(f"no {args.splink_python}: make the splink venv first (see the module docstring)")

    sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]
    import bench_people as bench
    import people_data
    import polars as pl

    from listclean.people.match import prepare

    bench.LIMITS.update(rss_mib=args.max_rss_gib * 1024, seconds=args.max_minutes * 60)
    print(f"{'data':<18} {'splink at':<10} {'prec':>6} {'recall':>6} {'F1':>6} {'found':>9} {'true':>9} "
          f"{'prep s':>7} {'wall s':>7} {'cpu s':>7} {'peak MiB':>8}  pairs scored")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sets = []
        if not args.no_febrl:
            sets += [(f"{name} {shape}", shape, "AU", lambda n=name, s=shape: bench.febrl_files(folder, n, s))
                     for name in ("febrl3", "febrl4") for shape in ("lean", "full")]
        if not args.febrl_only:
            for rows in args.rows or [100_000, 1_000_000]:
                def make(rows=rows):
                    paths, truth = people_data.write(people_data.generate(rows), folder / f"people_{rows}")
                    return paths, pl.read_parquet(truth)
                sets.append((f"people {rows:,}", "people", "ES", make))
        for label, shape, region, make in sets:
            paths, truth = make()
            rows = bench.read_exports(paths)
            recs = bench.records(rows, region)
            start = time.perf_counter()
            prepared = prepare(recs)
            prep_s = time.perf_counter() - start
            prepared_path = folder / "prepared.parquet"
            prepared.write_parquet(prepared_path)
            out = folder / "splink_out.parquet"
            result, figures = bench.run_child([args.splink_python, __file__, "--child", "--prepared", str(prepared_path),
                                               "--shape", shape, "--out", str(out)], out)
            if result is None:
                print(f"{label:<18} failed: {figures['error']}", flush=True)
                results.append({"data": label, **figures})
                continue
            located = rows.select("file", "row").with_row_index("_id").with_columns(pl.col("_id").cast(pl.Int64))
            for threshold in THRESHOLDS:
                found = located.join(result.select("_id", pl.col(f"person_{threshold}").alias("person")), on="_id",
                                     how="left").with_columns(pl.lit(None, pl.String).alias("status"))
                s = bench.score(found.drop("_id"), truth)
                print(f"{label:<18} {threshold:<10} {s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f} "
                      f"{s['found_pairs']:>9,} {s['true_pairs']:>9,} {prep_s:>7.1f} {figures['wall']:>7.1f} "
                      f"{figures['cpu']:>7.1f} {figures['peak_mib']:>8,.0f}  {figures['pairs_scored']:,}", flush=True)
                results.append({"data": label, "threshold": threshold, **s, "prepare_s": prep_s, **figures})
            for path in paths:
                path.unlink(missing_ok=True)
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
