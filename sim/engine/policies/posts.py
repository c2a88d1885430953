"""Posts with pay and a term (public-welfare jobs, work relief), and who has idle labour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.core.errors import ConfigError
from sim.core.jit import jit, jit_inline
from sim.core.params import nonneg, one_of, pos
from sim.engine.households import EDGE, PA
from sim.engine.policies.base import Lever, first_in_order

# Groups a priority order names (``priority`` of posts and training places): a household
# ranks by the first group of the order it belongs to; households in none come last.
PRIORITY_GROUPS = ("unstable", "poverty_alleviated", "monitored", "edge", "disabled", "chronic")


@jit_inline
def in_group(group, category, monitored, n_disabled, n_chronic):
    """Whether a household is in priority group ``group`` (an index of PRIORITY_GROUPS)."""
    if group == 0:  # unstable poverty-alleviated: poverty-alleviated and monitored
        return (category == PA) & monitored
    if group == 1:
        return category == PA
    if group == 2:  # monitored: edge, sudden hardship, unstable poverty-alleviated
        return monitored
    if group == 3:
        return category == EDGE
    if group == 4:
        return n_disabled > 0  # a disabled member
    return n_chronic > 0  # a chronically ill member


@jit_inline
def priority(order, category, monitored, n_disabled, n_chronic, pc_income):
    """Order of service of a household: a smaller key is served first.

    The rank of the first group of ``order`` (indices of PRIORITY_GROUPS) the household is
    in; within a rank, the lowest per-capita income (``pc_income``) first.
    """
    rank = order.size
    for j in range(order.size):
        if in_group(order[j], category, monitored, n_disabled, n_chronic):
            rank = j
            break
    return rank * 1e9 + min(max(pc_income, 0.0), 1e8)


@jit
def priority_keys(hh, idx, order):
    """The priority keys (:func:`priority`) of households ``idx`` in ``order``."""
    category, monitored, n_disabled, n_chronic, pc_income = (
        hh.category, hh.monitored, hh.n_disabled, hh.n_chronic, hh.pc_income
    )  # fmt: skip
    key = np.empty(idx.size)
    for j in range(idx.size):
        i = idx[j]
        key[j] = priority(
            order, category[i], monitored[i], n_disabled[i], n_chronic[i], pc_income[i]
        )
    return key


def idle_keys(ctx, idle: Idle, names: tuple[str, ...]) -> np.ndarray:
    """The priority keys of the ``idle`` households in the order ``names`` (once a month).

    Posts and training share them when their orders are the same (by default).
    """
    return ctx.shared(
        ("priority", names),
        lambda: priority_keys(ctx.hh.arrays, idle.idx, priority_order(names)),
    )


def priority_order(names: tuple[str, ...]) -> np.ndarray:
    """A priority order of group names as indices of PRIORITY_GROUPS.

    Example:
        >>> priority_order(("unstable", "poverty_alleviated", "monitored", "edge")).tolist()
        [0, 1, 2, 3]
    """
    return np.array([PRIORITY_GROUPS.index(name) for name in names], np.int64)


def check_order(names: tuple[str, ...], where: str) -> None:
    """A priority order names at least one group, each at most once."""
    if not names:
        raise ConfigError(
            f"{where}.priority: empty; name the groups served, in order (of "
            f"{', '.join(PRIORITY_GROUPS)}); to serve none set {where}.enabled=false"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ConfigError(f"{where}.priority: {twice[0]!r} is named twice; name each group once")


@jit_inline
def has_idle_labour(n_labour, n_migrant, n_local):
    """A labourer not in migrant or local work (farming, seeking work, weak labour)."""
    return n_labour - n_migrant - n_local > 0


class Idle(NamedTuple):
    """Active households with an idle labourer, in order (:func:`idle_households`)."""

    idx: np.ndarray  # the households
    served: np.ndarray  # of a category the posts and training serve first (PA, edge, monitored)
    town: np.ndarray  # their towns


def idle_households(ctx) -> Idle:
    """The month's :class:`Idle`, found once for the posts and training.

    No lever changes labour, incomes or monitoring between them (employment places its
    trainees after choosing them).
    """

    def find() -> Idle:
        hh = ctx.hh
        idx = np.empty(hh.n, np.int64)
        served, town = np.empty(hh.n, np.bool_), np.empty(hh.n, hh.town.dtype)
        n = _idle(
            hh.n_labour, hh.n_migrant, hh.n_local, hh.active, hh.category, hh.monitored,
            hh.town, idx, served, town,
        )  # fmt: skip
        return Idle(idx[:n], served[:n], town[:n])

    return ctx.shared("idle", find)


@jit
def _idle(
    n_labour, n_migrant, n_local, active, category, monitored, town, idx, served, idle_town
):  # fmt: skip
    """One pass of :func:`idle_households`; returns how many."""
    n = 0
    for i in range(active.size):  # without a branch: they are a random ~20%
        idx[n] = i
        n += has_idle_labour(n_labour[i], n_migrant[i], n_local[i]) & active[i]
    for j in range(n):
        i = idx[j]
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
    priority: list[str] = one_of(*PRIORITY_GROUPS)

    def validate(self, where: str) -> None:
        check_order(self.priority, where)


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
            key = idle_keys(ctx, idle, p.priority)
            idx, key, group = _candidates(
                idle.idx, key, idle.served, groups, self.holder[idle.idx], vacancies > 0,
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
