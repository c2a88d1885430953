"""Households as a structure of numpy arrays, and the parameters of a district.

One row per household, one array per field; no Python object per household. The register
columns (``REGISTER``) are what a generator or a user's file must give; the model adds its
dynamic state (income history, shock losses, outcome flags) with :meth:`Households.init_state`.
Building a district (synthetic, or from a register file) is :mod:`sim.engine.population`.
"""

from __future__ import annotations

import os
from collections import namedtuple
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.errors import ConfigError
from sim.core.params import Dated, between, dated, month, nonneg, pos, prob
from sim.core.schedule import FIRST_YEAR, LAST_YEAR

PA, EDGE, GENERAL = 0, 1, 2
CATEGORIES = ("poverty_alleviated", "edge", "general")

# column: (dtype, meaning and unit, largest value the loader accepts). The loader's schema and
# the generator's output. The upper bounds keep counts inside their integer width and catch
# unit mistakes (yuan a year given as yuan a month, fen as yuan); they are assumptions.
MAX_MEMBERS = 100  # members of one household (the largest rural households have ~15)
REGISTER: dict[str, tuple[type, str, float]] = {
    "household": (np.int64, "household id, unique in the register", 2**53),
    "town": (np.int16, "town index, 0-based, below population.n_towns", 9_999),
    "village": (np.int16, "village index, 0-based, below population.n_villages", 29_999),
    "category": (np.int8, "registration: poverty_alleviated, edge or general (or 0, 1, 2)", 2),
    "n_members": (np.int16, "household members, 1 or more", MAX_MEMBERS),
    "n_labour": (np.int16, "working-age members able to work", MAX_MEMBERS),
    "n_elderly": (np.int16, "members aged 60 or more", MAX_MEMBERS),
    "n_school": (np.int16, "children in school", MAX_MEMBERS),
    "n_disabled": (np.int16, "working-age members unable to work through disability", MAX_MEMBERS),
    "n_disabled_working": (
        np.int16,
        "labourers with a disability (counted in n_labour)",
        MAX_MEMBERS,
    ),
    "n_chronic": (np.int16, "members with a chronic illness (any age)", MAX_MEMBERS),
    "n_migrant": (np.int16, "labourers in migrant work", MAX_MEMBERS),
    "n_local": (np.int16, "labourers in local wage work", MAX_MEMBERS),
    "wage_migrant": (np.float32, "migrant wage, yuan per worker-month, base year", 100_000),
    "wage_local": (np.float32, "local wage, yuan per worker-month, base year", 100_000),
    "mustard_mu": (np.float32, "mustard-tuber area, mu", 10_000),
    "other_farm": (
        np.float32,
        "net income of other crops and livestock, yuan per year, base year",
        1e8,
    ),
    "property": (np.float32, "property income, yuan per year", 1e8),
    "remittances": (np.float32, "support from relatives outside the household, yuan per year", 1e8),
    "transfers0": (
        np.float32,
        "transfers received in the base year (dibao, tekun), yuan/year",
        1e8,
    ),
    "savings": (np.float64, "savings, yuan", 1e10),
    "debt": (np.float64, "debt, yuan", 1e10),
}
# Columns a register may leave out, and the value each household then gets (assumptions: a
# register that does not record them). A column added to REGISTER later comes with its default
# here, so registers written before it still load (tests/data/register_2026-12.csv).
OPTIONAL: dict[str, float] = {
    "n_school": 0,  # no pupil (no school top-up of dibao)
    "n_disabled": 0,  # no member unable to work through disability
    "n_disabled_working": 0,  # no labourer with a disability
    "n_chronic": 0,  # no chronically ill member (illness still strikes at its rates)
    "mustard_mu": 0.0,  # grows no mustard tuber
    "other_farm": 0.0,
    "property": 0.0,
    "remittances": 0.0,
    "transfers0": 0.0,  # no dibao or tekun in the base year: the burn-in enrols the eligible
    "savings": 0.0,
    "debt": 0.0,
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
    "pc_income": (
        np.float64,
        0,
        "trailing-12-month per-capita income net of all out-of-pocket care (the levers' and "
        "the monitoring's income test), yuan/person/year",
    ),
    "pc_assessed": (
        np.float64,
        0,
        "per-capita income as the relapse rule assesses it (outcomes.relapse), yuan/person/year",
    ),
    "months_below": (np.int16, 0, "consecutive months assessed below the poverty line"),
    "new_shock": (np.int8, -1, "cause code of the last shock this month (-1 none)"),
    "poor": (
        np.bool_,
        False,
        "poor as the rules find it: assessed below the poverty line, confirmed (relapse rule)",
    ),
    "poor_net_care": (np.bool_, False, "12-month income net of all care below the poverty line"),
    "at_risk": (np.bool_, False, "below the monitoring line"),
    "t_relapse": (np.int16, -1, "model month of the first relapse (-1 never)"),
    "relapse_year": (np.int16, -1, "last calendar year with a relapse event"),
    "ever_relapsed": (np.bool_, False, "a poverty-alleviated household poor in some month"),
    "ever_poor_net_care": (
        np.bool_,
        False,
        "a poverty-alleviated household poor_net_care in some month",
    ),
    "cause": (np.int8, -1, "cause code of the latest relapse (sim.engine.shocks.CAUSES)"),
    # lever state shared between levers (each lever keeps the rest of its state itself)
    "own_pc_month": (
        np.float64,
        0,
        "means-test income: last 12 months' own net income, yuan/person/month",
    ),
    "wage_pc_month": (
        np.float64,
        0,
        "of which market wages (lever wages not), last 12 months, yuan/person/month "
        "(0 unless a lever reads it: Households.keep_wage_history)",
    ),
    "transfers_fen": (np.int64, 0, "cash transfers from levers this month, fen"),
    "earned_fen": (np.int64, 0, "wages from lever jobs this month, fen"),
    "reimbursed_fen": (np.int64, 0, "medical reimbursements from levers this month, fen"),
    "allowance_fen": (
        np.int64,
        0,
        "of transfers_fen, allowances paid every month while in force (dibao, tekun), fen",
    ),
    "dibao": (np.bool_, False, "receives dibao"),
    "tekun": (np.bool_, False, "receives tekun support"),
    "monitored": (np.bool_, False, "in the monitoring mechanism"),
    "risk_type": (np.int8, -1, "monitored risk: an index of RISKS (-1 not monitored)"),
    "measures": (np.int16, 0, "bit set of levers received while monitored"),
}
HISTORY = 12  # months in the trailing income window
# The monthly histories (``hist_<name>``, with their 12-month sums ``sum_<name>``): own net
# income (net of care), transfers, out-of-pocket care, of it the part inside the insurance
# catalogue, market wages (part of own income).
HISTORIES = ("own", "transfer", "oop", "oop_in", "wage")
# The income history and loss accounts ``Households.init_state`` adds: (dtype, ndim).
HISTORY_FIELDS = {
    **{f"hist_{k}": (np.float32, 2) for k in HISTORIES},
    **{f"sum_{k}": (np.float64, 1) for k in HISTORIES},
    "loss": (np.float32, 2),
}
# Every household array as one argument of the compiled loops, which read ``hh.income[i]``
# (numba passes a named tuple of arrays as views: writes go to the households' arrays).
HouseholdArrays = namedtuple("HouseholdArrays", [*REGISTER, *STATE, *HISTORY_FIELDS])
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


