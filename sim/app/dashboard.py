"""The planner's dashboard without the browser: its settings, a mix, its comparison, its export.

``sim/app/page.py`` draws the page (Solara); everything it computes is a call here, so the tests
and the command line reach the same numbers. A *mix* is a base policy (``scenarios/policy/``)
with lever controls moved (``scenarios/dashboard.yaml``: each a :class:`sim.studies.uncertainty.Factor`)
under one shock scenario. It runs as a paired comparison (:mod:`sim.studies.compare`) against the
baseline policy on the same seeds, into ``<output_root>/compare/app_<key>/scale_<scale>/``;
the key hashes the experiment and the model code, so a mix already run is read back, not run.

A planner's named mixes are kept in ``<output_root>/app/mixes.json`` (:func:`save_mix`) and run
side by side against the baseline on the same seeds (:func:`run_side_by_side`).

Nothing from the browser becomes a path: a mix is names and numbers checked against the
settings, an export or mix name is a plain word, and a comparison to browse is chosen from
:func:`comparisons`.

Example:
    >>> d = settings(["seeds=2", "months=6", "scale=0.01"])
    >>> m = mix(d, "status_quo", "flood", {"dibao_standard": 1.1, "public_jobs_posts": 500})
    >>> describe(d, m)
    'status quo + dibao standard +10%, public-welfare posts +500 (flood)'
    >>> overrides(d, m)
    ['policy=status_quo', 'adjust=[policy.dibao.standard*1.1,policy.public_jobs.posts+500]']
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.config.compose import compose, links, locate, plain
from sim.config.experiment import FEW_SEEDS, Experiment, at_scale, experiment
from sim.core.errors import ConfigError
from sim.core.io import atomic_write, write_json, write_text
from sim.core.params import between, jobs, parse
from sim.core.scenarios import group_options
from sim.engine.schema import MAX_MONTHS, to_dict
from sim.reports.charts import comparison_charts, lever_chart
from sim.reports.text import LANGS, by_lang
from sim.studies.cli import check_output
from sim.studies.compare import (
    compare,
    config_hash,
    cost_effect_text,
    large_scale_cell,
    markdown,
    summary_table,
)
from sim.studies.run import code_version, simulate
from sim.studies.uncertainty import Factor, UncertaintySet, changed_policy, checked_set, policy_text
from sim.studies.uncertainty import overrides as factor_overrides

APP = "app"  # the folder of the dashboard's own files under output_root
EXPORTS = Path(APP) / "exports"  # laid out like scenarios/ (policy/, experiment/)
MIX, FULL_SCALE = "mix", 1.0
WARM_SCALE = 0.002  # the warm-up's district: 380 households, a year and a month (every loop)


@dataclass(frozen=True, kw_only=True)
class DashboardPars:
    """The root of the dashboard (``scenarios/dashboard.yaml``)."""

    scale: float = between(0.001, 1.0)  # 190 households at the least; 1 is the whole district
    seeds: int = between(1, 1000)
    months: int | None = between(1, MAX_MONTHS)
    n_jobs: int = jobs()
    output_root: str
    baseline: str
    bases: list[str]
    shock_scenarios: list[str]
    controls: dict
    labels: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Dashboard:
    """Checked settings: the controls, and each base mix's start value of every control."""

    pars: DashboardPars
    controls: UncertaintySet
    start: dict[str, dict[str, float | int]]  # base mix -> control -> its neutral value
    facts: dict = field(default_factory=dict)  # what the glossary states, from the configs
    base_values: dict = field(default_factory=dict)  # base mix -> control -> its config value

    @property
    def root(self) -> Path:
        """Where results and exports go."""
        return Path(self.pars.output_root)

    def name(self, key: str, lang: str = "en") -> str:
        """A policy's or shock scenario's name in ``lang`` (the key if unnamed)."""
        labels = self.pars.labels or {}
        return (labels.get(lang) or {}).get(key) or (labels.get("en") or {}).get(key) or key


@dataclass(frozen=True)
class Mix:
    """A base policy with controls moved (only those away from their start), under shocks."""

    base: str
    shocks: str
    values: dict[str, float | int]


