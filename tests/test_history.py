"""The history group (known shocks replace draws) and the relapse rule (how poverty is found)."""

import numpy as np
import pytest

from sim.config.compose import compose
from sim.core.errors import ConfigError
from sim.engine.households import PA
from sim.engine.model import RelapseModel
from sim.engine.schema import check, shock_pars_from


def covariates(overrides: list[str], months: int = 60) -> dict[tuple[int, int], tuple]:
    """(year, month) -> (price, migrant factor) of a tiny run."""
    m = RelapseModel(compose(["population.scale=0.005", f"months={months}", *overrides]))
    out = {}
    while m.running:
        m.step()
        out[m.year, m.month] = (m.shocks.cov.price, m.shocks.cov.migrant_factor)
    return out


def test_history_replaces_the_draws_of_its_years_only():
    known = covariates([])
    assert {known[2021, m][0] for m in range(1, 13)} == {1250.0}  # the published price
    assert known[2020, 6][0] == 730.0  # the burn-in year
    assert len({known[y, 1][0] for y in (2022, 2023, 2024, 2025)}) == 4  # drawn
    # no demand draw in 2021-24 (the fitted wage path holds it): 1 outside the lockdowns
    assert {known[y, 1][1] for y in (2021, 2022, 2023, 2024)} == {1.0}
    assert known[2022, 4][1] == pytest.approx(0.9) and known[2022, 11][1] == pytest.approx(0.7)
    assert known[2025, 1][1] != 1.0  # drawn again after the fitted years
    drawn = covariates(["history=none"])
    assert drawn[2021, 1][0] != 1250.0 and drawn[2021, 1][1] != 1.0
    # the same streams: a year the history does not know draws the same value either way
    assert drawn[2023, 1][0] == known[2023, 1][0] and drawn[2025, 1][1] == known[2025, 1][1]


def test_a_shock_scenario_adds_to_the_history_and_wins_where_both_speak():
    p = shock_pars_from(compose(["shocks=price_crash", "+shocks.price.fixed.2021=600"]))
    assert p.price.fixed == {2020: 730.0, 2021: 600.0, 2023: 500.0, 2024: 550.0}
    p = shock_pars_from(compose(["shocks=lockdown"]))
    assert [x.start for x in p.lockdown.periods] == ["2022-04", "2022-11", "2022-04"]
    p = shock_pars_from(compose(["shocks=flood"]))
    assert [(e.year, e.towns) for e in p.disaster.events] == [(2022, 8), (2023, 8)]
    p = shock_pars_from(compose(["shocks=none"]))  # a shock switched off takes nothing
    assert p.price.fixed is None and p.lockdown.periods == [] and p.disaster.events == []
    assert p.migrant_demand.fixed is None


@pytest.mark.parametrize(
    "override, message",
    [("history.price.2021=-5", r"history\.price\.2021 = -5: must be a number above 0"),
     ("history.migrant_demand=3", r"history\.migrant_demand = 3"),
     ("+history.typo=1", r"history\.typo: unknown key"),
     ("history.disasters=[{year: 2022, month: 13, towns: 3}]",
      r"history\.disasters\[0\]\.month = 13: must be a calendar month")],
)  # fmt: skip
def test_bad_history_is_named(override, message):
    with pytest.raises(ConfigError, match=message):
        check(compose([override]))


def run(overrides: list[str], seed: int = 3):
    m = RelapseModel(compose(["population.scale=0.05", "months=36", f"seed={seed}", *overrides]))
    poor, net = [], []
    while m.running:
        m.step()
        if m.t > m.burn_in:
            poor.append(m.hh.poor.copy())
            net.append(m.hh.poor_net_care.copy())
    return m, np.array(poor), np.array(net)


OLD = ["outcomes.relapse.deduct=all", "outcomes.relapse.assistance_in_force=false",
       "outcomes.relapse.confirm_months=1"]  # fmt: skip


def test_the_rule_can_be_set_back_to_income_net_of_all_care():
    """Every deduction, no assistance in force, no confirmation: the second measure, exactly."""
    m, poor, net = run(OLD)
    assert poor.any() and (poor == net).all()
    df = m.datacollector.get_model_vars_dataframe()
    assert (df["n_relapsed"] == df["n_relapsed_net_care"]).all()
    assert (df["n_poor"] == df["n_poor_net_care"]).all()


def test_each_part_of_the_rule_only_narrows_who_is_poor():
    """The status feeds no lever, so the runs are the same but for it: each part of the rule
    (in-policy care only, allowances in force, a second month to confirm) finds a subset."""
    _, old, net = run(OLD)
    steps = [OLD[1:] + ["outcomes.relapse.deduct=in_policy"],
             OLD[2:] + ["outcomes.relapse.deduct=in_policy"], []]  # fmt: skip
    previous = old
    for overrides in steps:
        _, poor, net2 = run(overrides)
        assert (net2 == net).all()  # the same run
        assert not (poor & ~previous).any()  # a subset, month by month
        previous = poor
    assert (
        previous.sum() < old.sum() / 3
    )  # the rule as written finds far fewer than the old measure


def test_confirmation_and_allowances_in_force_by_hand():
    """Month by month, status follows the rule applied to the households' own arrays."""
    m = RelapseModel(compose(["population.scale=0.03", "months=24", "seed=5"]))
    below = m.hh.months_below.astype(int)  # the starting status
    while m.running:
        m.step()
        hh = m.hh
        own = hh.sum_own + hh.sum_oop - hh.sum_oop_in
        transfer = np.maximum(hh.sum_transfer, 12 * hh.allowance_fen / 100)
        assessed = np.where(hh.active, (own + transfer) / np.maximum(hh.n_members, 1), 0.0)
        np.testing.assert_allclose(hh.pc_assessed, assessed, rtol=1e-12)
        below = np.where(hh.active & (assessed < m.poverty_line), np.minimum(below + 1, 12), 0)
        assert (hh.poor == (below >= 2)).all()
    pa = hh.category == PA
    assert (hh.ever_relapsed & pa).sum() <= (hh.ever_poor_net_care & pa).sum()
