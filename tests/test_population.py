from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config.compose import compose
from sim.core.errors import DataError
from sim.engine.households import EDGE, OPTIONAL, PA, REGISTER
from sim.engine.model import RelapseModel
from sim.engine.population import generate, load, save
from sim.engine.schema import check, population_pars

POLICY = check(compose([])).burn_in_policy  # base-year dibao and tekun of the default


@pytest.fixture(scope="module")
def pars():
    return population_pars(compose([]))


@pytest.fixture(scope="module")
def district(pars):
    return generate(pars, 1, POLICY)


def test_default_district_matches_the_plan_exactly(district):
    hh = district
    pa = hh.category == PA
    assert int(pa.sum()) == 17_384
    assert int(hh.n_members[pa].sum()) == 54_262
    assert hh.n == 190_000
    assert int((hh.category == EDGE).sum()) == 3_500
    assert set(np.unique(hh.town)) == set(range(25))
    assert np.unique(hh.village).size == 303


def test_member_counts_are_consistent(district):
    hh = district
    assert (hh.n_members >= 1).all()
    assert (hh.n_labour + hh.n_elderly + hh.n_school + hh.n_disabled <= hh.n_members).all()
    assert (hh.n_migrant + hh.n_local <= hh.n_labour).all()
    assert (hh.n_chronic <= hh.n_members).all()
    for col in REGISTER:
        assert (getattr(hh, col) >= 0).all(), col


def test_incomes_are_calibrated_to_design_section_5(district, pars):
    hh, econ = district, pars.economy
    income = hh.annual_income(econ) + hh.transfers0

    def pc(mask):
        return income[mask].sum() / hh.n_members[mask].sum()

    # per-capita income, transfers included: the plan's figures (the last round's transfers
    # and lifts move them a little)
    assert pc(hh.category == PA) == pytest.approx(12_082, rel=0.005)
    assert pc(hh.category >= 0) == pytest.approx(17_550, rel=0.005)
    # Nobody below the 2020 poverty line: absolute poverty was zero at the end of 2020.
    assert (income / hh.n_members >= pars.poverty_line_base).all()


def test_base_year_transfers_are_the_levers_rules(pars):
    """The generator's base-year dibao and tekun: what the levers pay in a first month of
    2020 when nobody is a recipient yet, times 12 (no targeting errors here)."""
    from dataclasses import replace

    from sim.core.random import Streams
    from sim.engine.model import RelapseModel
    from sim.engine.policies import LEVERS
    from sim.engine.policies.dibao import base_year_transfers
    from sim.engine.schema import check

    over = ["start=2020-01", "burn_in=0", "months=1", "shocks=none",
            "policy.dibao.exclusion_error=0", "policy.dibao.inclusion_error=0"]  # fmt: skip
    over += [f"policy.{n}.enabled={n in ('dibao', 'tekun')}" for n in LEVERS]
    cfg = compose(over)
    hh = generate(replace(pars, scale=0.02), seed=4, policy=check(cfg).policy)
    econ = pars.economy
    own, wages = hh.annual_income(econ) / hh.n_members / 12, hh.annual_wages() / hh.n_members / 12
    want = base_year_transfers(hh, check(cfg).policy, 2020, own, wages, Streams(4))
    assert (want > 0).mean() > 0.02
    hh.transfers0[:] = 0  # nobody is a current recipient
    m = RelapseModel(cfg, households=hh, rng=4)
    m.step()
    paid = sum(lv.payments(hh.n) for lv in m.levers if lv.name in ("dibao", "tekun"))
    fen = np.rint(100 * want / 12)  # a month
    assert np.array_equal(paid > 0, fen > 0)  # the same recipients
    assert np.abs(paid - fen).max() <= 1  # the same amounts (the history is float32)


def test_mustard_growers_and_area(district):
    grows = district.mustard_mu > 0
    assert 150_000 < grows.sum() < 170_000  # about 160,000 growing households
    assert district.mustard_mu[grows].mean() == pytest.approx(4.56, rel=0.03)


def test_scale_and_seed(pars):
    from dataclasses import replace

    small = replace(pars, scale=0.05)
    a, b, c = generate(small, 3, POLICY), generate(small, 3, POLICY), generate(small, 4, POLICY)
    assert a.n == 9_500 and int(a.n_members[a.category == PA].sum()) == round(54_262 * 0.05)
    for col in REGISTER:
        assert np.array_equal(getattr(a, col), getattr(b, col)), col
    assert not np.array_equal(a.wage_migrant, c.wage_migrant)


