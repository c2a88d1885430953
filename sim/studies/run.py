"""Run a configured model and write its results: the functions the entry points call.

Example:
    >>> from sim.config.compose import compose, links
    >>> res = simulate(compose(["population.scale=0.01", "months=6"]))
    >>> len(res.monthly), res.summary["months"]
    (6, 6)
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

import sim
from sim.config.compose import compose, links
from sim.core.io import remove_stale, write_json, write_parquet, write_text
from sim.core.money import FEN
from sim.core.source import code_hash
from sim.engine.households import PA, Households, PopulationPars
from sim.engine.model import RelapseModel
from sim.engine.schema import to_dict
from sim.engine.shocks import CAUSES

REPO = Path(__file__).resolve().parents[2]
# What a run writes into its folder (summary.json last: its presence marks a complete run).
RUN_FILES = (
    "config.yaml", "provenance.json", "monthly.parquet", "towns.parquet", "ledgers.parquet",
    "relapse.png", "relapse.svg", "summary.json",
)  # fmt: skip


@dataclass
class Result:
    """What a run produced: monthly series, town series, a summary, and the model itself."""

    monthly: pd.DataFrame
    towns: pd.DataFrame
    ledgers: pd.DataFrame
    summary: dict[str, Any]
    model: RelapseModel


def simulate(cfg: DictConfig | dict, households: Households | None = None) -> Result:
    """Build the model from ``cfg`` (checked first), run every month, gather the results."""
    t0 = time.perf_counter()
    model = RelapseModel(cfg, households=households)
    t_build = time.perf_counter() - t0
    while model.running:
        model.step()
    t_run = time.perf_counter() - t0 - t_build
    monthly = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    rows = model.outcomes.group_rows
    towns = pd.DataFrame(
        {k: np.concatenate([np.broadcast_to(r[k], len(r["town"])) for r in rows]) for k in rows[0]}
    )
    ledgers = ledger_frame(model, monthly["month"])
    summary = summarise(model, monthly)
    summary.update(spending_summary(model, ledgers))
    summary["seconds"] = {"build": round(t_build, 3), "run": round(t_run, 3)}
    return Result(monthly, towns, ledgers, summary, model)


def overrides_from_kwargs(kwargs: dict[str, Any]) -> list[str]:
    """Hydra overrides from keyword arguments.

    ``shocks="flood"`` picks a config group option, ``scale=0.1`` is short for
    ``population.scale``, and dotted keys set any value.

    Example:
        >>> overrides_from_kwargs({"shocks": "flood", "scale": 0.1, "shocks.price.median": 900})
        ['shocks=flood', 'population.scale=0.1', 'shocks.price.median=900']
    """
    out = []
    for key, value in kwargs.items():
        key = "population.scale" if key == "scale" else key
        out.append(f"{key}={value}")
    return out


class BatchModel(RelapseModel):
    """:class:`RelapseModel` from keyword parameters, as Mesa's ``batch_run`` passes them.

    The keywords are composed as overrides of the default config (:func:`overrides_from_kwargs`).

    Example:
        >>> m = BatchModel(scale=0.01, months=3, rng=2)
        >>> while m.running:
        ...     m.step()
        >>> len(m.datacollector.get_model_vars_dataframe())
        3
    """

    def __init__(
        self, *, rng: int | None = None, households: Households | None = None, **overrides: Any
    ) -> None:
        super().__init__(compose(overrides_from_kwargs(overrides)), rng=rng, households=households)


def ledger_frame(model: RelapseModel, months: pd.Series) -> pd.DataFrame:
    """Every lever's ledger, one row per lever and month (yuan; recipients = households)."""
    frames = []
    skip = model.burn_in + 1  # the burn-in is not reported
    for lever in model.levers:
        led = lever.ledger
        frames.append(
            pd.DataFrame(
                {
                    "month": months.to_numpy(),
                    "lever": lever.name,
                    "enabled": [lever.pars_at(model, t).enabled for t in range(skip, model.t + 1)],
                    "paid_yuan": led.paid_fen[skip:] / FEN,
                    "other_yuan": led.other_fen[skip:] / FEN,
                    "recipients": led.recipients[skip:],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def spending_summary(model: RelapseModel, ledgers: pd.DataFrame) -> dict[str, Any]:
    """Spending (yuan, paid + other) and distinct recipient households, by lever and year."""
    ledgers = ledgers.assign(year=ledgers["month"].str[:4].astype(int))
    spend = (
        (ledgers["paid_yuan"] + ledgers["other_yuan"])
        .groupby([ledgers["lever"], ledgers["year"]], sort=False)
        .sum()
    )
    by_lever: dict[str, dict[str, float]] = {}
    for (lever, year), value in spend.items():
        by_lever.setdefault(lever, {})[str(year)] = round(float(value), 2)
    recipients = {
        lever.name: {
            str(y): n
            for y, n in sorted(lever.recipients_by_year.items())
            if y >= model.cfg.start_year
        }
        for lever in model.levers
    }
    return {
        "spending": round(float(spend.sum()), 2),
        "spending_by_lever_yuan": by_lever,
        "recipients_by_lever": recipients,
    }


def summarise(model: RelapseModel, monthly: pd.DataFrame) -> dict[str, Any]:
    """Headline figures of one run (:data:`sim.reports.metric_table.METRICS`, kind ``run``)."""
    hh = model.hh
    pa = hh.category == PA
    n_pa = int(pa.sum())
    ever = int((hh.ever_relapsed & pa).sum())
    ever_net = int((hh.ever_poor_net_care & pa).sum())
    events = model.outcomes.large_scale()
    shares = {y: v for y, v in model.outcomes.relapse_shares().items() if y >= model.cfg.start_year}
    return {
        "seed": model.seed,
        "scale": model.cfg.population.scale,
        "months": len(monthly),
        "first_month": monthly["month"].iloc[0],
        "last_month": monthly["month"].iloc[-1],
        "households": int(hh.n),
        "poverty_alleviated": n_pa,
        "relapse_events": int(monthly["new_relapsed"].sum()),
        "relapsed": ever,  # PA households poor (the relapse rule) in at least one month
        "relapse_rate": round(ever / max(n_pa, 1), 6),
        "relapsed_net_care": ever_net,  # the second measure: net of all care, unconfirmed
        "relapse_rate_net_care": round(ever_net / max(n_pa, 1), 6),
        "medically_impoverished_mean": round(float(monthly["medical_impoverished"].mean()), 2),
        "relapsed_final": int(monthly["n_relapsed"].iloc[-1]),
        "relapsed_peak": int(monthly["n_relapsed"].max()),
        "newly_poor_final": int(monthly["n_newly_poor"].iloc[-1]),
        "newly_poor_peak": int(monthly["n_newly_poor"].max()),
        "at_risk_pa_peak": int(monthly["n_at_risk_poverty_alleviated"].max()),
        "at_risk_all_peak": int(monthly["n_at_risk"].max()),
        "fgt_final": {f"fgt{a}": round(float(monthly[f"fgt{a}"].iloc[-1]), 6) for a in range(3)},
        "relapse_events_by_cause": {c: int(monthly[f"new_relapsed_{c}"].sum()) for c in CAUSES},
        # judged only on the whole district: see judges_large_scale
        "large_scale": bool(events) if judges_large_scale(model.cfg.population) else None,
        "large_scale_events": events,
        "relapse_share_by_year": {str(y): v for y, (v, _, _) in shares.items()},
        "worst_town_by_year": {
            str(y): {"town": town, "share": v, "households": n}
            for y, (_, (town, v, n), _) in shares.items()
        },
        "relapse_share_max": max((v for v, _, _ in shares.values()), default=0.0),
        "relapse_share_worst_town_max": max((t[1] for _, t, _ in shares.values()), default=0.0),
    }


def judges_large_scale(pop: PopulationPars) -> bool:
    """Whether a run's population is one the large-scale rule can judge: the whole district.

    The rule (``outcomes.large_scale``) counts households of real towns: at least 10, and 3%,
    in a year. A scaled district is a sample of it; scaling the count with the sample does not
    make the answer consistent, since whether a town crosses a threshold is a tail event whose
    chance grows with the sampling noise (a tenth of the district has about three times the
    relative noise in every town's count). So only scale 1 (or a register file, the real
    district) is judged; elsewhere ``large_scale`` is None and tables show it as not judged.
    """
    return pop.file is not None or pop.scale == 1.0


@functools.cache
def git_revision() -> str:
    """The repository's commit, or ``unknown``.

    With uncommitted changes: ``<commit>-dirty-<hash of the diff>``, so that two different
    working trees never share a revision (resumed runs are reused only for the same code).
    """

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
        ).stdout

    try:
        rev = git("rev-parse", "HEAD").strip()
        diff = git("diff", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    if not diff:
        return rev
    return f"{rev}-dirty-{hashlib.sha256(diff.encode()).hexdigest()[:12]}"


@functools.cache
def code_version() -> str:
    """The package version and a hash of the code that makes results.

    Every ``sim/`` source file but the charts' and the dashboard's
    (:data:`sim.core.source.NOT_RESULTS`): resumed sweeps, comparisons and calibrations reuse a
    stored run only when this is unchanged, whatever git says (a redrawn chart does not throw runs away; an uncommitted
    change to the model does).
    """
    return f"{sim.__version__}+{code_hash()}"


def provenance(seed: int) -> dict[str, Any]:
    """Seed, versions and revision: what a reader needs to reproduce a run."""
    import mesa

    return {
        "seed": seed,
        "relapse_sim": sim.__version__,
        "code": code_version(),
        "git_revision": git_revision(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
    }


def write(
    result: Result, cfg: DictConfig | dict, out_dir: str | Path, chart: bool = True,
    lang: str = "en",
) -> Path:  # fmt: skip
    """Write a run folder: config, provenance, monthly and town Parquet, summary, chart."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    data = to_dict(cfg)
    follows = links(cfg) if isinstance(cfg, DictConfig) else {}
    head = "".join(f"# {key} follows {source} (it is a copy of that value here)\n"
                   for key, source in follows.items())  # fmt: skip
    write_text(head + OmegaConf.to_yaml(OmegaConf.create(data)), out / "config.yaml")
    write_json(provenance(result.model.seed), out / "provenance.json")
    write_parquet(result.monthly, out / "monthly.parquet")
    write_parquet(result.towns, out / "towns.parquet")
    write_parquet(result.ledgers, out / "ledgers.parquet")
    if chart:
        from sim.reports.charts import run_chart  # lazy: matplotlib (Agg), 0.7 s

        s = result.summary
        what = {
            "policy": data["policy"].get("name", "?"), "shocks": data["shocks"]["name"],
            "scale": data["population"]["scale"], "households": s["households"],
            "seed": result.model.seed, "period": f"{s['first_month']} – {s['last_month']}",
        }  # fmt: skip
        run_chart(result.monthly, out / "relapse", what, lang=lang)
    write_json(result.summary, out / "summary.json")  # last: its presence marks a complete run
    return out


def is_complete(cfg: DictConfig | dict, out: str | Path) -> bool:
    """Whether ``out`` already holds a finished run of exactly this config and code.

    Sweeps resume with it: as comparisons do, a run of other model code (:func:`code_version`)
    is run again.
    """
    out = Path(out)
    files = [out / name for name in ("summary.json", "config.yaml", "provenance.json")]
    if not all(f.exists() for f in files):
        return False
    stored = OmegaConf.to_container(OmegaConf.load(out / "config.yaml"), resolve=True)
    prov = json.loads((out / "provenance.json").read_text())
    same_code = (prov.get("relapse_sim"), prov.get("git_revision")) == (
        sim.__version__,
        git_revision(),
    )
    return same_code and stored == to_dict(cfg)


def large_scale_line(s: dict[str, Any]) -> str:
    """The large-scale verdict of a run summary in words."""
    if s["large_scale"] is None:
        return (f"large-scale relapse: not judged at scale {s['scale']:g} (the rule counts "
                "households of the whole district; run at population.scale=1)")  # fmt: skip
    if not s["large_scale"]:
        return "large-scale relapse: no"
    where = ", ".join(f"{e['where']} in {e['year']}" for e in s["large_scale_events"])
    return f"large-scale relapse: YES ({where})"


def report(result: Result, out: Path) -> str:
    """A few lines for the terminal."""
    s = result.summary
    lines = [
        f"{s['households']:,} households ({s['poverty_alleviated']:,} poverty-alleviated), "
        f"{s['first_month']} to {s['last_month']}, seed {s['seed']}",
        f"relapsed households: {s['relapsed']:,} ever "
        f"({100 * s['relapse_rate']:.1f}% of PA), {s['relapsed_final']:,} at the end"
        if s["poverty_alleviated"]
        else "relapsed households: none can relapse (no poverty-alleviated household in the register)",
        f"newly poor (other households) at the end: {s['newly_poor_final']:,}; below the "
        f"monitoring line at the peak: {s['at_risk_pa_peak']:,} poverty-alleviated, "
        f"{s['at_risk_all_peak']:,} in all",
        large_scale_line(s),
        f"lever spending: {s['spending'] / 1e6:,.1f} million yuan over the run",
        f"run time: {s['seconds']['build']:.2f} s build + {s['seconds']['run']:.2f} s simulate",
        f"results: {out}",
    ]
    return "\n".join(lines)
