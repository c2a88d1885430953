"""Uncertainty sets, the ensemble engine, sensitivity analysis and scenario discovery."""

import dataclasses
import os
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
from sim.studies import ensemble
from sim.studies.compare import summary_row
from sim.studies.run import simulate
from sim.studies.sensitivity import box_words, interest, run_methods, settings
from sim.studies.uncertainty import apply, checked_set, uncertainty_set

ROOT = Path(__file__).resolve().parents[1]
FULING = yaml.safe_load((ROOT / "scenarios/uncertainty/fuling.yaml").read_text())


def small(*extra: str) -> dict:
    return to_dict(compose(["population.scale=0.01", "months=6", "chart=false", *extra]))


def factor(keys, change="scale", rng=(0.5, 2.0), **more) -> dict:
    return {"keys": list(keys), "change": change, "range": list(rng), "en": "x", "zh": "x",
            "why": "test"} | more  # fmt: skip


def test_apply_scales_every_year_and_entry_and_sets_values():
    cfg = small()
    u = uncertainty_set({"name": "t", "factors": {
        "std": factor(["policy.dibao.standard"]),
        "take": factor(["policy.dibao.take_up"]),
        "cut": factor(["shocks.lockdown.periods.0.wage_cut"], "value", (0, 1)),
        "delay": factor(["policy.monitoring.verify_months"], "value", (1, 3), integer=True),
    }})  # fmt: skip
    cfg["shocks"]["lockdown"]["periods"] = [{"start": "2021-04", "months": 2, "wage_cut": 0.7,
                                             "p_job_loss": 0.3}]  # fmt: skip
    out = apply(cfg, u, {"std": 1.5, "take": 0.5, "cut": 0.2, "delay": 3})
    assert out["policy"]["dibao"]["standard"] == {
        y: v * 1.5 for y, v in cfg["policy"]["dibao"]["standard"].items()
    }
    assert out["policy"]["dibao"]["take_up"] == {
        c: v * 0.5 for c, v in cfg["policy"]["dibao"]["take_up"].items()
    }
    assert out["shocks"]["lockdown"]["periods"][0]["wage_cut"] == 0.2
    assert out["policy"]["monitoring"]["verify_months"] == 3
    assert cfg["shocks"]["lockdown"]["periods"][0]["wage_cut"] == 0.7  # the base is untouched
    assert out["burn_in_policy"] == cfg["burn_in_policy"]  # the burn-in keeps the status quo


def test_integer_factors_draw_every_whole_number_of_their_range_equally():
    u = uncertainty_set(
        {
            "name": "t",
            "factors": {
                "d": factor(["policy.monitoring.verify_months"], "value", (1, 3), integer=True)
            },
        }
    )
    lo, hi = u.problem()["bounds"][0]
    draws = np.random.default_rng(1).uniform(lo, hi, 30_000)
    counts = np.bincount([u.factors["d"].value(x) for x in draws], minlength=4)[1:]
    expected = len(draws) / 3
    sd = np.sqrt(len(draws) * (1 / 3) * (2 / 3))
    assert np.all(np.abs(counts - expected) < 4 * sd), counts
    assert u.factors["d"].value(hi) == 3  # the upper end itself stays in the range


def test_the_shipped_set_is_checked_against_the_config_and_has_15_factors_with_reasons():
    base = to_dict(compose(["shocks=lockdown", "population.scale=0.01"]))
    u = checked_set(FULING, base)
    assert len(u.factors) >= 15
    for name, f in u.factors.items():
        assert f.why.strip() and f.en and f.zh, name


def test_large_scale_relapse_is_judged_on_the_whole_district_only():
    from sim.studies.run import judges_large_scale, large_scale_line

    res = simulate(small())
    assert res.summary["large_scale"] is None
    assert large_scale_line(res.summary).startswith("large-scale relapse: not judged at scale 0.01")
    assert judges_large_scale(dataclasses.replace(res.model.cfg.population, scale=1.0))
    events = [{"year": 2023, "where": "district"}, {"year": 2024, "where": "town 3"}]
    assert large_scale_line({"large_scale": True, "large_scale_events": events}).endswith(
        "YES (district in 2023, town 3 in 2024)"
    )


def test_a_range_end_the_config_refuses_is_named():
    data = {
        "name": "t",
        "factors": {"p": factor(["policy.monitoring.p_visit"], "value", (0.5, 1.5))},
    }
    with pytest.raises(ConfigError, match=r"factors.p.range: at 1.5 the run is refused: "
                       r"policy.monitoring.p_visit = 1.5: must be a probability"):  # fmt: skip
        checked_set(data, small())


