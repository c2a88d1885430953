from dataclasses import dataclass

import pytest

from sim.errors import ConfigError
from sim.params import Dated, dated, nonneg, parse, prob
from sim.schedule import Dated as DatedDirect


def test_dated_is_a_step_function_of_the_year():
    d = Dated({2022: 581, 2021: 515, 2024: 610})
    assert [d(y) for y in (2019, 2021, 2022, 2023, 2024, 2030)] == [515, 515, 581, 581, 610, 610]
    assert Dated(4000)(1900) == 4000.0
    assert Dated is DatedDirect


@pytest.mark.parametrize("bad", [{}, {"x": 1}, {2021: "a lot"}, "ten"])
def test_dated_rejects_malformed_tables(bad):
    with pytest.raises(ConfigError, match="policy.dibao.standard"):
        Dated(bad, "policy.dibao.standard")


@dataclass(frozen=True, kw_only=True)
class Inner:
    p: float = prob()
    amount: Dated = dated("nonneg")


@dataclass(frozen=True, kw_only=True)
class Outer:
    enabled: bool
    n: int = nonneg()
    inner: Inner
    label: str = "x"


GOOD = {"enabled": True, "n": 3, "inner": {"p": 0.5, "amount": {2021: 1, 2022: 2}}}


def test_parse_builds_nested_checked_values():
    out = parse(Outer, GOOD, "lever")
    assert out.inner.p == 0.5 and out.inner.amount(2023) == 2 and out.label == "x" and out.n == 3


@pytest.mark.parametrize(
    "patch, message",
    [
        ({"inner": {"p": 1.3, "amount": 1}}, r"lever\.inner\.p = 1\.3: must be a probability"),
        ({"inner": {"p": -0.1, "amount": 1}}, r"lever\.inner\.p = -0\.1: must be a probability"),
        ({"inner": {"p": 0.1, "amount": {2021: -5}}}, r"lever\.inner\.amount = .*must be >= 0"),
        ({"n": -1}, r"lever\.n = -1: must be >= 0"),
        ({"n": 2.5}, r"lever\.n = 2\.5: must be an integer"),
        ({"enabled": "yes"}, r"lever\.enabled = 'yes': must be true or false"),
        ({"typo": 1}, r"lever\.typo: unknown key; valid keys are enabled, inner, label, n"),
        ({"inner": {"p": 0.1}}, r"lever\.inner\.amount: missing"),
        ({"n": "???"}, r"lever\.n: required"),
    ],
)
def test_parse_names_the_bad_key(patch, message):
    with pytest.raises(ConfigError, match=message):
        parse(Outer, {**GOOD, **patch}, "lever")
