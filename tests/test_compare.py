"""Comparisons: tables, charts, resumption, and the statistics of the summary table."""

import json

import numpy as np
import pandas as pd
import pytest

from sim.config.experiment import Experiment, baseline_of, experiment, run_folder
from sim.studies.compare import (
    DISTRICT_THRESHOLDS,
    compare,
    cost_effect,
    cost_effect_text,
    summary_table,
    threshold_key,
)

TINY = ["population.scale=0.01", "months=6", "burn_in=2"]


def tiny_experiment(**changes) -> Experiment:
    data = {
        "name": "tiny",
        "title": "Tiny",
        "baseline": "status_quo",
        "seeds": 3,
        "base": TINY,
        "scenarios": {"status_quo": [], "no_dibao": ["policy.dibao.enabled=false"]},
        "cross": None,
    }
    return experiment(data | changes)


def test_comparison_writes_tables_and_charts(tmp_path):
    exp = tiny_experiment()
    table = compare(exp, tmp_path, n_jobs=1)
    for name in (
        "runs.parquet",
        "monthly.parquet",
        "towns.parquet",
        "summary.csv",
        "summary.md",
        "comparison.json",
    ):
        assert (tmp_path / name).exists(), name
    for chart in ("trajectories", "comparison", "cost_effectiveness", "causes", "towns"):
        assert (tmp_path / "charts" / f"{chart}.png").exists() and (
            tmp_path / "charts" / f"{chart}.svg"
        ).exists()
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(runs) == 6 and list(table["scenario"]) == ["status_quo", "no_dibao"]
    quo = runs[runs["scenario"] == "status_quo"]
    assert table.loc[0, "relapsed_mean"] == quo["relapsed"].mean()
    assert table.loc[0, "diff_relapsed_mean"] == 0.0
    monthly = pd.read_parquet(tmp_path / "monthly.parquet")
    assert len(monthly) == 6 * 6 and set(monthly["seed"]) == {1, 2, 3}
    assert "| no dibao |" in (tmp_path / "summary.md").read_text()  # a key without a label: words


def test_interrupted_comparison_resumes_to_the_same_table(tmp_path, capsys):
    exp = tiny_experiment()
    full, part = tmp_path / "full", tmp_path / "part"
    compare(exp, full, n_jobs=1)
    compare(exp, part, n_jobs=1)
    # an interruption: one run never finished, another left a half-written temporary file
    (run_folder(part, "no_dibao", 2) / "summary.json").unlink()
    (run_folder(part, "no_dibao", 3) / ".summary.json.abc.tmp").write_text("{half")
    (part / "summary.csv").unlink()
    (part / ".monthly.parquet.def.tmp").write_bytes(b"PAR1")  # killed while writing
    capsys.readouterr()
    compare(exp, part, n_jobs=2)
    assert f"5 of 6 runs already done in {part}, reused; 1 to run" in capsys.readouterr().err
    info = json.loads((part / "comparison.json").read_text())
    assert info["runs"] == 6 and info["reused"] == 5
    assert not list(part.rglob("*.tmp"))
    assert (part / "summary.csv").read_text() == (full / "summary.csv").read_text()
    assert pd.read_parquet(part / "monthly.parquet").equals(
        pd.read_parquet(full / "monthly.parquet")
    )
    # a scaled district: large-scale relapse is not judged (sim.studies.run.judges_large_scale)
    assert pd.read_csv(full / "summary.csv")["p_large_scale"].isna().all()
    assert "| not judged (scale < 1) |" in (full / "summary.md").read_text()


def test_a_changed_config_is_not_reused(tmp_path):
    compare(tiny_experiment(), tmp_path, n_jobs=1)
    compare(tiny_experiment(base=[*TINY, "shocks=flood"]), tmp_path, n_jobs=1)
    info = json.loads((tmp_path / "comparison.json").read_text())
    assert info["reused"] == 0


