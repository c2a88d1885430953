"""Fit free parameters to a target table (``scenarios/calibration/<name>.yaml``).

Stage by stage (income, social assistance, health: each stage's parameters fitted to its own
targets, the others held), scipy's ``least_squares`` (trust-region reflective, bounds)
minimises the targets' residuals: the distance of each simulated mean from its published
value, in half-widths of its band (:func:`sim.studies.calibration.fit_table`), each target weighted
once whatever its number of years. Every evaluation runs the same seeds (common random
numbers), so that the objective moves with the parameters, not with the draws. Parameters are
searched on [0, 1] (their ranges rescaled); the Jacobian is taken by forward differences, all
its runs at once on the local cores (joblib). Every run is cached on disk by its config and
the model code (:func:`sim.studies.run.code_version`): the same command started again after an
interruption replays the cached runs and goes on where it stopped.

The fitted values are written as a config group option (``scenarios/calibrated/<name>.yaml``,
package ``_global_``) that the default config includes: the shipped defaults are the fit.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

import sim
from sim.config.compose import compose, locate
from sim.core.errors import ConfigError
from sim.core.io import holds_folder, remove_stale, write_csv, write_json, write_text
from sim.core.params import folder_name, jobs, parse, pos
from sim.core.scenarios import CONFIG_DIR
from sim.engine.schema import check, to_dict
from sim.studies.calibration import Target, fit_table, statistics, targets
from sim.studies.run import code_version, git_revision

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Free:
    """A free parameter: the config ``keys`` it sets (moved together) and its range."""

    keys: list[str]
    low: float
    high: float
    stage: str = "all"


@dataclass(frozen=True, kw_only=True)
class Calibration:
    """A calibration: targets, free parameters and how to evaluate them."""

    name: str = folder_name()
    title: str
    seeds: int = pos()
    scale: float = pos()
    validate_seeds: int = pos()
    max_evaluations: int = pos()
    rounds: int = pos(1)
    diff_step: float = pos(0.05)
    base: list[str]
    targets: dict
    free: dict


def calibration(data: dict) -> tuple[Calibration, dict[str, Target], dict[str, Free]]:
    """Parse and check a ``calibration`` section: the settings, targets and free parameters."""
    cal = parse(Calibration, data, "calibration")
    table = targets(cal.targets)
    free = {k: parse(Free, v, f"calibration.free.{k}") for k, v in cal.free.items()}
    stages = {f.stage for f in free.values()}
    for name, f in free.items():
        if not f.low < f.high:
            raise ConfigError(f"calibration.free.{name}: low = {f.low} must be below high")
    for name, t in table.items():
        if t.fit and t.stage not in stages:
            raise ConfigError(
                f"calibration.targets.{name}.stage = {t.stage!r}: no free parameter has this "
                f"stage; use one of {', '.join(sorted(stages))}"
            )
    if not free:
        raise ConfigError("calibration.free: empty; name at least one parameter to fit")
    fitted = {t.stage for t in table.values() if t.fit}
    if not fitted:
        raise ConfigError(
            "calibration.targets: every target is a check (fit: false), so nothing would be "
            "fitted; mark at least one target fit: true (or run python -m experiments.validate)"
        )
    if idle := sorted(stages - fitted):
        name = next(n for n, f in free.items() if f.stage == idle[0])
        raise ConfigError(
            f"calibration.free.{name}: stage {idle[0]!r} has no fitted target, so its "
            f"parameters would not move; give it a target or remove them"
        )
    return cal, table, free


@dataclass(frozen=True, kw_only=True)
class CalibrateSettings:
    """The root of ``python -m experiments.calibrate`` (``scenarios/calibrate.yaml``)."""

    calibration: dict
    n_jobs: int = jobs()
    write_config: bool
    output_root: str


def settings(cfg: dict) -> CalibrateSettings:
    """The checked settings of a calibration; its targets, free keys and base config too.

    ``cfg``: the resolved root config without Hydra's section (:func:`sim.config.compose.plain`).
    """
    pars = parse(CalibrateSettings, cfg, "")
    cal, _, free = calibration(pars.calibration)
    base = compose(list(cal.base))
    check(base)
    current_values(to_dict(base), free)  # every free key exists
    return pars


def _path(cfg: dict, key: str) -> tuple[dict, str]:
    """The mapping holding dotted ``key`` in ``cfg``, and the last part of the key."""
    try:
        return locate(cfg, key, lists=False)
    except KeyError:
        raise ConfigError(f"calibration.free: {key}: no such key in the config") from None


def keys_set(key: str) -> list[str]:
    """The config keys a free parameter's key sets: a policy key also in ``burn_in_policy``."""
    return [key, "burn_in_" + key] if key.startswith("policy.") else [key]


