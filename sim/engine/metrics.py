"""Outcomes: poverty status, relapse and its cause, FGT, counts, the large-scale rule.

Status comes from trailing-12-month per-capita net income; counts are by town and category.

Definitions (DESIGN section 3):
- net income = own income + transfers - out-of-pocket medical spending (rigid spending);
- poor = trailing-12-month per-capita net income below the poverty line, the line being the
  mean of the yearly lines in force over the same 12 months (:meth:`Outcomes.lines`): a new
  year's line comes in month by month as the income window moves into the year;
- relapsed = a poverty-alleviated (PA) household that is poor; newly poor = any other poor one;
- at risk = below the monitoring line;
- a relapse event = a PA household becoming poor this month; its cause is the shock with the
  largest yuan loss over the past year (decaying account), or "structural" if none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.core.jit import jit, jit_inline
from sim.core.params import Dated, between, dated, nonneg, one_of, parse, prob
from sim.engine.households import CATEGORIES, HISTORY, PA, Economy, Households
from sim.engine.shocks import CAUSES


@dataclass(frozen=True, kw_only=True)
class LargeScale:
    """The large-scale-relapse rule (an assumption: no official threshold exists)."""

    town_rate: float = prob()
    town_min_count: int = nonneg()
    district_rate: float = prob()


@dataclass(frozen=True, kw_only=True)
class Catastrophic:
    """Catastrophic health expenditure (CHE).

    Out-of-pocket care over 12 months at least ``threshold`` of non-food spending; food is
    ``food_share`` of spending.
    """

    threshold: float = prob()
    food_share: float = prob()


# Rigid spending the relapse rule may deduct from income (RelapseRule.deduct), as codes.
DEDUCT = ("none", "in_policy", "all")


@dataclass(frozen=True, kw_only=True)
class RelapseRule:
    """How a household is found poor (relapsed, if poverty-alleviated).

    ``deduct``: the out-of-pocket care taken off 12-month income - ``in_policy`` (inside the
    insurance catalogue), ``all`` or ``none``. ``assistance_in_force``: dibao and tekun in
    payment count at twelve times this month's amount when that is more than the past year's
    transfers. ``confirm_months``: consecutive monthly assessments below the line.
    """

    deduct: str = one_of(*DEDUCT)
    assistance_in_force: bool
    confirm_months: int = between(1, 12)


@dataclass(frozen=True, kw_only=True)
class OutcomePars:
    """Lines (yuan/person/year, by year), the relapse rule, CHE, the large-scale rule."""

    poverty_line: Dated = dated("pos")
    monitoring_line: Dated = dated("pos")
    relapse: RelapseRule
    catastrophic: Catastrophic
    large_scale: LargeScale


def outcome_pars(data: dict) -> OutcomePars:
    """Parse and check the ``outcomes`` section of a config."""
    return parse(OutcomePars, data, "outcomes")


def fgt(income: np.ndarray, line: float, alpha: int, weight: np.ndarray) -> float:
    """Foster-Greer-Thorbecke index P_alpha, weighted (by persons).

    Example:
        >>> y, w = np.array([1.0, 2.0, 5.0]), np.array([1, 1, 2])
        >>> fgt(y, 4.0, 0, w), fgt(y, 4.0, 1, w), fgt(y, 4.0, 2, w)
        (0.5, 0.3125, 0.203125)
    """
    return fgt_all(income, line, weight, (alpha,))[0]


def fgt_all(
    income: np.ndarray, line: float, weight: np.ndarray, alphas: tuple[int, ...] = (0, 1, 2)
) -> tuple[float, ...]:
    """FGT indices for several ``alphas`` at once, sharing one pass over the poor.

    Example:
        >>> fgt_all(np.array([1.0, 2.0, 5.0]), 4.0, np.array([1, 1, 2]))
        (0.5, 0.3125, 0.203125)
    """
    total = weight.sum()
    if total == 0:
        return tuple(0.0 for _ in alphas)
    poor = np.flatnonzero(income < line)
    gap = (line - income[poor]) / line
    w = weight[poor]
    return tuple(float((w * gap**a).sum() / total) for a in alphas)


@jit_inline
def catastrophic(
    shock_oop, routine, cash, n_members, floor_year, consumption_share, food_share, threshold
):  # fmt: skip
    """Whether a household's care over 12 months was catastrophic (yuan over 12 months).

    Out of pocket: the care for shocks ``shock_oop`` plus everyday care ``routine``. Spending:
    ordinary consumption (the consumption rule of :class:`sim.engine.livelihood.Livelihood` on
    ``cash``, income net of ``shock_oop``; everyday care is part of it) plus ``shock_oop``;
    non-food spending is ``1 - food_share`` of it.

    Example (3 members; floor 3,000 each; 80% of cash above the floor spent; food 1/3):
        >>> catastrophic(8000.0, 1100.0, 30000.0, 3, 3000.0, 0.8, 1 / 3, 0.4)  # 9,100 >= 9,013
        True
    """
    need = floor_year * n_members
    consumption = need + consumption_share * max(cash - need, 0.0)
    non_food = (1.0 - food_share) * (consumption + shock_oop)
    oop = shock_oop + routine
    return (oop > 0.0) & (oop >= threshold * non_food)


@jit_inline
def per_capita(sum_own, sum_transfer, n_members, active):
    """Trailing-12-month per-capita net income, yuan/person/year (0 for a dissolved household)."""
    return (sum_own + sum_transfer) / max(n_members, 1) if active else 0.0


@jit_inline
def assessed_income(
    sum_own, sum_transfer, sum_oop, sum_oop_in, allowance_month, n_members, active, deduct,
    in_force,
):  # fmt: skip
    """Per-capita income as the relapse rule assesses it, yuan/person/year (:class:`RelapseRule`).

    12-month own income before care (``sum_own`` is net of all out-of-pocket care
    ``sum_oop``) less the rigid spending ``deduct`` names (0 none, 1 in-policy ``sum_oop_in``,
    2 all), plus transfers: the past year's, or with ``in_force`` twelve times this month's
    allowances when that is more.

    Example (3 members; 9,000 own income net of 3,000 care, of it 1,000 in-policy; dibao of
    600 a month since this month, 600 received so far): 9,000 + 3,000 - 1,000 own, and 7,200
    of dibao a year; with every care cost deducted and the past year's transfers, 9,600:
        >>> assessed_income(9000.0, 600.0, 3000.0, 1000.0, 600.0, 3, True, 1, True)  # 18,200 / 3
        6066.666666666667
        >>> assessed_income(9000.0, 600.0, 3000.0, 1000.0, 600.0, 3, True, 2, False)
        3200.0
    """
    if not active:
        return 0.0
    own = sum_own + sum_oop
    if deduct == 1:
        own -= sum_oop_in
    elif deduct == 2:
        own -= sum_oop
    transfer = max(sum_transfer, 12.0 * allowance_month) if in_force else sum_transfer
    return (own + transfer) / max(n_members, 1)


def per_capita_income(hh: Households) -> np.ndarray:
    """:func:`per_capita` of every household."""
    out = np.empty(hh.n)
    _per_capita_all(hh.sum_own, hh.sum_transfer, hh.n_members, hh.active, out)
    return out


@jit
def _per_capita_all(sum_own, sum_transfer, n_members, active, out):
    for i in range(out.size):
        out[i] = per_capita(sum_own[i], sum_transfer[i], n_members[i], active[i])


def yearly_shares(
    new_by_town_year: np.ndarray, pa_by_town: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, float]]:
    """By year: relapse counts by town, their shares of each town's PA households, district share.

    The figures the large-scale rule compares with its thresholds (a row of ``new_by_town_year``
    counts the PA households with at least one relapse in that year).
    """
    pa = np.maximum(pa_by_town, 1)
    pa_total = max(int(pa_by_town.sum()), 1)
    for counts in new_by_town_year:
        yield counts, counts / pa, counts.sum() / pa_total


def large_scale_events(
    new_by_town_year: np.ndarray, pa_by_town: np.ndarray, rule: LargeScale, years: list[int]
) -> list[dict]:
    """(Town or district, year) cells that meet the rule; empty means no large-scale relapse.

    ``new_by_town_year[y, town]`` counts PA households with at least one relapse in year ``y``.

    Example:
        >>> rule = LargeScale(town_rate=0.03, town_min_count=10, district_rate=0.5)
        >>> large_scale_events(np.array([[12, 2]]), np.array([300, 300]), rule, [2021])
        [{'year': 2021, 'where': 'town 0', 'households': 12, 'rate': 0.04}]
    """
    events = []
    shares = yearly_shares(new_by_town_year, pa_by_town)
    for year, (counts, rate, district) in zip(years, shares, strict=True):
        for town in np.flatnonzero((rate >= rule.town_rate) & (counts >= rule.town_min_count)):
            events.append(
                {"year": year, "where": f"town {town}", "households": int(counts[town]),
                 "rate": round(float(rate[town]), 6)}
            )  # fmt: skip
        if district >= rule.district_rate:
            events.append(
                {"year": year, "where": "district", "households": int(counts.sum()),
                 "rate": round(float(district), 6)}
            )  # fmt: skip
    return events


class Outcomes:
    """Updates poverty status each month and keeps the series the model reports.

    ``calendar(t)`` gives the (year, month) of model month ``t``; ``months`` is the last one;
    ``econ`` gives the consumption rule (capacity to pay for care). The shock-loss accounts
    that name a relapse's cause fade by ``(loss_months - 1) / loss_months`` a month.
    """

    def __init__(
        self,
        pars: OutcomePars,
        hh: Households,
        n_towns: int,
        years: list[int],
        econ: Economy,
        calendar: Callable[[int], tuple[int, int]],
        months: int,
        loss_months: int = 12,
    ) -> None:
        self.pars = pars
        r = pars.relapse
        self.rule = AssessRule(DEDUCT.index(r.deduct), r.assistance_in_force, r.confirm_months)
        self.loss_decay = (loss_months - 1) / loss_months
        # The lines for the income window ending in each month t = 0..months (t = 0: the
        # window before the first month): means of the yearly lines over its 12 months.
        window_years = [
            [calendar(k)[0] for k in range(t - HISTORY + 1, t + 1)] for t in range(months + 1)
        ]
        self._lines = np.array(
            [[np.mean([line(y) for y in ys]) for line in (pars.poverty_line, pars.monitoring_line)]
             for ys in window_years]
        )  # fmt: skip
        self.floor_year = 12 * econ.consumption_floor  # yuan/person/year
        self.consumption_share = econ.consumption_share
        self.n_towns = n_towns
        self.years = years
        self.pa_by_town = np.bincount(hh.town[hh.category == PA], minlength=n_towns)
        self.new_by_town_year = np.zeros((len(years), n_towns), np.int64)
        self.current: dict[str, float] = {}
        self.group_rows: list[dict[str, np.ndarray]] = []

    def lines(self, t: int) -> tuple[float, float]:
        """Poverty and monitoring lines for the 12-month income window ending in month ``t``.

        Yuan per person per year: the mean of the yearly lines in force in those 12 months.
        """
        pline, mline = self._lines[t]
        return float(pline), float(mline)

    def update(
        self, hh: Households, t: int, year: int, label: str, routine: tuple[float, float, float]
    ) -> None:
        """Month ``t`` of ``year``: income history, status, the month's figures.

        The 12-month history gets own income net of care costs, transfers and care costs (slot
        ``t % HISTORY``; the sums are re-added from it once a year, so that rounding errors
        cannot accumulate). ``routine``: everyday care this month, yuan per person-equivalent,
        and the extra weights of a member 60+ and of a chronically ill one
        (:meth:`sim.engine.shocks.Shocks.routine`).
        """
        pline, mline = self.lines(t)
        towns = np.zeros((len(TOWN_COUNTS), self.n_towns), np.int64)
        cats = np.zeros((2, len(CATEGORIES)), np.int64)
        causes = np.zeros(len(CAUSES), np.int64)
        totals = np.zeros(len(TOTALS), np.int64)
        sums = np.zeros(len(SUMS))
        now = StatusMonth(t % HISTORY, t, year, float(pline), float(mline))
        cat = self.pars.catastrophic
        care = CareRule(
            *map(float, (self.floor_year, self.consumption_share, cat.food_share, cat.threshold)),
            *map(float, routine),
        )  # fmt: skip
        _status(hh.arrays, now, care, self.rule, towns, cats, causes, totals, sums)
        hh.decay_losses(self.loss_decay)  # after the causes
        s = dict(zip(SUMS, sums.tolist(), strict=True))
        self.new_by_town_year[self.years.index(year)] += towns[TOWN_COUNTS.index("counted")]
        n = dict(zip(TOTALS, totals.tolist(), strict=True))
        c = self.current = {
            "month": label,
            "year": year,
            **{k: n[k] for k in TOTALS if k != "n_pa"},
            **{f"fgt{a}": s[f"fgt{a}"] / max(n["n_people"], 1) for a in (0, 1, 2)},
            "poverty_line": pline,
            "monitoring_line": mline,
            "mean_pc_income_pa": s["pa_income"] / n["n_pa"] if n["n_pa"] else 0.0,
            **{k: s[k] for k in ("income", "transfers", "med_cost", "med_oop", "med_routine")},
        }
        for i, name in enumerate(CAUSES):
            c[f"new_relapsed_{name}"] = int(causes[i])
        for code, name in enumerate(CATEGORIES):
            c[f"n_poor_{name}"] = int(cats[0, code])
            c[f"n_at_risk_{name}"] = int(cats[1, code])
        self.group_rows.append(
            {
                "month": label,
                "town": np.arange(self.n_towns),
                **{k: towns[i] for i, k in enumerate(TOWN_COUNTS) if k != "counted"},
            }
        )

    def book_reimbursed(self, hh: Households, patients: np.ndarray, chronic_month: float) -> None:
        """Take this month's reimbursements off the illness and chronic-care loss accounts.

        Shocks book the gross cost of care; what the medical levers pay back was no loss to the
        household. The reimbursement is split between the month's acute and chronic care in
        proportion to their cost; ``chronic_month`` is the month's care per chronically ill
        member, yuan. ``patients``: the households the medical levers may have paid.
        """
        _book_reimbursed(
            hh.arrays, patients, chronic_month, 1.0 / hh.loss_unit, CAUSES.index("illness"),
            CAUSES.index("chronic"),
        )  # fmt: skip

    def reset(self, hh: Households) -> None:
        """Forget events so far (end of the burn-in); the current status stays."""
        self.new_by_town_year[:] = 0
        self.group_rows.clear()
        hh.t_relapse[:] = -1
        hh.relapse_year[:] = -1
        hh.cause[:] = -1
        hh.ever_relapsed[:] = hh.poor & (hh.category == PA)
        hh.ever_poor_net_care[:] = hh.poor_net_care & (hh.category == PA)

    def start(self, hh: Households) -> None:
        """The starting status, from the history filled with base-year incomes."""
        pline, mline = self.lines(0)
        hh.pc_income[:] = per_capita_income(hh)
        hh.pc_assessed[:] = hh.pc_income  # no care costs yet: every measure agrees
        hh.poor_net_care[:] = (hh.pc_income < pline) & hh.active
        hh.poor[:] = hh.poor_net_care
        hh.months_below[:] = np.where(hh.poor, self.rule.confirm_months, 0)
        hh.at_risk[:] = (hh.pc_income < mline) & hh.active

    def relapse_shares(self) -> dict[int, tuple[float, tuple[int, float, int], int]]:
        """By year: district relapse share, worst town (index, share, households), households.

        What the large-scale rule compares with its thresholds: shares of PA households with a
        relapse event in the year.
        """
        out = {}
        shares = yearly_shares(self.new_by_town_year, self.pa_by_town)
        for year, (counts, rate, district) in zip(self.years, shares, strict=True):
            town = int(np.argmax(rate))
            worst = (town, round(float(rate[town]), 6), int(counts[town]))
            out[year] = (round(float(district), 6), worst, int(counts.sum()))
        return out

    def large_scale(self) -> list[dict]:
        """Large-scale relapse events over the run (see :func:`large_scale_events`)."""
        return large_scale_events(
            self.new_by_town_year, self.pa_by_town, self.pars.large_scale, self.years
        )


# What :func:`_status` counts: district totals, and counts by town (``counted`` = PA households
# with their first relapse event of the calendar year, for the large-scale rule).
TOTALS = (
    "n_households", "n_people", "n_poor", "n_relapsed", "n_newly_poor", "n_at_risk",
    "new_relapsed", "new_poor_other", "n_pa", "catastrophic_health", "medical_impoverished",
    "n_poor_net_care", "n_relapsed_net_care",
)  # fmt: skip
TOWN_COUNTS = ("n_relapsed", "n_newly_poor", "n_at_risk", "new_relapsed", "counted")
# Their positions in the compiled loop's tallies (T_: totals, W_: towns).
(T_N_HOUSEHOLDS, T_N_PEOPLE, T_N_POOR, T_N_RELAPSED, T_N_NEWLY_POOR, T_N_AT_RISK,
 T_NEW_RELAPSED, T_NEW_POOR_OTHER, T_N_PA, T_CATASTROPHIC_HEALTH,
 T_MEDICAL_IMPOVERISHED, T_N_POOR_NET_CARE, T_N_RELAPSED_NET_CARE) = range(len(TOTALS))  # fmt: skip
W_N_RELAPSED, W_N_NEWLY_POOR, W_N_AT_RISK, W_NEW_RELAPSED, W_COUNTED = range(len(TOWN_COUNTS))
# and its sums: per-capita income of PA households, FGT sums over people (fgt_all times the
# number of people), district totals this month (yuan).
SUMS = (
    "pa_income", "fgt0", "fgt1", "fgt2", "income", "transfers", "med_cost", "med_oop",
    "med_routine",
)  # fmt: skip


class StatusMonth(NamedTuple):
    """The month :func:`_status` books: history slot, model month, year, lines (yuan/year)."""

    slot: int
    t: int
    year: int
    pline: float
    mline: float


class AssessRule(NamedTuple):
    """:class:`RelapseRule` for the compiled loop: ``deduct`` as its index in :data:`DEDUCT`."""

    deduct: int
    in_force: bool
    confirm_months: int


class CareRule(NamedTuple):
    """Catastrophic health spending (:func:`catastrophic`) and the month's everyday care."""

    floor_year: float  # consumption floor, yuan per person per year
    consumption_share: float
    food_share: float
    threshold: float
    routine_month: float  # everyday care this month, yuan per person-equivalent
    w_elderly: float  # extra weight of a member 60+
    w_chronic: float  # extra weight of a chronically ill member


