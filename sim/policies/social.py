"""Social assistance: dibao (minimum-living allowance), tekun (extreme hardship), temporary aid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params import Dated, dated, nonneg, pos, prob
from sim.policies.base import Lever, shock_spending, shocked


def idle_labour(hh) -> np.ndarray:
    """Labourers not in migrant or local work (farming, seeking work, or weak labour)."""
    return hh.n_labour - hh.n_migrant - hh.n_local


@dataclass(frozen=True, kw_only=True)
class DibaoPars:
    """Dibao rules; money in yuan per person per month."""

    enabled: bool
    standard: Dated = dated("nonneg")
    minimum: Dated = dated("nonneg")
    topup_disabled: Dated = dated("nonneg")
    topup_severe: Dated = dated("nonneg")
    topup_school: Dated = dated("nonneg")
    review_months: int = pos()
    take_up: float = prob()
    exclusion_error: float = prob()
    inclusion_error: float = prob()
    inclusion_band: float = pos()
    single_person: bool
    low_income_multiple: float = pos()


def dibao_amount(pars: DibaoPars, year: int, pc: np.ndarray, hh, idx=slice(None)) -> np.ndarray:
    """Monthly dibao for whole households (``idx``; ``pc`` aligned with it), yuan/month.

    The gap to the standard per member (at least the minimum), plus top-ups for the
    disabled, the seriously ill and pupils.

    Example (2021: standard 515, disabled +40, school +100):
        >>> from sim.config import compose, to_dict
        >>> from sim.params import parse
        >>> from sim.population import Households
        >>> p = parse(DibaoPars, to_dict(compose(["policy=status_quo"]))["policy"]["dibao"], "d")
        >>> hh = Households.from_columns(n_members=[3], n_disabled=[1], n_school=[1])
        >>> dibao_amount(p, 2021, np.array([215.0]), hh).tolist()  # 3 x 300 + 40 + 100
        [1040.0]
    """
    gap = np.maximum(pars.standard(year) - pc, pars.minimum(year))
    top = (
        pars.topup_disabled(year) * hh.n_disabled[idx]
        + pars.topup_severe(year) * hh.n_chronic[idx]
        + pars.topup_school(year) * hh.n_school[idx]
    )
    return gap * hh.n_members[idx] + top


class Dibao(Lever):
    """Means-tested minimum-living allowance.

    Reviewed every ``review_months`` (monitored households every month), with take-up,
    targeting errors and the single-person rule.
    """

    name = "dibao"
    stream = "dibao"

    def setup(self, model) -> None:
        self.amount = np.zeros(model.hh.n)
        self.single = np.zeros(model.hh.n, bool)
        # Whether a household would apply is a lasting trait, drawn once.
        self.u_take = model.streams.get(self.stream, 0).random(model.hh.n)

    def eligible(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        year = model.calendar(model.t)[0]
        review_month = (model.t - 1) % p.review_months == 0
        r = np.arange(hh.n) if review_month else np.flatnonzero(hh.monitored)
        u_err = model.streams.get(self.stream, model.t).random(hh.n)[r]
        std = p.standard(year)
        pc = hh.own_pc[r]
        tekun = hh.tekun[r]
        current = hh.dibao[r] | ((model.t == 1) & (hh.transfers0[r] > 0))
        applies = (self.u_take[r] < p.take_up) | hh.monitored[r] | current
        poor = (pc < std) & ~tekun
        # Targeting errors strike new applicants; current recipients are reviewed on the rules.
        full = poor & applies & (current | (u_err >= p.exclusion_error))
        wrong = ~poor & ~tekun & (pc < p.inclusion_band * std) & applies & ~current
        wrong &= u_err < p.inclusion_error
        ill = (hh.n_chronic[r] > 0) | (hh.n_disabled[r] > 0)
        single = p.single_person & ~(full | wrong) & ~tekun & applies & ill
        single &= pc < p.low_income_multiple * std
        amount = np.where(full | wrong, dibao_amount(p, year, pc, hh, r), 0.0)
        self.amount[r] = np.where(single, std + p.topup_severe(year), amount)
        self.single[r] = single
        hh.dibao[r] = self.amount[r] > 0
        return hh.dibao

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        return self.amount[idx]

    def report(self) -> dict[str, float]:
        return {"dibao_single_person": int(self.single.sum())}


@dataclass(frozen=True, kw_only=True)
class TekunPars:
    """Extreme-hardship support: yuan per person per month."""

    enabled: bool
    standard: Dated = dated("nonneg")
    review_months: int = pos()
    take_up: float = prob()


class Tekun(Lever):
    """Extreme-hardship support: the tekun standard per member.

    For households with no labour, no income and no one obliged to support them (no
    working-age able member, no child).
    """

    name = "tekun"
    stream = "tekun"

    def setup(self, model) -> None:
        self.u_take = model.streams.get(self.stream, 0).random(model.hh.n)

    def eligible(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        year = model.calendar(model.t)[0]
        u = self.u_take
        review = hh.monitored.copy() if (model.t - 1) % p.review_months else np.ones(hh.n, bool)
        alone = (
            (hh.n_labour == 0) & (hh.n_school == 0) & (hh.n_elderly + hh.n_disabled >= hh.n_members)
        )
        applies = (u < p.take_up) | hh.monitored | hh.tekun | ((model.t == 1) & (hh.transfers0 > 0))
        ok = alone & (hh.own_pc < p.standard(year)) & applies
        if review.all():
            hh.tekun[:] = ok
        else:
            hh.tekun[review] = ok[review]
        return hh.tekun

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        year = model.calendar(model.t)[0]
        return self.pars.standard(year) * model.hh.n_members[idx]


@dataclass(frozen=True, kw_only=True)
class TemporaryPars:
    """One-off aid after a sudden shock."""

    enabled: bool
    threshold_share: float = nonneg()
    income_multiple: float = pos()
    take_up: float = prob()
    pay_share: float = prob()
    cap: Dated = dated("nonneg")
    cooldown_months: int = nonneg()


class Temporary(Lever):
    """Temporary assistance: a one-off payment after a sudden shock.

    Paid when this month's shock spending (out-of-pocket medical after the
    medical levers, plus funeral or asset losses) reaches ``threshold_share`` of the household's
    yearly income and its per-capita income is below ``income_multiple`` x the monitoring line.
    Pays ``pay_share`` of that spending up to ``cap``; at most once per ``cooldown_months``.
    """

    name = "temporary"
    stream = "temporary"

    def setup(self, model) -> None:
        self.last = np.full(model.hh.n, -10_000, np.int32)

    def eligible(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        year = model.calendar(model.t)[0]
        u = model.streams.get(self.stream, model.t).random(hh.n)
        hit = shocked(hh)
        yearly = np.maximum(hh.pc_income[hit] * hh.n_members[hit], 1.0)
        line = p.income_multiple * model.cfg.outcomes.monitoring_line(year)
        ok = (shock_spending(hh, hit) >= p.threshold_share * yearly) & (hh.pc_income[hit] < line)
        ok &= model.t - self.last[hit] >= p.cooldown_months
        ok &= (u[hit] < p.take_up) | hh.monitored[hit]
        mask = np.zeros(hh.n, bool)
        mask[hit[ok]] = True
        return mask

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        year = model.calendar(model.t)[0]
        pay = np.minimum(self.pars.pay_share * shock_spending(model.hh, idx), self.pars.cap(year))
        self.last[idx[pay > 0]] = model.t
        return pay
