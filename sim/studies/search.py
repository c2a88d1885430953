"""The least-cost mix of levers that keeps large-scale relapse at zero (Optuna).

A search (``scenarios/search/<name>.yaml``) names a base mix, decision variables (lever
settings with a range and a step, :class:`sim.studies.uncertainty.Factor` s under ``policy.*``), the
shock scenarios every mix must face, the seeds (the same for every trial: common random
numbers) and a stated risk. Each trial is a mix; it runs on every seed under every shock
scenario (:func:`sim.studies.ensemble.run_sample`) and gets two objectives, both minimised:

- total lever spending over the horizon (yuan, mean over scenarios and seeds);
- the relapse rate of poverty-alleviated households (mean over scenarios and seeds);

and one constraint per shock scenario: the 95% upper bound (Clopper-Pearson) of P(large-scale
relapse) from its seeds at or below ``risk`` (Optuna's ``Trial.set_constraint``). Optuna's
constrained TPE (or NSGA-II) sampler proposes the trials, ``batch`` at a time; the batch's
runs go to joblib workers. The study lives in Optuna's journal file (``study.journal``): the
same command resumes a stopped search, and trials the stop interrupted run again with the
parameters they had. Each trial's sampler is seeded from the search seed and the trial
number, so a resumed search asks exactly the trials an uninterrupted one asks.

The chosen mix is the cheapest feasible trial; it is written as a policy config and checked
out of sample: base and chosen mix on fresh seeds under every shock scenario, paired, through
:func:`sim.studies.compare.compare`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import logging
import shlex
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from sim.config.compose import compose, links, locate
from sim.config.experiment import Experiment, experiment
from sim.core.errors import ConfigError
from sim.core.io import atomic_write, folder_lock, write_csv, write_json, write_parquet, write_text
from sim.core.params import between, folder_name, jobs, nonneg, one_of, parse, prob
from sim.core.scenarios import CONFIG_DIR
from sim.engine.schema import MAX_MONTHS, check, to_dict
from sim.studies.compare import compare, config_hash, upper_bound_95, workers
from sim.studies.ensemble import run_sample
from sim.studies.run import code_version
from sim.studies.runner import RUNNER, of
from sim.studies.uncertainty import (
    UncertaintySet,
    changed_policy,
    checked_set,
    overrides,
    policy_text,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class SamplerPars:
    """Optuna's sampler: TPE or NSGA-II, its seed, and the random trials it starts with."""

    name: str = one_of("tpe", "nsga2")
    seed: int = nonneg()
    startup: int = between(1, 10_000)  # TPE: random trials first; NSGA-II: population size


@dataclass(frozen=True, kw_only=True)
class ScreenPars:
    """Multi-fidelity: a trial's first seeds decide whether it runs on the rest.

    Each trial runs on the first ``seeds`` search seeds, and on the rest only if it can still
    be the cheapest feasible mix (0: every trial on every seed).
    """

    seeds: int = between(0, 10_000)
    margin: float = nonneg()  # paired standard errors of spending above the cheapest feasible


@dataclass(frozen=True, kw_only=True)
class StopPars:
    """The stopping rule (:func:`stop_at`).

    Converged when the cheapest feasible mix has not improved by more than ``noise`` paired
    standard errors over the last ``patience`` trials after start-up.
    """

    patience: int = between(1, 100_000)
    noise: float = nonneg()


@dataclass(frozen=True, kw_only=True)
class Search:
    """One search (``scenarios/search/``)."""

    name: str = folder_name()
    title: str
    base: list[str]
    shocks: list[str]
    seeds: list[int] = between(0, 2**63 - 1)
    holdout: list[int] = between(0, 2**63 - 1)
    risk: float = prob()
    trials: int = between(1, 100_000)
    batch: int = between(1, 1_000)
    sampler: SamplerPars
    screen: ScreenPars
    stop: StopPars
    starts: dict | None = None  # warm starts: name -> {variable: value}, asked after trial 0
    references: dict
    labels: dict | None = None
    variables: dict


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The root of ``python -m experiments.optimize`` (``scenarios/optimize.yaml``)."""

    search: Search
    n_jobs: int = jobs()
    worker: int = nonneg()
    workers: int = between(1, 10_000)
    check: bool = True
    months: int | None = between(1, MAX_MONTHS)
    lang: str = one_of("en", "zh")
    output_root: str
    runner: str = RUNNER
    slurm: dict | None = None
    export_dir: str | None  # None: the shipped scenarios/ folder (CONFIG_DIR)


@dataclass(frozen=True)
class Plan:
    """A checked search, ready to run: settings, variables, each run's base config."""

    pars: Settings
    vset: UncertaintySet
    bases: dict[str, dict]  # shock scenario -> the base mix's config under it
    refs: dict[str, dict[str, dict]]  # reference mix -> shock scenario -> config
    policy: str  # the base mix's policy (the chosen mix's file extends it)
    starts: dict[str, dict[str, float | int]] = dataclasses.field(default_factory=dict)
    command: str = "python -m experiments.optimize"  # as typed: written into every output

    @property
    def names(self) -> list[str]:
        """The decision variables, in file order."""
        return list(self.vset.factors)


def _overrides(where: str, over: Any) -> list[str]:
    if not isinstance(over, list | tuple) or not all(isinstance(o, str) for o in over):
        raise ConfigError(f"{where} = {over!r}: must be a list of overrides")
    return list(over)


