"""Households as a structure of numpy arrays: the synthetic-district generator and the loader.

One row per household, one array per field; no Python object per household. The register
columns (``REGISTER``) are what a generator or a user's file must give; the model adds its
dynamic state (income history, shock losses, outcome flags) with :meth:`Households.init_state`.

Example:
    >>> from sim.config import compose, population_pars
    >>> pars = population_pars(compose(["population.scale=0.01"]))
    >>> hh = generate(pars, seed=1)
    >>> hh.n, int(hh.n_members[hh.category == PA].sum())
    (1900, 543)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import DataError
from sim.params import Dated, dated, nonneg, pos, prob
from sim.random import Streams

PA, EDGE, GENERAL = 0, 1, 2
CATEGORIES = ("poverty_alleviated", "edge", "general")

# column: (dtype, meaning and unit). The loader's schema and the generator's output.
REGISTER: dict[str, tuple[type, str]] = {
    "town": (np.int16, "town index, 0-based"),
    "village": (np.int16, "administrative village index, 0-based"),
    "category": (np.int8, "registration: poverty_alleviated, edge or general (or 0, 1, 2)"),
    "n_members": (np.int16, "household members, >= 1"),
    "n_labour": (np.int16, "working-age members able to work"),
    "n_elderly": (np.int16, "members aged 60 or more"),
    "n_school": (np.int16, "children in school"),
    "n_disabled": (np.int16, "working-age members unable to work through disability"),
    "n_chronic": (np.int16, "members with a chronic illness (any age)"),
    "n_migrant": (np.int16, "labourers in migrant work"),
    "n_local": (np.int16, "labourers in local wage work"),
    "wage_migrant": (np.float32, "migrant wage, yuan per worker-month, base year"),
    "wage_local": (np.float32, "local wage, yuan per worker-month, base year"),
    "mustard_mu": (np.float32, "mustard-tuber area, mu"),
    "other_farm": (np.float32, "net income of other crops and livestock, yuan per year, base year"),
    "property": (np.float32, "property income, yuan per year"),
    "remittances": (np.float32, "support from relatives outside the household, yuan per year"),
    "transfers0": (np.float32, "transfers received in the base year (dibao, tekun), yuan/year"),
    "savings": (np.float64, "savings, yuan"),
    "debt": (np.float64, "debt, yuan"),
}
# Dynamic state the model adds (name: dtype, initial value, meaning). (12, n) and (causes, n)
# arrays hold the trailing-12-month income history and the decaying shock-loss accounts.
STATE: dict[str, tuple[type, float, str]] = {
    "active": (np.bool_, True, "household still exists (members > 0)"),
    "n_seek_migrant": (np.int16, 0, "labourers who lost migrant work and seek it again"),
    "n_seek_local": (np.int16, 0, "labourers who lost local work and seek it again"),
    "crop_loss": (np.float32, 0, "share of farm income lost to a disaster"),
    "crop_loss_until": (np.int16, -1, "last model month of that loss"),
    "income": (np.float64, 0, "own income this month (wages, farm, property, pension), yuan"),
    "wage_income": (np.float64, 0, "wages this month, yuan"),
    "farm_income": (np.float64, 0, "farm income this month, yuan"),
    "mustard_tonnes": (np.float64, 0, "mustard tuber sold this month, t"),
    "transfers": (np.float64, 0, "lever transfers received this month, yuan"),
    "med_cost": (np.float64, 0, "medical cost this month before any lever, yuan"),
    "med_in_policy": (np.float64, 0, "part of med_cost inside the insurance catalogue, yuan"),
    "med_reimbursed": (np.float64, 0, "medical cost paid by levers this month, yuan"),
    "med_oop": (np.float64, 0, "out-of-pocket medical spending this month, yuan"),
    "one_off": (np.float64, 0, "one-off spending this month (funeral, assets lost), yuan"),
    "pc_income": (np.float64, 0, "trailing-12-month per-capita net income, yuan/person/year"),
    "new_shock": (np.int8, -1, "cause code of the last shock this month (-1 none)"),
    "poor": (np.bool_, False, "below the poverty line"),
    "at_risk": (np.bool_, False, "below the monitoring line"),
    "t_relapse": (np.int16, -1, "model month of the first relapse (-1 never)"),
    "relapse_year": (np.int16, -1, "last calendar year with a relapse event"),
    "ever_relapsed": (np.bool_, False, "a poverty-alleviated household poor in some month"),
    "cause": (np.int8, -1, "cause code of the latest relapse (sim.shocks.CAUSES)"),
    # lever state shared between levers (each lever keeps the rest of its state itself)
    "own_pc": (
        np.float64,
        0,
        "means-test income: last 12 months' own net income, yuan/person/month",
    ),
    "transfers_fen": (np.int64, 0, "cash transfers from levers this month, fen"),
    "earned_fen": (np.int64, 0, "wages from lever jobs this month, fen"),
    "reimbursed_fen": (np.int64, 0, "medical reimbursements from levers this month, fen"),
    "dibao": (np.bool_, False, "receives dibao"),
    "tekun": (np.bool_, False, "receives tekun support"),
    "monitored": (np.bool_, False, "in the monitoring mechanism"),
    "risk_type": (np.int8, -1, "monitored risk: an index of RISKS (-1 not monitored)"),
    "measures": (np.int16, 0, "bit set of levers received while monitored"),
}
HISTORY = 12  # months in the trailing income window
# Risk types of monitored households (``risk_type``), which steer the levers: illness to medical
# assistance, no labour to dibao and tekun, labour to posts and training.
RISKS = ("illness", "no_labour", "labour")
ILLNESS, NO_LABOUR, LABOUR = range(3)


@dataclass(frozen=True, kw_only=True)
class ByCategory:
    """A value for each registration category."""

    poverty_alleviated: float = nonneg()
    edge: float = nonneg()
    general: float = nonneg()

    def array(self) -> np.ndarray:
        """Values indexed by category code (PA, EDGE, GENERAL)."""
        return np.array([self.poverty_alleviated, self.edge, self.general])


@dataclass(frozen=True, kw_only=True)
class ShareByCategory(ByCategory):
    """A share in [0, 1] for each registration category."""

    poverty_alleviated: float = prob()
    edge: float = prob()
    general: float = prob()


@dataclass(frozen=True, kw_only=True)
class IncomeTarget:
    """Per-capita income in the base year, yuan/person/year, transfers included."""

    poverty_alleviated: float = pos()
    edge: float = pos()
    rural: float = pos()  # all households


@dataclass(frozen=True, kw_only=True)
class Economy:
    """District economy: prices, yields, growth, pension, consumption (yuan, nominal)."""

    base_year: int = pos()
    mustard_yield: float = pos()
    mustard_price_expected: float = pos()
    mustard_cost_share: float = prob()
    harvest_months: list[int] = pos()
    wage_growth: Dated = dated("any")
    pa_wage_premium: float = nonneg()
    farm_growth: Dated = dated("any")
    pension: Dated = dated("nonneg")
    consumption_floor: float = nonneg()
    consumption_share: float = prob()


@dataclass(frozen=True, kw_only=True)
class PopulationPars:
    """Parameters of the synthetic district (see ``scenarios/population/fuling.yaml``)."""

    file: str | None
    scale: float = pos()
    n_towns: int = pos()
    n_villages: int = pos()
    n_poor_villages: int = nonneg()
    poor_village_weight: float = pos()
    households: ByCategory
    people_poverty_alleviated: int = pos()
    mean_size: ByCategory
    max_size: int = pos()
    share_elderly: ShareByCategory
    share_school: ShareByCategory
    share_disabled: ShareByCategory
    share_able: ShareByCategory
    share_chronic: ShareByCategory
    share_migrant: ShareByCategory
    share_local: ShareByCategory
    wage_migrant_median: float = pos()
    wage_local_median: float = pos()
    wage_sigma: float = nonneg()
    share_growers: ShareByCategory
    share_growers_no_labour: float = prob()
    mustard_mu_mean: float = pos()
    mustard_mu_sigma: float = nonneg()
    other_farm_median: ByCategory
    other_farm_sigma: float = nonneg()
    property_median: float = nonneg()
    property_sigma: float = nonneg()
    remittance_median: float = nonneg()
    remittance_sigma: float = nonneg()
    remittance_no_labour: float = nonneg()
    savings_months: float = nonneg()
    income_target: IncomeTarget
    poverty_line_base: float = pos()
    lift_to: float = pos()
    economy: Economy


class Households:
    """Columns of equal length, one row per household (fields in ``REGISTER``).

    Example:
        >>> hh = Households.from_columns(n_members=[3, 1], n_labour=[2, 0])
        >>> hh.n, hh.n_members.dtype.name, int(hh.n_local.sum())
        (2, 'int16', 0)
    """

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"columns differ in length: {lengths}")
        for name, (dtype, _) in REGISTER.items():
            setattr(self, name, np.array(columns[name], dtype=dtype))  # own, writable copy
        self.n = lengths.pop()

    @classmethod
    def from_columns(cls, **columns: object) -> Households:
        """Households from keyword columns; omitted register columns are zero (for tests)."""
        n = len(next(iter(columns.values())))  # type: ignore[arg-type]
        full = {name: np.zeros(n, dtype) for name, (dtype, _) in REGISTER.items()}
        full.update({k: np.asarray(v) for k, v in columns.items()})
        return cls(full)

    def init_state(self, n_causes: int) -> None:
        """Add the model's dynamic state (``STATE``, income history, shock-loss accounts)."""
        for name, (dtype, value, _) in STATE.items():
            setattr(self, name, np.full(self.n, value, dtype))
        self.active &= self.n_members > 0
        # Monthly history (slot = month % 12; float32, 7 significant digits: 0.001 yuan on a
        # month's income of 10,000) and its running 12-month sums (float64), yuan.
        for name in ("own", "transfer", "oop"):
            setattr(self, f"hist_{name}", np.zeros((HISTORY, self.n), np.float32))
            setattr(self, f"sum_{name}", np.zeros(self.n))
        # Shock-loss accounts by cause (sim.metrics), in units of ``loss_unit`` yuan: the
        # monthly decay multiplies ``loss_unit``, not every account.
        self.loss = np.zeros((n_causes, self.n), np.float32)
        self.loss_unit = 1.0

    def sum_history(self) -> None:
        """The 12-month sums (``sum_own``, ...) from the history, afresh."""
        for name in ("own", "transfer", "oop"):
            hist, out = getattr(self, f"hist_{name}"), getattr(self, f"sum_{name}")
            hist.sum(axis=0, dtype=np.float64, out=out)

    def decay_losses(self, factor: float) -> None:
        """Multiply every shock-loss account by ``factor`` (through ``loss_unit``)."""
        self.loss_unit *= factor
        if self.loss_unit < 1e-6:  # fold it into the accounts long before float32 overflows
            self.loss *= np.float32(self.loss_unit)
            self.loss_unit = 1.0

    def register(self) -> pd.DataFrame:
        """The register columns as a DataFrame (category as text), the loader's format."""
        df = pd.DataFrame({name: getattr(self, name) for name in REGISTER})
        df["category"] = np.asarray(CATEGORIES)[self.category]
        return df

    def annual_income(self, econ: Economy, price: float | None = None) -> np.ndarray:
        """Expected own income in the base year, yuan/year: wages, farm, property, pension."""
        price = econ.mustard_price_expected if price is None else price
        wages = 12.0 * (self.n_migrant * self.wage_migrant + self.n_local * self.wage_local)
        mustard = self.mustard_mu * econ.mustard_yield * price * (1 - econ.mustard_cost_share)
        pension = 12.0 * econ.pension(econ.base_year) * self.n_elderly
        return wages + mustard + self.other_farm + self.property + self.remittances + pension


