"""Dibao: the means-tested minimum-living allowance (低保)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.jit import jit, jit_inline
from sim.core.params import nonneg, pos, prob, record, record_type, resolve
from sim.core.random import uniform_at
from sim.engine.households import ShareByCategory
from sim.engine.policies import tekun
from sim.engine.policies.base import Lever
from sim.engine.policies.means_test import applying, means_tested_income


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
    wage_weight: float = prob()
    disabled_earnings_disregard: float = prob()
    review_months: int = pos()
    take_up: ShareByCategory
    exclusion_error: float = prob()
    inclusion_error: float = prob()
    inclusion_band: float = pos()
    single_person: bool
    low_income_multiple: float = pos()


@jit_inline
def dibao_amount(rule, pc, n_members, n_disabled, n_chronic, n_school):
    """Monthly dibao for a whole household, yuan/month.

    The gap to the ``standard`` per member (at least the ``minimum``), plus top-ups (yuan per
    person-month) for the disabled, the seriously ill (here: the chronically ill; the model
    has no age 70+ or severe-disability group) and pupils; ``pc`` is the household's
    means-tested income (:func:`means_tested_income`), yuan per person-month.

    Example (2021: standard 515, minimum 40, disabled +40, school +100):
        >>> from sim.config.compose import compose
        >>> from sim.engine.schema import to_dict
        >>> from sim.core.params import parse, resolve
        >>> spec = parse(DibaoPars, to_dict(compose([]))["policy"]["dibao"], "policy.dibao")
        >>> rule = record(DibaoRule, resolve(spec, 2021))
        >>> rule.standard, rule.minimum
        (515.0, 40.0)
        >>> dibao_amount(rule, 215.0, 3, 1, 0, 1)  # 3 x 300 + 40 + 100
        1040.0
    """
    gap = max(rule.standard - pc, rule.minimum)
    top = (
        rule.topup_disabled * n_disabled + rule.topup_severe * n_chronic
        + rule.topup_school * n_school
    )  # fmt: skip
    return gap * n_members + top


@jit_inline
def counted_income(own, wages, n_elderly, n_members, n_disabled_working, n_workers, rule):
    """Income the dibao means test counts, yuan per person-month (:func:`means_tested_income`).

    ``own``: own net income over the past 12 months, of which market ``wages``, yuan per
    person-month; only ``rule.wage_weight`` of the wages counts, and of the counted wages of
    the household's disabled workers (``n_disabled_working`` of its ``n_workers``, at the
    household's mean wage) ``rule.disabled_earnings_disregard`` is not counted either.
    """
    counted = means_tested_income(own, n_elderly, n_members, rule.pension_disregard)
    disabled = min(n_disabled_working, n_workers) / max(n_workers, 1)
    counted_wages = rule.wage_weight * wages
    return (
        counted - (1.0 - rule.wage_weight) * wages
        - rule.disabled_earnings_disregard * counted_wages * disabled
    )  # fmt: skip


class Dibao(Lever):
    """Means-tested minimum-living allowance.

    Reviewed every ``review_months`` (monitored households every month), with take-up,
    targeting errors and the single-person rule.
    """

    recurring = True
    name = "dibao"
    Pars = DibaoPars
    stream = "dibao"
    figures = {
        "dibao_single_person": ("all households", "households",
                                "dibao for one member (single-person rule)", "单人户低保"),
    }  # fmt: skip

    def setup(self, ctx) -> None:
        self.amount = np.zeros(ctx.hh.n)
        self.single = np.zeros(ctx.hh.n, bool)
        # Whether a household would apply is a lasting trait, drawn once.
        self.u_take = ctx.streams.uniform(self.stream, 0, ctx.hh.n)

    def uses_wages(self, ctx) -> bool:
        """Whether the means test counts less than all wages in some month of the run."""
        return any(
            p.wage_weight < 1 or p.disabled_earnings_disregard > 0
            for p in (self.pars_at(ctx, t) for t in range(1, ctx.burn_in + ctx.months + 1))
        )

    def select(self, ctx) -> np.ndarray:
        hh, p = ctx.hh, self.pars
        idx = np.empty(hh.n, np.int64)
        n = review(
            hh.arrays, record(DibaoRule, p), (ctx.t - 1) % p.review_months == 0, ctx.t == 1,
            ctx.streams.key(self.stream, ctx.t), self.u_take, self.amount, self.single, idx,
        )  # fmt: skip
        return idx[:n]

    def apply(self, ctx, idx: np.ndarray) -> np.ndarray:
        return self.amount[idx]

    def stop(self, ctx) -> None:
        ctx.hh.dibao[:] = False
        self.amount[:] = 0.0
        self.single[:] = False

    def report(self) -> dict[str, float]:
        return {"dibao_single_person": int(self.single.sum())}


# A year's dibao rules as the compiled review reads them: DibaoPars's fields, by name.
DibaoRule = record_type("DibaoRule", DibaoPars, __name__)


@jit
def review(hh, rule, review_all, first_month, key, u_take, amount, single, out_idx):
    """Dibao review (everyone in a review month, else the monitored households).

    The means test, targeting errors and the single-person rule; ``&``, ``|`` rather than
    ``and``, ``or``, so that random outcomes cost no branch. ``take_up`` is by category. The
    active recipients go to the front of ``out_idx``; returns how many.
    """
    (dibao, monitored, own_pc_month, wage_pc_month, n_elderly, n_members, tekun, transfers0,
     category, risk_type, n_chronic, n_disabled, n_school, active, n_disabled_working,
     n_migrant, n_local) = (
        hh.dibao, hh.monitored, hh.own_pc_month, hh.wage_pc_month, hh.n_elderly, hh.n_members,
        hh.tekun, hh.transfers0, hh.category, hh.risk_type, hh.n_chronic, hh.n_disabled,
        hh.n_school, hh.active, hh.n_disabled_working, hh.n_migrant, hh.n_local
    )  # fmt: skip
    standard, take_up = rule.standard, rule.take_up
    n = 0
    for i in range(dibao.size):
        if review_all or monitored[i]:
            own, wages = own_pc_month[i], wage_pc_month[i]
            pc = counted_income(
                own, wages, n_elderly[i], n_members[i], n_disabled_working[i],
                n_migrant[i] + n_local[i], rule,
            )  # fmt: skip
            tk, u_err = tekun[i], uniform_at(key, i)
            current, applies = applying(
                dibao[i], first_month, transfers0[i], u_take[i], take_up[category[i]],
                monitored[i], risk_type[i],
            )  # fmt: skip
            poor = (pc < standard) & ~tk
            # Targeting errors strike new applicants; current recipients are reviewed on the rules.
            full = poor & applies & (current | (u_err >= rule.exclusion_error))
            wrong = (
                ~poor & ~tk & (pc < rule.inclusion_band * standard) & applies & ~current
                & (u_err < rule.inclusion_error)
            )  # fmt: skip
            ill = (n_chronic[i] > 0) | (n_disabled[i] > 0)
            single[i] = (
                rule.single_person & ~(full | wrong) & ~tk & applies & ill
                & (pc < rule.low_income_multiple * standard)
            )  # fmt: skip
            means_tested = dibao_amount(
                rule, pc, n_members[i], n_disabled[i], n_chronic[i], n_school[i]
            )
            amount[i] = (
                standard + rule.topup_severe if single[i]
                else (means_tested if full | wrong else 0.0)
            )  # fmt: skip
            dibao[i] = amount[i] > 0
        out_idx[n] = i
        n += dibao[i] & active[i]
    return n


def base_year_transfers(
    hh, policy: dict, year: int, own_pc_month: np.ndarray, wage_pc_month: np.ndarray, streams
) -> np.ndarray:
    """Dibao and tekun each household received in ``year`` (the base year), yuan/year.

    The levers' own reviews (:func:`sim.engine.policies.tekun.review`, then :func:`review`) with ``policy``'s
    rules of that year and the levers' own take-up draws, on own income ``own_pc_month``, of
    which wages ``wage_pc_month`` (yuan per person-month): nobody is a recipient or monitored
    yet.
    """
    n = hh.n
    dib, tek = resolve(policy["dibao"], year), resolve(policy["tekun"], year)
    # nobody is a recipient, monitored or with base-year transfers yet; everyone is active
    nobody = np.zeros(n, bool)
    arrays = hh.struct(
        own_pc_month=own_pc_month, wage_pc_month=wage_pc_month, transfers0=np.zeros(n), active=np.ones(n, bool), tekun=nobody,
        dibao=nobody.copy(), monitored=nobody.copy(), risk_type=np.full(n, -1),
    )  # fmt: skip
    amount, idx = np.zeros(n), np.empty(n, np.int64)
    if tek.enabled:
        u_take = streams.uniform(tekun.Tekun.stream, 0, n)
        tekun.review(arrays, u_take, True, False, record(tekun.TekunRule, tek), idx)
    if dib.enabled:
        key, u_take = streams.key(Dibao.stream, 0), streams.uniform(Dibao.stream, 0, n)
        review(
            arrays, record(DibaoRule, dib), True, False, key, u_take, amount, np.zeros(n, bool), idx
        )
    on_tekun, dibao = arrays.tekun, arrays.dibao
    return 12.0 * (
        np.where(dibao, amount, 0.0) + np.where(on_tekun, tek.standard * hh.n_members, 0.0)
    )


LEVER = Dibao
