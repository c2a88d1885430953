"""Dated values: a policy or price parameter that is a scalar or a ``{year: value}`` table.

A table is a step function: the value for year ``y`` is the entry of the latest year ``<= y``;
years before the first entry take the first entry. Policy changes are data, never ``if year``.

Example:
    >>> d = Dated({2021: 515, 2022: 581})
    >>> d(2021), d(2023), d(2019)
    (515.0, 581.0, 515.0)
    >>> Dated(4000)(2030)
    4000.0
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping

from sim.errors import ConfigError


class Dated:
    """A scalar or a step function of the calendar year (see module docstring)."""

    __slots__ = ("_values", "_years")

    def __init__(self, value: float | Mapping[int, float], where: str = "value") -> None:
        if isinstance(value, Mapping):
            if not value:
                raise ConfigError(
                    f"{where}: an empty {{year: value}} table; give at least one year"
                )
            try:
                items = sorted((int(y), float(v)) for y, v in value.items())
            except (TypeError, ValueError) as exc:
                raise ConfigError(
                    f"{where}: {dict(value)!r} is not a {{year: number}} table; "
                    "write years as integers and values as numbers"
                ) from exc
        else:
            try:
                items = [(0, float(value))]
            except (TypeError, ValueError) as exc:
                raise ConfigError(
                    f"{where}: {value!r} is not a number or a {{year: number}} table"
                ) from exc
        self._years = [y for y, _ in items]
        self._values = [v for _, v in items]

    def __call__(self, year: int) -> float:
        """Value in force in ``year``."""
        i = bisect.bisect_right(self._years, year) - 1
        return self._values[max(i, 0)]

    def values(self) -> list[float]:
        """Every value in the table (for range checks)."""
        return list(self._values)

    def __repr__(self) -> str:
        if self._years == [0]:
            return f"Dated({self._values[0]})"
        return f"Dated({dict(zip(self._years, self._values, strict=True))})"
