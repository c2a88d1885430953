"""YAML rule cases (tests/rules/*.yaml): one household in, the payment out, exact in fen."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.config import compose
from sim.model import RelapseModel
from sim.policies import LEVERS
from sim.population import Households

RULES = Path(__file__).parent / "rules"
CASES = [
    pytest.param(case, id=f"{path.stem}: {case['name']}")
    for path in sorted(RULES.glob("*.yaml"))
    for case in yaml.safe_load(path.read_text())
]


def run_case(case: dict) -> RelapseModel:
    month = str(case.get("month", "2021-01"))
    overrides = ["shocks=none", "policy=status_quo", f"start={month}", "months=1", "burn_in=0"]
    overrides += [f"policy.{name}.enabled={name in case['levers']}" for name in LEVERS]
    overrides += [f"policy.{k}={v}" for k, v in case.get("policy", {}).items()]
    overrides += [f"shocks.{k}={v}" for k, v in case.get("shocks", {}).items()]
    rows = case.get("households") or [case["household"]]
    columns = {k: [row.get(k, 0) for row in rows] for k in set().union(*rows)}
    model = RelapseModel(compose(overrides), households=Households.from_columns(**columns))
    hh = model.hh
    # RelapseModel.step, with the case's state set after the shocks
    model.t = 1
    year, mon = model.calendar(1)
    model.shocks.step(hh, 1, year, mon)
    for key, value in case.get("state", {}).items():
        getattr(hh, key)[:] = value
    model.livelihood.earn(hh, model.shocks.cov, 1, year, mon)
    lines = model.cfg.outcomes  # the case year's lines (a year of income at the year's line)
    model.poverty_line, model.monitoring_line = (
        lines.poverty_line(year),
        lines.monitoring_line(year),
    )
    model.apply_levers()
    return model


def paid(model, name) -> np.ndarray:
    lever = next(lv for lv in model.levers if lv.name == name)
    return lever.payments(model.hh.n)


@pytest.mark.parametrize("case", CASES)
def test_rule_case(case):
    model = run_case(case)
    for name, want in case.get("expected", {}).items():
        got = paid(model, name)
        if isinstance(want, list):
            assert got.tolist() == [round(w * 100) for w in want], name
        else:
            assert int(got.sum()) == round(want * 100), name
    for name, want in case.get("expected_other", {}).items():
        lever = next(lv for lv in model.levers if lv.name == name)
        assert int(lever.ledger.other_fen[1]) == round(want * 100), name


def test_every_lever_has_three_cases():
    counts = {name: 0 for name in LEVERS if name != "monitoring"}  # monitoring pays nothing
    for param in CASES:
        case = param.values[0]
        for name in case.get("expected", {}) | case.get("expected_other", {}):
            counts[name] += 1
    assert all(n >= 3 for n in counts.values()), counts
