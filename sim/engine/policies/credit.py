"""Small production credit (扶贫小额信贷) for poverty-alleviated households with labour."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.params import month, nonneg, pos, prob
from sim.engine.households import PA
from sim.engine.policies.base import Lever


@dataclass(frozen=True, kw_only=True)
class CreditPars:
    """Small production credit (扶贫小额信贷) for poverty-alleviated households with labour.

    Any value may be dated.
    """

    DATED = True
    enabled: bool
    take_up: float = prob()
    amount: float = nonneg()
    term_months: int = pos()
    loan_month: int = month()
    return_rate: float = nonneg()
    interest_rate: float = nonneg()
    risk_share: float = prob()


class Credit(Lever):
    """Production loans with a government-paid interest and a risk fund.

    Each ``loan_month`` a share ``take_up`` of eligible households borrows ``amount``. The
    investment yields ``return_rate`` a year as own income; the government pays the interest;
    at term the loan is repaid from savings, and what savings cannot cover defaults: the risk
    fund pays ``risk_share`` of it and the rest becomes household debt.

    The loan, its return and its repayment are the household's own money (a bank loan and
    what it earns), so they change income, savings and debt directly, not through
    :meth:`pay`; the lever's spending, interest and the fund's share of defaults, is its
    :meth:`other_cost`, in the ledger.
    """

    name = "credit"
    Pars = CreditPars
    stream = "credit"
    figures = {
        "credit_loans": ("poverty-alleviated households", "households", "households with a loan",
                         "有贷款的农户"),
    }  # fmt: skip

    def setup(self, ctx) -> None:
        self.loan = np.zeros(ctx.hh.n)
        self.due = np.zeros(ctx.hh.n, np.int32)
        self.holders = np.zeros(0, np.int64)  # households that took a loan (some repaid since)
        self.defaulted = 0.0

    def act(self, ctx) -> None:
        hh, p = ctx.hh, self.pars
        # repay loans that are due
        holders = self.holders
        due = holders[(self.due[holders] == ctx.t) & (self.loan[holders] > 0)]
        repaid = np.minimum(hh.savings[due], self.loan[due])
        hh.savings[due] -= repaid
        short = self.loan[due] - repaid
        self.defaulted = float(short.sum())
        hh.debt[due] += short * (1 - p.risk_share)
        self.loan[due] = 0.0
        if ctx.month == p.loan_month:
            u = ctx.streams.uniform(self.stream, ctx.t, hh.n)
            new = (hh.category == PA) & (hh.n_labour > 0)
            new &= (self.loan == 0) & (u < p.take_up) & hh.active
            self.loan[new] = p.amount
            self.due[new] = ctx.t + p.term_months
            self.holders = np.flatnonzero(self.loan > 0)
        held = self.holders[self.loan[self.holders] > 0]
        hh.income[held] += self.loan[held] * p.return_rate / 12 * hh.active[held]

    def in_kind(self, ctx) -> np.ndarray:
        return self.holders[self.loan[self.holders] > 0]  # households with a loan

    def other_cost(self, ctx) -> float:
        interest = self.loan[self.holders].sum() * self.pars.interest_rate / 12
        return float(interest + self.pars.risk_share * self.defaulted)

    def stop(self, ctx) -> None:
        # The programme winds down: outstanding loans are settled by the fund (assumption).
        self.loan[:] = 0.0
        self.holders = self.holders[:0]
        self.defaulted = 0.0

    def report(self) -> dict[str, float]:
        return {"credit_loans": int((self.loan[self.holders] > 0).sum())}


LEVER = Credit