def settings(over: list[str] | tuple[str, ...] = ()) -> Dashboard:
    """The dashboard's checked settings (``scenarios/dashboard.yaml`` with ``over`` applied).

    Every policy and shock scenario it names must exist, and every control's range must give
    a run the model accepts on every base mix (:func:`sim.studies.uncertainty.checked_set`).
    """
    pars = parse(DashboardPars, plain(compose(list(over), config_name="dashboard")), "")
    for key, names, group in (
        ("baseline", [pars.baseline], "policy"),
        ("bases", pars.bases, "policy"),
        ("shock_scenarios", pars.shock_scenarios, "shocks"),
    ):
        options = group_options(group)
        for n in names:
            if n not in options:
                raise ConfigError(
                    f"dashboard.{key}: {n!r} is not in scenarios/{group}/; use one of "
                    f"{', '.join(options)}"
                )
    if not pars.bases or not pars.shock_scenarios:
        raise ConfigError("dashboard.bases and dashboard.shock_scenarios: list at least one each")
    if not isinstance(pars.labels, dict) or not all(
        isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
        for v in pars.labels.values()
    ):
        raise ConfigError(
            f"dashboard.labels = {pars.labels!r}: must map a language to names, e.g. "
            "{zh: {status_quo: 现行政策}}"
        )
    for n, control in pars.controls.items():  # a control is a lever: it changes policy only
        keys = control.get("keys") if isinstance(control, dict) else None
        for key in keys if isinstance(keys, list) else []:
            if not str(key).startswith("policy."):
                raise ConfigError(
                    f"dashboard.controls.{n}.keys: {key} is not a policy key; a control moves "
                    "a lever (policy.*), the shocks are chosen as a scenario"
                )
    root = Path(pars.output_root)
    if ".." in root.parts or pars.output_root.startswith("~"):
        raise ConfigError(
            f"dashboard.output_root = {pars.output_root!r}: write the folder itself, without "
            "'..' or '~' (e.g. outputs, or a full path)"
        )
    check_output(root, root, "dashboard.output_root")
    start, base_values, controls = {}, {}, None
    for base in pars.bases:
        composed = compose([f"policy={base}"])
        cfg = to_dict(composed)
        controls = checked_set(
            {"name": "dashboard", "factors": pars.controls}, cfg, "dashboard.controls",
            links(composed),
        )  # fmt: skip
        start[base] = {n: _start(f, cfg, n) for n, f in controls.factors.items()}
        base_values[base] = {n: _shown(cfg, f.keys[0]) for n, f in controls.factors.items()}
    for n, f in controls.factors.items():
        if f.step is None:
            raise ConfigError(f"dashboard.controls.{n}.step: missing; give the slider's step")
        for base, values in start.items():
            if not f.range[0] <= values[n] <= f.range[1]:
                raise ConfigError(
                    f"dashboard.controls.{n}.range = {list(f.range)}: does not hold {base}'s "
                    f"own value {values[n]:g}; widen it"
                )
    # outcomes and population are the same under every policy: the last base's config serves
    return Dashboard(pars, controls, start, _facts(cfg), base_values)


def _shown(cfg: dict, key: str) -> str:
    """A config value as a reader reads it: ``700``, or by year ``2021: 580 ... 2025: 700``."""
    node, last = locate(cfg, key)
    v = node[last]
    if isinstance(v, dict) and v:
        (y0, v0), (y1, v1) = list(v.items())[0], list(v.items())[-1]
        return f"{y0}: {v0:,g} ... {y1}: {v1:,g}" if len(v) > 1 else f"{v0:,g}"
    return f"{v:,g}" if isinstance(v, int | float) and not isinstance(v, bool) else str(v)


def tooltip(d: Dashboard, base: str, name: str, lang: str = "en") -> str:
    """A control's tooltip: why it moves as it does, and the base mix's own value."""
    return PAGE[lang]["tooltip"].format(
        why=d.controls.why(name, lang), base=d.name(base, lang), value=d.base_values[base][name]
    )


def _facts(cfg: dict) -> dict:
    """The numbers the glossary states, read from the composed default configs."""
    out, pop, rule = cfg["outcomes"], cfg["population"], cfg["outcomes"]["large_scale"]
    band = Experiment.__dataclass_fields__["band"].default  # an experiment's default band

    def span(line: dict) -> str:  # the line over the transition period, yuan/person/year
        v = [x for y, x in line.items() if "2021" <= str(y) <= "2025"]
        return f"{min(v):,}-{max(v):,}"

    return {
        "pa": pop["households"]["poverty_alleviated"],
        "households": sum(pop["households"].values()),
        "confirm": out["relapse"]["confirm_months"],
        "poverty": span(out["poverty_line"]),
        "monitoring": span(out["monitoring_line"]),
        "district_rate": f"{100 * rule['district_rate']:g}",
        "town_rate": f"{100 * rule['town_rate']:g}",
        "town_min": rule["town_min_count"],
        "band": f"{100 * band:g}",
        "tail": f"{50 * (1 - band):g}",
        "tail_hi": f"{50 * (1 + band):g}",
        "few": FEW_SEEDS,
    }


