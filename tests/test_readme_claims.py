"""What the README says of the tool is so: each count, default and threshold it states is read
from the README and checked against the code or config it describes.

Figures the model gives (relapse, spending, speed) are measured, with the date and command next
to them in the README; the last test checks that every timing it gives says when it was
measured.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
TEXT = re.sub(r"\s+", " ", README)  # a claim may break across lines


def said(pattern: str) -> list[str]:
    """Every match of ``pattern`` in the README (white space folded): at least one."""
    found = re.findall(pattern, TEXT)
    assert found, f"the README no longer says {pattern!r}: update this test with it"
    return found


def number(text: str) -> float:
    return float(text.replace(",", ""))


def load(path: str) -> dict:
    return yaml.safe_load((ROOT / path).read_text())


def test_the_district_is_what_the_population_config_says():
    pop = load("scenarios/population/fuling.yaml")
    (towns, villages, pa, people, total), = said(
        r"([\d,]+) towns, ([\d,]+) villages, ([\d,]+) poverty-alleviated households with "
        r"([\d,]+) people among ([\d,]+) rural households"
    )  # fmt: skip
    assert number(towns) == pop["n_towns"] and number(villages) == pop["n_villages"]
    assert number(pa) == pop["households"]["poverty_alleviated"]
    assert number(people) == pop["people_poverty_alleviated"]
    assert number(total) == sum(pop["households"].values())
    for households in said(r"\(([\d,]+) households, 10 seeds"):  # the dashboard's tenth
        assert number(households) == round(0.1 * sum(pop["households"].values()))


def test_the_large_scale_rule_is_the_outcomes_config():
    rule = load("scenarios/outcomes/default.yaml")["large_scale"]
    for town, count, district in said(
        r"a town where at least (\d+)% (?:and at least|of its poverty-alleviated households, "
        r"and at least) (\d+)[^.]*?or (\d+)% of the district"
    ):  # fmt: skip
        assert (number(town) / 100, number(count), number(district) / 100) == (
            rule["town_rate"], rule["town_min_count"], rule["district_rate"]
        )


def test_the_period_and_burn_in_are_the_defaults():
    cfg = load("scenarios/config.yaml")
    assert cfg["start"] == "2021-01" and cfg["months"] == 60  # "2021-01 to 2025-12"
    said(r"make run # the full default district, 2021-01 to 2025-12")
    for burn_in, months in said(r"max_steps counts the burn-in too: (\d+) \+ (\d+) months"):
        assert (int(burn_in), int(months)) == (cfg["burn_in"], cfg["months"])
    for burn_in in said(r"Burn-in\*\*: the (\d+) months simulated before"):
        assert int(burn_in) == cfg["burn_in"]


def test_counts_of_the_studies_are_their_configs():
    factors = load("scenarios/uncertainty/fuling.yaml")["factors"]
    for n in said(r"(\d+) factors, each with the config keys") + said(r"Morris over all (\d+)"):
        assert int(n) == len(factors)
    variables = load("scenarios/search/least_cost.yaml")["variables"]
    (n,) = said(r"`least_cost` has (\d+) variables")
    assert int(n) == len(variables)
    exp = load("scenarios/experiment/levers_leave_one_out.yaml")
    (scenarios, seeds), = said(r"experiment=levers_leave_one_out # (\d+) scenarios x (\d+) seeds")
    assert (int(scenarios), int(seeds)) == (len(exp["scenarios"]), exp["seeds"])
    for runs in said(r"levers_leave_one_out`? ?\(?(\d+) full-district runs") + said(
        r"levers_leave_one_out's (\d+) runs"
    ):  # fmt: skip
        assert int(runs) == len(exp["scenarios"]) * exp["seeds"]


def test_the_test_counts_are_the_tests():
    cases = load("tests/bad_inputs/cases.yaml")
    (n,) = said(r"`tests/bad_inputs/cases.yaml` lists (\d+) bad inputs")
    assert int(n) == len(cases)
    fuzz = (ROOT / "tests/test_fuzz_overrides.py").read_text()
    (drawn,) = said(r"draws (\d+) more command lines")
    assert f"EXAMPLES = {drawn}" in fuzz


def test_the_band_is_the_comparisons_band():
    from sim.config.experiment import band_quantiles, experiment

    (share,) = set(said(r"\*\*Band\*\*: the central (\d+)% \(by default\)"))
    (fewest,) = set(said(r"their whole range with (\w+) seeds or fewer"))
    n = {"five": 5}[fewest]
    exp = load("scenarios/experiment/levers_leave_one_out.yaml")
    assert exp["band"] == int(share) / 100
    base = {k: exp[k] for k in ("name", "title", "baseline", "base", "scenarios")}
    assert band_quantiles(experiment(base | {"seeds": n, "band": 0.9})) == (0, 1)
    lo, hi = band_quantiles(experiment(base | {"seeds": n + 1, "band": 0.9}))
    assert (lo, hi) == pytest.approx((0.05, 0.95))


def test_every_timing_says_when_it_was_measured():
    """A duration measured 'here' carries a date (2026-12-..) in its paragraph or list item:
    a bare 'about 11 s here' is how stale figures hide."""
    bare = []
    for para in re.split(r"\n\s*\n|\n- ", README):
        flat = re.sub(r"\s+", " ", para)
        for m in re.finditer(r"[^.;]*?\b\d[\d.,-]* ?(?:s|min|minutes|seconds|hours?)\b[^.;]*"
                             r"\bhere\b[^.;]*", flat):  # fmt: skip
            if not re.search(r"20\d\d-\d\d-\d\d", flat):
                bare.append(m.group(0).strip()[:100])
    assert not bare, "timings without a date:\n" + "\n".join(bare)
