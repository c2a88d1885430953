"""What drives the outcomes (SALib's Morris and Sobol) and which futures break them (PRIM).

Sensitivity analysis says which uncertain inputs drive relapse, new poverty, spending and
large-scale relapse; scenario discovery (PRIM, from ema-workbench) says in which futures
large-scale relapse happens.

An analysis (``scenarios/analysis/<name>.yaml``) names a policy mix and shocks (``base``
overrides), the seeds every point runs on (common random numbers), the outcomes, and the
settings of each method; the factors come from an uncertainty set (:mod:`sim.studies.uncertainty`).
Runs go through :func:`sim.studies.ensemble.run_sample` (joblib workers, resumable, streamed to disk).

- **Morris** screens every factor: ``r`` trajectories, ``(k + 1) r`` points; mu* (mean absolute
  elementary effect, in the outcome's unit) with its 95% bootstrap interval, and sigma.
- **Sobol** (Saltelli's sampling, first-order and total indices with 95% bootstrap intervals)
  takes the top ``sobol.factors`` factors of the Morris ranking (or ``sobol.names``): ``N (k +
  2)`` points. The factors not varied keep their ``nominal`` value (the config's, unless the
  set says otherwise).
- **PRIM** peels a Latin hypercube sample of every factor for the futures where the outcome of
  interest occurs (``large_scale`` by default): boxes with coverage (share of those futures
  inside) and density (share of the box's futures that have it).

With one seed per point, the indices say how the factors move the outcome under the same
random draws; the seeds' own noise is not among the factors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.compose import compose, links
from sim.core.errors import ConfigError
from sim.core.io import folder_lock, write_csv, write_json, write_parquet, write_text
from sim.core.params import between, folder_name, jobs, nonneg, one_of, parse, pos, prob
from sim.engine.schema import MAX_MONTHS, check, to_dict
from sim.reports.metric_table import above
from sim.reports.metric_table import label as figure_label
from sim.studies.compare import ROW_FIGURES, workers
from sim.studies.ensemble import run_sample
from sim.studies.run import code_version, judges_large_scale
from sim.studies.runner import RUNNER, of
from sim.studies.uncertainty import UncertaintySet, checked_set

METHODS = ("morris", "sobol", "prim")
OUTCOMES = ROW_FIGURES[2:]  # the run figures an analysis may study (sim.reports.metric_table)


@dataclass(frozen=True, kw_only=True)
class MorrisPars:
    """Morris screening: trajectories, grid levels, sampler seed."""

    r: int = between(2, 10_000)
    levels: int = between(2, 100)
    seed: int = nonneg()


@dataclass(frozen=True, kw_only=True)
class SobolPars:
    """Sobol: base sample size (a power of 2), how many top Morris factors or which names."""

    n: int = between(2, 2**20)
    factors: int = between(1, 100)
    names: list[str] | None = None
    seed: int = nonneg()

    def validate(self, where: str) -> None:
        """Saltelli's sequence needs a power of 2."""
        if self.n & (self.n - 1):
            lower = 1 << (self.n.bit_length() - 1)
            raise ConfigError(
                f"{where}.n = {self.n}: must be a power of 2 (Sobol sequence); use {lower} or "
                f"{2 * lower}"
            )


@dataclass(frozen=True, kw_only=True)
class PrimPars:
    """Scenario discovery: sample size, the outcome of interest, PRIM's settings."""

    n: int = between(50, 1_000_000)
    seed: int = nonneg()
    outcome: str
    above: float | None = None  # a numeric outcome's threshold; None: a yes/no outcome
    peel_alpha: float = prob()
    mass_min: float = prob()
    min_density: float = prob()  # the box reported: the most coverage at this density
    max_quasi_p: float = prob()  # limits less significant than this are dropped from the box
    hold: list[str] = ()  # factors not varied (at their nominal value): e.g. the rule's