# sim/reports/text.yaml: the page's words, and its glossary
PAGE, GLOSSARY, TERMS = by_lang("page"), by_lang("glossary"), by_lang("glossary_terms")


def glossary(d: Dashboard, lang: str = "en") -> list[tuple[str, str]]:
    """The page's glossary: each term and what it means, its numbers from the configs."""
    return [(TERMS[lang][k], text.format(**d.facts)) for k, text in GLOSSARY[lang].items()]


def _start(f: Factor, cfg: dict, name: str) -> float | int:
    """A control's neutral value: no change (1 or 0), or the base's own value."""
    if f.change != "value":
        return 1.0 if f.change == "scale" else 0
    node, last = locate(cfg, f.keys[0])
    v = node[last]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ConfigError(
            f"dashboard.controls.{name}: change value needs a plain number at {f.keys[0]} "
            f"(found {v!r}); use change scale or add"
        )
    return v


def on_grid(f: Factor, v: float) -> float | int:
    """``v`` on the control's grid (a slider's float noise removed), whole for an integer one.

    Example:
        >>> f = Factor(keys=["k"], change="value", range=[0.1, 0.9], step=0.1, en="", zh="",
        ...            why="")
        >>> on_grid(f, 0.30000000000000004)
        0.3
    """
    k = round((v - f.range[0]) / f.step)
    x = round(f.range[0] + k * f.step, 10)
    return int(x) if f.integer else x


def mix(d: Dashboard, base: str, shocks: str, values: dict[str, float]) -> Mix:
    """A checked mix: names from the settings, each value in its control's range and grid."""
    if base not in d.pars.bases:
        raise ConfigError(f"base mix {base!r}: use one of {', '.join(d.pars.bases)}")
    if shocks not in d.pars.shock_scenarios:
        raise ConfigError(f"shocks {shocks!r}: use one of {', '.join(d.pars.shock_scenarios)}")
    kept = {}
    for name, v in values.items():
        f = d.controls.factors.get(name)
        if f is None:
            raise ConfigError(f"control {name!r}: use one of {', '.join(d.controls.factors)}")
        if not isinstance(v, int | float) or not f.range[0] <= v <= f.range[1]:
            raise ConfigError(f"control {name} = {v!r}: give a number in {list(f.range)}")
        v = on_grid(f, v)
        if not math.isclose(v, d.start[base][name], abs_tol=1e-12):
            kept[name] = v
    order = list(d.controls.factors)
    return Mix(base, shocks, dict(sorted(kept.items(), key=lambda kv: order.index(kv[0]))))


def change_text(f: Factor, v: float | int, lang: str = "en") -> str:
    """A control's value as the planner reads it: ``+10%``, ``+500``, ``2``.

    Example:
        >>> f = Factor(keys=["k"], change="scale", range=[0.5, 2], en="", zh="", why="")
        >>> change_text(f, 1.1), change_text(f, 0.9)
        ('+10%', '-10%')
    """
    if f.change == "scale":
        return f"{100 * (v - 1):+.0f}%"
    if f.change == "add":
        return f"{v:+,g}" if f.integer else f"{v:+.2f}"
    return f"{v:g}"


def describe(d: Dashboard, m: Mix, lang: str = "en") -> str:
    """The mix in words: base, the controls moved, the shocks."""
    sep, join = (" + ", ", ") if lang == "en" else (" + ", "，")
    moved = join.join(
        f"{d.controls.label(n, lang)} {change_text(d.controls.factors[n], v, lang)}"
        for n, v in m.values.items()
    )
    shocks = f" ({d.name(m.shocks, lang)})" if lang == "en" else f"（{d.name(m.shocks, lang)}）"
    return d.name(m.base, lang) + (sep + moved if moved else "") + shocks


def overrides(d: Dashboard, m: Mix) -> list[str]:
    """The mix as overrides of ``experiments.run``: its base policy, then its changes."""
    return [f"policy={m.base}", *factor_overrides(d.controls, m.values)]


