"""The Spark engine against the local one, side by side in one run, on generated exports.

    pip install ".[spark]"                             # and a Java runtime (17+)
    python benchmarks/bench_spark.py                   # 100k and 1M rows
    python benchmarks/bench_spark.py --rows 100000     # one size
    python benchmarks/bench_spark.py --master "local[2]" --conf spark.driver.memory=4g
    python benchmarks/bench_spark.py --matching exact --rows 1000000   # people stage: executors vs driver
    python benchmarks/bench_spark.py --matching exact --rows 1000000 --paths driver   # one path, clean peak
    python benchmarks/bench_spark.py --rows 1000000 --paths executors   # probabilistic, people on the executors
    python benchmarks/bench_spark.py --matching exact --rows 1000000 --paths totals   # reports from Spark's counts
    python benchmarks/bench_spark.py --rows 1000000 --paths totals --matcher executors   # the matcher distributed
    python benchmarks/bench_spark.py --rows 10000000 --paths totals --matcher executors --no-local

Prints, per size: the local engine's wall seconds (``listclean check`` in a fresh process) and
its peak RSS; the Spark engine's wall seconds on a warm session (``engines.spark.judge``, in this
process as the driver), split into the executors' pass and the driver's people/decide; rows per
core-second; and the peak RSS of the driver's Python (this process), the JVM, and the Python
workers (VmHWM of every descendant process, sampled). Spark's startup (a new JVM and session) is
timed once. Files are generated at run time with sample_data/generate.py into a temporary folder
and deleted afterwards.

``--paths executors,driver`` judges each file twice on Spark: the people stage on the executors
(Spark's shuffles, the default; with probabilistic matching the matcher runs on the driver over
the identity columns) and on the driver (every row's narrow columns collected), printing for each
the wall seconds, the people stage's seconds, and the peak RSS of the driver's Python and of the
JVM during that run (VmHWM reset before each run through /proc/PID/clear_refs). ``--matching
exact`` does so with a policy of exact matching only (``[match] mode = "exact"``; the generated
exports have name columns, so ``auto`` matches them probabilistically). The path ``totals`` is
``executors`` with ``per_row=False``: the reports' figures counted on Spark, no row collected
(what ``check --format summary|text`` and ``clean`` do). ``--matcher`` says where probabilistic
matching runs on these paths (``judge(matcher_on=…)``; default: by the input's size).
``--no-local`` leaves out the local engine's run (the Spark paths only).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from generated import generate

AS_OF = "2026-11-01"


def status_kb(pid: int, field: str) -> int:
    """A memory figure of /proc/PID/status (``VmHWM``: peak, ``VmRSS``: now) in KiB; 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(root: int) -> dict[int, str]:
    """pid → command name of every process below ``root``."""
    parents, names = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            names[int(entry.name)] = (entry / "comm").read_text().strip()
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = names[pid]
                frontier.append(pid)
    return found


class PeakSampler:
    """The peak RSS (VmHWM) of every descendant, sampled twice a second."""

    def __init__(self) -> None:
        self.peaks: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.5)

    def sample(self) -> None:
        for pid, name in descendants(os.getpid()).items():
            peak = status_kb(pid, "VmHWM")
            if peak > self.peaks.get(pid, ("", 0))[1]:
                self.peaks[pid] = (name, peak)

    def __enter__(self):
        self.peaks.clear()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.sample()
        self._stop.set()
        self._thread.join()

    def summary(self) -> tuple[int, int, int]:
        """(JVM peak MB, largest Python worker peak MB, Python workers' peaks summed MB)."""
        jvm = max((kb for name, kb in self.peaks.values() if name == "java"), default=0)
        workers = [kb for name, kb in self.peaks.values() if name.startswith("python")]
        return jvm // 1024, max(workers, default=0) // 1024, sum(workers) // 1024


