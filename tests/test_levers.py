"""Levers in the whole model: exact money accounting, effects, monitoring, switches."""

import functools

import numpy as np
import pytest

from sim.config.compose import compose
from sim.engine.households import PA
from sim.engine.model import RelapseModel
from sim.engine.policies import LEVERS
from sim.studies.run import simulate

SMALL = ["population.scale=0.05", "months=24"]


@pytest.mark.parametrize("policy", ["status_quo", "plan_2025"])
def test_ledgers_equal_what_households_received_every_month(policy):
    m = RelapseModel(compose(SMALL + [f"policy={policy}", "shocks=flood"]))
    while m.running:
        m.step()
        hh = m.hh
        received = int(hh.transfers_fen.sum() + hh.earned_fen.sum() + hh.reimbursed_fen.sum())
        paid = sum(int(lv.ledger.paid_fen[m.t]) for lv in m.levers)
        assert paid == received, m.t
        assert received > 0
        assert np.array_equal(hh.transfers, hh.transfers_fen / 100)
        assert (hh.med_oop >= -1e-9).all()  # never reimbursed more than the cost


def test_spending_and_recipients_are_reported(tmp_path):
    from sim.studies.run import write

    cfg = compose(SMALL)
    res = simulate(cfg)
    out = write(res, cfg, tmp_path, chart=False)
    assert (out / "ledgers.parquet").exists()
    s = res.summary
    assert set(s["spending_by_lever_yuan"]) == set(LEVERS)
    assert s["spending_by_lever_yuan"]["dibao"]["2021"] > 0
    assert s["recipients_by_lever"]["dibao"]["2021"] > 0
    # levers that help in kind count the households they serve: followed, trained, lent to
    for lever in ("monitoring", "employment", "credit"):
        assert s["recipients_by_lever"][lever]["2021"] > 0, lever
        assert res.monthly[f"recipients_{lever}"].sum() > 0, lever
    total = (res.ledgers["paid_yuan"] + res.ledgers["other_yuan"]).sum()
    assert s["spending"] == pytest.approx(total)
    # monthly series carry spending and recipients per lever
    assert res.monthly["spend_dibao"].sum() == pytest.approx(
        s["spending_by_lever_yuan"]["dibao"]["2021"] + s["spending_by_lever_yuan"]["dibao"]["2022"]
    )


def test_a_disabled_lever_pays_nothing():
    res = simulate(compose(SMALL + ["policy.dibao.enabled=false"]))
    assert (
        (res.ledgers.query("lever == 'dibao'")[["paid_yuan", "other_yuan", "recipients"]] == 0)
        .all()
        .all()
    )
    assert res.monthly["recipients_dibao"].sum() == 0


def test_policy_does_not_change_covariate_shocks():
    """Common random numbers: prices and migrant demand are the same under every policy."""
    runs = [
        simulate(compose(SMALL + [f"policy={p}", "seed=4"])).monthly for p in ("none", "status_quo")
    ]
    for col in ("price", "migrant_factor"):
        assert runs[0][col].tolist() == runs[1][col].tolist()


def test_monitoring_detects_verifies_and_exits():
    over = SMALL + [
        "months=12",
        "burn_in=0",
        "policy.monitoring.p_self_report=1",
        "policy.monitoring.verify_months=1",
    ]
    m = RelapseModel(compose(over))
    mon = m.lever("monitoring")
    m.step()
    at_risk_before = mon.t_clue >= 0
    assert mon.report()["new_monitored"] == 0  # found in month 1, identified in month 2
    assert (mon.t_detect[at_risk_before] == 1).all()
    m.step()
    monitored = m.hh.monitored
    assert monitored.sum() > 0.5 * at_risk_before.sum()
    assert not (monitored & ~at_risk_before).any()  # identified = found a month earlier
    assert mon.report()["detection_delay_months_total"] == mon.report()["new_monitored"] > 0
    assert (mon.t_start[monitored] == 2).all()
    # found in month 1 but no longer at risk at verification: dropped, not monitored
    dropped = at_risk_before & ~monitored
    assert (mon.t_detect[dropped] == -1).all() and (mon.t_clue[dropped] == -1).all()


