"""Shocks, idiosyncratic and covariate.

Idiosyncratic: illness, chronic onset, disability, death, job loss. Covariate: migrant demand,
town disasters, the mustard-tuber price, lockdowns.

Every shock has its own random stream per month and draws one uniform per household whatever
the household's state (draw for everyone, then mask): a policy that changes a household's
labour or income never shifts anybody's shocks. A household has at most one event of each kind
a month; its chance is ``1 - (1 - p)**k`` for ``k`` people at risk, each with monthly chance p.

Each event records the yuan it costs the household in ``hh.loss[cause]`` (a decaying
12-month account) so that a relapse can be attributed to the shock that pushed it under.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from sim.errors import ConfigError
from sim.jit import jit
from sim.params import nonneg, parse, pos, prob
from sim.population import Households
from sim.random import Streams, uniform_at
from sim.schedule import Dated

CAUSES = (
    "structural", "illness", "chronic", "disability", "death",
    "job_loss", "migrant_demand", "disaster", "price", "lockdown",
)  # fmt: skip
CAUSE = {name: i for i, name in enumerate(CAUSES)}


@dataclass(frozen=True, kw_only=True)
class Illness:
    """Acute illness episodes; costs in yuan per episode."""

    enabled: bool
    p_person_year: float = prob()
    rr_elderly: float = nonneg()
    rr_chronic: float = nonneg()
    cost_median: float = nonneg()
    cost_sigma: float = nonneg()
    in_policy_share: float = prob()


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

    year: int = pos()
    month: int = pos()
    towns: int = pos()


@dataclass(frozen=True, kw_only=True)
class Disaster:
    """Town-level natural disasters."""

    enabled: bool
    p_town_year: float = prob()
    season: list[int] = pos()
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


@dataclass(frozen=True, kw_only=True)
class Lockdown:
    """Epidemic-style lockdowns."""

    enabled: bool
    periods: list[LockdownPeriod]


@dataclass(frozen=True, kw_only=True)
class ShockPars:
    """All shock parameters (``scenarios/shocks/*.yaml``)."""

    name: str
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
    for i, p in enumerate(pars.lockdown.periods):
        parse_month(p.start, f"shocks.lockdown.periods[{i}].start")
    for year, value in (pars.price.fixed or {}).items():
        Dated({year: value}, f"shocks.price.fixed.{year}")
    for i, e in enumerate(pars.disaster.events):
        if not 1 <= e.month <= 12:
            raise ConfigError(f"shocks.disaster.events[{i}].month = {e.month}: must be 1-12")
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


def event_table(p: float, k: np.ndarray) -> np.ndarray:
    """Chance of at least one event among 0, 1, ..., max(k) people, each with chance ``p``."""
    return 1.0 - (1.0 - p) ** np.arange(int(k.max(initial=0)) + 1)


def table_events(
    key: np.uint64, table: np.ndarray, keys: tuple[np.ndarray, ...], active: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Active households whose uniform falls below their chance: indices, uniforms, chances.

    Household ``i``'s uniform is ``uniform_at(key, i)`` (``Streams.key``); its chance is
    ``table[keys[0][i], keys[1][i], ...]`` (small counts).

    Example:
        >>> k, on = np.array([0, 1, 2, 3]), np.ones(4, bool)
        >>> idx, u, chance = table_events(Streams(1).key("x", 1), event_table(0.5, k), (k,), on)
        >>> bool((u < chance).all() and (chance == event_table(0.5, k)[k[idx]]).all())
        True
    """
    for k, size in zip(keys, table.shape, strict=True):  # the loop does not check bounds
        if k.size and (k.min() < 0 or k.max() >= size):
            raise IndexError(f"a count outside the table's range 0..{size - 1}")
    n = active.size
    idx, u, chance = np.empty(n, np.int64), np.empty(n), np.empty(n)
    hits = _hits(key, table.ravel(), keys, np.array(table.shape), active, idx, u, chance)
    return idx[:hits], u[:hits], chance[:hits]


@jit
def _hits(key, table, keys, shape, active, out_idx, out_u, out_chance):
    """Where the household's uniform is below the chance looked up in ``table`` by ``keys``.

    Active households only; ``table`` is flat, of ``shape``; the indices, uniforms and chances
    go to the front of the outputs; returns how many.
    """
    n = 0
    for i in range(active.size):  # without a branch: a hit is random
        k = 0
        for j in range(len(keys)):
            k = k * shape[j] + keys[j][i]
        u = uniform_at(key, i)
        out_idx[n], out_u[n], out_chance[n] = i, u, table[k]
        n += (u < table[k]) & active[i]
    return n


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
        >>> shocks = Shocks(shock_pars_from(compose([])), Streams(1), n_towns=2, expected_price=800)
        >>> shocks.pars.illness.enabled
        True
    """

    def __init__(self, pars: ShockPars, streams: Streams, n_towns: int, expected_price: float):
        self.pars = pars
        self.streams = streams
        self.n_towns = n_towns
        self.expected_price = expected_price
        self.cov = Covariates(price=expected_price)
        self._lockdowns = [(parse_month(p.start, ""), p) for p in pars.lockdown.periods]

    def step(self, hh: Households, t: int, year: int, month: int) -> None:
        """Draw and apply this month's shocks (``t`` = model month, 1-based)."""
        hh.med_cost[:] = 0.0
        hh.med_in_policy[:] = 0.0
        hh.one_off[:] = 0.0
        hh.new_shock[:] = -1
        p = self.pars
        self._illness(hh, t)
        self._chronic(hh, t)
        self._disability(hh, t)
        self._death(hh, t)
        self._jobs(hh, t)
        self._migrant_demand(hh, t, month)
        self._lockdown(hh, t, year, month)
        self._disaster(hh, t, year, month)
        self._price(t, year, month)
        if p.chronic.enabled:
            _chronic_care(
                hh.n_chronic, p.chronic.cost_month, p.illness.in_policy_share, hh.med_cost,
                hh.med_in_policy,
            )  # fmt: skip

    # -- idiosyncratic ------------------------------------------------------------------

    def _record(
        self, hh: Households, cause: str, idx: np.ndarray, loss: np.ndarray | float
    ) -> None:
        hh.loss[CAUSE[cause], idx] += loss
        hh.new_shock[idx] = CAUSE[cause]

    def _illness(self, hh: Households, t: int) -> None:
        p = self.pars.illness
        if not p.enabled:
            return
        log_well = np.log1p(-monthly(p.p_person_year))  # log chance a person stays well
        size = int(hh.n_members.max(initial=0)) + 1  # members, elderly and chronic: 0..size-1
        n, e, c = np.meshgrid(*[np.arange(size)] * 3, indexing="ij")
        risk = n + (p.rr_elderly - 1) * e + (p.rr_chronic - 1) * c  # person-equivalents
        table = -np.expm1(log_well * np.maximum(risk, 0))
        keys = (hh.n_members, hh.n_elderly, hh.n_chronic)
        sick, u, p_hh = table_events(self.streams.key("illness", t), table, keys, hh.active)
        # Given an episode, u / p_hh is again uniform: it sets the cost quantile.
        cost = p.cost_median * np.exp(p.cost_sigma * ndtri(u / p_hh))
        hh.med_cost[sick] += cost
        hh.med_in_policy[sick] += cost * p.in_policy_share
        self._record(hh, "illness", sick, cost)

    def _chronic(self, hh: Households, t: int) -> None:
        p = self.pars.chronic
        if not p.enabled:
            return
        table = event_table(monthly(p.p_person_year), hh.n_members)
        well = (hh.n_members - hh.n_chronic,)
        onset, u, p_hh = table_events(self.streams.key("chronic", t), table, well, hh.active)
        hh.n_chronic[onset] += 1
        # The new patient is a labourer with chance n_labour / n_members; some stop working.
        v = u / p_hh
        lose = onset[v < p.p_lose_labour * hh.n_labour[onset] / np.maximum(hh.n_members[onset], 1)]
        wage = _remove_worker(hh, lose)
        self._record(hh, "chronic", onset, 12 * p.cost_month)
        self._record(hh, "chronic", lose, 12 * wage)

    def _disability(self, hh: Households, t: int) -> None:
        p = self.pars.disability
        if not p.enabled:
            return
        table = event_table(monthly(p.p_labourer_year), hh.n_labour)
        key = self.streams.key("disability", t)
        hit, _, _ = table_events(key, table, (hh.n_labour,), hh.active)
        wage = _remove_worker(hh, hit)
        hh.n_disabled[hit] += 1
        self._record(hh, "disability", hit, 12 * wage)

    def _death(self, hh: Households, t: int) -> None:
        p = self.pars.death
        if not p.enabled:
            return
        pe, po = monthly(p.p_elderly_year), monthly(p.p_other_year)
        others = hh.n_members - hh.n_elderly
        live_e = 1.0 - event_table(pe, hh.n_members)  # chance that all of k elderly live
        live_o = 1.0 - event_table(po, hh.n_members)
        table = 1.0 - live_e[:, None] * live_o[None, :]  # by (elderly, others)
        key = self.streams.key("death", t)
        dies, u, p_die = table_events(key, table, (hh.n_elderly, others), hh.active)
        # Given a death, v = u / P(death) is uniform: it picks who died, in proportion to each
        # member's hazard; then a member type among the non-elderly, in proportion to numbers.
        v = u / p_die
        h_e, h_o = pe * hh.n_elderly[dies], po * others[dies]
        share_e = h_e / (h_e + h_o)
        is_e = v < share_e
        hh.n_elderly[dies[is_e]] -= 1
        rest = dies[~is_e]
        w = (v[~is_e] - share_e[~is_e]) / (1.0 - share_e[~is_e])  # uniform again
        n_o = np.maximum(others[rest], 1)
        c1 = hh.n_labour[rest] / n_o
        c2 = c1 + hh.n_school[rest] / n_o
        c3 = c2 + hh.n_disabled[rest] / n_o
        wage = _remove_worker(hh, rest[w < c1])
        hh.n_school[rest[(w >= c1) & (w < c2)]] -= 1
        hh.n_disabled[rest[(w >= c2) & (w < c3)]] -= 1
        hh.n_members[dies] -= 1
        # The deceased may have been chronically ill: keep n_chronic <= n_members.
        hh.n_chronic[dies] = np.minimum(hh.n_chronic[dies], hh.n_members[dies])
        hh.one_off[dies] += p.funeral_cost
        hh.active[dies] = hh.n_members[dies] > 0
        self._record(hh, "death", dies, p.funeral_cost)
        self._record(hh, "death", rest[w < c1], 12 * wage)

    def _jobs(self, hh: Households, t: int) -> None:
        p = self.pars.jobs
        if not p.enabled:
            return
        k_m, k_l, k_r = (self.streams.key("jobs", t, part) for part in range(3))
        months_out = 1.0 / max(p.p_reemploy, 1.0 / 24)  # expected months out of work
        table = event_table(p.p_loss_migrant, hh.n_migrant)
        im = table_events(k_m, table, (hh.n_migrant,), hh.active)[0]
        il = table_events(k_l, event_table(p.p_loss_local, hh.n_local), (hh.n_local,), hh.active)[0]
        seekers = hh.n_seek_migrant + hh.n_seek_local  # before this month's losses
        hh.n_migrant[im] -= 1
        hh.n_seek_migrant[im] += 1
        hh.n_local[il] -= 1
        hh.n_seek_local[il] += 1
        self._record(hh, "job_loss", im, months_out * hh.wage_migrant[im] * self.cov.migrant_factor)
        hh.loss[CAUSE["job_loss"], il] += months_out * hh.wage_local[il]
        hh.new_shock[il] = CAUSE["job_loss"]
        # Re-employment: one seeker a month at most, back into the kind of work they lost.
        back = table_events(k_r, event_table(p.p_reemploy, seekers), (seekers,), hh.active)[0]
        lost = np.zeros(hh.n, bool)
        lost[im] = lost[il] = True
        back = back[~lost[back]]  # not who lost work this month
        to_m = back[hh.n_seek_migrant[back] > 0]
        to_l = back[hh.n_seek_migrant[back] == 0]
        hh.n_seek_migrant[to_m] -= 1
        hh.n_migrant[to_m] += 1
        hh.n_seek_local[to_l] -= 1
        hh.n_local[to_l] += 1

    # -- covariate ----------------------------------------------------------------------

    def _migrant_demand(self, hh: Households, t: int, month: int) -> None:
        p = self.pars.migrant_demand
        z = self.streams.get("migrant_demand", t).standard_normal()
        if p.enabled and (month == 1 or t == 1):
            self.cov.demand_factor = float(np.exp(p.sigma_year * z))
            if self.cov.demand_factor < 1:
                idx = np.flatnonzero(hh.active & (hh.n_migrant > 0))
                lost = 12 * (1 - self.cov.demand_factor) * hh.n_migrant[idx] * hh.wage_migrant[idx]
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
                p.months * p.wage_cut * hh.n_migrant * hh.wage_migrant + lost * 12 * hh.wage_migrant
            )
            idx = np.flatnonzero(hh.active & (loss > 0))
            self._record(hh, "lockdown", idx, loss[idx])

    def _disaster(self, hh: Households, t: int, year: int, month: int) -> None:
        p = self.pars.disaster
        self.cov.towns_hit = ()
        if not p.enabled:
            return
        rng = self.streams.get("disaster", t)
        u_town, u_pick = rng.random(self.n_towns), rng.random(self.n_towns)
        hit = np.zeros(self.n_towns, bool)
        if month in p.season:
            p_month = 1.0 - (1.0 - p.p_town_year) ** (1.0 / len(p.season))
            hit |= u_town < p_month
        for e in p.events:
            if (e.year, e.month) == (year, month):
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
        farm = hh.other_farm[affected] + hh.mustard_mu[affected] * self.expected_price
        self._record(hh, "disaster", affected, assets + p.crop_loss * farm)

    def _price(self, t: int, year: int, month: int) -> None:
        p = self.pars.price
        z = self.streams.get("price", t).standard_normal()
        if month == 1 or t == 1:
            if p.fixed and year in p.fixed:
                self.cov.price = float(p.fixed[year])
            elif p.enabled:
                self.cov.price = float(p.median * np.exp(p.sigma * z))
            else:
                self.cov.price = self.expected_price


@jit
def _chronic_care(n_chronic, cost_month, in_policy_share, med_cost, med_in_policy):
    """Add this month's cost of chronic care (yuan), of which the in-policy part."""
    for i in range(n_chronic.size):
        cost = cost_month * n_chronic[i]
        med_cost[i] += cost
        med_in_policy[i] += cost * in_policy_share


def _remove_worker(hh: Households, idx: np.ndarray) -> np.ndarray:
    """Take one labourer out of work in each household of ``idx``; the monthly wages lost.

    The worker comes from migrant work first, then local work, then job seekers, then farming.
    Households without a labourer are left alone (wage lost 0).
    """
    lab = hh.n_labour[idx] > 0
    mig = lab & (hh.n_migrant[idx] > 0)
    loc = lab & ~mig & (hh.n_local[idx] > 0)
    seek_m = lab & ~mig & ~loc & (hh.n_seek_migrant[idx] > 0)
    seek_l = lab & ~mig & ~loc & ~seek_m & (hh.n_seek_local[idx] > 0)
    hh.n_migrant[idx[mig]] -= 1
    hh.n_local[idx[loc]] -= 1
    hh.n_seek_migrant[idx[seek_m]] -= 1
    hh.n_seek_local[idx[seek_l]] -= 1
    hh.n_labour[idx[lab]] -= 1
    return mig * hh.wage_migrant[idx] + loc * hh.wage_local[idx]
