"""Identity resolution: exact-only linking vs the probabilistic matcher, on truth-labelled data.

    pip install ".[bench]"
    python benchmarks/bench_people.py                      # FEBRL quality + 100k and 1M rows, direct
    python benchmarks/bench_people.py --mode check         # the same through listclean.check
    python benchmarks/bench_people.py --mode both --rows 100000
    python benchmarks/bench_people.py --rows 10000000      # add a size (repeatable)
    python benchmarks/bench_people.py --febrl-only

Two modes:

* ``direct`` calls the matcher (``listclean.people.match.link`` + ``cluster``) on a records frame
  built here (names, postcode, city, street, birth date, customer id as written; ``email_key``
  = the address trimmed and lower-cased; ``phone_e164`` from listclean's phone normaliser read
  in the data's region; ``phone_digits`` = the digits). The exact baseline links by exact keys
  the way listclean's people stage does: rows with the same email are one address, addresses
  sharing a phone (E.164) are one person unless more than 25 addresses share it
  (``max_shared_identifier``). It always uses the phone; ``listclean check`` uses it only when
  the column maps to ``phone`` (a column headed just "Phone" maps to ``phone_other``), so
  ``check-exact`` is the figure for what listclean does today.
* ``check`` runs ``listclean.check(files)`` with a policy whose ``[match] mode`` is ``exact``
  or ``probabilistic`` and reads ``person_id`` and ``status`` from the result.

If the matcher cannot be imported, the script says so and runs the exact baseline only.

Figures:

1. FEBRL 3 and FEBRL 4 (``benchmarks/febrl.py``), lean and full: pairwise precision, recall
   and F1 of each linker against the truth.
2. FEBRL 4 as two files (A, B) vs one file (A's rows then B's): the number of rows whose person
   (as a set of rows) differs.
3. Stops: 10 % of the people are unsubscribed on ONE of their rows. ``direct``: rows of those
   people that the stop does not reach (their found person holds no stop row); ``check``: rows
   of those people that end with status ``send``.
4. People data (``benchmarks/people_data.py``) at 100k and 1M rows (more with ``--rows``):
   wall seconds, CPU seconds and peak resident memory of each linker in a fresh process, with
   precision/recall/F1 and the stop figure. Inputs are generated into a temporary folder and
   deleted afterwards.

CPU seconds are given beside wall seconds because this machine is shared: on a busy machine the
wall figure grows, the CPU figure much less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

import people_data
from febrl import febrl, pairwise_scores

#: Export header → the matcher's field, for every file this script writes.
HEADERS = {
    "First Name": "first_name", "Last Name": "last_name", "Postcode": "postcode", "Email": "email",
    "Phone": "phone", "Street": "street", "City": "city", "Date of Birth": "birth_date", "Customer ID": "customer_id",
    **{header: field for headers in people_data.HEADERS.values() for field, header in headers.items()},
}
FIELDS = ("first_name", "last_name", "full_name", "postcode", "city", "street", "birth_date", "customer_id")
MAX_SHARED = 25
STOP_SHARE = 0.10
SEED = 11


# ---------------------------------------------------------------- inputs with truth

def febrl_files(folder: Path, name: str, shape: str, split: bool = False) -> tuple[list[Path], pl.DataFrame]:
    """Write a FEBRL set (FEBRL 4 as A.csv + B.csv with ``split``) with an ``Unsubscribed``
    column: ``yes`` on ONE row of 10 % of the people. Returns (paths, truth)."""
    frame = febrl(name, shape)
    rng = np.random.default_rng(SEED)
    entities = frame["entity"].unique().sort()
    stopped = entities.filter(pl.Series(rng.random(entities.len()) < STOP_SHARE))
    frame = frame.with_row_index("_i").with_columns(pl.Series("_draw", rng.random(frame.height)))
    stop_rows = (frame.filter(pl.col("entity").is_in(stopped.implode())).sort("_draw")
                 .unique("entity", keep="first")["_i"])
    frame = frame.with_columns(pl.col("_i").is_in(stop_rows.implode()).alias("stop"))
    frame = frame.with_columns(pl.when(pl.col("stop")).then(pl.lit("yes")).otherwise(pl.lit(None)).alias("Unsubscribed"))
    parts = [(f"{name}_{shape}_{file}.csv", frame.filter(pl.col("file") == file)) for file in ("A", "B")] \
        if split else [(f"{name}_{shape}.csv", frame)]
    paths, truths = [], []
    for file_name, part in parts:
        path = folder / file_name
        part.drop("_i", "_draw", "entity", "file", "stop").write_csv(path)
        paths.append(path)
        truths.append(part.select(pl.lit(file_name).alias("file"), pl.int_range(1, pl.len() + 1).alias("row"),
                                  "entity", "stop"))
    return paths, pl.concat(truths)


# ---------------------------------------------------------------- the linkers (run in a child)

def read_exports(paths: list[Path]) -> pl.DataFrame:
    """Every file's rows: ``file``, ``row`` (1-based), the known fields (null where a file has none)."""
    frames = []
    for path in paths:
        raw = pl.read_csv(path, infer_schema=False) if path.suffix == ".csv" else pl.read_parquet(path)
        mapped = {HEADERS[c]: c for c in raw.columns if c in HEADERS}
        frames.append(raw.select(
            pl.lit(path.name).alias("file"), pl.int_range(1, pl.len() + 1).alias("row"),
            *[(pl.col(mapped[f]) if f in mapped else pl.lit(None, pl.String)).alias(f)
              for f in (*FIELDS, "email", "phone")]))
    return pl.concat(frames)


