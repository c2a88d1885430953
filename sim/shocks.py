"""Shocks, idiosyncratic and covariate.

Idiosyncratic: illness, chronic onset, disability, death, job loss. Covariate: migrant demand,
town disasters, the mustard-tuber price, lockdowns.

Every shock has its own random stream per month, and household i's draw is the stream's i-th
uniform (``sim.random``) whatever the household's state: a policy that changes a household's
labour or income never shifts anybody's shocks. A household has at most one event of each kind
a month; its chance is ``1 - (1 - p)**k`` for ``k`` people at risk, each with monthly chance p.
The idiosyncratic shocks run in one compiled pass, household by household.

Each event records the yuan it costs the household in ``hh.loss[cause]`` (a decaying
12-month account, in units of ``hh.loss_unit`` yuan) so that a relapse can be attributed to the shock that pushed it under.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from scipy.special import ndtri

from sim.errors import ConfigError
from sim.jit import jit
from sim.params import between, dated, folder_name, month, nonneg, parse, pos, prob
from sim.population import Economy, Households
from sim.random import Streams, uniform_at
from sim.schedule import FIRST_YEAR, LAST_YEAR, Dated, compound

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
    """District-wide yearly multiplier of migrant wages, lognormal(0, sigma)."""

    enabled: bool
    sigma_year: float = nonneg()


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
    months: int = pos()
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


def shock_pars(data: dict) -> ShockPars:
    """Parse and check the ``shocks`` section of a config."""
    pars = parse(ShockPars, data, "shocks")
    if pars.price.fixed:  # {year: yuan/t}, years as integers, prices > 0

        def positive(v, where):
            if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
                raise ConfigError(f"{where} = {v!r}: must be a price > 0 (yuan/t)")
            return float(v)

        table = Dated(pars.price.fixed, "shocks.price.fixed", positive).table()
        pars = replace(pars, price=replace(pars.price, fixed=table))
    return pars


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


@dataclass
class Covariates:
    """District-level shock state for the current month."""

    migrant_factor: float = 1.0  # multiplier of migrant wages (demand swing x lockdown)
    demand_factor: float = 1.0  # this year's demand swing
    price: float = 0.0  # this year's mustard market price, yuan/t
    towns_hit: tuple[int, ...] = ()  # towns hit by a disaster this month


class Shocks:
    """Applies every enabled shock for one month, in a fixed order.

    Example:
        >>> from sim.config import compose, shock_pars_from
        >>> from sim.config import population_pars
        >>> cfg = compose([])
        >>> shocks = Shocks(shock_pars_from(cfg), Streams(1), 2, population_pars(cfg).economy)
        >>> shocks.pars.illness.enabled, shocks.cost_index(2020)
        (True, 1.0)
    """

    def __init__(self, pars: ShockPars, streams: Streams, n_towns: int, econ: Economy):
        self.pars = pars
        self.streams = streams
        self.n_towns = n_towns
        self.econ = econ
        self.expected_price = econ.mustard_price_expected
        self.cov = Covariates(price=self.expected_price)
        self.episodes = 0  # households with an illness episode this month
        self._lockdowns = [(parse_month(p.start, ""), p) for p in pars.lockdown.periods]
        self._tables = None  # (size, chance tables): see _chance_tables
        self._sick = None  # buffers: households with an illness episode, their quantiles

    def cost_index(self, year: int) -> float:
        """Medical costs in ``year`` relative to the base year (``medical_cost_growth``)."""
        return compound(self.pars.medical_cost_growth, self.econ.base_year + 1, year)

    def chronic_month(self, year: int) -> float:
        """Care of a chronically ill member in ``year``, yuan per month (0 when switched off)."""
        p = self.pars.chronic
        return p.cost_month * self.cost_index(year) if p.enabled else 0.0

    def routine(self, year: int) -> tuple[float, float, float]:
        """Everyday care in ``year``, and who needs how much of it.

        Yuan per person-equivalent per month (0 without illness), and the extra weights of a
        member 60+ and of a chronically ill member.
        """
        p = self.pars.illness
        month = p.routine_month * self.cost_index(year) if p.enabled else 0.0
        return month, p.rr_elderly - 1.0, p.rr_chronic - 1.0

    def step(self, hh: Households, t: int, year: int, month: int) -> None:
        """Draw and apply this month's shocks (``t`` = model month, 1-based)."""
        self._individual(hh, t, year)
        self._migrant_demand(hh, t, month)
        self._lockdown(hh, t, year, month)
        self._disaster(hh, t, year, month)
        self._price(t, year, month)

    # -- idiosyncratic ------------------------------------------------------------------

    def _record(
        self, hh: Households, cause: str, idx: np.ndarray, loss: np.ndarray | float
    ) -> None:
        hh.loss[CAUSE[cause], idx] += loss / hh.loss_unit
        hh.new_shock[idx] = CAUSE[cause]

    def _individual(self, hh: Households, t: int, year: int) -> None:
        """Illness, chronic onset, disability, death, job loss and re-employment, in that order.

        One compiled pass (:func:`_individual_shocks`); then the cost of the illness episodes,
        whose lognormal quantile needs scipy.
        """
        p = self.pars
        size = int(hh.n_members.max(initial=0)) + 1  # every count of people is 0..size-1
        if self._tables is None or self._tables[0] != size:
            self._tables = (size, *self._chance_tables(size))
        tables = Tables(*self._tables[1:], self._bound())
        on = np.array([p.illness.enabled, p.chronic.enabled, p.disability.enabled,
                       p.death.enabled, p.jobs.enabled])  # fmt: skip
        keys = np.array([self.streams.key(name, t, part) for name, part in _KEYED], np.uint64)
        if self._sick is None or self._sick[0].size != hh.n:
            self._sick = np.empty(hh.n, np.int64), np.empty(hh.n)
            self._flags = np.empty(hh.n, np.bool_)
        months_out = 1.0 / max(p.jobs.p_reemploy, 1.0 / 24)  # expected months out of work
        index = self.cost_index(year)
        rates = Rates(
            p_lose_labour=float(p.chronic.p_lose_labour),
            p_die_elderly=monthly(p.death.p_elderly_year),
            p_die_other=monthly(p.death.p_other_year),
            chronic_cost=float(p.chronic.cost_month * index),
            in_policy_share=float(p.illness.in_policy_share),
            funeral_cost=float(p.death.funeral_cost),
            months_out=float(months_out),
            migrant_factor=float(self.cov.migrant_factor),
            per_yuan=1.0 / hh.loss_unit,
            loss_months=float(p.loss_months),
        )
        n = _individual_shocks(hh.arrays, keys, on, tables, rates, self._flags, *self._sick)
        if n == -1:
            raise IndexError("a household count outside 0..n_members: the state is corrupted")
        self.episodes = n
        sick, v = self._sick[0][:n], self._sick[1][:n]
        # Given an episode, v = u / P(episode) is uniform: it sets the cost quantile.
        cost = p.illness.cost_median * index * np.exp(p.illness.cost_sigma * ndtri(v))
        hh.med_cost[sick] += cost
        hh.med_in_policy[sick] += cost * p.illness.in_policy_share
        hh.loss[CAUSE["illness"], sick] += cost / hh.loss_unit

    def _bound(self) -> np.ndarray:
        """Rates whose sums bound each chance from above, for :func:`_screen`.

        ``1 - (1 - p)**k <= k p``; 0 for a shock switched off. Illness (per
        person-equivalent; the weights of the elderly and the chronically ill add ``rr - 1``),
        chronic onset, disability, death of the elderly and of the others, migrant and local
        job loss, re-employment. 1e-6 above, for rounding.
        """
        p = self.pars
        up = 1.0 + 1e-6
        ill, chronic, disability = p.illness.enabled, p.chronic.enabled, p.disability.enabled
        death, jobs = p.death.enabled, p.jobs.enabled
        return np.array([
            -np.log1p(-monthly(p.illness.p_person_year)) * up * ill,
            p.illness.rr_elderly - 1, p.illness.rr_chronic - 1,
            monthly(p.chronic.p_person_year) * up * chronic,
            monthly(p.disability.p_labourer_year) * up * disability,
            monthly(p.death.p_elderly_year) * up * death,
            monthly(p.death.p_other_year) * up * death,
            p.jobs.p_loss_migrant * up * jobs,
            p.jobs.p_loss_local * up * jobs,
            p.jobs.p_reemploy * up * jobs,
        ])  # fmt: skip

    def _chance_tables(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Monthly chances of each event by the counts of people at risk (0..size-1).

        Illness by (members, elderly, chronic); by count of people at risk, rows: chronic
        onset (healthy), disability (labourers), migrant and local job loss (workers),
        re-employment (seekers); death by (elderly, others).
        """
        p = self.pars
        log_well = np.log1p(-monthly(p.illness.p_person_year))  # log chance a person stays well
        n, e, c = np.meshgrid(*[np.arange(size)] * 3, indexing="ij")
        risk = n + (p.illness.rr_elderly - 1) * e + (p.illness.rr_chronic - 1) * c
        ill = -np.expm1(log_well * np.maximum(risk, 0))  # risk: person-equivalents
        by_count = np.array([
            event_table(monthly(p.chronic.p_person_year), size),
            event_table(monthly(p.disability.p_labourer_year), size),
            event_table(p.jobs.p_loss_migrant, size),
            event_table(p.jobs.p_loss_local, size),
            event_table(p.jobs.p_reemploy, size),
        ])  # fmt: skip
        live_e = 1.0 - event_table(monthly(p.death.p_elderly_year), size)  # all k elderly live
        live_o = 1.0 - event_table(monthly(p.death.p_other_year), size)
        death = 1.0 - live_e[:, None] * live_o[None, :]
        return ill, by_count, death

    # -- covariate ----------------------------------------------------------------------

    def _migrant_demand(self, hh: Households, t: int, month: int) -> None:
        p = self.pars.migrant_demand
        if p.enabled and (month == 1 or t == 1):
            z = self.streams.get("migrant_demand", t).standard_normal()
            self.cov.demand_factor = float(np.exp(p.sigma_year * z))
            if self.cov.demand_factor < 1:
                idx = np.flatnonzero(hh.active & (hh.n_migrant > 0))
                months = self.pars.loss_months  # the year's lower demand, as wages lost
                wages = hh.n_migrant[idx] * hh.wage_migrant[idx]
                lost = months * (1 - self.cov.demand_factor) * wages
                self._record(hh, "migrant_demand", idx, lost)
        self.cov.migrant_factor = self.cov.demand_factor

    def _lockdown(self, hh: Households, t: int, year: int, month: int) -> None:
        if not self.pars.lockdown.enabled:
            return
        now = year * 12 + month - 1
        for (y0, m0), p in self._lockdowns:
            start = y0 * 12 + m0 - 1
            if not start <= now < start + p.months:
                continue
            self.cov.migrant_factor *= 1 - p.wage_cut
            if now != start:
                continue
            u = self.streams.uniform("lockdown", t, hh.n)
            lost = any_event(u, p.p_job_loss, hh.n_migrant) & hh.active
            hh.n_migrant -= lost
            hh.n_seek_migrant += lost
            loss = (
                p.months * p.wage_cut * hh.n_migrant * hh.wage_migrant
                + lost * self.pars.loss_months * hh.wage_migrant
            )
            idx = np.flatnonzero(hh.active & (loss > 0))
            self._record(hh, "lockdown", idx, loss[idx])

    def _disaster(self, hh: Households, t: int, year: int, month: int) -> None:
        p = self.pars.disaster
        self.cov.towns_hit = ()
        events = [e for e in p.events if (e.year, e.month) == (year, month)]
        if not p.enabled or (month not in p.season and not events):
            return
        rng = self.streams.get("disaster", t)
        u_town, u_pick = rng.random(self.n_towns), rng.random(self.n_towns)
        hit = np.zeros(self.n_towns, bool)
        if month in p.season:
            p_month = 1.0 - (1.0 - p.p_town_year) ** (1.0 / len(p.season))
            hit |= u_town < p_month
        for e in events:
            hit[np.argsort(u_pick)[: min(e.towns, self.n_towns)]] = True
        if not hit.any():
            return
        self.cov.towns_hit = tuple(np.flatnonzero(hit).tolist())
        u = rng.random(hh.n)
        affected = np.flatnonzero(hit[hh.town] & (u < p.share_hit) & hh.active)
        hh.crop_loss[affected] = p.crop_loss
        hh.crop_loss_until[affected] = t + p.loss_months
        # Given a hit, u / share_hit is uniform: it sets the asset-loss quantile.
        v = u[affected] / max(p.share_hit, 1e-300)
        assets = p.asset_median * np.exp(p.asset_sigma * ndtri(v))
        hh.one_off[affected] += assets
        e = self.econ  # the year's farm income at the expected price, yuan
        net_per_mu = e.mustard_yield * e.mustard_price_expected * (1 - e.mustard_cost_share)
        farm = hh.other_farm[affected] + hh.mustard_mu[affected] * net_per_mu
        self._record(hh, "disaster", affected, assets + p.crop_loss * farm)

    def _price(self, t: int, year: int, month: int) -> None:
        p = self.pars.price
        if month == 1 or t == 1:
            if p.fixed and year in p.fixed:
                self.cov.price = float(p.fixed[year])
            elif p.enabled:
                z = self.streams.get("price", t).standard_normal()
                self.cov.price = float(p.median * np.exp(p.sigma * z))
            else:
                self.cov.price = self.expected_price


# The household draws of the compiled pass: (stream, part), in the order of its ``keys``.
_KEYED = (("illness", 0), ("chronic", 0), ("disability", 0), ("death", 0),
          ("jobs", 0), ("jobs", 1), ("jobs", 2))  # fmt: skip
_ILLNESS, _CHRONIC, _DISABILITY, _DEATH, _JOB_LOSS = (
    CAUSE[c] for c in ("illness", "chronic", "disability", "death", "job_loss")
)


class Tables(NamedTuple):
    """Monthly chances of the individual shocks by counts (:meth:`Shocks._chance_tables`)."""

    ill: np.ndarray  # an illness episode, by (members, elderly, chronically ill)
    by_count: np.ndarray  # chronic onset, disability, migrant and local job loss, re-employment
    death: np.ndarray  # a member dies, by (elderly, others)
    bound: np.ndarray  # rates bounding each chance from above (:meth:`Shocks._bound`)


class Rates(NamedTuple):
    """The month's rates and amounts of the individual shocks (floats; money in yuan)."""

    p_lose_labour: float  # chance that chronic onset takes a labourer out of work (per share)
    p_die_elderly: float  # monthly chance of death, a member 60+
    p_die_other: float  # monthly chance of death, another member
    chronic_cost: float  # care of a chronically ill member this month
    in_policy_share: float  # share of medical costs within the insurance catalogue
    funeral_cost: float
    months_out: float  # expected months out of work after a job loss
    migrant_factor: float  # this month's multiplier of migrant wages
    per_yuan: float  # loss units per yuan (1 / ``Households.loss_unit``)
    loss_months: float  # months of lost wages or care a shock's loss account books


@jit
def _individual_shocks(hh, keys, on, tables, rates, flags, sick_idx, sick_v):
    """A month's idiosyncratic shocks (see :class:`Shocks`).

    ``on`` switches illness, chronic onset, disability, death and jobs; ``keys`` are their
    streams' keys (``_KEYED``), ``tables`` their chances (:class:`Tables`), ``rates`` the
    month's :class:`Rates`. Each
    household's events depend only on its own counts and draws, and its counts change only
    through its own events. So a first pass (:func:`_screen`, without branches) finds the
    households with any event on their counts at the start of the month, and a second
    (:func:`_events`) plays those households' month shock by shock, in household order: what
    one pass per shock would give.

    Households with an illness episode and their cost quantiles go to the front of
    ``sick_idx`` and ``sick_v``; returns how many (-1 if a count falls outside the tables: a
    corrupted state). Losses go to ``hh.loss`` times ``rates.per_yuan`` (units of
    ``Households.loss_unit``).
    """
    top = tables.by_count.shape[1] - 1
    chronic_cost = rates.chronic_cost if on[1] else 0.0
    if _screen(hh, keys, tables.bound, top, chronic_cost, rates.in_policy_share, flags):
        return -1
    flagged, n = np.empty(flags.size, np.int64), 0
    for i in range(flags.size):  # without a branch
        flagged[n] = i
        n += flags[i]
    return _events(hh, flagged[:n], keys, on, tables, rates, sick_idx, sick_v)


@jit
def _screen(hh, keys, bound, top, chronic_cost, in_policy_share, flags):
    """Flag the active households that may have an event, on their counts at the month's start.

    The others' month is done here (no event: only the cost of chronic care).

    An upper bound of each chance will do (the flagged households are played exactly), and
    arithmetic vectorises where table lookups do not: ``1 - (1 - p)**k <= k p``, with the
    rates of :meth:`Shocks._bound`. Returns whether a count is outside 0..n_members or above
    ``top``, the tables' last row.
    """
    (n_members, n_elderly, n_chronic, n_labour, n_migrant, n_local, n_seek_migrant,
     n_seek_local, active, med_cost, med_in_policy, one_off, new_shock) = (
        hh.n_members, hh.n_elderly, hh.n_chronic, hh.n_labour, hh.n_migrant, hh.n_local,
        hh.n_seek_migrant, hh.n_seek_local, hh.active, hh.med_cost, hh.med_in_policy,
        hh.one_off, hh.new_shock
    )  # fmt: skip
    q_ill, w_elderly, w_chronic, p_chronic, p_disability = bound[0:5]
    p_die_elderly, p_die_other, p_migrant, p_local, p_back = bound[5:10]
    bad = False
    for i in range(n_members.size):
        m, e, c, lab = n_members[i], n_elderly[i], n_chronic[i], n_labour[i]
        mig, loc = n_migrant[i], n_local[i]
        seekers = n_seek_migrant[i] + n_seek_local[i]
        bad |= min(e, c, m - e, m - c, lab, mig, loc, seekers) < 0
        bad |= max(lab, mig, loc, seekers) > top
        hit = uniform_at(keys[0], i) < q_ill * max(m + w_elderly * e + w_chronic * c, 0.0)
        hit |= uniform_at(keys[1], i) < p_chronic * (m - c)
        hit |= uniform_at(keys[2], i) < p_disability * lab
        hit |= uniform_at(keys[3], i) < p_die_elderly * e + p_die_other * (m - e)
        hit |= uniform_at(keys[4], i) < p_migrant * mig
        hit |= uniform_at(keys[5], i) < p_local * loc
        hit |= uniform_at(keys[6], i) < p_back * seekers
        flags[i] = hit & active[i]
        cost = chronic_cost * c
        med_cost[i], med_in_policy[i], one_off[i] = cost, cost * in_policy_share, 0.0
        new_shock[i] = -1
    return bad


@jit
def _events(hh, households, keys, on, tables, rates, sick_idx, sick_v):
    """The month of each of ``households``, shock by shock (see :func:`_individual_shocks`)."""
    (loss, med_cost, med_in_policy, one_off, new_shock, n_members, active, n_elderly,
     n_chronic, n_labour, n_disabled, n_seek_migrant, n_seek_local, n_migrant, n_local,
     wage_migrant, wage_local) = (
        hh.loss, hh.med_cost, hh.med_in_policy, hh.one_off, hh.new_shock, hh.n_members,
        hh.active, hh.n_elderly, hh.n_chronic, hh.n_labour, hh.n_disabled,
        hh.n_seek_migrant, hh.n_seek_local, hh.n_migrant, hh.n_local, hh.wage_migrant,
        hh.wage_local
    )  # fmt: skip
    ill, by_count, death = tables.ill, tables.by_count, tables.death
    (p_lose_labour, p_die_elderly, p_die_other, chronic_cost, in_policy_share, funeral_cost,
     months_out, migrant_factor, per_yuan, loss_months) = rates  # fmt: skip
    unit = np.float32(per_yuan)  # losses in float32 arithmetic, as the wages
    m32 = np.float32(months_out) * unit
    factor32 = np.float32(migrant_factor)
    chronic_loss32 = np.float32(loss_months * chronic_cost) * unit
    funeral32 = np.float32(funeral_cost) * unit  # (funerals and lost wages as loss units)
    wage_months = np.float32(loss_months) * unit  # a lost worker costs loss_months of wages
    n_sick = 0
    for i in households:
        med_cost[i] = med_in_policy[i] = one_off[i] = 0.0
        new_shock[i] = -1
        members = n_members[i]
        if active[i]:
            if on[0]:  # acute illness (its cost is drawn after the pass)
                chance = ill[members, n_elderly[i], n_chronic[i]]
                u = uniform_at(keys[0], i)
                if u < chance:
                    sick_idx[n_sick], sick_v[n_sick] = i, u / chance
                    n_sick += 1
                    new_shock[i] = _ILLNESS
            if on[1]:  # chronic onset among the healthy; a labourer patient may stop work
                chance = by_count[0, members - n_chronic[i]]
                u = uniform_at(keys[1], i)
                if u < chance:
                    n_chronic[i] += 1
                    loss[_CHRONIC, i] += chronic_loss32
                    new_shock[i] = _CHRONIC
                    if u / chance < p_lose_labour * n_labour[i] / max(members, 1):
                        wage = _take_worker(hh, i)
                        loss[_CHRONIC, i] += wage_months * wage
            if on[2] and uniform_at(keys[2], i) < by_count[1, n_labour[i]]:  # disability
                wage = _take_worker(hh, i)
                n_disabled[i] += 1
                loss[_DISABILITY, i] += wage_months * wage
                new_shock[i] = _DISABILITY
            others = members - n_elderly[i]
            u = uniform_at(keys[3], i)
            if on[3] and u < death[n_elderly[i], others]:  # a member dies (rare: call then)
                _die(
                    hh, i, u / death[n_elderly[i], others], p_die_elderly, p_die_other,
                    funeral_cost, funeral32, wage_months,
                )  # fmt: skip
        if on[4] and active[i]:  # job loss, then re-employment of earlier seekers
            seekers = n_seek_migrant[i] + n_seek_local[i]
            lose_m = uniform_at(keys[4], i) < by_count[2, n_migrant[i]]
            lose_l = uniform_at(keys[5], i) < by_count[3, n_local[i]]
            back = seekers > 0 and uniform_at(keys[6], i) < by_count[4, seekers]  # few seek
            if lose_m:
                n_migrant[i] -= 1
                n_seek_migrant[i] += 1
                loss[_JOB_LOSS, i] += m32 * wage_migrant[i] * factor32
                new_shock[i] = _JOB_LOSS
            if lose_l:
                n_local[i] -= 1
                n_seek_local[i] += 1
                loss[_JOB_LOSS, i] += m32 * wage_local[i]
                new_shock[i] = _JOB_LOSS
            if back & ~lose_m & ~lose_l:  # one seeker, back to the kind of work they lost
                if n_seek_migrant[i] > 0:
                    n_seek_migrant[i] -= 1
                    n_migrant[i] += 1
                else:
                    n_seek_local[i] -= 1
                    n_local[i] += 1
        if on[1]:  # the month's cost of chronic care, in policy in part
            cost = chronic_cost * n_chronic[i]
            med_cost[i] += cost
            med_in_policy[i] += cost * in_policy_share
    return n_sick


@jit
def _die(hh, i, v, p_die_elderly, p_die_other, funeral_cost, funeral_loss, wage_months):
    """A member of household ``i`` dies: who, in proportion to each member's hazard.

    ``v`` = u / P(death) is uniform given the death: it picks an elderly member or another
    one; rescaled (uniform again), the other's type in proportion to numbers.
    """
    (n_members, n_elderly, n_labour, n_school, n_disabled, n_chronic, one_off, active, loss,
     new_shock) = (
        hh.n_members, hh.n_elderly, hh.n_labour, hh.n_school, hh.n_disabled, hh.n_chronic,
        hh.one_off, hh.active, hh.loss, hh.new_shock
    )  # fmt: skip
    others = n_members[i] - n_elderly[i]
    h_e, h_o = p_die_elderly * n_elderly[i], p_die_other * others
    share_e = h_e / (h_e + h_o)
    worker, wage = False, np.float32(0.0)
    if v < share_e:
        n_elderly[i] -= 1
    else:
        w = (v - share_e) / (1.0 - share_e)
        n_o = max(others, 1)
        c1 = n_labour[i] / n_o
        c2 = c1 + n_school[i] / n_o
        c3 = c2 + n_disabled[i] / n_o
        if w < c1:
            worker = True
            wage = _take_worker(hh, i)
        elif w < c2:
            n_school[i] -= 1
        elif w < c3:
            n_disabled[i] -= 1
    n_members[i] -= 1
    n_chronic[i] = min(n_chronic[i], n_members[i])  # the deceased may have been chronically ill
    one_off[i] += funeral_cost
    active[i] = n_members[i] > 0
    loss[_DEATH, i] += funeral_loss
    new_shock[i] = _DEATH
    if worker:
        loss[_DEATH, i] += wage_months * wage


@jit
def _take_worker(hh, i):
    """Take one labourer of household ``i`` out of work; the monthly wage lost (float32).

    The worker comes from migrant work first, then local work, then job seekers, then farming.
    A household without a labourer is left alone (wage lost 0).
    """
    (n_labour, n_migrant, wage_migrant, n_local, wage_local, n_seek_migrant, n_seek_local) = (
        hh.n_labour, hh.n_migrant, hh.wage_migrant, hh.n_local, hh.wage_local,
        hh.n_seek_migrant, hh.n_seek_local
    )  # fmt: skip
    if n_labour[i] <= 0:
        return np.float32(0.0)
    n_labour[i] -= 1
    if n_migrant[i] > 0:
        n_migrant[i] -= 1
        return wage_migrant[i]
    if n_local[i] > 0:
        n_local[i] -= 1
        return wage_local[i]
    if n_seek_migrant[i] > 0:
        n_seek_migrant[i] -= 1
    elif n_seek_local[i] > 0:
        n_seek_local[i] -= 1
    return np.float32(0.0)
