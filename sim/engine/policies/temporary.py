"""Temporary assistance (临时救助): a one-off payment after a sudden shock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.jit import jit
from sim.core.params import nonneg, pos, prob
from sim.core.random import uniform_at
from sim.engine.policies.base import Lever, shock_spending, spenders


@dataclass(frozen=True, kw_only=True)
class TemporaryPars:
    """One-off aid after a sudden shock. Any value may be dated."""

    DATED = True
    enabled: bool
    threshold_share: float = nonneg()
    income_multiple: float = pos()
    take_up: float = prob()
    pay_share: float = prob()
    cap: float = nonneg()
    cooldown_months: int = nonneg()


class Temporary(Lever):
    """Temporary assistance: a one-off payment after a sudden shock.

    Paid when this month's shock spending (out-of-pocket medical after the
    medical levers, plus funeral or asset losses) reaches ``threshold_share`` of the household's
    yearly income and its per-capita income is below ``income_multiple`` x the monitoring line.
    Pays ``pay_share`` of that spending up to ``cap``; at most once per ``cooldown_months``.
    """

    name = "temporary"
    Pars = TemporaryPars
    stream = "temporary"

    def setup(self, ctx) -> None:
        self.last = np.full(ctx.hh.n, -10_000, np.int32)

    def select(self, ctx) -> np.ndarray:
        hh, p = ctx.hh, self.pars
        who = spenders(ctx)
        idx, self.spending = np.empty(who.size, np.int64), np.empty(who.size)
        line = p.income_multiple * ctx.monitoring_line
        n = _temporary(
            hh.arrays, who, ctx.streams.key(self.stream, ctx.t), ctx.t, self.last,
            (p.cooldown_months, float(p.take_up), float(p.threshold_share), float(line)), idx,
            self.spending,
        )  # fmt: skip
        return idx[:n]

    def apply(self, ctx, idx: np.ndarray) -> np.ndarray:
        pay = np.minimum(self.pars.pay_share * self.spending[: idx.size], self.pars.cap)
        self.last[idx[pay > 0]] = ctx.t
        return pay


@jit
def _temporary(hh, spenders, key, t, last, rule, out_idx, out_spending):
    """Households due temporary aid this month, among the month's ``spenders``.

    ``rule``: cooldown (months), take-up, threshold share of yearly income, income line
    (yuan per person per year).
    They and their shock spending go to the front of ``out_idx`` and ``out_spending``;
    returns how many.
    """
    (med_cost, reimbursed_fen, one_off, pc_income, n_members, monitored, active) = (
        hh.med_cost, hh.reimbursed_fen, hh.one_off, hh.pc_income, hh.n_members,
        hh.monitored, hh.active
    )  # fmt: skip
    cooldown_months, take_up, threshold_share, line = rule
    n = 0
    for i in spenders:  # without a branch
        spending = shock_spending(med_cost[i], reimbursed_fen[i], one_off[i])
        yearly = max(pc_income[i] * n_members[i], 1.0)
        out_idx[n], out_spending[n] = i, spending
        n += (
            ((med_cost[i] > 0) | (one_off[i] > 0)) & (spending >= threshold_share * yearly)
            & (pc_income[i] < line) & (t - last[i] >= cooldown_months)
            & ((uniform_at(key, i) < take_up) | monitored[i]) & active[i]
        )  # fmt: skip
    return n


LEVER = Temporary