def experiment_data(d: Dashboard, m: Mix, mix_over: list[str] | None = None) -> dict:
    """The mix against the baseline as an experiment section (``scenarios/experiment/``).

    Without the scale and months a command adds (:func:`sim.config.experiment.at_scale`, :func:`run`).
    ``mix_over``: the mix's overrides (default :func:`overrides`; an export names its policy
    file instead).
    """
    over = mix_over if mix_over is not None else overrides(d, m)
    named = {lang: describe(d, m, lang) for lang in LANGS}
    return _against_baseline(d, m.shocks, {MIX: over}, {lang: {MIX: n} for lang, n in named.items()},
                             named)  # fmt: skip


def _against_baseline(
    d: Dashboard, shocks: str, runs: dict[str, list[str]], labels: dict[str, dict[str, str]],
    title: dict[str, str],
) -> dict:  # fmt: skip
    """An experiment section: ``runs`` (name -> overrides) against the baseline.

    On the dashboard's seeds, under one shock scenario; ``labels`` and ``title`` by language.
    """
    return {
        "title": title["en"],
        "baseline": d.pars.baseline,
        "seeds": list(range(1, d.pars.seeds + 1)),
        "base": [f"shocks={shocks}"],
        "scenarios": {d.pars.baseline: [f"policy={d.pars.baseline}"]} | runs,
        "labels": {lang: {d.pars.baseline: d.name(d.pars.baseline, lang)} | labels[lang]
                   | {"title": title[lang]} for lang in LANGS},
    }  # fmt: skip


def scaled_experiment(d: Dashboard, m: Mix, scale: float) -> dict:
    """The experiment the dashboard runs at ``scale``.

    Named ``app_`` and a key of its runs and the model code: a mix already run is found again.
    """
    return keyed(at_scale(experiment_data(d, m), scale, d.pars.months), "app")


def keyed(data: dict, prefix: str) -> dict:
    """An experiment named ``<prefix>_<key>``: the key hashes its runs and the model code."""
    key = config_hash(
        {k: data[k] for k in ("seeds", "base", "scenarios")} | {"code": code_version()}
    )
    return {"name": f"{prefix}_{key[:12]}"} | data


def folder(d: Dashboard, m: Mix, scale: float) -> Path:
    """Where the mix's comparison at ``scale`` lives (whether or not it has run)."""
    return d.root / "compare" / scaled_experiment(d, m, scale)["name"] / f"scale_{scale}"


DONE = "dashboard.json"  # written last: the comparison, its tables and charts are complete


def warm_up() -> float:
    """Compile the model's loops (or load them from numba's disk cache): the seconds it took.

    Called before the first run: without it that run compiles them in every worker at once
    while the page shows 0% for minutes; after it each worker loads them in under a second.
    """
    t0 = time.perf_counter()
    simulate(compose([f"population.scale={WARM_SCALE}", "months=13", "burn_in=1"]))
    return time.perf_counter() - t0


def run(
    d: Dashboard, m: Mix, scale: float, report: Callable[[int, int], None] | None = None
) -> Path:
    """Run the mix against the baseline at ``scale`` (or read it back) and return its folder.

    ``report(done, total)`` is called as runs finish. Charts are drawn in English here and in
    another language by :func:`charts` when first asked for.
    """
    data = scaled_experiment(d, m, scale)
    return _run(d, data, scale, {"base": m.base, "shocks": m.shocks, "values": m.values}, report)


def _run(d: Dashboard, data: dict, scale: float, what: dict, report) -> Path:
    """Run a keyed experiment (:func:`keyed`) into its folder, or find it done there."""
    out = d.root / "compare" / data["name"] / f"scale_{scale}"
    if (out / DONE).exists():
        return out
    exp = experiment(data)
    compare(exp, out, d.pars.n_jobs, "en", report)
    lever_chart(exp, out, pd.read_parquet(out / "runs.parquet"), "en")
    write_json({"experiment": data} | what, out / DONE)
    return out


def stored_experiment(out: Path) -> Experiment:
    """The experiment of a finished comparison folder (``comparison.json``)."""
    return experiment(json.loads((out / "comparison.json").read_text())["experiment"])


