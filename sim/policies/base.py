"""The lever interface, ledgers in fen, and the households' lever state.

A lever is switched on by ``enabled``, finds who is ``eligible``, then ``apply``-s: it returns
what each household is paid this month. Money is counted in integer fen (1/100 yuan) so that
the ledgers and the households' receipts add up exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.jit import jit

if TYPE_CHECKING:
    from sim.model import RelapseModel

FEN = 100  # fen per yuan


class Ledger:
    """A lever's spending by model month: paid to households, other costs, recipients.

    ``paid`` is money households receive (cash, wages, reimbursements); ``other`` is spending
    that reaches no household directly (premiums, training fees, interest subsidies).
    """

    def __init__(self, months: int) -> None:
        self.paid_fen = np.zeros(months + 1, np.int64)
        self.other_fen = np.zeros(months + 1, np.int64)
        self.recipients = np.zeros(months + 1, np.int64)

    def record(self, t: int, paid_fen: np.ndarray, other_fen: int = 0) -> None:
        """Add month ``t``'s payments (fen, one per paid household) and other costs (fen)."""
        self.paid_fen[t] += int(paid_fen.sum())
        self.other_fen[t] += int(other_fen)
        self.recipients[t] += int((paid_fen > 0).sum())


class Lever:
    """Base of every lever. Subclasses set ``name``, ``kind``, ``eligible`` and ``apply``.

    ``eligible`` returns a boolean mask over households; ``apply`` gets the indices of the
    eligible (active) households and returns the yuan paid to each of them, so that work and
    bookkeeping scale with the households concerned, not with the district.

    ``kind`` says where a payment goes: ``"cash"`` (transfers), ``"earned"`` (wages for work,
    counted as own income in means tests) or ``"medical"`` (reimbursement of medical costs).
    """

    name: ClassVar[str]
    kind: ClassVar[str] = "cash"
    stream: ClassVar[str] = ""

    def __init__(self, pars, model: RelapseModel) -> None:
        self.pars = pars
        self.ledger = Ledger(model.burn_in + model.months)
        self.last_paid_year = np.full(model.hh.n, -1, np.int16)
        self.recipients_by_year: dict[int, int] = {}
        self.setup(model)

    def setup(self, model: RelapseModel) -> None:
        """Prepare state once, before the first month (optional)."""

    def eligible(self, model: RelapseModel) -> np.ndarray:
        """Households eligible this month (boolean mask)."""
        raise NotImplementedError

    def apply(self, model: RelapseModel, idx: np.ndarray) -> np.ndarray:
        """Yuan paid this month to each household of ``idx`` (eligible and active)."""
        raise NotImplementedError

    def other_cost(self, model: RelapseModel) -> float:
        """Spending this month that reaches no household directly, yuan (optional)."""
        return 0.0

    def step(self, model: RelapseModel) -> None:
        """Eligibility, payment, bookkeeping; a disabled lever does nothing."""
        if not self.pars.enabled:
            return
        idx = self.select(model)
        self.pay(model, idx, self.apply(model, idx) if idx.size else np.zeros(0))

    def select(self, model: RelapseModel) -> np.ndarray:
        """Indices of the eligible, active households (levers may compute them directly)."""
        return np.flatnonzero(self.eligible(model) & model.hh.active)

    def pay(self, model: RelapseModel, idx: np.ndarray, yuan: np.ndarray) -> None:
        """Pay ``yuan`` (rounded to fen) to households ``idx`` (each once); book it all.

        Also books this month's other cost, marks the measure on monitored households and
        counts each household's first payment of the year.
        """
        hh = model.hh
        target = {"medical": hh.reimbursed_fen, "earned": hh.earned_fen}.get(
            self.kind, hh.transfers_fen
        )
        year = model.calendar(model.t)[0]
        paid_idx, paid_fen = np.empty(idx.size, np.int64), np.empty(idx.size, np.int64)
        n, new = _pay(
            idx, yuan, target, hh.measures, hh.monitored, np.int16(1 << LEVER_BITS.get(self.name, 15)),
            self.last_paid_year, year, paid_idx, paid_fen,
        )  # fmt: skip
        # this month's payments: households and fen (inspection)
        self.last_paid = (paid_idx[:n], paid_fen[:n])
        other = int(round(self.other_cost(model) * FEN))
        self.ledger.record(model.t, paid_fen[:n], other)
        self.recipients_by_year[year] = self.recipients_by_year.get(year, 0) + new

    def payments(self, n: int) -> np.ndarray:
        """This month's payments as a dense array over ``n`` households, fen."""
        out = np.zeros(n, np.int64)
        idx, fen = self.last_paid
        out[idx] = fen
        return out

    def new_year(self, year: int, *accounts: np.ndarray) -> None:
        """Zero the year-to-date ``accounts`` when the calendar year changes."""
        if year != getattr(self, "_year", None):
            self._year = year
            for account in accounts:
                account[:] = 0

    def report(self) -> dict[str, float]:
        """Extra monthly figures for the model's series (optional)."""
        return {}

    def report_keys(self) -> list[str]:
        """Names of the figures :meth:`report` returns (asked before the first month)."""
        return list(self.report())


# Bit of each lever in ``hh.measures`` (measures received while monitored).
LEVER_BITS: dict[str, int] = {}


@jit
def _pay(idx, yuan, target, measures, monitored, bit, last_paid_year, year, out_idx, out_fen):
    """One pass of :meth:`Lever.pay` over ``idx``; returns (households paid, first this year).

    The households paid (at least one fen) and their fen go to the front of ``out_idx`` and
    ``out_fen``.
    """
    n = new = 0
    for j in range(idx.size):
        fen = np.int64(np.rint(max(yuan[j], 0.0) * FEN))
        if fen <= 0:
            continue
        i = idx[j]
        out_idx[n], out_fen[n] = i, fen
        n += 1
        target[i] += fen
        if monitored[i]:
            measures[i] |= bit
        if last_paid_year[i] != year:
            last_paid_year[i] = year
            new += 1
    return n, new


def shock_spending(hh, idx: np.ndarray) -> np.ndarray:
    """This month's shock spending of households ``idx``, yuan.

    Medical cost not (yet) reimbursed by the medical levers, plus one-off costs (funeral,
    assets lost).
    """
    return hh.med_cost[idx] - hh.reimbursed_fen[idx] / FEN + hh.one_off[idx]


def shocked(hh) -> np.ndarray:
    """Indices of households with a medical cost or a one-off cost this month."""
    return np.flatnonzero((hh.med_cost > 0) | (hh.one_off > 0))


def rank_within(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Rank (0 = first) of each element within its group, ordered by ``key`` (stable).

    Example:
        >>> rank_within(np.array([1, 0, 1, 1]), np.array([5.0, 1.0, 2.0, 9.0])).tolist()
        [1, 0, 0, 2]
    """
    order = np.lexsort((key, groups))
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, g.size]))
    rank = np.empty(groups.size, np.int64)
    rank[order] = np.arange(g.size) - first
    return rank
