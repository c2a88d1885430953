"""The charts as a reader checks them: every chart kind at two sizes (a comparison of two and of
six scenarios, a short and a long run, a coarse and a fine sweep, few and many factors, trials
or targets), in English and Chinese (tests/chart_checks.py says what is checked). Tables other
than a comparison's are made here in the shape their study writes: these tests are of drawing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from chart_checks import problems
from test_compare import tiny_experiment

import sim.reports.charts as charts
from sim.studies.compare import compare

SIX = {
    "status_quo": [],
    "no_dibao": ["policy.dibao.enabled=false"],
    "no_tekun": ["policy.tekun.enabled=false"],
    "no_public_jobs": ["policy.public_jobs.enabled=false"],
    "no_medical_assistance": ["policy.medical_assistance.enabled=false"],
    "more_posts": ["adjust=[policy.public_jobs.posts+2000]"],
}
# What a shipped experiment gives (scenarios/experiment/*.yaml, labels): each scenario in words
LABELS = {"en": {}, "zh": {"status_quo": "现行政策", "no_dibao": "取消低保", "no_tekun": "取消特困供养",
                        "no_public_jobs": "取消公益性岗位", "no_medical_assistance": "取消医疗救助",
                        "more_posts": "增加岗位"}}  # fmt: skip
KINDS = {"trajectories", "comparison", "cost_effectiveness", "causes", "towns"}


@pytest.fixture
def saved(monkeypatch):
    """Each figure a test saves, by file name (saved through conftest's checking save)."""
    figures = {}
    save = charts.save

    def keep(fig, path):
        figures[path.name] = fig
        return save(fig, path)

    monkeypatch.setattr(charts, "save", keep)
    return figures


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("scenarios", [2, 6])
def test_every_comparison_chart_reads_cleanly(tmp_path, charts_read_cleanly, lang, scenarios):
    """``charts_read_cleanly`` (tests/conftest.py) checks each chart as it is saved."""
    if lang == "zh" and charts.cjk_font() is None:
        pytest.skip("no CJK font: the Chinese charts fall back to English (tested elsewhere)")
    exp = (
        tiny_experiment(labels=LABELS)
        if scenarios == 2
        else tiny_experiment(scenarios=SIX, labels=LABELS)
    )
    compare(exp, tmp_path, n_jobs=1, lang=lang)
    found = {k.removesuffix(f"_{lang}"): v for k, v in charts_read_cleanly.items()}
    assert set(found) == KINDS
    assert {k: v for k, v in found.items() if v} == {}


def test_the_checks_find_what_a_reader_would():
    """A chart with each defect: overlapping texts, a code name, repeated and uneven ticks."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="status_quo")
    ax.legend()
    ax.text(0.5, 0.5, "a label")
    ax.text(0.5, 0.5, "over it")
    ax.set_yticks([0, 0.3, 0.5], ["0", "0", "1"])
    found = problems(fig)
    plt.close(fig)
    assert any("internal name 'status_quo'" in p for p in found)
    assert any("texts overlap: 'a label' and 'over it'" in p for p in found)
    assert any("y tick labels repeat" in p for p in found)
    assert any("y ticks unevenly spaced" in p for p in found)


# -- every other chart kind, drawn in this process so that the fixture reads it ------------------

LANGS = pytest.mark.parametrize("lang", ["en", "zh"])


def _checked(found: dict, lang: str) -> dict:
    if lang == "zh" and charts.cjk_font() is None:
        pytest.skip("no CJK font: the Chinese charts fall back to English (tested elsewhere)")
    return {k: v for k, v in found.items() if v}


@LANGS
@pytest.mark.parametrize("months", [12, 60])
def test_the_run_chart_reads_cleanly(tmp_path, charts_read_cleanly, lang, months):
    from sim.config.compose import compose
    from sim.studies.run import simulate, write

    cfg = compose(["population.scale=0.01", f"months={months}", "burn_in=2"])
    write(simulate(cfg), cfg, tmp_path, lang=lang)
    assert set(charts_read_cleanly) == {"relapse"}
    assert _checked(charts_read_cleanly, lang) == {}


def _sweep_table(xs: list, ys: list, seeds: int) -> pd.DataFrame:
    """A collected sweep's shape (sim.studies.collect.gather): household counts by point."""
    rng = np.random.default_rng(1)
    rows = [{"policy.dibao.take_up.general": x, "policy.medical_assistance.share": y, "seed": s,
             "relapsed": int(40 + 30 * x - 20 * y + rng.integers(0, 5))}
            for x in xs for y in ys for s in range(1, seeds + 1)]  # fmt: skip
    return pd.DataFrame(rows)


@LANGS
@pytest.mark.parametrize("size", ["small", "large"])
def test_the_sweep_charts_read_cleanly(tmp_path, charts_read_cleanly, lang, size):
    """Unevenly spaced values (0.2, 0.3, 0.5) as README's sweep has them, and a finer grid."""
    xs, ys = (
        ([0.2, 0.3, 0.5], [0.5, 0.7, 0.9])
        if size == "small"
        else ([round(0.1 * i, 1) for i in range(1, 10)], [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    )
    table = _sweep_table(xs, ys, 2)
    run = {"name": "dibao", "runs": len(table), "scale": 0.1, "households": 19_000, "seeds": 2,
           "pooled": [], "period": "2021-01 – 2025-12"}  # fmt: skip
    x, y = "policy.dibao.take_up.general", "policy.medical_assistance.share"
    sfx = "" if lang == "en" else "_zh"
    charts.heatmap(table, x, y, "relapsed", tmp_path / f"heatmap{sfx}", run, lang=lang)
    charts.sweep_chart(table, x, "relapsed", tmp_path / f"sweep{sfx}", run, y, lang=lang)
    charts.sweep_chart(table, x, "relapsed", tmp_path / f"sweep1{sfx}", run, None, lang=lang)
    assert _checked(charts_read_cleanly, lang) == {}


@pytest.mark.parametrize("n", [3, 20])
def test_the_calibration_chart_reads_cleanly(tmp_path, charts_read_cleanly, n):
    from test_calibration import fuling

    from sim.studies.calibration import fit_table

    _, targets, _ = fuling()
    names = list(targets)[:n]
    rng = np.random.default_rng(2)
    runs = [{targets[k].statistic: {y: v * rng.uniform(0.8, 1.2)
                                    for y, v, _, _ in targets[k].rows()} for k in names}
            for _ in range(3)]  # fmt: skip
    table = fit_table({k: targets[k] for k in names}, runs)
    charts.fit_chart({"before": table, "now": table}, tmp_path / "fit", "Fuling: fit")
    assert _checked(charts_read_cleanly, "en") == {}


@LANGS
@pytest.mark.parametrize("trials", [4, 60])
def test_the_search_chart_reads_cleanly(tmp_path, charts_read_cleanly, lang, trials):
    from test_search import plan_of

    plan = plan_of(tmp_path, f"lang={lang}")
    rng = np.random.default_rng(3)
    spend = 4.7e9 + rng.uniform(0, 8e8, trials)
    rate = 0.0023 + 0.0006 * rng.uniform(0, 1, trials) - 1e-13 * (spend - 4.7e9)
    feasible = np.where(rng.uniform(0, 1, trials) < 0.8, True, False).astype(object)
    if trials > 4:  # some screened out as costlier: feasibility not judged
        feasible[rng.uniform(0, 1, trials) < 0.3] = None
    table = pd.DataFrame({"trial": range(trials), "spending": spend, "relapse_rate": rate,
                          "feasible": pd.array(feasible, dtype="boolean")})  # fmt: skip
    from sim.studies.search import chosen, pareto

    table["pareto"] = pareto(table)
    refs = pd.DataFrame({"reference": ["status_quo", "plan_2025"], "spending": [4.79e9, 4.89e9],
                         "relapse_rate": [0.0029, 0.0026], "feasible": [True, True]})  # fmt: skip
    best = chosen(table)
    charts.pareto_chart(plan, table, refs, best, tmp_path / f"pareto{'_zh' * (lang == 'zh')}",
                        lang)  # fmt: skip
    assert _checked(charts_read_cleanly, lang) == {}


@LANGS
@pytest.mark.parametrize("trials", [4, 120])
def test_the_convergence_chart_reads_cleanly(tmp_path, charts_read_cleanly, lang, trials):
    from test_search import plan_of

    from sim.studies.search import convergence

    plan = plan_of(tmp_path, f"lang={lang}")
    rng = np.random.default_rng(5)
    spend = 4.6e9 + rng.uniform(0, 8e8, trials) * np.linspace(1, 0.2, trials)
    cut = rng.uniform(0, 1, trials) < 0.6
    cut[:3] = False
    feasible = pd.array(np.where(cut, None, rng.uniform(0, 1, trials) < 0.9), dtype="boolean")
    table = pd.DataFrame({
        "trial": range(trials), "spending": spend, "feasible": feasible,
        "relapse_rate": 0.0023 + 0.0006 * rng.uniform(0, 1, trials),
        "asked": (["start"] * 3 + ["random"] * 13 + ["model"] * trials)[:trials],
        "screened": np.where(cut, "costlier", ""),
    })  # fmt: skip
    refs = pd.DataFrame({"reference": ["status_quo"], "spending": [4.79e9]})
    done = {"converged": trials > 50, "at": 56 if trials > 50 else None}  # start-up 16 + 40
    charts.convergence_chart(plan, convergence(table), refs, done,
                             tmp_path / f"convergence{'_zh' * (lang == 'zh')}", lang)  # fmt: skip
    assert _checked(charts_read_cleanly, lang) == {}


@pytest.mark.parametrize("sizes", [[1_000, 19_000], [1_000, 19_000, 190_000, 1_900_000]])
def test_the_throughput_chart_reads_cleanly(tmp_path, charts_read_cleanly, sizes):
    rows = [{"households": n, "household_months_per_s": 8.5e6 * (1 - 300 / n)} for n in sizes]
    charts.throughput_chart(rows, tmp_path / "throughput")
    assert _checked(charts_read_cleanly, "en") == {}


def _indices(plan, outcomes: list[str], k: int, method: str) -> pd.DataFrame:
    """A sensitivity table's shape (sim.studies.sensitivity): each outcome's factors ranked."""
    rng = np.random.default_rng(4)
    rows = []
    for o in outcomes:
        scale = 1e8 if o == "spending" else 0.001
        for rank, f in enumerate(list(plan.uset.factors)[:k], 1):
            v = scale * rng.uniform(0, 1) / rank
            rows.append(
                {
                    "outcome": o,
                    "factor": f,
                    "rank": rank,
                    "mu_star": v,
                    "mu_star_lo": 0.6 * v,
                    "mu_star_hi": 1.4 * v,
                    "sigma": 1.2 * v,
                    "S1": v / scale / 2,
                    "S1_lo": -0.05,
                    "S1_hi": v / scale,
                    "ST": v / scale,
                    "ST_lo": 0.5 * v / scale,
                    "ST_hi": 1.2 * v / scale,
                }
            )
    return pd.DataFrame(rows)


@LANGS
@pytest.mark.parametrize("method", ["morris", "sobol"])
@pytest.mark.parametrize(
    "size", [(["relapse_rate"], 4), (["relapse_rate", "spending", "newly_poor_peak"], 22)]
)
def test_the_sensitivity_charts_read_cleanly(tmp_path, charts_read_cleanly, lang, method, size):
    from test_sensitivity import analysis

    plan = analysis(tmp_path, f"lang={lang}")
    outcomes, k = size
    runs = pd.DataFrame({"point": range(10), "households": 1900, "first_month": "2021-01",
                         "last_month": "2021-12"})  # fmt: skip
    stem = tmp_path / (method if lang == "en" else f"{method}_zh")
    charts.sensitivity_chart(plan, _indices(plan, outcomes, k, method), method, stem, runs, lang)
    assert _checked(charts_read_cleanly, lang) == {}


def test_every_shipped_experiment_names_its_runs_in_both_languages():
    """A Chinese chart of a shipped comparison shows no English key (labels.zh, with a title)."""
    import yaml

    from sim.core.scenarios import CONFIG_DIR

    for path in sorted((CONFIG_DIR / "experiment").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        names = {*data["scenarios"], *(data.get("cross") or {})}
        for lang, need in (("en", names), ("zh", names | {"title"})):
            missing = need - set(data.get("labels", {}).get(lang, {}))
            assert not missing, f"{path.name}: labels.{lang} lacks {sorted(missing)}"


@LANGS
def test_an_outcome_no_factor_moves_is_named_not_drawn(tmp_path, charts_read_cleanly, lang, saved):
    """No run with large-scale relapse: its panel would be zeros; the note names it instead."""
    from test_sensitivity import analysis

    plan = analysis(tmp_path, f"lang={lang}")
    table = _indices(plan, ["large_scale", "relapse_rate"], 6, "morris")
    table.loc[table["outcome"] == "large_scale", ["mu_star", "mu_star_lo", "mu_star_hi",
                                                   "sigma"]] = 0.0  # fmt: skip
    runs = pd.DataFrame({"point": range(7), "households": 190_000, "first_month": "2021-01",
                         "last_month": "2025-12"})  # fmt: skip
    stem = tmp_path / ("morris" if lang == "en" else "morris_zh")
    charts.sensitivity_chart(plan, table, "morris", stem, runs, lang)
    fig = saved[stem.name]
    assert sum(ax.get_visible() for ax in fig.axes) == 1
    name = charts.figure_label("large_scale", charts.Labels(lang).lang, unit=False)
    assert name in fig.get_supxlabel()
    assert _checked(charts_read_cleanly, lang) == {}


def test_every_point_in_the_enlarged_region_is_drawn_there(tmp_path, charts_read_cleanly, saved):
    """A point inside the dashed region is drawn and labelled in the enlarged panel.

    The README's layout: no dibao far out, six levers crowded at the origin, and no medical
    assistance just past the crowd's "near" limit (it stood, labelled, in the left panel's
    dashed box and was missing from the enlarged one).
    """
    exp = tiny_experiment(scenarios=SIX | {"no_a": [], "no_b": []}, seeds=5)
    means = {"status_quo": (0, 0), "no_dibao": (977, -548), "no_tekun": (116, -133),
             "no_public_jobs": (1, -20), "no_a": (-1, -10), "no_b": (5, -100),
             "no_medical_assistance": (76, -216), "more_posts": (10, -1700)}  # fmt: skip
    spread = {"no_b": [-300, -150, 0, 150, 300]}  # its bar stretches the enlarged region down
    runs = pd.DataFrame([
        {"scenario": n, "seed": s, "relapsed": 48 + dr + s - 2,
         "spending": 4.78e9 + 1e6 * (dy + spread.get(n, [-4, -2, 0, 2, 4])[s])}
        for n, (dr, dy) in means.items() for s in range(5)
    ])  # fmt: skip
    others = [n for n in means if n != "status_quo"]
    L = charts.Labels("en")
    with charts.plt.rc_context(L.style()):
        charts._cost_effectiveness(exp, runs, others, {n: n.replace("_", " ") for n in others}, L, "90%", 0.05,
                                   0.95, "source", tmp_path / "ce")  # fmt: skip
    left, right = [ax for ax in saved["ce"].axes if ax.get_visible()]
    (x0, x1), (y0, y1) = right.get_xlim(), right.get_ylim()
    drawn = {tuple(np.round(line.get_xydata()[0], 6)) for line in right.lines
             if line.get_marker() == "o"}  # fmt: skip
    labelled = {t.get_text().replace(" ", "_") for t in right.texts}
    for n in others:
        x = -runs.loc[runs.scenario == n, "relapsed"].mean() + runs.loc[
            runs.scenario == "status_quo", "relapsed"].mean()  # fmt: skip
        y = (runs.loc[runs.scenario == n, "spending"].mean()
             - runs.loc[runs.scenario == "status_quo", "spending"].mean()) / 1e6  # fmt: skip
        if x0 <= x <= x1 and y0 <= y <= y1:
            assert (round(x, 6), round(y, 6)) in drawn, n
            assert n in labelled, n
    assert "no_medical_assistance" in labelled
    assert "no_dibao" not in labelled and "more_posts" not in labelled
    assert {t.get_text() for t in left.texts} >= {"no dibao", "more posts"}
    assert charts_read_cleanly["ce"] == []


def test_the_town_chart_shows_the_mix_against_its_baseline(tmp_path, saved):
    """A mix with less relapse than the status quo (the dashboard's usual case) is the one drawn
    beside it: the chart took the scenario of most relapse - the status quo, twice."""
    exp = tiny_experiment(scenarios={"status_quo": [], "more_posts": SIX["more_posts"]},
                          labels={"en": {"more_posts": "more posts"}})  # fmt: skip
    compare(exp, tmp_path, n_jobs=1)
    legend = [t.get_text() for lg in saved["towns"].legends for t in lg.get_texts()]
    runs = pd.read_parquet(tmp_path / "runs.parquet").groupby("scenario")["relapsed"].mean()
    assert legend == ["status quo", "more posts"], (legend, runs)
