"""The month's shocks, in a fixed order: idiosyncratic (one compiled pass), then covariate.

Covariate: migrant demand, town disasters, the mustard-tuber price, lockdowns. Every shock has
its own random stream per month. Each event records the yuan it costs the household in
``hh.loss[cause]`` (an account that fades over ``loss_months``, in units of
``hh.loss_unit`` yuan) so that a relapse can be attributed to the shock that pushed it under.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from sim.core.random import Streams
from sim.core.schedule import compound
from sim.engine.households import Economy, Households
from sim.engine.shocks.individual import _KEYED, Rates, Tables, _individual_shocks
from sim.engine.shocks.params import CAUSE, ShockPars, any_event, event_table, monthly, parse_month


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
        >>> from sim.config.compose import compose
        >>> from sim.engine.schema import population_pars, shock_pars_from
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
        self._migrant_demand(hh, t, year, month)
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

    def _migrant_demand(self, hh: Households, t: int, year: int, month: int) -> None:
        p = self.pars.migrant_demand
        if p.enabled and (month == 1 or t == 1):
            if p.fixed and year in p.fixed:  # known (the history): no draw
                self.cov.demand_factor = p.fixed[year]
            else:
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
