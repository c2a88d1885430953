"""The charts as a reader checks them: every comparison chart kind, for a comparison of two and
of six scenarios, in English and Chinese (tests/chart_checks.py says what is checked)."""

from __future__ import annotations

import pytest
from chart_checks import problems
from test_compare import tiny_experiment

import sim.reports.charts as charts
from sim.studies.compare import compare

SIX = {
    "status_quo": [],
    "no_dibao": ["policy.dibao.enabled=false"],
    "no_tekun": ["policy.tekun.enabled=false"],
    "no_public_jobs": ["policy.public_jobs.enabled=false"],
    "no_medical_assistance": ["policy.medical_assistance.enabled=false"],
    "more_posts": ["adjust=[policy.public_jobs.posts+2000]"],
}
KINDS = {"trajectories", "comparison", "cost_effectiveness", "causes", "towns"}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("scenarios", [2, 6])
def test_every_comparison_chart_reads_cleanly(tmp_path, charts_read_cleanly, lang, scenarios):
    """``charts_read_cleanly`` (tests/conftest.py) checks each chart as it is saved."""
    if lang == "zh" and charts.cjk_font() is None:
        pytest.skip("no CJK font: the Chinese charts fall back to English (tested elsewhere)")
    exp = tiny_experiment() if scenarios == 2 else tiny_experiment(scenarios=SIX)
    compare(exp, tmp_path, n_jobs=1, lang=lang)
    found = {k.removesuffix(f"_{lang}"): v for k, v in charts_read_cleanly.items()}
    assert set(found) == KINDS
    assert {k: v for k, v in found.items() if v} == {}


def test_the_checks_find_what_a_reader_would():
    """A chart with each defect: overlapping texts, a code name, repeated and uneven ticks."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="status_quo")
    ax.legend()
    ax.text(0.5, 0.5, "a label")
    ax.text(0.5, 0.5, "over it")
    ax.set_yticks([0, 0.3, 0.5], ["0", "0", "1"])
    found = problems(fig)
    plt.close(fig)
    assert any("internal name 'status_quo'" in p for p in found)
    assert any("texts overlap: 'a label' and 'over it'" in p for p in found)
    assert any("y tick labels repeat" in p for p in found)
    assert any("y ticks unevenly spaced" in p for p in found)
