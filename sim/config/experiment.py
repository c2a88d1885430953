"""A comparison as configured: its scenarios, cross options, baseline, seeds and band.

The ``experiment`` section (``scenarios/experiment/*.yaml``) parsed and checked, and what
follows from it alone (its cells, each cell's baseline, the band's quantiles). Running it is
:mod:`sim.studies.compare`; drawing it, :mod:`sim.reports.charts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config.compose import parse_overrides
from sim.core.errors import ConfigError
from sim.core.params import between, folder_name, parse, prob
from sim.engine.schema import adjust_key

RUNS = "runs"  # the folder of a comparison's runs
MAX_SEEDS = 10_000  # seeds of one comparison (a 95% bound of 0.0003 on P(large-scale)); assumption


@dataclass(frozen=True, kw_only=True)
class Experiment:
    """A named comparison (see ``scenarios/experiment/``).

    With ``cross`` (e.g. shock scenarios) every scenario runs under every cross option; the
    cell ``"plan / flood"`` is compared with the ``baseline`` scenario under the same option
    (``"status_quo / flood"``). ``labels`` names scenarios and cross options in charts and
    tables, by language (``{zh: {no_dibao: 无低保}}``), and ``title`` the comparison itself;
    English defaults to the keys and the ``title``.
    """

    name: str = folder_name()
    title: str
    baseline: str
    seeds: list[int] = between(0, 2**63 - 1)
    base: list[str]
    scenarios: dict
    cross: dict | None = None
    band: float = prob(0.9)
    labels: dict | None = None


def experiment(data: dict) -> Experiment:
    """Parse and check an ``experiment`` section (``seeds: 20`` means seeds 1 to 20)."""
    data = dict(data)
    if isinstance(data.get("seeds"), int) and not isinstance(data["seeds"], bool):
        if not 1 <= data["seeds"] <= MAX_SEEDS:
            raise ConfigError(
                f"experiment.seeds = {data['seeds']}: give a number of seeds (1 to "
                f"{MAX_SEEDS:,}: seeds 1 to n) or a list of seeds"
            )
        data["seeds"] = list(range(1, data["seeds"] + 1))
    exp = parse(Experiment, data, "experiment")
    if not exp.scenarios:
        raise ConfigError("experiment.scenarios: empty; list at least two scenarios")
    if exp.baseline not in exp.scenarios:
        raise ConfigError(
            f"experiment.baseline = {exp.baseline!r}: not a scenario; choose one of "
            f"{', '.join(exp.scenarios)}"
        )
    if len(exp.seeds) > MAX_SEEDS:
        raise ConfigError(f"experiment.seeds: {len(exp.seeds):,} seeds, more than {MAX_SEEDS:,}")
    if len(set(exp.seeds)) != len(exp.seeds) or not exp.seeds:
        raise ConfigError(f"experiment.seeds = {list(exp.seeds)}: give distinct seeds")
    for group, names in (("scenarios", exp.scenarios), ("cross", exp.cross or {})):
        for key, over in names.items():
            if not isinstance(over, list | tuple | type(None)):
                raise ConfigError(
                    f"experiment.{group}.{key} = {over!r}: must be a list of overrides"
                )
    for group, names in (("scenarios", exp.scenarios), ("cross", exp.cross or {})):
        for key, over in names.items():
            for line in over or []:
                scenario_may_change(f"experiment.{group}.{key}", line)
    folders: dict[Path, str] = {}
    for run in cells(exp):
        folder = run_folder(Path(), run, 0).parent
        if folder in folders:
            raise ConfigError(
                f"experiment: runs {folders[folder]!r} and {run!r} would share the folder "
                f"{folder}; rename one (names are folder names: letters, digits, '-', '_')"
            )
        folders[folder] = run
    return exp


# What a scenario (or cross option) may change: the levers and the world they meet. The rest
# (seed, population, months, calendar, outcomes, folders) is the comparison's, set in its base.
SCENARIO_KEYS = ("policy", "shocks", "history", "burn_in_policy", "adjust")


def scenario_may_change(where: str, line: Any) -> None:
    """Refuse a scenario override of anything but :data:`SCENARIO_KEYS` (and adjust of those).

    Example:
        >>> scenario_may_change("experiment.scenarios.a", "months=3")
        Traceback (most recent call last):
        ...
        sim.core.errors.ConfigError: experiment.scenarios.a: months=3: a scenario may change policy, shocks, history, burn_in_policy and adjust only; months is the same for every run of a comparison (set it in experiment.base)
    """
    text = str(line)
    (override,) = parse_overrides([text])
    keys = [re.split(r"[.@/]", override.key_or_group)[0]]
    if keys == ["adjust"] and isinstance(override.value(), list):  # the keys it changes
        keys = [key.split(".")[0] for key in map(adjust_key, override.value()) if key]
    for k in keys:
        if k not in SCENARIO_KEYS:
            raise ConfigError(
                f"{where}: {text}: a scenario may change {', '.join(SCENARIO_KEYS[:-1])} and "
                f"adjust only; {k} is the same for every run of a comparison (set it in "
                "experiment.base)"
            )


def at_scale(data: dict, scale: float, months: int | None) -> dict:
    """An experiment section with the command's ``scale`` and ``months`` added to its base.

    Example:
        >>> at_scale({"base": ["shocks=flood"]}, 0.1, None)["base"]
        ['shocks=flood', 'population.scale=0.1']
    """
    data = dict(data)
    if not isinstance(data.get("base"), list):
        raise ConfigError(f"experiment.base = {data.get('base')!r}: must be a list of overrides")
    data["base"] = [*data["base"], f"population.scale={scale}"]
    if months is not None:
        data["base"].append(f"months={months}")
    return data


FEW_SEEDS = 5  # with this many seeds or fewer a band is their whole range (min-max)


def band_quantiles(exp: Experiment) -> tuple[float, float]:
    """The quantiles of a band across seeds: the central ``exp.band``, or 0 and 1 if few seeds.

    Example:
        >>> import dataclasses
        >>> exp = experiment({"name": "x", "title": "x", "baseline": "a", "base": [],
        ...                   "scenarios": {"a": []}, "seeds": 2})
        >>> band_quantiles(exp), band_quantiles(dataclasses.replace(exp, seeds=list(range(20))))
        ((0.0, 1.0), (0.04999999999999999, 0.95))
    """
    if len(exp.seeds) <= FEW_SEEDS:
        return 0.0, 1.0
    return (1 - exp.band) / 2, 1 - (1 - exp.band) / 2


def cells(exp: Experiment) -> dict[str, tuple[str, str | None]]:
    """Run name -> (scenario, cross option or None), in order: scenarios x cross options."""
    if not exp.cross:
        return {name: (name, None) for name in exp.scenarios}
    return {f"{s} / {c}": (s, c) for s in exp.scenarios for c in exp.cross}


def baseline_of(exp: Experiment, name: str) -> str:
    """The run name a cell is compared with: the baseline under the same cross option."""
    _, cross = cells(exp)[name]
    return exp.baseline if cross is None else f"{exp.baseline} / {cross}"


def scenario_overrides(exp: Experiment) -> dict[str, list[str]]:
    """Run name -> overrides: the base, the scenario's, then its cross option's."""
    out = {}
    for name, (scenario, cross) in cells(exp).items():
        over = list(exp.base) + list(exp.scenarios[scenario] or [])
        out[name] = over + (list(exp.cross[cross] or []) if cross is not None else [])
    return out


def run_folder(out: Path, scenario: str, seed: int) -> Path:
    """Where one run's files live; the name made folder-safe.

    :func:`experiment` refuses two names that would share a folder.

    Example:
        >>> run_folder(Path("out"), "plan / flood", 3).as_posix()
        'out/runs/plan___flood/seed_3'
    """
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in scenario)
    return out / RUNS / safe / f"seed_{seed}"
