"""Shocks, idiosyncratic and covariate.

``params``: the parameters and causes; ``individual``: the compiled pass of the idiosyncratic
shocks; ``month``: the month's shocks in order.
"""

from sim.engine.shocks.month import Covariates, Shocks
from sim.engine.shocks.params import (
    CAUSE,
    CAUSES,
    DisasterEvent,
    History,
    LockdownPeriod,
    ShockPars,
    history_pars,
    monthly,
    parse_month,
    shock_pars,
)

__all__ = [
    "CAUSE", "CAUSES", "Covariates", "DisasterEvent", "History", "LockdownPeriod", "ShockPars",
    "Shocks", "history_pars", "monthly", "parse_month", "shock_pars",
]  # fmt: skip
