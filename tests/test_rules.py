"""YAML rule cases (tests/rules/*.yaml): one household in, the payment out, exact in fen."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.config.compose import compose
from sim.engine.households import Households
from sim.engine.model import RelapseModel
from sim.engine.policies import LEVERS

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

    def year_lines(m: RelapseModel) -> None:  # the case year's lines, not the 12-month mean
        year = m.calendar(1)[0]
        m.poverty_line = m.cfg.outcomes.poverty_line(year)
        m.monitoring_line = m.cfg.outcomes.monitoring_line(year)

    def state(m: RelapseModel) -> None:  # the case's household state, after the shocks
        for key, value in case.get("state", {}).items():
            getattr(m.hh, key)[:] = value

    model.run_month(until="levers", after={"lines": year_lines, "shocks": state})
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
