"""What a lever sees of the model in a month: households, calendar, lines, price, streams.

Levers get this small context, not the model, so that a lever's rules read only what they
name. The model fills it once and moves it on each month (:meth:`Month.begin`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sim.core.random import Streams
from sim.engine.households import Households


@dataclass(eq=False)
class Month:
    """The month's context of the levers (see the module docstring)."""

    hh: Households
    streams: Streams
    n_towns: int
    scale: float  # population scale: posts and places are set for the full district
    harvest_months: tuple[int, ...]  # months of the mustard harvest (1-12)
    burn_in: int  # months before ``start``, simulated but not reported
    months: int  # months reported
    calendar: Callable[[int], tuple[int, int]]  # (year, month) of model month t
    t: int = 0  # model month, 1-based
    year: int = 0
    month: int = 0  # 1-12
    poverty_line: float = 0.0  # yuan per person per year
    monitoring_line: float = 0.0  # yuan per person per year
    price: float = 0.0  # this year's mustard market price, yuan/t
    levers: dict[str, Any] = field(default_factory=dict)  # by name, in acting order
    _shared: dict[Hashable, Any] = field(default_factory=dict)

    def begin(self, t: int, lines: tuple[float, float], price: float) -> None:
        """Move on to model month ``t``; forget what the levers shared last month."""
        self.t = t
        self.year, self.month = self.calendar(t)
        self.poverty_line, self.monitoring_line = lines
        self.price = price
        self._shared.clear()

    def shared(self, name: Hashable, compute: Callable[[], Any]) -> Any:
        """What ``compute()`` returns, computed at the first call this month.

        For work several levers share (the month's patients, the households with idle labour);
        valid while the levers act.
        """
        if name not in self._shared:
            self._shared[name] = compute()
        return self._shared[name]

    def computed(self, name: str) -> Any:
        """What :meth:`shared` computed for ``name`` this month, or ``None``."""
        return self._shared.get(name)

    def lever(self, name: str):
        """The lever called ``name`` if it is enabled, else ``None``."""
        lever = self.levers.get(name)
        return lever if lever is not None and lever.pars.enabled else None


__all__ = ["Month"]
