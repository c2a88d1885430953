"""Rules the means-tested levers (tekun and dibao) share: counted income and applying."""

from __future__ import annotations

from sim.core.jit import jit_inline
from sim.engine.households import NO_LABOUR


@jit_inline
def means_tested_income(own_pc_month, n_elderly, n_members, pension_disregard):
    """Own income counted by the means tests, yuan per person-month.

    The basic pension of each member 60+ is not counted, up to ``pension_disregard`` a month
    (the central minimum basic pension; Ministry of Civil Affairs dibao measures, 2021).

    Example:
        >>> means_tested_income(400.0, 1, 2, 98.0)  # 800 a month, of which 98 pension
        351.0
    """
    return own_pc_month - pension_disregard * n_elderly / max(n_members, 1)


@jit_inline
def applying(receives, first_month, transfers0, u_take, take_up, monitored, risk_type):
    """Whether a household is a current recipient, and whether it applies at a review.

    Current: receives the benefit now, or (first month) received transfers in the base year.
    Applying: current, a taker (its lasting take-up draw ``u_take``), or steered to social
    assistance by the monitoring mechanism: monitored with no labour as its risk (the plan:
    those unable to earn a stable income go to dibao or tekun).
    """
    current = receives | (first_month & (transfers0 > 0))
    steered = monitored & (risk_type == NO_LABOUR)
    return current, (u_take < take_up) | steered | current
