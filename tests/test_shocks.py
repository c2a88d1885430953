"""Each shock's frequency against its parameter, in standard errors (one month, many households)."""

from dataclasses import replace

import numpy as np
import pytest
from conftest import se_binomial, uniform_households

from sim.config.compose import compose
from sim.core.random import Streams
from sim.core.schedule import Dated
from sim.engine.schema import population_pars
from sim.engine.shocks import CAUSE, CAUSES, Shocks, monthly

N = 200_000
ECON = population_pars(compose([])).economy
Z = 4.0  # tolerance in standard errors


def only(pars, name, **changes):
    """Shock parameters with every shock off except ``name`` (changed by ``changes``).

    Medical costs stay at base-year prices.
    """
    off = {f: replace(getattr(pars, f), enabled=False) for f in
           ("illness", "chronic", "disability", "death", "jobs", "migrant_demand", "disaster",
            "price", "lockdown")}  # fmt: skip
    off[name] = replace(getattr(pars, name), enabled=True, **changes)
    return replace(pars, medical_cost_growth=Dated(0.0), **off)


def one_month(pars, hh=None, t=1, year=2021, month=1, seed=11, n_towns=5):
    hh = hh or uniform_households(N)
    hh.init_state(len(CAUSES))
    shocks = Shocks(pars, Streams(seed), n_towns, ECON)
    shocks.step(hh, t, year, month)
    return hh, shocks


def assert_count(count, n, p):
    assert abs(count - n * p) < Z * se_binomial(n, p), (count, n * p, se_binomial(n, p))


def test_illness_frequency_and_cost(shock_defaults):
    pars = only(shock_defaults, "illness", p_person_year=0.3, rr_elderly=2.0)
    pars = replace(pars, medical_cost_growth=Dated({2021: 0.1, 2022: 0.05}))
    hh, shocks = one_month(pars, year=2022)
    assert shocks.cost_index(2020) == 1.0 and shocks.cost_index(2022) == pytest.approx(1.1 * 1.05)
    sick = hh.med_cost > 0
    # 3 members, 1 elderly at twice the rate: 4 person-equivalents at risk.
    assert_count(sick.sum(), N, 1 - (1 - monthly(0.3)) ** 4)
    cost = hh.med_cost[sick]
    # log cost ~ Normal(log median, sigma), the median at 2022 prices: its mean within 4 SE.
    p = pars.illness
    median = p.cost_median * 1.1 * 1.05
    assert abs(np.log(cost).mean() - np.log(median)) < Z * p.cost_sigma / np.sqrt(sick.sum())
    assert np.allclose(hh.med_in_policy, hh.med_cost * p.in_policy_share)
    assert np.array_equal(hh.loss[CAUSE["illness"]] > 0, sick)


def test_chronic_onset_and_labour_loss(shock_defaults):
    pars = only(shock_defaults, "chronic", p_person_year=0.2, p_lose_labour=0.5, cost_month=100.0)
    hh, _ = one_month(pars)
    onset = hh.n_chronic == 1
    assert_count(onset.sum(), N, 1 - (1 - monthly(0.2)) ** 3)
    # A labourer (2 of 3 members) stops working with chance 0.5.
    lost = hh.n_labour == 1
    assert_count(lost.sum(), onset.sum(), 0.5 * 2 / 3)
    assert not (lost & ~onset).any()
    assert np.array_equal(hh.med_cost, 100.0 * hh.n_chronic)


def test_disability_takes_a_labourer_migrant_first(shock_defaults):
    pars = only(shock_defaults, "disability", p_labourer_year=0.1)
    hh, _ = one_month(pars)
    hit = hh.n_disabled == 1
    assert_count(hit.sum(), N, 1 - (1 - monthly(0.1)) ** 2)
    assert np.array_equal(hh.n_labour == 1, hit)
    assert np.array_equal(hh.n_migrant == 0, hit) and (hh.n_local == 1).all()


def test_death_rates_by_age(shock_defaults):
    pars = only(shock_defaults, "death", p_elderly_year=0.3, p_other_year=0.05, funeral_cost=9000.0)
    hh, _ = one_month(pars)
    dies = hh.n_members == 2
    pe, po = monthly(0.3), monthly(0.05)
    assert_count(dies.sum(), N, 1 - (1 - pe) * (1 - po) ** 2)
    elderly = dies & (hh.n_elderly == 0)
    assert_count(elderly.sum(), dies.sum(), pe / (pe + 2 * po))
    assert np.array_equal(hh.one_off, 9000.0 * dies)
    # Non-elderly deaths here are all labourers (the only other members).
    assert np.array_equal(hh.n_labour == 1, dies & ~elderly)