# More households than any county has (the largest have about 1 million); memory_needed
# then says how many the machine can hold.
MAX_HOUSEHOLDS = 10_000_000


@dataclass(frozen=True, kw_only=True)
class HouseholdsByCategory(ByCategory):
    """Households of each registration category in the district."""

    poverty_alleviated: float = between(0, MAX_HOUSEHOLDS, unit=" households")
    edge: float = between(0, MAX_HOUSEHOLDS, unit=" households")
    general: float = between(0, MAX_HOUSEHOLDS, unit=" households")


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

    base_year: int = between(FIRST_YEAR, LAST_YEAR)
    mustard_yield: float = pos()
    mustard_price_expected: float = pos()
    mustard_cost_share: float = prob()
    harvest_months: list[int] = month()
    wage_growth: Dated = dated("any")
    pa_wage_premium: float = nonneg()
    farm_growth: Dated = dated("any")
    pension: Dated = dated("nonneg")
    consumption_floor: float = nonneg()
    consumption_share: float = prob()

    def validate(self, where: str) -> None:
        """The harvest falls in at least one month, each named once (the crop is split evenly)."""
        months = list(self.harvest_months)
        if not months or len(set(months)) != len(months):
            raise ConfigError(
                f"{where}.harvest_months = {months}: name each month of the harvest once (at "
                "least one; the crop is sold in equal parts in them)"
            )


