"""Three-tier medical protection: basic insurance, critical-illness insurance, medical assistance.

Each tier pays on the in-policy cost still unpaid by the tiers before it, by calendar year:
its entitlement is a function of the year-to-date base, and each month it pays the rise in
entitlement. Deductibles and caps are yearly; everything resets in January.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params import Dated, dated, nonneg, prob
from sim.policies.base import FEN, Lever
from sim.population import PA, ShareByCategory


def poor_groups(hh, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Households (of ``idx``) the rules treat as poor: poverty-alleviated, dibao or tekun."""
    return (hh.category[idx] == PA) | hh.dibao[idx] | hh.tekun[idx]


class MedicalTier(Lever):
    """A tier: ``entitlement(model, base_ytd)`` gives the yearly amount due; pays its rise."""

    kind = "medical"

    def setup(self, model) -> None:
        self.base = np.zeros(model.hh.n)  # in-policy cost left to this tier, this year
        self.paid = np.zeros(model.hh.n)  # paid by this tier this year

    def select(self, model) -> np.ndarray:
        """Households with in-policy cost this month (only they can be paid) that are covered.

        Adds the cost still unpaid by earlier tiers to everyone's yearly base first.
        """
        hh = model.hh
        self.new_year(model.calendar(model.t)[0], self.base, self.paid)
        sick = np.flatnonzero((hh.med_in_policy > 0) & hh.active)
        self.left = np.maximum(hh.med_in_policy[sick] - hh.reimbursed_fen[sick] / FEN, 0.0)
        self.base[sick] += self.left
        keep = self.covered(model, sick)
        self.left = self.left[keep]
        return sick[keep]

    def covered(self, model, idx: np.ndarray) -> np.ndarray:
        """Which households of ``idx`` this tier covers (boolean, aligned with ``idx``)."""
        raise NotImplementedError

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        year = model.calendar(model.t)[0]
        due = self.entitlement(model, self.base[idx], year, idx)
        pay = np.clip(due - self.paid[idx], 0.0, self.left)
        self.paid[idx] += pay
        return pay

    def entitlement(self, model, base: np.ndarray, year: int, idx: np.ndarray) -> np.ndarray:
        """Amount due for the year so far, yuan, given the year's base of households ``idx``."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class BasicPars:
    """Basic medical insurance for rural residents."""

    enabled: bool
    enrolment: ShareByCategory
    deductible: Dated = dated("nonneg")
    rate: Dated = dated("prob")
    cap: Dated = dated("nonneg")
    premium: Dated = dated("nonneg")
    subsidy_tekun: float = prob()
    subsidy_poor: float = prob()


class BasicInsurance(MedicalTier):
    """Pays ``rate`` of in-policy costs above the yearly ``deductible``, up to ``cap`` a year.

    The government pays the individual premium of tekun households (``subsidy_tekun``) and a
    share of it for the poverty-alleviated and dibao households (``subsidy_poor``): each
    January, as spending that reaches no household directly.
    """

    name = "basic_insurance"
    stream = "basic_insurance"

    def setup(self, model) -> None:
        super().setup(model)
        u = model.streams.get(self.stream, 0).random(model.hh.n)
        self.insured = u < self.pars.enrolment.array()[model.hh.category]

    def covered(self, model, idx: np.ndarray) -> np.ndarray:
        return self.insured[idx]

    def entitlement(self, model, base, year, idx):
        p = self.pars
        return np.minimum(p.rate(year) * np.maximum(base - p.deductible(year), 0.0), p.cap(year))

    def other_cost(self, model) -> float:
        year, month = model.calendar(model.t)
        if month != 1 and model.t != 1:
            return 0.0
        hh, p = model.hh, self.pars
        share = np.where(hh.tekun, p.subsidy_tekun, np.where(poor_groups(hh), p.subsidy_poor, 0.0))
        return float((share * p.premium(year) * hh.n_members * self.insured * hh.active).sum())

    def report(self) -> dict[str, float]:
        return {"n_insured": int(self.insured.sum())}


@dataclass(frozen=True, kw_only=True)
class Tier:
    """A band of a tiered rate: ``rate`` applies to the amount above ``above`` (yuan/year)."""

    above: float = nonneg()
    rate: float = prob()


@dataclass(frozen=True, kw_only=True)
class CriticalPars:
    """Critical-illness insurance (on the in-policy cost left after basic insurance)."""

    enabled: bool
    deductible: Dated = dated("nonneg")
    tiers: list[Tier]
    cap: Dated = dated("nonneg")
    poor_deductible_share: float = prob()
    poor_rate_bonus: float = prob()
    poor_no_cap: bool


def tiered(amount: np.ndarray, tiers, bonus: np.ndarray | float = 0.0) -> np.ndarray:
    """Sum over bands of (rate + bonus, at most 1) x the part of ``amount`` in the band.

    Example:
        >>> ts = [Tier(above=0, rate=0.6), Tier(above=50_000, rate=0.7)]
        >>> tiered(np.array([10_000.0, 60_000.0]), ts).tolist()  # 6,000; 30,000 + 7,000
        [6000.0, 37000.0]
    """
    out = np.zeros_like(amount)
    bounds = [t.above for t in tiers] + [np.inf]
    for t, lo, hi in zip(tiers, bounds[:-1], bounds[1:], strict=True):
        out += np.minimum(t.rate + bonus, 1.0) * np.clip(amount - lo, 0.0, hi - lo)
    return out


class CriticalIllness(MedicalTier):
    """Tiered rates above a yearly deductible, kinder to the poor.

    For the poor the deductible is cut (halved by default), rates rise (+5 points) and there
    is no cap (2018-20 national plan).
    """

    name = "critical_illness"

    def covered(self, model, idx: np.ndarray) -> np.ndarray:
        basic = model.lever("basic_insurance")
        return basic.insured[idx] if basic is not None else np.ones(idx.size, bool)

    def entitlement(self, model, base, year, idx):
        p = self.pars
        poor = poor_groups(model.hh, idx)
        ded = p.deductible(year) * np.where(poor, p.poor_deductible_share, 1.0)
        due = tiered(np.maximum(base - ded, 0.0), p.tiers, np.where(poor, p.poor_rate_bonus, 0.0))
        cap = np.where(poor & p.poor_no_cap, np.inf, p.cap(year))
        return np.minimum(due, cap)


@dataclass(frozen=True, kw_only=True)
class AssistancePars:
    """Medical assistance (on the in-policy cost left after both insurances)."""

    enabled: bool
    share: Dated = dated("prob")
    share_tekun: Dated = dated("prob")
    cap: Dated = dated("nonneg")
    include_pa: bool


class MedicalAssistance(MedicalTier):
    """The last tier: a share of what both insurances left, for the poor and the monitored.

    Pays ``share`` (``share_tekun`` for tekun) of what is left, up to ``cap`` a year, for
    dibao and tekun households, the poverty-alleviated (``include_pa``, transition period) and
    monitored households whose risk is illness.
    """

    name = "medical_assistance"

    def covered(self, model, idx: np.ndarray) -> np.ndarray:
        hh = model.hh
        pa = (hh.category[idx] == PA) & self.pars.include_pa
        ill = hh.monitored[idx] & (hh.risk_type[idx] == 0)
        return hh.dibao[idx] | hh.tekun[idx] | pa | ill

    def entitlement(self, model, base, year, idx):
        p = self.pars
        share = np.where(model.hh.tekun[idx], p.share_tekun(year), p.share(year))
        return np.minimum(share * base, p.cap(year))
