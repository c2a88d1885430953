"""Three-tier medical protection: basic insurance, critical-illness insurance, medical assistance.

Each tier pays on the in-policy cost still unpaid by the tiers before it, by calendar year:
its entitlement is a function of the year-to-date base, and each month it pays the rise in
entitlement. Deductibles and caps are yearly; everything resets in January.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.errors import ConfigError
from sim.jit import jit, jit_inline
from sim.params import nonneg, prob, resolve
from sim.policies.base import FEN, Lever, spenders
from sim.population import ILLNESS, PA, ShareByCategory
from sim.schedule import Dated


def poor_groups(hh, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Households (of ``idx``) the rules treat as poor: poverty-alleviated, dibao or tekun."""
    return (hh.category[idx] == PA) | hh.dibao[idx] | hh.tekun[idx]


@dataclass
class Schedule:
    """A tier's rules for one year, for two groups of households (0, and 1 = the kinder rules).

    On a household's year-to-date ``base`` (yuan) the tier owes, for its group ``g``, the sum
    over bands ``k`` of ``rates[g, k]`` times the part of ``base - deductible[g]`` in the band
    (from ``above[k]`` up to the next band), at most ``cap[g]``.
    """

    covered: np.ndarray  # which of the households asked about the tier covers (bool)
    group: np.ndarray  # their groups (bool: True = group 1)
    deductible: np.ndarray  # by group, yuan/year
    cap: np.ndarray  # by group, yuan/year (inf: no cap)
    above: np.ndarray  # lower bound of each band, yuan/year, increasing from 0
    rates: np.ndarray  # by group and band, share of the band paid


class MedicalTier(Lever):
    """A tier: pays, each month, the rise in what its :class:`Schedule` makes due this year."""

    kind = "medical"

    def setup(self, model) -> None:
        n = model.hh.n
        self.base = np.zeros(n)  # in-policy cost left to this tier, this year
        self.paid = np.zeros(n)  # paid by this tier this year
        self._idx, self._pay = np.zeros(n, np.int64), np.zeros(n)  # this month's, first ones

    def schedule(self, model, who: np.ndarray) -> Schedule:
        """This year's rules (see :class:`Schedule`), for households ``who``."""
        raise NotImplementedError

    def stop(self, model) -> None:
        self.base[:] = 0.0
        self.paid[:] = 0.0

    def select(self, model) -> np.ndarray:
        """Covered households with in-policy cost this month; works out their payments too.

        The cost still unpaid by earlier tiers is added to every patient's yearly base first.
        """
        hh = model.hh
        self.new_year(model.year, self.base, self.paid)
        who = patients(model)
        s = self.schedule(model, who)
        n = _tier(
            who, hh.med_in_policy, hh.reimbursed_fen, s.covered, s.group,
            s.deductible, s.cap, s.above, s.rates, self.base, self.paid, self._idx, self._pay,
        )  # fmt: skip
        return self._idx[:n]

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        return self._pay[: idx.size]


@jit_inline
def owed(base, g, deductible, cap, above, rates):
    """What a :class:`Schedule` makes due on a yearly ``base`` for group ``g``, yuan.

    Example (critical illness: 60% up to 50,000 above the deductible, 70% beyond):
        >>> above, rates = np.array([0.0, 50_000.0]), np.array([[0.6, 0.7]])
        >>> owed(80_000.0, 0, np.array([20_000.0]), np.array([np.inf]), above, rates)
        37000.0
    """
    amount = max(base - deductible[g], 0.0)
    due = 0.0
    for k in range(above.size):
        width = above[k + 1] - above[k] if k + 1 < above.size else np.inf
        due += rates[g, k] * min(max(amount - above[k], 0.0), width)
    return min(due, cap[g])


def patients(model) -> np.ndarray:
    """Active households with an in-policy medical cost this month (found once a month).

    Among the :func:`spenders`: an in-policy cost is part of the medical cost.
    """

    def find() -> np.ndarray:
        who = spenders(model)
        return who[model.hh.med_in_policy[who] > 0]

    return model.shared("patients", find)


