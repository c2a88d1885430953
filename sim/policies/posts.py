"""Posts with pay and a term (public-welfare jobs, work relief), and who has idle labour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.jit import jit, jit_inline
from sim.params import nonneg, pos
from sim.policies.base import Lever, first_in_order
from sim.population import EDGE, PA


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


def idle_households(ctx) -> Idle:
    """The month's :class:`Idle`, found once for the posts and training.

    No lever changes labour, incomes or monitoring between them (employment places its
    trainees after choosing them).
    """

    def find() -> Idle:
        hh = ctx.hh
        idx, key = np.empty(hh.n, np.int64), np.empty(hh.n)
        served, town = np.empty(hh.n, np.bool_), np.empty(hh.n, hh.town.dtype)
        n = _idle(
            hh.n_labour, hh.n_migrant, hh.n_local, hh.active, hh.category, hh.monitored,
            hh.pc_income, hh.town, idx, key, served, town,
        )  # fmt: skip
        return Idle(idx[:n], key[:n], served[:n], town[:n])

    return ctx.shared("idle", find)


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

    def setup(self, ctx) -> None:
        hh = ctx.hh
        self.scale = ctx.scale
        self.holder = np.zeros(hh.n, bool)
        self.holders = np.zeros(0, np.int64)  # the same households, in order
        self.end = np.zeros(hh.n, np.int32)
        pa = np.bincount(hh.town[hh.category == PA], minlength=ctx.n_towns).astype(float)
        self.town_share = pa / pa.sum() if pa.sum() else np.full(ctx.n_towns, 1 / ctx.n_towns)

    def select(self, ctx) -> np.ndarray:
        hh, p = ctx.hh, self.pars
        kept = _keep_holders(
            ctx.t, self.holders, self.end, self.holder, hh.n_labour, hh.n_migrant, hh.n_local,
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
            idle = idle_households(ctx)
            groups = idle.town if p.by_town else np.zeros_like(idle.town)  # or one group
            idx, key, group = _candidates(
                idle.idx, idle.key, idle.served, groups, self.holder[idle.idx], vacancies > 0,
                p.open_to_general,
            )  # fmt: skip
            take = idx[first_in_order(group, key, vacancies)]
            self.holder[take] = True
            self.end[take] = ctx.t + p.term_months
            self.holders = np.sort(np.concatenate([self.holders, take]))
        return self.holders

    def apply(self, ctx, idx: np.ndarray) -> np.ndarray:
        return np.full(idx.size, self.pars.pay)

    def stop(self, ctx) -> None:
        self.holder[:] = False
        self.holders = self.holders[:0]

    def report(self) -> dict[str, float]:
        return {f"{self.name}_holders": self.holders.size}


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
