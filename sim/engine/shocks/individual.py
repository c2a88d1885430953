"""The idiosyncratic shocks' compiled pass: illness, chronic onset, disability, death, jobs.

Household i's draw of a shock is its stream's i-th uniform (``sim.core.random``) whatever the
household's state, so a policy that changes a household's labour or income never shifts
anybody's shocks. Each event adds what it costs the household to ``hh.loss[cause]``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.core.jit import jit
from sim.core.random import uniform_at
from sim.engine.shocks.params import CAUSE

# The household draws of the compiled pass: (stream, part), in the order of its ``keys``.
_KEYED = (("illness", 0), ("chronic", 0), ("disability", 0), ("death", 0),
          ("jobs", 0), ("jobs", 1), ("jobs", 2))  # fmt: skip
_ILLNESS, _CHRONIC, _DISABILITY, _DEATH, _JOB_LOSS = (
    CAUSE[c] for c in ("illness", "chronic", "disability", "death", "job_loss")
)


class Tables(NamedTuple):
    """Monthly chances of the individual shocks by counts (:meth:`Shocks._chance_tables`)."""

    ill: np.ndarray  # an illness episode, by (members, elderly, chronically ill)
    by_count: np.ndarray  # chronic onset, disability, migrant and local job loss, re-employment
    death: np.ndarray  # a member dies, by (elderly, others)
    bound: np.ndarray  # rates bounding each chance from above (:meth:`Shocks._bound`)


class Rates(NamedTuple):
    """The month's rates and amounts of the individual shocks (floats; money in yuan)."""

    p_lose_labour: float  # chance that chronic onset takes a labourer out of work (per share)
    p_die_elderly: float  # monthly chance of death, a member 60+
    p_die_other: float  # monthly chance of death, another member
    chronic_cost: float  # care of a chronically ill member this month
    in_policy_share: float  # share of medical costs within the insurance catalogue
    funeral_cost: float
    months_out: float  # expected months out of work after a job loss
    migrant_factor: float  # this month's multiplier of migrant wages
    per_yuan: float  # loss units per yuan (1 / ``Households.loss_unit``)
    loss_months: float  # months of lost wages or care a shock's loss account books


@jit
def _individual_shocks(hh, keys, on, tables, rates, flags, sick_idx, sick_v):
    """A month's idiosyncratic shocks (see :class:`Shocks`).

    ``on`` switches illness, chronic onset, disability, death and jobs; ``keys`` are their
    streams' keys (``_KEYED``), ``tables`` their chances (:class:`Tables`), ``rates`` the
    month's :class:`Rates`. Each
    household's events depend only on its own counts and draws, and its counts change only
    through its own events. So a first pass (:func:`_screen`, without branches) finds the
    households with any event on their counts at the start of the month, and a second
    (:func:`_events`) plays those households' month shock by shock, in household order: what
    one pass per shock would give.

    Households with an illness episode and their cost quantiles go to the front of
    ``sick_idx`` and ``sick_v``; returns how many (-1 if a count falls outside the tables: a
    corrupted state). Losses go to ``hh.loss`` times ``rates.per_yuan`` (units of
    ``Households.loss_unit``).
    """
    top = tables.by_count.shape[1] - 1
    chronic_cost = rates.chronic_cost if on[1] else 0.0
    if _screen(hh, keys, tables.bound, top, chronic_cost, rates.in_policy_share, flags):
        return -1
    flagged, n = np.empty(flags.size, np.int64), 0
    for i in range(flags.size):  # without a branch
        flagged[n] = i
        n += flags[i]
    return _events(hh, flagged[:n], keys, on, tables, rates, sick_idx, sick_v)


