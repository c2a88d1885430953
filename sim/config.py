"""Compose and check configurations (Hydra config root: ``scenarios/``).

Every section is parsed into checked dataclasses before anything runs, so a bad value stops the
run with a one-line :class:`ConfigError` naming the key, before any output is written.

Example:
    >>> cfg = compose(["population.scale=0.01", "shocks=flood"])
    >>> cfg.population.scale, cfg.shocks.disaster.events[0].towns
    (0.01, 8)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
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
    """A resolved plain-dict copy of a config (without Hydra's own node)."""
    data = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    data.pop("hydra", None)
    return data  # type: ignore[return-value]


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
