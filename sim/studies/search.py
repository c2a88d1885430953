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

    @property
    def names(self) -> list[str]:
        """The decision variables, in file order."""
        return list(self.vset.factors)


def _overrides(where: str, over: Any) -> list[str]:
    if not isinstance(over, list | tuple) or not all(isinstance(o, str) for o in over):
        raise ConfigError(f"{where} = {over!r}: must be a list of overrides")
    return list(over)


def settings(cfg: dict) -> Plan:
    """Parse and check everything before a run (``cfg``: :func:`sim.config.compose.plain` of the root)."""
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
    return Plan(pars, vset, bases, refs, policy)


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
        lo, hi = f.range
        on_grid = f.step is None or abs((v - lo) / f.step - round((v - lo) / f.step)) < 1e-9
        if not (lo <= v <= hi and on_grid):
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
    """What a stored study depends on: every run's config, variables, seeds, risk, sampler, code."""
    s = plan.pars.search
    return config_hash({
        "bases": plan.bases, "variables": {n: repr(f) for n, f in plan.vset.factors.items()},
        "seeds": list(s.seeds), "risk": s.risk, "sampler": dataclasses.asdict(s.sampler),
        "batch": s.batch, "code": code_version(),
    })  # fmt: skip


def open_study(plan: Plan, out: Path):
    """The search's study in its journal file; refused if it holds another search's trials."""
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
        if start is not None:  # trial 0: the base mix itself
            study.enqueue_trial(start)
    elif stored != key:
        raise ConfigError(
            f"{out / 'study.journal'} holds a search with other settings or model code; move "
            "the folder away (or rename search.name) to start a new one"
        )
    return study


def trial_stats(plan: Plan, runs: pd.DataFrame) -> dict[str, Any]:
    """One trial's objectives and, per shock scenario, P(large-scale) and its upper bound."""
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
    }


def evaluate(plan: Plan, batch: list[tuple[int, dict]], out: Path) -> dict[int, pd.DataFrame]:
    """Run each (trial number, params) of ``batch`` on every seed and shock scenario.

    The numbers are consecutive: each trial is one stored chunk (``runs/<shock>/``), so a
    stopped batch keeps the trials it finished.
    """
    s, names = plan.pars.search, plan.names
    points = np.array([[clean(params[n]) for n in names] for _, params in batch], dtype=float)
    first = batch[0][0]
    tables = []
    for shock, base in plan.bases.items():
        runs = run_sample(
            base, plan.vset, names, points, list(s.seeds), out / "runs" / shock,
            n_jobs=plan.pars.n_jobs, chunk=1, offset=first,
            desc=f"trials {first}-{first + len(batch) - 1}, {shock}", runner=of(plan.pars),
        )  # fmt: skip
        tables.append(runs.assign(shock=shock))
    runs = pd.concat(tables, ignore_index=True).rename(columns={"point": "trial"})
    return {n: runs[runs["trial"] == n] for n, _ in batch}


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


def _row(plan: Plan, st: dict[str, Any]) -> dict[str, Any]:
    row = {"spending": st["spending"], "relapse_rate": st["relapse_rate"],
           "feasible": all(c <= 0 for c in st["constraints"].values())}  # fmt: skip
    for shock, v in st["shocks"].items():
        row |= {f"large_scale_{shock}": v["k"], f"p_upper_{shock}": v["upper"]}
    return row


def run_search(plan: Plan, out: Path) -> int:
    """Ask, run and tell trials until ``search.trials`` are complete; the trials this job ran.

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
        if not mine and left <= 0:
            return ran
        batch = [(Trial(study, t._trial_id), t.params) for t in mine]
        while len(batch) < s.batch and left > 0:
            study.sampler = sampler(plan, len(study.get_trials(deepcopy=False)))
            trial = study.ask(dist)
            trial.set_user_attr("worker", p.worker)
            batch.append((trial, trial.params))
            left -= 1
        numbers = [t.number for t, _ in batch]
        if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
            runs = evaluate(plan, [(t.number, params) for t, params in batch], out)
        else:  # another worker asked in between: trial by trial (chunks are numbered by trial)
            runs = {}
            for t, params in batch:
                runs |= evaluate(plan, [(t.number, params)], out)
        for t, _ in batch:
            _tell(study, plan, t, runs[t.number])
        ran += len(batch)


def _tell(study, plan: Plan, trial, runs: pd.DataFrame) -> None:
    st = trial_stats(plan, runs)
    for shock, c in st["constraints"].items():  # Optuna's constraints: <= 0 is feasible
        trial.set_constraint(shock, c)
    trial.set_user_attr("shocks", st["shocks"])
    study.tell(trial, [st["spending"], st["relapse_rate"]])


def trials_table(plan: Plan, study) -> pd.DataFrame:
    """Every complete trial: its variables, objectives, P(large-scale) bounds, feasibility."""
    from optuna.trial import TrialState

    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        st = {
            "spending": t.values[0],
            "relapse_rate": t.values[1],
            "constraints": t.constraints,
            "shocks": t.user_attrs["shocks"],
        }
        values = {n: clean(t.params[n]) for n in plan.names}
        rows.append({"trial": t.number} | values | _row(plan, st))
    table = pd.DataFrame(rows).sort_values("trial", ignore_index=True)
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
    ok = table["feasible"].to_numpy(bool)
    front = np.zeros(len(table), bool)
    for i in np.flatnonzero(ok):
        others = x[ok]
        beaten = np.any(np.all(others <= x[i], axis=1) & np.any(others < x[i], axis=1))
        front[i] = not beaten
    return front


def chosen(table: pd.DataFrame) -> pd.Series | None:
    """The cheapest feasible trial (then the lower relapse rate), or None."""
    ok = table[table["feasible"]]
    if ok.empty:
        return None
    return ok.sort_values(["spending", "relapse_rate", "trial"]).iloc[0]


def mix_overrides(plan: Plan, values: dict[str, float | int]) -> list[str]:
    """The mix as command-line overrides on the base (``adjust`` for scale and add)."""
    return overrides(plan.vset, values)


def export_folder(pars: Settings) -> Path:
    """Where the chosen mix's policy file goes (``<folder>/policy/``): scenarios/ by default."""
    return CONFIG_DIR if pars.export_dir is None else Path(pars.export_dir).resolve()