def test_job_loss_and_reemployment(shock_defaults):
    pars = only(shock_defaults, "jobs", p_loss_migrant=0.05, p_loss_local=0.1, p_reemploy=0.3)
    hh, _ = one_month(pars)
    assert_count((hh.n_migrant == 0).sum(), N, 0.05)
    assert_count((hh.n_local == 0).sum(), N, 0.1)
    assert np.array_equal(hh.n_seek_migrant, 1 - hh.n_migrant)
    # Re-employment: start everyone as a seeker of local work.
    hh2 = uniform_households(N, n_local=0)
    hh2.init_state(len(CAUSES))
    hh2.n_seek_local[:] = 1
    Shocks(replace(pars, jobs=replace(pars.jobs, p_loss_migrant=0.0)), Streams(3), 5, ECON).step(
        hh2, 1, 2021, 1
    )
    assert_count((hh2.n_local == 1).sum(), N, 0.3)


def test_disaster_hits_towns_and_households(shock_defaults):
    pars = only(shock_defaults, "disaster", p_town_year=1.0, share_hit=0.4, season=[7])
    hh, shocks = one_month(pars, month=7)
    assert shocks.cov.towns_hit == (0, 1, 2, 3, 4)
    hit = hh.crop_loss > 0
    assert_count(hit.sum(), N, 0.4)
    assert (hh.crop_loss_until[hit] == 1 + pars.disaster.loss_months).all()
    # the loss recorded for the cause: assets, and the crop share of a year's farm income
    farm = uniform_households(N, other_farm=1000.0, mustard_mu=2.0)
    farm, _ = one_month(pars, hh=farm, month=7)
    hit = farm.crop_loss > 0
    net_mustard = (
        2.0 * ECON.mustard_yield * ECON.mustard_price_expected * (1 - ECON.mustard_cost_share)
    )
    crop = pars.disaster.crop_loss * (1000.0 + net_mustard)
    loss = farm.loss[CAUSE["disaster"], hit] * farm.loss_unit
    np.testing.assert_allclose(loss, farm.one_off[hit] + crop, rtol=1e-6)
    hh, shocks = one_month(pars, month=8)  # out of season: nothing
    assert shocks.cov.towns_hit == () and not (hh.crop_loss > 0).any()


def test_disaster_town_rate_per_season(shock_defaults):
    # 2,000 towns, yearly chance 0.2 spread over a 4-month season.
    pars = only(shock_defaults, "disaster", p_town_year=0.2, season=[6, 7, 8, 9])
    hh = uniform_households(10, town=0)
    _, shocks = one_month(pars, hh=hh, month=6, n_towns=2000)
    p_month = 1 - 0.8 ** (1 / 4)
    assert_count(len(shocks.cov.towns_hit), 2000, p_month)


def test_fixed_disaster_event(shock_defaults):
    from sim.engine.shocks import DisasterEvent

    ev = DisasterEvent(year=2023, month=7, towns=2)
    pars = only(shock_defaults, "disaster", p_town_year=0.0, events=(ev,))
    _, shocks = one_month(pars, year=2023, month=7)
    assert len(shocks.cov.towns_hit) == 2


def test_price_draws_are_lognormal_and_fixed_years_override(shock_defaults):
    pars = only(shock_defaults, "price", median=850.0, sigma=0.3, fixed={2023: 500.0})
    hh = uniform_households(10)
    logs = [np.log(one_month(pars, hh=hh, seed=s)[1].cov.price) for s in range(400)]
    assert abs(np.mean(logs) - np.log(850)) < Z * 0.3 / np.sqrt(400)
    assert abs(np.std(logs) - 0.3) < Z * 0.3 / np.sqrt(2 * 400)
    assert one_month(pars, hh=hh, year=2023)[1].cov.price == 500.0


def test_lockdown_cuts_wages_and_sends_migrants_home(shock_defaults):
    from sim.engine.shocks import LockdownPeriod

    period = LockdownPeriod(start="2022-04", months=2, wage_cut=0.7, p_job_loss=0.25)
    pars = only(shock_defaults, "lockdown", periods=(period,))
    shocks_pars = replace(pars, migrant_demand=replace(pars.migrant_demand, enabled=False))
    hh = uniform_households(N)
    hh.init_state(len(CAUSES))
    shocks = Shocks(shocks_pars, Streams(1), 5, ECON)
    factors = []
    for t, month in enumerate([3, 4, 5, 6], start=1):
        shocks.step(hh, t, 2022, month)
        factors.append(shocks.cov.migrant_factor)
    assert factors == pytest.approx([1.0, 0.3, 0.3, 1.0])
    assert_count(hh.n_seek_migrant.sum(), N, 0.25)


