"""Calibration targets: the statistics a run gives for them, and the fit table.

A target table (``scenarios/calibration/<name>.yaml``) lists published figures with a band,
a unit, a definition and a source; :class:`Tally` gathers the same statistics from a run,
calendar year by calendar year; :func:`fit_table` sets them side by side. The fit itself is
in :mod:`sim.studies.fit`.

Example:
    >>> from sim.config.compose import compose
    >>> from sim.engine.model import RelapseModel
    >>> m = RelapseModel(compose(["population.scale=0.01", "months=12"]))
    >>> tally = Tally(m)
    >>> while m.running:
    ...     m.step()
    ...     tally.month(m)
    >>> stats = tally.result()
    >>> 0 < stats["dibao_share"][2021] < 1 and stats["rural_income"][2021] > 10_000
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config.compose import compose
from sim.core.errors import ConfigError
from sim.core.money import FEN
from sim.core.params import parse, pos
from sim.core.schedule import Dated
from sim.engine.households import PA
from sim.engine.metrics import yearly_shares
from sim.engine.model import RelapseModel
from sim.engine.schema import to_dict
from sim.studies.run import judges_large_scale

# statistic: what it measures, per calendar year (unit)
STATISTICS = {
    "rural_income": "per-capita income of all households, transfers included (yuan/person/year)",
    "pa_income": "per-capita income of poverty-alleviated households (yuan/person/year)",
    "edge_income": "per-capita income of edge households (yuan/person/year)",
    "wage_share_rural": "wages (lever wages included) as a share of all households' income",
    "wage_share_pa": "wages as a share of poverty-alleviated households' income",
    "transfer_share_rural": "pensions, remittances and lever cash as a share of all households' income",
    "dibao_share": "people on dibao, share of all people, December",
    "tekun_share": "people on tekun, share of all people, December",
    "pa_dibao_tekun_share": "poverty-alleviated people on dibao or tekun, share of them, December",
    "che_share": "households with catastrophic health expenditure (12 months), share, December",
    "oop_pc": "out-of-pocket care (shocks and everyday care) per person (yuan/person/year)",
    "med_cost_pc": "medical spending, all payers, per person (yuan/person/year)",
    "insurance_pc": "basic medical insurance payments per insured person (yuan/person/year)",
    "inpatient_rate": "illness episodes (admissions) per person per year",
    "posts_filled": "public-welfare posts held, share of the posts, mean over months",
    "growers": "households growing mustard tuber, full district (households)",
    "mustard_tonnes_per_grower": "mustard tuber sold per growing household (t/year)",
    "monitored_share": "households in the monitoring mechanism, share of all, December",
    "monitored_dibao_share": "monitored households on dibao, share of the monitored, December",
    "at_risk_share": "households below the monitoring line, share of all, December",
    "relapse_illness_share": "relapse events caused by illness or chronic onset, share of all",
    "oop_share_pa": "out-of-pocket share of poverty-alleviated households' care for shocks "
    "(admissions and chronic care, before everyday care)",
    "tekun_dibao_ratio": "people on tekun over people on dibao, December",
    "pa_poor_share": "poverty-alleviated households poor as the relapse rule finds them, share "
    "of them, mean over the year's months",
    "pa_poor_net_care_share": "poverty-alleviated households below the line net of all care, "
    "share of them, mean over the year's months",
    "relapse_share": "poverty-alleviated households with a relapse event in the year, share of "
    "them (the large-scale rule's district share)",
    "relapse_share_worst_town": "the same in the town where it is highest",
    "large_scale": "large-scale relapse in the year under outcomes.large_scale (1 yes, 0 no; "
    "full district only)",
}


class Tally:
    """Yearly statistics of a run (:data:`STATISTICS`), gathered after each reported month.

    Call :meth:`month` after every ``model.step()``; burn-in months are skipped. Only years
    with all 12 months reported give flows and means.
    """

    def __init__(self, model) -> None:
        self.scale = model.cfg.population.scale
        self.outcomes = model.outcomes
        self.judged = judges_large_scale(model.cfg.population)
        self.sums: dict[int, dict[str, float]] = {}
        self.december: dict[int, dict[str, float]] = {}

    def month(self, model) -> None:
        """Add the month just simulated."""
        if model.t <= model.burn_in:
            return
        hh, year = model.hh, model.year
        on = hh.active
        pa = on & (hh.category == PA)
        people = hh.n_members * on
        income = (hh.income + hh.transfers) * on
        wages = (hh.wage_income + hh.earned_fen / FEN) * on
        econ, livelihood = model.cfg.population.economy, model.livelihood
        received = (  # pensions, remittances (growing with wages) and lever cash
            econ.pension(year) * hh.n_elderly
            + hh.remittances * livelihood.wage_index(year) / 12
            + hh.transfers
        ) * on
        cur = model.outcomes.current
        basic = model.lever("basic_insurance")
        insured = people[basic.insured].sum() if basic is not None else 0
        jobs = model.lever("public_jobs")
        posts = round(jobs.pars.posts * jobs.scale) if jobs is not None else 0
        ledger = basic.ledger.paid_fen[model.t] / FEN if basic is not None else 0.0
        grows = on & (hh.mustard_mu > 0)
        month = {
            "months": 1,
            "people": people.sum(),
            "people_pa": people[pa].sum(),
            "people_edge": people[on & (hh.category == 1)].sum(),
            "income": income.sum(),
            "income_pa": income[pa].sum(),
            "income_edge": income[on & (hh.category == 1)].sum(),
            "wages": wages.sum(),
            "wages_pa": wages[pa].sum(),
            "received": received.sum(),
            "oop": cur["med_oop"] + cur["med_routine"],
            "med_cost": cur["med_cost"] + cur["med_routine"],
            "insurance": ledger,
            "insured": insured,
            "episodes": model.shocks.episodes,
            "posts_held": (jobs.holders.size if jobs is not None else 0),
            "posts": posts,
            "tonnes": hh.mustard_tonnes[on].sum(),
            "growers": grows.sum(),
            "relapses": cur["new_relapsed"],
            "relapses_illness": cur["new_relapsed_illness"] + cur["new_relapsed_chronic"],
            "n_pa": pa.sum(),
            "poor_pa": (hh.poor & pa).sum(),
            "poor_net_care_pa": (hh.poor_net_care & pa).sum(),
            "care_pa": hh.med_cost[pa].sum(),
            "oop_pa": hh.med_oop[pa].sum(),
        }
        acc = self.sums.setdefault(year, dict.fromkeys(month, 0.0))
        for k, v in month.items():
            acc[k] += float(v)
        if model.month == 12:
            dibao = model.lever("dibao")
            on_dibao = hh.dibao & on
            dibao_people = np.where(dibao.single, 1, hh.n_members)[on_dibao].sum() if dibao else 0
            tekun_people = people[hh.tekun & on].sum()
            n_hh = max(int(on.sum()), 1)
            n_monitored = int((hh.monitored & on).sum())
            self.december[year] = {
                "dibao_share": dibao_people / people.sum(),
                "tekun_share": tekun_people / people.sum(),
                "pa_dibao_tekun_share": people[pa & (hh.dibao | hh.tekun)].sum()
                / max(people[pa].sum(), 1),
                "che_share": cur["catastrophic_health"] / n_hh,
                "tekun_dibao_ratio": tekun_people / max(dibao_people, 1),
                "monitored_share": n_monitored / n_hh,
                "monitored_dibao_share": int((hh.monitored & on_dibao).sum()) / max(n_monitored, 1),
                "at_risk_share": cur["n_at_risk"] / n_hh,
            }

    def result(self) -> dict[str, dict[int, float]]:
        """``{statistic: {year: value}}`` for the years the run covers (see class docstring)."""
        out: dict[str, dict[int, float]] = {name: {} for name in STATISTICS}
        for year, s in self.sums.items():
            if s["months"] != 12:
                continue
            people = s["people"] / 12  # mean people in the year
            values = {
                "rural_income": s["income"] / people,
                "pa_income": s["income_pa"] / max(s["people_pa"] / 12, 1),
                "edge_income": s["income_edge"] / max(s["people_edge"] / 12, 1),
                "wage_share_rural": s["wages"] / max(s["income"], 1),
                "wage_share_pa": s["wages_pa"] / max(s["income_pa"], 1),
                "transfer_share_rural": s["received"] / max(s["income"], 1),
                "oop_pc": s["oop"] / people,
                "med_cost_pc": s["med_cost"] / people,
                "insurance_pc": s["insurance"] / max(s["insured"] / 12, 1),
                "inpatient_rate": s["episodes"] / people,
                "posts_filled": s["posts_held"] / s["posts"] if s["posts"] else np.nan,
                "growers": s["growers"] / 12 / self.scale,
                "mustard_tonnes_per_grower": s["tonnes"] / max(s["growers"] / 12, 1),
                "relapse_illness_share": (
                    s["relapses_illness"] / s["relapses"] if s["relapses"] else np.nan
                ),
                "oop_share_pa": s["oop_pa"] / s["care_pa"] if s["care_pa"] else np.nan,
                "pa_poor_share": s["poor_pa"] / max(s["n_pa"], 1),
                "pa_poor_net_care_share": s["poor_net_care_pa"] / max(s["n_pa"], 1),
                **self._relapse_shares(year),
            }
            values.update(self.december.get(year, {}))
            for name, v in values.items():
                out[name][year] = float(v)
        return out

    def _relapse_shares(self, year: int) -> dict[str, float]:
        """The large-scale rule's figures for ``year`` (its verdict only on the whole district)."""
        o = self.outcomes
        if year not in o.years:
            return {}
        i = o.years.index(year)
        _, rate, district = next(yearly_shares(o.new_by_town_year[i : i + 1], o.pa_by_town))
        events = [e for e in o.large_scale() if e["year"] == year]
        return {
            "relapse_share": district,
            "relapse_share_worst_town": float(rate.max(initial=0.0)),
            "large_scale": float(bool(events)) if self.judged else np.nan,
        }