@jit
def _status(hh, now, care, rule, towns, cats, causes, totals, sums):
    """The loops of :meth:`Outcomes.update`: history, status, relapse events, counts, sums.

    Status: :func:`assessed_income` below the line in ``rule.confirm_months`` consecutive
    months (:class:`AssessRule`). Relapse events get their cause. Fills ``towns``
    (TOWN_COUNTS x towns), ``cats`` (poor, at risk x categories), ``causes`` (new relapse
    events by cause), ``totals`` (TOTALS) and ``sums`` (SUMS).

    Catastrophic health spending: :func:`catastrophic`, everyday care counted as 12 months at
    this month's ``routine_month`` per person-equivalent. Net of care: :func:`per_capita`
    below the poverty line; impoverished by care: so, but not before paying for care.
    """
    (pc_income, active, hist_own, hist_transfer, hist_oop, sum_own, sum_transfer, sum_oop,
     n_members, category, poor, cause, loss, town, t_relapse, relapse_year, at_risk,
     ever_relapsed, income, transfers, med_cost, med_oop, n_elderly, n_chronic) = (
        hh.pc_income, hh.active, hh.hist_own, hh.hist_transfer, hh.hist_oop, hh.sum_own,
        hh.sum_transfer, hh.sum_oop, hh.n_members, hh.category, hh.poor, hh.cause, hh.loss,
        hh.town, hh.t_relapse, hh.relapse_year, hh.at_risk, hh.ever_relapsed, hh.income,
        hh.transfers, hh.med_cost, hh.med_oop, hh.n_elderly, hh.n_chronic
    )  # fmt: skip
    (hist_wage, sum_wage, hist_oop_in, sum_oop_in, pc_assessed, months_below, poor_net_care,
     ever_poor_net_care, allowance_fen) = (
        hh.hist_wage, hh.sum_wage, hh.hist_oop_in, hh.sum_oop_in, hh.pc_assessed,
        hh.months_below, hh.poor_net_care, hh.ever_poor_net_care, hh.allowance_fen
    )  # fmt: skip
    slot, t, year, pline, mline = now
    floor_year, consumption_share, food_share, threshold, routine_month, w_elderly, w_chronic = care
    deduct, in_force, confirm = rule
    pa_income = f0 = f1 = f2 = y = tr = mc = oop = routine = 0.0
    n_catastrophic = impoverished = net_poor = net_relapsed = 0
    _push(hh, slot)  # apart from the status: that loop vectorises
    if slot == 0:  # the sums re-added once a year, so that rounding errors cannot add up
        for i in range(pc_income.size):
            a = b = c = e = d = 0.0
            for k in range(hist_own.shape[0]):
                a += hist_own[k, i]
                b += hist_transfer[k, i]
                c += hist_oop[k, i]
                e += hist_oop_in[k, i]
            for k in range(hist_wage.shape[0]):
                d += hist_wage[k, i]
            sum_own[i], sum_transfer[i], sum_oop[i], sum_oop_in[i], sum_wage[i] = a, b, c, e, d
    for i in range(pc_income.size):
        on = active[i]
        pc = per_capita(sum_own[i], sum_transfer[i], n_members[i], on)
        pc_income[i] = pc
        assessed = assessed_income(
            sum_own[i], sum_transfer[i], sum_oop[i], sum_oop_in[i], allowance_fen[i] / 100.0,
            n_members[i], on, deduct, in_force,
        )  # fmt: skip
        pc_assessed[i] = assessed
        if on and assessed < pline:
            months_below[i] = min(months_below[i] + 1, 12)
        else:
            months_below[i] = 0
        is_poor = months_below[i] >= confirm
        risk = on and pc < mline
        pa = category[i] == PA
        if is_poor and not poor[i]:  # newly poor this month
            if pa:
                best, c = np.float32(0.0), 0  # cause: the largest loss, else structural
                for k in range(loss.shape[0]):
                    if loss[k, i] > best:
                        best, c = loss[k, i], k
                cause[i] = c
                causes[c] += 1
                towns[W_NEW_RELAPSED, town[i]] += 1
                totals[T_NEW_RELAPSED] += 1
                if t_relapse[i] < 0:
                    t_relapse[i] = t
                if relapse_year[i] != year:
                    relapse_year[i] = year
                    towns[W_COUNTED, town[i]] += 1
            else:
                totals[T_NEW_POOR_OTHER] += 1
        poor[i] = is_poor
        at_risk[i] = risk
        if on:
            totals[T_N_HOUSEHOLDS] += 1
            totals[T_N_PEOPLE] += n_members[i]
            if pa:
                totals[T_N_PA] += 1
                pa_income += pc
        if is_poor:
            gap = (pline - assessed) / pline
            f0 += n_members[i]
            f1 += n_members[i] * gap
            f2 += n_members[i] * gap**2
            totals[T_N_POOR] += 1
            cats[0, category[i]] += 1
            if pa:
                ever_relapsed[i] = True
                totals[T_N_RELAPSED] += 1
                towns[W_N_RELAPSED, town[i]] += 1
            else:
                totals[T_N_NEWLY_POOR] += 1
                towns[W_N_NEWLY_POOR, town[i]] += 1
        if risk:
            totals[T_N_AT_RISK] += 1
            cats[1, category[i]] += 1
            towns[W_N_AT_RISK, town[i]] += 1
        below_net = on and pc < pline
        poor_net_care[i] = below_net
        if below_net:
            net_poor += 1
            if pa:
                net_relapsed += 1
                ever_poor_net_care[i] = True
        y += income[i]
        tr += transfers[i]
        mc += med_cost[i]
        oop += med_oop[i]
        weight = n_members[i] + w_elderly * n_elderly[i] + w_chronic * n_chronic[i]
        care = routine_month * weight if on else 0.0  # everyday care this month
        routine += care
        cash = sum_own[i] + sum_transfer[i]
        hit = catastrophic(
            sum_oop[i], 12.0 * care, cash, n_members[i], floor_year, consumption_share,
            food_share, threshold,
        )  # fmt: skip
        n_catastrophic += hit & on
        impoverished += below_net & ((cash + sum_oop[i]) / max(n_members[i], 1) >= pline)
    totals[T_CATASTROPHIC_HEALTH], totals[T_MEDICAL_IMPOVERISHED] = n_catastrophic, impoverished
    totals[T_N_POOR_NET_CARE], totals[T_N_RELAPSED_NET_CARE] = net_poor, net_relapsed
    sums[:] = pa_income, f0, f1, f2, y, tr, mc, oop, routine