def records(rows: pl.DataFrame, region: str) -> pl.DataFrame:
    """The matcher's input frame (see the module docstring)."""
    from listclean.normalize.phone import clean_expr, judge_values

    phones = rows.select(clean_expr("phone").alias("value"))["value"]
    judged = judge_values(phones, pl.Series([region] * rows.height, dtype=pl.String))
    blank = lambda column: pl.when(pl.col(column).str.strip_chars() != "").then(pl.col(column).str.strip_chars())
    return rows.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_id"), pl.col("file").alias("_source"),
        *[blank(f).alias(f) for f in FIELDS],
        blank("email").str.to_lowercase().alias("email_key"),
        judged["phone_e164"].alias("phone_e164"),
        pl.col("phone").str.replace_all(r"\D", "").replace("", None).alias("phone_digits"))


def exact_people(recs: pl.DataFrame) -> pl.Series:
    """Today's exact linking: same email → one address; addresses sharing a phone (shared by at
    most ``MAX_SHARED`` addresses) → one person. Connected components, labelled by smallest _id."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    frame = recs.select("_id", "email_key", "phone_e164").with_columns(
        pl.when(pl.col("email_key").is_not_null()).then(pl.col("_id").min().over("email_key"))
        .otherwise(pl.col("_id")).alias("_address"))
    shared = (frame.filter(pl.col("phone_e164").is_not_null()).select("_address", "phone_e164").unique()
              .with_columns(pl.len().over("phone_e164").alias("_n"))
              .filter((pl.col("_n") > 1) & (pl.col("_n") <= MAX_SHARED))
              .with_columns(pl.col("_address").min().over("phone_e164").alias("_to")))
    left = np.concatenate([frame["_id"].to_numpy(), shared["_address"].to_numpy()])
    right = np.concatenate([frame["_address"].to_numpy(), shared["_to"].to_numpy()])
    n = recs.height
    _, labels = connected_components(coo_matrix((np.ones(left.size), (left, right)), shape=(n, n)), directed=False)
    return pl.Series("person", labels, dtype=pl.Int64)


def _matcher():
    """(MatchSettings, link, cluster) wherever the matcher keeps them."""
    from listclean.people.match import MatchSettings, link
    try:
        from listclean.people.cluster import cluster
    except ImportError:
        from listclean.people.match import cluster
    return MatchSettings, link, cluster


def matcher_people(recs: pl.DataFrame, one_per_source: tuple[str, ...] = ()) -> tuple[pl.Series, dict]:
    MatchSettings, link, cluster = _matcher()

    settings = MatchSettings(one_per_source=one_per_source)
    links = link(recs, settings)
    clusters = cluster(recs["_id"], links, settings)
    person = recs.select("_id").join(clusters.person, on="_id", how="left", maintain_order="left")["_person"]
    info = {"candidate_pairs": links.pairs.height, "review_pairs": clusters.review.height,
            "skipped_values": links.skipped.height, "merge": settings.merge, "review": settings.review}
    return person.alias("person"), info


def run_check(paths: list[Path], match_mode: str, region: str, folder: Path) -> pl.DataFrame:
    """listclean.check over the files; ``file``, ``row``, ``person``, ``status``."""
    from listclean.entry import MALLOC_CONF  # noqa: F401 - what the command line sets (see bench_check)
    from listclean.pipeline import check
    from listclean.settings import build_settings

    policy = folder / f"bench-{match_mode}.toml"
    policy.write_text(f'[policy]\nname = "bench-{match_mode}"\n\n[match]\nmode = "{match_mode}"\n')
    result = check([str(p) for p in paths], build_settings(as_of="2026-11-01", default_region=region,
                                                           policy=str(policy)))
    statuses = result.statuses
    source = (statuses["_source"].cast(pl.String) if "_source" in statuses.columns
              else pl.Series([str(paths[0])] * statuses.height))
    person = statuses["person_id"] if "person_id" in statuses.columns else pl.Series([None] * statuses.height,
                                                                                      dtype=pl.String)
    return pl.DataFrame({"file": source.map_elements(lambda s: Path(s).name, return_dtype=pl.String),
                         "row": statuses["_row"], "person": person.cast(pl.String),
                         "status": statuses["status"].cast(pl.String)})


def child(args: argparse.Namespace) -> None:
    """One workload in this (fresh) process; the result to ``--out``, figures as JSON on stdout."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:0")
    paths = [Path(p) for p in args.inputs.split(",")]
    start, cpu0 = time.perf_counter(), _cpu()
    info: dict = {}
    if args.child.startswith("check-"):
        out = run_check(paths, args.child.removeprefix("check-"), args.region, Path(args.out).parent)
    else:
        rows = read_exports(paths)
        recs = records(rows, args.region)
        if args.child == "direct-exact":
            person = exact_people(recs)
        else:
            one = tuple(p.name for p in paths) if args.child == "direct-match-one-per-source" else ()
            person, info = matcher_people(recs, one)
        out = rows.select("file", "row").with_columns(person.cast(pl.String).alias("person"),
                                                      pl.lit(None, pl.String).alias("status"))
    wall, cpu = time.perf_counter() - start, _cpu() - cpu0
    out.write_parquet(args.out)
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mib": peak / 1024, **info}))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its children (MiB), from /proc."""
    total = 0.0
    for task in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{task}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
        except (OSError, StopIteration):
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(c) for c in handle.read().split()]
    except OSError:
        return []