def run_command(plan: Plan) -> str:
    """The command that runs the exported mix (with ``--config-dir`` unless in scenarios/)."""
    export = export_folder(plan.pars)
    where = "" if export == CONFIG_DIR else f"--config-dir {export} "
    return f"python -m experiments.run {where}policy={plan.pars.search.name}_best shocks=<scenario>"


def write_policy(plan: Plan, trial: int, values: dict[str, float | int], path: Path) -> Path:
    """The chosen mix as a policy config extending the base mix's policy, a reason per value."""
    s = plan.pars.search
    name = f"{s.name}_best"
    changed = changed_policy(next(iter(plan.bases.values())), plan.vset, values)
    text = policy_text(changed, name, plan.policy, [
        f"The least-cost mix of search {s.name} (trial {trial}): the cheapest trial",
        f"whose P(large-scale relapse) has a 95% upper bound <= {s.risk:g} under every shock",
        f"scenario ({', '.join(s.shocks)}) on {len(s.seeds)} seeds. Written by",
        f"python -m experiments.optimize search={s.name}; run it with",
        f"  {run_command(plan)}",
        f"Every other value is the base mix's ({plan.policy}), with its units and sources.",
    ])  # fmt: skip
    atomic_write(path, lambda p: p.write_text(text))
    return path


def check_experiment(plan: Plan, values: dict[str, float | int], n: int) -> Experiment:
    """Base and chosen mix on the holdout seeds under every shock scenario, paired."""
    s = plan.pars.search
    base = [*s.base] + ([f"months={plan.pars.months}"] if plan.pars.months else [])
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
    from sim.reports.charts import pareto_chart  # lazy: matplotlib (Agg), 0.7 s

    p, s = plan.pars, plan.pars.search
    study = open_study(plan, out)
    table = trials_table(plan, study)
    refs = references(plan, out)
    write_parquet(table, out / "trials.parquet")
    write_csv(table, out / "trials.csv")
    front = table[table["pareto"]].sort_values("spending")
    write_csv(front, out / "front.csv")
    best = chosen(table)
    result: dict[str, Any] = {"trials": len(table), "feasible": int(table["feasible"].sum()),
                              "seconds": seconds, "best": None, "check": None}  # fmt: skip
    for lang in dict.fromkeys([p.lang, "en"]):
        pareto_chart(plan, table, refs, best, out / _stem("pareto", lang), lang)
    if best is not None:
        trial, values = int(best["trial"]), row_values(plan, best)
        path = export_folder(p) / "policy" / f"{s.name}_best.yaml"
        write_policy(plan, trial, values, path)
        result["best"] = {"trial": trial, "policy": str(path), "values": values,
                          "overrides": mix_overrides(plan, values)}  # fmt: skip
        if p.check:
            exp = check_experiment(plan, values, trial)
            check_table = compare(exp, out / "check", n_jobs=p.n_jobs, lang=p.lang, runner=of(p))
            result["check"] = check_table.to_dict("records")
    write_text(markdown(plan, table, refs, result), out / "search.md")
    write_json(result | {"code": code_version()}, out / "search.json")
    return result


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

    out = [
        f"# {s.title}", "",
        f"{len(table)} trials ({result['feasible']} feasible), each on {len(s.seeds)} seeds "
        f"({', '.join(map(str, s.seeds))}) under {len(shocks)} shock scenarios "
        f"({', '.join(shocks)}); feasible: the 95% upper bound of P(large-scale relapse) "
        f"<= {s.risk:g} in every scenario. Objectives: spending (million yuan, all levers, "
        "whole horizon) and the relapse rate of PA households, means over scenarios and seeds.",
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
    out += ["", f"Policy config: `{best['policy']}`; run it with "
            f"`{run_command(plan)}`, or on the "
            f"base: `{' '.join(best['overrides'])}`."]  # fmt: skip
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