def settings(cfg: dict, command: str = "python -m experiments.optimize") -> Plan:
    """Parse and check everything before a run (``cfg``: :func:`sim.config.compose.plain` of the root).

    ``command``: the command line as typed, written into the outputs so that they say how to
    run the search again.
    """
    pars = parse(Settings, cfg, "")
    s = pars.search
    if importlib.util.find_spec("optuna") is None:
        raise ConfigError(
            "experiments.optimize needs Optuna, in the search extra: pip install -e '.[search]' "
            "(make run and make test install it)"
        )
    for key, seeds in (("seeds", s.seeds), ("holdout", s.holdout)):
        if len(set(seeds)) != len(seeds) or not seeds:
            raise ConfigError(f"search.{key} = {list(seeds)}: give distinct seeds")
    if shared := sorted(set(s.seeds) & set(s.holdout)):
        raise ConfigError(
            f"search.holdout: seeds {shared} are search seeds too; the out-of-sample check "
            "needs fresh seeds (e.g. 1001 to 1020)"
        )
    if pars.worker >= pars.workers:
        raise ConfigError(f"worker = {pars.worker}: workers are numbered 0 to {pars.workers - 1}")
    export = export_folder(pars)
    if export != CONFIG_DIR and not export.is_relative_to(Path(pars.output_root).resolve()):
        raise ConfigError(
            f"export_dir = {pars.export_dir}: the chosen mix is written into scenarios/ or a "
            f"folder inside output_root ({pars.output_root}), nowhere else"
        )
    if not s.shocks or len(set(s.shocks)) != len(s.shocks):
        raise ConfigError(
            f"search.shocks = {list(s.shocks)}: name distinct shock scenarios (scenarios/shocks/)"
        )
    need = int(np.ceil(np.log(0.05) / np.log(1 - s.risk)))  # seeds for a bound <= risk at 0
    if upper_bound_95(0, len(s.seeds)) > s.risk:
        raise ConfigError(
            f"search.risk = {s.risk:g}: with {len(s.seeds)} seeds even no large-scale relapse "
            f"gives a 95% upper bound of {upper_bound_95(0, len(s.seeds)):.3f}, so no mix can be "
            f"feasible; give at least {need} seeds or a larger risk"
        )
    if s.screen.seeds and not 2 <= s.screen.seeds < len(s.seeds):
        raise ConfigError(
            f"search.screen.seeds = {s.screen.seeds}: screen on 2 to {len(s.seeds) - 1} of the "
            f"{len(s.seeds)} search seeds, or 0 to run every trial on all of them"
        )
    if pars.check and upper_bound_95(0, len(s.holdout)) > s.risk:
        raise ConfigError(
            f"search.holdout: with {len(s.holdout)} seeds even no large-scale relapse gives a 95% "
            f"upper bound of {upper_bound_95(0, len(s.holdout)):.3f}, above search.risk = "
            f"{s.risk:g}, so the out-of-sample check could only fail; give at least {need} "
            "holdout seeds, or check=false"
        )
    _overrides("search.base", s.base)
    policies = [o.split("=", 1)[1] for o in s.base if o.startswith("policy=")]
    policy = policies[-1] if policies else "status_quo"
    tail = ["population.scale=1.0", "chart=false"]  # the rule is judged on the whole district
    if pars.months is not None:
        tail.append(f"months={pars.months}")

    def config(where: str, over: list[str]) -> DictConfig:
        try:
            cfg_run = compose([*over, *tail])
            check(cfg_run, workers(pars.n_jobs))
        except ConfigError as e:
            raise ConfigError(f"{where}: {e}") from None
        return cfg_run

    composed = {k: config(f"search.shocks ({k})", [*s.base, f"shocks={k}"]) for k in s.shocks}
    bases = {k: to_dict(c) for k, c in composed.items()}
    refs = {
        r: {k: to_dict(config(f"search.references.{r}",
                              [*_overrides(f"search.references.{r}", over), f"shocks={k}"]))
            for k in s.shocks}
        for r, over in s.references.items()
    }  # fmt: skip
    first = next(iter(bases.values()))
    vset = checked_set({"name": s.name, "factors": s.variables}, first, "search.variables",
                       links(composed[s.shocks[0]]))  # fmt: skip
    for name, f in vset.factors.items():
        for i, key in enumerate(f.keys):
            if not key.startswith("policy."):
                raise ConfigError(
                    f"search.variables.{name}.keys[{i}] = {key}: a decision variable is a lever "
                    "setting; change policy.* keys (shocks and the population are not chosen)"
                )
    plan = Plan(pars, vset, bases, refs, policy)
    return dataclasses.replace(plan, starts=warm_starts(plan), command=command)


def warm_starts(plan: Plan) -> dict[str, dict[str, float | int]]:
    """``search.starts``, checked: each a full trial (variables it omits keep the base's value)."""
    out = {}
    base = base_params(plan)
    for name, given in (plan.pars.search.starts or {}).items():
        where = f"search.starts.{name}"
        if not isinstance(given, dict):
            raise ConfigError(f"{where} = {given!r}: give a mapping of variable: value")
        if unknown := sorted(set(given) - set(plan.names)):
            raise ConfigError(
                f"{where}.{unknown[0]}: not a variable of the search (variables: "
                f"{', '.join(plan.names)})"
            )
        if base is None and set(given) != set(plan.names):
            raise ConfigError(
                f"{where}: the base mix is not on the variables' grid, so give every variable"
            )
        values = dict(base or {})
        for key, v in given.items():
            f = plan.vset.factors[key]
            lo, hi = f.range
            if not (isinstance(v, int | float) and not isinstance(v, bool) and on_grid(f, v)):
                raise ConfigError(
                    f"{where}.{key} = {v!r}: must be a number from {lo:g} to {hi:g}"
                    + (f" on steps of {f.step:g}" if f.step is not None else "")
                )
            values[key] = int(v) if f.integer else float(v)
        out[name] = values
    return out


def on_grid(f, v: float) -> bool:
    """Whether ``v`` is in the variable's range and on its step grid (the values Optuna asks)."""
    lo, hi = f.range
    steps = 0.0 if f.step is None else (v - lo) / f.step
    return lo <= v <= hi and abs(steps - round(steps)) < 1e-9


def base_params(plan: Plan) -> dict[str, float | int] | None:
    """The base mix as a trial (scale 1, add 0, each value the base's), if it is on the grid."""
    out: dict[str, float | int] = {}
    cfg = next(iter(plan.bases.values()))
    for name, f in plan.vset.factors.items():
        if f.change == "scale":
            v = 1.0
        elif f.change == "add":
            v = 0
        else:
            node, last = locate(cfg, f.keys[0])
            v = node[last]
            if not isinstance(v, int | float) or isinstance(v, bool):
                return None
        if not on_grid(f, v):
            return None
        out[name] = int(v) if f.integer else float(v)
    return out


def distributions(vset: UncertaintySet) -> dict[str, Any]:
    """Optuna's distribution of each variable (its range and step)."""
    from optuna.distributions import FloatDistribution, IntDistribution

    out = {}
    for name, f in vset.factors.items():
        lo, hi = f.range
        if f.integer:
            out[name] = IntDistribution(int(lo), int(hi), step=int(f.step or 1))
        else:
            out[name] = FloatDistribution(float(lo), float(hi), step=f.step)
    return out


