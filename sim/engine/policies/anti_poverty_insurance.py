"""Anti-poverty insurance (防贫保): pays part of a year's shock spending above an alert line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.jit import jit
from sim.core.params import nonneg, pos, prob
from sim.engine.households import ShareByCategory
from sim.engine.policies.base import Lever, shock_spending, spenders


@dataclass(frozen=True, kw_only=True)
class InsurancePars:
    """Anti-poverty insurance (防贫保), bought by the government per insured person.

    Any value may be dated.
    """

    DATED = True
    enabled: bool
    coverage: ShareByCategory
    premium: float = nonneg()
    income_multiple: float = pos()
    alert_line: float = nonneg()
    payout_share: float = prob()
    cap: float = nonneg()


class AntiPovertyInsurance(Lever):
    """Pays part of a year's shock spending above an alert line to low-income insured.

    Pays ``payout_share`` of the year's shock spending (medical still out of pocket plus
    one-off losses) above ``alert_line``, up to ``cap`` a year, to insured households whose
    per-capita income is at most ``income_multiple`` x the poverty line.
    """

    name = "anti_poverty_insurance"
    Pars = InsurancePars
    stream = "anti_poverty_insurance"

    def setup(self, ctx) -> None:
        hh = ctx.hh
        self.u_cover = ctx.streams.uniform(self.stream, 0, hh.n)  # a lasting trait
        self.refresh(ctx)
        self.spent = np.zeros(hh.n)
        self.paid = np.zeros(hh.n)
        self.over = np.empty(hh.n, np.int64)  # the first n_over: spent above the alert line
        self.n_over = 0
        self.listed = np.zeros(hh.n, bool)  # in over

    def refresh(self, ctx) -> None:
        self.insured = self.u_cover < self.pars.coverage.array()[ctx.hh.category]

    def select(self, ctx) -> np.ndarray:
        hh = ctx.hh
        year = ctx.year
        if year != getattr(self, "_year", None):
            self.listed[self.over[: self.n_over]] = False
            self.n_over = 0
        self.new_year(year, self.spent, self.paid)
        alert = self.pars.alert_line
        self.n_over = _spend_year(
            spenders(ctx), self.spent, alert, hh.med_cost, hh.reimbursed_fen, hh.one_off,
            self.over, self.n_over, self.listed,
        )  # fmt: skip
        over = np.sort(self.over[: self.n_over])
        line = self.pars.income_multiple * ctx.poverty_line
        due = self.insured[over] & (self.spent[over] > alert) & (hh.pc_income[over] <= line)
        return over[due & hh.active[over]]

    def apply(self, ctx, idx: np.ndarray) -> np.ndarray:
        p = self.pars
        due = np.minimum(p.payout_share * (self.spent[idx] - p.alert_line), p.cap)
        pay = np.maximum(due - self.paid[idx], 0.0)
        self.paid[idx] += pay
        return pay

    def other_cost(self, ctx) -> float:
        if ctx.month != 1 and ctx.t != 1:
            return 0.0
        hh = ctx.hh
        return float((self.pars.premium * hh.n_members * self.insured * hh.active).sum())


@jit
def _spend_year(
    spenders, spent, alert_line, med_cost, reimbursed_fen, one_off, over, n_over, listed
):  # fmt: skip
    """Add this month's shock spending of the ``spenders`` to the year's.

    Households whose year's spending rises above ``alert_line`` join ``over`` (after its
    first ``n_over``; once a year: ``listed``); returns how many are there then.
    """
    for i in spenders:
        spent[i] += shock_spending(med_cost[i], reimbursed_fen[i], one_off[i])
        join = (spent[i] > alert_line) & ~listed[i]
        listed[i] |= join
        over[n_over] = i
        n_over += join
    return n_over


LEVER = AntiPovertyInsurance
