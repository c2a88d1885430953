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