def row_values(plan: Plan, row: pd.Series) -> dict[str, float | int]:
    """A trial row's variable values as plain Python numbers."""
    return plan.vset.values(plan.names, row[plan.names].to_numpy(float))


def clean(v: float | int) -> float | int:
    """A sampled value without float noise from the step grid (1.1500000000000001 -> 1.15)."""
    return v if isinstance(v, int) else float(f"{v:.10g}")


def sampler(plan: Plan, number: int):
    """The sampler that asks trial ``number``: seeded from the search seed and the number.

    With several workers the worker joins the seed: two jobs that read the same number at
    once would otherwise ask the same mix twice.
    """
    import optuna

    sp, p = plan.pars.search.sampler, plan.pars
    entropy = [sp.seed, number] + ([p.worker] if p.workers > 1 else [])
    seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if sp.name == "nsga2":
            return optuna.samplers.NSGAIISampler(population_size=sp.startup, seed=seed)
        return optuna.samplers.TPESampler(
            n_startup_trials=sp.startup, multivariate=True, constant_liar=True, seed=seed
        )


def search_key(plan: Plan) -> str:
    """What a stored study depends on (not the stopping rule: it may go on with more patience).

    Every run's config, variables, seeds, risk, sampler, screening, warm starts and code.
    """
    s = plan.pars.search
    return config_hash({
        "bases": plan.bases, "variables": {n: repr(f) for n, f in plan.vset.factors.items()},
        "seeds": list(s.seeds), "risk": s.risk, "sampler": dataclasses.asdict(s.sampler),
        "batch": s.batch, "screen": dataclasses.asdict(s.screen), "starts": plan.starts,
        "code": code_version(),
    })  # fmt: skip


def open_study(plan: Plan, out: Path):
    """The search's study in its journal file; refused if it holds another search's trials.

    A new study is given its first trials: the base mix itself (trial 0), then the warm starts.
    """
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    out.mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(out / "study.journal")))
    study = optuna.create_study(
        study_name=plan.pars.search.name, storage=storage, load_if_exists=True,
        directions=["minimize", "minimize"],
    )  # fmt: skip
    key = search_key(plan)
    stored = study.user_attrs.get("key")
    if stored is None:
        study.set_user_attr("key", key)
        start = base_params(plan)
        firsts = ([start] if start is not None else []) + list(plan.starts.values())
        for params in [p for i, p in enumerate(firsts) if p not in firsts[:i]]:
            study.enqueue_trial(params)
    elif stored != key:
        raise ConfigError(
            f"{out / 'study.journal'} holds a search with other settings or model code; move "
            "the folder away (or rename search.name) to start a new one"
        )
    return study


def trial_stats(plan: Plan, runs: pd.DataFrame) -> dict[str, Any]:
    """One trial's objectives, P(large-scale) per shock scenario, spending run by run.

    The upper bound of P(large-scale) is from the seeds the trial ran; ``spending_runs`` is
    keyed ``shock/seed``: the pairs other trials meet.
    """
    s = plan.pars.search
    per = {}
    for shock in s.shocks:
        g = runs[runs["shock"] == shock]
        if g["large_scale"].isna().any():
            raise RuntimeError("large-scale relapse was not judged; the search runs at scale 1")
        k, n = int(g["large_scale"].astype(bool).sum()), len(g)
        per[shock] = {"k": k, "n": n, "upper": upper_bound_95(k, n),
                      "relapse_rate": float(g["relapse_rate"].mean()),
                      "spending": float(g["spending"].mean())}  # fmt: skip
    return {
        "spending": float(runs["spending"].mean()),
        "relapse_rate": float(runs["relapse_rate"].mean()),
        "constraints": {k: per[k]["upper"] - s.risk for k in s.shocks},
        "shocks": per,
        "spending_runs": {f"{r.shock}/{r.seed}": float(r.spending) for r in runs.itertuples()},
    }


def _run(plan: Plan, batch: list[tuple[int, dict]], seeds: list[int], out: Path,
         sub: str = "") -> dict[int, pd.DataFrame]:  # fmt: skip
    """Each (trial number, params) of ``batch`` on ``seeds`` under every shock scenario.

    Each trial is one stored chunk (``runs/<shock>/<sub>/chunk_<trial>``), so a stopped batch
    keeps the trials it finished.
    """
    names, numbers = plan.names, [n for n, _ in batch]
    points = np.array([[clean(params[n]) for n in names] for _, params in batch], dtype=float)
    what = f"trials {numbers[0]}-{numbers[-1]}" if len(numbers) > 1 else f"trial {numbers[0]}"
    tables = []
    for shock, base in plan.bases.items():
        runs = run_sample(
            base, plan.vset, names, points, seeds, out / "runs" / shock / sub,
            n_jobs=plan.pars.n_jobs, chunk=1, numbers=numbers, runner=of(plan.pars),
            desc=f"{what}, {shock}, {len(seeds)} seeds",
        )  # fmt: skip
        tables.append(runs.assign(shock=shock))
    runs = pd.concat(tables, ignore_index=True).rename(columns={"point": "trial"})
    return {n: runs[runs["trial"] == n] for n in numbers}


def evaluate(
    plan: Plan, batch: list[tuple[int, dict]], out: Path, best: dict[str, float] | None = None
) -> dict[int, tuple[pd.DataFrame, str]]:
    """Run each (trial number, params) of ``batch``: its runs and why it was screened out ("").

    Without screening every trial runs on every seed. With ``screen.seeds`` = k, every trial
    runs on the first k seeds (``runs/<shock>/``); a trial goes on to the other seeds
    (``runs/<shock>/more/``) unless it is screened out (:func:`screened_out`) against ``best``,
    the cheapest feasible trial so far (its spending run by run).
    """
    s = plan.pars.search
    k = s.screen.seeds
    if not k:
        return {n: (runs, "") for n, runs in _run(plan, batch, list(s.seeds), out).items()}
    first = _run(plan, batch, list(s.seeds[:k]), out)
    why = {n: screened_out(plan, runs, best) for n, runs in first.items()}
    go = [(n, params) for n, params in batch if not why[n]]
    more = _run(plan, go, list(s.seeds[k:]), out, "more") if go else {}
    return {n: (pd.concat([first[n], more[n]]) if n in more else first[n], why[n])
            for n, _ in batch}  # fmt: skip