def with_values(cfg: dict, free: dict[str, Free], values: dict[str, float]) -> dict:
    """A copy of the plain config ``cfg`` with the free parameters set to ``values``."""
    out = copy.deepcopy(cfg)
    for name, value in values.items():
        for key in free[name].keys:
            for k in keys_set(key):
                node, last = _path(out, k)
                node[last] = float(value)
    return out


def current_values(cfg: dict, free: dict[str, Free]) -> dict[str, float]:
    """The free parameters' values in ``cfg`` (their first key's), clipped to their ranges."""
    out = {}
    for name, f in free.items():
        node, last = _path(cfg, f.keys[0])
        out[name] = float(np.clip(float(node[last]), f.low, f.high))
    return out


class Evaluator:
    """Runs configs on seeds, in parallel, with an on-disk cache (see module docstring)."""

    def __init__(self, cache: Path, code: str, n_jobs: int) -> None:
        self.cache = cache
        self.code = code
        self.n_jobs = n_jobs
        self.runs = 0
        if cache.is_dir():
            remove_stale(cache)  # before any worker writes here

    def _file(self, cfg: dict, seed: int) -> Path:
        text = json.dumps([cfg, seed, self.code], sort_keys=True, default=str)
        return self.cache / f"{hashlib.sha256(text.encode()).hexdigest()[:20]}.json"

    def __call__(self, cfgs: list[dict], seeds: list[int]) -> list[list[dict]]:
        """``[[stats of cfg c, seed s] for s in seeds] for c in cfgs]``."""
        jobs = [(c, s) for c in range(len(cfgs)) for s in seeds]
        done: dict[tuple[int, int], Any] = {}
        todo = []
        for c, s in jobs:
            f = self._file(cfgs[c], s)
            if f.exists():
                done[c, s] = _years(json.loads(f.read_text()))
            else:
                todo.append((c, s))
        if todo:
            results = Parallel(n_jobs=self.n_jobs)(delayed(statistics)(cfgs[c], s) for c, s in todo)
            for (c, s), r in zip(todo, results, strict=True):
                write_json(r, self._file(cfgs[c], s))
                done[c, s] = r
            self.runs += len(todo)
        return [[done[c, s] for s in seeds] for c in range(len(cfgs))]


def _years(stats: dict) -> dict[str, dict[int, float]]:
    """JSON's string years back to integers."""
    return {k: {int(y): v for y, v in d.items()} for k, d in stats.items()}


def residuals(table: dict[str, Target], runs: list[dict]) -> np.ndarray:
    """The fitted targets' residuals, each target weighted once (``weight`` / its years)."""
    ft = fit_table(table, runs)
    ft = ft[ft["fitted"]]
    n = ft.groupby("target")["year"].transform("size")
    w = np.array([table[t].weight for t in ft["target"]]) / n.to_numpy()
    r = ft["residual"].to_numpy()
    return np.nan_to_num(r, nan=10.0) * np.sqrt(w)


