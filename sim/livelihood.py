"""Livelihood: monthly earnings (wages, farm, property, pension), spending, saving and debt.

Incomes in the register are base-year (2020) values; wage rates and farm income grow each year
by the dated rates in ``population.economy``. Mustard tuber is sold at harvest (February and
March by default) at the year's market price.
"""

from __future__ import annotations

import numpy as np

from sim.population import Economy, Households
from sim.shocks import Covariates


class Livelihood:
    """Earning and spending rules of the district economy.

    Example:
        >>> from sim.config import compose, population_pars
        >>> lv = Livelihood(population_pars(compose([])).economy)
        >>> round(lv.wage_index(2022), 4)  # 7% a year from the 2020 base
        1.1449
    """

    def __init__(self, econ: Economy) -> None:
        self.econ = econ

    def _index(self, rate, year: int) -> float:
        return float(np.prod([1.0 + rate(y) for y in range(self.econ.base_year + 1, year + 1)]))

    def wage_index(self, year: int) -> float:
        """Wage rates in ``year`` relative to the base year."""
        return self._index(self.econ.wage_growth, year)

    def farm_index(self, year: int) -> float:
        """Farm income in ``year`` relative to the base year."""
        return self._index(self.econ.farm_growth, year)

    def earn(self, hh: Households, cov: Covariates, t: int, year: int, month: int) -> None:
        """This month's own income, yuan: ``hh.wage_income``, ``hh.farm_income``, ``hh.income``.

        Over a year without growth or shocks it adds up to ``Households.annual_income``.
        """
        e = self.econ
        w = self.wage_index(year)
        hh.wage_income[:] = w * (
            hh.n_migrant * hh.wage_migrant * cov.migrant_factor + hh.n_local * hh.wage_local
        )
        intact = np.where(t <= hh.crop_loss_until, 1.0 - hh.crop_loss, 1.0)
        farm = hh.other_farm / 12.0
        if month in e.harvest_months:
            share = 1.0 / len(e.harvest_months)
            farm = farm + share * hh.mustard_mu * e.mustard_yield * cov.price * (
                1 - e.mustard_cost_share
            )
            hh.mustard_tonnes[:] = share * hh.mustard_mu * e.mustard_yield * intact
        else:
            hh.mustard_tonnes[:] = 0.0
        hh.farm_income[:] = self.farm_index(year) * intact * farm
        pension = e.pension(year) * hh.n_elderly
        other = (hh.property + hh.remittances) / 12.0 + pension
        hh.income[:] = (hh.wage_income + hh.farm_income + other) * hh.active

    def spend(self, hh: Households) -> None:
        """Consume, pay one-off costs, save; a shortfall becomes debt, savings repay debt first."""
        e = self.econ
        cash = hh.income + hh.transfers - hh.med_oop
        floor = e.consumption_floor * hh.n_members
        consumption = floor + e.consumption_share * np.maximum(cash - floor, 0.0)
        hh.savings += (cash - consumption - hh.one_off) * hh.active
        short = np.minimum(hh.savings, 0.0)
        hh.debt -= short
        hh.savings -= short
        repay = np.minimum(hh.savings, hh.debt)
        hh.savings -= repay
        hh.debt -= repay