@jit
def _push(hh, slot):
    """This month into history slot ``slot``; the 12-month sums kept up to date.

    Own income net of care costs, transfers, care costs and of them the part inside the
    insurance catalogue (0 for a dissolved household); market wages when their history is
    kept. Loops without branches: they vectorise.
    """
    (active, income, transfers, med_oop, wage_income, hist_own, hist_transfer, hist_oop,
     hist_wage, sum_own, sum_transfer, sum_oop, sum_wage) = (
        hh.active, hh.income, hh.transfers, hh.med_oop, hh.wage_income, hh.hist_own,
        hh.hist_transfer, hh.hist_oop, hh.hist_wage, hh.sum_own, hh.sum_transfer, hh.sum_oop,
        hh.sum_wage
    )  # fmt: skip
    med_in_policy, med_reimbursed, hist_oop_in, sum_oop_in = (
        hh.med_in_policy, hh.med_reimbursed, hh.hist_oop_in, hh.sum_oop_in
    )  # fmt: skip
    for i in range(active.size):
        w = 1.0 if active[i] else 0.0
        own = np.float32((income[i] - med_oop[i]) * w)
        transfer, oop = np.float32(transfers[i] * w), np.float32(med_oop[i] * w)
        oop_in = np.float32(max(med_in_policy[i] - med_reimbursed[i], 0.0) * w)
        sum_own[i] += own - hist_own[slot, i]
        sum_transfer[i] += transfer - hist_transfer[slot, i]
        sum_oop[i] += oop - hist_oop[slot, i]
        sum_oop_in[i] += oop_in - hist_oop_in[slot, i]
        hist_own[slot, i] = own
        hist_transfer[slot, i] = transfer
        hist_oop[slot, i] = oop
        hist_oop_in[slot, i] = oop_in
    if hist_wage.shape[0]:  # kept only when a lever reads it
        for i in range(active.size):
            wage = np.float32(wage_income[i] * (1.0 if active[i] else 0.0))
            sum_wage[i] += wage - hist_wage[slot, i]
            hist_wage[slot, i] = wage


@jit
def _book_reimbursed(hh, idx, chronic_month, per_yuan, ill, chronic):
    """One pass of :meth:`Outcomes.book_reimbursed` over the reimbursed households ``idx``."""
    (reimbursed_fen, n_chronic, med_cost, loss) = (
        hh.reimbursed_fen, hh.n_chronic, hh.med_cost, hh.loss
    )  # fmt: skip
    for i in idx:
        paid = reimbursed_fen[i] / 100.0 * per_yuan  # in loss units
        care = chronic_month * n_chronic[i]
        acute = max(med_cost[i] - care, 0.0) / med_cost[i] if med_cost[i] > 0 else 0.0
        loss[ill, i] = max(loss[ill, i] - np.float32(paid * acute), np.float32(0.0))
        rest = np.float32(paid * (1.0 - acute))
        loss[chronic, i] = max(loss[chronic, i] - rest, np.float32(0.0))
