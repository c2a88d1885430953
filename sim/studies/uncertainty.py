"""Uncertainty sets: the inputs we do not know, their ranges, and how a drawn value changes a run.

A set (``scenarios/uncertainty/<name>.yaml``) lists factors; each changes one or more config
keys, either by a factor on the composed value (``change: scale``; every year of a dated value
and every entry of a table), by adding to it (``change: add``) or by setting it (``change:
value``). :func:`checked_set` refuses a key the config does not have and a range whose ends the
config refuses, before anything runs. The decision variables of a search
(:mod:`sim.studies.search`) are factors too, with a ``step``.

Example:
    >>> u = uncertainty_set({"name": "x", "factors": {"ill": {
    ...     "keys": ["shocks.illness.p_person_year"], "change": "scale", "range": [0.5, 2],
    ...     "en": "illness", "zh": "患病", "why": "assumption"}}})
    >>> apply({"shocks": {"illness": {"p_person_year": 0.1}}}, u, {"ill": 1.5})
    {'shocks': {'illness': {'p_person_year': 0.15000000000000002}}}
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.config.compose import locate
from sim.core.errors import ConfigError
from sim.core.params import check_name, folder_name, one_of, parse
from sim.engine.schema import adjust_value, check


@dataclass(frozen=True, kw_only=True)
class Factor:
    """One uncertain input (``scenarios/uncertainty/``) or lever setting (``scenarios/search/``)."""

    keys: list[str]
    change: str = one_of("scale", "value", "add")
    range: list[float]
    integer: bool = False
    step: float | None = None  # a search's grid (Optuna's step); None: continuous
    nominal: float | None = None  # its value when an analysis does not vary it; None: the config's
    en: str
    zh: str
    why: str
    why_zh: str | None = None  # the reason in Chinese, where a page shows it (the dashboard)

    def validate(self, where: str) -> None:
        """A range of two numbers, low first; whole numbers for an integer factor."""
        lo_hi = self.range
        if len(lo_hi) != 2 or not lo_hi[0] < lo_hi[1]:
            raise ConfigError(f"{where}.range = {list(lo_hi)}: give [low, high] with low < high")
        if self.integer and any(v != int(v) for v in lo_hi):
            raise ConfigError(f"{where}.range = {list(lo_hi)}: an integer factor has whole ends")
        if self.nominal is not None and not lo_hi[0] <= self.nominal <= lo_hi[1]:
            raise ConfigError(f"{where}.nominal = {self.nominal}: outside range {list(lo_hi)}")
        if not self.keys:
            raise ConfigError(f"{where}.keys: empty; name at least one config key")
        if self.step is not None:
            n = (lo_hi[1] - lo_hi[0]) / self.step if self.step > 0 else -1
            if n < 1 or abs(n - round(n)) > 1e-9 or (self.integer and self.step != int(self.step)):
                raise ConfigError(
                    f"{where}.step = {self.step:g}: must be positive and divide the range "
                    f"[{lo_hi[0]:g}, {lo_hi[1]:g}] into whole steps (whole for an integer factor)"
                )

    def bounds(self) -> list[float]:
        """The interval samplers draw from: an integer factor's last whole number included."""
        lo, hi = self.range
        return [lo, hi + 1] if self.integer else [lo, hi]

    def adjustment(self, v: float | int) -> str:
        """Value ``v`` of a scale or add factor as an ``adjust`` change: ``*1.1``, ``+250``, ``-250``.

        The one spelling :func:`apply` and a search's command-line form both use
        (:func:`sim.engine.schema.adjust_value` reads it).
        """
        if self.change == "scale":
            return f"*{v}"
        return f"+{v}" if v >= 0 else f"-{-v}"

    def value(self, u: float) -> float | int:
        """A drawn number as the factor's value (integers: floored into the range)."""
        if not self.integer:
            return float(u)
        return int(min(math.floor(u), self.range[1]))


@dataclass(frozen=True, kw_only=True)
class UncertaintySet:
    """A named set of factors, in file order."""

    name: str = folder_name()
    factors: dict[str, Factor]
    links: dict[str, str] = field(default_factory=dict)  # dependent key -> source key
    # (sim.config.compose.links): a changed source is copied to its dependents, as Hydra resolves them

    def problem(self, names: list[str] | None = None) -> dict[str, Any]:
        """SALib's problem for ``names`` (default: every factor)."""
        names = list(self.factors) if names is None else names
        return {
            "num_vars": len(names),
            "names": names,
            "bounds": [self.factors[n].bounds() for n in names],
        }

    def values(self, names: list[str], row: np.ndarray) -> dict[str, float | int]:
        """One sampled row as factor values."""
        return {n: self.factors[n].value(u) for n, u in zip(names, row, strict=True)}

    def label(self, name: str, lang: str = "en") -> str:
        """A factor's name in ``lang``."""
        f = self.factors[name]
        return f.zh if lang == "zh" else f.en

    def why(self, name: str, lang: str = "en") -> str:
        """A factor's reason (unit, base value, source) in ``lang``, else in English."""
        f = self.factors[name]
        return (f.why_zh or f.why) if lang == "zh" else f.why


def uncertainty_set(data: dict, where: str = "uncertainty.factors") -> UncertaintySet:
    """Parse an uncertainty section (no check against a config: :func:`checked_set`).

    ``where``: the factors' place in error messages (a search's: ``search.variables``).
    """
    if not isinstance(data, dict) or not isinstance(data.get("factors"), dict):
        raise ConfigError(f"{where}: missing; list them (see scenarios/{where.split('.')[0]}/)")
    factors = {name: parse(Factor, f, f"{where}.{name}") for name, f in data["factors"].items()}
    if not factors:
        raise ConfigError(f"{where}: empty; list at least one")
    section = where.split(".")[0]
    return UncertaintySet(name=check_name(data.get("name"), f"{section}.name"), factors=factors)