LIMITS = {"rss_mib": 12 * 1024, "seconds": 1800}


def measure(workload: str, paths: list[Path], region: str, folder: Path) -> tuple[pl.DataFrame | None, dict]:
    """Run ``workload`` in a fresh interpreter; (its result, its figures) or (None, {"error": …})."""
    out = folder / f"out_{workload}.parquet"
    return run_child([sys.executable, __file__, "--child", workload, "--inputs", ",".join(map(str, paths)),
                      "--region", region, "--out", str(out)], out)


def run_child(command: list[str], out: Path) -> tuple[pl.DataFrame | None, dict]:
    """Run ``command`` (which writes ``out`` and prints its figures as a JSON last line);
    (the frame in ``out``, the figures) or (None, {"error": …}). The run is stopped past
    ``LIMITS`` (resident memory, seconds): the machine is shared."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True, cwd=ROOT)
        stopped = None
        while process.poll() is None:
            time.sleep(0.5)
            rss, elapsed = _rss_mib(process.pid), time.perf_counter() - start
            if rss > LIMITS["rss_mib"] or elapsed > LIMITS["seconds"]:
                stopped = f"stopped at {rss:,.0f} MiB after {elapsed:,.0f} s (limits {LIMITS})"
                process.kill()
                process.wait()
        stdout.seek(0)
        stderr.seek(0)
        output, errors = stdout.read(), stderr.read()
    if stopped:
        return None, {"error": stopped}
    if process.returncode != 0:
        return None, {"error": (errors.strip().splitlines() or ["no output"])[-1]}
    figures = json.loads(output.strip().splitlines()[-1])
    result = pl.read_parquet(out)
    out.unlink()
    return result, figures


# ---------------------------------------------------------------- scoring

def score(result: pl.DataFrame, truth: pl.DataFrame) -> dict:
    """Pairwise scores, rows of stopped people not reached / sent, against ``truth``."""
    joined = truth.join(result, on=["file", "row"], how="left")
    scores = pairwise_scores(joined["entity"], joined["person"])
    stop_person = joined.filter(pl.col("stop")).select("entity", pl.col("person").alias("_stop_person"))
    others = joined.filter(~pl.col("stop")).join(stop_person, on="entity")
    scores["stopped_rows"] = others.height
    scores["stop_not_reached"] = others.filter((pl.col("person") != pl.col("_stop_person")).fill_null(True)).height
    if joined["status"].is_not_null().any():
        scores["stopped_sent"] = others.filter(pl.col("status") == "send").height
    return scores


def canonical(result: pl.DataFrame, order: list[str]) -> pl.Series:
    """Each row's person as the smallest global row number in it (files in ``order``)."""
    offsets = {}
    total = 0
    for name in order:
        offsets[name] = total
        total += result.filter(pl.col("file") == name).height
    frame = result.with_columns(
        (pl.col("file").replace_strict(offsets, return_dtype=pl.Int64) + pl.col("row")).alias("_g"))
    frame = frame.with_columns(pl.coalesce(pl.col("person"), pl.col("_g").cast(pl.String)).alias("_p"))
    return frame.sort("_g").select(pl.col("_g").min().over("_p"))["_g"]


def matcher_reason() -> str | None:
    try:
        _matcher()
    except Exception as error:  # noqa: BLE001 - any failure means: run the baseline only
        return f"{type(error).__name__}: {error}"
    return None


