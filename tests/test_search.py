"""The least-cost search (sim.studies.search, experiments.optimize): its bookkeeping, exported mix and
resume, on a tiny search (full district, 6 months, 2 seeds, 1 shock scenario, 4 trials)."""

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.config.compose import compose, plain
from sim.core.errors import ConfigError
from sim.engine.schema import to_dict
from sim.studies.compare import summary_row, upper_bound_95
from sim.studies.run import simulate
from sim.studies.search import (
    base_params,
    convergence,
    mix_overrides,
    neighbours,
    open_study,
    pareto,
    screened_out,
    search_key,
    settings,
    stop_at,
    unrun_neighbours,
    verdict,
)
from sim.studies.uncertainty import apply, uncertainty_set

ROOT = Path(__file__).resolve().parents[1]
TINY = [
    "search.name=tiny", "search.trials=4", "search.batch=2", "search.seeds=[1,2]", "search.risk=0.8",
    "search.shocks=[default]", "search.holdout=[1001,1002]", "months=6",
    'search.base=["policy=status_quo","burn_in=2"]', "n_jobs=2", "search.screen.seeds=0",
]  # fmt: skip
ENV = os.environ | {"PYTHONWARNINGS": "ignore"}


def command(root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "experiments.optimize", f"output_root={root}",
            f"export_dir={root / 'export'}", *TINY, *extra]  # fmt: skip


def plan_of(root: Path, *extra: str):
    return settings(plain(compose([*TINY, f"output_root={root}", *extra], "optimize")))


def test_add_and_step_apply_to_every_year_and_are_checked():
    u = uncertainty_set({"name": "t", "factors": {
        "posts": {"keys": ["policy.public_jobs.posts"], "change": "add", "range": [-500, 500],
                  "step": 250, "integer": True, "en": "x", "zh": "x", "why": "test"},
        "std": {"keys": ["policy.dibao.standard"], "change": "add", "range": [-50, 50],
                "en": "x", "zh": "x", "why": "test"},
    }})  # fmt: skip
    cfg = {"policy": {"public_jobs": {"posts": 2000}, "dibao": {"standard": {"2021": 515}}}}
    out = apply(cfg, u, {"posts": -250, "std": 20})
    assert out["policy"]["public_jobs"]["posts"] == 1750
    assert out["policy"]["dibao"]["standard"] == {"2021": 535}
    with pytest.raises(ConfigError, match="step = 300: must be positive and divide the range"):
        uncertainty_set({"name": "t", "factors": {"p": {
            "keys": ["a"], "change": "add", "range": [0, 1000], "step": 300, "en": "x", "zh": "x",
            "why": "test"}}})  # fmt: skip


def test_a_changed_key_moves_the_keys_that_interpolate_it_as_hydra_does():
    """tekun's income limit is ${..dibao.standard}: a dibao uplift in a plan changes it too."""
    plan = plan_of(Path("unused"))
    raised = apply(plan.bases["default"], plan.vset, {"dibao_standard": 1.1})
    composed = to_dict(compose(["adjust=[policy.dibao.standard*1.1]", "months=6", "burn_in=2",
                                "population.scale=1.0", "chart=false"]))  # fmt: skip
    assert raised["policy"]["tekun"]["income_limit"] == composed["policy"]["tekun"]["income_limit"]
    assert raised["policy"]["tekun"]["income_limit"] != plan.bases["default"]["policy"]["tekun"][
        "income_limit"]  # fmt: skip
    assert raised == composed


def test_the_shipped_search_is_checked_and_starts_from_the_base_mix(tmp_path):
    plan = settings(plain(compose([f"output_root={tmp_path}"], "optimize")))
    assert len(plan.vset.factors) >= 9
    assert all(f.why and f.en and f.zh for f in plan.vset.factors.values())
    start = base_params(plan)  # trial 0 is the status quo itself: on every variable's grid
    assert start is not None
    base = plan.bases["default"]
    assert apply(base, plan.vset, start) == base
    # every shock scenario and reference is composed on the whole district
    assert {c["population"]["scale"] for c in plan.bases.values()} == {1.0}
    assert set(plan.refs) == {"status_quo", "plan_2025"}