def charts(out: Path, lang: str = "en") -> dict[str, Path]:
    """A comparison's charts in ``lang`` by name (drawn now if missing): name -> PNG."""
    suffix = "" if lang == "en" else f"_{lang}"
    found = {p.stem.removesuffix(suffix): p for p in sorted((out / "charts").glob("*.png"))
             if p.stem.endswith(suffix) and (suffix or not p.stem.endswith("_zh"))}  # fmt: skip
    if lang != "en" and not found and (out / "comparison.json").exists():
        exp = stored_experiment(out)
        runs = pd.read_parquet(out / "runs.parquet")
        table = summary_table(exp, runs)
        comparison_charts(exp, out, runs, table, lang=lang)
        if (out / DONE).exists():
            lever_chart(exp, out, runs, lang)
        write_text(markdown(table, exp, runs, lang), out / f"summary{suffix}.md")
        return charts(out, lang)
    return found


# The figures of the dashboard's table, by language: (summary column, label).
FIGURES = by_lang("dashboard_figures")  # sim/reports/text.yaml


def signed(x: float, digits: int = 1) -> str:
    """A difference with its sign, rounded; one that rounds to zero is ``+0`` (never ``-0``).

    Example:
        >>> signed(-0.004, 2), signed(-1234.56), signed(0.0)
        ('+0.00', '-1,234.6', '+0.0')
    """
    return f"{round(x, digits) + 0.0:+,.{digits}f}"


def district_factor(out: Path) -> float:
    """What scales a comparison's counts and money to the whole district: 1 / its scale."""
    scale = pd.read_parquet(out / "runs.parquet", columns=["scale"])["scale"].iloc[0]
    return 1.0 / float(scale)


def _cells(r: pd.Series, base: pd.Series, k: float, lang: str) -> dict[str, str]:
    """One run name's figures as the page prints them; ``k`` scales counts and money.

    Counts (means over seeds) to one decimal, rates in percent to two, money in million yuan
    to one; ``[lo, hi]`` the band, differences paired seed by seed against ``base``. Yuan per
    relapse averted is a ratio of two scaled figures: ``k`` leaves it as it is.
    """
    t = FIGURES[lang]

    def band(col, unit=1.0):
        f = k / unit
        return f"{r[col + '_mean'] * f:,.1f} [{r[col + '_lo'] * f:,.1f}, {r[col + '_hi'] * f:,.1f}]"

    judged = not np.isnan(r.p_large_scale)
    pp = " " + t["pp"]  # percentage points
    p_diff = signed(100 * (r.p_large_scale - base.p_large_scale), 0) + pp if judged else ""
    return {
        "relapsed": band("relapsed"),
        "diff_relapsed": f"{signed(r.diff_relapsed_mean * k)} [{signed(r.diff_relapsed_lo * k)}, "
        f"{signed(r.diff_relapsed_hi * k)}]",
        "relapse_rate": f"{100 * r.relapse_rate_mean:.2f}%",
        "diff_rate": signed(100 * (r.relapse_rate_mean - base.relapse_rate_mean), 2) + pp,
        "newly_poor": f"{r.newly_poor_peak_mean * k:,.1f}",
        "diff_newly_poor": signed((r.newly_poor_peak_mean - base.newly_poor_peak_mean) * k),
        "at_risk_pa": f"{r.at_risk_pa_peak_mean * k:,.1f}",
        "diff_at_risk": signed((r.at_risk_pa_peak_mean - base.at_risk_pa_peak_mean) * k),
        "large_scale": large_scale_cell(r.p_large_scale, r.p_large_scale_upper95, t),
        "diff_large_scale": p_diff,
        "margin": f"{100 * r.relapse_share_max_mean:.2f}%, {100 * r.worst_town_share_max_mean:.2f}%",
        "spending": band("spending", 1e6),
        "diff_spending": f"{signed(r.extra_cost * k / 1e6)} [{signed(r.diff_spending_lo * k / 1e6)}, "
        f"{signed(r.diff_spending_hi * k / 1e6)}]",
        "cost_effect": cost_effect_text(r.cost_effect, r.yuan_per_relapse, lang),
    }  # fmt: skip


def budget_text(spending_mean: float, k: float, budget: float | None, lang: str = "en") -> str:
    """Whether a run's mean spending for the whole district keeps a ceiling (million yuan).

    Example:
        >>> budget_text(480e6, 10, 5000), budget_text(480e6, 10, 4000)
        ('within (4,800.0 of 5,000)', 'OVER by 800.0')
    """
    if budget is None:
        return ""
    t = FIGURES[lang]
    district = spending_mean * k / 1e6
    if district <= budget:
        return t["within"].format(spent=f"{district:,.1f}", budget=f"{budget:,.0f}")
    return t["over"].format(by=f"{district - budget:,.1f}")