def fit(
    cal: Calibration,
    table: dict[str, Target],
    free: dict[str, Free],
    cfg: dict,
    evaluate: Evaluator,
    history_file: Path | None = None,
) -> tuple[dict[str, float], dict[str, float], pd.DataFrame]:
    """Fit the free parameters; returns (start values, fitted values, history of evaluations).

    Stage by stage (:attr:`Free.stage`, :attr:`Target.stage`, in the order they first appear),
    ``cal.rounds`` times: each stage fits its parameters to its targets, the others held at
    their current values. ``cfg`` is the plain base config (its values are the start); runs
    use ``cal.scale``. The history (each evaluation's values and cost over every fitted
    target) is rewritten to ``history_file`` as it grows.
    """
    current = current_values(cfg, free)
    start = dict(current)
    base = copy.deepcopy(cfg)
    base["population"]["scale"] = cal.scale
    seeds = list(range(1, cal.seeds + 1))
    history: list[dict] = []
    memo: dict[tuple, list] = {}
    t0 = time.perf_counter()

    def run(points: list[dict[str, float]]) -> list[list]:
        keys = [tuple(sorted(p.items())) for p in points]
        new = [p for p, k in zip(points, keys, strict=True) if k not in memo]
        if new:
            cfgs = [with_values(base, free, p) for p in new]
            for p, runs in zip(new, evaluate(cfgs, seeds), strict=True):
                memo[tuple(sorted(p.items()))] = runs
                r = residuals(table, runs)
                history.append({**p, "cost": float(r @ r)})
        return [memo[k] for k in keys]

    def save_history() -> None:
        if history_file is not None:
            write_csv(pd.DataFrame(history), history_file)

    stages = list(dict.fromkeys(f.stage for f in free.values()))
    for round_ in range(1, cal.rounds + 1):
        for stage in stages:
            stage_targets = {k: t for k, t in table.items() if t.stage == stage}
            label = f"round {round_}, {stage}"
            current = _fit_stage(cal, free, stage, stage_targets, current, run, save_history,
                                 label, t0, evaluate)  # fmt: skip
    return start, current, pd.DataFrame(history)


def _fit_stage(
    cal, free, stage, targets_, current, run, save_history, label, t0, evaluate
) -> dict[str, float]:  # fmt: skip
    """One stage of :func:`fit`: its parameters fitted to its targets; the new values."""
    from scipy.optimize import least_squares

    names = [n for n, f in free.items() if f.stage == stage]
    lo = np.array([free[n].low for n in names])
    span = np.array([free[n].high for n in names]) - lo

    def point(x: np.ndarray) -> dict[str, float]:
        return current | dict(zip(names, (lo + span * np.clip(x, 0, 1)).tolist(), strict=True))

    def fun(x: np.ndarray) -> np.ndarray:
        (runs,) = run([point(x)])
        r = residuals(targets_, runs)
        save_history()
        log.info("%s: cost %.3f, largest residual %.2f (%.0f s, %d runs)", label, r @ r,
                 np.abs(r).max(), time.perf_counter() - t0, evaluate.runs)  # fmt: skip
        return r

    def jac(x: np.ndarray) -> np.ndarray:
        h = cal.diff_step
        steps = [np.clip(x + h * e if x[i] + h <= 1 else x - h * e, 0, 1)
                 for i, e in enumerate(np.eye(x.size))]  # fmt: skip
        r0, *rs = (residuals(targets_, r) for r in run([point(x)] + [point(s) for s in steps]))
        cols = [(r - r0) / (s[i] - x[i]) for i, (r, s) in enumerate(zip(rs, steps, strict=True))]
        return np.stack(cols, 1)

    x0 = (np.array([current[n] for n in names]) - lo) / span
    res = least_squares(fun, x0, jac=jac, bounds=(0, 1), method="trf", max_nfev=cal.max_evaluations)
    log.info("%s: %s after %d evaluations (%s)", label,
             "converged" if res.success else "stopped", res.nfev, res.message)  # fmt: skip
    return point(res.x)


def calibrated_config(free: dict[str, Free], values: dict[str, float], header: str) -> str:
    """The fitted values as a ``_global_`` config group option (YAML text)."""
    from omegaconf import OmegaConf

    tree: dict = {}
    for name, value in values.items():
        for key in free[name].keys:
            for k in keys_set(key):
                node = tree
                *parents, last = k.split(".")
                for part in parents:
                    node = node.setdefault(part, {})
                node[last] = round(float(value), 6)
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    return "# @package _global_\n" + "\n".join(lines) + "\n" + OmegaConf.to_yaml(tree)


