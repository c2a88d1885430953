"""Industry support: the mustard-tuber protection price and a production subsidy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.params import month, nonneg
from sim.engine.households import ShareByCategory
from sim.engine.policies.base import Lever


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
    Pars = IndustryPars
    stream = "industry"

    def setup(self, ctx) -> None:
        hh = ctx.hh
        # Whether a grower contracts, or is subsidised, is a lasting trait (its draw).
        self.u = [ctx.streams.uniform(self.stream, 0, hh.n, part) for part in range(2)]
        self.refresh(ctx)

    def refresh(self, ctx) -> None:
        hh, p = ctx.hh, self.pars
        cat = hh.category
        self.contract = (hh.mustard_mu > 0) & (self.u[0] < p.contract_share.array()[cat])
        self.subsidised = (hh.mustard_mu > 0) & (self.u[1] < p.subsidy_share.array()[cat])

    def eligible(self, ctx) -> np.ndarray:
        month = ctx.month
        harvest = month in ctx.harvest_months
        low = self.pars.floor_price > ctx.price
        mask = self.contract if harvest and low else np.zeros(ctx.hh.n, bool)
        return mask | self.subsidised if month == self.pars.subsidy_month else mask

    def apply(self, ctx, idx: np.ndarray) -> np.ndarray:
        hh, p = ctx.hh, self.pars
        gap = max(p.floor_price - ctx.price, 0.0)
        pay = np.where(self.contract[idx], gap * hh.mustard_tonnes[idx], 0.0)
        if ctx.month == p.subsidy_month:
            pay += np.where(self.subsidised[idx], p.subsidy_per_mu * hh.mustard_mu[idx], 0.0)
        return pay


LEVER = Industry