def key_table(
    out: Path, lang: str = "en", district: bool = False, budget: float | None = None
) -> pd.DataFrame:
    """The baseline, the mix and their paired difference: one row a figure, as the page shows.

    ``district``: counts and money of a scaled run multiplied by 1/scale (an estimate for the
    whole district; rates and shares are the sample's). ``budget``: a ceiling on the spending
    of all levers over the period for the whole district, million yuan, checked on the means.
    """
    t = FIGURES[lang]
    s = pd.read_csv(out / "summary.csv").set_index("scenario")
    exp = stored_experiment(out)
    factor = district_factor(out)
    k = factor if district else 1.0
    base, mx = s.loc[exp.baseline], s.loc[MIX]
    b, m = (_cells(r, base, k, lang) for r in (base, mx))
    rows = [
        ("relapsed", b["relapsed"], m["relapsed"], m["diff_relapsed"]),
        ("relapse_rate", b["relapse_rate"], m["relapse_rate"], m["diff_rate"]),
        ("newly_poor", b["newly_poor"], m["newly_poor"], m["diff_newly_poor"]),
        ("at_risk_pa", b["at_risk_pa"], m["at_risk_pa"], m["diff_at_risk"]),
        ("large_scale", b["large_scale"], m["large_scale"], m["diff_large_scale"]),
        ("margin", b["margin"], m["margin"], ""),
        ("spending", b["spending"], m["spending"], m["diff_spending"]),
        ("cost_effect", "", "", m["cost_effect"]),
    ]
    if budget is not None:
        rows.append(("budget", budget_text(base.spending_mean, factor, budget, lang),
                     budget_text(mx.spending_mean, factor, budget, lang), ""))  # fmt: skip
    labels = (exp.labels or {}).get(lang) or {}
    columns = [
        t["figure"],
        labels.get(exp.baseline, exp.baseline),
        labels.get(MIX, MIX),
        t["difference"],
    ]
    return pd.DataFrame([(t[key], *cells) for key, *cells in rows], columns=columns)