@jit
def _screen(hh, keys, bound, top, chronic_cost, in_policy_share, flags):
    """Flag the active households that may have an event, on their counts at the month's start.

    The others' month is done here (no event: only the cost of chronic care).

    An upper bound of each chance will do (the flagged households are played exactly), and
    arithmetic vectorises where table lookups do not: ``1 - (1 - p)**k <= k p``, with the
    rates of :meth:`Shocks._bound`. Returns whether a count is outside 0..n_members or above
    ``top``, the tables' last row.
    """
    (n_members, n_elderly, n_chronic, n_labour, n_migrant, n_local, n_seek_migrant,
     n_seek_local, active, med_cost, med_in_policy, one_off, new_shock) = (
        hh.n_members, hh.n_elderly, hh.n_chronic, hh.n_labour, hh.n_migrant, hh.n_local,
        hh.n_seek_migrant, hh.n_seek_local, hh.active, hh.med_cost, hh.med_in_policy,
        hh.one_off, hh.new_shock
    )  # fmt: skip
    q_ill, w_elderly, w_chronic, p_chronic, p_disability = bound[0:5]
    p_die_elderly, p_die_other, p_migrant, p_local, p_back = bound[5:10]
    bad = False
    for i in range(n_members.size):
        m, e, c, lab = n_members[i], n_elderly[i], n_chronic[i], n_labour[i]
        mig, loc = n_migrant[i], n_local[i]
        seekers = n_seek_migrant[i] + n_seek_local[i]
        bad |= min(e, c, m - e, m - c, lab, mig, loc, seekers) < 0
        bad |= max(lab, mig, loc, seekers) > top
        hit = uniform_at(keys[0], i) < q_ill * max(m + w_elderly * e + w_chronic * c, 0.0)
        hit |= uniform_at(keys[1], i) < p_chronic * (m - c)
        hit |= uniform_at(keys[2], i) < p_disability * lab
        hit |= uniform_at(keys[3], i) < p_die_elderly * e + p_die_other * (m - e)
        hit |= uniform_at(keys[4], i) < p_migrant * mig
        hit |= uniform_at(keys[5], i) < p_local * loc
        hit |= uniform_at(keys[6], i) < p_back * seekers
        flags[i] = hit & active[i]
        cost = chronic_cost * c
        med_cost[i], med_in_policy[i], one_off[i] = cost, cost * in_policy_share, 0.0
        new_shock[i] = -1
    return bad


@jit
def _events(hh, households, keys, on, tables, rates, sick_idx, sick_v):
    """The month of each of ``households``, shock by shock (see :func:`_individual_shocks`)."""
    (loss, med_cost, med_in_policy, one_off, new_shock, n_members, active, n_elderly,
     n_chronic, n_labour, n_disabled, n_seek_migrant, n_seek_local, n_migrant, n_local,
     wage_migrant, wage_local) = (
        hh.loss, hh.med_cost, hh.med_in_policy, hh.one_off, hh.new_shock, hh.n_members,
        hh.active, hh.n_elderly, hh.n_chronic, hh.n_labour, hh.n_disabled,
        hh.n_seek_migrant, hh.n_seek_local, hh.n_migrant, hh.n_local, hh.wage_migrant,
        hh.wage_local
    )  # fmt: skip
    ill, by_count, death = tables.ill, tables.by_count, tables.death
    (p_lose_labour, p_die_elderly, p_die_other, chronic_cost, in_policy_share, funeral_cost,
     months_out, migrant_factor, per_yuan, loss_months) = rates  # fmt: skip
    unit = np.float32(per_yuan)  # losses in float32 arithmetic, as the wages
    m32 = np.float32(months_out) * unit
    factor32 = np.float32(migrant_factor)
    chronic_loss32 = np.float32(loss_months * chronic_cost) * unit
    funeral32 = np.float32(funeral_cost) * unit  # (funerals and lost wages as loss units)
    wage_months = np.float32(loss_months) * unit  # a lost worker costs loss_months of wages
    n_sick = 0
    for i in households:
        med_cost[i] = med_in_policy[i] = one_off[i] = 0.0
        new_shock[i] = -1
        members = n_members[i]
        if active[i]:
            if on[0]:  # acute illness (its cost is drawn after the pass)
                chance = ill[members, n_elderly[i], n_chronic[i]]
                u = uniform_at(keys[0], i)
                if u < chance:
                    sick_idx[n_sick], sick_v[n_sick] = i, u / chance
                    n_sick += 1
                    new_shock[i] = _ILLNESS
            if on[1]:  # chronic onset among the healthy; a labourer patient may stop work
                chance = by_count[0, members - n_chronic[i]]
                u = uniform_at(keys[1], i)
                if u < chance:
                    n_chronic[i] += 1
                    loss[_CHRONIC, i] += chronic_loss32
                    new_shock[i] = _CHRONIC
                    if u / chance < p_lose_labour * n_labour[i] / max(members, 1):
                        wage = _take_worker(hh, i)
                        loss[_CHRONIC, i] += wage_months * wage
            if on[2] and uniform_at(keys[2], i) < by_count[1, n_labour[i]]:  # disability
                wage = _take_worker(hh, i)
                n_disabled[i] += 1
                loss[_DISABILITY, i] += wage_months * wage
                new_shock[i] = _DISABILITY
            others = members - n_elderly[i]
            u = uniform_at(keys[3], i)
            if on[3] and u < death[n_elderly[i], others]:  # a member dies (rare: call then)
                _die(
                    hh, i, u / death[n_elderly[i], others], p_die_elderly, p_die_other,
                    funeral_cost, funeral32, wage_months,
                )  # fmt: skip
        if on[4] and active[i]:  # job loss, then re-employment of earlier seekers
            seekers = n_seek_migrant[i] + n_seek_local[i]
            lose_m = uniform_at(keys[4], i) < by_count[2, n_migrant[i]]
            lose_l = uniform_at(keys[5], i) < by_count[3, n_local[i]]
            back = seekers > 0 and uniform_at(keys[6], i) < by_count[4, seekers]  # few seek
            if lose_m:
                n_migrant[i] -= 1
                n_seek_migrant[i] += 1
                loss[_JOB_LOSS, i] += m32 * wage_migrant[i] * factor32
                new_shock[i] = _JOB_LOSS
            if lose_l:
                n_local[i] -= 1
                n_seek_local[i] += 1
                loss[_JOB_LOSS, i] += m32 * wage_local[i]
                new_shock[i] = _JOB_LOSS
            if back & ~lose_m & ~lose_l:  # one seeker, back to the kind of work they lost
                if n_seek_migrant[i] > 0:
                    n_seek_migrant[i] -= 1
                    n_migrant[i] += 1
                else:
                    n_seek_local[i] -= 1
                    n_local[i] += 1
        if on[1]:  # the month's cost of chronic care, in policy in part
            cost = chronic_cost * n_chronic[i]
            med_cost[i] += cost
            med_in_policy[i] += cost * in_policy_share
    return n_sick