def screened_out(plan: Plan, runs: pd.DataFrame, best: dict[str, float] | None) -> str:
    """Why a trial's runs on the screening seeds end it: "infeasible", "costlier" or "" (go on).

    - infeasible: under some shock scenario, its large-scale seeds so far already put the 95%
      upper bound over all search seeds above ``risk``: the other seeds cannot make it feasible;
    - costlier: its spending, paired run by run with the cheapest feasible trial so far, is
      higher by more than ``screen.margin`` standard errors of the mean difference.
    """
    s = plan.pars.search
    for shock in s.shocks:
        k = int(runs.loc[runs["shock"] == shock, "large_scale"].astype(bool).sum())
        if upper_bound_95(k, len(s.seeds)) > s.risk:
            return "infeasible"
    if best is None:
        return ""
    d = np.array([r.spending - best[f"{r.shock}/{r.seed}"] for r in runs.itertuples()])
    se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else 0.0
    return "costlier" if d.mean() - s.screen.margin * se > 0 else ""


def references(plan: Plan, out: Path) -> pd.DataFrame:
    """The reference mixes (status quo, plan targets) on the search's seeds: their stats."""
    s = plan.pars.search
    rows = []
    for ref, by_shock in plan.refs.items():
        tables = []
        for shock, base in by_shock.items():
            runs = run_sample(
                base, plan.vset, [], np.zeros((1, 0)), list(s.seeds),
                out / "runs" / shock / f"ref_{ref}", n_jobs=plan.pars.n_jobs, chunk=1,
                desc=f"reference {ref}, {shock}", runner=of(plan.pars),
            )  # fmt: skip
            tables.append(runs.assign(shock=shock))
        st = trial_stats(plan, pd.concat(tables, ignore_index=True))
        rows.append(_row(plan, st) | {"reference": ref})
    return pd.DataFrame(rows)


def _row(plan: Plan, st: dict[str, Any], screened: str = "") -> dict[str, Any]:
    """A trial's row; a screened-out trial's feasibility is False (infeasible) or unknown."""
    feasible = all(c <= 0 for c in st["constraints"].values())
    row = {"spending": st["spending"], "relapse_rate": st["relapse_rate"],
           "feasible": {"": feasible, "infeasible": False, "costlier": pd.NA}[screened]}  # fmt: skip
    for shock, v in st["shocks"].items():
        row |= {f"large_scale_{shock}": v["k"],
                f"p_upper_{shock}": np.nan if screened else v["upper"]}  # fmt: skip
    return row


def run_search(plan: Plan, out: Path) -> int:
    """Ask, run and tell trials until the budget or the stopping rule ends the search.

    The search ends when ``search.trials`` are complete or :func:`stop_at` says it has
    converged; returns the trials this job ran.

    With ``workers`` > 1 (jobs of a Hydra launcher, one journal), each job runs its own
    batches and evaluates again only the interrupted trials it had asked itself; the order in
    which trials are asked then depends on timing (Optuna's distributed mode).
    """
    import optuna
    from optuna.trial import Trial, TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    p, s = plan.pars, plan.pars.search
    study = open_study(plan, out)
    dist = distributions(plan.vset)
    ran = 0
    while True:
        trials = study.get_trials(deepcopy=False)
        done = sum(t.state == TrialState.COMPLETE for t in trials)
        mine = [t for t in trials if t.state == TrialState.RUNNING
                and t.user_attrs.get("worker", 0) == p.worker]  # fmt: skip
        running = sum(t.state == TrialState.RUNNING for t in trials)
        left = s.trials - done - running
        table = trials_table(plan, study)
        if not mine and stop_at(plan, table) is not None:  # TPE is done: the local trials
            waiting = [t.system_attrs["fixed_params"] for t in trials
                       if t.state == TrialState.WAITING]  # fmt: skip
            todo = unrun_neighbours(plan, table, waiting)
            for params in todo:
                study.enqueue_trial(params, user_attrs={"asked": "local"}, skip_if_exists=True)
            if not waiting and not todo:
                return ran  # converged (:func:`verdict`)
        if not mine and left <= 0:
            return ran
        batch = [(Trial(study, t._trial_id), t.params) for t in mine]
        while len(batch) < s.batch and left > 0:
            study.sampler = sampler(plan, len(study.get_trials(deepcopy=False)))
            trial = study.ask(dist)
            trial.set_user_attr("worker", p.worker)
            batch.append((trial, trial.params))
            left -= 1
        best = chosen(table)  # the cheapest feasible trial so far, against which to screen
        runs = evaluate(plan, [(t.number, params) for t, params in batch], out,
                        None if best is None else best["spending_runs"])  # fmt: skip
        for t, _ in batch:
            _tell(study, plan, t, *runs[t.number])
        ran += len(batch)


def _tell(study, plan: Plan, trial, runs: pd.DataFrame, screened: str) -> None:
    """Tell Optuna a trial's objectives and constraints.

    A screened-out trial's constraint is the bound its screening seeds allow at best (no
    large-scale relapse on the other seeds): above ``risk`` if it is infeasible; an expensive
    trial is still told as expensive.
    """
    s = plan.pars.search
    st = trial_stats(plan, runs)
    for shock, v in st["shocks"].items():  # Optuna's constraints: <= 0 is feasible
        n = len(s.seeds) if screened else v["n"]
        trial.set_constraint(shock, upper_bound_95(v["k"], n) - s.risk)
    for key in ("shocks", "spending_runs"):
        trial.set_user_attr(key, st[key])
    trial.set_user_attr("screened", screened)
    study.tell(trial, [st["spending"], st["relapse_rate"]])


def trials_table(plan: Plan, study) -> pd.DataFrame:
    """Every complete trial, by number, with how it was asked and how it was judged.

    Its variables, objectives, P(large-scale) bounds, feasibility, whether screening ended it,
    whether it is on the front.

    ``asked``: "start" (the base mix, a warm start), "random" (the sampler's start-up trials),
    "model" (TPE's model or NSGA-II's generations) or "local" (a grid neighbour of the
    cheapest mix, once the stopping rule held: :func:`verdict`). ``seeds``: the seeds it ran per scenario.
    """
    from optuna.trial import TrialState

    s = plan.pars.search
    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        st = {
            "spending": t.values[0],
            "relapse_rate": t.values[1],
            "constraints": t.constraints,
            "shocks": t.user_attrs["shocks"],
        }
        screened = t.user_attrs["screened"]
        asked = t.user_attrs.get("asked") or (
            "start" if "fixed_params" in t.system_attrs
            else "random" if t.number < s.sampler.startup else "model")  # fmt: skip
        values = {n: clean(t.params[n]) for n in plan.names}
        rows.append({"trial": t.number, "asked": asked} | values | _row(plan, st, screened)
                    | {"seeds": next(iter(st["shocks"].values()))["n"], "screened": screened,
                       "spending_runs": t.user_attrs["spending_runs"]})  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=["trial", "asked", *plan.names, "spending", "relapse_rate",
                                     "feasible", "seeds", "screened", "spending_runs", "pareto"])
    table = pd.DataFrame(rows).sort_values("trial", ignore_index=True)
    table["feasible"] = table["feasible"].astype("boolean")
    table["pareto"] = pareto(table)
    return table


