"""Dated policy: switches and values by year, the burn-in's status quo, scenarios that start later."""

import numpy as np
import pytest
from omegaconf import OmegaConf

from sim.config.compose import compose
from sim.config.experiment import experiment, scenario_overrides
from sim.engine.model import RelapseModel
from sim.engine.schema import check
from sim.studies.run import simulate

SMALL = ["population.scale=0.02", "months=24"]


def test_one_year_of_a_dated_value_from_the_command_line():
    run = check(compose(["policy.dibao.standard.2023=700", "+policy.dibao.standard.2026=800"]))
    standard = run.policy["dibao"].standard
    assert [standard(y) for y in (2022, 2023, 2025, 2026)] == [581.0, 700.0, 630.0, 800.0]
    assert run.burn_in_policy["dibao"].standard(2023) == 600.0  # the burn-in keeps the status quo


# lever: what it gives households, which must end when it is switched off
GIVES = {
    "dibao": lambda m, lv: m.hh.dibao.any(),
    "tekun": lambda m, lv: m.hh.tekun.any(),
    "monitoring": lambda m, lv: m.hh.monitored.any(),
    "public_jobs": lambda m, lv: lv.holders.size > 0,
    "credit": lambda m, lv: (lv.loan > 0).any(),
}


@pytest.mark.parametrize("name", list(GIVES))
def test_a_lever_switched_off_in_a_year_ends_what_it_gives(name):
    m = RelapseModel(compose([*SMALL, f"policy.{name}.enabled={{2021: true, 2022: false}}"]))
    lever = next(lv for lv in m.levers if lv.name == name)
    gave = False
    while m.running:
        m.step()
        if m.year == 2021 and m.month >= 3:
            gave |= GIVES[name](m, lever)
        if m.year == 2022:
            assert not GIVES[name](m, lever), m.t
            assert lever.ledger.paid_fen[m.t] == lever.ledger.other_fen[m.t] == 0
    assert gave


def test_the_burn_in_runs_the_status_quo_whatever_the_scenario():
    """Until start every scenario is the same district (the status quo that existed)."""
    models = [RelapseModel(compose([*SMALL, f"policy={p}"])) for p in ("status_quo", "none")]
    for m in models:
        for _ in range(m.burn_in):
            m.step()
    a, b = (m.hh for m in models)
    for field in ("pc_income", "savings", "dibao", "tekun", "monitored", "poor"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert models[1].lever("dibao") is not None  # the burn-in's dibao, in the last month
    for m in models:
        m.step()  # start: the scenario's policy
    assert models[0].lever("dibao") and not models[1].lever("dibao")
    assert not models[1].hh.dibao.any()


@pytest.mark.slow
def test_withdrawal_scenarios_equal_the_status_quo_before_2026():
    """Every step of the withdrawal experiment starts in 2026: run for run, 2021-2025 match."""
    cfg = compose(["experiment=withdrawal"], config_name="compare")
    exp = experiment(OmegaConf.to_container(cfg.experiment, resolve=True))
    scenarios = scenario_overrides(exp)
    runs = {
        name: simulate(compose([*over, "population.scale=0.05", "seed=3"])).monthly
        for name, over in scenarios.items()
    }
    base = runs[exp.baseline]
    before = base["year"] < 2026
    for name, monthly in runs.items():
        assert monthly[before].equals(base[before]), name
        if name != exp.baseline:
            assert not monthly[~before].equals(base[~before]), name  # and then they differ