# -- generator ----------------------------------------------------------------------------


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


def generate(pars: PopulationPars, seed: int, policy: dict | None = None) -> Households:
    """Build the synthetic district described by ``pars`` (scaled by ``pars.scale``).

    Incomes are for the base year (2020), with the dibao and tekun that ``policy`` (lever name
    -> checked parameters; default: the default config's burn-in policy, the status quo) paid
    in that year. Wage rates are scaled so that per-capita income (transfers included) meets
    ``pars.income_target`` (:func:`_calibrate`); the rest is drawn from ``pars``.
    """
    rng = Streams(seed).get("population", 0)
    n_by_cat = np.rint(pars.households.array() * pars.scale).astype(int)
    category = np.repeat(np.arange(3, dtype=np.int8), n_by_cat)
    n = category.size
    if n == 0:
        raise ValueError("population.scale is so small that the district has no household")

    # Towns and villages: every town has at least one village; PA cluster in formerly poor ones.
    extra = rng.multinomial(pars.n_villages - pars.n_towns, np.full(pars.n_towns, 1 / pars.n_towns))
    village_town = np.repeat(np.arange(pars.n_towns), 1 + extra)
    weight = np.exp(0.5 * rng.standard_normal(pars.n_villages))
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
        n_elderly=elderly, n_school=school, n_disabled=disabled, n_chronic=chronic,
        n_migrant=migrant, n_local=local, wage_migrant=wage_m, wage_local=wage_l,
        mustard_mu=mu, other_farm=other, property=prop, remittances=remit,
    )  # fmt: skip
    if policy is None:
        from sim.config import check, compose

        policy = check(compose([])).burn_in_policy
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
    from sim.policies.social import base_year_transfers

    econ, target = pars.economy, pars.income_target
    drawn = hh.remittances.copy()
    people = hh.n_members.astype(float)
    for r in range(rounds + 1):
        hh.remittances[:] = drawn
        own_pc = hh.annual_income(econ) / np.maximum(people, 1) / 12
        hh.transfers0[:] = base_year_transfers(hh, policy, econ.base_year, own_pc, streams)
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


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    """First offending rows, 1-based as in a spreadsheet (header = row 1, so data starts at 2)."""
    idx = np.flatnonzero(mask)[:limit] + 2
    more = " ..." if mask.sum() > limit else ""
    return ", ".join(map(str, idx)) + more


