"""Benchmark: speed and memory of the engine and of comparisons, on one core.

    python -m experiments.benchmark                      # sizes 10k, 100k, 190k, 1M; 3 repeats
    python -m experiments.benchmark --sizes 190000 --repeats 5
    python -m experiments.benchmark --comparison          # also a comparison's memory by runs
    python -m experiments.benchmark --default-comparison  # also levers_leave_one_out, 20 seeds
    python -m experiments.benchmark --reference           # also the idiomatic-Mesa speed ratio
    python -m experiments.benchmark --sizes --ensemble 46  # only runs/min of a Morris sample

Every measurement runs in a fresh process (so peak memory is its own) with all levers and the
monitoring mechanism on (policy=status_quo); a run is 12 burn-in months plus ``--months``.
The compiled loops are loaded (numba's disk cache) by a one-month warm-up on a tiny district
first, timed apart: a process pays it once, whatever it runs next. Figures are medians over
repeats: the machine is shared and noisy. Prints a table, writes ``benchmark.json`` and a
throughput chart.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DISTRICT = 190_000  # households of the default district at scale 1


def rss_mb() -> float:
    """Peak resident memory of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(households: int, months: int, seed: int) -> dict:
    """Build and run one district of ``households``; time it and measure memory."""
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config.compose import compose
    from sim.engine.model import RelapseModel

    cfg = compose(
        [f"population.scale={households / DISTRICT}", f"months={months}", "policy=status_quo"]
    )
    warmup = warm_up()
    before = rss_mb()
    t0 = time.perf_counter()
    model = RelapseModel(cfg)
    t1 = time.perf_counter()
    while model.running:
        model.step()
    t2 = time.perf_counter()
    steps = model.total_months
    return {
        "households": model.hh.n,
        "months": steps,
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "s_per_60_months": (t2 - t1) * 60 / steps,
        "household_months_per_s": model.hh.n * steps / (t2 - t1),
        "warmup_s": warmup,
        "peak_mb": rss_mb(),
        "bytes_per_household": (rss_mb() - before) * 1024 * 1024 / model.hh.n,
    }


def warm_up() -> float:
    """Load the compiled loops (one month of a tiny district); seconds it took."""
    from sim.config.compose import compose
    from sim.engine.model import RelapseModel

    t0 = time.perf_counter()
    RelapseModel(compose(["population.scale=0.001", "months=1", "burn_in=0"])).step()
    return time.perf_counter() - t0


def reference(households: int, months: int) -> dict:
    """Engine and idiomatic-Mesa reference on the same core dynamics and district: speeds."""
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    from benchmarks.mesa_reference import CORE, ReferenceModel
    from sim.config.compose import compose
    from sim.engine.model import RelapseModel
    from sim.engine.population import district

    cfg = compose([*CORE, f"population.scale={households / DISTRICT}", f"months={months}"])
    out = {"engine_warmup_s": warm_up()}
    for name, make in (
        ("engine", lambda: RelapseModel(cfg, households=district(cfg, 1))),
        ("mesa_reference", lambda: ReferenceModel(cfg, district(cfg, 1), rng=1)),
    ):
        model = make()
        t0 = time.perf_counter()
        while model.running:
            model.step()
        out[name] = households * months / (time.perf_counter() - t0)
    out["ratio"] = out["engine"] / out["mesa_reference"]
    return out