# ---------------------------------------------------------------- main

def workloads(mode: str, matcher: bool) -> list[str]:
    found = []
    if mode in ("direct", "both"):
        found += ["direct-exact"] + (["direct-match"] if matcher else [])
    if mode in ("check", "both"):
        found += ["check-exact"] + (["check-probabilistic"] if matcher else [])
    return found


def line(what: str, label: str, s: dict, f: dict) -> str:
    if "error" in f:
        return f"{what:<16} {label:<22} failed: {f['error']}"
    stop = f"{s['stop_not_reached']:>6}"
    sent = f"{s['stopped_sent']:>6}" if "stopped_sent" in s else f"{'-':>6}"
    return (f"{what:<16} {label:<22} {s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f} "
            f"{s['found_pairs']:>9,} {s['true_pairs']:>9,}  {stop} {sent} /{s['stopped_rows']:<6} "
            f"{f['wall']:>7.1f} {f['cpu']:>7.1f} {f['peak_mib']:>8,.0f}")


HEADER = (f"{'data':<16} {'linker':<22} {'prec':>6} {'recall':>6} {'F1':>6} {'found':>9} {'true':>9}  "
          f"{'unrch':>6} {'sent':>6} {'/stop':<7} {'wall s':>7} {'cpu s':>7} {'peak MiB':>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["direct", "check", "both"], default="direct")
    parser.add_argument("--rows", type=int, action="append", help="people-data rows (repeatable; default 100k, 1M)")
    parser.add_argument("--febrl-only", action="store_true")
    parser.add_argument("--no-febrl", action="store_true")
    parser.add_argument("--max-rss-gib", type=float, default=12, help="stop a run past this (default 12)")
    parser.add_argument("--max-minutes", type=float, default=30, help="stop a run past this (default 30)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--inputs", help=argparse.SUPPRESS)
    parser.add_argument("--region", default="ES", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    LIMITS.update(rss_mib=args.max_rss_gib * 1024, seconds=args.max_minutes * 60)
    reason = matcher_reason()
    if reason:
        print(f"matcher not available ({reason}): running the exact baseline only\n")
    jobs = workloads(args.mode, reason is None)
    results = []
    print(HEADER)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.no_febrl:
            for name in ("febrl3", "febrl4"):
                for shape in ("lean", "full"):
                    paths, truth = febrl_files(folder, name, shape)
                    for job in jobs:
                        out, figures = measure(job, paths, "AU", folder)
                        s = score(out, truth) if out is not None else {}
                        print(line(f"{name} {shape}", job, s, figures), flush=True)
                        results.append({"data": f"{name} {shape}", "linker": job, **s, **figures})
            # FEBRL 4: two files vs one file, same rows in the same order
            for shape in ("lean", "full"):
                split, truth_split = febrl_files(folder, "febrl4", shape, split=True)
                one, _ = febrl_files(folder, "febrl4", shape)
                extra = ["direct-match-one-per-source"] if "direct-match" in jobs else []
                for job in jobs + extra:
                    a, fa = measure(job, split, "AU", folder)
                    if job == "direct-match-one-per-source":
                        if a is not None:
                            print(line(f"febrl4 {shape} A+B", job, score(a, truth_split), fa), flush=True)
                        continue
                    b, fb = measure(job, one, "AU", folder)
                    if a is None or b is None:
                        print(f"febrl4 {shape} A+B vs one: {job} failed: {fa.get('error') or fb.get('error')}")
                        continue
                    left = canonical(a, [p.name for p in split])
                    right = canonical(b, [one[0].name])
                    differing = int((left != right).sum())
                    print(f"febrl4 {shape} A+B vs one file, {job}: {differing} rows of {len(left)} in a different "
                          f"person", flush=True)
                    results.append({"data": f"febrl4 {shape} A+B vs one", "linker": job, "differing": differing})
        if not args.febrl_only:
            for rows in args.rows or [100_000, 1_000_000]:
                data = folder / f"people_{rows}"
                start = time.perf_counter()
                paths, truth_path = people_data.write(people_data.generate(rows), data)
                print(f"(people data {rows:,} rows generated in {time.perf_counter() - start:.0f} s)", flush=True)
                truth = pl.read_parquet(truth_path)
                for job in jobs:
                    out, figures = measure(job, paths, "ES", folder)
                    s = score(out, truth) if out is not None else {}
                    print(line(f"people {rows:,}", job, s, figures), flush=True)
                    results.append({"data": f"people {rows}", "linker": job, **s, **figures})
                for path in [*paths, truth_path]:
                    path.unlink()
    print("\ncolumns: prec/recall/F1 pairwise; found/true pairs; unrch = rows of stopped people the stop does "
          "not reach; sent = of those, rows with status send (check mode); /stop = rows of stopped people "
          "other than the stop row")
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
