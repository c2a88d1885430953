"""Typed, checked parameters: one frozen dataclass per module, filled from the Hydra config.

Every number's home is a YAML file in ``scenarios/`` (with its unit and source); the dataclasses
here only say which keys exist, their types and their allowed range. ``parse`` rejects unknown
and missing keys and out-of-range values with a :class:`ConfigError` naming the dotted key.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class P:
    ...     p: float = prob()
    >>> parse(P, {"p": 0.2}, "shocks.x").p
    0.2
    >>> parse(P, {"p": 1.5}, "shocks.x")
    Traceback (most recent call last):
    ...
    sim.core.errors.ConfigError: shocks.x.p = 1.5: must be a probability in [0, 1]
"""

from __future__ import annotations

import collections
import dataclasses
import difflib
import functools
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from sim.core.errors import ConfigError
from sim.core.schedule import Dated

Check = Callable[[float], str | None]


# The largest number a default-ranged value may hold: no amount (yuan), count or duration of a
# household, lever or shock comes near it (the largest default is a 400,000-yuan cap), and a
# value past it (1e15, 1e308) would overflow the money in fen. Assumption; a key with a wider
# range says so with between().
CEILING = 100_000_000
_TOO_LARGE = f"must be at most {CEILING:,} (no amount, count or duration in the model is near it)"


def _prob(x: float) -> str | None:
    return None if 0.0 <= x <= 1.0 else "must be a probability in [0, 1]"


def _nonneg(x: float) -> str | None:
    return _any(x) if x >= 0 else "must be >= 0"


def _pos(x: float) -> str | None:
    return _any(x) if x > 0 else "must be > 0"


def _any(x: float) -> str | None:
    return _TOO_LARGE if isinstance(x, int | float) and abs(x) > CEILING else None


def _num(x: float) -> str:
    """1,024 and 9,223,372,036,854,775,807 with separators; years (2020) without."""
    return f"{x:,}" if abs(x) >= 10_000 or x in (1024, -1024) else f"{x}"


def _between(lo: float, hi: float, unit: str = "") -> Check:
    def check(x: float) -> str | None:
        return None if lo <= x <= hi else f"must be between {_num(lo)} and {_num(hi)}{unit}"

    return check


def _month(x: float) -> str | None:
    return None if 1 <= x <= 12 else "must be a calendar month, 1 to 12"


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


def _name(x: str) -> str | None:
    if _NAME.match(x) and ".." not in x:
        return None
    return (
        "a name that becomes a folder: letters, digits, '_', '-' and '.', starting with a "
        "letter or digit, at most 80 characters (no '/' or '..')"
    )


def _field(
    check: Check, dated: bool = False, default: Any = dataclasses.MISSING, allowed: str = ""
) -> Any:
    """A checked field; ``allowed`` says in words what ``check`` accepts (docs/parameters.md)."""
    meta = {"check": check, "dated": dated, "allowed": allowed}
    return dataclasses.field(default=default, metadata=meta)


def prob(default: Any = dataclasses.MISSING) -> Any:
    """A probability or share in [0, 1]."""
    return _field(_prob, default=default, allowed="0 to 1")


def nonneg(default: Any = dataclasses.MISSING) -> Any:
    """A number >= 0 (amounts in yuan, counts, durations)."""
    return _field(_nonneg, default=default, allowed=">= 0")


def pos(default: Any = dataclasses.MISSING) -> Any:
    """A number > 0."""
    return _field(_pos, default=default, allowed="> 0")


def number(default: Any = dataclasses.MISSING) -> Any:
    """Any finite number up to :data:`CEILING` in size (e.g. a growth rate that may be negative)."""
    return _field(_any, default=default, allowed="any number")


def between(lo: float, hi: float, default: Any = dataclasses.MISSING, unit: str = "") -> Any:
    """A number in ``[lo, hi]`` (a range the model's arrays or the calendar can hold)."""
    return _field(_between(lo, hi, unit), default=default, allowed=f"{_num(lo)} to {_num(hi)}")