def apply(cfg: dict, uset: UncertaintySet, values: dict[str, float | int]) -> dict:
    """A copy of the plain config ``cfg`` with each factor's value applied to its keys."""
    out = copy.deepcopy(cfg)
    changed = []
    for name, v in values.items():
        f = uset.factors[name]
        for key in f.keys:
            node, last = locate(out, key)
            if f.change == "value":
                node[last] = v
            else:
                node[last] = adjust_value(node[last], f.adjustment(v), key)
            changed.append(key)
    for _ in range(len(uset.links)):  # a chain of links takes one round per step
        moved = False
        for dep, src in uset.links.items():
            if any(k == src or k.startswith(f"{src}.") or src.startswith(f"{k}.") for k in changed):
                node, last = locate(out, dep)
                source, at = locate(out, src)
                if node[last] != source[at]:
                    node[last] = copy.deepcopy(source[at])
                    changed.append(dep)
                    moved = True
        if not moved:
            break
    return out


def checked_set(
    data: dict, base: dict, where: str = "uncertainty.factors", links: dict[str, str] | None = None
) -> UncertaintySet:
    """The set, each key found in ``base`` and each range end accepted by :func:`sim.engine.schema.check`.

    ``base``: the plain composed config the factors change (the analysis's policy and shocks);
    ``links``: its interpolated keys (:func:`sim.config.compose.links` of the composed config).
    """
    uset = uncertainty_set(data, where)
    if links:
        uset = dataclasses.replace(uset, links=dict(links))
    section = where
    for name, f in uset.factors.items():
        where = f"{section}.{name}"
        for i, key in enumerate(f.keys):
            try:
                locate(base, key)
            except KeyError:
                raise ConfigError(
                    f"{where}.keys[{i}] = {key}: not a key of the config (with the analysis's "
                    "base overrides); write a dotted key such as shocks.illness.p_person_year"
                ) from None
            if key.startswith("burn_in_policy."):
                raise ConfigError(
                    f"{where}.keys[{i}] = {key}: the burn-in keeps the status quo that existed; "
                    "change policy.* (in force from start)"
                )
        for end in f.range:
            try:
                check(apply(base, uset, {name: f.value(end)}))
            except ConfigError as e:
                raise ConfigError(f"{where}.range: at {end:g} the run is refused: {e}") from None
            except (TypeError, ValueError) as e:
                raise ConfigError(f"{where}: {f.change} does not apply to its keys: {e}") from None
    return uset


def overrides(uset: UncertaintySet, values: dict[str, float | int]) -> list[str]:
    """Factor values as command-line overrides (``adjust`` for scale and add changes).

    Example:
        >>> u = uncertainty_set({"name": "x", "factors": {
        ...     "posts": {"keys": ["policy.public_jobs.posts"], "change": "add",
        ...               "range": [0, 500], "en": "posts", "zh": "岗位", "why": "assumption"},
        ...     "share": {"keys": ["policy.medical_assistance.share"], "change": "value",
        ...               "range": [0.7, 0.9], "en": "share", "zh": "比例", "why": "assumption"}}})
        >>> overrides(u, {"posts": 250, "share": 0.8})
        ['adjust=[policy.public_jobs.posts+250]', 'policy.medical_assistance.share=0.8']
    """
    adjust, over = [], []
    for name, v in values.items():
        f = uset.factors[name]
        for key in f.keys:
            if f.change == "value":
                over.append(f"{key}={v}")
            else:
                adjust.append(f"{key}{f.adjustment(v)}")
    return ([f"adjust=[{','.join(adjust)}]"] if adjust else []) + over


def changed_policy(
    cfg: dict, uset: UncertaintySet, values: dict[str, float | int]
) -> dict[str, tuple[Any, str]]:
    """Each key the values change (under ``policy.``): its value as a run has it, and why.

    ``cfg``: the plain composed config of the mix the values change.
    """
    changed = apply(cfg, uset, values)
    out = {}
    for name, v in values.items():
        f = uset.factors[name]
        how = {"scale": f"{v:g} x the base", "add": f"{v:+g} on the base", "value": "chosen"}
        for key in f.keys:
            node, last = locate(changed, key)
            out[key.removeprefix("policy.")] = (node[last], f"{f.en}: {how[f.change]}; {f.why}")
    return out


def policy_text(changed: dict[str, tuple[Any, str]], name: str, base: str, head: list[str]) -> str:
    """A policy config extending ``base`` with the ``changed`` keys, a reason per value.

    Values are written as JSON flow (Python's shortest round-trip floats), so the file gives
    the configs that ran, to the last bit. ``head``: the comment lines on top (without ``#``).

    Example:
        >>> print(policy_text({"public_jobs.posts": (2250, "posts: +250 on the base")},
        ...                   "mine", "status_quo", ["My mix."]), end="")
        # My mix.
        defaults:
          - status_quo
          - _self_
        <BLANKLINE>
        name: mine
        public_jobs:
          posts: 2250  # posts: +250 on the base
    """
    tree: dict = {}
    for key, leaf in changed.items():
        *parents, last = key.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = leaf

    def emit(node: dict, pad: str) -> list[str]:
        lines = []
        for k, v in node.items():
            if isinstance(v, dict):
                lines += [f"{pad}{k}:", *emit(v, pad + "  ")]
            else:
                lines.append(f"{pad}{k}: {json.dumps(v[0])}  # {' '.join(v[1].split())}")
        return lines

    return "\n".join([
        *[f"# {line}" for line in head],
        "defaults:", f"  - {base}", "  - _self_", "", f"name: {name}",
        *emit(tree, ""),
    ]) + "\n"  # fmt: skip