@jit
def _die(hh, i, v, p_die_elderly, p_die_other, funeral_cost, funeral_loss, wage_months):
    """A member of household ``i`` dies: who, in proportion to each member's hazard.

    ``v`` = u / P(death) is uniform given the death: it picks an elderly member or another
    one; rescaled (uniform again), the other's type in proportion to numbers.
    """
    (n_members, n_elderly, n_labour, n_school, n_disabled, n_chronic, one_off, active, loss,
     new_shock) = (
        hh.n_members, hh.n_elderly, hh.n_labour, hh.n_school, hh.n_disabled, hh.n_chronic,
        hh.one_off, hh.active, hh.loss, hh.new_shock
    )  # fmt: skip
    others = n_members[i] - n_elderly[i]
    h_e, h_o = p_die_elderly * n_elderly[i], p_die_other * others
    share_e = h_e / (h_e + h_o)
    worker, wage = False, np.float32(0.0)
    if v < share_e:
        n_elderly[i] -= 1
    else:
        w = (v - share_e) / (1.0 - share_e)
        n_o = max(others, 1)
        c1 = n_labour[i] / n_o
        c2 = c1 + n_school[i] / n_o
        c3 = c2 + n_disabled[i] / n_o
        if w < c1:
            worker = True
            wage = _take_worker(hh, i)
        elif w < c2:
            n_school[i] -= 1
        elif w < c3:
            n_disabled[i] -= 1
    n_members[i] -= 1
    n_chronic[i] = min(n_chronic[i], n_members[i])  # the deceased may have been chronically ill
    one_off[i] += funeral_cost
    active[i] = n_members[i] > 0
    loss[_DEATH, i] += funeral_loss
    new_shock[i] = _DEATH
    if worker:
        loss[_DEATH, i] += wage_months * wage


@jit
def _take_worker(hh, i):
    """Take one labourer of household ``i`` out of work; the monthly wage lost (float32).

    The worker comes from migrant work first, then local work, then job seekers, then farming.
    A household without a labourer is left alone (wage lost 0).
    """
    (n_labour, n_migrant, wage_migrant, n_local, wage_local, n_seek_migrant, n_seek_local) = (
        hh.n_labour, hh.n_migrant, hh.wage_migrant, hh.n_local, hh.wage_local,
        hh.n_seek_migrant, hh.n_seek_local
    )  # fmt: skip
    if n_labour[i] <= 0:
        return np.float32(0.0)
    n_labour[i] -= 1
    if n_migrant[i] > 0:
        n_migrant[i] -= 1
        return wage_migrant[i]
    if n_local[i] > 0:
        n_local[i] -= 1
        return wage_local[i]
    if n_seek_migrant[i] > 0:
        n_seek_migrant[i] -= 1
    elif n_seek_local[i] > 0:
        n_seek_local[i] -= 1
    return np.float32(0.0)
