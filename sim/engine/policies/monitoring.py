"""The monitoring-and-early-assistance mechanism (防止返贫动态监测和帮扶), itself a lever.

Each month, in this order:
1. clues: a household is at risk (per-capita income below the monitoring line) or had a
   shock whose spending reaches ``spending_alert`` of its yearly income; a clue starts a clock;
2. detection through three channels, each its own draw: self-report (monthly chance), cadre
   visit rounds (every ``visit_every`` months) and department data screening (households with
   a medical bill, a one-off loss or on dibao);
3. identification ``verify_months`` after detection (15 days rounds up to the next month),
   if the clue still holds: the household is monitored, with a risk type (illness, no labour,
   labour) that steers the other levers, and one of the plan's three categories:
   unstable poverty-alleviated (脱贫不稳定户: a poverty-alleviated household), sudden severe
   hardship (突发严重困难户: another household whose shocks of the past year, large rigid
   spending or lost income, reach ``spending_alert`` of its yearly income) or edge
   (边缘易致贫户: any other household, low income without such a shock);
4. exit once monitored at least ``exit_months``, with at least one measure received and
   income above the monitoring line for ``exit_months`` months running.
It pays nothing itself; the levers it steers pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.core.jit import jit, jit_inline
from sim.core.params import pos, prob
from sim.core.random import uniform_at
from sim.engine.households import ILLNESS, LABOUR, NO_LABOUR, PA, RISKS
from sim.engine.policies.base import Lever

CATEGORY_NAMES = ("unstable", "edge", "hardship")
ALL = "all households"
RISK_NAMES = RISKS


@dataclass(frozen=True, kw_only=True)
class MonitoringPars:
    """Detection channels, delays and the exit rule. Any value may be dated."""

    DATED = True
    enabled: bool
    p_self_report: float = prob()
    visit_every: int = pos()
    p_visit: float = prob()
    p_data: float = prob()
    verify_months: int = pos()
    spending_alert: float = pos()
    exit_months: int = pos()


class Monitoring(Lever):
    """See the module docstring."""

    name = "monitoring"
    Pars = MonitoringPars
    stream = "monitoring"
    figures = {
        "n_monitored": (ALL, "households", "households monitored", "监测对象户数"),
        "n_monitored_unstable": (ALL, "households", "monitored: unstable poverty-alleviated",
                                 "监测对象：脱贫不稳定户"),
        "n_monitored_edge": (ALL, "households", "monitored: edge", "监测对象：边缘易致贫户"),
        "n_monitored_hardship": (ALL, "households", "monitored: sudden severe hardship",
                                 "监测对象：突发严重困难户"),
        "new_monitored": (ALL, "households", "households newly monitored", "新识别监测对象"),
        "monitoring_exits": (ALL, "households", "households leaving monitoring",
                             "消除风险的监测对象"),
        "detection_delay_months_total": (ALL, "months", "months from clue to identification, "
                                         "summed over the new cases", "新识别对象从线索到识别的月数之和"),
        "share_monitored_assisted": (ALL, "share", "share of the monitored assisted",
                                     "监测对象帮扶率"),
        "monitoring_inclusion_errors": (ALL, "households", "monitored households not at risk",
                                        "监测对象中无风险户"),
        "monitoring_exclusion_errors": (ALL, "households", "at-risk households not monitored",
                                        "未纳入监测的风险户"),
        "n_monitored_on_dibao": (ALL, "households", "monitored households on dibao",
                                 "享受低保的监测对象"),
    }  # fmt: skip

    def setup(self, ctx) -> None:
        n = ctx.hh.n
        self.t_clue = np.full(n, -1, np.int32)
        self.t_detect = np.full(n, -1, np.int32)
        self.t_start = np.full(n, -1, np.int32)
        self.category = np.full(n, -1, np.int8)
        self.months_above = np.zeros(n, np.int32)
        self.latest: dict[str, float] = {}  # this month's figures

    def act(self, ctx) -> None:
        hh, p, t = ctx.hh, self.pars, ctx.t
        key = ctx.streams.key(self.stream, t)
        # The channels are independent: found by at least one with 1 - prod(1 - p_channel).
        visit = (t - 1) % p.visit_every == 0
        miss = (1 - p.p_self_report) * (1 - p.p_visit * visit)
        counts = np.zeros(len(COUNTS), np.int64)
        by_category = np.zeros(len(CATEGORY_NAMES), np.int64)
        clocks = Clocks(
            self.months_above, self.t_clue, self.t_detect, self.t_start, self.category,
            self.last_paid_year,
        )  # fmt: skip
        rule = MonitoringRule(
            p.exit_months, p.verify_months, float(p.spending_alert), 1 - miss,
            1 - miss * (1 - p.p_data),
        )  # fmt: skip
        delay = _monitor(
            hh.arrays, clocks, rule, key, t, ctx.year, ctx.monitoring_line, hh.loss_unit, counts,
            by_category,
        )  # fmt: skip
        n = dict(zip(COUNTS, counts.tolist(), strict=True))
        # followed up: served in kind (the kernel counts the year's first month of each)
        self.ledger.recipients[t] += n["served"]
        self.recipients_by_year[ctx.year] = (
            self.recipients_by_year.get(ctx.year, 0) + n["first_this_year"]
        )
        self.latest = {
            "n_monitored": n["monitored"],
            **{f"n_monitored_{c}": int(by_category[i]) for i, c in enumerate(CATEGORY_NAMES)},
            "new_monitored": n["new"],
            "monitoring_exits": n["exits"],
            # summed, not averaged: a month with no new case has no mean (NaN); the mean over
            # any period is the sum of this column over the sum of new_monitored
            "detection_delay_months_total": delay,
            "share_monitored_assisted": n["assisted"] / n["monitored"] if n["monitored"] else 0.0,
            "monitoring_inclusion_errors": n["inclusion"],
            "monitoring_exclusion_errors": n["exclusion"],
            "n_monitored_on_dibao": n["on_dibao"],
        }

    def stop(self, ctx) -> None:
        hh = ctx.hh
        hh.monitored[:] = False
        hh.risk_type[:] = -1
        hh.measures[:] = 0
        for clock in (self.t_clue, self.t_detect, self.t_start):
            clock[:] = -1
        self.category[:] = -1
        self.latest = {}

    def report(self) -> dict[str, float]:
        return self.latest


COUNTS = (
    "monitored", "new", "exits", "assisted", "inclusion", "exclusion", "on_dibao", "served",
    "first_this_year",
)  # fmt: skip


@jit_inline
def monitoring_category(poverty_alleviated, losses, yearly_income, spending_alert):
    """The plan's category of a newly monitored household (an index of ``CATEGORY_NAMES``).

    Unstable poverty-alleviated (0) for a poverty-alleviated household; sudden severe hardship
    (2) for another whose shock ``losses`` over the past year (yuan: rigid spending and lost
    income) reach ``spending_alert`` of its ``yearly_income``; edge (1) otherwise.

    Example:
        >>> [monitoring_category(pa, loss, 10_000.0, 0.3) for pa, loss in
        ...  [(True, 0.0), (False, 5_000.0), (False, 1_000.0)]]
        [0, 2, 1]
    """
    if poverty_alleviated:
        return 0
    return 2 if losses >= spending_alert * yearly_income else 1


@jit
def shock_losses(loss, i):
    """Household ``i``'s shock losses over the past year, in units of ``hh.loss_unit``."""
    total = 0.0
    for k in range(loss.shape[0]):
        total += loss[k, i]
    return total


