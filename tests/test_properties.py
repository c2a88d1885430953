"""Property tests (hypothesis): the register loader never fails with a traceback, and the
model's invariants hold for random small configurations.

Examples are derandomised: every run of the suite tries the same ones, so a failure is
reproducible. ``PROPERTY_EXAMPLES=300 PROPERTY_RANDOM=1 pytest tests/test_properties.py`` searches harder:
more model runs per property, new random examples each time (hypothesis prints how to
reproduce a failure).
"""

import math
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.config.compose import compose
from sim.core.errors import DataError
from sim.engine.households import OPTIONAL, REGISTER
from sim.engine.model import RelapseModel
from sim.engine.policies import LEVERS
from sim.engine.population import district, load
from sim.studies.run import simulate

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", 25))  # model runs per property
FIXED = os.environ.get("PROPERTY_RANDOM", "") in ("", "0")
FAST = settings(max_examples=6 * EXAMPLES, deadline=None, derandomize=FIXED,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
RUNS = settings(max_examples=EXAMPLES, deadline=None, derandomize=FIXED)
N_TOWNS, N_VILLAGES = 25, 303  # the default district's


# -- the register loader: a Households that keeps every rule, or one DataError ----------------


@pytest.fixture(scope="module")
def register():
    full = district(compose(["population.scale=0.002"]), 1).register()
    return full.iloc[:40].reset_index(drop=True)


def assert_consistent(hh) -> None:
    """What the loader promises of every register it accepts."""
    assert len(np.unique(hh.household)) == hh.n
    assert (hh.n_members >= 1).all() and (hh.n_members <= 100).all()
    assert (hh.n_labour + hh.n_elderly + hh.n_school + hh.n_disabled <= hh.n_members).all()
    assert (hh.n_migrant + hh.n_local <= hh.n_labour).all()
    assert ((hh.town >= 0) & (hh.town < N_TOWNS)).all()
    assert ((hh.village >= 0) & (hh.village < N_VILLAGES)).all()
    for column, (_, _, top) in REGISTER.items():
        values = getattr(hh, column)
        assert np.isfinite(values).all() and (values >= 0).all() and (values <= top).all(), column


ODD_VALUES = st.one_of(
    st.integers(0, 12),  # plausible values too, so that some edited registers load
    st.floats(0, 5000),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.booleans(),
    st.none(),
)


@FAST
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 39), st.sampled_from(list(REGISTER)), ODD_VALUES), max_size=4
    ),
    drop=st.lists(st.sampled_from(list(REGISTER)), max_size=1),
    extra=st.booleans(),
    kind=st.sampled_from([".csv", ".parquet"]),
)
def test_an_edited_register_loads_consistent_or_fails_in_one_line(
    register, tmp_path_factory, edits, drop, extra, kind
):
    df = register.astype(object)
    for row, column, value in edits:
        df.loc[row, column] = value
    df = df.drop(columns=drop)
    if extra:
        df["income"] = 1.0
    path = tmp_path_factory.mktemp("reg") / f"register{kind}"
    if kind == ".csv":
        df.to_csv(path, index=False)
    else:
        try:
            df.to_parquet(path, index=False)
        except Exception:  # pyarrow cannot store this mix of types: nothing to load
            event("not storable as Parquet")
            return
    try:
        hh = load(path, N_TOWNS, N_VILLAGES)
    except DataError as exc:
        event("refused")
        assert "\n" not in str(exc) and str(exc).startswith(str(path))
    else:
        event("loaded")
        assert not extra and all(c in OPTIONAL for c in drop)  # an optional column may go
        assert_consistent(hh)
        for column in drop:
            assert (getattr(hh, column) == OPTIONAL[column]).all(), column


@FAST
@given(data=st.binary(max_size=3000), kind=st.sampled_from([".csv", ".parquet"]))
def test_random_bytes_never_raise_anything_but_a_data_error(tmp_path_factory, data, kind):
    path = tmp_path_factory.mktemp("bytes") / f"register{kind}"
    path.write_bytes(data)
    try:
        hh = load(path, N_TOWNS, N_VILLAGES)
    except DataError as exc:
        assert "\n" not in str(exc)
    else:
        assert_consistent(hh)


# -- the model on random small configurations -----------------------------------------------

CONFIGS = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**40),
        "population.scale": st.sampled_from([0.003, 0.01, 0.02]),
        "months": st.integers(1, 18),
        "burn_in": st.integers(0, 6),
        "start": st.sampled_from(["2021-01", "2022-07", "2024-11"]),
        "shocks": st.sampled_from(["default", "flood", "lockdown", "price_crash", "none"]),
        "policy": st.sampled_from(["status_quo", "plan_2025", "none"]),
        "shocks.illness.p_person_year": st.floats(0.0, 0.6),
        "shocks.death.p_other_year": st.floats(0.0, 0.05),
        "policy.dibao.take_up.general": st.floats(0.0, 1.0),
        "policy.medical_assistance.share": st.floats(0.0, 1.0),
    }
)


def overrides(cfg: dict) -> list[str]:
    return [f"{k}={v}" for k, v in cfg.items()] + ["chart=false"]


