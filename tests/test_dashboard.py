"""The dashboard's logic without a browser (sim.app.dashboard): settings, mixes, exports, browsing.

The page itself, driven in Chromium, is tests/test_app_browser.py.
"""

import pytest
import yaml

from sim.app import dashboard
from sim.config.compose import compose
from sim.core.errors import ConfigError
from sim.engine.schema import to_dict


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    root = tmp_path_factory.mktemp("app")
    return dashboard.settings([f"output_root={root}", "scale=0.01", "seeds=2", "months=3"])


def every_control_moved(d, base):
    """Each control at the end of its range furthest from the base's own value."""
    out = {}
    for name, f in d.controls.factors.items():
        lo, hi = f.range
        out[name] = lo if abs(lo - d.start[base][name]) > abs(hi - d.start[base][name]) else hi
    return out


def test_the_shipped_settings_hold_every_base_mix(d):
    assert set(d.start) == {"status_quo", "plan_2025"}
    sq, plan = d.start["status_quo"], d.start["plan_2025"]
    assert sq["dibao_standard"] == 1.0 and sq["public_jobs_posts"] == 0  # changes start at none
    assert (sq["visit_every"], plan["visit_every"]) == (3, 1)  # a value control: the base's own
    assert (sq["data_screening"], plan["data_screening"]) == (0.3, 0.8)


@pytest.mark.parametrize("base", ["status_quo", "plan_2025"])
def test_the_exported_policy_is_the_config_the_dashboard_ran(d, base):
    """The file an export writes and the overrides the dashboard runs give one config."""
    m = dashboard.mix(d, base, "flood", every_control_moved(d, base))
    assert len(m.values) == len(d.controls.factors)
    name = f"t_{base}"
    dashboard.export(d, m, name, 0.01)
    folder = d.root / dashboard.EXPORTS
    common = ["shocks=flood", "seed=1", f"hydra.searchpath=[file://{folder}]"]
    ran = to_dict(compose([*common, *dashboard.overrides(d, m)]))
    via_file = to_dict(compose([*common, f"policy={name}"]))
    assert ran["policy"]["name"] == base and via_file["policy"]["name"] == name
    ran["policy"]["name"] = via_file["policy"]["name"] = "x"
    assert ran == via_file
    # the uplift moved what interpolates it (tekun's income limit is the dibao standard)
    assert ran["policy"]["tekun"]["income_limit"] == ran["policy"]["dibao"]["standard"]
    exp = yaml.safe_load((folder / "experiment" / f"{name}.yaml").read_text())
    assert exp["scenarios"] == {"status_quo": ["policy=status_quo"], "mix": [f"policy={name}"]}
    assert exp["seeds"] == [1, 2] and exp["base"] == ["shocks=flood"]


def test_a_control_at_its_start_is_no_change(d):
    m = dashboard.mix(d, "plan_2025", "default",
                      {"visit_every": 1, "data_screening": 0.8000000000000002, "trainees": 500})  # fmt: skip
    assert m.values == {"trainees": 500}
    assert dashboard.overrides(d, m) == [
        "policy=plan_2025",
        "adjust=[policy.employment.trainees+500]",
    ]
    same = dashboard.mix(d, "plan_2025", "default", {"trainees": 500.0})
    assert dashboard.folder(d, m, 0.01) == dashboard.folder(d, same, 0.01)  # one cache entry
    other = dashboard.mix(d, "plan_2025", "flood", {"trainees": 500})
    assert dashboard.folder(d, m, 0.01) != dashboard.folder(d, other, 0.01)


@pytest.mark.parametrize(
    ("base", "shocks", "values", "message"),
    [
        ("nope", "default", {}, "base mix 'nope': use one of status_quo, plan_2025"),
        ("status_quo", "earthquake", {}, "shocks 'earthquake': use one of default"),
        ("status_quo", "default", {"dibao": 1.1}, "control 'dibao': use one of dibao_standard"),
        ("status_quo", "default", {"dibao_standard": 3}, r"dibao_standard = 3: give a number in \[0.9, 1.3\]"),
        ("status_quo", "default", {"trainees": "500"}, "trainees = '500': give a number"),
    ],
)  # fmt: skip
def test_a_bad_mix_is_refused_by_name(d, base, shocks, values, message):
    with pytest.raises(ConfigError, match=message):
        dashboard.mix(d, base, shocks, values)