@dataclass(frozen=True, kw_only=True)
class Analysis:
    """One analysis (``scenarios/analysis/``)."""

    name: str = folder_name()
    title: str
    base: list[str]
    seeds: list[int] = between(0, 2**63 - 1)
    outcomes: list[str]
    morris: MorrisPars
    sobol: SobolPars
    prim: PrimPars


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The root of ``experiments.sensitivity`` and ``experiments.discover``."""

    analysis: Analysis
    uncertainty: dict
    methods: list[str] = one_of(*METHODS)
    n_jobs: int = jobs()
    chunk: int | None = between(1, 10_000)
    part: int = nonneg()
    parts: int = between(1, 100_000)
    reanalyse: bool = False
    scale: float = pos()
    months: int | None = between(1, MAX_MONTHS)
    lang: str = one_of("en", "zh")
    output_root: str
    runner: str = RUNNER
    slurm: dict | None = None


@dataclass(frozen=True)
class Plan:
    """A checked analysis, ready to run: its settings, factors and base config."""

    pars: Settings
    uset: UncertaintySet
    base: dict
    outcomes: list[str]


def settings(cfg: dict, methods: list[str] | None = None) -> Plan:
    """Parse and check everything before a run (``cfg``: :func:`sim.config.compose.plain` of the root)."""
    if methods is not None:
        cfg = cfg | {"methods": methods}
    pars = parse(Settings, cfg, "")
    if not pars.methods:
        raise ConfigError(f"methods = []: name at least one of {', '.join(METHODS)}")
    needs = ["SALib"] + (["ema_workbench"] if "prim" in pars.methods else [])
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"methods = {list(pars.methods)}: needs {' and '.join(missing)}, in the analysis "
            "extra: pip install -e '.[analysis]' (make run and make test install it)"
        )
    a = pars.analysis
    if len(set(a.seeds)) != len(a.seeds) or not a.seeds:
        raise ConfigError(f"analysis.seeds = {list(a.seeds)}: give distinct seeds")
    if pars.part >= pars.parts:
        raise ConfigError(
            f"part = {pars.part}: parts are numbered 0 to parts - 1 = {pars.parts - 1}"
        )
    for i, name in enumerate([*a.outcomes, a.prim.outcome]):
        if name not in OUTCOMES:
            where = f"analysis.outcomes[{i}]" if i < len(a.outcomes) else "analysis.prim.outcome"
            raise ConfigError(
                f"{where} = {name}: not a run figure; use one of {', '.join(OUTCOMES)}"
            )
    if (a.prim.outcome == "large_scale") != (a.prim.above is None):
        raise ConfigError(
            f"analysis.prim.above = {a.prim.above}: give a threshold for a numeric outcome "
            "(e.g. relapse_rate above 0.05) and none for large_scale (yes/no)"
        )
    over = [*a.base, f"population.scale={pars.scale}", "chart=false"]
    if pars.months is not None:
        over.append(f"months={pars.months}")
    try:
        cfg_run = compose(over)
        run = check(cfg_run, workers(pars.n_jobs))
    except ConfigError as e:
        raise ConfigError(f"analysis.base: {e}") from None
    base = to_dict(cfg_run)
    uset = checked_set(pars.uncertainty, base, links=links(cfg_run))
    outcomes = list(a.outcomes)
    judged = judges_large_scale(run.population)
    if (
        not judged
    ):  # the rule is not judged on a scaled district (sim.studies.run.judges_large_scale)
        outcomes = [o for o in outcomes if o != "large_scale"]
        if "prim" in pars.methods and a.prim.outcome == "large_scale":
            raise ConfigError(
                f"scale = {pars.scale}: large-scale relapse is judged on the whole district "
                "only; run PRIM at scale=1, or on a numeric outcome (analysis.prim.outcome="
                "relapse_rate analysis.prim.above=0.05)"
            )
    for i, n in enumerate(a.prim.hold):
        if n not in uset.factors:
            raise ConfigError(
                f"analysis.prim.hold[{i}] = {n}: not a factor of uncertainty set {uset.name} "
                f"({', '.join(uset.factors)})"
            )
    if a.sobol.names is not None:
        for i, n in enumerate(a.sobol.names):
            if n not in uset.factors:
                raise ConfigError(
                    f"analysis.sobol.names[{i}] = {n}: not a factor of uncertainty set "
                    f"{uset.name} ({', '.join(uset.factors)})"
                )
    return Plan(pars, uset, base, outcomes)


def _nominal(plan: Plan, varied: list[str]) -> dict[str, float]:
    """The values of the factors an analysis does not vary (their ``nominal``, if any)."""
    return {
        n: f.nominal
        for n, f in plan.uset.factors.items()
        if n not in varied and f.nominal is not None
    }


def _run(plan: Plan, names: list[str], points: np.ndarray, folder: Path, desc: str, block: int):
    """The sample's runs (sim.studies.ensemble); one row per run, or None for a partial job.

    ``block``: points that belong together (a Morris trajectory, a Sobol row and its k + 1
    variants), one chunk unless ``chunk`` says otherwise, so that a rule-only step is judged
    again rather than run again (:func:`sim.studies.ensemble.run_point`).
    """
    p = plan.pars
    fixed = _nominal(plan, names)
    all_names = [*names, *fixed]
    full = (
        np.column_stack([points, np.tile(list(fixed.values()), (len(points), 1))])
        if fixed
        else points
    )
    if p.reanalyse:
        return stored_sample(plan, all_names, full, folder), None
    t0 = time.perf_counter()
    runs = run_sample(
        plan.base, plan.uset, all_names, full, list(plan.pars.analysis.seeds), folder / "chunks",
        n_jobs=p.n_jobs, chunk=p.chunk or block, part=p.part, parts=p.parts, desc=desc,
        runner=of(p),
    )  # fmt: skip
    return runs, time.perf_counter() - t0


def stored_sample(plan: Plan, names: list[str], points: np.ndarray, folder: Path) -> pd.DataFrame:
    """The runs an earlier command wrote (``reanalyse=true``), if they are this sample's.

    Its points and seeds must be those the settings give; the code that ran them is what the
    folder's ``analysis.json`` says (``code``), whatever the code is now.
    """
    path = folder / "sample.parquet"
    if not path.exists():
        raise ConfigError(f"reanalyse=true: no stored sample {path}; run without reanalyse first")
    runs = pd.read_parquet(path)
    seeds = list(plan.pars.analysis.seeds)
    expect = pd.DataFrame(
        [{"point": i, "seed": s} | plan.uset.values(names, row)
         for i, row in enumerate(points) for s in seeds]
    )  # fmt: skip
    if len(runs) != len(expect) or not runs[expect.columns].equals(expect):
        raise ConfigError(
            f"reanalyse=true: {path} holds another sample (points, seeds or factors differ from "
            "these settings); run without reanalyse"
        )
    return runs


def outcome_matrix(runs: pd.DataFrame, outcomes: list[str], n_points: int) -> pd.DataFrame:
    """Each point's outcomes, averaged over its seeds (large_scale: the share of seeds)."""
    y = runs[["point", *outcomes]].astype({o: float for o in outcomes})
    y = y.groupby("point").mean().reindex(range(n_points))
    if y.isna().any().any():
        raise RuntimeError("some points of the sample have no runs; run the command again")
    return y


