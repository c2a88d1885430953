"""Employment support and training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.jit import jit
from sim.core.params import nonneg, one_of, prob
from sim.core.random import uniform_at
from sim.engine.policies.base import LEVER_BITS, Lever, first_in_order
from sim.engine.policies.posts import (
    PRIORITY_GROUPS,
    _candidates,
    check_order,
    has_idle_labour,
    idle_households,
    idle_keys,
)


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
    retrain_gap_months: int = nonneg()
    priority: list[str] = one_of(*PRIORITY_GROUPS)

    def validate(self, where: str) -> None:
        check_order(self.priority, where)


class Employment(Lever):
    """Employment support and training: trained households find work sooner.

    Trains ``trainees`` a year (full district, scaled), in priority order among households
    with an idle labourer; for ``effect_months`` after training, each month an idle labourer
    of a trained household finds work with chance ``p_place`` (back to migrant work if that is
    what they lost, else local work at the household's local wage or ``placement_wage``).
    """

    name = "employment"
    Pars = EmploymentPars
    stream = "employment"
    figures = {
        "employment_trained": ("households", "households", "households trained this month",
                               "本月培训农户"),
        "employment_placed": ("labourers", "people", "trained labourers placed in work",
                              "培训后就业劳动力"),
    }  # fmt: skip

    def setup(self, ctx) -> None:
        self.trained_at = np.full(ctx.hh.n, -10_000, np.int32)
        self.recent = np.zeros(0, np.int64)  # households whose training still helps
        self.trained_now = np.zeros(0, np.int64)  # this month's trainees
        self.intake = 0
        self.placed = 0

    def act(self, ctx) -> None:
        hh, p = ctx.hh, self.pars
        self.intake = int(round(p.trainees * ctx.scale / 12))
        idle = idle_households(ctx)
        recent = ctx.t - self.trained_at[idle.idx] <= p.retrain_gap_months
        one_group = np.zeros_like(idle.town)
        key = idle_keys(ctx, idle, p.priority)
        idx, key, group = _candidates(
            idle.idx, key, idle.served, one_group, recent, np.ones(1, bool), False
        )
        take = idx[first_in_order(group, key, np.array([self.intake]))]
        self.trained_now = np.sort(take)
        self.trained_at[take] = ctx.t
        self.intake = take.size
        since = ctx.t - self.trained_at[self.recent]  # (0: trained again now, in take)
        self.recent = np.concatenate([self.recent[(since > 0) & (since <= p.effect_months)], take])
        hh.measures[take[hh.monitored[take]]] |= np.int16(1 << LEVER_BITS[self.name])
        self.placed = _place(
            hh.arrays, self.recent, ctx.streams.key(self.stream, ctx.t), ctx.t, self.trained_at,
            p.effect_months, p.p_place, p.placement_wage,
        )  # fmt: skip

    def in_kind(self, ctx) -> np.ndarray:
        return self.trained_now

    def other_cost(self, ctx) -> float:
        return self.intake * self.pars.cost_per_trainee

    def stop(self, ctx) -> None:
        self.recent = self.recent[:0]
        self.trained_now = self.trained_now[:0]
        self.intake = self.placed = 0

    def report(self) -> dict[str, float]:
        return {"employment_trained": self.intake, "employment_placed": self.placed}


@jit
def _place(hh, trained, key, t, trained_at, effect_months, p_place, placement_wage):
    """Idle labourers of recently ``trained`` households find work; returns how many."""
    (active, n_labour, n_migrant, n_local, n_seek_migrant, n_seek_local, wage_local) = (
        hh.active, hh.n_labour, hh.n_migrant, hh.n_local, hh.n_seek_migrant,
        hh.n_seek_local, hh.wage_local
    )  # fmt: skip
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


LEVER = Employment
