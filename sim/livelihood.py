"""Livelihood: monthly earnings (wages, farm, property, pension), spending, saving and debt.

Incomes in the register are base-year (2020) values; wage rates and farm income grow each year
by the dated rates in ``population.economy``. Mustard tuber is sold at harvest (February and
March by default) at the year's market price.
"""

from __future__ import annotations

import numpy as np

from sim.jit import jit
from sim.policies.base import FEN
from sim.population import PA, Economy, Households
from sim.schedule import compound
from sim.shocks import Covariates


class Livelihood:
    """Earning and spending rules of the district economy.

    Example:
        >>> from sim.config import compose, population_pars
        >>> lv = Livelihood(population_pars(compose(["calibrated=none"])).economy)  # unfitted
        >>> round(lv.wage_index(2021), 4), round(lv.wage_index(2023) / lv.wage_index(2022), 4)
        (1.088, 1.036)
    """

    def __init__(self, econ: Economy) -> None:
        self.econ = econ

    def _index(self, rate, year: int) -> float:
        return compound(rate, self.econ.base_year + 1, year)

    def wage_index(self, year: int) -> float:
        """Wage rates in ``year`` relative to the base year."""
        return self._index(self.econ.wage_growth, year)

    def pa_wage_extra(self, year: int) -> float:
        """Poverty-alleviated wage rates in ``year`` relative to the others'.

        ``pa_wage_premium`` more growth a year since the base year.
        """
        return (1.0 + self.econ.pa_wage_premium) ** (year - self.econ.base_year)

    def farm_index(self, year: int) -> float:
        """Farm income in ``year`` relative to the base year."""
        return self._index(self.econ.farm_growth, year)

    def earn(self, hh: Households, cov: Covariates, t: int, year: int, month: int) -> None:
        """This month's own income, yuan: ``hh.wage_income``, ``hh.farm_income``, ``hh.income``.

        Remittances grow with wages (the senders' wages). Over a year without growth or shocks
        it adds up to ``Households.annual_income``.
        """
        e = self.econ
        harvest = month in e.harvest_months
        share = 1.0 / len(e.harvest_months) if harvest else 0.0
        tonnes_per_mu = share * e.mustard_yield
        net_per_mu = tonnes_per_mu * cov.price * (1 - e.mustard_cost_share)  # yuan this month
        _earn(
            hh.n_migrant, hh.wage_migrant, hh.n_local, hh.wage_local, hh.crop_loss,
            hh.crop_loss_until, hh.other_farm, hh.mustard_mu, hh.n_elderly, hh.property,
            hh.remittances, hh.active, hh.category,
            hh.wage_income, hh.farm_income, hh.mustard_tonnes, hh.income,
            t, self.wage_index(year) * cov.migrant_factor, self.wage_index(year),
            self.pa_wage_extra(year), PA, self.farm_index(year), tonnes_per_mu, net_per_mu,
            e.pension(year),
        )  # fmt: skip

    def spend(self, hh: Households) -> None:
        """Take in the levers' receipts; consume, pay one-off costs, save.

        Receipts are in fen: cash becomes ``hh.transfers``, lever wages join ``hh.income``,
        reimbursements leave ``hh.med_oop`` to pay (yuan). A shortfall becomes debt; savings
        repay debt first.
        """
        e = self.econ
        _spend(
            hh.transfers_fen, hh.earned_fen, hh.reimbursed_fen, hh.med_cost, hh.transfers,
            hh.income, hh.med_reimbursed, hh.med_oop, hh.one_off, hh.n_members, hh.active,
            hh.savings, hh.debt, e.consumption_floor, e.consumption_share,
        )  # fmt: skip


@jit
def _earn(
    n_migrant, wage_migrant, n_local, wage_local, crop_loss, crop_loss_until, other_farm,
    mustard_mu, n_elderly, prop, remittances, active, category,
    wage_income, farm_income, mustard_tonnes, income,
    t, migrant_index, local_index, pa_extra, pa_code, farm_index, tonnes_per_mu, net_per_mu,
    pension,
):  # fmt: skip
    """One pass of :meth:`Livelihood.earn` (yuan this month; tonnes sold at harvest)."""
    for i in range(income.size):
        extra = pa_extra if category[i] == pa_code else 1.0
        wage = extra * (
            n_migrant[i] * np.float64(wage_migrant[i]) * migrant_index
            + n_local[i] * np.float64(wage_local[i]) * local_index
        )
        intact = 1.0 - crop_loss[i] if t <= crop_loss_until[i] else 1.0
        farm = other_farm[i] / 12.0 + mustard_mu[i] * net_per_mu
        wage_income[i] = wage
        farm_income[i] = farm_index * intact * farm
        mustard_tonnes[i] = tonnes_per_mu * mustard_mu[i] * intact
        other = (prop[i] + remittances[i] * local_index) / 12.0 + pension * n_elderly[i]
        income[i] = (wage + farm_income[i] + other) if active[i] else 0.0


@jit
def _spend(
    transfers_fen, earned_fen, reimbursed_fen, med_cost, transfers, income, med_reimbursed,
    med_oop, one_off, n_members, active, savings, debt, floor, share,
):  # fmt: skip
    """One pass of :meth:`Livelihood.spend`."""
    for i in range(income.size):
        transfers[i] = transfers_fen[i] / FEN
        income[i] += earned_fen[i] / FEN
        med_reimbursed[i] = reimbursed_fen[i] / FEN
        med_oop[i] = med_cost[i] - med_reimbursed[i]
        if not active[i]:
            continue
        cash = income[i] + transfers[i] - med_oop[i]
        need = floor * n_members[i]
        consumption = need + share * max(cash - need, 0.0)
        s = savings[i] + cash - consumption - one_off[i]
        d = debt[i]
        if s < 0.0:  # a shortfall becomes debt
            d -= s
            s = 0.0
        repay = min(s, d)  # savings repay debt first
        savings[i] = s - repay
        debt[i] = d - repay
