"""Paired scenario comparisons: every scenario on the same seeds, results streamed to disk.

A comparison is a named experiment (``scenarios/experiment/*.yaml``): scenarios (each a list
of config overrides), optionally crossed with a second set (e.g. shock scenarios), a baseline
and seeds. Each (scenario, seed) run writes its own folder; a run whose folder already holds a
summary for the same resolved config and model code (``sim.studies.run.code_version``) is skipped, so
an interrupted comparison started again runs only what is missing. Runs go through joblib on
local cores; the parent keeps only one small summary row per run, and the tidy monthly table
is streamed file by file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from scipy import stats

from sim.config.compose import compose
from sim.config.experiment import (
    FEW_SEEDS,
    Experiment,
    at_scale,
    band_quantiles,
    baseline_of,
    experiment,
    run_folder,
    scenario_overrides,
)
from sim.core.errors import ConfigError
from sim.core.io import (
    atomic_write,
    holds_folder,
    remove_stale,
    write_csv,
    write_json,
    write_parquet,
    write_text,
)
from sim.core.params import between, jobs, one_of, parse, pos
from sim.engine.schema import MAX_MONTHS, check, to_dict
from sim.reports.metric_table import label as figure_label
from sim.reports.text import by_lang
from sim.studies.run import code_version, simulate
from sim.studies.runner import RUNNER, Runner, run_tasks


@dataclass(frozen=True, kw_only=True)
class CompareSettings:
    """The root of ``python -m experiments.compare`` (``scenarios/compare.yaml``)."""

    experiment: dict
    n_jobs: int = jobs()
    lang: str = one_of("en", "zh")
    scale: float = pos()
    months: int | None = between(1, MAX_MONTHS)
    output_root: str
    runner: str = RUNNER
    slurm: dict | None = None


def settings(cfg: dict) -> tuple[CompareSettings, Experiment]:
    """The checked settings of a comparison and its experiment (scale and months applied).

    ``cfg``: the resolved root config without Hydra's section (:func:`sim.config.compose.plain`).
    """
    pars = parse(CompareSettings, cfg, "")
    return pars, experiment(at_scale(pars.experiment, pars.scale, pars.months))


def workers(n_jobs: int) -> int:
    """Runs at once for joblib's ``n_jobs`` (-1: every core)."""
    return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs


def config_hash(cfg: dict) -> str:
    """Short stable hash of a resolved config (decides whether a stored run can be reused)."""
    return hashlib.sha256(json.dumps(cfg, sort_keys=True, default=str).encode()).hexdigest()[:16]


def run_one(scenario: str, seed: int, cfg: dict, code: str, out: Path) -> dict[str, Any]:
    """Run one (scenario, seed) unless its results are already on disk; return its summary row.

    ``cfg`` is the scenario's resolved config (any seed: this one replaces it); ``code`` names
    the model code (:func:`sim.studies.run.code_version`): new code never reuses old results.
    """
    cfg = cfg | {"seed": seed, "chart": False}
    key = config_hash(cfg | {"code": code})
    folder = run_folder(out, scenario, seed)
    if (row := stored_row(folder, key)) is not None:
        return row
    res = simulate(cfg)
    tag = {"scenario": scenario, "seed": seed}
    write_parquet(res.monthly.assign(**tag), folder / "monthly.parquet")
    write_parquet(res.towns.assign(**tag), folder / "towns.parquet")
    row = summary_row(res.summary) | tag | {"config_hash": key}
    write_json(row, folder / "summary.json")  # written last: its presence means the run is complete
    return row | {"reused": False}