def pareto(table: pd.DataFrame) -> np.ndarray:
    """Feasible trials no other feasible trial beats on both objectives (ties kept).

    Example:
        >>> t = pd.DataFrame({"spending": [1, 2, 3, 1], "relapse_rate": [3, 1, 2, 0.5],
        ...                   "feasible": [True, True, True, False]})
        >>> pareto(t).tolist()
        [True, True, False, False]
    """
    x = table[["spending", "relapse_rate"]].to_numpy(float)
    ok = table["feasible"].fillna(False).to_numpy(bool)  # unknown (screened out): not on it
    front = np.zeros(len(table), bool)
    for i in np.flatnonzero(ok):
        others = x[ok]
        beaten = np.any(np.all(others <= x[i], axis=1) & np.any(others < x[i], axis=1))
        front[i] = not beaten
    return front


def chosen(table: pd.DataFrame) -> pd.Series | None:
    """The cheapest feasible trial (then the lower relapse rate), or None."""
    ok = table[table["feasible"].fillna(False).astype(bool)]
    if ok.empty:
        return None
    return ok.sort_values(["spending", "relapse_rate", "trial"]).iloc[0]


def hypervolume(points: np.ndarray, ref: np.ndarray) -> float:
    """The area two minimised objectives' ``points`` dominate up to the reference point ``ref``.

    Example:
        >>> hypervolume(np.array([[1.0, 3.0], [2.0, 1.0], [3.0, 2.0]]), np.array([4.0, 4.0]))
        7.0
    """
    p = points[np.all(points < ref, axis=1)]
    p = p[np.lexsort((p[:, 1], p[:, 0]))]  # by the first objective, then the second
    area, low = 0.0, ref[1]
    for x, y in p:
        if y < low:  # a step of the staircase the points make
            area += (ref[0] - x) * (low - y)
            low = y
    return float(area)


def paired_gain(old: dict[str, float], new: dict[str, float]) -> tuple[float, float]:
    """How much less ``new`` spends than ``old``, run by run: the mean and its standard error."""
    d = np.array([old[k] - new[k] for k in old])
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0


def convergence(table: pd.DataFrame) -> pd.DataFrame:
    """Trial by trial (by number): the cheapest feasible so far and the front's hypervolume.

    The hypervolume of the feasible front so far is a share of the final one (reference
    point: the final front's worst spending and relapse rate plus 10% of their ranges).
    """
    ok = table["feasible"].fillna(False).to_numpy(bool)
    x = table[["spending", "relapse_rate"]].to_numpy(float)
    if ok.any():
        lo, hi = x[ok].min(axis=0), x[ok].max(axis=0)
        ref = hi + 0.1 * np.where(hi > lo, hi - lo, np.abs(hi) + 1e-12)
        final = hypervolume(x[ok], ref)
    best, best_at, hv = [], [], []
    b = None
    for i in range(len(table)):
        if ok[i] and (b is None or tuple(x[i]) < tuple(x[b])):
            b = i
        best.append(np.nan if b is None else x[b, 0])
        best_at.append(pd.NA if b is None else int(table["trial"].iat[b]))
        hv.append(hypervolume(x[: i + 1][ok[: i + 1]], ref) / final
                  if ok[: i + 1].any() and final > 0 else np.nan)  # fmt: skip
    return pd.DataFrame({
        "trial": table["trial"].to_numpy(int), "asked": table["asked"].to_numpy(),
        "spending": x[:, 0], "feasible": table["feasible"], "screened": table["screened"],
        "best_spending": best, "best_trial": pd.array(best_at, dtype="Int64"),
        "hypervolume_share": hv,
    })  # fmt: skip


def stop_at(plan: Plan, table: pd.DataFrame) -> int | None:
    """The number of complete trials at which the stopping rule first held, or None.

    The rule holds after n trials when n >= start-up + ``patience`` and the cheapest feasible
    trial of the first n spends less than that of the first n - ``patience`` by no more than
    ``noise`` standard errors of their paired difference (0 when it is the same trial): the
    last ``patience`` trials, all asked by the sampler's model, found nothing cheaper beyond
    the seeds' noise.
    """
    first = rule_needs(plan, table)
    if len(table) < first:
        return None
    conv = convergence(table)
    for n in range(first, len(table) + 1):
        old, new, gain, se = _window(plan, table, conv, n)
        if not pd.isna(old) and not pd.isna(new) and gain <= plan.pars.search.stop.noise * se:
            return n
    return None


def rule_needs(plan: Plan, table: pd.DataFrame) -> int:
    """The trials the stopping rule needs: the start-up (or the given trials) + patience."""
    s = plan.pars.search
    return max(s.sampler.startup, int((table["asked"] == "start").sum())) + s.stop.patience


def _window(plan: Plan, table: pd.DataFrame, conv: pd.DataFrame, n: int):
    """The stopping rule's window ending at trial count ``n``: its two cheapest trials.

    The cheapest feasible trial of the first ``n`` - ``patience`` and of the first ``n``, and
    how much less the later spends (paired mean and standard error; NaN without both).
    """
    patience = plan.pars.search.stop.patience
    old, new = conv["best_trial"].iat[n - 1 - patience], conv["best_trial"].iat[n - 1]
    if pd.isna(old) or pd.isna(new):
        return old, new, np.nan, np.nan
    runs = table.set_index("trial")["spending_runs"]
    return (old, new, *paired_gain(runs[int(old)], runs[int(new)]))


