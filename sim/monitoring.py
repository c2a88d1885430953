"""The monitoring-and-early-assistance mechanism (防止返贫动态监测和帮扶), itself a lever.

Each month, in this order:
1. clues: a household is at risk (per-capita income below the monitoring line) or had a
   shock whose spending reaches ``spending_alert`` of its yearly income; a clue starts a clock;
2. detection through three channels, each its own draw: self-report (monthly chance), cadre
   visit rounds (every ``visit_every`` months) and department data screening (households with
   a medical bill, a one-off loss or on dibao);
3. identification ``verify_months`` after detection (15 days rounds up to the next month),
   if the clue still holds: the household is monitored, with a category (unstable
   poverty-alleviated, edge, sudden severe hardship) and a risk type (illness, no labour,
   labour) that steers the other levers;
4. exit once monitored at least ``exit_months``, with at least one measure received and
   income above the monitoring line for ``exit_months`` months running.
It pays nothing itself; the levers it steers pay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params import pos, prob
from sim.policies.base import Lever
from sim.population import EDGE, PA

CATEGORY_NAMES = ("unstable", "edge", "hardship")
RISK_NAMES = ("illness", "no_labour", "labour")


@dataclass(frozen=True, kw_only=True)
class MonitoringPars:
    """Detection channels, delays and the exit rule."""

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
    stream = "monitoring"

    def setup(self, model) -> None:
        n = model.hh.n
        self.t_clue = np.full(n, -1, np.int32)
        self.t_detect = np.full(n, -1, np.int32)
        self.t_start = np.full(n, -1, np.int32)
        self.category = np.full(n, -1, np.int8)
        self.months_above = np.zeros(n, np.int32)
        self.figures: dict[str, float] = {}

    def eligible(self, model) -> np.ndarray:
        hh, p, t = model.hh, self.pars, model.t
        year = model.calendar(t)[0]
        u = model.streams.get(self.stream, t).random(hh.n)
        mline = model.cfg.outcomes.monitoring_line(year)

        # 4. exits (on last month's status)
        above = hh.pc_income >= mline
        self.months_above = np.where(above, self.months_above + 1, 0)
        leave = (
            hh.monitored & (t - self.t_start >= p.exit_months)
            & (self.months_above >= p.exit_months) & (hh.measures != 0)
        )  # fmt: skip
        hh.monitored &= ~leave
        # 1. clues
        yearly = np.maximum(hh.pc_income * hh.n_members, 1.0)
        shock = (hh.med_cost + hh.one_off) >= p.spending_alert * yearly
        clue = (~above | shock) & hh.active
        self.t_clue = np.where(clue & (self.t_clue < 0), t, np.where(clue, self.t_clue, -1))
        # 2. detection of households with a clue, not yet detected or monitored
        # The channels are independent: found by at least one with 1 - prod(1 - p_channel).
        visit = (t - 1) % p.visit_every == 0
        signal = (hh.med_cost > 0) | (hh.one_off > 0) | hh.dibao
        miss = (1 - p.p_self_report) * (1 - p.p_visit * visit)
        found = u < 1 - np.where(signal, miss * (1 - p.p_data), miss)
        new_detect = clue & found & (self.t_detect < 0) & ~hh.monitored
        self.t_detect[new_detect] = t
        # 3. identification after the verification delay
        due = (self.t_detect >= 0) & (t - self.t_detect >= p.verify_months) & ~hh.monitored
        start = due & clue  # verification drops households whose risk has passed
        self.t_detect[due & ~clue] = -1
        delay = (t - self.t_clue[start]).astype(float)
        hh.monitored |= start
        self.t_start[start] = t
        self.t_detect[start | leave] = -1
        self.t_clue[start] = -1  # the next clue starts a new clock
        hh.measures[start] = 0
        pa = hh.category == PA
        self.category[start] = np.where(
            pa[start] & ~above[start],
            0,
            np.where((hh.category[start] == EDGE) | ~above[start], 1, 2),
        )
        self.category[leave] = -1
        hh.risk_type[:] = -1
        watched = np.flatnonzero(hh.monitored)
        ill = (hh.med_cost[watched] > 0) | (hh.n_chronic[watched] > 0)
        hh.risk_type[watched] = np.where(ill, 0, np.where(hh.n_labour[watched] == 0, 1, 2))

        at_risk = ~above & hh.active
        mon = hh.monitored
        self.figures = {
            "n_monitored": int(mon.sum()),
            **{
                f"n_monitored_{c}": int((mon & (self.category == i)).sum())
                for i, c in enumerate(CATEGORY_NAMES)
            },
            "new_monitored": int(start.sum()),
            "monitoring_exits": int(leave.sum()),
            "detection_delay_months": float(delay.mean()) if delay.size else float("nan"),
            "share_monitored_assisted": float((hh.measures[mon] != 0).mean()) if mon.any() else 0.0,
            "monitoring_inclusion_errors": int((mon & ~at_risk).sum()),
            "monitoring_exclusion_errors": int((at_risk & ~mon).sum()),
        }
        return np.zeros(hh.n, bool)

    def apply(self, model, idx: np.ndarray) -> np.ndarray:
        return np.zeros(idx.size)

    def report(self) -> dict[str, float]:
        return self.figures

    def report_keys(self) -> list[str]:
        return [
            "n_monitored", *[f"n_monitored_{c}" for c in CATEGORY_NAMES], "new_monitored",
            "monitoring_exits", "detection_delay_months", "share_monitored_assisted",
            "monitoring_inclusion_errors", "monitoring_exclusion_errors",
        ]  # fmt: skip
