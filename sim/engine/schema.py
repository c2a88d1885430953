"""What a run needs, checked: the typed form of a composed config.

:func:`check` parses every section into checked dataclasses (each part's own: lever, shock,
population and outcome parameters) before anything runs, so a bad value stops the run with a
one-line :class:`ConfigError` naming the key. :func:`to_dict` gives the plain mapping it reads:
interpolations resolved, relative changes (``adjust``) applied. Composition (Hydra, the files
of ``scenarios/``) is the floor above: :mod:`sim.config.compose`.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.core.errors import ConfigError
from sim.core.params import between, folder_name, one_of, parse
from sim.core.scenarios import group_options
from sim.core.schedule import FIRST_YEAR, LAST_YEAR
from sim.engine.households import PopulationPars, memory_needed
from sim.engine.metrics import OutcomePars, outcome_pars
from sim.engine.policies import lever_pars
from sim.engine.shocks import ShockPars, history_pars, parse_month, shock_pars

MAX_MONTHS = 12 * (LAST_YEAR - FIRST_YEAR + 1)  # the calendar (sim.core.schedule), burn-in included


def to_dict(cfg: DictConfig | dict) -> dict[str, Any]:
    """A resolved plain-dict copy of a config (without Hydra's own node), ``adjust`` applied.

    The relative changes in ``adjust`` are applied before interpolations are resolved, so
    that values that follow another (``tekun.income_limit: ${..dibao.standard}``) follow it.
    """
    if not isinstance(cfg, DictConfig) and (cfg.get("adjust") or _interpolates(cfg)):
        cfg = OmegaConf.create(cfg)
    if isinstance(cfg, DictConfig):
        cfg = cfg.copy()
        with open_dict(cfg):
            cfg.pop("hydra", None)  # Hydra's own section resolves only inside a running app
            apply_adjust(cfg)
        try:
            data = OmegaConf.to_container(cfg, resolve=True)
        except OmegaConfBaseException as exc:  # e.g. seed=${seed}, a reference to no key
            key = getattr(exc, "full_key", None) or "a value"
            reason = " ".join(str(exc).split("\n")[0].split())
            raise ConfigError(
                f"{key}: {reason}; write the value itself, or ${{other.key}} of another key"
            ) from None
    else:  # resolved already (e.g. by this function): a copy, without OmegaConf's ~0.1 s
        data = copy.deepcopy(cfg)
    data.pop("hydra", None)
    data["adjust"] = []  # applied
    return data  # type: ignore[return-value]


def _interpolates(data: Any) -> bool:
    """Whether a plain config holds an interpolation (``${...}``) anywhere."""
    if isinstance(data, dict):
        return any(_interpolates(v) for v in data.values())
    if isinstance(data, list):
        return any(_interpolates(v) for v in data)
    return isinstance(data, str) and "${" in data


_ADJUST = re.compile(
    r"^(?P<key>[A-Za-z_][\w.]*)\s*(?P<op>[-+*])\s*(?P<num>\d+(\.\d*)?)(?P<pct>%?)$"
)


def adjust_value(value: Any, change: str, where: str) -> Any:
    """``value`` (a number or a {year: number} table) changed by ``change``.

    ``+10%`` and ``-5%`` are relative, ``+500`` and ``-500`` absolute, ``*1.1`` a factor;
    every year of a table changes.

    Example:
        >>> adjust_value({"2021": 515, "2022": 581}, "+10%", "policy.dibao.standard")
        {'2021': 566.5, '2022': 639.1}
        >>> adjust_value(2000, "+500", "policy.public_jobs.posts")
        2500.0
    """
    m = _ADJUST.match("x" + change.replace(" ", ""))
    if m is None:
        raise ConfigError(f"adjust: {where}{change}: write key+10%, key-5%, key+500 or key*1.1")
    num = float(m["num"])
    op = m["op"]
    if m["pct"]:
        if op == "*":
            raise ConfigError(f"adjust: {where}{change}: a factor takes no %; write *1.1")
        op, num = "*", 1 + (num if m["op"] == "+" else -num) / 100

    def one(v: Any, key: str) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ConfigError(f"adjust: {key} = {v!r} is not a number; only numbers change")
        return v * num if op == "*" else v + num if op == "+" else v - num

    if isinstance(value, dict):
        return {y: one(v, f"{where}.{y}") for y, v in value.items()}
    return one(value, where)


def adjust_key(item: Any) -> str | None:
    """The key a relative change of ``adjust`` changes (None if it is not one).

    Example:
        >>> adjust_key("policy.dibao.standard + 10%"), adjust_key("policy.dibao.standard")
        ('policy.dibao.standard', None)
    """
    m = _ADJUST.match(str(item).replace(" ", ""))
    return None if m is None else m["key"]


def apply_adjust(cfg: DictConfig) -> None:
    """Apply the config's ``adjust`` list (relative changes, :func:`adjust_value`) in place."""
    changes = cfg.get("adjust") or []
    if not isinstance(changes, ListConfig | list):
        raise ConfigError(
            f"adjust = {changes!r}: must be a list, e.g. adjust=[policy.dibao.standard+10%]"
        )
    for item in changes:
        key = adjust_key(item)
        if key is None:
            raise ConfigError(
                f"adjust: {item!r}: write key+10%, key-5%, key+500 or key*1.1, e.g. "
                "adjust=[policy.dibao.standard+10%]"
            )
        if OmegaConf.select(cfg, key, default=None) is None:
            raise ConfigError(f"adjust: {key}: no such key (or it is null)")
        value = OmegaConf.to_container(cfg, resolve=True)
        for part in key.split("."):
            value = value[part]
        OmegaConf.update(cfg, key, adjust_value(value, str(item)[len(key) :], key), merge=False)


@dataclass(frozen=True, kw_only=True)
class RunPars:
    """Everything a run needs, checked."""

    seed: int = between(0, 2**63 - 1)
    start: str = "2021-01"
    months: int = between(1, MAX_MONTHS)
    burn_in: int = between(0, 120)
    chart: bool = True
    sweep_name: str = folder_name("sweep")
    output_root: str = "outputs"
    population: PopulationPars
    shocks: dict
    history: dict | None = None
    outcomes: dict
    policy: dict
    burn_in_policy: dict
    lang: str = one_of("en", "zh", default="en")
    adjust: list[str] = ()


@dataclass(frozen=True, kw_only=True)
class Run:
    """A checked run configuration: top-level values and each section's parameters."""

    pars: RunPars
    shocks: ShockPars
    outcomes: OutcomePars
    policy: dict[str, Any]  # lever name -> its checked (dated) parameters
    burn_in_policy: dict[str, Any]  # the same, in force before ``start``
    start_year: int
    start_month: int

    @property
    def seed(self) -> int:
        """Base seed."""
        return self.pars.seed

    @property
    def population(self) -> PopulationPars:
        """Population parameters."""
        return self.pars.population


def check(cfg: DictConfig | dict, n_jobs: int = 1) -> Run:
    """Parse and check a whole config; raises :class:`ConfigError` naming the first bad key.

    Besides each section's keys and ranges: the run (burn-in included) must lie within the
    calendar (:data:`sim.core.schedule.FIRST_YEAR` to ``LAST_YEAR``) and start no earlier than the
    population's base year; shocks must fit the district; and ``n_jobs`` such runs at once
    must fit in the memory available (synthetic districts; a register is checked on loading).
    """
    data = to_dict(cfg)
    pars = parse(RunPars, data, "")
    year, month = parse_month(pars.start, "start")
    first = year * 12 + month - 1 - pars.burn_in  # first simulated month, months since year 0
    last = year * 12 + month - 1 + pars.months - 1
    base = pars.population.economy.base_year
    earliest = base * 12 + pars.burn_in
    if first < base * 12:
        raise ConfigError(
            f"start = {pars.start!r}: with burn_in = {pars.burn_in} the run would begin before "
            f"{base}-01, the population's base year (population.economy.base_year); start "
            f"{earliest // 12}-{earliest % 12 + 1:02d} or later, or shorten burn_in"
        )
    if last >= (LAST_YEAR + 1) * 12:
        end = f"{last // 12}-{last % 12 + 1:02d}"
        raise ConfigError(
            f"months = {pars.months}: from {pars.start} the run would end in {end}, after "
            f"{LAST_YEAR}-12, the last month the model's tables cover; shorten months or start "
            "earlier"
        )
    shocks = shock_pars_of(data)
    pop = pars.population
    known = len((data.get("history") or {}).get("disasters") or [])  # Fuling's: towns clipped
    known = known if shocks.disaster.enabled else 0  # a disabled shock takes no history
    for i, e in enumerate(shocks.disaster.events[known:]):
        if e.towns > pop.n_towns:
            raise ConfigError(
                f"shocks.disaster.events[{i}].towns = {e.towns}: the district has "
                f"{pop.n_towns} towns (population.n_towns)"
            )
    if pop.file is None:
        memory_needed(pop.n_households(), n_jobs, "population.scale", pop.scale)
    for key in ("policy", "burn_in_policy"):
        if not isinstance(data[key], dict):  # e.g. burn_in_policy=none replaces the mapping
            raise ConfigError(
                f"{key}={data[key]}: not a policy mix; choose a file with policy@{key}=<option> "
                f"(options: {', '.join(group_options('policy'))})"
            )
    return Run(
        pars=pars,
        shocks=shocks,
        outcomes=outcome_pars(data["outcomes"]),
        policy=lever_pars(data["policy"]),
        burn_in_policy=lever_pars(data["burn_in_policy"], "burn_in_policy"),
        start_year=year,
        start_month=month,
    )


def population_pars(cfg: DictConfig | dict) -> PopulationPars:
    """The checked ``population`` section."""
    return parse(PopulationPars, to_dict(cfg)["population"], "population")


def shock_pars_from(cfg: DictConfig | dict) -> ShockPars:
    """The checked ``shocks`` section, with the ``history`` laid under it."""
    return shock_pars_of(to_dict(cfg))


def shock_pars_of(data: dict) -> ShockPars:
    """:func:`shock_pars_from` of a plain config."""
    history = data.get("history")
    return shock_pars(data["shocks"], None if history is None else history_pars(history))