def test_a_changed_search_does_not_resume_into_the_old_study(tmp_path):
    open_study(plan_of(tmp_path), tmp_path)
    open_study(plan_of(tmp_path), tmp_path)  # the same search opens again
    with pytest.raises(ConfigError, match="holds a search with other settings"):
        open_study(plan_of(tmp_path, "search.risk=0.9"), tmp_path)


def test_the_front_is_the_feasible_trials_nothing_feasible_beats():
    rng = np.random.default_rng(3)
    t = pd.DataFrame({"spending": rng.integers(0, 20, 200), "relapse_rate": rng.integers(0, 20, 200),
                      "feasible": rng.random(200) < 0.6})  # fmt: skip
    front = pareto(t)
    ok = t[t["feasible"]]
    for i in range(len(t)):
        x = t.iloc[i]
        beaten = ((ok["spending"] <= x["spending"]) & (ok["relapse_rate"] <= x["relapse_rate"])
                  & ((ok["spending"] < x["spending"]) | (ok["relapse_rate"] < x["relapse_rate"])))  # fmt: skip
        assert front[i] == (bool(x["feasible"]) and not beaten.any())


def synthetic(rows: list[tuple[float, float, bool | None]]) -> pd.DataFrame:
    """A trials table from (spending on seed 1, on seed 2, feasible) per trial, in million yuan."""
    return pd.DataFrame({
        "trial": range(len(rows)), "asked": ["start"] + ["random"] * (len(rows) - 1),
        "spending": [1e6 * (a + b) / 2 for a, b, _ in rows], "relapse_rate": 0.01,
        "feasible": pd.array([f for _, _, f in rows], dtype="boolean"),
        "screened": ["" if f is not None else "costlier" for _, _, f in rows],
        "spending_runs": [{"default/1": 1e6 * a, "default/2": 1e6 * b} for a, b, _ in rows],
    })  # fmt: skip


def test_the_stopping_rule_waits_out_start_up_and_patience_and_ignores_the_seeds_noise():
    plan = plan_of(Path("unused"), "search.stop.patience=3", "search.stop.noise=2",
                   "search.sampler.startup=2", "search.starts=null")  # fmt: skip
    before = [(100, 100, True), (90, 92, True), (300, 300, True), (10, 10, False)]
    # trial 4 is cheaper by 40 on both seeds (no noise): the rule holds only once trial 4 is
    # patience (3) trials old: after 8 trials, not 5 (start-up 2 + patience 3)
    base = base_params(plan)  # every trial here the base mix: the grid check below
    big = synthetic([*before, (50, 52, True), *[(200, 200, None)] * 5]).assign(**base)
    assert stop_at(plan, big) == 8
    assert list(convergence(big)["best_trial"]) == [0, 1, 1, 1, 4, 4, 4, 4, 4, 4]
    # cheaper by 1 and 0.1: mean 0.55 is within 2 paired standard errors (2 x 0.45)
    small = synthetic([*before, (89, 91.9, True), *[(200, 200, None)] * 5])
    assert stop_at(plan, small) == 5
    # too few trials, or still improving at the end: not converged, and said why
    assert stop_at(plan, big.iloc[:4]) is None
    assert "fewer than the 5 the rule needs" in verdict(plan, big.iloc[:4])["text"]
    v = verdict(plan, big.iloc[:7])
    assert not v["converged"] and "fell from trial 1 to trial 4, by 40.0 million yuan" in v["text"]
    # converged only once every grid neighbour of the cheapest mix has run (none cheaper)
    v = verdict(plan, big)
    assert not v["converged"] and "grid neighbours of the cheapest mix were not run" in v["text"]
    around = neighbours(plan, base)
    assert len(around) == len(unrun_neighbours(plan, big)) > 0
    assert all(sum(n[k] != base[k] for k in base) == 1 for n in around)  # one variable each
    for name, f in plan.vset.factors.items():  # one step either way, within the range
        for n in (n for n in around if n[name] != base[name]):
            assert abs(abs(n[name] - base[name]) - f.step) < 1e-9
            assert f.range[0] <= n[name] <= f.range[1]
    local = synthetic([(250, 250, None)] * len(around)).assign(
        trial=range(len(big), len(big) + len(around)), asked="local")
    local[list(base)] = pd.DataFrame(around).to_numpy()
    done = pd.concat([big, local], ignore_index=True)
    assert unrun_neighbours(plan, done) == []
    v = verdict(plan, done)
    assert v["converged"] and v["at"] == 8 and f"then {len(around)} local trials" in v["text"]
    # the front's hypervolume only grows, to all of its final value
    hv = convergence(big)["hypervolume_share"].to_numpy()
    assert np.all(np.diff(hv) >= 0) and hv[-1] == 1.0