def in_subprocess(args: list[str]) -> dict:
    env = os.environ | {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "experiments.benchmark", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def comparison(seeds: int, scale: float, n_jobs: int, folder: Path) -> dict:
    """Wall time and the parent's peak memory of levers_leave_one_out with ``seeds`` seeds.

    The runs go to joblib's worker processes; the parent (its peak is in comparison.json)
    gathers one row per run and streams the monthly tables.
    """
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    cmd = [
        sys.executable, "-m", "experiments.compare", "experiment=levers_leave_one_out",
        f"experiment.seeds={seeds}", f"scale={scale}", f"n_jobs={n_jobs}", f"hydra.run.dir={folder}",
    ]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    info = json.loads((folder / "comparison.json").read_text())
    return {
        "seeds": seeds,
        "runs": info["runs"],
        "scale": scale,
        "n_jobs": n_jobs,
        "wall_s": wall,
        "parent_peak_mb": info["peak_mb"],
    }


def _build_each_run(cfg: dict) -> dict:
    """One run as a comparison makes it: the district built afresh (the path before ensembles)."""
    from sim.studies.compare import summary_row
    from sim.studies.run import simulate

    return summary_row(simulate(cfg).summary)


def ensemble(n_runs: int, n_jobs: int, folder: Path) -> dict:
    """Runs per minute of a Morris sample (full district), run by run and as an ensemble.

    Run by run is how comparisons run (each run builds its district); the ensemble is
    :mod:`sim.studies.ensemble` (shared districts, rule-only steps judged again). The same points, the
    same results (checked); every worker warmed up first.
    """
    import logging
    import shutil

    import numpy as np
    from joblib import Parallel, delayed
    from SALib.sample import morris

    from sim.studies.ensemble import run_sample
    from sim.studies.sensitivity import settings
    from sim.studies.uncertainty import apply

    logging.getLogger("MESA").setLevel(logging.WARNING)
    from sim.config.compose import compose, plain

    plan = settings(plain(compose([], "sensitivity")))
    names = list(plan.uset.factors)
    k = len(names)
    x = morris.sample(plan.uset.problem(), N=-(-n_runs // (k + 1)), num_levels=4, seed=1)[:n_runs]
    base = plan.base | {"seed": 1, "chart": False}
    cfgs = [apply(base, plan.uset, plan.uset.values(names, row)) for row in x]
    pool = Parallel(n_jobs=n_jobs)
    pool(delayed(warm_up)() for _ in range(n_jobs))
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    before = pool(delayed(_build_each_run)(c) for c in cfgs)
    t_before = time.perf_counter() - t0
    t0 = time.perf_counter()
    after = run_sample(base, plan.uset, names, x, [1], folder, n_jobs=n_jobs, chunk=k + 1)
    t_after = time.perf_counter() - t0
    cols = [c for c in before[0] if c in after.columns]
    same = bool(np.all([after.loc[i, cols].tolist() == [r[c] for c in cols]
                        for i, r in enumerate(before)]))  # fmt: skip
    return {"runs": len(x), "n_jobs": n_jobs, "before_s": t_before, "after_s": t_after,
            "before_runs_per_min": 60 * len(x) / t_before,
            "after_runs_per_min": 60 * len(x) / t_after, "identical": same}  # fmt: skip


def count(low: int, high: int, what: str):
    """An argparse type: a whole number from ``low`` to ``high`` (``what`` names the unit)."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {what}") from None
        if not low <= n <= high:
            raise argparse.ArgumentTypeError(f"{n:,} {what}: must be from {low:,} to {high:,}")
        return n

    return parse


def out_folder(text: str) -> Path:
    """An argparse type: a folder that is not a file (made later, when the benchmark writes)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} exists and is not a folder; choose another")
    return path


def main(argv: list[str] | None = None) -> None:
    from sim.core.errors import ConfigError
    from sim.engine.households import MAX_HOUSEHOLDS, memory_needed
    from sim.studies.cli import OneLineParser

    parser = OneLineParser(prog="python -m experiments.benchmark", description=__doc__)
    parser.add_argument(
        "--sizes", type=count(100, MAX_HOUSEHOLDS, "households"), nargs="*",
        default=[10_000, 100_000, DISTRICT, 1_000_000],
    )  # fmt: skip
    parser.add_argument("--repeats", type=count(1, 50, "repeats"), default=3)
    parser.add_argument("--months", type=count(1, 360, "months"), default=60)
    parser.add_argument("--comparison", action="store_true", help="also comparison memory")
    parser.add_argument(
        "--default-comparison",
        action="store_true",
        help="also the wall time of levers_leave_one_out (full district, 20 seeds, 2 jobs)",
    )
    parser.add_argument("--reference", action="store_true", help="also the Mesa reference ratio")
    parser.add_argument(
        "--ensemble", type=count(2, 10_000, "runs"), metavar="RUNS",
        help="also runs per minute of a Morris sample, run by run and as an ensemble (2 jobs)",
    )  # fmt: skip
    parser.add_argument("--out", type=out_folder, default="outputs/benchmark")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ref", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.months, seed=1)))
        return
    if args.ref:
        print(json.dumps(reference(args.ref, 12)))
        return

    if args.sizes:  # every size in memory, one run at a time
        try:
            memory_needed(max(args.sizes), 1, "--sizes", max(args.sizes))
        except ConfigError as exc:
            sys.exit(f"error: {exc}")
    out = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        sys.exit(f"error: --out {out}: cannot make the folder ({exc.strerror or exc})")
    rows = []
    print(
        f"{'households':>11} {'months':>6} {'run s':>7} {'s/60 mo':>7} {'hh-months/s':>12} "
        f"{'peak MB':>8} {'B/household':>11} {'warm-up s':>9}"
    )
    for n in args.sizes:
        reps = [
            in_subprocess(["--one", str(n), "--months", str(args.months)])
            for _ in range(args.repeats)
        ]
        row = {k: statistics.median(r[k] for r in reps) for k in reps[0]}
        row["repeats"] = [r["run_s"] for r in reps]
        rows.append(row)
        print(
            f"{row['households']:>11,.0f} {row['months']:>6.0f} {row['run_s']:>7.2f} "
            f"{row['s_per_60_months']:>7.2f} {row['household_months_per_s']:>12,.0f} "
            f"{row['peak_mb']:>8.0f} {row['bytes_per_household']:>11,.0f} {row['warmup_s']:>9.2f}"
        )
    result = {"engine": rows, "python": sys.version.split()[0], "cpu_count": os.cpu_count()}
    if args.reference:
        reps = [in_subprocess(["--ref", "10000"]) for _ in range(args.repeats)]
        ref = {k: statistics.median(r[k] for r in reps) for k in reps[0]}
        result["reference"] = ref | {"households": 10_000, "months": 12}
        print(
            f"core dynamics, 10,000 households x 12 months: engine {ref['engine']:,.0f}, "
            f"Mesa reference {ref['mesa_reference']:,.0f} household-months/s: {ref['ratio']:.0f}x"
        )
    if args.comparison:
        runs = [comparison(s, 0.02, 2, out / f"cmp_{s}") for s in (2, 4, 8)]
        result["comparison_memory"] = runs
        for c in result["comparison_memory"]:
            print(
                f"comparison {c['runs']:>4} runs: {c['wall_s']:.1f} s, parent peak {c['parent_peak_mb']:.0f} MB"
            )
    if args.ensemble:
        e = result["ensemble"] = ensemble(args.ensemble, 2, out / "ensemble")
        print(
            f"{e['runs']} full-district runs of a Morris sample, 2 jobs: run by run "
            f"{e['before_runs_per_min']:.1f} runs/min, as an ensemble {e['after_runs_per_min']:.1f}"
            f" runs/min ({e['before_s'] / e['after_s']:.2f}x); identical results: {e['identical']}"
        )
    if args.default_comparison:
        c = result["default_comparison"] = comparison(20, 1.0, 2, out / "cmp_default")
        print(f"levers_leave_one_out, full district, {c['runs']} runs, 2 jobs: {c['wall_s']:.0f} s")
    (out / "benchmark.json").write_text(json.dumps(result, indent=2) + "\n")
    if rows:
        from sim.reports.charts import throughput_chart  # lazy: matplotlib (Agg), 0.7 s

        throughput_chart(rows, out / "throughput")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