def test_a_shared_district_gives_the_same_run_as_a_fresh_one():
    """Points that differ in growth after the base year share the district, exactly."""
    cfg = small("seed=4")
    faster = small("seed=4", "population.economy.farm_growth=0.2")
    assert ensemble.district_key(cfg) == ensemble.district_key(faster)
    ensemble.run_point(cfg)  # builds and keeps the district
    shared = ensemble.run_point(faster)
    assert shared == summary_row(simulate(faster).summary)
    other_seed = small("seed=5")
    assert ensemble.district_key(other_seed) != ensemble.district_key(cfg)


@pytest.mark.slow
def test_a_rule_only_step_is_judged_again_exactly_as_a_fresh_run():
    """Full district (the rule is judged at scale 1 only), a short run."""
    over = ["months=12", "burn_in=1", "chart=false"]
    strict = to_dict(compose([*over, "outcomes.large_scale.town_min_count=100",
                              "outcomes.large_scale.district_rate=1"]))  # fmt: skip
    loose = to_dict(compose([*over, "outcomes.large_scale.town_min_count=2",
                             "outcomes.large_scale.town_rate=0.001"]))  # fmt: skip
    judged = {}
    a = ensemble.run_point(strict, judged)
    b = ensemble.run_point(loose, judged)
    assert len(judged) == 1  # one simulation for both
    assert b == summary_row(simulate(loose).summary)
    assert a["large_scale"] is False and b["large_scale"] is True
    assert {k: v for k, v in a.items() if k != "large_scale"} == {
        k: v for k, v in b.items() if k != "large_scale"
    }


def sample_inputs():
    u = uncertainty_set({"name": "t", "factors": {
        "ill": factor(["shocks.illness.p_person_year"], rng=(0.5, 1.5)),
        "visit": factor(["policy.monitoring.p_visit"], "value", (0.2, 0.8)),
    }})  # fmt: skip
    points = np.random.default_rng(3).uniform([0.5, 0.2], [1.5, 0.8], size=(10, 2))
    return small(), u, ["ill", "visit"], points


def test_a_sample_is_the_same_on_one_or_two_workers_and_resumes_only_what_is_missing(tmp_path):
    base, u, names, points = sample_inputs()
    one = ensemble.run_sample(base, u, names, points, [1, 2], tmp_path / "a", chunk=3)
    two = ensemble.run_sample(base, u, names, points, [1, 2], tmp_path / "b", n_jobs=2, chunk=3)
    pd.testing.assert_frame_equal(one, two)
    assert list(one["point"]) == [p for p in range(10) for _ in (1, 2)]
    first = pd.read_parquet(tmp_path / "a" / "chunk_00001.parquet")
    assert first["point"].tolist() == [3, 3, 4, 4, 5, 5]
    # a kill: one chunk lost, one half-written (a temporary file); the rest is kept
    chunks = sorted((tmp_path / "a").glob("chunk_*.parquet"))
    kept = {p: p.stat().st_mtime_ns for p in chunks[1:]}
    chunks[0].unlink()
    (tmp_path / "a" / ".chunk_00000.parquet.x1y2.tmp").write_bytes(b"half")
    again = ensemble.run_sample(base, u, names, points, [1, 2], tmp_path / "a", chunk=3)
    pd.testing.assert_frame_equal(one, again)
    assert {p: p.stat().st_mtime_ns for p in chunks[1:]} == kept
    assert not list((tmp_path / "a").glob(".*.tmp"))


def test_a_sample_split_in_parts_gives_the_same_table(tmp_path):
    base, u, names, points = sample_inputs()
    whole = ensemble.run_sample(base, u, names, points, [1], tmp_path / "w", chunk=4)
    for part in range(3):
        assert ensemble.run_sample(base, u, names, points, [1], tmp_path / "p", chunk=4,
                                   part=part, parts=3) is None  # fmt: skip
    files = sorted((tmp_path / "p").glob("chunk_*.parquet"))
    mtimes = [p.stat().st_mtime_ns for p in files]
    joined = ensemble.run_sample(base, u, names, points, [1], tmp_path / "p", chunk=4)
    pd.testing.assert_frame_equal(whole, joined)
    assert [p.stat().st_mtime_ns for p in files] == mtimes  # nothing run again