def test_warm_starts_follow_the_base_mix_and_keep_the_base_where_they_are_silent(tmp_path):
    from optuna.trial import TrialState

    plan = plan_of(tmp_path, "~search.starts", "+search.starts={a:{trainees:-1500},b:{dibao_standard:1.1}}")
    study = open_study(plan, tmp_path)
    asked = [t.system_attrs["fixed_params"] for t in study.get_trials(states=(TrialState.WAITING,))]
    base = base_params(plan)
    assert asked == [base, base | {"trainees": -1500}, base | {"dibao_standard": 1.1}]


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    root = tmp_path_factory.mktemp("search")
    proc = subprocess.run(command(root), cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root, root / "search" / "tiny"


def stored_runs(out: Path) -> pd.DataFrame:
    return pd.concat(
        [pd.read_parquet(p) for p in sorted((out / "runs" / "default").glob("chunk_*.parquet"))]
    ).rename(columns={"point": "trial"})


@pytest.mark.slow
def test_each_trial_is_the_mean_of_its_runs_and_feasible_by_its_bound(searched):
    _, out = searched
    trials = pd.read_csv(out / "trials.csv")
    runs = stored_runs(out)
    assert list(trials["trial"]) == [0, 1, 2, 3]
    assert sorted(set(runs["seed"])) == [1, 2]
    for _, t in trials.iterrows():
        r = runs[runs["trial"] == t["trial"]]
        assert len(r) == 2
        assert t["spending"] == pytest.approx(r["spending"].mean(), rel=1e-12)
        assert t["relapse_rate"] == pytest.approx(r["relapse_rate"].mean(), rel=1e-12)
        k = int(r["large_scale"].sum())
        assert t["large_scale_default"] == k
        assert t["p_upper_default"] == pytest.approx(upper_bound_95(k, 2), rel=1e-12)
        assert t["feasible"] == (upper_bound_95(k, 2) <= 0.8)
    plan = plan_of(out.parent.parent)
    first = trials.iloc[0]
    assert {n: first[n] for n in plan.names} == pytest.approx(base_params(plan))
    assert list(trials["pareto"]) == list(pareto(trials))
    for name in ("pareto.png", "pareto.svg", "front.csv", "search.md", "search.json"):
        assert (out / name).stat().st_size > 0


@pytest.mark.slow
def test_the_exported_mix_reproduces_its_trial_and_is_checked_on_fresh_seeds(searched):
    root, out = searched
    trials = pd.read_csv(out / "trials.csv")
    ok = trials[trials["feasible"]].sort_values(["spending", "relapse_rate", "trial"])
    assert len(ok), "the tiny search's risk (0.8) lets 0 of 2 seeds pass"
    best = ok.iloc[0]
    policy = root / "export" / "policy" / "tiny_best.yaml"
    assert yaml.safe_load(policy.read_text())["defaults"] == ["status_quo", "_self_"]
    # the file, composed as any policy mix, gives the trial's run on seed 1 exactly
    over = [f"hydra.searchpath=[file://{root / 'export'}]", "policy=tiny_best",
            "shocks=default", "months=6", "burn_in=2", "seed=1", "chart=false"]  # fmt: skip
    row = summary_row(simulate(to_dict(compose(over))).summary)
    stored = stored_runs(out)
    stored = stored[(stored["trial"] == best["trial"]) & (stored["seed"] == 1)].iloc[0]
    assert {k: stored[k] for k in row} == row
    # the trial's config, the file and the command-line form of the mix are one config
    plan = plan_of(root)
    values = {n: best[n].item() for n in plan.names}
    via_file = to_dict(compose(over))["policy"]
    via_cli = to_dict(compose([*over[:1], "policy=status_quo", "shocks=default", "months=6",
                               "burn_in=2", *mix_overrides(plan, values)]))["policy"]  # fmt: skip
    ran = apply(plan.bases["default"], plan.vset, values)["policy"]
    assert via_file | {"name": "x"} == via_cli | {"name": "x"} == ran | {"name": "x"}
    # the commands the outputs print run as written: the file's, and the mix without the file
    head = [ln[4:] for ln in policy.read_text().splitlines() if ln.startswith("#   python")]
    md = (out / "search.md").read_text()
    without = md.split("without the file: `")[1].split("`")[0]
    for line in [head[1], without]:
        words = shlex.split(line)[3:]
        if words[0] == "--config-dir":
            words = [f"hydra.searchpath=[file://{words[1]}]", *words[2:]]
        cfg = to_dict(compose([*words, "chart=false"]))
        assert cfg["policy"] | {"name": "x"} == ran | {"name": "x"}
        assert {k: v for k, v in cfg.items() if k != "policy"} == {
            k: v for k, v in plan.bases["default"].items() if k != "policy"}  # fmt: skip
    # and the search's own command, printed in both, gives this search
    written_by = shlex.split(head[0])[3:]
    assert f"`{head[0]}`" in md
    assert search_key(settings(plain(compose(written_by, "optimize")))) == search_key(plan)
    # out of sample: base and chosen mix on the holdout seeds only, paired
    check = pd.read_csv(out / "check" / "summary.csv")
    assert set(check["scenario"]) == {"base / default", "best / default"}
    assert set(check["seeds"]) == {2}
    runs = pd.read_parquet(out / "check" / "runs.parquet")
    assert sorted(set(runs["seed"])) == [1001, 1002]


@pytest.mark.slow
def test_a_killed_search_resumes_to_the_same_trials(searched, tmp_path):
    """Kill the command while a batch's trials are running; the same command then finishes
    with the trials one uninterrupted process found, byte for byte (on one worker here, two
    there: where the runs went does not matter)."""
    _, whole = searched
    again = command(tmp_path, "check=false", "n_jobs=1")  # the batch's trials one by one
    proc = subprocess.Popen(again, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    out = tmp_path / "search" / "tiny"
    chunk = out / "runs" / "default" / "chunk_00002.parquet"  # the second batch has begun
    deadline = time.time() + 300
    while not chunk.exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert chunk.exists() and not (out / "trials.csv").exists()
    from optuna.trial import TrialState

    study = open_study(plan_of(tmp_path), out)
    states = [t.state for t in study.get_trials(deepcopy=False)]
    assert states.count(TrialState.RUNNING) >= 1, states  # the kill interrupted a batch
    stamp = chunk.stat().st_mtime_ns
    subprocess.run(again, cwd=ROOT, env=ENV, check=True, capture_output=True)
    assert chunk.stat().st_mtime_ns == stamp  # the finished trial's runs were kept
    assert (out / "trials.csv").read_bytes() == (whole / "trials.csv").read_bytes()


@pytest.mark.slow
def test_workers_share_one_study_and_each_resumes_only_its_own_trials(tmp_path):
    """Launcher jobs (``workers``) ask from one journal; a job run again evaluates the trials
    it had asked itself, never another job's running ones."""
    from optuna.trial import TrialState

    from sim.studies.search import distributions, run_search, trials_table

    quick = ["months=2", 'search.base=["policy=status_quo","burn_in=1"]', "n_jobs=1",
             "search.trials=3", "search.batch=1", "workers=2"]  # fmt: skip
    plan0, plan1 = (plan_of(tmp_path, *quick, f"worker={w}") for w in (0, 1))
    out = tmp_path / "s"
    study = open_study(plan1, out)
    asked = study.ask(distributions(plan1.vset))  # worker 1 took trial 0, then was stopped
    asked.set_user_attr("worker", 1)
    assert run_search(plan0, out) == 2  # worker 0 runs trials 1 and 2, leaves 0 alone
    states = [t.state for t in open_study(plan0, out).get_trials(deepcopy=False)]
    assert states == [TrialState.RUNNING, TrialState.COMPLETE, TrialState.COMPLETE]
    assert run_search(plan1, out) == 1  # worker 1 again: its own trial 0
    table = trials_table(plan0, open_study(plan0, out))
    assert list(table["trial"]) == [0, 1, 2]
    assert {n: table.iloc[0][n] for n in plan0.names} == pytest.approx(base_params(plan0))


@pytest.mark.slow
def test_screening_runs_the_other_seeds_only_for_trials_that_can_still_be_cheapest(tmp_path):
    """Screen on 2 of 3 seeds with no margin: every trial's fate, recomputed from its stored
    runs and the cheapest feasible trial before its batch, is the one the search gave it."""
    screen = ["search.seeds=[1,2,3]", "search.screen.seeds=2", "search.screen.margin=0",
              "search.trials=10", "search.sampler.startup=2", "search.stop.patience=1",
              "check=false"]  # fmt: skip
    proc = subprocess.run(command(tmp_path, *screen), cwd=ROOT, env=ENV, capture_output=True,
                          text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "search" / "tiny"
    plan = plan_of(tmp_path, *screen)
    trials = pd.read_csv(out / "trials.csv", keep_default_na=False)
    first = stored_runs(out)
    more = pd.concat([pd.read_parquet(p) for p in (out / "runs" / "default" / "more").glob("*")])
    more = more.rename(columns={"point": "trial"})
    assert set(first["seed"]) == {1, 2} and set(more["seed"]) == {3}
    assert (trials["screened"] == "costlier").any() and (trials["screened"] == "").sum() >= 2
    # the rule held after 4 trials (3 given + patience 1): grid neighbours of the cheapest
    # mix came next, more than the budget had room for, and the verdict says so
    assert (trials["asked"] == "local").sum() >= 4
    assert "grid neighbours of the cheapest mix were not run within the budget" in (
        out / "search.md").read_text()
    spend = {}
    for _, t in trials.iterrows():
        n = int(t["trial"])
        runs = pd.concat([first[first["trial"] == n], more[more["trial"] == n]]).assign(
            shock="default")
        spend[n] = {f"default/{r.seed}": r.spending for r in runs.itertuples()}
        assert t["spending"] == pytest.approx(runs["spending"].mean(), rel=1e-12)
        assert t["seeds"] == len(runs) == (2 if t["screened"] else 3)
        earlier = trials[(trials["trial"] < n - n % 2) & (trials["screened"] == "")
                         & (trials["feasible"] == "True")]  # the batch of 2 it was asked in
        best = (None if earlier.empty else
                spend[int(earlier.sort_values(["spending", "relapse_rate", "trial"]).iloc[0]["trial"])])
        assert screened_out(plan, runs[runs["seed"] <= 2], best) == t["screened"]
        assert t["feasible"] == ("" if t["screened"] == "costlier" else "True")