def jobs(default: Any = dataclasses.MISSING) -> Any:
    """Runs at once (joblib's ``n_jobs``): 1 to 1,024, or -1 for every core."""
    within = _between(-1, 1024)

    def check(x: float) -> str | None:
        return "use 1 or more runs at once, or -1 for every core" if x == 0 else within(x)

    return _field(check, default=default)


def month(default: Any = dataclasses.MISSING) -> Any:
    """A calendar month, 1 to 12."""
    return _field(_month, default=default)


def folder_name(default: Any = dataclasses.MISSING) -> Any:
    """A name used as a folder name (:func:`check_name`)."""
    return _field(_name, default=default)


def one_of(*options: str, default: Any = dataclasses.MISSING) -> Any:
    """One of ``options`` (strings)."""

    def check(x: str) -> str | None:
        return None if x in options else f"use {' or '.join(options)}"

    return _field(check, default=default)


def check_name(value: str, where: str) -> str:
    """``value`` if it is safe as a folder name, else a :class:`ConfigError` naming ``where``.

    Example:
        >>> check_name("no_dibao", "experiment.scenarios")
        'no_dibao'
        >>> check_name("../../x", "sweep_name")
        Traceback (most recent call last):
        ...
        sim.core.errors.ConfigError: sweep_name = '../../x': a name that becomes a folder: letters, digits, '_', '-' and '.', starting with a letter or digit, at most 80 characters (no '/' or '..')
    """
    if not isinstance(value, str) or (msg := _name(value)) is not None:
        raise ConfigError(f"{where} = {value!r}: {msg or 'must be a string'}")
    return value


def closest(key: str, valid: Any) -> str:
    """``; did you mean x?`` for the valid keys closest to a mistyped ``key`` (or nothing).

    Example:
        >>> closest("standrad", ["standard", "take_up", "enabled"])
        '; did you mean standard?'
    """
    near = difflib.get_close_matches(str(key), [str(v) for v in valid], n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(near)}?" if near else ""


def dated(check: str = "nonneg", default: Any = dataclasses.MISSING) -> Any:
    """A :class:`Dated` value (scalar or ``{year: value}``) whose every entry passes ``check``."""
    return _field(
        {"prob": _prob, "nonneg": _nonneg, "pos": _pos, "any": _any}[check], True, default
    )


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _scalar(hint: Any, check: Check, value: Any, where: str) -> Any:
    """A checked bool, str, int or float."""
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} = {value!r}: must be true or false")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} = {value!r}: must be a string")
        if (msg := check(value)) is not None:
            raise ConfigError(f"{where} = {value!r}: {msg}")
        return value
    if not _is_number(value) or (hint is int and value != int(value)):
        kind = "an integer" if hint is int else "a finite number"
        raise ConfigError(f"{where} = {value!r}: must be {kind}")
    value = hint(value)
    if (msg := check(value)) is not None:
        raise ConfigError(f"{where} = {value!r}: {msg}")
    return value


def _parse_value(hint: Any, meta: Mapping[str, Any], value: Any, where: str, dated: bool) -> Any:
    check: Check = meta.get("check", _any)
    if meta.get("dated"):
        return Dated(value, where, lambda v, w: _scalar(float, check, v, w))
    if dataclasses.is_dataclass(hint):
        return parse(hint, value, where, dated)
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        origin = typing.get_origin(hint)
    if hint in (bool, str, int, float):
        if dated and hint is not str and isinstance(value, Mapping):
            return Dated(value, where, lambda v, w: _scalar(hint, check, v, w))
        return _scalar(hint, check, value, where)
    if origin is list:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} = {value!r}: must be a list")
        (item,) = typing.get_args(hint)
        return tuple(
            _parse_value(item, meta, v, f"{where}[{i}]", dated) for i, v in enumerate(value)
        )
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} = {value!r}: must be a mapping")
        return dict(value)
    return value


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """A parameter class's field types, resolved once (a class's annotations do not change)."""
    return typing.get_type_hints(cls)