def test_a_changed_point_or_config_is_run_again(tmp_path):
    base, u, names, points = sample_inputs()
    ensemble.run_sample(base, u, names, points, [1], tmp_path, chunk=5)
    moved = points.copy()
    moved[7, 0] = 1.4
    stamp = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("chunk_*.parquet")}
    out = ensemble.run_sample(base, u, names, moved, [1], tmp_path, chunk=5)
    now = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("chunk_*.parquet")}
    assert now["chunk_00000.parquet"] == stamp["chunk_00000.parquet"]
    assert now["chunk_00001.parquet"] != stamp["chunk_00001.parquet"]
    assert out.loc[out["point"] == 7, "ill"].item() == 1.4


def analysis(tmp_path, *extra):
    cfg = compose(["scale=0.02", "months=12", f"output_root={tmp_path}", "analysis.morris.r=3",
                   "analysis.sobol.n=16", "analysis.sobol.factors=4", *extra], "sensitivity")  # fmt: skip
    return settings(plain(cfg))


@pytest.mark.slow
def test_morris_and_sobol_find_no_effect_where_there_is_none(tmp_path):
    """The rule's thresholds change no run: their relapse and spending indices are exactly zero.

    Illness drives spending in this model: its Morris effect is clearly above zero.
    """
    plan = analysis(tmp_path, "analysis.sobol.names=[illness_rate,illness_cost,rule_town_count,"
                    "rule_district_rate]")  # fmt: skip
    assert "large_scale" not in plan.outcomes  # not judged at scale 0.02
    done = run_methods(plan, tmp_path)
    m = done["morris"].set_index(["outcome", "factor"])
    for o in ("relapse_rate", "spending", "newly_poor_peak"):
        for f in ("rule_town_rate", "rule_town_count", "rule_district_rate"):
            assert m.loc[(o, f), "mu_star"] == 0
    assert m.loc[("spending", "illness_rate"), "mu_star_lo"] > 0
    s = done["sobol"].set_index(["outcome", "factor"])
    for o in ("spending", "newly_poor_peak"):  # relapse is too rare at this scale to vary
        for f in ("rule_town_count", "rule_district_rate"):
            assert s.loc[(o, f), "ST"] == 0 and s.loc[(o, f), "S1"] == 0
    out = tmp_path / "morris"
    for name in ("indices.parquet", "indices.csv", "indices.md", "sample.parquet", "sample.csv",
                 "morris.png", "morris.svg", "analysis.json"):  # fmt: skip
        assert (out / name).is_file(), name
    sample = pd.read_parquet(out / "sample.parquet")
    assert len(sample) == 3 * (len(plan.uset.factors) + 1)
    assert set(plan.uset.factors) <= set(sample.columns)
    named = tmp_path / "sobol_illness_rate+illness_cost+rule_town_count+rule_district_rate"
    assert (named / "indices.csv").is_file()  # named factors: a folder of their own
    assert not (tmp_path / "sobol").exists()  # the Morris leaders' folder is another one


def test_sobol_takes_the_morris_leaders_of_every_outcome():
    from sim.studies.sensitivity import top_factors

    plan = settings(plain(compose(["scale=0.01", "analysis.sobol.factors=2"], "sensitivity")))
    table = pd.DataFrame({
        "outcome": ["a"] * 3 + ["b"] * 3,
        "factor": ["illness_rate", "illness_cost", "disability"] * 2,
        "mu_star": [10.0, 9.0, 0.0, 0.001, 0.0, 0.002],  # b's leader: disability, tiny units
    })  # fmt: skip
    assert top_factors(plan, table) == ["illness_rate", "disability"]


def test_box_words():
    u = uncertainty_set(FULING)
    limits = [
        {"factor": "illness_rate", "low": 1.1, "high": None, "change": "scale"},
        {"factor": "medical_cost_growth", "low": None, "high": 0.07, "change": "value"},
        {"factor": "rule_town_count", "low": 6, "high": 12, "change": "value"},
    ]
    assert box_words(u, limits) == (
        "illness rate above 1.1x the config's value and medical cost growth below 0.07 and "
        "rule - town households between 6 and 12"
    )


