"""Critical-illness insurance: the second medical tier, on what basic insurance left."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.errors import ConfigError
from sim.core.params import nonneg, prob, resolve
from sim.core.schedule import Dated
from sim.engine.policies.medical import MedicalTier, Schedule, poor_groups


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
    Pars = CriticalPars

    def schedule(self, ctx, who: np.ndarray) -> Schedule:
        p = self.pars
        basic = ctx.lever("basic_insurance")
        rates = [t.rate for t in p.tiers]
        return Schedule(
            covered=basic.insured[who] if basic is not None else np.ones(who.size, bool),
            group=poor_groups(ctx.hh, who),
            deductible=p.deductible * np.array([1.0, p.poor_deductible_share]),
            cap=np.array([p.cap, np.inf if p.poor_no_cap else p.cap]),
            above=np.array([t.above for t in p.tiers]),
            rates=np.array([[min(r + b, 1.0) for r in rates] for b in (0.0, p.poor_rate_bonus)]),
        )


LEVER = CriticalIllness