def parse[T](cls: type[T], data: Any, where: str, dated: bool = False) -> T:
    """Build dataclass ``cls`` from a plain mapping, checking every key (see module docstring).

    In a class with ``DATED = True`` (and in the dataclasses it holds), or with ``dated``,
    every number and switch may also be a ``{year: value}`` table (a :class:`Dated`, each
    entry checked); :func:`resolve` gives the values of one year. A class may define
    ``validate(self, where)`` for rules across its fields (raising a :class:`ConfigError`).
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{where} = {data!r}: must be a mapping with the keys {', '.join(fields)}"
        )
    dated = dated or getattr(cls, "DATED", False)
    unknown = sorted(set(map(str, data)) - set(fields))
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ConfigError(
            f"{key}: unknown key{closest(unknown[0], fields)} (valid keys: "
            f"{', '.join(sorted(fields))})"
        )
    hints = type_hints(cls)
    kwargs = {}
    for name, f in fields.items():
        key = f"{where}.{name}" if where else name
        if name not in data:
            if f.default is not dataclasses.MISSING:
                continue
            raise ConfigError(f"{key}: missing; add it to the config (see scenarios/ for examples)")
        if data[name] == "???":
            raise ConfigError(f"{key}: required; set it on the command line, e.g. {key}=...")
        kwargs[name] = _parse_value(hints[name], f.metadata, data[name], key, dated)
    out = cls(**kwargs)
    if hasattr(out, "validate"):  # rules across fields: the class raises a ConfigError
        out.validate(where)
    return out


def resolve[T](pars: T, year: int) -> T:
    """``pars`` with every :class:`Dated` value replaced by its value in ``year``.

    Example:
        >>> @dataclasses.dataclass(frozen=True, kw_only=True)
        ... class Q:
        ...     DATED = True
        ...     on: bool
        ...     amount: float = nonneg()
        >>> q = parse(Q, {"on": {2021: True, 2026: False}, "amount": {2021: 5, 2023: 7}}, "q")
        >>> resolve(q, 2022), resolve(q, 2026)
        (Q(on=True, amount=5.0), Q(on=False, amount=7.0))
    """
    if isinstance(pars, Dated):
        return pars(year)
    if isinstance(pars, tuple):
        return tuple(resolve(v, year) for v in pars)  # type: ignore[return-value]
    if dataclasses.is_dataclass(pars) and not isinstance(pars, type):
        changes = {}
        for f in dataclasses.fields(pars):
            value = getattr(pars, f.name)
            new = resolve(value, year)
            if new is not value:
                changes[f.name] = new
        return dataclasses.replace(pars, **changes) if changes else pars
    return pars


def record_type(name: str, pars: type, module: str) -> type:
    """A named tuple of the fields of ``pars`` (a parameter dataclass), for compiled rules.

    A rule's parameters are declared once, in their dataclass (type and bounds) and their
    config file (value, unit, source): the record a compiled loop reads and the mapping into
    it follow from the dataclass (:func:`record`). ``module``: the module that holds the tuple
    under ``name`` (numba's disk cache finds the type there).

    Example:
        >>> @dataclasses.dataclass(frozen=True)
        ... class P:
        ...     rate: float
        ...     months: int
        >>> R = record_type("R", P, __name__)
        >>> record(R, P(rate=1, months=3.0))
        R(rate=1.0, months=3)
    """
    fields = [f.name for f in dataclasses.fields(pars)]
    rec = collections.namedtuple(name, fields, module=module)
    rec.pars = pars
    return rec


def record(rec: type, pars: Any) -> Any:
    """A year's plain parameters (:func:`resolve`) as the compiled record ``rec``.

    Numbers take their declared type (a float written 515 is 515.0, so that one compiled
    version serves every year); a value by category becomes its array.
    """
    hints = type_hints(rec.pars)
    values = []
    for name in rec._fields:
        value, hint = getattr(pars, name), hints[name]
        if hint in (bool, int, float):
            value = hint(value)
        elif hasattr(value, "array"):
            value = value.array()
        values.append(value)
    return rec(*values)
