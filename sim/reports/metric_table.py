"""One table of the figures relapse-sim reports: name, who is counted, unit, English and Chinese.

Monthly series (``monthly.parquet``, the model's reporters), a run's headline figures
(``summary.json``, one row of a comparison's or a sweep's runs), the columns of summary tables
and the charts' labels all take their names and words from here; a figure is renamed nowhere.
Families of figures (by cause, category or lever) are one row with ``{}`` in the name. A
lever's own figures are rows it declares in its file (``Lever.figures``), found here too.

Example:
    >>> METRICS["relapsed"].unit, label("relapse_rate", "zh")
    ('households', '返贫率')
    >>> label("spend_dibao", "en")
    'spending of dibao (yuan)'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sim.engine.policies import LEVERS


@dataclass(frozen=True)
class Metric:
    """A figure: ``name``, who is counted, unit, and a label in English and Chinese."""

    name: str
    kind: str  # "month": a monthly series; "run": one figure of a run
    population: str  # who or what is counted
    unit: str  # households, people, yuan, share, ...
    en: str
    zh: str

    def label(self, lang: str = "en", unit: bool = True) -> str:
        """The label in ``lang`` (en or zh), with the unit unless it goes without saying."""
        if lang == "zh":
            text, shown = self.zh, UNITS_ZH.get(self.unit, self.unit)
            return f"{text}（{shown}）" if unit and self.unit in UNITS_ZH else text
        return f"{self.en} ({self.unit})" if unit and self.unit in UNITS_ZH else self.en


# Units a label shows (counts of households or events, shares and switches go without).
UNITS_ZH = {"yuan": "元", "people": "人", "yuan/person/year": "元/人/年", "yuan/t": "元/吨"}
PA, ALL, OTHER = "poverty-alleviated households", "all households", "other households"

_ROWS = [
    # -- monthly series --------------------------------------------------------------------
    ("month", "month", "", "", "month", "月份"),
    ("year", "month", "", "", "year", "年份"),
    ("n_households", "month", ALL, "households", "households", "农户数"),
    ("n_people", "month", ALL, "people", "people", "人数"),
    ("n_poor", "month", ALL, "households", "households below the poverty line", "贫困线下农户"),
    ("n_relapsed", "month", PA, "households",
     "relapsed: poverty-alleviated households found below the poverty line",
     "返贫户：经认定低于贫困线的脱贫户"),
    ("n_newly_poor", "month", OTHER, "households",
     "newly poor: other households below the poverty line", "新致贫户：低于贫困线的其他农户"),
    ("n_at_risk", "month", ALL, "households", "households below the monitoring line",
     "低于监测线的农户"),
    ("new_relapsed", "month", PA, "events", "relapse events this month", "本月返贫次数"),
    ("new_poor_other", "month", OTHER, "events", "other households newly below the line",
     "本月新致贫次数"),
    ("fgt0", "month", "people", "share", "poverty headcount ratio", "贫困发生率"),
    ("fgt1", "month", "people", "share", "poverty gap index", "贫困深度指数"),
    ("fgt2", "month", "people", "share", "squared poverty gap index", "贫困强度指数"),
    ("poverty_line", "month", "", "yuan/person/year", "poverty line", "贫困线"),
    ("monitoring_line", "month", "", "yuan/person/year", "monitoring line", "监测线"),
    ("mean_pc_income_pa", "month", PA, "yuan/person/year",
     "mean income per person, poverty-alleviated households", "脱贫户人均收入"),
    ("new_relapsed_{}", "month", PA, "events", "relapse events caused by {}", "{}致返贫次数"),
    ("n_poor_{}", "month", "{} households", "households", "{} households below the poverty line",
     "低于贫困线的{}户"),
    ("n_at_risk_{}", "month", "{} households", "households",
     "{} households below the monitoring line", "低于监测线的{}户"),
    ("price", "month", "", "yuan/t", "mustard tuber market price", "榨菜市场价格"),
    ("migrant_factor", "month", "", "", "migrant wage factor (demand and lockdown)",
     "务工工资系数"),
    ("income", "month", ALL, "yuan", "own income this month", "本月自有收入"),
    ("transfers", "month", ALL, "yuan", "cash transfers this month", "本月转移性收入"),
    ("med_cost", "month", ALL, "yuan", "medical costs this month", "本月医疗费用"),
    ("med_oop", "month", ALL, "yuan", "medical costs paid out of pocket", "本月自付医疗费用"),
    ("med_routine", "month", ALL, "yuan", "everyday care this month", "本月日常医疗支出"),
    ("catastrophic_health", "month", ALL, "households",
     "households with catastrophic health spending", "灾难性卫生支出农户"),
    ("medical_impoverished", "month", ALL, "households", "households impoverished by care",
     "因病致贫农户"),
    ("n_poor_net_care", "month", ALL, "households",
     "households below the poverty line net of all care", "扣除全部自付医疗费用后低于贫困线的农户"),
    ("n_relapsed_net_care", "month", PA, "households",
     "poverty-alleviated households below the poverty line net of all care",
     "扣除全部自付医疗费用后低于贫困线的脱贫户"),
    ("spend_{}", "month", "lever", "yuan", "spending of {}", "{}支出"),
    ("recipients_{}", "month", "lever", "households", "recipients of {}", "{}受益户"),
    # -- a run's headline figures (summary.json, runs tables) ---------------------------------
    ("households", "run", ALL, "households", "households in the district", "农户总数"),
    ("poverty_alleviated", "run", PA, "households", "poverty-alleviated households", "脱贫户数"),
    ("relapsed", "run", PA, "households",
     "relapsed poverty-alleviated households (found poor at least once)",
     "返贫脱贫户数（至少一次经认定低于贫困线）"),
    ("relapsed_net_care", "run", PA, "households",
     "poverty-alleviated households ever below the line net of all care",
     "扣除全部自付医疗费用后曾低于贫困线的脱贫户"),
    ("relapse_rate_net_care", "run", PA, "share",
     "share of poverty-alleviated households ever below the line net of all care",
     "扣除全部自付医疗费用后曾低于贫困线的脱贫户比例"),
    ("medically_impoverished_mean", "run", ALL, "households",
     "households impoverished by care, mean month", "因病致贫农户（月均）"),
    ("relapse_share_max", "run", PA, "share",
     "largest yearly relapse share of the district", "全区年度返贫比例最大值"),
    ("relapse_share_worst_town_max", "run", PA, "share",
     "largest yearly relapse share of any town", "乡镇年度返贫比例最大值"),
    ("relapse_rate", "run", PA, "share",
     "share of poverty-alleviated households that relapsed", "返贫率"),
    ("relapse_events", "run", PA, "events", "relapse events", "返贫次数"),
    ("relapsed_final", "run", PA, "households", "relapsed households, last month",
     "返贫户数（期末）"),
    ("relapsed_peak", "run", PA, "households", "relapsed households, peak month",
     "返贫户数（峰值）"),
    ("newly_poor_final", "run", OTHER, "households", "newly poor (other) households, last month",
     "新致贫户数（期末）"),
    ("newly_poor_peak", "run", OTHER, "households", "newly poor (other) households, peak month",
     "新致贫户数（峰值）"),
    ("at_risk_pa_peak", "run", PA, "households",
     "poverty-alleviated households below the monitoring line, peak month",
     "低于监测线的脱贫户（峰值）"),
    ("at_risk_all_peak", "run", ALL, "households",
     "households below the monitoring line, peak month", "低于监测线的农户（峰值）"),
    ("large_scale", "run", "towns", "yes/no",
     "large-scale relapse (a town or the district, in some year)", "发生规模性返贫（某乡镇或全区，某年）"),
    ("spending", "run", "levers", "yuan", "spending of all levers", "全部政策支出"),
    ("cause_{}", "run", PA, "events", "relapse events caused by {}", "{}致返贫次数"),
]  # fmt: skip
METRICS: dict[str, Metric] = {row[0]: Metric(*row) for row in _ROWS}


@functools.cache
def lever_metrics() -> dict[str, Metric]:
    """The rows the levers declare for their own monthly figures (``Lever.figures``)."""
    return {
        name: Metric(name, "month", *row)
        for cls, _ in LEVERS.values()
        for name, row in cls.figures.items()
    }


def find(name: str) -> tuple[Metric, str] | None:
    """The table's row for ``name`` and what fills its ``{}`` ("" for a plain row), or None."""
    if name in METRICS:
        return METRICS[name], ""
    if name in lever_metrics():
        return lever_metrics()[name], ""
    for m in METRICS.values():
        head, _, tail = m.name.partition("{}")
        if _ and name.startswith(head) and name.endswith(tail) and len(name) > len(head + tail):
            return m, name[len(head) : len(name) - len(tail)]
    return None


def label(name: str, lang: str = "en", unit: bool = True, words=None) -> str:
    """The label of figure ``name`` in ``lang`` (the name itself if not in the table).

    ``words`` turns what fills a family's ``{}`` (a cause, a category, a lever) into words.
    """
    found = find(name)
    if found is None:
        return name
    metric, part = found
    text = metric.label(lang, unit)
    return text.replace("{}", words(part) if words and part else part.replace("_", " "))


def above(name: str, value: float, lang: str = "en") -> str:
    """The figure ``name`` above ``value``, in words.

    The threshold in plain digits with the figure's unit, not ``1.6e+07``.

    Example:
        >>> above("spending", 1.6e7), above("spending", 1.6e7, "zh"), above("relapse_rate", 0.005)
        ('spending of all levers > 16,000,000 yuan', '全部政策支出 > 16,000,000元', 'share of poverty-alleviated households that relapsed > 0.005')
    """
    bare = label(name, lang, unit=False)
    unit = label(name, lang)[len(bare):].strip().strip("()（）")
    digits = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    return f"{bare} > {digits}{' ' if lang == 'en' and unit else ''}{unit}"


__all__ = ["METRICS", "Metric", "above", "find", "label", "lever_metrics"]