# -- the target table --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Target:
    """A published figure, by year, with the band a simulated value must fall in.

    ``label`` names it in charts (its key in words if empty). ``value`` is a number (the same
    every year of ``years``) or ``{year: number}``; the band
    is ``value`` times (1 -/+ ``tolerance``), or the absolute ``[low, high]`` of ``band``.
    ``fit`` says whether the calibration fits it or only reports it (a check); ``stage`` with
    which free parameters (:class:`sim.studies.fit.Free`). A check with ``overrides`` is judged on the
    defaults with them (e.g. ``[policy=none]``), by ``experiments.validate`` only.
    """

    statistic: str
    value: Any
    label: str = ""
    years: list[int] = pos(())
    tolerance: float | None = None
    band: list[float] | None = None
    unit: str
    definition: str
    level: str
    source: str
    confidence: str
    fit: bool = True
    stage: str = "all"
    weight: float = pos(1.0)
    note: str = ""
    overrides: list[str] = ()

    def rows(self) -> list[tuple[int, float, float, float]]:
        """(year, value, low, high) for each year of the target."""
        table = Dated(self.value, self.statistic).table()
        years = list(self.years) or [y for y in table if y]
        out = []
        for year in years:
            v = Dated(self.value)(year)
            if self.band is not None:
                lo, hi = self.band
            else:
                lo, hi = v * (1 - self.tolerance), v * (1 + self.tolerance)
            out.append((year, v, lo, hi))
        return out


