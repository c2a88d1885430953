"""Dated values: a parameter that is a scalar or a ``{year: value}`` table.

A table is a step function: the value for year ``y`` is the entry of the latest year ``<= y``;
years before the first entry take the first entry. Policy changes are data, never ``if year``.
Any scalar can be dated: amounts, shares, counts and switches (``{2021: true, 2026: false}``).
Year keys may be integers or digit strings (``"2023"``, which is how a YAML file must write
them for ``key.2023=value`` to work on the command line); a year given twice is an error.

Example:
    >>> d = Dated({2021: 515, "2022": 581})
    >>> d(2021), d(2023), d(2019)
    (515.0, 581.0, 515.0)
    >>> Dated(4000)(2030)
    4000.0
    >>> Dated({2021: True, 2026: False}, convert=lambda v, where: bool(v))(2027)
    False
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Mapping
from typing import Any

from sim.core.errors import ConfigError

# The years a run and its tables may cover: from the base year of the embedded district
# (incomes, prices and policy tables start in 2020) to 2050 (assumption: the growth rates and
# the policy tables are not meant to be carried further). Month counters and years fit int16.
FIRST_YEAR, LAST_YEAR = 2020, 2050


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{where} = {value!r}: must be a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} = {value!r}: must be a number") from None


def year_of(key: Any, where: str) -> int:
    """The year a table key stands for (an integer or a digit string), within the calendar.

    Example:
        >>> year_of("2023", "policy.dibao.standard")
        2023
        >>> year_of(1990, "policy.dibao.standard")
        Traceback (most recent call last):
        ...
        sim.core.errors.ConfigError: policy.dibao.standard.1990: before 2020, the first year a run may cover; the table's first year already holds for every earlier year
    """
    if isinstance(key, int) and not isinstance(key, bool):
        year = key
    elif isinstance(key, str) and key.strip().isdigit():
        year = int(key)
    else:
        raise ConfigError(
            f"{where}: {key!r} is not a year; write a {{year: value}} table, e.g. {{2021: 515}}"
        )
    if year < FIRST_YEAR:
        raise ConfigError(
            f"{where}.{year}: before {FIRST_YEAR}, the first year a run may cover; the "
            "table's first year already holds for every earlier year"
        )
    if year > LAST_YEAR:
        raise ConfigError(f"{where}.{year}: after {LAST_YEAR}, the last year a run may cover")
    return year


class Dated:
    """A scalar or a step function of the calendar year (see module docstring).

    ``convert(value, where)`` checks and converts each entry (default: a float); ``where`` is
    the dotted key, named in errors (with the year for a table entry).
    """

    __slots__ = ("_values", "_years")

    def __init__(
        self,
        value: Any,
        where: str = "value",
        convert: Callable[[Any, str], Any] = _number,
    ) -> None:
        if isinstance(value, Mapping):
            if not value:
                raise ConfigError(
                    f"{where}: an empty {{year: value}} table; give at least one year"
                )
            table: dict[int, Any] = {}
            for key, v in value.items():
                year = year_of(key, where)
                if year in table:
                    raise ConfigError(
                        f"{where}: year {year} is given twice (as {year} and as '{year}'); keep one"
                    )
                table[year] = convert(v, f"{where}.{year}")
            items = sorted(table.items())
        else:
            items = [(0, convert(value, where))]
        self._years = [y for y, _ in items]
        self._values = [v for _, v in items]

    def __call__(self, year: int) -> Any:
        """Value in force in ``year``."""
        i = bisect.bisect_right(self._years, year) - 1
        return self._values[max(i, 0)]

    def values(self) -> list[Any]:
        """Every value in the table (for range checks)."""
        return list(self._values)

    def years(self) -> list[int]:
        """The years of the table's entries (``[0]`` for a scalar)."""
        return list(self._years)

    def table(self) -> dict[int, Any]:
        """The entries as ``{year: value}`` (``{0: value}`` for a scalar)."""
        return dict(zip(self._years, self._values, strict=True))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dated) and self.table() == other.table()

    def __hash__(self) -> int:
        return hash(tuple(self.table().items()))

    def __repr__(self) -> str:
        if self._years == [0]:
            return f"Dated({self._values[0]!r})"
        return f"Dated({self.table()!r})"


@functools.lru_cache(maxsize=1024)
def compound(rate: Dated, first: int, last: int) -> float:
    """The product of ``1 + rate(y)`` over the years ``first..last`` (1 if ``last < first``).

    A growth index: values of ``last`` relative to the year before ``first``.

    Example:
        >>> round(compound(Dated({2021: 0.1, 2022: 0.05}), 2021, 2023), 6)  # 1.1 * 1.05 * 1.05
        1.21275
    """
    out = 1.0
    for year in range(first, last + 1):
        out *= 1.0 + rate(year)
    return out