@pytest.mark.parametrize(
    ("name", "message"),
    [("../../etc/x", "use lower-case letters"), ("My Mix", "use lower-case letters"),
     ("status_quo", "a shipped policy or experiment has it"),
     ("levers_leave_one_out", "a shipped policy or experiment has it")],
)  # fmt: skip
def test_an_export_name_is_a_plain_new_word(d, name, message):
    m = dashboard.mix(d, "status_quo", "default", {"trainees": 500})
    with pytest.raises(ConfigError, match=message):
        dashboard.export(d, m, name, 0.01)
    assert not list((d.root / dashboard.EXPORTS).glob(f"*/{name}*"))


def test_only_listed_comparisons_are_opened(d):
    with pytest.raises(ConfigError, match="not a finished comparison"):
        dashboard.comparison_folder(d, "../../../etc")


@pytest.mark.parametrize(
    ("over", "message"),
    [(["bases=[status_quo,nope]"], r"dashboard.bases: 'nope' is not in scenarios/policy/"),
     (["shock_scenarios=[flod]"], r"dashboard.shock_scenarios: 'flod' is not in scenarios/shocks/"),
     (["controls.dibao_standard.range=[1.05,1.3]"],
      r"dashboard.controls.dibao_standard.range = \[1.05, 1.3\]: does not hold status_quo's own value 1"),
     (["controls.data_screening.range=[0.1,1.5]"], r"data_screening.range: at 1.5 the run is refused"),
     (["controls.visit_every.keys=[policy.dibao.standard]"],
      "change value needs a plain number at policy.dibao.standard"),
     (["seeds=0"], "seeds"),
     (["controls.dibao_standard.keys=[shocks.illness.p_person_year]"],
      "shocks.illness.p_person_year is not a policy key"),
     (["scale=1e-9"], "scale = 1e-09: must be between 0.001 and 1"),
     (["labels=5"], "dashboard.labels = 5: must map a language to names"),
     (["output_root=outputs/../../.."], "without '..' or '~'"),
     (["output_root=/proc/x"], r"dashboard.output_root = /proc/x: cannot write in /proc")],
)  # fmt: skip
def test_bad_settings_name_the_key(over, message):
    with pytest.raises(ConfigError, match=message):
        dashboard.settings(over)


def test_saved_mixes_outlive_the_session_and_a_stale_one_is_reported_not_lost(tmp_path):
    d = dashboard.settings([f"output_root={tmp_path}", "scale=0.01", "seeds=2", "months=3"])
    a = dashboard.mix(d, "status_quo", "flood", {"dibao_standard": 1.1})
    b = dashboard.mix(d, "plan_2025", "default", {"public_jobs_posts": 500})
    dashboard.save_mix(d, "mix_a", a)
    dashboard.save_mix(d, "mix_b", b)
    again = dashboard.settings([f"output_root={tmp_path}", "scale=0.01", "seeds=2", "months=3"])
    assert dashboard.saved_mixes(again) == ({"mix_a": a, "mix_b": b}, [])
    # a mix the settings no longer accept (a narrower range) is left out, with its name
    narrow = dashboard.settings([f"output_root={tmp_path}", "controls.dibao_standard.range=[0.9,1.05]"])
    mixes, dropped = dashboard.saved_mixes(narrow)
    assert list(mixes) == ["mix_b"] and dropped and dropped[0].startswith("mix_a: control dibao_standard")
    dashboard.forget_mix(d, "mix_b")
    assert list(dashboard.saved_mixes(d)[0]) == ["mix_a"]  # mix_a is still in the file
    before = (tmp_path / dashboard.MIXES).read_bytes()
    for bad in ("Mix A", "status_quo", "mix", "../x"):
        with pytest.raises(ConfigError, match=f"mix name {bad!r}"):
            dashboard.save_mix(d, bad, a)
    assert (tmp_path / dashboard.MIXES).read_bytes() == before


