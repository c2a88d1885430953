"""A district's households: the synthetic-district generator, and the register loader.

Example:
    >>> from sim.config.compose import compose
    >>> from sim.engine.schema import check
    >>> run = check(compose(["population.scale=0.01"]))
    >>> hh = generate(run.population, 1, run.burn_in_policy)
    >>> hh.n, int(hh.n_members[hh.category == PA].sum())
    (1900, 543)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from sim.core.errors import DataError
from sim.core.random import Streams
from sim.engine.households import (
    CATEGORIES,
    EDGE,
    GENERAL,
    OPTIONAL,
    PA,
    REGISTER,
    Households,
    PopulationPars,
    ShareByCategory,
)
from sim.engine.policies.dibao import base_year_transfers
from sim.engine.schema import check


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def _sizes(rng: np.random.Generator, n: int, mean: float, max_size: int) -> np.ndarray:
    """Household sizes 1 + Poisson(mean - 1), capped at ``max_size``."""
    return np.minimum(1 + rng.poisson(max(mean - 1.0, 0.0), n), max_size)


def _match_total(rng: np.random.Generator, size: np.ndarray, total: int, max_size: int) -> None:
    """Add or remove members one at a time in random households until ``size.sum() == total``."""
    while (diff := total - int(size.sum())) != 0:
        room = np.flatnonzero(size < max_size) if diff > 0 else np.flatnonzero(size > 1)
        if room.size == 0:
            raise ValueError(f"cannot fit {total} people in {size.size} households")
        pick = rng.choice(room, size=min(abs(diff), room.size), replace=False)
        size[pick] += np.sign(diff)


def generate(pars: PopulationPars, seed: int, policy: dict) -> Households:
    """Build the synthetic district described by ``pars`` (scaled by ``pars.scale``).

    Incomes are for the base year (2020), with the dibao and tekun that ``policy`` (lever name
    -> checked parameters: a checked run's ``burn_in_policy``) paid in that year. Wage rates are scaled so that per-capita income (transfers included) meets
    ``pars.income_target`` (:func:`_calibrate`); the rest is drawn from ``pars``.
    """
    rng = Streams(seed).get("population", 0)
    n_by_cat = pars.households_by_category()
    category = np.repeat(np.arange(3, dtype=np.int8), n_by_cat)
    n = category.size
    if n == 0:
        raise ValueError("population.scale is so small that the district has no household")

    # Towns and villages: every town has at least one village; PA cluster in formerly poor ones.
    extra = rng.multinomial(pars.n_villages - pars.n_towns, np.full(pars.n_towns, 1 / pars.n_towns))
    village_town = np.repeat(np.arange(pars.n_towns), 1 + extra)
    weight = np.exp(pars.village_sigma * rng.standard_normal(pars.n_villages))
    poor = np.zeros(pars.n_villages, bool)
    poor[rng.choice(pars.n_villages, pars.n_poor_villages, replace=False)] = True
    village = np.empty(n, np.int64)
    for c in range(3):
        w = weight * np.where(poor & (c == PA), pars.poor_village_weight, 1.0)
        village[category == c] = rng.choice(pars.n_villages, n_by_cat[c], p=w / w.sum())
    town = village_town[village]

    # Members and who they are.
    mean_size = pars.mean_size.array()
    size = np.empty(n, np.int64)
    for c in range(3):
        size[category == c] = _sizes(rng, n_by_cat[c], mean_size[c], pars.max_size)
    people_pa = round(pars.people_poverty_alleviated * pars.scale)
    pa_size = size[category == PA]
    _match_total(rng, pa_size, people_pa, pars.max_size)
    size[category == PA] = pa_size

    def share(s: ShareByCategory) -> np.ndarray:
        return s.array()[category]

    elderly = rng.binomial(size, share(pars.share_elderly))
    rest = size - elderly
    school = rng.binomial(rest, share(pars.share_school))
    rest -= school
    disabled = rng.binomial(rest, share(pars.share_disabled))
    rest -= disabled
    labour = rng.binomial(rest, share(pars.share_able))
    chronic = rng.binomial(size, share(pars.share_chronic))
    migrant = rng.binomial(labour, share(pars.share_migrant))
    p_local = np.minimum(
        share(pars.share_local) / np.maximum(1 - share(pars.share_migrant), 1e-9), 1
    )
    local = rng.binomial(labour - migrant, p_local)
    # a stream of its own: the draws above and below are those of districts before this column
    disabled_working = (
        Streams(seed)
        .get("population_disabled_working", 0)
        .binomial(labour, share(pars.share_labour_disabled))
    )

    wage_m = _lognormal(rng, pars.wage_migrant_median, pars.wage_sigma, n)
    wage_l = _lognormal(rng, pars.wage_local_median, pars.wage_sigma, n)
    p_grow = np.where(labour > 0, share(pars.share_growers), pars.share_growers_no_labour)
    grows = rng.random(n) < p_grow
    s = pars.mustard_mu_sigma
    mu = np.where(grows, _lognormal(rng, pars.mustard_mu_mean * np.exp(-s * s / 2), s, n), 0.0)
    other = _lognormal(rng, pars.other_farm_median.array()[category], pars.other_farm_sigma, n)
    prop = _lognormal(rng, pars.property_median, pars.property_sigma, n)
    remit = _lognormal(rng, pars.remittance_median, pars.remittance_sigma, n) * elderly
    remit *= np.where(labour == 0, pars.remittance_no_labour, 1.0)
    u_save = rng.random(n)

    hh = Households.from_columns(
        town=town, village=village, category=category, n_members=size, n_labour=labour,
        n_elderly=elderly, n_school=school, n_disabled=disabled,
        n_disabled_working=disabled_working, n_chronic=chronic, n_migrant=migrant, n_local=local, wage_migrant=wage_m, wage_local=wage_l,
        mustard_mu=mu, other_farm=other, property=prop, remittances=remit,
    )  # fmt: skip
    _calibrate(hh, pars, policy, Streams(seed))
    income = hh.annual_income(pars.economy) + hh.transfers0
    hh.savings[:] = income / 12 * pars.savings_months * 2 * u_save  # uniform, mean savings_months
    return hh


def _calibrate(
    hh: Households, pars: PopulationPars, policy: dict, streams: Streams, rounds: int = 12
) -> None:
    """Base-year transfers, lifts and wage rates, until per-capita incomes meet the targets.

    Each round: the base year's dibao and tekun (:func:`base_year_transfers`); family support
    (remittances) lifts any household still below the base-year poverty line to ``lift_to``
    times the line (absolute poverty was zero at the end of 2020, Fuling plan); then wage
    rates are scaled so that per-capita income, transfers included, meets
    ``income_target``: the poverty-alleviated and edge households their own, general
    households so that all households together meet the rural one.
    """
    econ, target = pars.economy, pars.income_target
    drawn = hh.remittances.copy()
    people = hh.n_members.astype(float)
    for r in range(rounds + 1):
        hh.remittances[:] = drawn
        size = np.maximum(people, 1)
        own, wages = hh.annual_income(econ) / size / 12, hh.annual_wages() / size / 12
        hh.transfers0[:] = base_year_transfers(hh, policy, econ.base_year, own, wages, streams)
        total = hh.annual_income(econ) + hh.transfers0
        line = pars.poverty_line_base * people
        short = total < line
        hh.remittances[short] += (pars.lift_to * line - total)[short]
        if r == rounds:
            return
        wages = 12.0 * (hh.n_migrant * hh.wage_migrant + hh.n_local * hh.wage_local)
        other = hh.annual_income(econ) - wages + hh.transfers0
        goal = {PA: target.poverty_alleviated * people[hh.category == PA].sum(),
                EDGE: target.edge * people[hh.category == EDGE].sum()}  # fmt: skip
        for c in (PA, EDGE, GENERAL):
            m = hh.category == c
            if c == GENERAL:  # all households together meet the rural target
                goal[c] = target.rural * people.sum() - (other + wages)[~m].sum()
            f = max((goal[c] - other[m].sum()) / max(wages[m].sum(), 1.0), 0.0)
            hh.wage_migrant[m] *= f
            hh.wage_local[m] *= f
            wages[m] *= f


# -- loader -------------------------------------------------------------------------------


def _rows(mask: np.ndarray, first: int, limit: int = 5) -> str:
    """The first offending rows; ``first`` is the number of the first data row."""
    idx = np.flatnonzero(mask)[:limit] + first
    more = f" and {int(mask.sum()) - limit:,} more" if mask.sum() > limit else ""
    return ", ".join(map(str, idx)) + more


def _read(path: Path) -> tuple[pd.DataFrame, int]:
    """The file as a table, and the number of its first data row (CSV: 2, after the header)."""
    kind = path.suffix.lower()
    if kind not in (".csv", ".parquet"):
        raise DataError(f"{path}: unknown format {path.suffix!r}; use .csv or .parquet")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes)")
    try:
        if kind == ".parquet":
            return pd.read_parquet(path), 1
        return pd.read_csv(path, encoding="utf-8", low_memory=False), 2
    except Exception as exc:  # any reader failure is a malformed file, reported in one line
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise DataError(
            f"{path}: cannot be read as {kind[1:].upper()} ({reason}); give a "
            f"{'UTF-8 CSV file with a header row' if kind == '.csv' else 'Parquet file'} "
            "with the register columns (README)"
        ) from None


def _numbers(column: pd.Series) -> np.ndarray:
    """A column as float64; anything that is not a finite number becomes NaN."""
    if column.dtype == bool:
        return np.full(len(column), np.nan)
    try:
        values = np.array(pd.to_numeric(column, errors="coerce"), dtype=np.float64)
    except (TypeError, ValueError):  # lists, dates, mixed objects
        values = np.array([_number(v) for v in column], dtype=np.float64)
    values[~np.isfinite(values)] = np.nan
    return values


def _number(v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating | str):
        return np.nan
    try:
        return float(v)
    except ValueError:
        return np.nan


def load(path: str | Path, n_towns: int | None = None, n_villages: int | None = None) -> Households:
    """Read a household register (CSV or Parquet) with the columns of ``REGISTER``.

    A column of ``OPTIONAL`` may be left out: every household then gets its default.

    Checks every value before the model sees it; towns and villages must lie below
    ``n_towns`` and ``n_villages`` (the config's), each village in one town.

    Raises:
        DataError: naming the column and the first offending rows (CSV: file lines, the header
            is line 1; Parquet: records from 1) for an unreadable file, a missing or unknown
            column, a missing or non-numeric value, a negative, fractional or too large
            count or amount, an unknown category, a repeated household id, members that do
            not add up, or a town or village outside the district.
    """
    path = Path(path)
    if not path.is_file():
        what = ("is a folder" if path.is_dir() else "is not a regular file (a pipe or device)"
                if path.exists() else "no such file")  # fmt: skip
        raise DataError(f"{path}: {what}; give population.file=/path/to/register.csv")
    df, first = _read(path)
    columns = [str(c) for c in df.columns]
    missing = [c for c in REGISTER if c not in columns and c not in OPTIONAL]
    if missing:
        raise DataError(
            f"{path}: missing column {missing[0]!r} ({REGISTER[missing[0]][1]}); a register has "
            f"the columns {', '.join(c for c in REGISTER if c not in OPTIONAL)}, and may have "
            f"{', '.join(OPTIONAL)} (0 where left out)"
        )
    unknown = [c for c in columns if c not in REGISTER]
    if unknown:
        raise DataError(f"{path}: unknown column {unknown[0]!r}; valid: {', '.join(REGISTER)}")
    if len(df) == 0:
        raise DataError(f"{path}: no households (a header and no rows)")
    df.columns = columns

    cols: dict[str, np.ndarray] = {}
    cat = df["category"]
    labels = {name: float(i) for i, name in enumerate(CATEGORIES)}
    codes = np.array([labels.get(v, np.nan) if isinstance(v, str) else np.nan for v in cat])
    numeric = _numbers(cat)
    codes = np.where(np.isnan(codes) & np.isin(numeric, (0, 1, 2)), numeric, codes)
    if np.isnan(codes).any():
        raise DataError(
            f"{path}: column 'category' has an unknown value in rows "
            f"{_rows(np.isnan(codes), first)}; use one of {', '.join(CATEGORIES)}"
        )
    cols["category"] = codes
    for name, (dtype, meaning, top) in REGISTER.items():
        if name == "category":
            continue
        if name not in columns:  # an optional column left out (OPTIONAL)
            cols[name] = np.full(len(df), OPTIONAL[name], np.float64)
            continue
        values = _numbers(df[name])
        exact = pd.to_numeric(df[name], errors="coerce")  # ids past 2**53 before float rounds them
        over = exact.to_numpy() > top if exact.dtype.kind in "iu" else values > top
        checks = [
            (np.isnan(values), "is missing or not a number"),
            (values < 0, "is negative"),
            (over, f"is above {top:,.0f}, the largest the loader accepts ({meaning}); check the unit"),
        ]  # fmt: skip
        if np.issubdtype(dtype, np.integer):
            checks.append((values != np.round(values), "must be whole numbers"))
        for bad, what in checks:
            if bad.any():
                raise DataError(f"{path}: column {name!r} {what} in rows {_rows(bad, first)}")
        cols[name] = values
    hh = Households(cols)
    _check_register(hh, str(path), first, n_towns, n_villages)
    return hh


def _check_register(
    hh: Households, where: str, first: int, n_towns: int | None, n_villages: int | None
) -> None:
    """Ids, members, towns and villages; a DataError naming the column and rows."""
    dup = pd.Series(hh.household).duplicated(keep="first").to_numpy()
    if dup.any():
        raise DataError(
            f"{where}: column 'household' repeats an id in rows {_rows(dup, first)}; every "
            "household has its own id"
        )
    checks = [
        ("n_members", hh.n_members < 1, "must be at least 1"),
        ("n_labour", hh.n_labour > hh.n_members, "exceeds n_members"),
        ("n_disabled_working", hh.n_disabled_working > hh.n_labour, "exceeds n_labour"),
        ("n_chronic", hh.n_chronic > hh.n_members, "exceeds n_members"),
        (
            "n_elderly",
            hh.n_labour + hh.n_elderly + hh.n_school + hh.n_disabled > hh.n_members,
            "is too large: n_labour + n_elderly + n_school + n_disabled exceeds n_members",
        ),
        (
            "n_migrant",
            hh.n_migrant + hh.n_local > hh.n_labour,
            "is too large: n_migrant + n_local exceeds n_labour",
        ),
    ]
    if n_towns is not None:
        checks.append(("town", hh.town >= n_towns,
                       f"is not a town of the district (0 to {n_towns - 1}, population.n_towns)"))  # fmt: skip
    if n_villages is not None:
        checks.append(("village", hh.village >= n_villages,
                       f"is not a village of the district (0 to {n_villages - 1}, population.n_villages)"))  # fmt: skip
    for column, bad, what in checks:
        if bad.any():
            raise DataError(f"{where}: column {column!r} {what} in rows {_rows(bad, first)}")
    # each village lies in one town: the town of its first row
    order = np.lexsort((np.arange(hh.n), hh.village))
    village, town = hh.village[order], hh.town[order]
    head = np.r_[True, village[1:] != village[:-1]]
    town_of = town[np.maximum.accumulate(np.where(head, np.arange(hh.n), 0))]
    moved = np.zeros(hh.n, bool)
    moved[order] = town != town_of
    if moved.any():
        i = int(np.flatnonzero(moved)[0])
        v = int(hh.village[i])
        home = int(hh.town[np.flatnonzero(hh.village == v)[0]])
        raise DataError(
            f"{where}: column 'town': village {v} is in town {home} in its first row but in "
            f"another town in rows {_rows(moved, first)}; a village lies in one town"
        )


def save(hh: Households, path: str | Path) -> None:
    """Write the register (CSV or Parquet by suffix) in the loader's format."""
    path = Path(path)
    df = hh.register()
    if path.suffix.lower() == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False)


# Keys of ``population.economy`` the base-year district does not read (growth after the base
# year): runs that differ only in these may share one built district (sim.studies.ensemble).
AFTER_BASE_YEAR = ("wage_growth", "farm_growth")


def build(pars: PopulationPars, seed: int, policy: dict) -> Households:
    """The population a run uses: the user's register if ``pars.file`` is set, else synthetic.

    ``policy``: the burn-in policy, whose base-year rules give the synthetic households' base-year
    dibao and tekun (:func:`generate`).
    """
    if pars.file:
        return load(pars.file, pars.n_towns, pars.n_villages)
    return generate(pars, seed, policy)


def district(cfg: DictConfig | dict, seed: int) -> Households:
    """The households a config describes: its register, or its synthetic district for ``seed``."""
    run = check(cfg)
    return build(run.population, seed, run.burn_in_policy)
