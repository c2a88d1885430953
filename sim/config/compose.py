"""Compose configurations with Hydra (config root: ``scenarios/``), and read them back.

Hydra's errors become one-line :class:`ConfigError` s naming the key or option; the checked,
typed form of a composed config is :func:`sim.engine.schema.check`.

Example:
    >>> cfg = compose(["population.scale=0.01", "shocks=flood"])
    >>> cfg.population.scale, cfg.shocks.disaster.events[0].towns
    (0.01, 8)
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.core.errors import ConfigError
from sim.core.params import closest
from sim.core.scenarios import CONFIG_DIR, EXTRA_CONFIG_DIRS, group_options
from sim.core.schedule import FIRST_YEAR, LAST_YEAR


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
    notes: list[str] | None = None,
) -> DictConfig:
    """Compose ``scenarios/<config_name>.yaml`` with Hydra overrides (tests, notebooks, CLI).

    Hydra's errors become one-line :class:`ConfigError` s naming the key or option, with the
    closest valid ones. ``hydra_node``: keep Hydra's own section (output folders). A value a
    chosen file sets wins over the calibrated one (:func:`own_over_fitted`); what that
    changed is added to ``notes``.
    """
    overrides = list(overrides)
    cfg = _hydra(overrides, config_name, hydra_node=True)
    found = own_over_fitted(cfg, overrides, config_name)
    if notes is not None:
        notes.extend(found)
    if not hydra_node:
        with open_dict(cfg):
            del cfg["hydra"]
    return cfg


def _hydra(overrides: list[str], config_name: str, hydra_node: bool) -> DictConfig:
    """Hydra's composition of ``config_name`` with ``overrides``; its errors in one line."""
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


# The groups whose files may set a fitted value (the calibrated group's keys live in them).
FITTED_GROUPS = ("population", "shocks", "history", "policy", "policy@burn_in_policy", "outcomes")


def own_over_fitted(
    cfg: DictConfig, overrides: list[str], config_name: str, choices: Any = None
) -> list[str]:
    """Give a chosen file's own value of a fitted key precedence over the calibrated one.

    The calibrated group (``scenarios/calibrated/``) comes last in the defaults, so it would
    replace a value that one's own policy file (or another chosen option) sets on purpose:
    take-up 0.9 in one's mix ran as the fitted 0.56. Here a fitted key whose value, without
    the calibration, differs between this job and the plain defaults was set on purpose; it
    gets that value back. ``cfg`` (with Hydra's section) is changed in place; returns one
    note per key it changed. The shipped options set no fitted key: their runs are unchanged.
    ``choices``: Hydra's group choices, if ``cfg`` lacks its Hydra section (inside a task).
    """
    if choices is None:
        choices = OmegaConf.select(cfg, "hydra.runtime.choices", default=None) or {}
    calibrated = choices.get("calibrated")
    if calibrated in (None, "none"):
        return []
    mine = {g: choices.get(g) for g in FITTED_GROUPS}
    dirs = tuple(EXTRA_CONFIG_DIRS)  # the caches below hold for these folders
    plain = _plain_choices(config_name, dirs)
    if all(mine[g] == plain.get(g) for g in FITTED_GROUPS):
        return []  # the default files: nothing chosen could set a fitted key
    fitted = _fitted_keys(calibrated, dirs)
    own = _hydra([*overrides, "calibrated=none"], config_name, hydra_node=False)
    base = _uncalibrated(config_name, dirs)
    notes = []
    for key in fitted:
        value, was, now = (OmegaConf.select(c, key, default=None) for c in (own, base, cfg))
        if value is not None and value != was and value != now:
            OmegaConf.update(cfg, key, value, merge=False)
            notes.append(
                f"note: {key} = {value}, as the chosen files set it; the calibrated value "
                f"({now}, calibrated={calibrated}) is used only where they keep the default"
            )
    return notes


@functools.cache
def _plain_choices(config_name: str, dirs: tuple[Path, ...]) -> dict[str, str]:
    cfg = _hydra([], config_name, hydra_node=True)
    return dict(OmegaConf.select(cfg, "hydra.runtime.choices", default=None) or {})


@functools.cache
def _uncalibrated(config_name: str, dirs: tuple[Path, ...]) -> DictConfig:
    return _hydra(["calibrated=none"], config_name, hydra_node=False)


@functools.cache
def _fitted_keys(calibrated: str, dirs: tuple[Path, ...]) -> tuple[str, ...]:
    """The dotted keys the calibrated option sets (leaves; a {year: value} table is one)."""
    files = [d / "calibrated" / f"{calibrated}.yaml" for d in (*dirs, CONFIG_DIR)]
    path = next((f for f in files if f.is_file()), None)  # one's own folders first, as Hydra
    if path is None:
        return ()
    keys: list[str] = []

    def walk(node: Any, path: list[str]) -> None:
        if isinstance(node, dict) and node and not all(str(k).isdigit() for k in node):
            for k, v in node.items():
                walk(v, [*path, str(k)])
        else:
            keys.append(".".join(path))

    walk(OmegaConf.to_container(OmegaConf.load(path)), [])
    return tuple(keys)


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


def parse_overrides(overrides: list[str]) -> list:
    """Hydra's parsed overrides; a syntax error names the override in one line."""
    parser = OverridesParser.create()
    for line in overrides:
        try:
            parser.parse_overrides([line])
        except ValueError as exc:  # Python's int() of more than 4,300 digits
            raise ConfigError(f"{line[:60]}...: {str(exc).split(';')[0]}") from None
        except HydraException as exc:
            lines = [x.strip() for x in str(exc).splitlines()]
            lines = [x for x in lines if x and not x.startswith(("See ", "^", "Error parsing"))]
            reason = lines[0] if lines else "bad syntax"
            if reason.startswith("LexerNoViableAltException"):
                value = line.partition("=")[2]
                reason = ("a value with characters other than ASCII letters and digits must be "
                          f"quoted: {line.partition('=')[0]}='{value}'"
                          if value and not value.isascii() else
                          "a key holds a space or another character keys cannot have")  # fmt: skip
            raise ConfigError(
                f"{line}: not an override key=value ({reason}); "
                "quote values with spaces or brackets, see "
                "https://hydra.cc/docs/advanced/override_grammar/basic/"
            ) from None
    return parser.parse_overrides(overrides)


# Sections whose keys are names of one's own (scenarios, labels, targets): a new key is added
# with +key=value. Every other section's keys are fixed by its schema (sim/core/params.py).
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
    (:func:`sim.studies.uncertainty.apply`) changes its dependents too, as Hydra would.

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


def plain(cfg: DictConfig) -> dict[str, Any]:
    """A resolved plain-dict copy of any root config, without Hydra's own section."""
    cfg = cfg.copy()
    with open_dict(cfg):
        cfg.pop("hydra", None)
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