def test_mixes_side_by_side_are_each_the_run_of_that_mix_alone(d):
    """Paired on the same seeds: a saved mix's runs in the side-by-side comparison are the
    runs the dashboard makes of it alone, number for number."""
    import pandas as pd

    mixes = {"more_dibao": dashboard.mix(d, "status_quo", "default", {"dibao_standard": 1.2}),
             "fewer_posts": dashboard.mix(d, "status_quo", "default", {"public_jobs_posts": -1000})}  # fmt: skip
    both = dashboard.run_side_by_side(d, mixes, "default", d.pars.scale)
    runs = pd.read_parquet(both / "runs.parquet").set_index(["scenario", "seed"])
    for name, m in mixes.items():
        alone = pd.read_parquet(dashboard.run(d, m, d.pars.scale) / "runs.parquet")
        alone = alone.set_index(["scenario", "seed"])
        cols = [c for c in alone.columns if c not in ("wall_s",) and c in runs.columns]
        pd.testing.assert_frame_equal(runs.loc[name, cols], alone.loc["mix", cols])
        pd.testing.assert_frame_equal(runs.loc["status_quo", cols], alone.loc["status_quo", cols])
    table = dashboard.mixes_table(both, "en")
    assert list(table.iloc[:, 0]) == ["status quo", "more dibao", "fewer posts"]  # names as words
    assert (dashboard.mixes_table(both, "zh").iloc[1:, 0] == ["「more dibao」", "「fewer posts」"]).all()
    # the whole district's figures are the sample's times 1/scale; the rates are not scaled
    s = pd.read_csv(both / "summary.csv").set_index("scenario")
    k = 1 / d.pars.scale
    district = dashboard.mixes_table(both, "en", district=True)
    spent = s.loc["more_dibao", "spending_mean"] * k / 1e6
    assert district.iloc[1, 6].startswith(f"{spent:,.1f} [")
    assert district.iloc[1, 3] == dashboard.mixes_table(both, "en").iloc[1, 3]
    # a budget ceiling between the two mixes' district spending marks the dearer one only
    spend = s["spending_mean"] * k / 1e6
    ceiling = (spend["more_dibao"] + spend["fewer_posts"]) / 2
    marked = dashboard.mixes_table(both, "en", budget=ceiling).set_index("mix").iloc[:, -1]
    marked.index = marked.index.str.replace(" ", "_")
    dearer, cheaper = spend[["more_dibao", "fewer_posts"]].sort_values().index[::-1]
    assert marked[dearer].startswith("OVER by") and marked[cheaper].startswith("within")
    # downloads hold the table shown, as CSV and as Excel
    files = dashboard.downloads(table, both, "mixes")
    import io

    assert pd.read_csv(io.BytesIO(files["mixes.csv"]()), encoding="utf-8-sig", dtype=str,
                       keep_default_na=False).equals(table)  # fmt: skip
    xlsx = pd.read_excel(io.BytesIO(files["mixes.xlsx"]()), sheet_name=None, dtype=str,
                         keep_default_na=False)  # fmt: skip
    assert xlsx["shown"].equals(table) and len(xlsx["summary"]) == 3
    assert files["summary.csv"]() == (both / "summary.csv").read_bytes()


def test_comparisons_alike_in_title_are_told_apart(d):
    m = dashboard.mix(d, "status_quo", "default", {"trainees": 500})
    for months in ("2", "3"):  # one title, two comparisons
        other = dashboard.settings([f"output_root={d.root}", "scale=0.01", "seeds=2",
                                    f"months={months}"])  # fmt: skip
        dashboard.run(other, m, other.pars.scale)
    names = dashboard.titled_comparisons(d)
    assert len(set(names.values())) == len(names) >= 2
    assert all("1% of the district · 2 seeds" in n for n in names.values())
    assert all("· 全区1% · 2个种子" in n for n in dashboard.titled_comparisons(d, "zh").values())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_glossary_states_the_configs_numbers(d, lang):
    rule = to_dict(compose([]))["outcomes"]["large_scale"]
    terms = dict(dashboard.glossary(d, lang))
    text = " ".join(terms.values())
    assert "{" not in text and len(terms) == len(dashboard.GLOSSARY["en"])
    assert "17,384" in text and "190,000" in text
    rule_text = next(v for k, v in terms.items() if "large-scale" in k or "规模性" in k)
    for x in (f"{100 * rule['district_rate']:g}%", f"{100 * rule['town_rate']:g}%",
              str(rule["town_min_count"])):  # fmt: skip
        assert x in rule_text


def test_a_controls_tooltip_gives_its_reason_and_the_base_value(d):
    assert dashboard.tooltip(d, "status_quo", "public_jobs_posts").endswith("In status quo: 2,000")
    assert dashboard.tooltip(d, "plan_2025", "visit_every", "zh").endswith("规划目标：1")
    assert "2025: 630" in dashboard.tooltip(d, "status_quo", "dibao_standard")
