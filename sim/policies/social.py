"""Social assistance: dibao (minimum-living allowance), tekun (extreme hardship), temporary aid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.jit import jit, jit_inline
from sim.params import nonneg, pos, prob, resolve
from sim.policies.base import Lever, shock_spending, spenders
from sim.population import NO_LABOUR, ShareByCategory
from sim.random import uniform_at


@dataclass(frozen=True, kw_only=True)
class DibaoPars:
    """Dibao rules; money in yuan per person per month. Any value may be dated."""

    DATED = True
    enabled: bool
    standard: float = nonneg()
    minimum: float = nonneg()
    topup_disabled: float = nonneg()
    topup_severe: float = nonneg()
    topup_school: float = nonneg()
    pension_disregard: float = nonneg()
    review_months: int = pos()
    take_up: ShareByCategory
    exclusion_error: float = prob()
    inclusion_error: float = prob()
    inclusion_band: float = pos()
    single_person: bool
    low_income_multiple: float = pos()


@jit_inline
def means_tested_income(own_pc, n_elderly, n_members, pension_disregard):
    """Own income counted by the means tests, yuan per person-month.

    The basic pension of each member 60+ is not counted, up to ``pension_disregard`` a month
    (the central minimum basic pension; Ministry of Civil Affairs dibao measures, 2021).

    Example:
        >>> means_tested_income(400.0, 1, 2, 98.0)  # 800 a month, of which 98 pension
        351.0
    """
    return own_pc - pension_disregard * n_elderly / max(n_members, 1)


@jit_inline
def tekun_eligible(n_labour, n_school, n_elderly, n_disabled, n_members, income, limit):
    """Extreme hardship: no labourer or pupil, only elderly or disabled members, low income.

    Means-tested ``income`` (yuan per person-month) below ``limit`` (the dibao standard).

    Example:
        >>> tekun_eligible(0, 0, 1, 0, 1, 300.0, 515.0), tekun_eligible(1, 0, 1, 0, 2, 0.0, 515.0)
        (True, False)
    """
    alone = (n_labour == 0) & (n_school == 0) & (n_elderly + n_disabled >= n_members)
    return alone & (income < limit)


@jit_inline
def dibao_amount(standard, minimum, topups, pc, n_members, n_disabled, n_chronic, n_school):
    """Monthly dibao for a whole household, yuan/month.

    The gap to the ``standard`` per member (at least the ``minimum``), plus ``topups`` (yuan per
    person-month) for the disabled, the seriously ill (here: the chronically ill; the model
    has no age 70+ or severe-disability group) and pupils; ``pc`` is the household's
    means-tested income (:func:`means_tested_income`), yuan per person-month.

    Example (2021: standard 515, minimum 40, disabled +40, school +100):
        >>> from sim.config import compose, to_dict
        >>> from sim.params import parse, resolve
        >>> spec = parse(DibaoPars, to_dict(compose([]))["policy"]["dibao"], "policy.dibao")
        >>> p = resolve(spec, 2021)
        >>> Dibao.amount_rule(p)[0:2]
        (515.0, 40.0)
        >>> dibao_amount(*Dibao.amount_rule(p), 215.0, 3, 1, 0, 1)  # 3 x 300 + 40 + 100
        1040.0
    """
    gap = max(standard - pc, minimum)
    top = topups[0] * n_disabled + topups[1] * n_chronic + topups[2] * n_school
    return gap * n_members + top


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
        self.u_take = model.streams.uniform(self.stream, 0, model.hh.n)

    @staticmethod
    def amount_rule(p: DibaoPars) -> tuple[float, float, np.ndarray]:
        """Standard, minimum and top-ups (disabled, severe illness, school) of a year's rules."""
        tops = [p.topup_disabled, p.topup_severe, p.topup_school]
        return p.standard, p.minimum, np.array(tops)

    def select(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        idx = np.empty(hh.n, np.int64)
        n = _review(
            (model.t - 1) % p.review_months == 0, model.streams.key(self.stream, model.t),
            self.u_take, hh.own_pc, hh.tekun, hh.monitored, hh.risk_type, hh.transfers0,
            hh.category,
            hh.n_members, hh.n_elderly, hh.n_disabled, hh.n_chronic, hh.n_school,
            hh.active, hh.dibao, self.amount, self.single,
            model.t == 1, *self.amount_rule(p), p.pension_disregard, p.take_up.array(),
            p.exclusion_error, p.inclusion_error, p.inclusion_band, p.single_person,
            p.low_income_multiple, idx,
        )  # fmt: skip
        return idx[:n]

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        return self.amount[idx]

    def stop(self, model) -> None:
        model.hh.dibao[:] = False
        self.amount[:] = 0.0
        self.single[:] = False

    def report(self) -> dict[str, float]:
        return {"dibao_single_person": int(self.single.sum())}


@dataclass(frozen=True, kw_only=True)
class TekunPars:
    """Extreme-hardship support: yuan per person per month. Any value may be dated."""

    DATED = True
    enabled: bool
    standard: float = nonneg()
    income_limit: float = nonneg()
    pension_disregard: float = nonneg()
    review_months: int = pos()
    take_up: float = prob()


class Tekun(Lever):
    """Extreme-hardship support: the tekun standard per member.

    For households with no labour, no income and no one obliged to support them: no
    working-age able member, no pupil (:func:`tekun_eligible`), income below ``income_limit``
    (the dibao standard); ``take_up`` stands for the share of them with no relative obliged
    and able to support them (the model does not see relatives living elsewhere).
    """

    name = "tekun"
    stream = "tekun"

    def setup(self, model) -> None:
        self.u_take = model.streams.uniform(self.stream, 0, model.hh.n)

    def select(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        idx = np.empty(hh.n, np.int64)
        n = _tekun_review(
            (model.t - 1) % p.review_months == 0, model.t == 1, p.income_limit,
            p.pension_disregard, p.take_up, self.u_take, hh.own_pc, hh.n_labour, hh.n_school,
            hh.n_elderly, hh.n_disabled, hh.n_members, hh.transfers0, hh.monitored,
            hh.risk_type, hh.active, hh.tekun, idx,
        )  # fmt: skip
        return idx[:n]

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        return self.pars.standard * model.hh.n_members[idx]

    def stop(self, model) -> None:
        model.hh.tekun[:] = False


@dataclass(frozen=True, kw_only=True)
class TemporaryPars:
    """One-off aid after a sudden shock. Any value may be dated."""

    DATED = True
    enabled: bool
    threshold_share: float = nonneg()
    income_multiple: float = pos()
    take_up: float = prob()
    pay_share: float = prob()
    cap: float = nonneg()
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

    def select(self, model) -> np.ndarray:
        hh, p = model.hh, self.pars
        who = spenders(model)
        idx, self.spending = np.empty(who.size, np.int64), np.empty(who.size)
        line = p.income_multiple * model.monitoring_line
        n = _temporary(
            who, model.streams.key(self.stream, model.t), model.t, self.last, p.cooldown_months,
            p.take_up, p.threshold_share, line, hh.med_cost, hh.reimbursed_fen, hh.one_off,
            hh.pc_income, hh.n_members, hh.monitored, hh.active, idx, self.spending,
        )  # fmt: skip
        return idx[:n]

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        pay = np.minimum(self.pars.pay_share * self.spending[: idx.size], self.pars.cap)
        self.last[idx[pay > 0]] = model.t
        return pay


@jit
def _temporary(
    spenders, key, t, last, cooldown_months, take_up, threshold_share, line,
    med_cost, reimbursed_fen, one_off, pc_income, n_members, monitored, active,
    out_idx, out_spending,
):  # fmt: skip
    """Households due temporary aid this month, among the month's ``spenders``.

    They and their shock spending go to the front of ``out_idx`` and ``out_spending``;
    returns how many.
    """
    n = 0
    for i in spenders:  # without a branch
        spending = shock_spending(med_cost[i], reimbursed_fen[i], one_off[i])
        yearly = max(pc_income[i] * n_members[i], 1.0)
        out_idx[n], out_spending[n] = i, spending
        n += (
            ((med_cost[i] > 0) | (one_off[i] > 0)) & (spending >= threshold_share * yearly)
            & (pc_income[i] < line) & (t - last[i] >= cooldown_months)
            & ((uniform_at(key, i) < take_up) | monitored[i]) & active[i]
        )  # fmt: skip
    return n


def base_year_transfers(hh, policy: dict, year: int, own_pc: np.ndarray, streams) -> np.ndarray:
    """Dibao and tekun each household received in ``year`` (the base year), yuan/year.

    The levers' own reviews (:func:`_tekun_review`, then :func:`_review`) with ``policy``'s
    rules of that year and the levers' own take-up draws, on own income ``own_pc`` (yuan per
    person-month): nobody is a recipient or monitored yet.
    """
    n = hh.n
    dib, tek = resolve(policy["dibao"], year), resolve(policy["tekun"], year)
    tekun, dibao, single = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    amount, idx = np.zeros(n), np.empty(n, np.int64)
    nobody, none, everyone = np.zeros(n, bool), np.zeros(n), np.ones(n, bool)
    no_risk = np.full(n, -1, np.int8)
    if tek.enabled:
        _tekun_review(
            True, False, tek.income_limit, tek.pension_disregard, tek.take_up,
            streams.uniform(Tekun.stream, 0, n), own_pc, hh.n_labour, hh.n_school,
            hh.n_elderly, hh.n_disabled, hh.n_members, none, nobody, no_risk, everyone, tekun,
            idx,
        )  # fmt: skip
    if dib.enabled:
        _review(
            True, streams.key(Dibao.stream, 0), streams.uniform(Dibao.stream, 0, n), own_pc,
            tekun, nobody, no_risk, none, hh.category, hh.n_members, hh.n_elderly, hh.n_disabled,
            hh.n_chronic, hh.n_school, everyone, dibao, amount, single, False,
            *Dibao.amount_rule(dib), dib.pension_disregard, dib.take_up.array(),
            dib.exclusion_error, dib.inclusion_error, dib.inclusion_band, dib.single_person,
            dib.low_income_multiple, idx,
        )  # fmt: skip
    return 12.0 * (np.where(dibao, amount, 0.0) + np.where(tekun, tek.standard * hh.n_members, 0.0))


@jit_inline
def applying(receives, first_month, transfers0, u_take, take_up, monitored, risk_type):
    """Whether a household is a current recipient, and whether it applies at a review.

    Current: receives the benefit now, or (first month) received transfers in the base year.
    Applying: current, a taker (its lasting take-up draw ``u_take``), or steered to social
    assistance by the monitoring mechanism: monitored with no labour as its risk (the plan:
    those unable to earn a stable income go to dibao or tekun).
    """
    current = receives | (first_month & (transfers0 > 0))
    steered = monitored & (risk_type == NO_LABOUR)
    return current, (u_take < take_up) | steered | current


@jit
def _review(
    review_all, key, u_take, own_pc, tekun, monitored, risk_type, transfers0, category,
    n_members, n_elderly, n_disabled, n_chronic, n_school, active,
    dibao, amount, single,
    first_month, standard, minimum, topups, pension_disregard, take_up, exclusion_error,
    inclusion_error, inclusion_band, single_person, low_income_multiple, out_idx,
):  # fmt: skip
    """Dibao review (everyone in a review month, else the monitored households).

    The means test, targeting errors and the single-person rule; ``&``, ``|`` rather than
    ``and``, ``or``, so that random outcomes cost no branch. ``take_up`` is by category. The
    active recipients go to the front of ``out_idx``; returns how many.
    """
    n = 0
    for i in range(dibao.size):
        if review_all or monitored[i]:
            pc = means_tested_income(own_pc[i], n_elderly[i], n_members[i], pension_disregard)
            tk, u_err = tekun[i], uniform_at(key, i)
            current, applies = applying(
                dibao[i], first_month, transfers0[i], u_take[i], take_up[category[i]],
                monitored[i], risk_type[i],
            )  # fmt: skip
            poor = (pc < standard) & ~tk
            # Targeting errors strike new applicants; current recipients are reviewed on the rules.
            full = poor & applies & (current | (u_err >= exclusion_error))
            wrong = (
                ~poor & ~tk & (pc < inclusion_band * standard) & applies & ~current
                & (u_err < inclusion_error)
            )  # fmt: skip
            ill = (n_chronic[i] > 0) | (n_disabled[i] > 0)
            single[i] = (
                single_person & ~(full | wrong) & ~tk & applies & ill
                & (pc < low_income_multiple * standard)
            )  # fmt: skip
            means_tested = dibao_amount(
                standard, minimum, topups, pc, n_members[i], n_disabled[i], n_chronic[i],
                n_school[i],
            )  # fmt: skip
            amount[i] = (
                standard + topups[1] if single[i] else (means_tested if full | wrong else 0.0)
            )
            dibao[i] = amount[i] > 0
        out_idx[n] = i
        n += dibao[i] & active[i]
    return n


@jit
def _tekun_review(
    review_all, first_month, income_limit, pension_disregard, take_up, u_take, own_pc,
    n_labour, n_school, n_elderly, n_disabled, n_members, transfers0, monitored, risk_type,
    active, tekun, out_idx,
):  # fmt: skip
    """Tekun review: everyone in a review month, else the monitored households.

    Eligible (:func:`tekun_eligible`) and applying (take-up, monitored, or already a
    recipient). The active recipients go to the front of ``out_idx``; returns how many.
    """
    n = 0
    for i in range(tekun.size):
        if (review_all or monitored[i]) and n_labour[i] == 0:  # others are never eligible
            income = means_tested_income(own_pc[i], n_elderly[i], n_members[i], pension_disregard)
            _, applies = applying(
                tekun[i], first_month, transfers0[i], u_take[i], take_up, monitored[i],
                risk_type[i],
            )  # fmt: skip
            tekun[i] = applies & tekun_eligible(
                n_labour[i], n_school[i], n_elderly[i], n_disabled[i], n_members[i], income,
                income_limit,
            )  # fmt: skip
        elif review_all or monitored[i]:
            tekun[i] = False
        out_idx[n] = i
        n += tekun[i] & active[i]
    return n