def _write_tables(df: pd.DataFrame, stem: Path, md: str) -> None:
    write_parquet(df, stem.with_suffix(".parquet"))
    write_csv(df, stem.with_suffix(".csv"))
    write_text(md, stem.with_suffix(".md"))


def _write_sample(runs: pd.DataFrame, folder: Path) -> None:
    write_parquet(runs, folder / "sample.parquet")
    write_csv(runs, folder / "sample.csv")


def morris(plan: Plan, out: Path) -> pd.DataFrame | None:
    """Morris screening over every factor; the tidy table of mu*, its interval, and sigma."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    m = plan.pars.analysis.morris
    problem = plan.uset.problem()
    x = sample.sample(problem, N=m.r, num_levels=m.levels, seed=m.seed)
    folder = out / "morris"
    runs, seconds = _run(plan, problem["names"], x, folder, "morris", len(x) // m.r)
    if runs is None:
        return None
    y = outcome_matrix(runs, plan.outcomes, len(x))
    rows = []
    for o in plan.outcomes:
        res = analyze.analyze(problem, x, y[o].to_numpy(), num_levels=m.levels,
                              conf_level=0.95, num_resamples=1000, seed=m.seed)  # fmt: skip
        for i, name in enumerate(problem["names"]):
            mu_star, conf = float(res["mu_star"][i]), float(res["mu_star_conf"][i])
            rows.append({"outcome": o, "factor": name, "mu_star": mu_star,
                         "mu_star_lo": mu_star - conf, "mu_star_hi": mu_star + conf,
                         "mu": float(res["mu"][i]), "sigma": float(res["sigma"][i])})  # fmt: skip
    table = _ranked(pd.DataFrame(rows), "mu_star")
    _finish(plan, folder, runs, table, "morris", seconds)
    return table


def top_factors(plan: Plan, morris_table: pd.DataFrame) -> list[str]:
    """The Sobol factors: ``sobol.names``, else the top of the Morris ranking.

    A factor's score is its largest mu* relative to the most influential factor, over the
    outcomes (so every outcome's leaders count, whatever its unit).
    """
    s = plan.pars.analysis.sobol
    if s.names is not None:
        return list(s.names)
    t = morris_table.copy()
    top = t.groupby("outcome")["mu_star"].transform("max").replace(0, np.nan)
    t["score"] = (t["mu_star"] / top).fillna(0)
    score = t.groupby("factor", sort=False)["score"].max()
    order = list(plan.uset.factors)
    ranked = sorted(score.index, key=lambda f: (-score[f], order.index(f)))
    return ranked[: s.factors]


def sobol_folder(names: list[str] | None) -> str:
    """``sobol`` for the Morris leaders; for factors one names, a folder of their own.

    Example:
        >>> sobol_folder(None), sobol_folder(["illness_rate", "job_loss"])
        ('sobol', 'sobol_illness_rate+job_loss')
    """
    if names is None:
        return "sobol"
    joined = "+".join(names)
    if len(joined) > 80 or not re.fullmatch(r"[\w.+-]+", joined) or ".." in joined:
        # a folder name stays short and inside: the names' hash instead
        joined = hashlib.sha256(joined.encode()).hexdigest()[:12]
    return f"sobol_{joined}"


def sobol(plan: Plan, out: Path, names: list[str]) -> pd.DataFrame | None:
    """Sobol indices (first-order S1, total ST) of ``names`` with 95% intervals."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    s = plan.pars.analysis.sobol
    problem = plan.uset.problem(names)
    x = sample.sample(problem, s.n, calc_second_order=False, seed=s.seed)
    folder = out / sobol_folder(s.names)
    runs, seconds = _run(plan, names, x, folder, "sobol", len(names) + 2)
    if runs is None:
        return None
    y = outcome_matrix(runs, plan.outcomes, len(x))
    rows = []
    for o in plan.outcomes:
        yo = y[o].to_numpy()
        if np.ptp(yo) == 0:  # constant: no variance to share out
            res = {k: np.full(len(names), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            res = analyze.analyze(problem, yo, calc_second_order=False, conf_level=0.95,
                                  num_resamples=1000, seed=s.seed)  # fmt: skip
        for i, name in enumerate(names):
            row = {"outcome": o, "factor": name}
            for k in ("S1", "ST"):
                v, c = float(res[k][i]), float(res[f"{k}_conf"][i])
                row |= {k: v, f"{k}_lo": v - c, f"{k}_hi": v + c}
            rows.append(row)
    table = _ranked(pd.DataFrame(rows), "ST")
    _finish(plan, folder, runs, table, "sobol", seconds)
    return table


def _ranked(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Rows ranked within each outcome (1 = most influential)."""
    table["rank"] = table.groupby("outcome")[by].rank(ascending=False, method="first")
    table["rank"] = table["rank"].fillna(len(table)).astype(int)
    return table.sort_values(["outcome", "rank"], kind="stable").reset_index(drop=True)


def _finish(plan: Plan, folder: Path, runs: pd.DataFrame, table: pd.DataFrame, method: str,
            seconds: float | None) -> None:  # fmt: skip
    """Write a method's sample, table, Markdown, charts and what was run."""
    from sim.reports.charts import sensitivity_chart  # lazy: matplotlib (Agg), 0.7 s

    _write_sample(runs, folder)
    _write_tables(table, folder / "indices", markdown(plan, table, method, runs))
    sensitivity_chart(plan, table, method, folder / _stem(plan, method), runs, plan.pars.lang)
    _write_meta(plan, folder, runs, seconds, method)


def _stem(plan: Plan, name: str) -> str:
    """A chart's file name: ``_zh`` for Chinese labels."""
    return name if plan.pars.lang == "en" else f"{name}_{plan.pars.lang}"


def _write_meta(
    plan: Plan, folder: Path, runs: pd.DataFrame, seconds: float | None, method: str
) -> None:
    """What was run, by which code, in how long (a reanalysis keeps the runs' own record)."""
    if seconds is None:
        return
    n_runs = len(runs)
    write_json(
        {"method": method, "analysis": dataclasses.asdict(plan.pars.analysis),
         "uncertainty": plan.uset.name, "runs": n_runs, "seconds": round(seconds, 1),
         "runs_per_minute": round(60 * n_runs / seconds, 1) if seconds > 0 else None,
         "n_jobs": plan.pars.n_jobs, "scale": plan.pars.scale, "code": code_version()},
        folder / "analysis.json",
    )  # fmt: skip


def _fmt(v: float) -> str:
    return "n/a" if not np.isfinite(v) else f"{v:.3g}"


def what_ran(plan: Plan, runs: pd.DataFrame, method: str) -> str:
    """One line: method, runs, scale, seeds, period, base."""
    a = plan.pars.analysis
    first = runs.iloc[0]
    return (
        f"{method}: {runs['point'].nunique():,} points x {len(a.seeds)} seed(s) = {len(runs):,} "
        f"runs; uncertainty set {plan.uset.name}; base {' '.join(a.base) or '(defaults)'}; "
        f"scale {plan.pars.scale:g} ({int(first['households']):,} households); "
        f"{first['first_month']} to {first['last_month']}"
    )


def markdown(plan: Plan, table: pd.DataFrame, method: str, runs: pd.DataFrame) -> str:
    """The indices as Markdown, one section per outcome, most influential first."""
    a = plan.pars.analysis
    lines = [f"# {a.title}: {method}", "", f"- {what_ran(plan, runs, method)}"]
    if method == "morris":
        lines += ["- mu*: mean absolute elementary effect over the factor's range, in the "
                  "outcome's unit, with its 95% bootstrap interval; sigma: spread of the "
                  "effects (interactions, non-linearity)", ""]  # fmt: skip
        head = "| rank | factor | mu* [95%] | sigma |\n|---|---|---|---|"
    else:
        lines += ["- S1: share of the outcome's variance due to the factor alone; ST: with "
                  "all its interactions; 95% bootstrap intervals", ""]  # fmt: skip
        head = "| rank | factor | ST [95%] | S1 [95%] |\n|---|---|---|---|"
    for o, g in table.groupby("outcome", sort=False):
        lines += [f"## {figure_label(o)}", "", head]
        for r in g.itertuples():
            name = f"{plan.uset.label(r.factor)} (`{r.factor}`)"
            if method == "morris":
                cells = f"{_fmt(r.mu_star)} [{_fmt(r.mu_star_lo)}, {_fmt(r.mu_star_hi)}] | {_fmt(r.sigma)}"
            else:
                cells = (f"{_fmt(r.ST)} [{_fmt(r.ST_lo)}, {_fmt(r.ST_hi)}] | "
                         f"{_fmt(r.S1)} [{_fmt(r.S1_lo)}, {_fmt(r.S1_hi)}]")  # fmt: skip
            lines.append(f"| {r.rank} | {name} | {cells} |")
        lines.append("")
    return "\n".join(lines)


# -- scenario discovery -------------------------------------------------------------------


def interest(plan: Plan, runs: pd.DataFrame, n_points: int) -> np.ndarray:
    """Whether each point is a future of interest (the outcome happens in most of its seeds)."""
    p = plan.pars.analysis.prim
    y = outcome_matrix(runs, [p.outcome], n_points)[p.outcome].to_numpy()
    return y > 0.5 if p.above is None else y > p.above


def prim(plan: Plan, out: Path) -> dict[str, Any] | None:
    """PRIM on a Latin hypercube of every factor; the chosen box, its trajectory, in words."""
    import warnings

    from SALib.sample import latin

    with warnings.catch_warnings():  # "ipyparallel not installed": a part we do not use
        warnings.simplefilter("ignore", UserWarning)
        from ema_workbench.analysis import prim as ema_prim

    p = plan.pars.analysis.prim
    problem = plan.uset.problem([n for n in plan.uset.factors if n not in p.hold])
    x = latin.sample(problem, p.n, seed=p.seed)
    folder = out / "prim"
    runs, seconds = _run(plan, problem["names"], x, folder, "prim", 8)
    if runs is None:
        return None
    y = interest(plan, runs, len(x))
    factors = pd.DataFrame(
        {
            n: [plan.uset.factors[n].value(u) for u in x[:, i]]
            for i, n in enumerate(problem["names"])
        }
    )
    _write_sample(runs, folder)
    _write_meta(plan, folder, runs, seconds, "prim")
    result: dict[str, Any] = {"points": len(x), "of_interest": int(y.sum()), "boxes": []}
    if y.all() or not y.any():
        result["note"] = (
            f"the outcome of interest occurs in {int(y.sum())} of {len(y)} futures: nothing to "
            "separate; widen the uncertainty set or change analysis.prim.outcome"
        )
    else:
        # Every factor as a real number: ema-workbench 3.0 pastes fractional limits into
        # integer columns, which pandas 3 refuses; a whole-number factor's limit of 12.5
        # reads "12 or below". Its pandas deprecation notices are not ours to act on.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            finder = ema_prim.Prim(factors.astype(float), y, peel_alpha=p.peel_alpha,
                                   mass_min=p.mass_min)  # fmt: skip
            box = finder.find_box()
        traj = box.peeling_trajectory.copy()
        dense = traj[traj["density"] >= p.min_density]
        chosen = int(dense["coverage"].idxmax() if len(dense) else traj["density"].idxmax())
        box.select(chosen)
        limits = _limits(plan.uset, box.box_lims[chosen], box.box_lims[0], box.p_values[chosen])
        dropped = [lim["factor"] for lim in limits if _quasi_p(lim) > p.max_quasi_p]
        for name in dropped:  # a limit chance alone explains (ema-workbench's quasi-p)
            box.drop_restriction(name)
        if dropped:
            i = len(box.box_lims) - 1
            limits = _limits(plan.uset, box.box_lims[i], box.box_lims[0], box.p_values[i])
        result["boxes"].append({
            "box": 1, "step": chosen, "coverage": float(box.coverage),
            "density": float(box.density), "mass": float(box.mass), "limits": limits,
            "dropped": dropped, "words": box_words(plan.uset, limits),
        })  # fmt: skip
        write_parquet(traj.reset_index(drop=True), folder / "trajectory.parquet")
        from sim.reports.charts import prim_chart  # lazy: matplotlib (Agg), 0.7 s

        prim_chart(plan, traj, limits, result, folder / _stem(plan, "prim"), runs, plan.pars.lang)
    result["base_rate"] = float(y.mean())
    write_json(result, folder / "boxes.json")
    write_text(prim_markdown(plan, result, runs), folder / "boxes.md")
    return result


def _limits(uset: UncertaintySet, lims: pd.DataFrame, full: pd.DataFrame, p_values: dict):
    """The restricted factors of a box: low and high (None if not restricted on that side)."""
    out = []
    for name in lims.columns:
        lo, hi = float(lims[name].iloc[0]), float(lims[name].iloc[1])
        lo0, hi0 = float(full[name].iloc[0]), float(full[name].iloc[1])
        if lo <= lo0 and hi >= hi0:
            continue
        f = uset.factors[name]
        q = p_values.get(name, [None, None])
        out.append({
            "factor": name, "low": lo if lo > lo0 else None, "high": hi if hi < hi0 else None,
            "range": list(f.range), "change": f.change,
            "quasi_p": [None if v is None or v < 0 else float(v) for v in q],
        })  # fmt: skip
    return out


def _quasi_p(lim: dict) -> float:
    """The largest quasi-p of a limit's restricted sides (1 if none is known)."""
    known = [q for q in lim["quasi_p"] if q is not None]
    return max(known) if known else 1.0


def _value_words(v: float, change: str) -> str:
    return f"{v:.3g}x the config's value" if change == "scale" else f"{v:.3g}"


def box_words(uset: UncertaintySet, limits: list[dict], lang: str = "en") -> str:
    """A box in plain words: "illness rate above X and medical cost growth below Y"."""
    parts = []
    for lim in limits:
        name, ch = uset.label(lim["factor"], lang), lim["change"]
        lo, hi = lim["low"], lim["high"]
        if lo is not None and hi is not None:
            parts.append(f"{name} between {_value_words(lo, ch)} and {_value_words(hi, ch)}")
        elif lo is not None:
            parts.append(f"{name} above {_value_words(lo, ch)}")
        else:
            parts.append(f"{name} below {_value_words(hi, ch)}")
    return " and ".join(parts) if parts else "anywhere in the set"


def prim_markdown(plan: Plan, result: dict, runs: pd.DataFrame) -> str:
    """The boxes found, in words, with coverage and density."""
    p = plan.pars.analysis.prim
    what = figure_label(p.outcome) if p.above is None else above(p.outcome, p.above)
    lines = [
        f"# {plan.pars.analysis.title}: scenario discovery (PRIM)", "",
        f"- {what_ran(plan, runs, 'PRIM')}",
        f"- futures of interest ({what}): {result['of_interest']} of {result['points']} "
        f"({100 * result['base_rate']:.1f}%)",
        f"- PRIM (ema-workbench): peel_alpha {p.peel_alpha}, mass_min {p.mass_min}; the box "
        f"shown has the most coverage at density >= {p.min_density}, without limits whose "
        f"quasi-p exceeds {p.max_quasi_p}",
        "- coverage: share of the futures of interest inside the box; density: share of the "
        "box's futures that are of interest", "",
    ]  # fmt: skip
    if result.get("note"):
        lines.append(result["note"])
    for b in result["boxes"]:
        lines += [
            f"## Box {b['box']}: coverage {b['coverage']:.2f}, density {b['density']:.2f}, "
            f"mass {b['mass']:.2f}", "", f"Futures with {b['words']}.", "",
            *([f"Dropped (quasi-p above {p.max_quasi_p}): "
               f"{', '.join(plan.uset.label(d) for d in b['dropped'])}.", ""] if b["dropped"] else []),
            "| factor | low | high | range | quasi-p (low, high) |", "|---|---|---|---|---|",
        ]  # fmt: skip
        for lim in b["limits"]:
            q = ", ".join("-" if v is None else f"{v:.2g}" for v in lim["quasi_p"])
            lines.append(
                f"| {plan.uset.label(lim['factor'])} (`{lim['factor']}`) | "
                f"{'-' if lim['low'] is None else f'{lim["low"]:.3g}'} | "
                f"{'-' if lim['high'] is None else f'{lim["high"]:.3g}'} | "
                f"{lim['range'][0]:g}-{lim['range'][1]:g} ({lim['change']}) | {q} |"
            )
    return "\n".join(lines) + "\n"


def run_methods(plan: Plan, out: Path) -> dict[str, Any]:
    """Every method of ``plan`` in order (Sobol after Morris: it needs the ranking).

    One command at a time writes ``out`` (:func:`sim.core.io.folder_lock`), unless the sample is
    run in ``parts``, which share it by design.
    """
    with folder_lock(out) if plan.pars.parts == 1 else contextlib.nullcontext():
        return _run_methods(plan, out)


def _run_methods(plan: Plan, out: Path) -> dict[str, Any]:
    done: dict[str, Any] = {}
    methods = plan.pars.methods
    if "morris" in methods:
        done["morris"] = morris(plan, out)
    if "sobol" in methods:
        table = done.get("morris")
        if table is None and plan.pars.analysis.sobol.names is None:
            stored = out / "morris" / "indices.parquet"
            if not stored.exists():
                if plan.pars.parts > 1:
                    return done
                raise ConfigError(
                    "sobol takes the top factors of a Morris screening: run methods=[morris,"
                    "sobol], or name them (analysis.sobol.names=[...])"
                )
            table = pd.read_parquet(stored)
        names = (
            top_factors(plan, table) if table is not None else list(plan.pars.analysis.sobol.names)
        )
        done["sobol_factors"] = names
        done["sobol"] = sobol(plan, out, names)
    if "prim" in methods:
        done["prim"] = prim(plan, out)
    return done


def summary_lines(done: dict[str, Any], plan: Plan) -> list[str]:
    """What the terminal shows: the top factors per outcome, the PRIM box."""
    lines = []
    for method, col in (("morris", "mu_star"), ("sobol", "ST")):
        table = done.get(method)
        if table is None:
            continue
        for o, g in table.groupby("outcome", sort=False):
            top = g.head(3)
            items = ", ".join(
                f"{r.factor} {_fmt(getattr(r, col))} [{_fmt(getattr(r, col + '_lo'))}, "
                f"{_fmt(getattr(r, col + '_hi'))}]"
                for r in top.itertuples()
            )
            lines.append(f"{method} {col} for {o}: {items}")
    res = done.get("prim")
    if res:
        for b in res["boxes"]:
            lines.append(f"PRIM box: {b['words']} (coverage {b['coverage']:.2f}, density "
                         f"{b['density']:.2f})")  # fmt: skip
        if res.get("note"):
            lines.append(f"PRIM: {res['note']}")
    return lines


__all__ = [
    "METHODS",
    "Plan",
    "box_words",
    "run_methods",
    "settings",
    "summary_lines",
    "top_factors",
]