def neighbours(plan: Plan, values: dict[str, float | int]) -> list[dict[str, float | int]]:
    """The mixes one grid step from ``values``: each variable down and up, the others kept."""
    out = []
    for name, f in plan.vset.factors.items():
        if f.step is None:  # no grid: no neighbour
            continue
        for v in (values[name] - f.step, values[name] + f.step):
            v = int(v) if f.integer else clean(float(v))
            if on_grid(f, v):
                out.append(values | {name: v})
    return out


def _same(a: dict, b: dict) -> bool:
    return all(abs(float(a[k]) - float(b[k])) < 1e-9 for k in a)


def unrun_neighbours(plan: Plan, table: pd.DataFrame, asked: list[dict] = ()) -> list[dict]:
    """The cheapest feasible mix's grid neighbours that no trial of ``table`` (nor ``asked``) has."""
    best = chosen(table)
    if best is None:
        return []
    ran = [row_values(plan, r) for _, r in table.iterrows()] + list(asked)
    return [n for n in neighbours(plan, row_values(plan, best))
            if not any(_same(n, r) for r in ran)]  # fmt: skip


def verdict(plan: Plan, table: pd.DataFrame) -> dict[str, Any]:
    """Whether the search converged by its stopping rule, and why not if it did not.

    Converged: the rule held (:func:`stop_at`), and then every grid neighbour of the cheapest
    feasible mix was run (the local trials, which move the best to a cheaper neighbour until
    none is cheaper): the chosen mix is cheapest among the trials and on its neighbourhood.
    """
    s, stop = plan.pars.search, plan.pars.search.stop
    n = len(table)
    at = stop_at(plan, table)
    rule = (f"the cheapest feasible mix improved by no more than {stop.noise:g} paired standard "
            f"errors over {stop.patience} trials after the start-up trials, and none of its "
            "grid neighbours (each variable one step either way) is cheaper")  # fmt: skip
    local = table[table["asked"] == "local"]
    left = unrun_neighbours(plan, table)
    if at is not None and not left:
        best = chosen(table)
        moved = len(set(convergence(table)["best_trial"].iloc[at - 1:].dropna())) - 1
        return {"converged": True, "at": at, "text": (
            f"Converged after {n} trials: TPE found nothing cheaper beyond the seeds' noise "
            f"over {stop.patience} trials (after {at} trials); then {len(local)} local trials "
            f"moved the cheapest mix {moved} times, and none of the "
            f"{len(neighbours(plan, row_values(plan, best)))} grid neighbours of the chosen "
            f"mix is cheaper. The budget was {s.trials} trials.")}  # fmt: skip
    first = rule_needs(plan, table)
    if not table["feasible"].fillna(False).any():
        why = "no trial is feasible yet"
    elif at is not None:
        why = (f"the rule held after {at} trials, but {len(left)} grid neighbours of the "
               "cheapest mix were not run within the budget")  # fmt: skip
    elif n < first:
        why = (f"{n} trials are fewer than the {first} the rule needs (start-up "
               f"{first - stop.patience} + patience {stop.patience})")  # fmt: skip
    else:
        old, new, gain, se = _window(plan, table, convergence(table), n)
        if pd.isna(old):
            why = f"the first feasible trial came within the last {stop.patience} trials"
        else:
            ses = f"{gain / se:.1f} paired standard errors" if se > 0 else "with no noise"
            why = (f"over the last {stop.patience} trials the cheapest feasible mix fell from "
                   f"trial {old} to trial {new}, by {_m(gain)} million yuan ({ses}, more than "
                   f"{stop.noise:g})")  # fmt: skip
    return {"converged": False, "at": None, "text": (
        f"NOT converged within the budget of {s.trials} trials: {why}. Its rule: {rule}. "
        "Resume with a larger search.trials; the cheapest trial so far is not the answer.")}  # fmt: skip


def mix_overrides(plan: Plan, values: dict[str, float | int]) -> list[str]:
    """The mix as command-line overrides on the base (``adjust`` for scale and add)."""
    return overrides(plan.vset, values)


def export_folder(pars: Settings) -> Path:
    """Where the chosen mix's policy file goes (``<folder>/policy/``): scenarios/ by default."""
    return CONFIG_DIR if pars.export_dir is None else Path(pars.export_dir).resolve()


def _months(plan: Plan) -> list[str]:
    """The search's ``months`` as an override, if it set one (every run carried it)."""
    return [f"months={plan.pars.months}"] if plan.pars.months else []


def _base_overrides(plan: Plan) -> list[str]:
    """The base's overrides but its policy, and the search's months: what every run carried."""
    return [o for o in plan.pars.search.base if not o.startswith("policy=")] + _months(plan)


def _shell(words: list[str]) -> str:
    return " ".join(shlex.quote(w) for w in words)


def run_command(plan: Plan) -> str:
    """The command that runs the exported mix under the first shock scenario, as written.

    With ``--config-dir`` unless the file is in scenarios/.
    """
    export = export_folder(plan.pars)
    where = [] if export == CONFIG_DIR else ["--config-dir", str(export)]
    s = plan.pars.search
    return "python -m experiments.run " + _shell(
        [*where, f"policy={s.name}_best", *_base_overrides(plan), f"shocks={s.shocks[0]}"]
    )


def base_command(plan: Plan, values: dict[str, float | int]) -> str:
    """The same run as :func:`run_command`, as overrides on the base mix (no file needed)."""
    s = plan.pars.search
    return "python -m experiments.run " + _shell(
        [*s.base, *_months(plan), *mix_overrides(plan, values), f"shocks={s.shocks[0]}"]
    )


def write_policy(plan: Plan, trial: int, values: dict[str, float | int], path: Path) -> Path:
    """The chosen mix as a policy config extending the base mix's policy, a reason per value."""
    s = plan.pars.search
    name = f"{s.name}_best"
    changed = changed_policy(next(iter(plan.bases.values())), plan.vset, values)
    others = ",".join(s.shocks[1:])
    text = policy_text(changed, name, plan.policy, [
        f"The least-cost mix of search {s.name} (trial {trial}): the cheapest trial",
        f"whose P(large-scale relapse) has a 95% upper bound <= {s.risk:g} under every shock",
        f"scenario ({', '.join(s.shocks)}) on {len(s.seeds)} seeds. Written by",
        f"  {plan.command}",
        f"Run it under {s.shocks[0]}" + (f" (or shocks={others})" if others else "") + " with",
        f"  {run_command(plan)}",
        f"Every other value is the base mix's ({plan.policy}), with its units and sources.",
    ])  # fmt: skip
    atomic_write(path, lambda p: p.write_text(text))
    return path


