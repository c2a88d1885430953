"""Work levers: public-welfare jobs, work relief (posts with pay and a term), employment support."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.jit import jit, jit_inline
from sim.params import nonneg, pos, prob
from sim.policies.base import LEVER_BITS, NOBODY, Lever, first_in_order
from sim.population import EDGE, PA
from sim.random import uniform_at


@jit_inline
def priority(category, monitored, pc_income):
    """Order of service: a smaller key is served first.

    The plan's order: unstable poverty-alleviated (monitored PA) first, then other PA, then
    other monitored households (edge, sudden hardship), then edge, then the rest; within each,
    the lowest per-capita income first.

    Example:
        >>> priority(PA, True, 9000.0) < priority(PA, False, 10.0) < priority(EDGE, True, 0.0)
        True
    """
    if category == PA:
        rank = 0 if monitored else 1
    elif monitored:
        rank = 2
    else:
        rank = 3 if category == EDGE else 4
    return rank * 1e9 + min(max(pc_income, 0.0), 1e8)


@jit_inline
def has_idle_labour(n_labour, n_migrant, n_local):
    """A labourer not in migrant or local work (farming, seeking work, weak labour)."""
    return n_labour - n_migrant - n_local > 0


class Idle(NamedTuple):
    """Active households with an idle labourer, in order (:func:`idle_households`)."""

    idx: np.ndarray  # the households
    key: np.ndarray  # their priority keys (:func:`priority`)
    served: np.ndarray  # of a category the posts and training serve first (PA, edge, monitored)
    town: np.ndarray  # their towns


def idle_households(model) -> Idle:
    """The month's :class:`Idle`, found once for the posts and training.

    No lever changes labour, incomes or monitoring between them (employment places its
    trainees after choosing them).
    """

    def find() -> Idle:
        hh = model.hh
        idx, key = np.empty(hh.n, np.int64), np.empty(hh.n)
        served, town = np.empty(hh.n, np.bool_), np.empty(hh.n, hh.town.dtype)
        n = _idle(
            hh.n_labour, hh.n_migrant, hh.n_local, hh.active, hh.category, hh.monitored,
            hh.pc_income, hh.town, idx, key, served, town,
        )  # fmt: skip
        return Idle(idx[:n], key[:n], served[:n], town[:n])

    return model.shared("idle", find)


@jit
def _idle(
    n_labour, n_migrant, n_local, active, category, monitored, pc_income, town,
    idx, key, served, idle_town,
):  # fmt: skip
    """One pass of :func:`idle_households`; returns how many."""
    n = 0
    for i in range(active.size):  # without a branch: they are a random ~20%
        idx[n] = i
        n += has_idle_labour(n_labour[i], n_migrant[i], n_local[i]) & active[i]
    for j in range(n):
        i = idx[j]
        key[j] = priority(category[i], monitored[i], pc_income[i])
        served[j] = (category[i] == PA) | (category[i] == EDGE) | monitored[i]
        idle_town[j] = town[i]
    return n


@jit
def _candidates(idle, key, served, groups, excluded, open_group, open_to_general):
    """Which ``idle`` households may get a post or a training place.

    Those not ``excluded``, in an ``open_group`` and ``served`` (or ``open_to_general``);
    ``key``, ``served``, ``groups`` and ``excluded`` are the idle households'. Returns the
    candidates' indices, keys and groups.
    """
    out_idx, out_key = np.empty(idle.size, np.int64), np.empty(idle.size)
    out_group = np.empty(idle.size, groups.dtype)
    n = 0
    for j in range(idle.size):  # without a branch
        out_idx[n], out_key[n], out_group[n] = idle[j], key[j], groups[j]
        n += ~excluded[j] & open_group[groups[j]] & (served[j] | open_to_general)
    return out_idx[:n], out_key[:n], out_group[:n]


@dataclass(frozen=True, kw_only=True)
class PostsPars:
    """Posts: how many (full district, scaled with the population), pay, term, allocation.

    Any value may be dated.
    """

    DATED = True
    enabled: bool
    posts: float = nonneg()
    pay: float = nonneg()
    term_months: int = pos()
    by_town: bool
    open_to_general: bool


class Posts(Lever):
    """A fixed number of posts, one per household, for households with an idle labourer.

    Each month posts whose term ended, or whose holder has no idle labourer left, are freed;
    vacancies go to eligible households in priority order (:func:`priority`), by town in
    proportion to poverty-alleviated households when ``by_town``. Holders are paid monthly.
    """

    kind = "earned"

    def setup(self, model) -> None:
        hh = model.hh
        self.scale = model.cfg.population.scale
        self.holder = np.zeros(hh.n, bool)
        self.holders = np.zeros(0, np.int64)  # the same households, in order
        self.end = np.zeros(hh.n, np.int32)
        pa = np.bincount(hh.town[hh.category == PA], minlength=model.n_towns).astype(float)
        self.town_share = pa / pa.sum() if pa.sum() else np.full(model.n_towns, 1 / model.n_towns)

    def select(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        kept = _keep_holders(
            model.t, self.holders, self.end, self.holder, hh.n_labour, hh.n_migrant, hh.n_local,
            hh.active,
        )  # fmt: skip
        self.holders = self.holders[:kept]
        posts = int(round(p.posts * self.scale))
        if p.by_town:
            quota = np.floor(posts * self.town_share).astype(np.int64)
            quota[: posts - quota.sum()] += 1  # hand out the rounding remainder
            vacancies = quota - np.bincount(hh.town[self.holders], minlength=quota.size)
        else:
            vacancies = np.array([posts - self.holders.size])
        if (vacancies > 0).any():
            idle = idle_households(model)
            groups = idle.town if p.by_town else np.zeros_like(idle.town)  # or one group
            idx, key, group = _candidates(
                idle.idx, idle.key, idle.served, groups, self.holder[idle.idx], vacancies > 0,
                p.open_to_general,
            )  # fmt: skip
            take = idx[first_in_order(group, key, vacancies)]
            self.holder[take] = True
            self.end[take] = model.t + p.term_months
            self.holders = np.sort(np.concatenate([self.holders, take]))
        return self.holders

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        return np.full(idx.size, self.pars.pay)

    def stop(self, model) -> None:
        self.holder[:] = False
        self.holders = self.holders[:0]

    def report(self) -> dict[str, float]:
        return {f"{self.name}_holders": self.holders.size}


class PublicJobs(Posts):
    """Public-welfare jobs (公益性岗位): forest rangers, cleaners, river patrols..."""

    name = "public_jobs"


class WorkRelief(Posts):
    """Work-relief projects (以工代赈): project wages for a few months."""

    name = "work_relief"


@dataclass(frozen=True, kw_only=True)
class EmploymentPars:
    """Employment support and training. Any value may be dated."""

    DATED = True
    enabled: bool
    trainees: float = nonneg()
    cost_per_trainee: float = nonneg()
    p_place: float = prob()
    effect_months: int = nonneg()
    placement_wage: float = nonneg()


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
        self.recent = np.zeros(0, np.int64)  # households whose training still helps
        self.trained_now = np.zeros(0, np.int64)  # this month's trainees
        self.intake = 0
        self.placed = 0

    def select(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        self.intake = int(round(p.trainees * model.cfg.population.scale / 12))
        idle = idle_households(model)
        recent = model.t - self.trained_at[idle.idx] <= 12  # trained in the past year
        one_group = np.zeros_like(idle.town)
        idx, key, group = _candidates(
            idle.idx, idle.key, idle.served, one_group, recent, np.ones(1, bool), False
        )
        take = idx[first_in_order(group, key, np.array([self.intake]))]
        self.trained_now = np.sort(take)
        self.trained_at[take] = model.t
        self.intake = take.size
        since = model.t - self.trained_at[self.recent]  # (0: trained again now, in take)
        self.recent = np.concatenate([self.recent[(since > 0) & (since <= p.effect_months)], take])
        hh.measures[take[hh.monitored[take]]] |= np.int16(1 << LEVER_BITS[self.name])
        self.placed = _place(
            self.recent, model.streams.key(self.stream, model.t),
            model.t, self.trained_at, p.effect_months,
            p.p_place, p.placement_wage, hh.n_labour, hh.n_migrant, hh.n_local,
            hh.n_seek_migrant, hh.n_seek_local, hh.wage_local, hh.active,
        )  # fmt: skip
        return NOBODY

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        return np.zeros(idx.size)

    def in_kind(self, model) -> np.ndarray:
        return self.trained_now

    def other_cost(self, model) -> float:
        return self.intake * self.pars.cost_per_trainee

    def stop(self, model) -> None:
        self.recent = self.recent[:0]
        self.trained_now = self.trained_now[:0]
        self.intake = self.placed = 0

    def report(self) -> dict[str, float]:
        return {"employment_trained": self.intake, "employment_placed": self.placed}


@jit
def _keep_holders(t, holders, end, holder, n_labour, n_migrant, n_local, active):
    """Free the posts whose term ended or whose holder has no idle labourer left.

    The holders who keep their post stay at the front of ``holders``; returns how many.
    """
    n = 0
    for i in holders:
        idle = has_idle_labour(n_labour[i], n_migrant[i], n_local[i])
        holder[i] = (t < end[i]) & idle & active[i]
        holders[n] = i
        n += holder[i]
    return n


@jit
def _place(
    trained, key, t, trained_at, effect_months, p_place, placement_wage,
    n_labour, n_migrant, n_local, n_seek_migrant, n_seek_local, wage_local, active,
):  # fmt: skip
    """Idle labourers of recently ``trained`` households find work; returns how many."""
    placed = 0
    for i in trained:
        if t - trained_at[i] > effect_months or not active[i]:
            continue
        if uniform_at(key, i) >= p_place:
            continue
        if not has_idle_labour(n_labour[i], n_migrant[i], n_local[i]):
            continue
        placed += 1
        if n_seek_migrant[i] > 0:  # back to migrant work
            n_seek_migrant[i] -= 1
            n_migrant[i] += 1
        else:
            if n_seek_local[i] > 0:
                n_seek_local[i] -= 1
            n_local[i] += 1
            if wage_local[i] <= 0:
                wage_local[i] = placement_wage
    return placed
