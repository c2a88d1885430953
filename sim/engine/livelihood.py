"""Livelihood: monthly earnings (wages, farm, property, pension), spending, saving and debt.

Incomes in the register are base-year (2020) values; wage rates and farm income grow each year
by the dated rates in ``population.economy``. Mustard tuber is sold at harvest (February and
March by default) at the year's market price.
"""

from __future__ import annotations

import numpy as np

from sim.core.jit import jit
from sim.core.money import FEN
from sim.core.schedule import compound
from sim.engine.households import PA, Economy, Households
from sim.engine.shocks import Covariates


class Livelihood:
    """Earning and spending rules of the district economy.

    Example:
        >>> from sim.config.compose import compose
        >>> from sim.engine.schema import population_pars
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
            hh.arrays, t, self.wage_index(year) * cov.migrant_factor, self.wage_index(year),
            self.pa_wage_extra(year), self.farm_index(year), tonnes_per_mu, net_per_mu,
            e.pension(year),
        )  # fmt: skip

    def spend(self, hh: Households) -> None:
        """Take in the levers' receipts; consume, pay one-off costs, save.

        Receipts are in fen: cash becomes ``hh.transfers``, lever wages join ``hh.income``,
        reimbursements leave ``hh.med_oop`` to pay (yuan). A shortfall becomes debt; savings
        repay debt first.
        """
        e = self.econ
        _spend(hh.arrays, e.consumption_floor, e.consumption_share)


@jit
def _earn(
    hh, t, migrant_index, local_index, pa_extra, farm_index, tonnes_per_mu, net_per_mu, pension
):  # fmt: skip
    """One pass of :meth:`Livelihood.earn` (yuan this month; tonnes sold at harvest)."""
    (income, category, n_migrant, wage_migrant, n_local, wage_local, crop_loss,
     crop_loss_until, other_farm, mustard_mu, wage_income, farm_income, mustard_tonnes,
     prop, remittances, n_elderly, active) = (
        hh.income, hh.category, hh.n_migrant, hh.wage_migrant, hh.n_local, hh.wage_local,
        hh.crop_loss, hh.crop_loss_until, hh.other_farm, hh.mustard_mu, hh.wage_income,
        hh.farm_income, hh.mustard_tonnes, hh.property, hh.remittances, hh.n_elderly,
        hh.active
    )  # fmt: skip
    for i in range(income.size):
        extra = pa_extra if category[i] == PA else 1.0
        wage = extra * (
            n_migrant[i] * np.float64(wage_migrant[i]) * migrant_index
            + n_local[i] * np.float64(wage_local[i]) * local_index
        )
        intact = 1.0 - crop_loss[i] if t <= crop_loss_until[i] else 1.0
        farm = other_farm[i] / 12.0 + mustard_mu[i] * net_per_mu
        wage_income[i] = wage
        farm_income[i] = farm_index * intact * farm
        mustard_tonnes[i] = tonnes_per_mu * mustard_mu[i] * intact
        other = (prop[i] + remittances[i] * local_index) / 12.0
        other += pension * n_elderly[i]
        income[i] = (wage + farm_income[i] + other) if active[i] else 0.0


@jit
def _spend(hh, floor, share):
    """One pass of :meth:`Livelihood.spend`."""
    (income, transfers, transfers_fen, earned_fen, med_reimbursed, reimbursed_fen, med_oop,
     med_cost, active, n_members, savings, one_off, debt) = (
        hh.income, hh.transfers, hh.transfers_fen, hh.earned_fen, hh.med_reimbursed,
        hh.reimbursed_fen, hh.med_oop, hh.med_cost, hh.active, hh.n_members, hh.savings,
        hh.one_off, hh.debt
    )  # fmt: skip
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