def test_monitoring_exit_needs_six_months_and_a_measure():
    m = RelapseModel(compose(SMALL + ["months=1", "shocks=none"]))
    mon, hh = m.lever("monitoring"), m.hh
    hh.monitored[:] = True
    mon.t_start[:] = 0
    hh.pc_income[:] = 1e6  # everyone far above the line
    mon.months_above[:] = 5
    hh.measures[: hh.n // 2] = 1
    m.ctx.begin(6, (m.poverty_line, m.monitoring_line), m.shocks.cov.price)
    mon.act(m.ctx)  # months_above becomes 6, six months since the start
    assert not hh.monitored[: hh.n // 2].any()  # with a measure: exit
    assert hh.monitored[hh.n // 2 :].all()  # without: stay


@pytest.mark.slow
def test_no_policy_means_far_more_relapse_on_the_default_district():
    seeds = [1, 2, 3]
    none = [simulate(compose(["policy=none", f"seed={s}"])).summary for s in seeds]
    quo = [simulate(compose(["policy=status_quo", f"seed={s}"])).summary for s in seeds]
    ever_none = [s["relapsed"] for s in none]
    ever_quo = [s["relapsed"] for s in quo]
    assert min(ever_none) > 5 * max(ever_quo), (ever_none, ever_quo)


TENTH = ["population.scale=0.1"]


@functools.cache  # the baseline of every lever's test: run once per seed, not once per lever
def _relapsed_with_every_lever(seed: int) -> int:
    return simulate(compose([*TENTH, f"seed={seed}"])).summary["relapsed"]


@pytest.mark.slow
@pytest.mark.parametrize("lever", list(LEVERS))
def test_switching_a_lever_off_never_lowers_relapse(lever):
    """Paired over seeds (common random numbers): relapse with the lever off minus with it on.

    Fails if the mean difference is below zero by more than 3 standard errors.
    """
    seeds = range(1, 7)
    on = [_relapsed_with_every_lever(s) for s in seeds]
    off = [
        simulate(compose([*TENTH, f"seed={s}", f"policy.{lever}.enabled=false"])).summary[
            "relapsed"
        ]
        for s in seeds
    ]
    diff = np.array(off) - np.array(on)
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert diff.mean() + 3 * se >= 0, (lever, on, off)


def test_first_in_order_takes_each_groups_quota_by_key_ties_to_the_first():
    from sim.engine.policies.base import first_in_order

    rng = np.random.default_rng(0)
    for _ in range(200):
        n, n_groups = int(rng.integers(1, 300)), int(rng.integers(1, 6))
        groups = rng.integers(0, n_groups, n)
        key = rng.integers(0, 15, n).astype(float)  # many ties
        quota = rng.integers(-1, 25, n_groups)
        # reference: a stable sort by (group, key); the first quota[g] of each group
        order = np.lexsort((key, groups))
        rank = np.empty(n, np.int64)
        for g in range(n_groups):
            members = order[groups[order] == g]
            rank[members] = np.arange(members.size)
        assert np.array_equal(first_in_order(groups, key, quota), rank < quota[groups])


def test_anti_poverty_insurance_selects_the_insured_over_the_alert_line_each_year():
    """Its lists of spenders and of households over the line equal the full-array rule."""
    m = RelapseModel(compose(["population.scale=0.02", "months=30"]))  # three calendar years
    lever = next(lv for lv in m.levers if lv.name == "anti_poverty_insurance")
    select, spent, state = lever.select, np.zeros(m.hh.n), {"year": None, "paid": 0}

    def checked(model):
        hh, p = model.hh, lever.pars
        year = model.calendar(model.t)[0]
        if year != state["year"]:
            spent[:], state["year"] = 0.0, year
        cost = (hh.med_cost > 0) | (hh.one_off > 0)
        spent[:] += np.where(cost, hh.med_cost - hh.reimbursed_fen / 100 + hh.one_off, 0.0)
        idx = select(model)
        line = p.income_multiple * model.poverty_line  # the line of the income window
        rule = lever.insured & (spent > p.alert_line) & (hh.pc_income <= line) & hh.active
        assert np.array_equal(idx, np.flatnonzero(rule)), model.t
        state["paid"] += idx.size
        return idx

    lever.select = checked
    while m.running:
        m.step()
    assert state["paid"] > 0


def test_monitoring_categories_follow_the_plan():
    """Poverty-alleviated households are 'unstable'; the others 'hardship' after a large shock,
    'edge' otherwise; both occur."""
    m = RelapseModel(compose(["population.scale=0.05", "months=36", "seed=2"]))
    mon = m.lever("monitoring")
    seen = np.zeros(3, np.int64)
    while m.running:
        m.step()
        on = m.hh.monitored
        pa = m.hh.category == PA
        assert (mon.category[on & pa] == 0).all() and (mon.category[on & ~pa] > 0).all(), m.t
        seen += np.bincount(mon.category[on], minlength=3)
    assert (seen > 0).all(), seen


def test_insured_count_leaves_out_dissolved_households():
    m = RelapseModel(compose(["population.scale=0.05", "months=60", "seed=1"]))
    while m.running:
        m.step()
    lever = m.lever("basic_insurance")
    assert not m.hh.active.all()
    assert lever.report()["n_insured"] == int((lever.insured & m.hh.active).sum())


@pytest.mark.slow
def test_dibao_recipients_do_not_fill_the_at_risk_and_monitored_counts():
    """Before the pro-rated lines, the pension disregard and steering by risk type, households
    topped up to the dibao standard were 83-95% of those below the monitoring line and 93-98%
    of the monitored; now they are a minority of both, each December."""
    m = RelapseModel(compose(["population.scale=0.2"]))
    while m.running:
        m.step()
        if m.t > m.burn_in and m.month == 12:
            hh = m.hh
            risk, followed = hh.at_risk & hh.active, hh.monitored & hh.active
            assert (risk & hh.dibao).sum() < 0.3 * risk.sum(), m.year
            assert (followed & hh.dibao).sum() < 0.4 * followed.sum(), m.year


def test_each_lever_has_its_own_priority_order():
    """Changing the order of public-welfare jobs leaves work relief's and training's as they are."""
    from sim.config.compose import compose
    from sim.engine.schema import to_dict

    base = to_dict(compose([]))["policy"]
    changed = to_dict(compose(["policy.public_jobs.priority=[edge,unstable]"]))["policy"]
    assert changed["public_jobs"]["priority"] == ["edge", "unstable"]
    for lever in ("work_relief", "employment"):
        assert (
            changed[lever]["priority"] == base[lever]["priority"] == base["public_jobs"]["priority"]
        )