@RUNS
@given(cfg=CONFIGS)
def test_money_and_people_are_conserved_every_month(cfg):
    """Ledgers equal what households received, to the fen; members leave only by death."""
    m = RelapseModel(compose(overrides(cfg)))
    funeral = m.shocks.pars.death.funeral_cost
    while m.running:
        members = m.hh.n_members.copy()
        m.step()
        hh = m.hh
        received = int(hh.transfers_fen.sum() + hh.earned_fen.sum() + hh.reimbursed_fen.sum())
        assert sum(int(lv.ledger.paid_fen[m.t]) for lv in m.levers) == received, m.t
        assert all(int(lv.ledger.other_fen[m.t]) >= 0 for lv in m.levers)
        left = members - hh.n_members
        assert set(np.unique(left)) <= {0, 1}, m.t  # no births, at most one death a month
        assert (hh.one_off[left == 1] >= funeral).all()  # each departure is a death, with a funeral


def finite(value) -> bool:
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(finite(v) for v in value)
    if isinstance(value, float | int | np.number):
        return math.isfinite(value)
    return True


@RUNS
@given(cfg=CONFIGS)
def test_no_output_holds_nan_or_infinity(cfg):
    res = simulate(compose(overrides(cfg)))
    for name in ("monthly", "towns", "ledgers"):
        frame = getattr(res, name).select_dtypes("number")
        assert np.isfinite(frame.to_numpy(np.float64)).all(), name
    assert finite(res.summary)


@pytest.mark.slow  # a minute of model runs: make test-all
@RUNS
@given(cfg=CONFIGS)
def test_every_lever_off_is_policy_none(cfg):
    cfg = cfg | {"policy": "status_quo"}
    off = simulate(compose(overrides(cfg) + [f"policy.{n}.enabled=false" for n in LEVERS]))
    none = simulate(compose(overrides(cfg | {"policy": "none"})))
    pd.testing.assert_frame_equal(off.monthly, none.monthly, check_exact=True)
    pd.testing.assert_frame_equal(off.towns, none.towns, check_exact=True)
    pd.testing.assert_frame_equal(off.ledgers, none.ledgers, check_exact=True)


BENEFITS = [  # raised by a factor (adjust=[key*f]), every year of a dated value
    "policy.dibao.standard", "policy.dibao.minimum", "policy.dibao.topup_disabled",
    "policy.dibao.topup_school", "policy.tekun.standard", "policy.temporary.cap",
    "policy.medical_assistance.cap", "policy.critical_illness.cap",
    "policy.anti_poverty_insurance.cap",
]  # fmt: skip
LONGER = CONFIGS.map(lambda c: c | {"policy": "none", "population.scale": 0.05, "burn_in": 6})


@pytest.mark.slow  # a minute of model runs: make test-all
@RUNS
@given(
    cfg=LONGER, months=st.integers(12, 24), benefit=st.sampled_from(BENEFITS),
    factor=st.floats(1.1, 3.0),
)  # fmt: skip
def test_a_more_generous_lever_never_raises_poverty(cfg, months, benefit, factor):
    """Same draws, the lever alone and one of its benefits raised: no more poor
    household-months, relapsed households or poverty gap.

    Alone, because with the other levers on the property is false, here as in the rules the
    levers follow: means tests make cliffs. Temporary assistance and anti-poverty insurance
    test income with transfers included (``test_a_higher_top_up_can_cost_temporary_aid``), and
    posts are rationed by priority, so better-paid work relief can delay another household's
    public-welfare post. Post pay is left out even alone: posts go to the lowest per-capita
    income first, so better pay moves a former holder back in the queue and the next post to
    another household; poverty then rises a little in some draws (found: 1,363 poor
    household-months against 1,362, seed 372, work relief alone, pay x3). Relapse *events*
    may rise for any lever: a household lifted out of poverty for a while can fall back, a
    second event where it had one long spell.
    """
    lever = benefit.split(".")[1]
    cfg = cfg | {"months": months, f"policy.{lever}.enabled": True}
    base = simulate(compose(overrides(cfg)))
    change = f"{benefit}*{factor:.3f}"
    raised = simulate(compose(overrides(cfg) + [f"adjust=[{change}]"]))
    low, high = base.monthly, raised.monthly
    event("gap lower" if high["fgt1"].sum() < low["fgt1"].sum() else "gap same")
    assert high["n_poor"].sum() <= low["n_poor"].sum(), change
    assert high["fgt1"].sum() <= low["fgt1"].sum(), change
    ever = "relapsed"
    assert raised.summary[ever] <= base.summary[ever], change


def test_a_higher_top_up_can_cost_temporary_aid():
    """A benefit cliff, found by the property above run with every lever on.

    A school top-up 12.5% higher lifts some households' per-capita income (transfers
    included) over temporary assistance's income test: they lose a payment of up to 5,000
    yuan and fall below the line that month (net of care, the levers' own income measure),
    where the lower top-up kept them above it (the relapse rule, which confirms over two
    months after assistance, found no such household on seeds 1-40).
    """
    cfg = {"seed": 19, "population.scale": 0.05, "months": 12, "burn_in": 6,
           "start": "2024-11", "shocks.illness.p_person_year": 0.515625,
           "policy.dibao.take_up.general": 0.0, "policy.medical_assistance.share": 0.5}  # fmt: skip
    runs = [
        RelapseModel(compose(overrides(cfg))),
        RelapseModel(compose(overrides(cfg) + ["adjust=[policy.dibao.topup_school*1.125]"])),
    ]
    cliffs = 0
    while runs[0].running:
        for m in runs:
            m.step()
        worse = np.flatnonzero(runs[1].hh.poor_net_care & ~runs[0].hh.poor_net_care)
        paid = [m.lever("temporary").last[worse] >= 0 for m in runs]  # aid in any month so far
        cliffs += int((paid[0] & ~paid[1]).sum())
    assert cliffs >= 1
