"""Compose and check configurations (Hydra config root: ``scenarios/``).

Every section is parsed into checked dataclasses before anything runs, so a bad value stops the
run with a one-line :class:`ConfigError` naming the key, before any output is written.

Example:
    >>> cfg = compose(["population.scale=0.01", "shocks=flood"])
    >>> cfg.population.scale, cfg.shocks.disaster.events[0].towns
    (0.01, 8)
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.errors import ConfigError
from sim.metrics import OutcomePars, outcome_pars
from sim.params import between, closest, folder_name, one_of, parse
from sim.policies import lever_pars
from sim.population import PopulationPars, memory_needed
from sim.schedule import FIRST_YEAR, LAST_YEAR
from sim.shocks import ShockPars, history_pars, parse_month, shock_pars

CONFIG_DIR = Path(__file__).resolve().parents[1] / "scenarios"
# The command line's --config-dir, set by :mod:`sim.cli` for the check and for Hydra's run:
# searched before scenarios/ (hydra_plugins/relapse_sim), so a file of one's own wins.
EXTRA_CONFIG_DIRS: list[Path] = []
MAX_MONTHS = 12 * (LAST_YEAR - FIRST_YEAR + 1)  # the calendar (sim.schedule), burn-in included


def safe_folder(text: str) -> str:
    """``text`` as one folder name: ``/``, ``%`` and other unsafe characters %-escaped.

    Hydra names a sweep's run folders after their overrides; a value with ``/`` or ``..``
    would otherwise make folders elsewhere. Escaping keeps distinct names distinct.

    Example:
        >>> safe_folder("population.file=../../etc/x.csv,seed=1")
        'population.file=..%2F..%2Fetc%2Fx.csv,seed=1'
    """
    return quote(str(text), safe="=,._-+@")


OmegaConf.register_new_resolver("safe_folder", safe_folder, replace=True)


def compose(
    overrides: list[str] | tuple[str, ...] = (),
    config_name: str = "config",
    hydra_node: bool = False,
) -> DictConfig:
    """Compose ``scenarios/<config_name>.yaml`` with Hydra overrides (tests, notebooks, CLI).

    Hydra's errors become one-line :class:`ConfigError` s naming the key or option, with the
    closest valid ones. ``hydra_node``: keep Hydra's own section (output folders).
    """
    overrides = list(overrides)
    try:
        if GlobalHydra.instance().is_initialized():  # inside a Hydra app rooted at scenarios/
            return hydra_compose(config_name, overrides, return_hydra_config=hydra_node)
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            return hydra_compose(config_name, overrides, return_hydra_config=hydra_node)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(hydra_error(exc, overrides, config_name)) from exc
    except RecursionError:
        raise ConfigError(
            f"{config_name}: its defaults lists include one another in a circle (a file's "
            "defaults name a file whose defaults lead back to it); break the circle"
        ) from None
    except ValueError as exc:  # Hydra's own checks of an override's value (group=null)
        nulls = [o for o in overrides if re.fullmatch(r"[\w/@]+=(null|None)?", o)]
        raise ConfigError(f"{' '.join(nulls or overrides)}: {exc}") from None


def hydra_error(exc: Exception, overrides: list[str], config_name: str) -> str:
    """One line for a Hydra composition error: the key or option, and what is valid."""
    text = " ".join(str(exc).split())
    m = re.search(r"Could not override '([^']+)'", text)
    if m:
        key = m.group(1)
        rest = [o for o in overrides if not o.lstrip("+~").startswith(f"{key}=")]
        message = unknown_key(key, rest, config_name)
        if message:
            return message
        inner = re.search(r"Key '([^']+)' is not in struct", str(exc.__cause__ or ""))
        if inner:  # a mapping merged into the key brings a new key
            line = next((o for o in overrides if o.lstrip("+~").startswith(f"{key}=")), key)
            return (
                f"{line}: {key} has no key '{inner.group(1)}'; to add keys write "
                f"++{line.lstrip('+~')}"
            )
        return text
    m = re.match(r"Error merging override (.+)", text)
    if m and exc.__cause__ is not None:
        line = m.group(1)
        key = line.split("=", 1)[0].lstrip("+~")
        cause = str(exc.__cause__).splitlines()[0]
        kinds = re.match(r"Cannot merge (\w+)Config with (\w+)Config", cause)
        if kinds:
            have, given = ("a list" if k == "List" else "a mapping" for k in kinds.groups())
            return (
                f"{line}: {key} is {given} in the config and {have} cannot merge into it; "
                f"write {given} ({'[...]' if given == 'a list' else '{...}'})"
            )
        return f"{line}: {cause}"
    m = re.search(r"Could not find '([^']+)/([^'/]+)'", text)
    if m:
        group, option = m.groups()
        options = group_options(group)
        if options:
            return (
                f"{group}={option}: no such option{closest(option, options)} (options: "
                f"{', '.join(options)}; files in scenarios/{group}/)"
            )
    return text.replace(
        " Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.", ""
    )


def group_options(group: str) -> list[str]:
    """The options of a config group: the files in ``scenarios/<group>/``."""
    folders = [d / group for d in (*EXTRA_CONFIG_DIRS, CONFIG_DIR)]
    return sorted({f.stem for folder in folders for f in folder.glob("*.yaml")})


# Sections whose keys are names of one's own (scenarios, labels, targets): a new key is added
# with +key=value. Every other section's keys are fixed by its schema (sim/params.py).
OPEN_SECTIONS = ("experiment.scenarios.", "experiment.cross.", "experiment.labels.",
                 "calibration.targets.", "calibration.free.", "labels.")  # fmt: skip


def unknown_key(key: str, overrides: list[str], config_name: str) -> str | None:
    """The message for an override of a key that is not in the config (None if it is)."""
    try:
        base = compose(overrides, config_name, hydra_node=key.startswith("hydra."))
    except ConfigError:
        return None
    parts = key.split(".")
    node: Any = base
    for i, part in enumerate(parts):
        if not isinstance(node, DictConfig):
            return None
        if part not in node:
            where = ".".join(parts[: i + 1])
            valid = [str(k) for k in node.keys()]
            if part.isdigit() and valid and all(k.isdigit() for k in valid):
                if not FIRST_YEAR <= int(part) <= LAST_YEAR:
                    return (
                        f"{where}: no year {part} in this table (years {', '.join(valid)}); "
                        f"runs cover {FIRST_YEAR}-{LAST_YEAR}, and the table's first year "
                        "holds for any year before it"
                    )
                return (
                    f"{where}: no year {part} in this table (years {', '.join(valid)}); "
                    f"add it with +{where}=<value>"
                )
            free = where.startswith(OPEN_SECTIONS)  # mappings of one's own names take new keys
            return (
                f"{where}: unknown key{closest(part, valid)} (valid keys: "
                f"{', '.join(sorted(valid))}"
                + (f"; a new key needs +{where}=<value>)" if free else ")")
            )
        node = node[part]
    return None


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


def locate(cfg: dict, key: str, lists: bool = True) -> tuple[Any, Any]:
    """The container holding dotted ``key`` in a plain config, and the key's last part.

    With ``lists``, a number after a list is a position in it (``shocks.lockdown.periods.0.
    wage_cut``); without, only mappings are walked. ``KeyError`` names ``key`` if it is missing.

    Example:
        >>> locate({"a": {"b": [{"c": 1}]}}, "a.b.0.c")
        ({'c': 1}, 'c')
    """
    node: Any = cfg
    *parents, last = key.split(".")
    for part in parents:
        node = _child(node, part, lists, key)
    _child(node, last, lists, key)  # it exists
    return node, int(last) if isinstance(node, list) else last


def links(cfg: DictConfig) -> dict[str, str]:
    """Keys whose value is another key's (``${..dibao.standard}``): dependent -> source.

    A plain config has them resolved to copies; whatever changes a source in a plain config
    (:func:`sim.uncertainty.apply`) changes its dependents too, as Hydra would.

    Example:
        >>> links(OmegaConf.create({"p": {"d": {"s": 1}, "t": {"lim": "${..d.s}"}}}))
        {'p.t.lim': 'p.d.s'}
    """
    out: dict[str, str] = {}

    def walk(node: Any, path: list[str]) -> None:
        items = node.items_ex(resolve=False) if isinstance(node, DictConfig) else enumerate(node)
        for k, _ in items:
            here = [*path, str(k)]
            if OmegaConf.is_interpolation(node, k):
                m = re.fullmatch(r"\$\{(\.*)([\w.]+)\}", str(node._get_node(k)._value()))
                if m:  # ${a.b} from the root, ${..a.b} relative (one dot: this node)
                    up = len(m[1])
                    base = path[: len(path) - up + 1] if up else []
                    out[".".join(here)] = ".".join([*base, m[2]])
                continue
            child = node._get_node(k)
            if isinstance(child, DictConfig | ListConfig):
                walk(child, here)

    walk(cfg, [])
    return out


def _child(node: Any, part: str, lists: bool, key: str) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if lists and isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    raise KeyError(key)


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


def plain(cfg: DictConfig) -> dict[str, Any]:
    """A resolved plain-dict copy of any root config, without Hydra's own section."""
    cfg = cfg.copy()
    with open_dict(cfg):
        cfg.pop("hydra", None)
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]


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
    calendar (:data:`sim.schedule.FIRST_YEAR` to ``LAST_YEAR``) and start no earlier than the
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
