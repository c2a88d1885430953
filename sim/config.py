"""Compose and check configurations (Hydra config root: ``scenarios/``).

Every section is parsed into checked dataclasses before anything runs, so a bad value stops the
run with a one-line :class:`ConfigError` naming the key, before any output is written.

Example:
    >>> cfg = compose(["population.scale=0.01", "shocks=flood"])
    >>> cfg.population.scale, cfg.shocks.disaster.events[0].towns
    (0.01, 8)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.errors import ConfigError
from sim.metrics import OutcomePars, outcome_pars
from sim.params import nonneg, parse, pos
from sim.policies import lever_pars
from sim.population import PopulationPars
from sim.shocks import ShockPars, parse_month, shock_pars

CONFIG_DIR = Path(__file__).resolve().parents[1] / "scenarios"


def compose(overrides: list[str] | tuple[str, ...] = (), config_name: str = "config") -> DictConfig:
    """Compose ``scenarios/config.yaml`` with Hydra overrides (for tests and notebooks)."""
    try:
        if GlobalHydra.instance().is_initialized():  # inside a Hydra app rooted at scenarios/
            return hydra_compose(config_name, overrides=list(overrides))
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            return hydra_compose(config_name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(" ".join(str(exc).split())) from exc


def to_dict(cfg: DictConfig | dict) -> dict[str, Any]:
    """A resolved plain-dict copy of a config (without Hydra's own node), ``adjust`` applied.

    The relative changes in ``adjust`` are applied before interpolations are resolved, so
    that values that follow another (``tekun.income_limit: ${..dibao.standard}``) follow it.
    """
    if isinstance(cfg, DictConfig):
        cfg = cfg.copy()
        with open_dict(cfg):
            apply_adjust(cfg)
        data = OmegaConf.to_container(cfg, resolve=True)
    else:
        data = OmegaConf.to_container(OmegaConf.create(cfg), resolve=True)
    data.pop("hydra", None)
    data["adjust"] = []  # applied
    return data  # type: ignore[return-value]


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


def apply_adjust(cfg: DictConfig) -> None:
    """Apply the config's ``adjust`` list (relative changes, :func:`adjust_value`) in place."""
    for item in cfg.get("adjust") or []:
        m = _ADJUST.match(str(item).replace(" ", ""))
        if m is None:
            raise ConfigError(
                f"adjust: {item!r}: write key+10%, key-5%, key+500 or key*1.1, e.g. "
                "adjust=[policy.dibao.standard+10%]"
            )
        key = m["key"]
        if OmegaConf.select(cfg, key, default=None) is None:
            raise ConfigError(f"adjust: {key}: no such key (or it is null)")
        value = OmegaConf.to_container(cfg, resolve=True)
        for part in key.split("."):
            value = value[part]
        OmegaConf.update(cfg, key, adjust_value(value, str(item)[len(key) :], key), merge=False)


@dataclass(frozen=True, kw_only=True)
class RunPars:
    """Everything a run needs, checked."""

    seed: int = nonneg()
    start: str = "2021-01"
    months: int = pos()
    burn_in: int = nonneg()
    chart: bool = True
    sweep_name: str = "sweep"
    population: PopulationPars
    shocks: dict
    outcomes: dict
    policy: dict
    burn_in_policy: dict
    lang: str = "en"
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


def check(cfg: DictConfig | dict) -> Run:
    """Parse and check a whole config; raises :class:`ConfigError` naming the first bad key."""
    data = to_dict(cfg)
    pars = parse(RunPars, data, "")
    if pars.lang not in ("en", "zh"):
        raise ConfigError(f"lang = {pars.lang!r}: use en or zh")
    year, month = parse_month(pars.start, "start")
    return Run(
        pars=pars,
        shocks=shock_pars(data["shocks"]),
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
    """The checked ``shocks`` section."""
    return shock_pars(to_dict(cfg)["shocks"])
