"""Basic medical insurance for rural residents: the first of the three medical tiers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.params import nonneg, prob
from sim.engine.households import ShareByCategory
from sim.engine.policies.medical import MedicalTier, Schedule, poor_groups


@dataclass(frozen=True, kw_only=True)
class BasicPars:
    """Basic medical insurance for rural residents. Any value may be dated."""

    DATED = True
    enabled: bool
    enrolment: ShareByCategory
    deductible: float = nonneg()
    rate: float = prob()
    cap: float = nonneg()
    premium: float = nonneg()
    subsidy_tekun: float = prob()
    subsidy_poor: float = prob()


class BasicInsurance(MedicalTier):
    """Pays ``rate`` of in-policy costs above the yearly ``deductible``, up to ``cap`` a year.

    The government pays the individual premium of tekun households (``subsidy_tekun``) and a
    share of it for the poverty-alleviated and dibao households (``subsidy_poor``): each
    January, as spending that reaches no household directly.
    """

    name = "basic_insurance"
    Pars = BasicPars
    stream = "basic_insurance"
    figures = {"n_insured": ("all households", "households", "households insured", "参保农户")}

    def setup(self, ctx) -> None:
        super().setup(ctx)
        # Whether a household enrols is a lasting trait: its draw, against the year's rate.
        self.u_enrol = ctx.streams.uniform(self.stream, 0, ctx.hh.n)
        self.active = ctx.hh.active  # the live array: households dissolve
        self.refresh(ctx)

    def refresh(self, ctx) -> None:
        self.insured = self.u_enrol < self.pars.enrolment.array()[ctx.hh.category]

    def schedule(self, ctx, who: np.ndarray) -> Schedule:
        p = self.pars
        return Schedule(
            covered=self.insured[who],
            group=np.zeros(who.size, bool),  # the same rules for every household
            deductible=np.full(2, p.deductible),
            cap=np.full(2, p.cap),
            above=np.zeros(1),
            rates=np.full((2, 1), p.rate),
        )

    def other_cost(self, ctx) -> float:
        if ctx.month != 1 and ctx.t != 1:
            return 0.0
        hh, p = ctx.hh, self.pars
        share = np.where(hh.tekun, p.subsidy_tekun, np.where(poor_groups(hh), p.subsidy_poor, 0.0))
        return float((share * p.premium * hh.n_members * self.insured * hh.active).sum())

    def report(self) -> dict[str, float]:
        return {"n_insured": int((self.insured & self.active).sum())}


LEVER = BasicInsurance