@pytest.mark.slow
def test_prim_box_holds_what_it_says(tmp_path):
    """The reported coverage and density are those of the box's limits over the sample."""
    plan = analysis(tmp_path, "methods=[prim]", "analysis.prim.n=64",
                    "analysis.prim.outcome=spending", "analysis.prim.above=1.6e7")  # fmt: skip
    res = run_methods(plan, tmp_path)["prim"]
    runs = pd.read_parquet(tmp_path / "prim" / "sample.parquet")
    y = interest(plan, runs, 64)
    assert res["of_interest"] == int(y.sum())
    if not res["boxes"]:
        pytest.fail(f"no box: {res}")
    box = res["boxes"][0]
    x = runs.groupby("point")[list(plan.uset.factors)].first()
    inside = np.ones(len(x), bool)
    for lim in box["limits"]:
        if lim["low"] is not None:
            inside &= x[lim["factor"]].to_numpy() >= lim["low"]
        if lim["high"] is not None:
            inside &= x[lim["factor"]].to_numpy() <= lim["high"]
    assert box["density"] == pytest.approx(y[inside].mean())
    assert box["coverage"] == pytest.approx(y[inside].sum() / y.sum())
    assert box["words"] in (tmp_path / "prim" / "boxes.md").read_text()
    for name in ("prim.png", "prim.svg", "trajectory.parquet", "boxes.json"):
        assert (tmp_path / "prim" / name).is_file()
    # reanalysed from the stored sample: no run, the same futures; another sample is refused
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "prim" / "chunks").iterdir()}
    again = analysis(tmp_path, "methods=[prim]", "analysis.prim.n=64", "reanalyse=true",
                     "analysis.prim.outcome=spending", "analysis.prim.above=1.6e7",
                     "analysis.prim.min_density=0.5", "lang=zh")  # fmt: skip
    res2 = run_methods(again, tmp_path)["prim"]
    assert res2["of_interest"] == res["of_interest"]
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "prim" / "chunks").iterdir()} == stamps
    assert (tmp_path / "prim" / "prim_zh.png").is_file()
    other = analysis(tmp_path, "methods=[prim]", "analysis.prim.n=65", "reanalyse=true",
                     "analysis.prim.outcome=spending", "analysis.prim.above=1.6e7")  # fmt: skip
    with pytest.raises(ConfigError, match="holds another sample"):
        run_methods(other, tmp_path)


@pytest.mark.slow
def test_the_command_resumes_after_a_kill(tmp_path):
    """Kill the Morris command part-way; the same command finishes with the table one
    uninterrupted process writes."""
    over = ["scale=0.01", "months=6", "analysis.morris.r=4", "methods=[morris]", "n_jobs=1"]
    args = [sys.executable, "-m", "experiments.sensitivity", f"output_root={tmp_path}", *over]
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    chunks = tmp_path / "analysis" / "status_quo" / "scale_0.01" / "morris" / "chunks"
    deadline = time.time() + 240
    while len(list(chunks.glob("chunk_*.parquet"))) < 2 and time.time() < deadline:
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    assert 2 <= len(list(chunks.glob("chunk_*.parquet"))) < 4
    subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
    plan = settings(plain(compose([*over, f"output_root={tmp_path / 'b'}"], "sensitivity")))
    run_methods(plan, tmp_path / "b")
    for name in ("sample.parquet", "indices.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(chunks.parent / name), pd.read_parquet(tmp_path / "b" / "morris" / name)
        )


@pytest.mark.slow
def test_parts_through_a_hydra_launcher_give_the_same_sample(tmp_path):
    """Two launcher jobs (Hydra's joblib plugin) run half the chunks each; the plain command
    then runs nothing and writes the same sample as one process does."""
    over = ["scale=0.01", "months=6", "analysis.morris.r=2", "methods=[morris]", "n_jobs=1"]
    cmd = [sys.executable, "-m", "experiments.sensitivity"]
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    subprocess.run([*cmd, "-m", "part=0,1", "parts=2", "hydra/launcher=local",
                    f"output_root={tmp_path / 'a'}", *over], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    folder = tmp_path / "a" / "analysis" / "status_quo" / "scale_0.01" / "morris"
    chunks = sorted((folder / "chunks").glob("chunk_*.parquet"))
    assert len(chunks) == 2 and not (folder / "sample.parquet").exists()
    stamps = [p.stat().st_mtime_ns for p in chunks]
    subprocess.run([*cmd, f"output_root={tmp_path / 'a'}", *over], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    assert [p.stat().st_mtime_ns for p in chunks] == stamps
    plan = settings(plain(compose([*over, f"output_root={tmp_path / 'b'}"], "sensitivity")))
    run_methods(plan, tmp_path / "b")
    pd.testing.assert_frame_equal(
        pd.read_parquet(folder / "sample.parquet"),
        pd.read_parquet(tmp_path / "b" / "morris" / "sample.parquet"),
    )