# -- loader ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(pars):
    from dataclasses import replace

    return generate(replace(pars, scale=0.002), 5, POLICY)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_register_round_trip(tmp_path, small, suffix):
    path = tmp_path / f"register{suffix}"
    save(small, path)
    back = load(path)
    for col, (dtype, _, _) in REGISTER.items():
        got, want = getattr(back, col), getattr(small, col)
        if np.issubdtype(dtype, np.floating) and suffix == ".csv":
            np.testing.assert_allclose(got, want, rtol=1e-6)
        else:
            assert np.array_equal(got, want), col


TODAYS_REGISTER = Path(__file__).parent / "data" / "register_2026-12.csv"  # schema of 2026-12


def test_a_register_written_with_an_earlier_schema_still_loads():
    """A register file saved in 2026-12 (every column of that day) loads and runs."""
    hh, rows = load(TODAYS_REGISTER), pd.read_csv(TODAYS_REGISTER)
    assert hh.n == len(rows) == 96
    for col in rows.columns.drop("category"):
        np.testing.assert_allclose(getattr(hh, col), rows[col], rtol=1e-6, err_msg=col)
    run = check(compose(["population=register", f"population.file={TODAYS_REGISTER}",
                         "months=2", "burn_in=0"]))  # fmt: skip
    model = RelapseModel(run, households=hh)
    model.step()
    assert model.t == 1


def test_optional_columns_left_out_get_their_defaults(tmp_path, small):
    df = small.register().drop(columns=list(OPTIONAL))
    path = tmp_path / "register.csv"
    df.to_csv(path, index=False)
    back = load(path)
    for col in REGISTER:
        want = np.full(small.n, OPTIONAL[col]) if col in OPTIONAL else getattr(small, col)
        np.testing.assert_allclose(getattr(back, col), want, rtol=1e-6, err_msg=col)


def test_a_column_added_later_leaves_old_registers_loading(monkeypatch):
    """A new register column comes with its default in OPTIONAL: old files load with it."""
    monkeypatch.setitem(REGISTER, "n_working_disabled", (np.int16, "disabled who work", 100))
    monkeypatch.setitem(OPTIONAL, "n_working_disabled", 0)
    hh = load(TODAYS_REGISTER)
    assert hh.n == 96 and not hh.n_working_disabled.any()


def test_a_required_column_left_out_is_named(tmp_path, small):
    path = tmp_path / "register.csv"
    small.register().drop(columns=["n_labour"]).to_csv(path, index=False)
    with pytest.raises(DataError, match="missing column 'n_labour'.*may have n_school"):
        load(path)


def _set(row, col, value):
    def edit(d):
        d[col] = d[col].astype(object)
        d.loc[row, col] = value

    return edit


def _broken(tmp_path, small, edit):
    df = small.register()
    edit(df)
    path = tmp_path / "register.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.pop("n_labour"), r"missing column 'n_labour'"),
        (lambda d: d.insert(0, "income", 1), r"unknown column 'income'"),
        (_set(2, "n_members", -1), r"'n_members' is negative in rows 4$"),
        (_set(0, "wage_local", np.nan), r"'wage_local' is missing or not a number in rows 2$"),
        (_set(1, "savings", "lots"), r"'savings' is missing or not a number in rows 3$"),
        (_set(3, "category", "rich"), r"'category' has an unknown value in rows 5;"),
        (_set(0, "n_members", 0), r"'n_members' must be at least 1 in rows 2$"),
        (_set(0, "n_disabled_working", 99), r"'n_disabled_working' exceeds n_labour in rows 2"),
        (_set(1, "n_school", 1.5), r"'n_school' must be whole numbers in rows 3$"),
    ],
)  # fmt: skip
def test_bad_register_names_column_and_row(tmp_path, small, edit, message):
    with pytest.raises(DataError, match=message):
        load(_broken(tmp_path, small, edit))


def test_more_labourers_than_members_is_rejected(tmp_path, small):
    def edit(d):
        d.loc[4, "n_labour"] = d.loc[4, "n_members"] + 1

    with pytest.raises(DataError, match=r"'n_labour' exceeds n_members in rows 6"):
        load(_broken(tmp_path, small, edit))


def test_missing_file_and_format(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load(tmp_path / "nope.csv")
    (tmp_path / "r.xlsx").write_text("x")
    with pytest.raises(DataError, match="use .csv or .parquet"):
        load(tmp_path / "r.xlsx")