def write_fit(out: Path, name: str, table: pd.DataFrame) -> None:
    """A fit table as CSV and Markdown."""
    write_csv(table, out / f"{name}.csv")
    cols = ["target", "year", "value", "low", "high", "unit", "simulated", "sim_min", "sim_max",
            "within", "fitted"]  # fmt: skip
    notes = table.drop_duplicates("target")
    notes = [f"- **{r.target}**: {r.note}" for r in notes.itertuples() if r.note]
    text = markdown_table(table[cols]) + ("\nNotes:\n" + "\n".join(notes) + "\n" if notes else "")
    write_text(text, out / f"{name}.md")


def markdown_table(df: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table, numbers with at most 4 significant digits."""

    def cell(v: Any) -> str:
        if isinstance(v, bool | np.bool_):
            return "yes" if v else "**no**"
        if isinstance(v, float | np.floating):
            return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
        return str(v)

    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "".join("| " + " | ".join(cell(v) for v in row) + " |\n" for row in df.values)


__all__ = ["Calibration", "Evaluator", "Free", "calibration", "fit", "settings", "with_values"]


@holds_folder
def calibrate(data: dict, out: Path, n_jobs: int = 2, write_config: bool = True) -> pd.DataFrame:
    """Fit, check on the full district, write everything (see ``experiments/calibrate.py``).

    Returns the full-district fit table of the fitted values.
    """
    from sim.reports.charts import fit_chart  # lazy: matplotlib (Agg), 0.7 s

    cal, table, free = calibration(data)
    table = {k: t for k, t in table.items() if not t.overrides}  # the others: validate
    revision = git_revision()  # of the code the fit runs, read before it runs
    cfg = to_dict(compose(list(cal.base)))
    evaluate = Evaluator(out / "runs", code_version(), n_jobs)
    t0 = time.perf_counter()
    start, fitted, history = fit(cal, table, free, cfg, evaluate, out / "history.csv")
    small = copy.deepcopy(cfg)
    small["population"]["scale"] = cal.scale
    before, after = evaluate(
        [with_values(small, free, start), with_values(small, free, fitted)],
        list(range(1, cal.seeds + 1)),
    )
    (full,) = evaluate([with_values(cfg, free, fitted)], list(range(1, cal.validate_seeds + 1)))
    tables = {
        f"start, scale {cal.scale}": fit_table(table, before),
        f"fitted, scale {cal.scale}": fit_table(table, after),
        f"fitted, scale {cfg['population']['scale']}, {cal.validate_seeds} seeds": fit_table(
            table, full
        ),
    }
    for (label, ft), name in zip(tables.items(), ("fit_start", "fit", "fit_full"), strict=True):
        write_fit(out, name, ft)
        log.info("%s: %d of %d targets within their band", label, ft["within"].sum(), len(ft))
    write_csv(history, out / "history.csv")  # complete
    seconds = round(time.perf_counter() - t0, 1)
    write_json({"start": start, "fitted": fitted, "runs": evaluate.runs, "seconds": seconds},
               out / "fitted.json")  # fmt: skip
    fit_chart(tables, out / "fit", f"{cal.title}: simulated against published figures")
    if write_config:
        header = (
            f"Fitted by `python -m experiments.calibrate calibration={cal.name}`\n"
            f"(relapse-sim {sim.__version__}, {revision}): targets and ranges in\n"
            f"scenarios/calibration/{cal.name}.yaml, fit tables in outputs/calibrate/{cal.name}/.\n"
            "Rerun that command to refit; calibrated=none runs without these values."
        )
        path = CONFIG_DIR / "calibrated" / f"{cal.name}.yaml"
        write_text(calibrated_config(free, fitted, header), path)
        log.info("fitted values written to %s", path)
    log.info("calibration done in %.0f s, %d runs; results in %s", seconds, evaluate.runs, out)
    return tables[list(tables)[-1]]
