"""The lever interface, and what several levers share (spenders, service in priority order).

A lever is switched on by ``enabled``, ``select``-s the households it pays this month, then
``apply``-s: it returns what each of them is paid; :meth:`Lever.pay` pays it through
:mod:`sim.core.money`, in fen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.core.jit import jit, jit_inline
from sim.core.money import FEN, Ledger, pay_out
from sim.core.params import resolve

if TYPE_CHECKING:
    from sim.engine.context import Month

NOBODY = np.zeros(0, np.int64)  # no household


class Lever:
    """Base of every lever; a lever sets ``name``, ``kind``, ``select`` or ``eligible``, ``apply``.

    Each month :meth:`step` runs the lever's :meth:`act`, books its :meth:`other_cost` and
    counts the households it served in kind (:meth:`in_kind`). By default :meth:`act` pays:
    ``select`` returns the indices of the (active) households to pay, by default those of the
    boolean mask ``eligible`` returns; ``apply`` gets those indices and returns the yuan paid
    to each, so that work and bookkeeping scale with the households concerned, not with the
    district. A lever that pays no household (monitoring, training, credit) overrides
    :meth:`act` instead.

    ``kind`` says where a payment goes: ``"cash"`` (transfers), ``"earned"`` (wages for work,
    counted as own income in means tests) or ``"medical"`` (reimbursement of medical costs).
    A ``recurring`` cash lever (dibao, tekun) pays an allowance every month while it is in
    force; the relapse rule may count it at its yearly amount (``hh.allowance_fen``).

    Parameters: ``spec`` holds the scenario's values, any of them dated (``{year: value}``);
    ``burn_spec`` those in force before ``start`` (the burn-in reproduces the status quo, so a
    scenario's policy starts at ``start``). ``self.pars`` is the month's values, plain numbers
    (:func:`sim.core.params.resolve`), set by :meth:`begin_month`; when they change,
    :meth:`refresh` runs, and :meth:`stop` when the lever is switched off.
    """

    name: ClassVar[str]
    kind: ClassVar[str] = "cash"
    recurring: ClassVar[bool] = False
    stream: ClassVar[str] = ""
    # The extra monthly figures :meth:`report` gives, as rows of sim.reports.metric_table: name ->
    # (who is counted, unit, English label, Chinese label).
    figures: ClassVar[dict[str, tuple[str, str, str, str]]] = {}

    def __init__(self, spec, ctx: Month, burn_spec=None) -> None:
        self.spec = spec
        self.burn_spec = spec if burn_spec is None else burn_spec
        self._resolved: dict[tuple[bool, int], object] = {}
        self.ledger = Ledger(ctx.burn_in + ctx.months)
        self.last_paid_year = np.full(ctx.hh.n, -1, np.int16)
        self.recipients_by_year: dict[int, int] = {}
        self.last_paid = (NOBODY, NOBODY)  # this month's payments: households, fen
        self.pars = self.pars_at(ctx, 1)
        self.setup(ctx)

    def pars_at(self, ctx: Month, t: int):
        """The plain parameter values in force in model month ``t``."""
        burn = t <= ctx.burn_in
        key = (burn, ctx.calendar(t)[0])
        if key not in self._resolved:
            self._resolved[key] = resolve(self.burn_spec if burn else self.spec, key[1])
        return self._resolved[key]

    def begin_month(self, ctx: Month) -> None:
        """Set this month's parameters; refresh what depends on them, or stop."""
        before = self.pars
        key = (ctx.t <= ctx.burn_in, ctx.year)
        self.pars = self._resolved.get(key) or self.pars_at(ctx, ctx.t)
        if self.pars is before:
            return
        if before.enabled and not self.pars.enabled:
            self.stop(ctx)
        elif self.pars.enabled:
            self.refresh(ctx)

    def uses_wages(self, ctx: Month) -> bool:
        """Whether the rules read ``hh.wage_pc_month`` (the model then keeps a wage history)."""
        return False

    def setup(self, ctx: Month) -> None:
        """Prepare state once, before the first month (optional)."""

    def refresh(self, ctx: Month) -> None:
        """The parameters changed (a new year, or the scenario's at ``start``) (optional)."""

    def stop(self, ctx: Month) -> None:
        """The lever was switched off: end what it gives households (optional)."""

    def eligible(self, ctx: Month) -> np.ndarray:
        """Households eligible this month (boolean mask)."""
        raise NotImplementedError

    def apply(self, ctx: Month, idx: np.ndarray) -> np.ndarray:
        """Yuan paid this month to each household of ``idx`` (eligible and active)."""
        raise NotImplementedError

    def other_cost(self, ctx: Month) -> float:
        """Spending this month that reaches no household directly, yuan (optional)."""
        return 0.0

    def step(self, ctx: Month) -> None:
        """The month's work, other costs and service in kind; a disabled lever does nothing."""
        if not self.pars.enabled:
            return
        self.act(ctx)
        self.ledger.record(ctx.t, 0, 0, int(round(self.other_cost(ctx) * FEN)))
        served = self.in_kind(ctx)
        if served.size:
            self.count_served(ctx, served)

    def act(self, ctx: Month) -> None:
        """Pay the households :meth:`select` chooses what :meth:`apply` says they are due."""
        idx = self.select(ctx)
        self.pay(ctx, idx, self.apply(ctx, idx) if idx.size else np.zeros(0))

    def in_kind(self, ctx: Month) -> np.ndarray:
        """Households served in kind this month (monitored, trained, lent to) (optional)."""
        return NOBODY

    def count_served(self, ctx: Month, idx: np.ndarray) -> None:
        """Count households served in kind as this month's recipients, as :meth:`pay` does."""
        self.ledger.recipients[ctx.t] += idx.size
        new = idx[self.last_paid_year[idx] != ctx.year]
        self.last_paid_year[new] = ctx.year
        self.recipients_by_year[ctx.year] = self.recipients_by_year.get(ctx.year, 0) + new.size

    def select(self, ctx: Month) -> np.ndarray:
        """Indices of the active households to pay this month (default: from ``eligible``)."""
        return np.flatnonzero(self.eligible(ctx) & ctx.hh.active)

    def pay(self, ctx: Month, idx: np.ndarray, yuan: np.ndarray) -> None:
        """Pay ``yuan`` (rounded to fen) to households ``idx`` (each once); book it.

        Also marks the measure on monitored households and counts each household's first
        payment of the year.
        """
        hh = ctx.hh
        target = {"medical": hh.reimbursed_fen, "earned": hh.earned_fen}.get(
            self.kind, hh.transfers_fen
        )
        year = ctx.calendar(ctx.t)[0]
        paid_idx, paid_fen = np.empty(idx.size, np.int64), np.empty(idx.size, np.int64)
        bit = np.int16(1 << LEVER_BITS.get(self.name, 15))
        n, new, total = pay_out(
            idx, yuan, target, hh.measures, hh.monitored, bit, self.last_paid_year, year,
            paid_idx, paid_fen,
        )  # fmt: skip
        # this month's payments: households and fen (inspection)
        self.last_paid = (paid_idx[:n], paid_fen[:n])
        if self.recurring:  # each household paid once a month: no repeated index
            hh.allowance_fen[paid_idx[:n]] += paid_fen[:n]
        self.ledger.record(ctx.t, total, n)
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
        """Names of the figures :meth:`report` returns (:attr:`figures`)."""
        return list(self.figures)


# Bit of each lever in ``hh.measures`` (measures received while monitored).
LEVER_BITS: dict[str, int] = {}


@jit_inline
def shock_spending(med_cost, reimbursed_fen, one_off):
    """A household's shock spending this month, yuan; 0 without a medical or one-off cost.

    Medical cost not (yet) reimbursed by the medical levers, plus one-off costs (funeral,
    assets lost).
    """
    if med_cost <= 0 and one_off <= 0:
        return 0.0
    return med_cost - reimbursed_fen / FEN + one_off


def spenders(ctx: Month) -> np.ndarray:
    """Active households with a medical or one-off cost this month (found once a month)."""

    def find() -> np.ndarray:
        hh = ctx.hh
        idx = np.empty(hh.n, np.int64)
        return idx[: _spenders(hh.med_cost, hh.one_off, hh.active, idx)]

    return ctx.shared("spenders", find)


@jit
def _spenders(med_cost, one_off, active, out):
    n = 0
    for i in range(active.size):  # without a branch: ~30% have a cost (chronic care), at random
        out[n] = i
        n += ((med_cost[i] > 0) | (one_off[i] > 0)) & active[i]
    return n


@jit
def first_in_order(groups: np.ndarray, key: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Mask of the first ``quota[g]`` elements of each group ``g`` in order of ``key``.

    Ties go to the element that comes first. One pass keeping, per group, a max-heap of the
    best ``quota[g]`` so far: time n log(quota), and most elements are refused at the top.

    Example:
        >>> first_in_order(np.array([1, 0, 1, 1]), np.array([5.0, 1.0, 2.0, 2.0]), np.array([0, 2])).tolist()
        [False, False, True, True]
        >>> first_in_order(np.array([0, 0, 0]), np.array([3.0, 1.0, 1.0]), np.array([1])).tolist()
        [False, True, False]
    """
    start = np.zeros(quota.size + 1, np.int64)
    for g in range(quota.size):
        start[g + 1] = start[g] + max(quota[g], 0)
    heaps = np.empty(start[-1], np.int64)  # group g's: heaps[start[g]:start[g + 1]]
    size = np.zeros(quota.size, np.int64)
    for j in range(groups.size):
        g = groups[j]
        top, q = start[g], start[g + 1] - start[g]
        if size[g] < q:
            heaps[top + size[g]] = j
            _sift_up(heaps, top, size[g], key)
            size[g] += 1
        elif q and key[j] < key[heaps[top]]:  # j comes last: it loses every tie
            heaps[top] = j
            _sift_down(heaps, top, q, key)
    take = np.zeros(groups.size, np.bool_)
    for g in range(quota.size):
        for m in range(size[g]):
            take[heaps[start[g] + m]] = True
    return take


@jit
def _after(a, b, key):
    """Element ``a`` comes after ``b`` in the order: by key, then by position."""
    return key[a] > key[b] or (key[a] == key[b] and a > b)


@jit
def _sift_up(heaps, top, m, key):
    """Restore the heap at ``heaps[top:]`` after element ``m`` was set."""
    while m > 0:
        parent = (m - 1) // 2
        a, b = heaps[top + m], heaps[top + parent]
        if not _after(a, b, key):
            return
        heaps[top + m], heaps[top + parent] = b, a
        m = parent


@jit
def _sift_down(heaps, top, size, key):
    """Restore the heap ``heaps[top:top + size]`` after its first element was set."""
    m = 0
    while True:
        best, child = m, 2 * m + 1
        if child < size and _after(heaps[top + child], heaps[top + best], key):
            best = child
        if child + 1 < size and _after(heaps[top + child + 1], heaps[top + best], key):
            best = child + 1
        if best == m:
            return
        heaps[top + m], heaps[top + best] = heaps[top + best], heaps[top + m]
        m = best
