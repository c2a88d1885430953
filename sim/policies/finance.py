"""Industry support, anti-poverty insurance and small production credit.

Industry support is the mustard-tuber protection price and a production subsidy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.jit import jit
from sim.params import month, nonneg, pos, prob
from sim.policies.base import NOBODY, Lever, shock_spending, spenders
from sim.population import PA, ShareByCategory


@dataclass(frozen=True, kw_only=True)
class IndustryPars:
    """Protection price (yuan/t) for contract growers; production subsidy (yuan/mu/year).

    Any value may be dated.
    """

    DATED = True
    enabled: bool
    floor_price: float = nonneg()
    contract_share: ShareByCategory
    subsidy_per_mu: float = nonneg()
    subsidy_share: ShareByCategory
    subsidy_month: int = month()


class Industry(Lever):
    """Protection price at harvest and a production subsidy per mu.

    At harvest, contract growers are paid up to the floor price for what they sell; in
    ``subsidy_month`` the subsidised growers get ``subsidy_per_mu`` for their area.
    """

    name = "industry"
    stream = "industry"

    def setup(self, model) -> None:
        hh = model.hh
        # Whether a grower contracts, or is subsidised, is a lasting trait (its draw).
        self.u = [model.streams.uniform(self.stream, 0, hh.n, part) for part in range(2)]
        self.refresh(model)

    def refresh(self, model) -> None:
        hh, p = model.hh, self.pars
        cat = hh.category
        self.contract = (hh.mustard_mu > 0) & (self.u[0] < p.contract_share.array()[cat])
        self.subsidised = (hh.mustard_mu > 0) & (self.u[1] < p.subsidy_share.array()[cat])

    def eligible(self, model) -> np.ndarray:
        month = model.month
        harvest = month in model.cfg.population.economy.harvest_months
        low = self.pars.floor_price > model.shocks.cov.price
        mask = self.contract if harvest and low else np.zeros(model.hh.n, bool)
        return mask | self.subsidised if month == self.pars.subsidy_month else mask

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        hh, p = model.hh, self.pars
        gap = max(p.floor_price - model.shocks.cov.price, 0.0)
        pay = np.where(self.contract[idx], gap * hh.mustard_tonnes[idx], 0.0)
        if model.month == p.subsidy_month:
            pay += np.where(self.subsidised[idx], p.subsidy_per_mu * hh.mustard_mu[idx], 0.0)
        return pay


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
    stream = "anti_poverty_insurance"

    def setup(self, model) -> None:
        hh = model.hh
        self.u_cover = model.streams.uniform(self.stream, 0, hh.n)  # a lasting trait
        self.refresh(model)
        self.spent = np.zeros(hh.n)
        self.paid = np.zeros(hh.n)
        self.over = np.empty(hh.n, np.int64)  # the first n_over: spent above the alert line
        self.n_over = 0
        self.listed = np.zeros(hh.n, bool)  # in over

    def refresh(self, model) -> None:
        self.insured = self.u_cover < self.pars.coverage.array()[model.hh.category]

    def select(self, model) -> np.ndarray:
        hh = model.hh
        year = model.year
        if year != getattr(self, "_year", None):
            self.listed[self.over[: self.n_over]] = False
            self.n_over = 0
        self.new_year(year, self.spent, self.paid)
        alert = self.pars.alert_line
        self.n_over = _spend_year(
            spenders(model), self.spent, alert, hh.med_cost, hh.reimbursed_fen, hh.one_off,
            self.over, self.n_over, self.listed,
        )  # fmt: skip
        over = np.sort(self.over[: self.n_over])
        line = self.pars.income_multiple * model.poverty_line
        due = self.insured[over] & (self.spent[over] > alert) & (hh.pc_income[over] <= line)
        return over[due & hh.active[over]]

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        p = self.pars
        due = np.minimum(p.payout_share * (self.spent[idx] - p.alert_line), p.cap)
        pay = np.maximum(due - self.paid[idx], 0.0)
        self.paid[idx] += pay
        return pay

    def other_cost(self, model) -> float:
        if model.month != 1 and model.t != 1:
            return 0.0
        hh = model.hh
        return float((self.pars.premium * hh.n_members * self.insured * hh.active).sum())


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
    """

    name = "credit"
    stream = "credit"

    def setup(self, model) -> None:
        self.loan = np.zeros(model.hh.n)
        self.due = np.zeros(model.hh.n, np.int32)
        self.holders = np.zeros(0, np.int64)  # households that took a loan (some repaid since)
        self.defaulted = 0.0

    def select(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        # repay loans that are due
        holders = self.holders
        due = holders[(self.due[holders] == model.t) & (self.loan[holders] > 0)]
        repaid = np.minimum(hh.savings[due], self.loan[due])
        hh.savings[due] -= repaid
        short = self.loan[due] - repaid
        self.defaulted = float(short.sum())
        hh.debt[due] += short * (1 - p.risk_share)
        self.loan[due] = 0.0
        if model.month == p.loan_month:
            u = model.streams.uniform(self.stream, model.t, hh.n)
            new = (hh.category == PA) & (hh.n_labour > 0)
            new &= (self.loan == 0) & (u < p.take_up) & hh.active
            self.loan[new] = p.amount
            self.due[new] = model.t + p.term_months
            self.holders = np.flatnonzero(self.loan > 0)
        held = self.holders[self.loan[self.holders] > 0]
        hh.income[held] += self.loan[held] * p.return_rate / 12 * hh.active[held]
        return NOBODY

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        return np.zeros(idx.size)

    def in_kind(self, model) -> np.ndarray:
        return self.holders[self.loan[self.holders] > 0]  # households with a loan

    def other_cost(self, model) -> float:
        interest = self.loan[self.holders].sum() * self.pars.interest_rate / 12
        return float(interest + self.pars.risk_share * self.defaulted)

    def stop(self, model) -> None:
        # The programme winds down: outstanding loans are settled by the fund (assumption).
        self.loan[:] = 0.0
        self.holders = self.holders[:0]
        self.defaulted = 0.0

    def report(self) -> dict[str, float]:
        return {"credit_loans": int((self.loan[self.holders] > 0).sum())}


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
