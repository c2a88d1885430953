"""Work levers: public-welfare jobs, work relief (posts with pay and a term), employment support."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params import Dated, dated, nonneg, pos, prob
from sim.policies.base import LEVER_BITS, Lever, rank_within
from sim.policies.social import idle_labour
from sim.population import EDGE, PA


def priority_key(hh, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Order of service: a smaller key is served first.

    The plan's order: unstable poverty-alleviated (monitored PA) first, then other PA, then
    other monitored households (edge, sudden hardship), then edge, then the rest; within each,
    the lowest per-capita income first.
    """
    cat, monitored = hh.category[idx], hh.monitored[idx]
    pa = cat == PA
    group = np.select([pa & monitored, pa, monitored, cat == EDGE], [0, 1, 2, 3], default=4)
    return group * 1e9 + np.clip(hh.pc_income[idx], 0, 1e8)


@dataclass(frozen=True, kw_only=True)
class PostsPars:
    """Posts: how many (full district, scaled with the population), pay, term, allocation."""

    enabled: bool
    posts: Dated = dated("nonneg")
    pay: Dated = dated("nonneg")
    term_months: int = pos()
    by_town: bool
    open_to_general: bool


class Posts(Lever):
    """A fixed number of posts, one per household, for households with an idle labourer.

    Each month posts whose term ended, or whose holder has no idle labourer left, are freed;
    vacancies go to eligible households in priority order (:func:`priority_key`), by town in
    proportion to poverty-alleviated households when ``by_town``. Holders are paid monthly.
    """

    kind = "earned"

    def setup(self, model) -> None:
        hh = model.hh
        self.scale = model.cfg.population.scale
        self.holder = np.zeros(hh.n, bool)
        self.end = np.zeros(hh.n, np.int32)
        pa = np.bincount(hh.town[hh.category == PA], minlength=model.n_towns).astype(float)
        self.town_share = pa / pa.sum() if pa.sum() else np.full(model.n_towns, 1 / model.n_towns)

    def eligible(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        year = model.calendar(model.t)[0]
        self.holder &= (model.t < self.end) & (idle_labour(hh) > 0) & hh.active
        target = (hh.category == PA) | (hh.category == EDGE) | hh.monitored | p.open_to_general
        can = ~self.holder & (idle_labour(hh) > 0) & target & hh.active
        posts = int(round(p.posts(year) * self.scale))
        if p.by_town:
            quota = np.floor(posts * self.town_share).astype(np.int64)
            quota[: posts - quota.sum()] += 1  # hand out the rounding remainder
            vacancies = quota - np.bincount(hh.town[self.holder], minlength=quota.size)
            groups = hh.town
        else:
            vacancies = np.array([posts - int(self.holder.sum())])
            groups = np.zeros(hh.n, np.int64)
        if (vacancies <= 0).all():  # every post is taken: nothing to allocate
            return self.holder
        idx = np.flatnonzero(can & (vacancies[groups] > 0))
        rank = rank_within(groups[idx], priority_key(hh, idx))
        take = idx[rank < vacancies[groups[idx]]]
        self.holder[take] = True
        self.end[take] = model.t + p.term_months
        return self.holder

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        year = model.calendar(model.t)[0]
        return np.full(idx.size, self.pars.pay(year))

    def report(self) -> dict[str, float]:
        return {f"{self.name}_holders": int(self.holder.sum())}


class PublicJobs(Posts):
    """Public-welfare jobs (公益性岗位): forest rangers, cleaners, river patrols..."""

    name = "public_jobs"


class WorkRelief(Posts):
    """Work-relief projects (以工代赈): project wages for a few months."""

    name = "work_relief"


@dataclass(frozen=True, kw_only=True)
class EmploymentPars:
    """Employment support and training."""

    enabled: bool
    trainees: Dated = dated("nonneg")
    cost_per_trainee: Dated = dated("nonneg")
    p_place: float = prob()
    effect_months: int = nonneg()
    placement_wage: Dated = dated("nonneg")


class Employment(Lever):
    """Employment support and training: trained households find work sooner.

    Trains ``trainees`` a year (full district, scaled), in priority order among households
    with an idle labourer; for ``effect_months`` after training, each month an idle labourer
    of a trained household finds work with chance ``p_place`` (back to migrant work if that is
    what they lost, else local work at the household's local wage or ``placement_wage``).
    """

    name = "employment"
    stream = "employment"

    def setup(self, model) -> None:
        self.trained_at = np.full(model.hh.n, -10_000, np.int32)
        self.intake = 0
        self.placed = 0

    def eligible(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        year = model.calendar(model.t)[0]
        u = model.streams.get(self.stream, model.t).random(hh.n)
        target = (hh.category == PA) | (hh.category == EDGE) | hh.monitored
        can = target & (idle_labour(hh) > 0) & (model.t - self.trained_at > 12) & hh.active
        self.intake = int(round(p.trainees(year) * model.cfg.population.scale / 12))
        idx = np.flatnonzero(can)
        key = priority_key(hh, idx)
        if 0 < self.intake < idx.size:  # only the first `intake` in order are needed
            first = np.argpartition(key, self.intake - 1)[: self.intake]
            take = idx[first[np.argsort(key[first], kind="stable")]]
        else:
            take = idx[np.argsort(key, kind="stable")[: self.intake]]
        self.trained_at[take] = model.t
        self.intake = take.size
        hh.measures[take[hh.monitored[take]]] |= np.int16(1 << LEVER_BITS[self.name])
        active = (model.t - self.trained_at <= p.effect_months) & (idle_labour(hh) > 0)
        placed = active & (u < p.p_place) & hh.active
        to_m = placed & (hh.n_seek_migrant > 0)
        to_l = placed & ~to_m
        hh.n_seek_migrant -= to_m
        hh.n_migrant += to_m
        hh.n_seek_local -= to_l & (hh.n_seek_local > 0)
        hh.n_local += to_l
        no_wage = to_l & (hh.wage_local <= 0)
        hh.wage_local[no_wage] = p.placement_wage(year)
        self.placed = int(placed.sum())
        return np.zeros(hh.n, bool)

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        return np.zeros(idx.size)

    def other_cost(self, model) -> float:
        return self.intake * self.pars.cost_per_trainee(model.calendar(model.t)[0])

    def report(self) -> dict[str, float]:
        return {"employment_trained": self.intake, "employment_placed": self.placed}