def load(path: str | Path) -> Households:
    """Read a household register (CSV or Parquet) with the columns of ``REGISTER``.

    Raises:
        DataError: naming the column and the first offending rows (1-based file rows, header
            is row 1) for a missing or unknown column, a non-numeric or missing value, a negative
            count or amount, an unknown category, or members that do not add up.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; give population.file=/path/to/register.csv")
    if path.suffix.lower() == ".parquet":
        df = pd.read_parquet(path)
    elif path.suffix.lower() == ".csv":
        df = pd.read_csv(path)
    else:
        raise DataError(f"{path}: unknown format {path.suffix!r}; use .csv or .parquet")
    missing = [c for c in REGISTER if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing column {missing[0]!r} ({REGISTER[missing[0]][1]})")
    unknown = [c for c in df.columns if c not in REGISTER]
    if unknown:
        raise DataError(f"{path}: unknown column {unknown[0]!r}; valid: {', '.join(REGISTER)}")
    if len(df) == 0:
        raise DataError(f"{path}: no households")

    cols: dict[str, np.ndarray] = {}
    cat = df["category"]
    codes = cat.map({name: i for i, name in enumerate(CATEGORIES)})
    numeric = pd.to_numeric(cat, errors="coerce")
    codes = codes.fillna(numeric.where(numeric.isin([0, 1, 2])))
    if codes.isna().any():
        raise DataError(
            f"{path}: column 'category' has an unknown value in rows "
            f"{_rows(codes.isna().to_numpy())}"
            f"; use one of {', '.join(CATEGORIES)}"
        )
    cols["category"] = codes.to_numpy()
    for name, (dtype, _) in REGISTER.items():
        if name == "category":
            continue
        values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            raise DataError(
                f"{path}: column {name!r} is missing or not a number in rows {_rows(bad)}"
            )
        if (values < 0).any():
            raise DataError(f"{path}: column {name!r} is negative in rows {_rows(values < 0)}")
        if np.issubdtype(dtype, np.integer) and (values != np.round(values)).any():
            frac = values != np.round(values)
            raise DataError(f"{path}: column {name!r} must be whole numbers; rows {_rows(frac)}")
        cols[name] = values
    hh = Households(cols)
    _check_members(hh, str(path))
    return hh


def _check_members(hh: Households, where: str) -> None:
    checks = [
        ("n_members", hh.n_members < 1, "must be at least 1"),
        ("n_labour", hh.n_labour > hh.n_members, "exceeds n_members"),
        ("n_chronic", hh.n_chronic > hh.n_members, "exceeds n_members"),
        (
            "n_elderly",
            hh.n_labour + hh.n_elderly + hh.n_school + hh.n_disabled > hh.n_members,
            "n_labour + n_elderly + n_school + n_disabled exceeds n_members",
        ),
        (
            "n_migrant",
            hh.n_migrant + hh.n_local > hh.n_labour,
            "n_migrant + n_local exceeds n_labour",
        ),
    ]
    for column, bad, what in checks:
        if bad.any():
            raise DataError(f"{where}: column {column!r} {what} in rows {_rows(bad)}")


def save(hh: Households, path: str | Path) -> None:
    """Write the register (CSV or Parquet by suffix) in the loader's format."""
    path = Path(path)
    df = hh.register()
    if path.suffix.lower() == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False)


def build(pars: PopulationPars, seed: int, policy: dict | None = None) -> Households:
    """The population a run uses: the user's register if ``pars.file`` is set, else synthetic.

    ``policy``: the burn-in policy, whose base-year rules give the synthetic households' base-year
    dibao and tekun (:func:`generate`).
    """
    return load(pars.file) if pars.file else generate(pars, seed, policy)
