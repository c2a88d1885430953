"""Medical assistance: the last medical tier, for the poor and the monitored ill."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.jit import jit
from sim.core.params import nonneg, prob
from sim.engine.households import ILLNESS, PA
from sim.engine.policies.medical import MedicalTier, Schedule


@dataclass(frozen=True, kw_only=True)
class AssistancePars:
    """Medical assistance (on the in-policy cost left after both insurances).

    Any value may be dated.
    """

    DATED = True
    enabled: bool
    share: float = prob()
    share_tekun: float = prob()
    cap: float = nonneg()
    include_pa: bool


class MedicalAssistance(MedicalTier):
    """The last tier: a share of what both insurances left, for the poor and the monitored.

    Pays ``share`` (``share_tekun`` for tekun) of what is left, up to ``cap`` a year, for
    dibao and tekun households, the poverty-alleviated (``include_pa``, transition period) and
    monitored households whose risk is illness.
    """

    name = "medical_assistance"
    Pars = AssistancePars

    def schedule(self, ctx, who: np.ndarray) -> Schedule:
        hh, p = ctx.hh, self.pars
        covered = np.empty(who.size, bool)
        _assisted(who, hh.dibao, hh.tekun, hh.category, hh.monitored, hh.risk_type, p.include_pa,
                  covered)  # fmt: skip
        return Schedule(
            covered=covered,
            group=hh.tekun[who],
            deductible=np.zeros(2),
            cap=np.full(2, p.cap),
            above=np.zeros(1),
            rates=np.array([[p.share], [p.share_tekun]]),
        )


@jit
def _assisted(who, dibao, tekun, category, monitored, risk_type, include_pa, out):
    """Which households ``who`` medical assistance covers (see :class:`MedicalAssistance`)."""
    for j in range(who.size):
        i = who[j]
        ill = monitored[i] & (risk_type[i] == ILLNESS)  # monitored, with illness the risk
        out[j] = dibao[i] | tekun[i] | ((category[i] == PA) & include_pa) | ill


LEVER = MedicalAssistance
