"""Three-tier medical protection: basic insurance, critical-illness insurance, medical assistance.

Each tier pays on the in-policy cost still unpaid by the tiers before it, by calendar year:
its entitlement is a function of the year-to-date base, and each month it pays the rise in
entitlement. Deductibles and caps are yearly; everything resets in January.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.core.jit import jit, jit_inline
from sim.core.money import FEN
from sim.engine.households import PA
from sim.engine.policies.base import Lever, spenders


def poor_groups(hh, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Households (of ``idx``) the rules treat as poor: poverty-alleviated, dibao or tekun."""
    return (hh.category[idx] == PA) | hh.dibao[idx] | hh.tekun[idx]


class Schedule(NamedTuple):
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

    def setup(self, ctx) -> None:
        n = ctx.hh.n
        self.base = np.zeros(n)  # in-policy cost left to this tier, this year
        self.paid = np.zeros(n)  # paid by this tier this year
        self._idx, self._pay = np.zeros(n, np.int64), np.zeros(n)  # this month's, first ones

    def schedule(self, ctx, who: np.ndarray) -> Schedule:
        """This year's rules (see :class:`Schedule`), for households ``who``."""
        raise NotImplementedError

    def stop(self, ctx) -> None:
        self.base[:] = 0.0
        self.paid[:] = 0.0

    def select(self, ctx) -> np.ndarray:
        """Covered households with in-policy cost this month; works out their payments too.

        The cost still unpaid by earlier tiers is added to every patient's yearly base first.
        """
        hh = ctx.hh
        self.new_year(ctx.year, self.base, self.paid)
        who = patients(ctx)
        s = self.schedule(ctx, who)
        n = _tier(hh.arrays, who, s, self.base, self.paid, self._idx, self._pay)
        return self._idx[:n]

    def apply(self, ctx, idx: np.ndarray) -> np.ndarray:
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


def patients(ctx) -> np.ndarray:
    """Active households with an in-policy medical cost this month (found once a month).

    Among the :func:`spenders`: an in-policy cost is part of the medical cost.
    """

    def find() -> np.ndarray:
        who = spenders(ctx)
        return who[ctx.hh.med_in_policy[who] > 0]

    return ctx.shared("patients", find)


@jit
def _tier(hh, patients, schedule, base, paid, out_idx, out_pay):
    """One pass of :meth:`MedicalTier.select` over the month's ``patients``.

    ``schedule.covered`` and ``schedule.group`` are the patients' (:class:`Schedule`). The
    covered patients and what they are paid go to the front of ``out_idx`` and ``out_pay``;
    returns how many.
    """
    med_in_policy, reimbursed_fen = hh.med_in_policy, hh.reimbursed_fen
    covered, group, deductible, cap, above, rates = schedule
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