def stored_row(folder: Path, key: str) -> dict[str, Any] | None:
    """A finished run's summary row if ``folder`` holds one for config key ``key``, else None."""
    try:
        row = json.loads((folder / "summary.json").read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None  # not run, or damaged: run again
    return row | {"reused": True} if row.get("config_hash") == key else None


def summary_row(s: dict[str, Any]) -> dict[str, Any]:
    """A flat row of one run's headline figures (:data:`sim.reports.metric_table.METRICS`).

    The summary's figures under their own names, then spending by lever (``spend_<lever>``,
    yuan) and relapse events by cause (``cause_<cause>``).
    """
    row = {name: s[name] for name in ("households", "poverty_alleviated")}
    row |= {"scale": s["scale"], "first_month": s["first_month"], "last_month": s["last_month"]}
    row |= {name: s[name] for name in ROW_FIGURES[2:]}
    for lever, by_year in s["spending_by_lever_yuan"].items():
        row[f"spend_{lever}"] = round(sum(by_year.values()), 2)
    for cause, n in s["relapse_events_by_cause"].items():
        row[f"cause_{cause}"] = n
    return row


# The run figures a row of a comparison or sweep holds (besides scale and period).
ROW_FIGURES = (
    "households", "poverty_alleviated", "relapsed", "relapse_rate", "relapse_events",
    "newly_poor_peak", "at_risk_pa_peak", "at_risk_all_peak", "large_scale", "spending",
    "relapsed_net_care", "medically_impoverished_mean", "relapse_share_max",
    "relapse_share_worst_town_max",
)  # fmt: skip


def scenario_configs(exp: Experiment, n_jobs: int = 1) -> dict[str, dict]:
    """Each run name's resolved config, checked (``n_jobs`` runs at once must fit in memory)."""
    configs = {}
    for s, over in scenario_overrides(exp).items():
        try:
            cfg = compose([*over, "seed=0"])
            check(cfg, workers(n_jobs))
        except ConfigError as e:
            raise ConfigError(f"scenario {s!r}: {e}") from None
        configs[s] = to_dict(cfg)  # composed once: Hydra takes ~0.1 s a config
    return configs


def run_all(
    exp: Experiment, out: Path, n_jobs: int, report: Callable[[int, int], None] | None = None,
    runner: Runner | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Every (scenario, seed) of ``exp``, in parallel, resumable.

    Runs go to ``runner`` (:mod:`sim.studies.runner`; default: ``n_jobs`` local cores).
    ``report(done, total)`` is called as runs finish (a progress bar of the caller's own).
    """
    configs = scenario_configs(exp, n_jobs)  # fail fast on a bad scenario, before any run
    code = code_version()
    rows, tasks = [], []
    for s in configs:
        for seed in exp.seeds:
            key = config_hash(configs[s] | {"seed": seed, "chart": False, "code": code})
            folder = run_folder(out, s, seed)
            if folder.is_dir():
                remove_stale(folder)  # left by a kill, in this run or an earlier one
            row = stored_row(folder, key)  # finished: no task (nor job) for it
            if row is None:
                tasks.append((s, seed, configs[s], code, out))
            else:
                rows.append(row)
    stored = len(rows)

    def counted(n: int, total: int) -> None:  # runs done, the stored ones included
        report(stored + n, stored + total)

    if stored:  # a resumed comparison says what it reuses (its bar counts the rest only)
        print(f"{exp.name}: {stored} of {stored + len(tasks)} runs already done in {out}, "
              f"reused; {len(tasks)} to run", file=sys.stderr)  # fmt: skip
    r = runner or Runner("local", n_jobs)
    for row in run_tasks(r, run_one, tasks, [1] * len(tasks), exp.name, report and counted,
                         bar=bool(tasks)):  # fmt: skip
        rows.append(row)
    order = {s: i for i, s in enumerate(scenario_overrides(exp))}
    runs = pd.DataFrame(rows)
    runs = runs.sort_values(
        ["scenario", "seed"], key=lambda c: c.map(order) if c.name == "scenario" else c
    )
    return runs.reset_index(drop=True)


def stream_tables(exp: Experiment, out: Path, name: str) -> Path:
    """Concatenate every run's ``name``.parquet into one file, one run at a time."""
    target = out / f"{name}.parquet"

    def write(tmp: Path) -> None:
        writer = None
        try:
            for scenario in scenario_overrides(exp):
                for seed in exp.seeds:
                    table = pq.read_table(run_folder(out, scenario, seed) / f"{name}.parquet")
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table.cast(writer.schema))
        finally:
            if writer is not None:
                writer.close()

    return atomic_write(target, write)


def upper_bound_95(k: int, n: int) -> float:
    """One-sided 95% upper bound of a probability after k events in n runs (Clopper-Pearson).

    Example:
        >>> round(upper_bound_95(0, 20), 4)  # about 3/n when nothing happened
        0.1391
    """
    return 1.0 if k >= n else float(stats.beta.ppf(0.95, k + 1, n - k))


# District thresholds (share of PA households relapsing in a year) at which summary.md gives
# the chance that some year reaches them: the configured rule's 1% and its neighbours.
DISTRICT_THRESHOLDS = (0.005, 0.01, 0.015, 0.02)


def threshold_key(x: float) -> str:
    """The summary column of P(some year's district share >= x).

    Example:
        >>> threshold_key(0.005), threshold_key(0.02)
        ('p_district_0p5pct', 'p_district_2pct')
    """
    return "p_district_" + f"{100 * x:g}".replace(".", "p") + "pct"


# What each summary column counts, and in which population.
# The figures summary.md describes under its table.
COLUMNS = ("relapsed", "newly_poor_peak", "at_risk_pa_peak", "at_risk_all_peak", "spending")


def summary_table(exp: Experiment, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run name: means and bands across seeds, differences, cost-effectiveness.

    Differences are paired (seed by seed) against the run's baseline (:func:`baseline_of`);
    cost-effectiveness: :func:`cost_effect`.
    """
    lo, hi = band_quantiles(exp)
    levers = [c for c in runs.columns if c.startswith("spend_")]
    by_name = {name: g.set_index("seed") for name, g in runs.groupby("scenario", sort=False)}
    rows = []
    for name, g in by_name.items():
        base = by_name[baseline_of(exp, name)]
        g = g.loc[base.index]
        diff = g["relapsed"] - base["relapsed"]
        diff_spending = g["spending"] - base["spending"]
        extra_cost = g["spending"].mean() - base["spending"].mean()
        averted = -diff.mean()
        n, judged = len(g), g["large_scale"].notna().all()  # None: not judged (sim.studies.run)
        k = int(g["large_scale"].astype(bool).sum()) if judged else 0
        quadrant, ratio = cost_effect(extra_cost, averted, (diff.quantile(lo), diff.quantile(hi)))
        row = {
            "scenario": name,
            "baseline": baseline_of(exp, name),
            "seeds": n,
            "relapsed_mean": g["relapsed"].mean(),
            "relapsed_lo": g["relapsed"].quantile(lo),
            "relapsed_hi": g["relapsed"].quantile(hi),
            "relapse_rate_mean": g["relapse_rate"].mean(),
            "relapse_rate_lo": g["relapse_rate"].quantile(lo),
            "relapse_rate_hi": g["relapse_rate"].quantile(hi),
            "newly_poor_peak_mean": g["newly_poor_peak"].mean(),
            "newly_poor_peak_lo": g["newly_poor_peak"].quantile(lo),
            "newly_poor_peak_hi": g["newly_poor_peak"].quantile(hi),
            "at_risk_pa_peak_mean": g["at_risk_pa_peak"].mean(),
            "at_risk_all_peak_mean": g["at_risk_all_peak"].mean(),
            "p_large_scale": k / n if judged else float("nan"),
            "p_large_scale_upper95": upper_bound_95(k, n) if judged else float("nan"),
            "diff_relapsed_mean": diff.mean(),
            "diff_relapsed_lo": diff.quantile(lo),
            "diff_relapsed_hi": diff.quantile(hi),
            "spending_mean": g["spending"].mean(),
            "spending_lo": g["spending"].quantile(lo),
            "spending_hi": g["spending"].quantile(hi),
            "extra_cost": extra_cost,
            "diff_spending_lo": diff_spending.quantile(lo),
            "diff_spending_hi": diff_spending.quantile(hi),
            "relapse_averted": averted,
            "cost_effect": quadrant,
            "yuan_per_relapse": ratio,
            "relapsed_net_care_mean": g["relapsed_net_care"].mean(),
            "medically_impoverished_mean": g["medically_impoverished_mean"].mean(),
            "relapse_share_max_mean": g["relapse_share_max"].mean(),
            "relapse_share_max_hi": g["relapse_share_max"].quantile(hi),
            "worst_town_share_max_mean": g["relapse_share_worst_town_max"].mean(),
            "worst_town_share_max_hi": g["relapse_share_worst_town_max"].quantile(hi),
        }
        for x in DISTRICT_THRESHOLDS:  # P(large-scale) as a function of the district threshold
            share = g["relapse_share_max"]
            row[threshold_key(x)] = float((share >= x).mean()) if judged else float("nan")
        row.update({c: g[c].mean() for c in levers})
        rows.append(row)
    return pd.DataFrame(rows)


# The four quadrants of the cost-effectiveness plane, and no difference; by language.
QUADRANTS = by_lang("quadrants")  # sim/reports/text.yaml
# The text of summary.md, by language.
TEXT = by_lang("summary")  # sim/reports/text.yaml


def cost_effect(
    extra_cost: float, averted: float, band: tuple[float, float] | None = None
) -> tuple[str, float]:
    """The quadrant of (extra cost, relapses averted) against the baseline, and its yuan.

    Yuan per relapse averted when it costs, per extra relapse when it saves; NaN for the
    dominant, the dominated and no difference. A band of the paired difference in relapse
    (``diff_lo`` to ``diff_hi``) that holds 0 is no difference either: "cheaper" or "dearer",
    relapse the same within the band (a ratio of noise would mislead).

    Example:
        >>> cost_effect(2e6, 10), cost_effect(-3e6, -2), cost_effect(1e6, -3), cost_effect(-1e6, 2)
        (('costs', 200000.0), ('saves', 1500000.0), ('dominated', nan), ('dominant', nan))
        >>> cost_effect(-7.9e7, 0.15, band=(-1, 0))
        ('cheaper_same', nan)
    """
    if averted == 0:
        return "same", float("nan")
    if band is not None and band[0] <= 0 <= band[1]:
        return ("cheaper_same" if extra_cost < 0 else "dearer_same"), float("nan")
    if averted > 0:
        return ("costs", extra_cost / averted) if extra_cost > 0 else ("dominant", float("nan"))
    return ("saves", extra_cost / averted) if extra_cost < 0 else ("dominated", float("nan"))


def _signed(x: float) -> str:
    """A difference in households with its sign; one that rounds to zero is "0" (not "-0").

    Example:
        >>> _signed(12.4), _signed(-0.15), _signed(-1.6)
        ('+12', '0', '-2')
    """
    text = f"{x:+,.0f}"
    return "0" if text in ("+0", "-0") else text


def cost_effect_text(quadrant: str, ratio: float, lang: str = "en") -> str:
    """A quadrant in words (:data:`QUADRANTS`).

    Example:
        >>> cost_effect_text("saves", 1_500_000.0)
        'saves 1,500,000 yuan per extra relapse'
    """
    return QUADRANTS[lang][quadrant].format(x=f"{ratio:,.0f}")


def markdown(table: pd.DataFrame, exp: Experiment, runs: pd.DataFrame, lang: str = "en") -> str:
    """The summary table as Markdown: what was run (scale, seeds, period), then its rows.

    One row per run name (named by the experiment's labels in ``lang``); money in million
    yuan, bands as [lo, hi].
    """
    from sim.reports.charts import scenario_labels  # lazy: matplotlib (Agg), 0.7 s

    t = TEXT[lang]
    label = scenario_labels(exp, lang)
    names = (exp.labels or {}).get(lang) or {}  # the scenarios' own names
    first = runs.iloc[0]
    s = exp.seeds
    seeds = (
        f"{min(s)}-{max(s)}"
        if list(s) == list(range(min(s), max(s) + 1))
        else ", ".join(map(str, s))
    )
    pct = int(round(100 * exp.band))
    band = t["band_pct"].format(pct=pct) if len(s) > FEW_SEEDS else t["band_range"]
    lines = [
        f"# {names.get('title') or exp.title}",
        "",
        "- " + t["population"].format(households=first["households"],
                                      pa=first["poverty_alleviated"], scale=scale_of(runs)),
        "- " + t["period"].format(first=first["first_month"], last=first["last_month"],
                                  n=len(s), seeds=seeds, band=band),
        "- " + t["baseline"].format(baseline=names.get(exp.baseline, exp.baseline),
                                    cross=t["cross"] if exp.cross else ""),
        *[f"  - {t['key_' + k]}: {figure_label(k, lang)}" for k in COLUMNS],
        "",
        t["head"],
        "|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for r in table.itertuples():
        ce = (
            t["is_baseline"]
            if r.scenario == r.baseline
            else cost_effect_text(r.cost_effect, r.yuan_per_relapse, lang)
        )
        lines.append(
            f"| {label[r.scenario]} | {r.relapsed_mean:,.0f} [{r.relapsed_lo:,.0f}, "
            f"{r.relapsed_hi:,.0f}] | {100 * r.relapse_rate_mean:.2f}% "
            f"| {_signed(r.diff_relapsed_mean)} [{_signed(r.diff_relapsed_lo)}, "
            f"{_signed(r.diff_relapsed_hi)}] | {r.newly_poor_peak_mean:,.0f} "
            f"| {r.at_risk_pa_peak_mean:,.0f} | {r.at_risk_all_peak_mean:,.0f} "
            f"| {large_scale_cell(r.p_large_scale, r.p_large_scale_upper95, t)} "
            f"| {r.spending_mean / 1e6:,.1f} [{r.spending_lo / 1e6:,.1f}, "
            f"{r.spending_hi / 1e6:,.1f}] | {ce} |"
        )
    thresholds = " | ".join(f"P(>= {100 * x:g}%)" for x in DISTRICT_THRESHOLDS)
    lines += ["", t["margin"], "", t["margin_head"].format(thresholds=thresholds),
              "|---|---|---|" + "---|" * len(DISTRICT_THRESHOLDS) + "---|---|"]  # fmt: skip
    for r in table.itertuples():
        ps = " | ".join(
            "-" if np.isnan(v) else f"{v:.2f}"
            for v in (getattr(r, threshold_key(x)) for x in DISTRICT_THRESHOLDS)
        )
        lines.append(
            f"| {label[r.scenario]} | {100 * r.relapse_share_max_mean:.2f}% "
            f"[{100 * r.relapse_share_max_hi:.2f}%] | {100 * r.worst_town_share_max_mean:.2f}% "
            f"[{100 * r.worst_town_share_max_hi:.2f}%] | {ps} | {r.relapsed_net_care_mean:,.0f} "
            f"| {r.medically_impoverished_mean:,.0f} |"
        )
    return "\n".join(lines) + "\n"


def large_scale_cell(p: float, upper: float, text: dict[str, str]) -> str:
    """P(large-scale) and its 95% upper bound, or why it is not judged (:mod:`sim.studies.run`)."""
    return text["not_judged"] if np.isnan(p) else f"{p:.2f} [{upper:.2f}]"


def scale_of(runs: pd.DataFrame) -> float:
    """The population scale of a comparison's runs."""
    return float(runs["scale"].iloc[0])


@holds_folder
def compare(
    exp: Experiment,
    out: Path,
    n_jobs: int = 1,
    lang: str = "en",
    report: Callable[[int, int], None] | None = None,
    runner: Runner | None = None,
) -> pd.DataFrame:
    """Run (or resume) a comparison and write its tables and charts into ``out``.

    ``report(done, total)``: called as runs finish; ``runner``: where they run (:func:`run_all`).
    """
    from sim.reports.charts import comparison_charts  # lazy: matplotlib (Agg), 0.7 s

    out.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    t0 = time.perf_counter()
    runs = run_all(exp, out, n_jobs, report, runner)
    reused = int(runs.pop("reused").sum())
    write_parquet(runs, out / "runs.parquet")
    stream_tables(exp, out, "monthly")
    stream_tables(exp, out, "towns")
    table = summary_table(exp, runs)
    write_csv(table, out / "summary.csv")
    suffix = "" if lang == "en" else f"_{lang}"
    write_text(markdown(table, exp, runs, lang), out / f"summary{suffix}.md")
    comparison_charts(exp, out, runs, table, lang=lang)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # this process only
    write_json(
        {"experiment": dataclasses.asdict(exp), "runs": len(runs), "reused": reused,
         "seconds": round(time.perf_counter() - t0, 1), "peak_mb": round(peak_mb, 1)},
        out / "comparison.json",
    )  # fmt: skip
    return table