def test_summary_statistics_by_hand():
    exp = tiny_experiment(seeds=[1, 2, 3, 4], band=0.5)
    runs = pd.DataFrame(
        {
            "scenario": ["status_quo"] * 4 + ["no_dibao"] * 4,
            "seed": [1, 2, 3, 4] * 2,
            "relapsed": [10, 12, 14, 16, 20, 21, 30, 31],
            "relapse_rate": [0.1, 0.12, 0.14, 0.16, 0.2, 0.21, 0.3, 0.31],
            "newly_poor_peak": [1, 1, 1, 1, 2, 2, 2, 2],
            "at_risk_pa_peak": [3] * 8,
            "at_risk_all_peak": [5] * 8,
            "large_scale": [False] * 4 + [True, False, False, False],
            "spending": [100e6] * 4 + [60e6] * 4,
            "spend_dibao": [40e6] * 4 + [0.0] * 4,
            "relapsed_net_care": [100] * 8,
            "medically_impoverished_mean": [7.0] * 8,
            "relapse_share_max": [0.004, 0.006, 0.011, 0.02] + [0.01] * 4,
            "relapse_share_worst_town_max": [0.03] * 8,
        }
    )
    t = summary_table(exp, runs).set_index("scenario")
    # P(some year's district share >= x): 3, 2, 1 and 1 of the 4 seeds reach 0.5, 1, 1.5, 2%
    curve = [t.loc["status_quo", threshold_key(x)] for x in DISTRICT_THRESHOLDS]
    assert curve == [0.75, 0.5, 0.25, 0.25]
    assert [t.loc["no_dibao", threshold_key(x)] for x in DISTRICT_THRESHOLDS] == [1, 1, 0, 0]
    assert t.loc["status_quo", "relapse_share_max_mean"] == pytest.approx(0.01025)
    # paired differences 10, 9, 16, 15: mean 12.5; with 5 seeds or fewer the band is their
    # range, as summary.md says (not the 25th-75th percentiles 9.75 and 15.25 of band 0.5)
    assert t.loc["no_dibao", "diff_relapsed_mean"] == 12.5
    assert t.loc["no_dibao", "diff_relapsed_lo"] == 9
    assert t.loc["no_dibao", "diff_relapsed_hi"] == 16
    assert (t.loc["status_quo", "relapsed_lo"], t.loc["status_quo", "relapsed_hi"]) == (10, 16)
    six = tiny_experiment(seeds=[1, 2, 3, 4, 5, 6], band=0.5)  # more seeds: the percentiles
    runs6 = pd.concat([runs.assign(seed=runs["seed"] + k) for k in (0, 2)]).drop_duplicates(
        ["scenario", "seed"]
    )
    t6 = summary_table(six, runs6).set_index("scenario")
    assert t6.loc["status_quo", "relapsed_lo"] == pytest.approx(
        np.quantile(runs6.loc[runs6["scenario"] == "status_quo", "relapsed"], 0.25)
    )
    assert t.loc["no_dibao", "p_large_scale"] == 0.25
    assert t.loc["status_quo", "p_large_scale"] == 0.0
    assert t.loc["status_quo", "p_large_scale_upper95"] == pytest.approx(1 - 0.05 ** (1 / 4))
    # removing dibao saves 40 M yuan and lets 12.5 more households relapse: it saves yuan per
    # extra relapse (the other quadrant's ratio has the opposite meaning)
    assert t.loc["no_dibao", "cost_effect"] == "saves"
    assert t.loc["no_dibao", "yuan_per_relapse"] == pytest.approx(40e6 / 12.5)
    assert t.loc["status_quo", "cost_effect"] == "same"
    assert np.isnan(t.loc["status_quo", "yuan_per_relapse"])
    text = cost_effect_text("saves", 40e6 / 12.5)
    assert text == "saves 3,200,000 yuan per extra relapse"


@pytest.mark.parametrize(
    "extra, averted, quadrant",
    [(1e6, 5, "costs"), (-1e6, 5, "dominant"), (1e6, -5, "dominated"), (-1e6, -5, "saves"),
     (0.0, 5, "dominant"), (0.0, -5, "dominated"), (1e6, 0, "same")],
)  # fmt: skip
def test_cost_effect_quadrants(extra, averted, quadrant):
    assert cost_effect(extra, averted)[0] == quadrant