@dataclass(frozen=True, kw_only=True)
class PopulationPars:
    """Parameters of the synthetic district (see ``scenarios/population/fuling.yaml``)."""

    file: str | None
    scale: float = pos()
    n_towns: int = between(1, REGISTER["town"][2] + 1)
    n_villages: int = between(1, REGISTER["village"][2] + 1)
    n_poor_villages: int = nonneg()
    poor_village_weight: float = pos()
    village_sigma: float = nonneg()
    households: HouseholdsByCategory
    people_poverty_alleviated: int = pos()
    mean_size: ByCategory
    max_size: int = between(1, MAX_MEMBERS)
    share_elderly: ShareByCategory
    share_school: ShareByCategory
    share_disabled: ShareByCategory
    share_able: ShareByCategory
    share_labour_disabled: ShareByCategory
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

    def households_by_category(self) -> np.ndarray:
        """Synthetic households of each category at this scale."""
        return np.rint(self.households.array() * self.scale).astype(np.int64)

    def n_households(self) -> int:
        """Synthetic households at this scale."""
        return int(self.households_by_category().sum())

    def validate(self, where: str) -> None:
        """Rules across fields: villages and towns, and a district the generator can build."""
        if self.n_villages < self.n_towns:
            raise ConfigError(
                f"{where}.n_villages = {self.n_villages}: fewer villages than towns "
                f"({where}.n_towns = {self.n_towns}); every town has at least one village"
            )
        if self.n_poor_villages > self.n_villages:
            raise ConfigError(
                f"{where}.n_poor_villages = {self.n_poor_villages}: more than the "
                f"{self.n_villages} villages ({where}.n_villages)"
            )
        if self.file == "":
            raise ConfigError(
                f"{where}.file: required with population=register; give "
                f"{where}.file=/path/to/register.csv (or .parquet)"
            )
        if self.file is not None:
            if self.scale != 1.0:
                raise ConfigError(
                    f"{where}.scale = {self.scale:g}: a register is run as given, every household "
                    "of it; leave the scale at 1 (or sample the register's rows yourself)"
                )
            return
        total = self.households.array().sum()
        if self.n_households() == 0:
            raise ConfigError(
                f"{where}.scale = {self.scale:g}: the district would have no household "
                f"({total:,.0f} households x {self.scale:g} rounds to 0); use {where}.scale "
                f">= {1 / total:.2g}"
            )
        for cat, mean in zip(CATEGORIES, self.mean_size.array(), strict=True):
            if not 1 <= mean <= self.max_size:
                raise ConfigError(
                    f"{where}.mean_size.{cat} = {mean:g}: must be between 1 and "
                    f"{where}.max_size = {self.max_size}"
                )
        pa = int(self.households_by_category()[PA])
        people = round(self.people_poverty_alleviated * self.scale)
        if not pa <= people <= pa * self.max_size:
            raise ConfigError(
                f"{where}.people_poverty_alleviated = {self.people_poverty_alleviated:,}: "
                f"{people:,} people (at scale {self.scale:g}) cannot live in {pa:,} "
                f"poverty-alleviated households of 1 to {self.max_size} members "
                f"({where}.max_size); change one of them"
            )


# Memory a run needs: measured peak resident memory, 12 burn-in + 2 months (652 bytes a
# household at 3.8 million households, 568 at 19 million, on top of ~400 MB of loaded
# libraries; 2,964 MiB at 3.8 million, 707 bytes a household, with the 12-month wage
# history, which is kept only when a lever reads it), rounded up.
BYTES_PER_HOUSEHOLD = 770
BYTES_FIXED = 450e6


