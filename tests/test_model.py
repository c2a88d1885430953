"""The model as a whole: determinism, Mesa interfaces, the run folder."""

import json

import mesa
import numpy as np
import pandas as pd
import pytest
import yaml

from sim.config.compose import compose
from sim.studies.run import BatchModel, simulate, write

SMALL = ["population.scale=0.02", "months=12"]


def test_same_seed_gives_byte_identical_outputs(tmp_path):
    paths = []
    for name in ("a", "b"):
        cfg = compose(SMALL + ["seed=5"])
        paths.append(write(simulate(cfg), cfg, tmp_path / name, chart=True))
    for f in ("monthly.parquet", "towns.parquet", "ledgers.parquet", "relapse.svg"):
        assert (paths[0] / f).read_bytes() == (paths[1] / f).read_bytes(), f
    other = simulate(compose(SMALL + ["seed=6"]))
    first = pd.read_parquet(paths[0] / "monthly.parquet")
    assert not first["n_at_risk"].equals(other.monthly["n_at_risk"])


def test_run_folder_contents(tmp_path):
    cfg = compose(["population.scale=0.01", "months=3"])
    out = write(simulate(cfg), cfg, tmp_path, chart=True)
    names = {p.name for p in out.iterdir()}
    assert {"config.yaml", "provenance.json", "monthly.parquet", "towns.parquet",
            "summary.json", "relapse.png", "relapse.svg"} <= names  # fmt: skip
    assert not [n for n in names if n.endswith(".tmp")]
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["seed"] == 1 and prov["relapse_sim"] and prov["git_revision"]
    summary = json.loads((out / "summary.json").read_text())
    monthly = pd.read_parquet(out / "monthly.parquet")
    assert summary["relapse_events"] == monthly["new_relapsed"].sum()
    assert list(monthly["month"]) == ["2021-01", "2021-02", "2021-03"]
    towns = pd.read_parquet(out / "towns.parquet")
    # town counts add up to the district's, month by month
    by_month = towns.groupby("month", sort=True)[["n_relapsed", "n_at_risk"]].sum()
    assert by_month["n_relapsed"].tolist() == monthly["n_relapsed"].tolist()
    assert by_month["n_at_risk"].tolist() == monthly["n_at_risk"].tolist()


def test_causes_and_categories_add_up():
    res = simulate(compose(["population.scale=0.05", "months=24", "seed=2"]))
    m = res.monthly
    causes = m[[c for c in m.columns if c.startswith("new_relapsed_")]].sum(axis=1)
    assert causes.tolist() == m["new_relapsed"].tolist()
    assert (m["n_poor"] == m["n_relapsed"] + m["n_newly_poor"]).all()
    cats = m["n_poor_poverty_alleviated"] + m["n_poor_edge"] + m["n_poor_general"]
    assert cats.tolist() == m["n_poor"].tolist()
    assert (m["n_relapsed"] == m["n_poor_poverty_alleviated"]).all()
    assert (m["n_at_risk"] >= m["n_poor"]).all()


def test_household_view_is_a_mesa_agent():
    m = BatchModel(scale=0.01, months=2)
    m.step()
    view = m.household(7)
    assert isinstance(view, mesa.Agent)
    assert view.n_members == m.hh.n_members[7]
    assert view.hist_own.shape == (12,)
    assert view.as_dict()["pc_income"] == pytest.approx(m.hh.pc_income[7])
    with pytest.raises(IndexError):
        m.household(m.hh.n)


def test_mesa_batch_run_with_rng_list():
    results = mesa.batch_run(
        BatchModel,
        parameters={"scale": 0.01, "months": 3, "shocks": ["default", "flood"]},
        rng=[1, 2],
        max_steps=100,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(results) == 4
    assert {r["Step"] for r in results} == {12 + 3}  # the 12-month burn-in, then 3 months
    a = [r for r in results if r["shocks"] == "default"]
    assert a[0]["n_at_risk"] != a[1]["n_at_risk"] or a[0]["fgt1"] != a[1]["fgt1"]


def test_steps_stop_at_the_horizon():
    m = BatchModel(scale=0.01, months=4, burn_in=2)
    n = 0
    while m.running:
        m.step()
        n += 1
    assert n == 6 and m.calendar(1) == (2020, 11) and m.calendar(6) == (2021, 4)
    assert m.calendar(15) == (2022, 1)
    assert m.datacollector.get_model_vars_dataframe()["month"].tolist() == [
        "2021-01", "2021-02", "2021-03", "2021-04"
    ]  # fmt: skip


def test_member_invariants_hold_after_five_years():
    m = BatchModel(scale=0.05, months=60, rng=3)
    while m.running:
        m.step()
    hh = m.hh
    for col in ("n_members", "n_labour", "n_migrant", "n_local", "n_seek_migrant", "n_seek_local",
                "n_elderly", "n_school", "n_disabled", "n_chronic"):  # fmt: skip
        assert (getattr(hh, col) >= 0).all(), col
    assert (hh.n_labour + hh.n_elderly + hh.n_school + hh.n_disabled <= hh.n_members).all()
    assert (hh.n_migrant + hh.n_local + hh.n_seek_migrant + hh.n_seek_local <= hh.n_labour).all()
    assert (hh.n_chronic <= hh.n_members).all()
    assert np.isfinite(hh.savings).all() and (hh.savings >= 0).all() and (hh.debt >= 0).all()


def test_output_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    from sim.core.io import write_text

    path = write_text("x", tmp_path / "a.txt")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_code_hash_follows_the_model_code_not_the_charts(tmp_path):
    from sim.core.source import code_hash

    for folder in ("engine/policies", "reports", "app", "studies"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "engine" / "model.py").write_text("a = 1\n")
    (tmp_path / "engine" / "policies" / "dibao.py").write_text("b = 1\n")
    (tmp_path / "reports" / "charts.py").write_text("c = 1\n")
    (tmp_path / "app" / "page.py").write_text("d = 1\n")
    (tmp_path / "studies" / "compare.py").write_text("e = 1\n")
    first = code_hash(tmp_path)
    (tmp_path / "reports" / "charts.py").write_text("c = 2\n")  # a redrawn chart
    (tmp_path / "app" / "page.py").write_text("d = 2\n")  # a rearranged page
    assert code_hash(tmp_path) == first
    (tmp_path / "engine" / "policies" / "dibao.py").write_text("b = 2\n")  # a changed rule
    second = code_hash(tmp_path)
    assert second != first
    (tmp_path / "studies" / "compare.py").write_text("e = 2\n")  # a study's results change
    assert code_hash(tmp_path) != second


def test_the_run_config_names_the_keys_that_follow_another(tmp_path):
    """tekun's income limit is the dibao standard (${..dibao.standard}): config.yaml says so."""
    cfg = compose(["population.scale=0.005", "months=1", "burn_in=0"])
    write(simulate(cfg), cfg, tmp_path, chart=False)
    text = (tmp_path / "config.yaml").read_text()
    assert "# policy.tekun.income_limit follows policy.dibao.standard" in text
    stored = yaml.safe_load(text)["policy"]
    assert stored["tekun"]["income_limit"] == stored["dibao"]["standard"]