def local_engine(path: Path, policy: Path | None = None) -> tuple[float, int]:
    """``listclean check`` in a fresh process: wall seconds and its peak RSS (MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "listclean.entry", "check", str(path), "--as-of", AS_OF,
                           "--store", "none", "--format", "summary", *(["--policy", str(policy)] if policy else [])],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, (peak if peak > before else 0) // 1024


def reset_peaks(pids: list[int]) -> None:
    """Start the peak RSS (VmHWM) of ``pids`` again from their current RSS (Linux 4.0+)."""
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            pass


def java_pids() -> list[int]:
    return [pid for pid, name in descendants(os.getpid()).items() if name == "java"]


def people_paths(spark, engine, sizes: list[int], paths: list[str], exact: bool, matcher_on: str | None,
                 local: bool = True) -> None:
    """The people stage on the executors vs on the driver, per size (``exact``: exact matching
    only; else the default policy, which matches these exports probabilistically)."""
    import gc

    from listclean.settings import build_settings

    with tempfile.TemporaryDirectory(prefix="listclean-bench-") as folder:
        policy = None
        if exact:
            policy = Path(folder) / "exact.toml"
            policy.write_text('[match]\nmode = "exact"\n')
        settings = build_settings(as_of=AS_OF, store="none", **({"policy": str(policy)} if policy else {}))
        warm = generate(2000, Path(folder), "warm.csv")  # Python workers started, code paths compiled
        for where in ("executors", "driver"):
            engine.judge(engine.read(spark, str(warm)), settings, source=str(warm), people_on=where, per_row=True)
        engine.judge(engine.read(spark, str(warm)), settings, source=str(warm), per_row=False)
        print(f"{'rows':>10} {'path':>10} {'wall s':>7} {'people s':>8} {'drv py MB':>9} {'(before)':>8} "
              f"{'JVM MB':>7}  statuses")
        for rows in sizes:
            path = generate(rows, Path(folder))
            if local:
                local_wall, local_mb = local_engine(path, policy)
                print(f"{rows:>10} {'local':>10} {local_wall:>7.1f} {'':>8} {local_mb:>9}", flush=True)
            for where in paths:
                gc.collect()
                reset_peaks([os.getpid(), *java_pids()])
                before = status_kb(os.getpid(), "VmRSS") // 1024
                marks: dict[str, float] = {}
                with PeakSampler() as sampler:
                    t0 = time.perf_counter()
                    judged = engine.judge(engine.read(spark, str(path)), settings, source=str(path),
                                          people_on="executors" if where == "totals" else where,
                                          per_row=where != "totals", matcher_on=matcher_on, on_stage=lambda name, *_, m=marks: m.setdefault(name, time.perf_counter()))
                    wall = time.perf_counter() - t0
                assert judged.result.rows_in == rows, judged.result.equation()
                people = wall - (marks.get("people", t0) - t0)
                jvm, _, _ = sampler.summary()
                counts = judged.result.counts_by_status()
                print(f"{rows:>10} {where:>10} {wall:>7.1f} {people:>8.1f} {status_kb(os.getpid(), 'VmHWM') // 1024:>9} "
                      f"{before:>8} {jvm:>7}  {counts}", flush=True)
                del judged
            path.unlink()
    print("people s: from the people stage's start to the end (driver path: collect excluded, it is in the "
          "executors' pass; executors path: facts, buckets, the collect of statuses and findings). drv py MB: "
          "this process's peak RSS during the run ((before): its RSS when the run started); JVM MB: the JVM's (driver and executors in local mode).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows per file (repeatable; default 100k and 1M)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--conf", action="append", default=[], help="KEY=VALUE Spark setting (repeatable)")
    parser.add_argument("--matching", choices=("auto", "exact"), default="auto",
                        help="exact: exact matching only, the people stage on the executors vs on the driver")
    parser.add_argument("--paths", default=None,
                        help="where the people stage runs (executors, driver, or totals: executors, no row collected), compared in this order (default with --matching exact: "
                             "executors,driver; a path run later starts from the memory the earlier left: run one "
                             "per process for clean peaks)")
    parser.add_argument("--matcher", choices=("executors", "driver"), default=None,
                        help="where probabilistic matching runs on --paths (default: by the input's size)")
    parser.add_argument("--no-local", action="store_true", help="on --paths: leave out the local engine's run")
    args = parser.parse_args()
    sizes = args.rows or [100_000, 1_000_000]
    cores = os.cpu_count() or 1
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    from listclean.engines import spark as engine
    from listclean.settings import build_settings

    conf = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": str(2 * cores),
            "spark.sql.files.maxPartitionBytes": "16m", "spark.driver.memory": "6g"}
    conf.update(engine._conf_pair(c) for c in args.conf)
    started = time.perf_counter()
    spark = engine.session(args.master, conf)
    startup = time.perf_counter() - started
    print(f"spark {spark.version} on {args.master}, {cores} cores; startup (JVM + session) {startup:.1f} s")
    if args.matching == "exact" or args.paths:
        people_paths(spark, engine, sizes, (args.paths or "executors,driver").split(","), args.matching == "exact",
                     args.matcher, local=not args.no_local)
        spark.stop()
        return
    print(f"{'rows':>10} {'local s':>8} {'local MB':>8} {'spark s':>8} {'exec s':>7} {'driver s':>8} "
          f"{'rows/core-s':>11} {'drv py MB':>9} {'JVM MB':>7} {'worker MB':>9} {'workers MB':>10}")
    settings = build_settings(as_of=AS_OF, store="none")
    with tempfile.TemporaryDirectory(prefix="listclean-bench-") as folder:
        for rows in sizes:
            path = generate(rows, Path(folder))
            local_wall, local_mb = local_engine(path)
            marks: dict[str, float] = {}
            with PeakSampler() as sampler:
                t0 = time.perf_counter()
                judged = engine.judge(engine.read(spark, str(path)), settings, source=str(path), per_row=True,
                                      on_stage=lambda name, *_, marks=marks: marks.setdefault(name, time.perf_counter()))
                wall = time.perf_counter() - t0
            assert judged.result.rows_in == rows, judged.result.equation()
            executors = marks.get("people", t0) - marks.get("normalise", t0)
            driver_tail = wall - (marks.get("people", t0) - t0)
            jvm, worker, workers = sampler.summary()
            driver_py = status_kb(os.getpid(), "VmHWM") // 1024
            print(f"{rows:>10} {local_wall:>8.1f} {local_mb:>8} {wall:>8.1f} {executors:>7.1f} {driver_tail:>8.1f} "
                  f"{rows / max(executors, 1e-9) / cores:>11.0f} {driver_py:>9} {jvm:>7} {worker:>9} {workers:>10}",
                  flush=True)
            path.unlink()
    print("exec s: the executors' passes (pre-pass, judging, collect); driver s: people, decide, the statuses "
          "back to Spark. drv py MB is this process's peak so far (it grows with the largest size).")
    spark.stop()


if __name__ == "__main__":
    main()
