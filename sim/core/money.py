"""Money: counted in integer fen (1/100 yuan) so that ledgers and receipts add up exactly.

Every payment to a household goes through :func:`pay_out`, which books it in the households'
receipts (``hh.transfers_fen``, ``hh.earned_fen`` or ``hh.reimbursed_fen``); a lever's
:class:`Ledger` holds what it paid, its other spending and its recipients, by model month.
"""

from __future__ import annotations

import numpy as np

from sim.core.jit import jit

FEN = 100  # fen per yuan


class Ledger:
    """A lever's spending by model month: paid to households, other costs, recipients.

    ``paid`` is money households receive (cash, wages, reimbursements); ``other`` is spending
    that reaches no household directly (premiums, training fees, interest subsidies).
    ``recipients`` are the households paid, or served in kind (monitored, trained, lent to).
    """

    def __init__(self, months: int) -> None:
        self.paid_fen = np.zeros(months + 1, np.int64)
        self.other_fen = np.zeros(months + 1, np.int64)
        self.recipients = np.zeros(months + 1, np.int64)

    def record(self, t: int, paid_fen: int, recipients: int, other_fen: int = 0) -> None:
        """Add month ``t``'s payments (fen, to ``recipients`` households) and other costs (fen)."""
        self.paid_fen[t] += paid_fen
        self.other_fen[t] += other_fen
        self.recipients[t] += recipients


@jit
def pay_out(idx, yuan, target, measures, monitored, bit, last_paid_year, year, out_idx, out_fen):
    """One pass of :meth:`Lever.pay` over ``idx``.

    The households paid (at least one fen) and their fen go to the front of ``out_idx`` and
    ``out_fen``. Returns how many, how many for the first time this year, and the fen paid.
    """
    n = new = total = 0
    for j in range(idx.size):
        fen = np.int64(np.rint(max(yuan[j], 0.0) * FEN))
        if fen <= 0:
            continue
        i = idx[j]
        out_idx[n], out_fen[n] = i, fen
        n += 1
        total += fen
        target[i] += fen
        if monitored[i]:
            measures[i] |= bit
        if last_paid_year[i] != year:
            last_paid_year[i] = year
            new += 1
    return n, new, total