@pytest.mark.parametrize(
    "extra, averted, band, quadrant",
    [(-1e6, 0.15, (-1, 0), "cheaper_same"), (1e6, -0.5, (-2, 1), "dearer_same"),
     (-1e6, -0.5, (-1, -0.1), "saves"), (1e6, 2, (0.5, 3), "costs")],
)  # fmt: skip
def test_a_difference_within_its_band_is_no_difference(extra, averted, band, quadrant):
    """A band of the paired difference that holds 0: cheaper or dearer, relapse the same, no
    ratio (removing public-welfare jobs once read 'dominant' on -0.15 households)."""
    q, ratio = cost_effect(extra, averted, band)
    assert q == quadrant
    assert np.isnan(ratio) == quadrant.endswith("_same")


def test_a_crossed_cell_is_compared_with_the_baseline_under_the_same_cross_option():
    exp = tiny_experiment(cross={"calm": [], "flood": ["shocks=flood"]})
    assert baseline_of(exp, "no_dibao / flood") == "status_quo / flood"
    runs = pd.DataFrame(
        {
            "scenario": ["status_quo / calm", "status_quo / flood", "no_dibao / calm",
                         "no_dibao / flood"] * 2,
            "seed": [1] * 4 + [2] * 4,
            "relapsed": [10, 50, 20, 70, 12, 52, 22, 72],
            "relapse_rate": [0.0] * 8, "newly_poor_peak": [0] * 8, "at_risk_pa_peak": [0] * 8,
            "at_risk_all_peak": [0] * 8, "large_scale": [False] * 8,
            "spending": [100.0, 100.0, 60.0, 60.0] * 2, "relapsed_net_care": [0] * 8,
            "medically_impoverished_mean": [0.0] * 8, "relapse_share_max": [0.0] * 8,
            "relapse_share_worst_town_max": [0.0] * 8,
        }
    )  # fmt: skip
    t = summary_table(exp, runs).set_index("scenario")
    assert t.loc["no_dibao / calm", "diff_relapsed_mean"] == 10  # against status_quo / calm
    assert t.loc["no_dibao / flood", "diff_relapsed_mean"] == 20  # against status_quo / flood
    assert t.loc["status_quo / flood", "diff_relapsed_mean"] == 0


def test_bad_experiments_are_named():
    from sim.core.errors import ConfigError

    with pytest.raises(ConfigError, match="experiment.baseline = 'nope': not a scenario"):
        tiny_experiment(baseline="nope")
    with pytest.raises(ConfigError, match="experiment.seeds"):
        tiny_experiment(seeds=[1, 1])
    with pytest.raises(ConfigError, match="scenario 'bad': .*shocks.illness.p_person_year"):
        compare(
            tiny_experiment(
                scenarios={"status_quo": [], "bad": ["shocks.illness.p_person_year=2"]}
            ),
            __import__("pathlib").Path("/tmp/never"),
            1,
        )


def test_outputs_say_what_was_run_in_the_chosen_language(tmp_path):
    """summary.md names scale, seeds and period, and the population of every column; in
    Chinese with lang=zh (when a CJK font is installed)."""
    from sim.reports.charts import cjk_font

    exp = tiny_experiment(labels={"zh": {"status_quo": "现行政策", "no_dibao": "无低保"}})
    compare(exp, tmp_path, n_jobs=1)
    text = (tmp_path / "summary.md").read_text()
    assert "population.scale 0.01" in text and "3 paired seeds (1-3)" in text, text
    assert "2021-01 to 2021-06" in text and "the range of the seeds" in text
    assert "poverty-alleviated households below the monitoring line" in text
    if cjk_font() is not None:
        compare(exp, tmp_path, n_jobs=1, lang="zh")
        text = (tmp_path / "summary_zh.md").read_text()
        assert "现行政策" in text and "无低保" in text and "情景" in text
        assert (tmp_path / "charts" / "comparison_zh.png").exists()


def test_chinese_labels_fall_back_with_a_warning_without_a_cjk_font():
    from sim.reports.charts import Labels, cjk_font

    if cjk_font() is None:
        with pytest.warns(UserWarning, match="fonts-noto-cjk"):
            labels = Labels("zh")
        assert labels("month") == "month"
    else:
        assert Labels("zh")("month") == "月份"