class Clocks(NamedTuple):
    """The mechanism's state by household (model months; -1: not running)."""

    months_above: np.ndarray  # months running above the monitoring line
    t_clue: np.ndarray  # month the current clue started
    t_detect: np.ndarray  # month a channel found the household
    t_start: np.ndarray  # month monitoring started
    category: np.ndarray  # the plan's category (an index of CATEGORY_NAMES), -1
    last_served_year: np.ndarray  # last year served in kind (first service of a year counts)


class MonitoringRule(NamedTuple):
    """The month's rules of the mechanism (:class:`MonitoringPars`)."""

    exit_months: int
    verify_months: int
    spending_alert: float  # shock spending, share of yearly income, that is a clue
    p_found: float  # chance any channel finds an at-risk household this month
    p_found_signal: float  # the same for a household with a signal in the data


@jit
def _monitor(hh, clocks, rule, key, t, year, mline, loss_unit, counts, by_category):
    """One pass of the mechanism: steps 4, 1, 2, 3 of the module docstring.

    Uses last month's status; fills ``counts`` (COUNTS) and ``by_category``; returns the sum
    of the new households' delays from clue to identification, months.
    """
    (active, monitored, pc_income, measures, n_members, med_cost, one_off, dibao, category,
     loss, n_chronic, risk_type, n_labour) = (
        hh.active, hh.monitored, hh.pc_income, hh.measures, hh.n_members, hh.med_cost,
        hh.one_off, hh.dibao, hh.category, hh.loss, hh.n_chronic, hh.risk_type, hh.n_labour
    )  # fmt: skip
    months_above, t_clue, t_detect, t_start, mon_category, last_served_year = clocks
    exit_months, verify_months, spending_alert, p_found, p_found_signal = rule
    delay = monitored_n = new = exits = assisted = inclusion = exclusion = on_dibao = 0
    served = first = 0  # active monitored households; those served a first time this year
    for i in range(pc_income.size):
        above = pc_income[i] >= mline
        months_above[i] = months_above[i] + 1 if above else 0
        # 4. exits
        if monitored[i] and t - t_start[i] >= exit_months:
            if months_above[i] >= exit_months and measures[i] != 0:
                monitored[i] = False
                t_detect[i] = -1
                mon_category[i] = -1
                exits += 1
        # 1. clues (``&``, ``|`` rather than ``and``, ``or``: no branch on a random outcome)
        yearly = max(pc_income[i] * n_members[i], 1.0)
        clue = active[i] & (~above | (med_cost[i] + one_off[i] >= spending_alert * yearly))
        if not clue:
            t_clue[i] = -1
        else:
            if t_clue[i] < 0:
                t_clue[i] = t
            # 2. detection
            signal = med_cost[i] > 0 or one_off[i] > 0 or dibao[i]
            found = uniform_at(key, i) < (p_found_signal if signal else p_found)
            if found and t_detect[i] < 0 and not monitored[i]:
                t_detect[i] = t
        # 3. identification; verification drops households whose risk has passed
        if t_detect[i] >= 0 and t - t_detect[i] >= verify_months and not monitored[i]:
            t_detect[i] = -1
            if clue:
                delay += t - t_clue[i]
                monitored[i] = True
                t_start[i] = t
                t_clue[i] = -1  # the next clue starts a new clock
                measures[i] = 0
                mon_category[i] = monitoring_category(
                    category[i] == PA, shock_losses(loss, i) * loss_unit, yearly,
                    spending_alert,
                )  # fmt: skip
                new += 1
        at_risk = ~above & active[i]
        if monitored[i]:
            if med_cost[i] > 0 or n_chronic[i] > 0:
                risk_type[i] = ILLNESS
            elif n_labour[i] == 0:
                risk_type[i] = NO_LABOUR
            else:
                risk_type[i] = LABOUR
            monitored_n += 1
            if mon_category[i] >= 0:  # set on identification (tests may set monitored directly)
                by_category[mon_category[i]] += 1
            assisted += measures[i] != 0
            inclusion += ~at_risk
            on_dibao += dibao[i]
            served += active[i]
            if active[i] and last_served_year[i] != year:
                last_served_year[i] = year
                first += 1
        else:
            risk_type[i] = -1
            exclusion += at_risk
    counts[:] = monitored_n, new, exits, assisted, inclusion, exclusion, on_dibao, served, first
    return delay


LEVER = Monitoring