def available_memory() -> float | None:
    """Bytes of memory available to new processes (``MemAvailable``), or None if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def memory_needed(n: int, n_jobs: int, key: str, value: object) -> float:
    """Bytes ``n_jobs`` runs of ``n`` households need; a ConfigError if that is not available.

    ``key`` and ``value`` name the setting that decides ``n`` in the message.
    """
    need = n_jobs * (BYTES_FIXED + n * BYTES_PER_HOUSEHOLD)
    avail = available_memory()
    if avail is not None and need > avail:
        runs = f" ({n_jobs} runs at once, n_jobs)" if n_jobs > 1 else ""
        fit = max((avail / n_jobs - BYTES_FIXED) / BYTES_PER_HOUSEHOLD, 0)
        raise ConfigError(
            f"{key} = {value}: {n:,} households need about {need / 1e9:.1f} GB of memory"
            f"{runs}, but {avail / 1e9:.1f} GB is available; about {fit:,.0f} households "
            f"fit{' (fewer n_jobs fit more)' if n_jobs > 1 else ''}"
        )
    return need


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
        for name, (dtype, _, _) in REGISTER.items():
            setattr(self, name, np.array(columns[name], dtype=dtype))  # own, writable copy
        self.n = lengths.pop()

    def copy(self) -> Households:
        """A fresh copy of the register, without state: what :func:`build` returned."""
        return Households({name: getattr(self, name) for name in REGISTER})

    @classmethod
    def from_columns(cls, **columns: object) -> Households:
        """Households from keyword columns; omitted register columns are zero (ids 1..n)."""
        n = len(next(iter(columns.values())))  # type: ignore[arg-type]
        full = {name: np.zeros(n, dtype) for name, (dtype, _, _) in REGISTER.items()}
        full["household"] = np.arange(1, n + 1)
        full.update({k: np.asarray(v) for k, v in columns.items()})
        return cls(full)

    def init_state(self, n_causes: int) -> None:
        """Add the model's dynamic state (``STATE``, income history, shock-loss accounts)."""
        for name, (dtype, value, _) in STATE.items():
            setattr(self, name, np.full(self.n, value, dtype))
        self.active &= self.n_members > 0
        # Monthly history (slot = month % 12; float32, 7 significant digits: 0.001 yuan on a
        # month's income of 10,000) and its running 12-month sums (float64), yuan
        # (``HISTORIES``). The wage history is kept only when a lever reads it
        # (:meth:`keep_wage_history`).
        for name in HISTORIES:
            rows = 0 if name == "wage" else HISTORY
            setattr(self, f"hist_{name}", np.zeros((rows, self.n), np.float32))
            setattr(self, f"sum_{name}", np.zeros(self.n))
        # Shock-loss accounts by cause (sim.engine.metrics), in units of ``loss_unit`` yuan: the
        # monthly decay multiplies ``loss_unit``, not every account.
        self.loss = np.zeros((n_causes, self.n), np.float32)
        self.loss_unit = 1.0
        self.arrays = self.struct()  # for the compiled loops; the arrays are never rebound

    def keep_wage_history(self) -> None:
        """Keep the 12-month history of market wages (``wage_pc_month``; see ``STATE``).

        Only when a lever's rules read it: it costs about a tenth of a run's time.
        """
        self.hist_wage = np.zeros((HISTORY, self.n), np.float32)
        self.arrays = self.struct()

    def struct(self, **replace: np.ndarray) -> HouseholdArrays:
        """Every household array (:data:`HouseholdArrays`), ``replace`` used instead of some.

        Before :meth:`init_state` the state fields are fresh default arrays (base-year rules
        run on a register alone). Replacements take the field's dtype.
        """
        arrays = {}
        for name in HouseholdArrays._fields:
            if name in replace:
                dtype = getattr(self, name, None)
                dtype = dtype.dtype if dtype is not None else STATE[name][0]
                arrays[name] = np.ascontiguousarray(replace[name], dtype)
            elif hasattr(self, name):
                arrays[name] = getattr(self, name)
            elif name in STATE:
                dtype, value, _ = STATE[name]
                arrays[name] = np.full(self.n, value, dtype)
            else:
                dtype, ndim = HISTORY_FIELDS[name]
                arrays[name] = np.zeros((0, self.n) if ndim == 2 else self.n, dtype)
        return HouseholdArrays(**arrays)

    def sum_history(self) -> None:
        """The 12-month sums (``sum_own``, ...) from the history, afresh."""
        for name in HISTORIES:
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

    def annual_wages(self) -> np.ndarray:
        """Market wages in the base year, yuan/year (part of :meth:`annual_income`)."""
        return 12.0 * (self.n_migrant * self.wage_migrant + self.n_local * self.wage_local)

    def annual_income(self, econ: Economy, price: float | None = None) -> np.ndarray:
        """Expected own income in the base year, yuan/year: wages, farm, property, pension."""
        price = econ.mustard_price_expected if price is None else price
        wages = self.annual_wages()
        mustard = self.mustard_mu * econ.mustard_yield * price * (1 - econ.mustard_cost_share)
        pension = 12.0 * econ.pension(econ.base_year) * self.n_elderly
        return wages + mustard + self.other_farm + self.property + self.remittances + pension
