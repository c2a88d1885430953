from dataclasses import dataclass

import pytest

from sim.core.errors import ConfigError
from sim.core.params import Dated, dated, nonneg, parse, prob, resolve
from sim.core.schedule import Dated as DatedDirect


def test_dated_is_a_step_function_of_the_year():
    d = Dated({2022: 581, 2021: 515, 2024: 610})
    assert [d(y) for y in (2019, 2021, 2022, 2023, 2024, 2030)] == [515, 515, 581, 581, 610, 610]
    assert Dated(4000)(1900) == 4000.0
    assert Dated is DatedDirect


@pytest.mark.parametrize("bad", [{}, {"x": 1}, {2021: "a lot"}, "ten", {2021: 1, "2021": 2}, True])
def test_dated_rejects_malformed_tables(bad):
    with pytest.raises(ConfigError, match="policy.dibao.standard"):
        Dated(bad, "policy.dibao.standard")


def test_year_keys_may_be_digit_strings():
    assert Dated({"2021": 515, 2022: 581}).table() == {2021: 515.0, 2022: 581.0}


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
        (
            {"inner": {"p": 0.1, "amount": {2021: -5}}},
            r"lever\.inner\.amount\.2021 = -5\.0: must be >= 0",
        ),
        ({"n": -1}, r"lever\.n = -1: must be >= 0"),
        ({"n": 2.5}, r"lever\.n = 2\.5: must be an integer"),
        ({"enabled": "yes"}, r"lever\.enabled = 'yes': must be true or false"),
        ({"typo": 1}, r"lever\.typo: unknown key \(valid keys: enabled, inner, label, n"),
        ({"inner": {"p": 0.1}}, r"lever\.inner\.amount: missing"),
        ({"n": "???"}, r"lever\.n: required"),
    ],
)
def test_parse_names_the_bad_key(patch, message):
    with pytest.raises(ConfigError, match=message):
        parse(Outer, {**GOOD, **patch}, "lever")


@dataclass(frozen=True, kw_only=True)
class Lever:
    DATED = True
    enabled: bool
    n: int = nonneg()
    inner: Inner
    label: str = "x"


def test_in_a_dated_class_every_number_and_switch_may_be_a_table():
    data = {"enabled": {2021: True, 2026: False}, "n": {2021: 2, 2024: 5},
            "inner": {"p": {2021: 0.5, 2023: 0.25}, "amount": 3}}  # fmt: skip
    spec = parse(Lever, data, "lever")
    years = {y: resolve(spec, y) for y in (2020, 2023, 2024, 2026)}
    assert [v.enabled for v in years.values()] == [True, True, True, False]
    assert [v.n for v in years.values()] == [2, 2, 5, 5]
    assert [v.inner.p for v in years.values()] == [0.5, 0.25, 0.25, 0.25]
    assert type(years[2024].n) is int and years[2024].inner.amount == 3.0
    assert resolve(parse(Lever, {**data, "n": 1}, "lever"), 2021).n == 1
    with pytest.raises(ConfigError, match=r"^lever\.n\.2024 = 2\.5: must be an integer"):
        parse(Lever, {**data, "n": {2021: 1, 2024: 2.5}}, "lever")
    with pytest.raises(ConfigError, match=r"^outer\.n = \{2021: 1\}: must be an integer"):
        parse(Outer, {**GOOD, "n": {2021: 1}}, "outer")  # not a dated class