def test_draws_do_not_depend_on_household_state(shock_defaults):
    """Common random numbers: changing a household's work changes nobody's illness."""
    pars = only(shock_defaults, "illness", p_person_year=0.3)
    a, _ = one_month(pars, hh=uniform_households(1000))
    b, _ = one_month(pars, hh=uniform_households(1000, n_migrant=0, n_local=0, wage_local=0.0))
    assert np.array_equal(a.med_cost, b.med_cost)


def test_the_pass_refuses_counts_outside_its_tables(shock_defaults):
    hh = uniform_households(100)
    hh.init_state(len(CAUSES))
    hh.n_seek_migrant[7] = 50  # more seekers than members: the compiled lookups would overrun
    shocks = Shocks(shock_defaults, Streams(1), 5, ECON)
    with pytest.raises(IndexError, match="outside 0..n_members"):
        shocks.step(hh, 1, 2021, 1)


def test_illness_episodes_are_the_households_below_their_chance(shock_defaults):
    """The compiled pass draws household i's illness uniform from the month's stream."""
    rng = np.random.default_rng(2)
    hh = uniform_households(20_000)
    hh.n_members[:] = rng.integers(1, 6, hh.n)
    hh.n_elderly[:] = rng.integers(0, hh.n_members + 1)
    hh.n_chronic[:] = rng.integers(0, hh.n_members + 1)
    hh.n_labour[:] = hh.n_migrant[:] = hh.n_local[:] = 0
    hh.init_state(len(CAUSES))
    hh.active[:] = rng.random(hh.n) < 0.9
    pars = only(shock_defaults, "illness", p_person_year=0.5, rr_elderly=2.0, rr_chronic=3.0)
    shocks = Shocks(pars, Streams(5), 5, ECON)
    shocks.step(hh, 7, 2021, 7)
    ill = shocks._chance_tables(6)[0]
    u = Streams(5).uniform("illness", 7, hh.n)
    chance = ill[hh.n_members, hh.n_elderly, hh.n_chronic]
    assert np.array_equal(hh.med_cost > 0, (u < chance) & hh.active)
    risk = hh.n_members + hh.n_elderly + 2 * hh.n_chronic  # person-equivalents
    assert np.allclose(chance, 1 - (1 - monthly(0.5)) ** risk)


def test_the_screened_pass_plays_every_household_the_full_pass_would(monkeypatch):
    """The screen (bounds on the chances) never misses a household with an event."""
    import sim.engine.shocks.individual as individual
    import sim.engine.shocks.month as month
    from sim.studies.run import BatchModel

    real, calls = individual._individual_shocks, []

    def both(hh, keys, on, tables, rates, flags, sick_idx, sick_v):
        ref = type(hh)(*[a.copy() for a in hh])  # every household, played in full
        ref_sick = np.empty_like(sick_idx), np.empty_like(sick_v)
        n_ref = individual._events(ref, np.arange(flags.size), keys, on, tables, rates, *ref_sick)
        n = real(hh, keys, on, tables, rates, flags, sick_idx, sick_v)
        for name, got, want in zip(hh._fields, hh, ref, strict=True):
            assert np.array_equal(got, want), name
        assert n == n_ref and np.array_equal(sick_idx[:n], ref_sick[0][:n])
        assert np.array_equal(sick_v[:n], ref_sick[1][:n])
        calls.append((int(flags.sum()), n))
        return n

    monkeypatch.setattr(month, "_individual_shocks", both)
    often = [
        "shocks.illness.p_person_year=0.5", "shocks.chronic.p_person_year=0.3",
        "shocks.disability.p_labourer_year=0.3", "shocks.death.p_elderly_year=0.4",
        "shocks.death.p_other_year=0.2", "shocks.jobs.p_loss_migrant=0.2",
        "shocks.jobs.p_loss_local=0.2", "shocks.jobs.p_reemploy=0.6",
    ]  # fmt: skip
    m = BatchModel(scale=0.01, months=6, burn_in=0, **dict(o.split("=") for o in often))
    while m.running:
        m.step()
    assert len(calls) == 6 and all(sick > 0 for _, sick in calls)