def check_experiment(plan: Plan, values: dict[str, float | int], n: int) -> Experiment:
    """Base and chosen mix on the holdout seeds under every shock scenario, paired."""
    s = plan.pars.search
    base = [*s.base, *_months(plan)]
    labels = s.labels or {}
    return experiment({
        "name": f"{s.name}_check", "title": f"{s.title}: out of sample",
        "baseline": "base", "seeds": list(s.holdout), "band": 0.9,
        "base": [*base, "population.scale=1.0"],
        "scenarios": {"base": [], "best": mix_overrides(plan, values)},
        "cross": {k: [f"shocks={k}"] for k in s.shocks},
        "labels": {lang: {"base": t.get("base", "base mix"), "best": best.format(n=n)}
                   | {k: t.get(k, k) for k in s.shocks}
                   for lang, t, best in (
                       ("en", labels.get("en", {}), "chosen mix (trial {n})"),
                       ("zh", labels.get("zh", {}), "选定组合（第{n}次试验）"))},
    })  # fmt: skip


def finish(plan: Plan, out: Path, seconds: float) -> dict[str, Any]:
    """Tables, chart, the chosen mix's policy file and the out-of-sample check."""
    from sim.reports.charts import convergence_chart, pareto_chart  # lazy: matplotlib (Agg)

    p, s = plan.pars, plan.pars.search
    study = open_study(plan, out)
    table = trials_table(plan, study)
    refs = references(plan, out)
    written = table.drop(columns="spending_runs")
    write_parquet(written, out / "trials.parquet")
    write_csv(written, out / "trials.csv")
    write_csv(written[written["pareto"]].sort_values("spending"), out / "front.csv")
    conv = convergence(table)
    write_csv(conv, out / "convergence.csv")
    best = chosen(table)
    result: dict[str, Any] = {
        "command": plan.command, "trials": len(table),
        "feasible": int(table["feasible"].fillna(False).sum()),
        "screened": {why: int((table["screened"] == why).sum()) for why in SCREENED},
        "verdict": verdict(plan, table), "seconds": seconds, "best": None, "check": None,
    }  # fmt: skip
    for lang in dict.fromkeys([p.lang, "en"]):
        pareto_chart(plan, table, refs, best, out / _stem("pareto", lang), lang)
        convergence_chart(plan, conv, refs, result["verdict"], out / _stem("convergence", lang),
                          lang)  # fmt: skip
    if best is not None:
        trial, values = int(best["trial"]), row_values(plan, best)
        path = export_folder(p) / "policy" / f"{s.name}_best.yaml"
        write_policy(plan, trial, values, path)
        result["best"] = {"trial": trial, "policy": str(path), "values": values,
                          "overrides": mix_overrides(plan, values),
                          "command": base_command(plan, values)}  # fmt: skip
        if p.check:
            exp = check_experiment(plan, values, trial)
            check_table = compare(exp, out / "check", n_jobs=p.n_jobs, lang=p.lang, runner=of(p))
            result["check"] = check_table.to_dict("records")
    write_text(markdown(plan, table, refs, result), out / "search.md")
    write_json(result | {"code": code_version()}, out / "search.json")
    return result


SCREENED = ("costlier", "infeasible")  # why screening ends a trial (screened_out)


def _stem(name: str, lang: str) -> str:
    return name if lang == "en" else f"{name}_{lang}"


def _m(yuan: float) -> str:
    return f"{yuan / 1e6:,.1f}"


def markdown(plan: Plan, table: pd.DataFrame, refs: pd.DataFrame, result: dict) -> str:
    """``search.md``: the setting, the front, the references, the chosen mix and its check."""
    s = plan.pars.search
    shocks = list(s.shocks)
    cols = " | ".join(f"P {k} [95% upper]" for k in shocks)

    def line(name: str, r) -> str:
        ps = " | ".join(
            f"{r[f'large_scale_{k}'] / len(s.seeds):.2f} [{r[f'p_upper_{k}']:.2f}]" for k in shocks
        )
        return (f"| {name} | {_m(r['spending'])} | {100 * r['relapse_rate']:.2f}% | {ps} | "
                f"{'yes' if r['feasible'] else 'no'} |")  # fmt: skip

    full = table[table["screened"] == ""]
    screen = (
        f"Screening: every trial ran on the first {s.screen.seeds} seeds first and went on to "
        f"all {len(s.seeds)} only if it could still be the cheapest feasible mix; "
        f"{result['screened']['costlier']} trials were screened out as costlier (paired "
        f"spending above the cheapest feasible by more than {s.screen.margin:g} standard "
        f"errors), {result['screened']['infeasible']} as infeasible, {len(full)} ran on all seeds."
        if s.screen.seeds else "Every trial ran on every seed."
    )  # fmt: skip
    out = [
        f"# {s.title}", "",
        f"`{plan.command}`", "",
        f"{len(table)} trials ({result['feasible']} feasible), each on {len(s.seeds)} seeds "
        f"({', '.join(map(str, s.seeds))}) under {len(shocks)} shock scenarios "
        f"({', '.join(shocks)}); feasible: the 95% upper bound of P(large-scale relapse) "
        f"<= {s.risk:g} in every scenario. Objectives: spending (million yuan, all levers, "
        "whole horizon) and the relapse rate of PA households, means over scenarios and seeds. "
        + screen + f" The trials took {result['seconds'] / 60:.1f} minutes of this command (before "
        "the references and the check).",
        "", *convergence_md(plan, table, result["verdict"]),
        "", "## Pareto front (feasible trials)", "",
        f"| trial | spending, M yuan | relapse rate | {cols} | feasible |",
        "|" + "---|" * (4 + len(shocks)),
    ]  # fmt: skip
    for _, r in table[table["pareto"]].sort_values("spending").iterrows():
        out.append(line(str(int(r["trial"])), r))
    out += ["", "## References (same seeds and scenarios)", "",
            f"| mix | spending, M yuan | relapse rate | {cols} | feasible |",
            "|" + "---|" * (4 + len(shocks))]  # fmt: skip
    for _, r in refs.iterrows():
        out.append(line(r["reference"], r))
    best = result["best"]
    if best is None:
        out += ["", "No trial met the constraint: no mix is chosen and nothing is exported."]
        return "\n".join(out) + "\n"
    out += ["", f"## Chosen mix: trial {best['trial']} (the cheapest feasible)", ""]
    for n, v in best["values"].items():
        f = plan.vset.factors[n]
        unit = {"scale": "x", "add": " (added)", "value": ""}[f.change]
        out.append(f"- {f.en}: {v:g}{unit}")
    out += ["", f"Policy config: `{best['policy']}`; run it with `{run_command(plan)}`, or "
            f"without the file: `{best['command']}`.", "", *runners_up(plan, table)]  # fmt: skip
    if result["check"]:
        out += ["", f"## Out of sample: {len(s.holdout)} fresh seeds, paired with the base mix",
                "", "See `check/summary.md` for the full table (bands are 90% of seeds).", "",
                "| cell | relapsed [90% band] | vs base [band] | P(large-scale) [95% upper] | "
                "spending, M yuan [band] |", "|---|---|---|---|---|"]  # fmt: skip
        for r in result["check"]:
            diff = (
                "baseline" if r["scenario"] == r["baseline"]
                else f"{r['diff_relapsed_mean']:+.0f} [{r['diff_relapsed_lo']:+.0f}, "
                f"{r['diff_relapsed_hi']:+.0f}]"
            )  # fmt: skip
            out.append(
                f"| {r['scenario']} | {r['relapsed_mean']:.0f} [{r['relapsed_lo']:.0f}, "
                f"{r['relapsed_hi']:.0f}] | {diff} | "
                f"{r['p_large_scale']:.2f} [{r['p_large_scale_upper95']:.2f}] | "
                f"{_m(r['spending_mean'])} [{_m(r['spending_lo'])}, {_m(r['spending_hi'])}] |"
            )
        out += ["", check_verdict(plan, result["check"])]
    return "\n".join(out) + "\n"