def to_markdown(table: pd.DataFrame) -> str:
    """A table of text cells as Markdown (first column left, the rest right).

    Example:
        >>> print(to_markdown(pd.DataFrame({"figure": ["a"], "x": ["1"]})), end="")
        | figure | x |
        |---|---:|
        | a | 1 |
    """
    head = "| " + " | ".join(str(c) for c in table.columns) + " |"
    rule = "|---|" + "---:|" * (len(table.columns) - 1)
    body = ["| " + " | ".join(str(c) for c in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def key_figures(
    out: Path, lang: str = "en", district: bool = False, budget: float | None = None
) -> str:
    """:func:`key_table` as Markdown."""
    return to_markdown(key_table(out, lang, district, budget))


NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def export(d: Dashboard, m: Mix, name: str, scale: float) -> dict[str, Any]:
    """Write the mix as a policy config and the comparison as an experiment; return commands.

    Files go to ``<output_root>/app/exports/{policy,experiment}/<name>.yaml`` (a folder laid
    out like ``scenarios/``, for ``--config-dir``); ``name`` is a plain word that no shipped
    policy or experiment has. The experiment names the policy file, so its command runs the
    mix from the file, not from the dashboard.
    """
    if not isinstance(name, str) or not NAME.match(name):
        raise ConfigError(
            f"export name {name!r}: use lower-case letters, digits and '_', starting with a "
            "letter, at most 40 characters"
        )
    if name in group_options("policy") + group_options("experiment"):
        raise ConfigError(
            f"export name {name!r}: a shipped policy or experiment has it; pick another"
        )
    composed = compose([f"policy={m.base}"])
    changed = changed_policy(to_dict(composed), d.controls, m.values)
    rerun = f"python -m experiments.compare --config-dir {d.root / EXPORTS} experiment={name} " \
            f"scale={scale}" + (f" months={d.pars.months}" if d.pars.months is not None else "")  # fmt: skip
    one = (
        f"python -m experiments.run --config-dir {d.root / EXPORTS} policy={name} shocks={m.shocks}"
    )
    policy = policy_text(changed, name, m.base, [
        f"{describe(d, m)}: exported from the dashboard (make app).",
        "The same comparison from the command line:", f"  {rerun}",
        "One run of this mix:", f"  {one}",
        f"Every other value is the base mix's ({m.base}), with its units and sources.",
    ])  # fmt: skip
    data = {"name": name} | experiment_data(
        d, m, [f"policy={name}"]
    )  # scale, months: the command's
    exp_text = (
        f"# {describe(d, m)} against {d.pars.baseline}, exported from the dashboard.\n"
        f"# Run: {rerun}\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    )
    paths = {}
    for group, text in (("policy", policy), ("experiment", exp_text)):
        path = d.root / EXPORTS / group / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda p, text=text: p.write_text(text, encoding="utf-8"))
        paths[group] = path
    return {"policy": paths["policy"], "experiment": paths["experiment"],
            "policy_text": policy, "compare": rerun, "run": one}  # fmt: skip


MIXES = Path(APP) / "mixes.json"  # the planner's named mixes, kept across sessions


def saved_mixes(d: Dashboard) -> tuple[dict[str, Mix], list[str]]:
    """The named mixes saved under ``<output_root>/app/mixes.json``, and what was dropped.

    A saved mix the settings no longer accept (a control or base mix removed, a value out of
    its range) is left out with the reason, not lost: the file keeps it.
    """
    try:
        raw = _raw_mixes(d)
    except ConfigError as e:  # the page shows it; saving refuses until the file is moved
        return {}, [str(e)]
    mixes, dropped = {}, []
    for name, m in raw.items():
        try:
            mixes[name] = mix(d, m["base"], m["shocks"], m["values"])
        except (ConfigError, KeyError, TypeError) as e:
            dropped.append(f"{name}: {e}")
    return mixes, dropped


def save_mix(d: Dashboard, name: str, m: Mix) -> None:
    """Save ``m`` as ``name`` (a plain word; a mix of that name is replaced)."""
    if not isinstance(name, str) or not NAME.match(name) or name in (d.pars.baseline, MIX):
        raise ConfigError(
            f"mix name {name!r}: use lower-case letters, digits and '_', starting with a "
            f"letter, at most 40 characters, other than {d.pars.baseline} and {MIX}"
        )
    _write_mixes(d, _raw_mixes(d) | {name: {"base": m.base, "shocks": m.shocks,
                                             "values": m.values}})  # fmt: skip


def forget_mix(d: Dashboard, name: str) -> None:
    """Remove the saved mix ``name`` (nothing if there is none)."""
    _write_mixes(d, {k: v for k, v in _raw_mixes(d).items() if k != name})


def _raw_mixes(d: Dashboard) -> dict:
    """``mixes.json`` as written: name -> {base, shocks, values}, unchecked."""
    path = d.root / MIXES
    try:
        raw = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except ValueError as e:
        raise ConfigError(f"{path}: not readable JSON ({e}); move it away to save mixes") from e
    return raw if isinstance(raw, dict) else {}


def _write_mixes(d: Dashboard, raw: dict) -> None:
    (d.root / MIXES).parent.mkdir(parents=True, exist_ok=True)
    write_json(raw, d.root / MIXES)


def side_by_side(d: Dashboard, mixes: dict[str, Mix], shocks: str, scale: float) -> dict:
    """The named mixes against the baseline on the same seeds, under one shock scenario.

    Each mix keeps its base and levers; the shock scenario is one for all (``shocks``), so
    every difference is the levers'. Named ``app_mixes_<key>``.
    """
    if not mixes:
        raise ConfigError("no mix chosen: save a mix and tick it to compare")
    if shocks not in d.pars.shock_scenarios:
        raise ConfigError(f"shocks {shocks!r}: use one of {', '.join(d.pars.shock_scenarios)}")
    words = {n: n.replace("_", " ") for n in mixes}  # as a reader reads a name: no '_'
    shown = {"en": words, "zh": {n: f"「{w}」" for n, w in words.items()}}
    join = {"en": ", ", "zh": "、"}
    title = {lang: f"{join[lang].join(shown[lang].values())} ({d.name(shocks, lang)})"
             for lang in LANGS}  # fmt: skip
    runs = {name: overrides(d, m) for name, m in mixes.items()}
    data = _against_baseline(d, shocks, runs, shown, title)
    return keyed(at_scale(data, scale, d.pars.months), "app_mixes")


def run_side_by_side(
    d: Dashboard, mixes: dict[str, Mix], shocks: str, scale: float,
    report: Callable[[int, int], None] | None = None,
) -> Path:  # fmt: skip
    """Run :func:`side_by_side` (or read it back) and return its folder."""
    what = {"mixes": {n: {"base": m.base, "values": m.values} for n, m in mixes.items()},
            "shocks": shocks}  # fmt: skip
    return _run(d, side_by_side(d, mixes, shocks, scale), scale, what, report)


def mixes_table(
    out: Path, lang: str = "en", district: bool = False, budget: float | None = None
) -> pd.DataFrame:
    """Every run name of a comparison in a row: its figures and its difference from the baseline.

    As :func:`key_table` (the same cells), with a mix a row, so that several sit side by side.
    """
    t = FIGURES[lang]
    s = pd.read_csv(out / "summary.csv").set_index("scenario")
    exp = stored_experiment(out)
    factor = district_factor(out)
    k = factor if district else 1.0
    base = s.loc[exp.baseline]
    labels = (exp.labels or {}).get(lang) or {}
    keys = ["relapsed", "diff_relapsed", "relapse_rate", "large_scale", "margin", "spending",
            "diff_spending", "cost_effect"]  # fmt: skip
    rows = []
    for name, r in s.iterrows():
        c = _cells(r, base, k, lang)
        is_base = name == exp.baseline
        row = [labels.get(name, name)] + [
            "" if is_base and key.startswith(("diff_", "cost_")) else c[key] for key in keys
        ]
        if budget is not None:
            row.append(budget_text(r.spending_mean, factor, budget, lang))
        rows.append(row)
    columns = [t["mix"]] + [t[f"col_{key}"] for key in keys]
    return pd.DataFrame(rows, columns=columns + ([t["budget"]] if budget is not None else []))


def downloads(table: pd.DataFrame, out: Path, stem: str) -> dict[str, Callable[[], bytes]]:
    """A table shown on the page as CSV and Excel, and the comparison's summary.csv.

    Name -> a function that makes the file: called on a click, not each time the page is drawn
    (every slider move draws the results again). The Excel file has the comparison's whole
    summary as a second sheet.
    """

    def excel() -> bytes:
        import io

        book = io.BytesIO()
        with pd.ExcelWriter(book, engine="openpyxl") as w:
            table.to_excel(w, sheet_name="shown", index=False)
            pd.read_csv(out / "summary.csv").to_excel(w, sheet_name="summary", index=False)
        return book.getvalue()

    return {
        f"{stem}.csv": lambda: table.to_csv(index=False).encode("utf-8-sig"),  # BOM: Excel, 中文
        f"{stem}.xlsx": excel,
        "summary.csv": (out / "summary.csv").read_bytes,
    }


def comparisons(d: Dashboard) -> list[str]:
    """Finished comparison folders under ``<output_root>/compare``, as ``<name>/scale_<s>``."""
    base = d.root / "compare"
    return sorted(p.parent.relative_to(base).as_posix() for p in base.glob("*/scale_*/summary.csv"))


def titled_comparisons(d: Dashboard, lang: str = "en") -> dict[str, str]:
    """:func:`comparisons`, each named as a reader tells them apart: title, scale, seeds.

    The title in ``lang`` where the experiment has one; two still alike get their folder's
    name too (the dashboard's ``app_<key>``).
    """
    t = PAGE[lang]
    names = {}
    for choice in comparisons(d):
        try:
            info = json.loads((d.root / "compare" / choice / "comparison.json").read_text())
            exp = info["experiment"]
            title = ((exp.get("labels") or {}).get(lang) or {}).get("title") or exp["title"]
            scale = float(choice.rsplit("scale_", 1)[1])
            names[choice] = t["listed"].format(title=title, pct=100 * scale,
                                               seeds=len(exp["seeds"]))  # fmt: skip
        except (OSError, KeyError, ValueError, TypeError):
            names[choice] = choice
    seen = list(names.values())
    return {c: n if seen.count(n) == 1 else f"{n} · {c.split('/')[0]}" for c, n in names.items()}


def comparison_folder(d: Dashboard, choice: str) -> Path:
    """The folder of a choice from :func:`comparisons` (anything else is refused)."""
    if choice not in comparisons(d):
        raise ConfigError(
            f"comparison {choice!r}: not a finished comparison under {d.root}/compare"
        )
    return d.root / "compare" / choice


def summary_text(out: Path, lang: str = "en") -> str:
    """A comparison's ``summary.md`` in ``lang`` (drawn with its charts if missing)."""
    suffix = "" if lang == "en" else f"_{lang}"
    path = out / f"summary{suffix}.md"
    if not path.exists() and lang != "en":
        charts(out, lang)
    return path.read_text(encoding="utf-8") if path.exists() else (out / "summary.md").read_text()
