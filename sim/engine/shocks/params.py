"""Shock parameters (``scenarios/shocks/*.yaml``), causes, and chances by count at risk.

A household has at most one event of each kind a month; its chance is ``1 - (1 - p)**k`` for
``k`` people at risk, each with monthly chance p.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.core.errors import ConfigError
from sim.core.params import between, dated, folder_name, month, nonneg, parse, pos, prob
from sim.core.schedule import FIRST_YEAR, LAST_YEAR, Dated

CAUSES = (
    "structural", "illness", "chronic", "disability", "death",
    "job_loss", "migrant_demand", "disaster", "price", "lockdown",
)  # fmt: skip
CAUSE = {name: i for i, name in enumerate(CAUSES)}


@dataclass(frozen=True, kw_only=True)
class Illness:
    """Acute illness episodes (inpatient care); costs in yuan per episode, base-year prices.

    ``routine_month`` is everyday care (outpatient visits, medicines), yuan per
    person-equivalent (the same weights as the episodes) per month: part of ordinary
    consumption, it is counted in out-of-pocket spending and in catastrophic health
    expenditure, not deducted from income for poverty status (the poverty line's basket
    covers it), and no lever reimburses it.
    """

    enabled: bool
    p_person_year: float = prob()
    rr_elderly: float = nonneg()
    rr_chronic: float = nonneg()
    cost_median: float = nonneg()
    cost_sigma: float = nonneg()
    in_policy_share: float = prob()
    routine_month: float = nonneg()


@dataclass(frozen=True, kw_only=True)
class Chronic:
    """Onset of chronic illness."""

    enabled: bool
    p_person_year: float = prob()
    cost_month: float = nonneg()
    p_lose_labour: float = prob()


@dataclass(frozen=True, kw_only=True)
class Disability:
    """A labourer becomes unable to work."""

    enabled: bool
    p_labourer_year: float = prob()


@dataclass(frozen=True, kw_only=True)
class Death:
    """Death of a member."""

    enabled: bool
    p_elderly_year: float = prob()
    p_other_year: float = prob()
    funeral_cost: float = nonneg()


@dataclass(frozen=True, kw_only=True)
class Jobs:
    """Job loss (per worker-month) and re-employment (per seeker-month)."""

    enabled: bool
    p_loss_migrant: float = prob()
    p_loss_local: float = prob()
    p_reemploy: float = prob()


@dataclass(frozen=True, kw_only=True)
class MigrantDemand:
    """District-wide yearly multiplier of migrant wages, lognormal(0, sigma).

    ``fixed`` years (``{year: multiplier}``, from the history) replace the draw.
    """

    enabled: bool
    sigma_year: float = nonneg()
    fixed: dict[int, float] | None = None


@dataclass(frozen=True, kw_only=True)
class DisasterEvent:
    """A fixed disaster: ``towns`` towns (chosen at random) hit in ``year``-``month``."""

    year: int = between(FIRST_YEAR, LAST_YEAR)
    month: int = month()
    towns: int = pos()


@dataclass(frozen=True, kw_only=True)
class Disaster:
    """Town-level natural disasters."""

    enabled: bool
    p_town_year: float = prob()
    season: list[int] = month()
    share_hit: float = prob()
    crop_loss: float = prob()
    loss_months: int = nonneg()
    asset_median: float = nonneg()
    asset_sigma: float = nonneg()
    events: list[DisasterEvent]


@dataclass(frozen=True, kw_only=True)
class Price:
    """Mustard-tuber market price, yuan/t, lognormal; ``fixed`` years replace the draw."""

    enabled: bool
    median: float = pos()
    sigma: float = nonneg()
    fixed: dict[int, float] | None


@dataclass(frozen=True, kw_only=True)
class LockdownPeriod:
    """From ``start`` ("YYYY-MM") for ``months``: wages cut, some migrants sent home."""

    start: str
    months: int = between(1, 60, unit=" months (the whole transition; assumption)")
    wage_cut: float = prob()
    p_job_loss: float = prob()

    def validate(self, where: str) -> None:
        """``start`` is a month of the calendar."""
        year, _ = parse_month(self.start, f"{where}.start")
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ConfigError(
                f"{where}.start = {self.start!r}: outside {FIRST_YEAR}-{LAST_YEAR}, the years "
                "a run may cover"
            )


@dataclass(frozen=True, kw_only=True)
class Lockdown:
    """Epidemic-style lockdowns."""

    enabled: bool
    periods: list[LockdownPeriod]


@dataclass(frozen=True, kw_only=True)
class ShockPars:
    """All shock parameters (``scenarios/shocks/*.yaml``)."""

    name: str = folder_name()
    medical_cost_growth: Dated = dated("any")
    loss_months: int = between(1, 120)
    illness: Illness
    chronic: Chronic
    disability: Disability
    death: Death
    jobs: Jobs
    migrant_demand: MigrantDemand
    disaster: Disaster
    price: Price
    lockdown: Lockdown


@dataclass(frozen=True, kw_only=True)
class History:
    """What is known of the years simulated (``scenarios/history/*.yaml``).

    In its years a known value replaces the random draw of a covariate shock: the mustard
    price (yuan/t), the migrant-demand multiplier (1 where the fitted wage path already holds
    the year), lockdowns and disasters that happened. Years it does not cover draw as usual.
    """

    name: str = folder_name()
    price: dict[int, float] | None
    migrant_demand: dict[int, float] | None
    lockdowns: list[LockdownPeriod]
    disasters: list[DisasterEvent]


def _table(value: dict | None, where: str, unit: str) -> dict[int, float]:
    """A ``{year: value > 0}`` table with integer years ({} for None)."""

    def positive(v, key):
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < 1e6:
            raise ConfigError(f"{key} = {v!r}: must be a number above 0 and below 1e6 ({unit})")
        return float(v)

    return Dated(value, where, positive).table() if value else {}


def history_pars(data: dict) -> History:
    """Parse and check the ``history`` section of a config."""
    pars = parse(History, data, "history")
    return replace(
        pars,
        price=_table(pars.price, "history.price", "yuan/t"),
        migrant_demand=_table(pars.migrant_demand, "history.migrant_demand", "multiplier"),
    )


def shock_pars(data: dict, history: History | None = None) -> ShockPars:
    """Parse and check the ``shocks`` section of a config, with the ``history`` laid under it.

    The history's known years come first; a shock scenario's own fixed prices, lockdowns and
    disaster events are added (a scenario's price wins in a year both give). A shock switched
    off (``enabled: false``) takes nothing from the history.
    """
    pars = parse(ShockPars, data, "shocks")
    price = _table(pars.price.fixed, "shocks.price.fixed", "yuan/t")
    demand = _table(pars.migrant_demand.fixed, "shocks.migrant_demand.fixed", "multiplier")
    periods, events = list(pars.lockdown.periods), list(pars.disaster.events)
    if history is not None:
        if pars.price.enabled:
            price = history.price | price
        if pars.migrant_demand.enabled:
            demand = history.migrant_demand | demand
        if pars.lockdown.enabled:
            periods = list(history.lockdowns) + periods
        if pars.disaster.enabled:
            events = list(history.disasters) + events
    return replace(
        pars,
        price=replace(pars.price, fixed=price or None),
        migrant_demand=replace(pars.migrant_demand, fixed=demand or None),
        lockdown=replace(pars.lockdown, periods=periods),
        disaster=replace(pars.disaster, events=events),
    )


def parse_month(text: str, where: str) -> tuple[int, int]:
    """(year, month) of a ``YYYY-MM`` text; a ConfigError naming ``where`` otherwise."""
    try:
        year, month = (int(x) for x in str(text).split("-"))
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"{where} = {text!r}: must be a month written YYYY-MM, e.g. 2022-04"
        ) from None
    return year, month


def monthly(p_year: float) -> float:
    """Monthly chance of an event with yearly chance ``p_year`` (constant hazard)."""
    return 1.0 - (1.0 - p_year) ** (1.0 / 12.0)


def event_table(p: float, size: int) -> np.ndarray:
    """Chance of at least one event among 0, 1, ..., size - 1 people, each with chance ``p``."""
    return 1.0 - (1.0 - p) ** np.arange(size)


def any_event(u: np.ndarray, p: float, k: np.ndarray | int) -> np.ndarray:
    """Households with at least one of ``k`` independent events of chance ``p``, given uniforms.

    ``k`` may be fractional (person-equivalents at risk). Example:
        >>> any_event(np.array([0.1, 0.5, 0.8]), 0.5, np.array([1, 1, 3])).tolist()
        [True, False, True]
    """
    if isinstance(k, np.ndarray) and k.dtype.kind in "iu" and p < 1.0:
        none = (1.0 - p) ** np.arange(int(k.max(initial=0)) + 1)  # P(no event) by k, a table
        return u < 1.0 - none[np.maximum(k, 0)]
    return u < 1.0 - (1.0 - p) ** k