@jit
def _tier(
    patients, med_in_policy, reimbursed_fen, covered, group,
    deductible, cap, above, rates, base, paid, out_idx, out_pay,
):  # fmt: skip
    """One pass of :meth:`MedicalTier.select` over the month's ``patients``.

    ``covered`` and ``group`` are the patients' (:class:`Schedule`). The covered patients and
    what they are paid go to the front of ``out_idx`` and ``out_pay``; returns how many.
    """
    n = 0
    for j in range(patients.size):
        i = patients[j]
        left = max(med_in_policy[i] - reimbursed_fen[i] / FEN, 0.0)
        base[i] += left
        if not covered[j]:
            continue
        due = owed(base[i], 1 if group[j] else 0, deductible, cap, above, rates)
        out_idx[n] = i
        out_pay[n] = min(max(due - paid[i], 0.0), left)
        paid[i] += out_pay[n]
        n += 1
    return n


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
    stream = "basic_insurance"

    def setup(self, model) -> None:
        super().setup(model)
        # Whether a household enrols is a lasting trait: its draw, against the year's rate.
        self.u_enrol = model.streams.uniform(self.stream, 0, model.hh.n)
        self.active = model.hh.active  # the live array: households dissolve
        self.refresh(model)

    def refresh(self, model) -> None:
        self.insured = self.u_enrol < self.pars.enrolment.array()[model.hh.category]

    def schedule(self, model, who: np.ndarray) -> Schedule:
        p = self.pars
        return Schedule(
            covered=self.insured[who],
            group=np.zeros(who.size, bool),  # the same rules for every household
            deductible=np.full(2, p.deductible),
            cap=np.full(2, p.cap),
            above=np.zeros(1),
            rates=np.full((2, 1), p.rate),
        )

    def other_cost(self, model) -> float:
        if model.month != 1 and model.t != 1:
            return 0.0
        hh, p = model.hh, self.pars
        share = np.where(hh.tekun, p.subsidy_tekun, np.where(poor_groups(hh), p.subsidy_poor, 0.0))
        return float((share * p.premium * hh.n_members * self.insured * hh.active).sum())

    def report(self) -> dict[str, float]:
        return {"n_insured": int((self.insured & self.active).sum())}


@dataclass(frozen=True, kw_only=True)
class Tier:
    """A band of a tiered rate: ``rate`` applies to the amount above ``above`` (yuan/year)."""

    above: float = nonneg()
    rate: float = prob()


@dataclass(frozen=True, kw_only=True)
class CriticalPars:
    """Critical-illness insurance (on the in-policy cost left after basic insurance).

    Any value may be dated.
    """

    DATED = True
    enabled: bool
    deductible: float = nonneg()
    tiers: list[Tier]
    cap: float = nonneg()
    poor_deductible_share: float = prob()
    poor_rate_bonus: float = prob()
    poor_no_cap: bool

    def validate(self, where: str) -> None:
        """At least one tier; tiers in rising order of ``above``, in every year."""
        if not self.tiers:
            raise ConfigError(f"{where}.tiers: empty; give at least [{{above: 0, rate: 0.6}}]")
        years = {y for t in self.tiers for v in (t.above, t.rate) if isinstance(v, Dated)
                 for y in v.years()} or {0}  # fmt: skip
        for year in sorted(years):
            above = [resolve(t, year).above for t in self.tiers]
            if any(b <= a for a, b in zip(above, above[1:], strict=False)):
                raise ConfigError(
                    f"{where}.tiers: 'above' must rise from tier to tier (got {above}"
                    f"{'' if year == 0 else f' in {year}'})"
                )


class CriticalIllness(MedicalTier):
    """Tiered rates above a yearly deductible, kinder to the poor.

    For the poor the deductible is cut (halved by default), rates rise (+5 points) and there
    is no cap (2018-20 national plan).
    """

    name = "critical_illness"

    def schedule(self, model, who: np.ndarray) -> Schedule:
        p = self.pars
        basic = model.lever("basic_insurance")
        rates = [t.rate for t in p.tiers]
        return Schedule(
            covered=basic.insured[who] if basic is not None else np.ones(who.size, bool),
            group=poor_groups(model.hh, who),
            deductible=p.deductible * np.array([1.0, p.poor_deductible_share]),
            cap=np.array([p.cap, np.inf if p.poor_no_cap else p.cap]),
            above=np.array([t.above for t in p.tiers]),
            rates=np.array([[min(r + b, 1.0) for r in rates] for b in (0.0, p.poor_rate_bonus)]),
        )


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

    def schedule(self, model, who: np.ndarray) -> Schedule:
        hh, p = model.hh, self.pars
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