def targets(data: dict, where: str = "calibration.targets") -> dict[str, Target]:
    """Parse and check a target table (see :class:`Target`)."""
    out = {}
    for name, entry in data.items():
        t = parse(Target, entry, f"{where}.{name}")
        if t.statistic not in STATISTICS:
            raise ConfigError(
                f"{where}.{name}.statistic = {t.statistic!r}: unknown; use one of "
                + ", ".join(STATISTICS)
            )
        if (t.tolerance is None) == (t.band is None):
            raise ConfigError(f"{where}.{name}: give either tolerance or band")
        if t.band is not None and (len(t.band) != 2 or t.band[0] > t.band[1]):
            raise ConfigError(f"{where}.{name}.band = {list(t.band)}: give [low, high]")
        if not t.rows():
            raise ConfigError(f"{where}.{name}: no year; give value as {{year: number}} or years")
        if t.overrides and t.fit:
            raise ConfigError(
                f"{where}.{name}.overrides: only a check (fit: false) may run other settings"
            )
        out[name] = t
    return out


def fit_table(table: dict[str, Target], runs: list[dict[str, dict[int, float]]]) -> pd.DataFrame:
    """Targets beside the simulated values: mean, min and max across ``runs`` (seeds).

    ``within``: the mean lies inside the target's band. ``residual``: the distance of the mean
    from the value in half-widths of the band, on the side it lies (|r| <= 1 inside).
    """
    rows = []
    for name, t in table.items():
        for year, value, lo, hi in t.rows():
            sims = np.array([r[t.statistic].get(year, np.nan) for r in runs], float)
            mean = float(np.nanmean(sims)) if np.isfinite(sims).any() else np.nan
            half = (hi - value) if mean >= value else (value - lo)
            rows.append(
                {
                    "target": name,
                    "label": t.label or name.replace("_", " "),
                    "year": year,
                    "value": value,
                    "low": lo,
                    "high": hi,
                    "unit": t.unit,
                    "simulated": mean,
                    "sim_min": float(np.nanmin(sims)) if np.isfinite(sims).any() else np.nan,
                    "sim_max": float(np.nanmax(sims)) if np.isfinite(sims).any() else np.nan,
                    "within": bool(lo <= mean <= hi),
                    "residual": (mean - value) / half if half > 0 else 0.0,
                    "fitted": t.fit,
                    "level": t.level,
                    "confidence": t.confidence,
                    "source": t.source,
                    "note": t.note,
                }
            )
    return pd.DataFrame(rows)


def run_statistics(overrides: list[str], seed: int) -> dict[str, dict[int, float]]:
    """Run the config of ``overrides`` with ``seed`` and return its :class:`Tally` result."""
    return statistics(to_dict(compose(overrides)), seed)


def statistics(cfg: dict, seed: int) -> dict[str, dict[int, float]]:
    """Run the plain config ``cfg`` with ``seed`` and return its :class:`Tally` result."""
    model = RelapseModel(cfg | {"seed": seed, "chart": False})
    tally = Tally(model)
    while model.running:
        model.step()
        tally.month(model)
    return tally.result()
