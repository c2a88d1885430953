"""Tekun: extreme-hardship support (特困供养)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.jit import jit, jit_inline
from sim.core.params import nonneg, pos, prob, record, record_type
from sim.engine.policies.base import Lever
from sim.engine.policies.means_test import applying, means_tested_income


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


# A year's tekun rules as the compiled review reads them: TekunPars's fields, by name.
TekunRule = record_type("TekunRule", TekunPars, __name__)


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


class Tekun(Lever):
    """Extreme-hardship support: the tekun standard per member.

    For households with no labour, no income and no one obliged to support them: no
    working-age able member, no pupil (:func:`tekun_eligible`), income below ``income_limit``
    (the dibao standard); ``take_up`` stands for the share of them with no relative obliged
    and able to support them (the model does not see relatives living elsewhere).
    """

    recurring = True
    name = "tekun"
    Pars = TekunPars
    stream = "tekun"

    def setup(self, ctx) -> None:
        self.u_take = ctx.streams.uniform(self.stream, 0, ctx.hh.n)

    def select(self, ctx) -> np.ndarray:
        hh, p = ctx.hh, self.pars
        idx = np.empty(hh.n, np.int64)
        n = review(
            hh.arrays, self.u_take, (ctx.t - 1) % p.review_months == 0, ctx.t == 1,
            record(TekunRule, p), idx,
        )  # fmt: skip
        return idx[:n]

    def apply(self, ctx, idx: np.ndarray) -> np.ndarray:
        return self.pars.standard * ctx.hh.n_members[idx]

    def stop(self, ctx) -> None:
        ctx.hh.tekun[:] = False


@jit
def review(hh, u_take, review_all, first_month, rule, out_idx):
    """Tekun review: everyone in a review month, else the monitored households.

    Eligible (:func:`tekun_eligible`) and applying (take-up, monitored, or already a
    recipient). The active recipients go to the front of ``out_idx``; returns how many.
    """
    (tekun, monitored, n_labour, own_pc_month, n_elderly, n_members, transfers0, risk_type,
     n_school, n_disabled, active) = (
        hh.tekun, hh.monitored, hh.n_labour, hh.own_pc_month, hh.n_elderly, hh.n_members,
        hh.transfers0, hh.risk_type, hh.n_school, hh.n_disabled, hh.active
    )  # fmt: skip
    income_limit, pension_disregard, take_up = (
        rule.income_limit, rule.pension_disregard, rule.take_up
    )  # fmt: skip
    n = 0
    for i in range(tekun.size):
        if (review_all or monitored[i]) and n_labour[i] == 0:  # others are never eligible
            income = means_tested_income(
                own_pc_month[i], n_elderly[i], n_members[i], pension_disregard
            )
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


LEVER = Tekun