def convergence_md(plan: Plan, table: pd.DataFrame, verdict: dict) -> list[str]:
    """search.md's convergence section: the verdict, how trials were asked, each new best."""
    asked = table["asked"].value_counts()
    out = ["## Convergence", "", verdict["text"], "",
           f"Trials asked: {asked.get('start', 0)} given (the base mix and the warm starts "
           f"{', '.join(plan.starts) or '(none)'}), {asked.get('random', 0)} random start-up "
           f"trials (numbers below {plan.pars.search.sampler.startup}), "
           f"{asked.get('model', 0)} from the sampler's model, {asked.get('local', 0)} local "
           "(grid neighbours of the cheapest mix, once the rule held). Each trial's cheapest feasible "
           "mix so far and the front's hypervolume: `convergence.csv`, `convergence.png`.", "",
           "| after trial | cheapest feasible | spending, M yuan | asked |", "|---|---|---|---|"]  # fmt: skip
    conv = convergence(table)
    new = conv[conv["best_trial"].ne(conv["best_trial"].shift()) & conv["best_trial"].notna()]
    how = table.set_index("trial")["asked"]
    for _, r in new.iterrows():
        out.append(f"| {r['trial']} | trial {r['best_trial']} | {_m(r['best_spending'])} | "
                   f"{how[r['best_trial']]} |")  # fmt: skip
    return out


def runners_up(plan: Plan, table: pd.DataFrame, n: int = 3) -> list[str]:
    """The ``n`` cheapest feasible trials: what the second and third cost more, and how they differ."""
    ok = table[table["feasible"].fillna(False).astype(bool)]
    top = ok.sort_values(["spending", "relapse_rate", "trial"]).head(n)
    if len(top) < 2:
        return []
    first = top.iloc[0]
    out = [f"### The {len(top)} cheapest feasible trials", "",
           "| trial | spending, M yuan | relapse rate | differs from the chosen mix in |",
           "|---|---|---|---|"]  # fmt: skip
    for i, (_, r) in enumerate(top.iterrows()):
        cost = _m(r["spending"]) + ("" if i == 0 else f" (+{_m(r['spending'] - first['spending'])})")
        diff = ", ".join(f"{plan.vset.factors[k].en} {first[k]:g} -> {r[k]:g}"
                         for k in plan.names if r[k] != first[k]) or "-"  # fmt: skip
        out.append(f"| {int(r['trial'])} | {cost} | {100 * r['relapse_rate']:.3f}% | "
                   f"{'(chosen)' if i == 0 else diff} |")  # fmt: skip
    return out


def check_verdict(plan: Plan, rows: list[dict]) -> str:
    """Whether the chosen mix keeps the stated risk on the fresh seeds, and whether it is zero."""
    s = plan.pars.search
    n = len(s.holdout)
    best = [r for r in rows if r["scenario"] != r["baseline"]]
    counts = ", ".join(
        f"{r['scenario']} {round(r['p_large_scale'] * n)} of {n} "
        f"(upper bound {r['p_large_scale_upper95']:.2f})"
        for r in best
    )
    if any(r["p_large_scale_upper95"] > s.risk for r in best):
        return (f"Out of sample the chosen mix does NOT keep the stated risk ({s.risk:g}): "
                f"large-scale relapse in {counts}. Search on more seeds or choose a mix with "
                "more margin.")  # fmt: skip
    if any(r["p_large_scale"] > 0 for r in best):
        return (f"Out of sample the chosen mix keeps the stated risk ({s.risk:g}) in every "
                f"scenario, but not zero: large-scale relapse in {counts}. The search seeds "
                "had none; with more of them the cheapest feasible mix would cost more.")  # fmt: skip
    return (f"Out of sample the chosen mix had no large-scale relapse on any fresh seed: "
            f"{counts}.")  # fmt: skip


def optimise(plan: Plan, out: Path) -> dict[str, Any] | None:
    """Run the search (this worker's share), then, with one worker, write every output.

    With one worker, one command at a time writes ``out`` (:func:`sim.core.io.folder_lock`);
    several workers share it (and Optuna's storage) by design.
    """
    with folder_lock(out) if plan.pars.workers == 1 else contextlib.nullcontext():
        return _optimise(plan, out)


def _optimise(plan: Plan, out: Path) -> dict[str, Any] | None:
    t0 = time.perf_counter()
    ran = run_search(plan, out)
    if plan.pars.workers > 1:
        log.info("worker %d ran %d trials", plan.pars.worker, ran)
        return None
    return finish(plan, out, time.perf_counter() - t0)


__all__ = ["Plan", "chosen", "optimise", "pareto", "settings"]
