"""The planner's dashboard page (Solara): ``make app``, or ``solara run sim.app.page``.

A planner picks a base mix and a shock scenario, moves lever controls as changes from that
mix, and runs it against the status quo on the same seeds; the page shows the key figures and
the comparison's charts, exports the mix as a policy config with the command that reproduces
it, and browses finished comparisons. Every computation is :mod:`sim.app.dashboard`; this file
only draws. Settings come from ``scenarios/dashboard.yaml`` when the server starts, with
Hydra overrides from the environment variable ``RELAPSE_APP_ARGS`` (``make app APP_ARGS=...``);
nothing the browser sends becomes a path or code.
"""

from __future__ import annotations

import os
import shlex
import sys

import solara
import solara.lab

from sim.app import dashboard
from sim.core.errors import ConfigError
from sim.core.jit import compiled_before
from sim.reports.text import by_lang

D = dashboard.settings(shlex.split(os.environ.get("RELAPSE_APP_ARGS", "")))
# The model's loops, compiled (or loaded) once here rather than in every worker of the first run
if not compiled_before():
    print("relapse-sim: compiling the model's loops once (10-50 s) before the page is served",
          file=sys.stderr, flush=True)  # fmt: skip
print(f"relapse-sim: the model's loops ready in {dashboard.warm_up():.1f} s", file=sys.stderr,
      flush=True)  # fmt: skip

TEXT = by_lang("page")  # sim/reports/text.yaml
# Tables and text as HTML made here (solara.Markdown would fetch KaTeX from a CDN).
CSS = """
.rs-md table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
.rs-md th, .rs-md td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
.rs-md th:first-child, .rs-md td:first-child { text-align: left; }
.rs-md tr:nth-child(even) td { background: #f7f7f7; }
"""
CHART_ORDER = ["levers", "trajectories", "comparison", "towns", "causes", "cost_effectiveness"]

lang = solara.reactive("en")
base = solara.reactive(D.pars.bases[0])
shocks = solara.reactive(D.pars.shock_scenarios[0])
values = solara.reactive(dict(D.start[D.pars.bases[0]]))
full = solara.reactive(False)  # show the full district's results when they exist
error = solara.reactive("")
exported = solara.reactive(None)
export_name = solara.reactive("my_mix")
browse_choice = solara.reactive(None)
browse_chart = solara.reactive(None)


@solara.component
def Md(text: str):
    """Markdown written by this project (never the browser's) as HTML."""
    import markdown

    solara.HTML(tag="div", unsafe_innerHTML=markdown.markdown(text, extensions=["tables"]),
                classes=["rs-md"])  # fmt: skip


def current_mix() -> dashboard.Mix:
    """The mix the controls show."""
    return dashboard.mix(D, base.value, shocks.value, values.value)


def run_at(task, m: dashboard.Mix, scale: float) -> str:
    """Run (or read back) the mix at ``scale``, showing progress on ``task``; its folder."""

    def report(done: int, total: int) -> None:
        task.progress = 100 * done / total

    return str(dashboard.run(D, m, scale, report))


@solara.lab.task
def run_scaled(m: dashboard.Mix) -> str:
    """The mix at the interactive scale."""
    return run_at(run_scaled, m, D.pars.scale)


@solara.lab.task
def run_full(m: dashboard.Mix) -> str:
    """The mix on the full district, in the background."""
    return run_at(run_full, m, dashboard.FULL_SCALE)


def start_run(task) -> None:
    """Check the mix and start ``task`` on it (an error is shown, nothing runs)."""
    try:
        m = current_mix()
    except ConfigError as e:
        error.set(str(e))
        return
    error.set("")
    task(m)


def set_base(b: str) -> None:
    """A new base mix starts its controls from its own values."""
    base.set(b)
    values.set(dict(D.start[b]))


@solara.component
def Control(name: str):
    """One lever's slider; scale changes in percent."""
    f = D.controls.factors[name]
    t = lang.value
    v = values.value[name]
    label = f"{D.controls.label(name, t)}: {dashboard.change_text(f, v, t)}"

    def set_value(x) -> None:
        x = 1 + x / 100 if f.change == "scale" else x
        values.set(values.value | {name: dashboard.on_grid(f, x)})

    if f.change == "scale":
        lo, hi, step = (round(100 * (e - 1)) for e in (*f.range, 1 + f.step))
        solara.SliderInt(label, value=round(100 * (v - 1)), min=lo, max=hi, step=step,
                         on_value=set_value)  # fmt: skip
    elif f.integer:
        solara.SliderInt(label, value=int(v), min=int(f.range[0]), max=int(f.range[1]),
                         step=int(f.step), on_value=set_value)  # fmt: skip
    else:
        solara.SliderFloat(label, value=v, min=f.range[0], max=f.range[1], step=f.step,
                           on_value=set_value)  # fmt: skip


@solara.component
def Sidebar():
    """Base mix, shocks, levers, the run buttons and their progress."""
    t = TEXT[lang.value]
    for key, options, current, choose in (
        ("base", D.pars.bases, base.value, set_base),
        ("shocks", D.pars.shock_scenarios, shocks.value, shocks.set),
    ):
        named = {D.name(k, lang.value): k for k in options}
        solara.Select(t[key], values=list(named), value=D.name(current, lang.value),
                      on_value=lambda label, named=named, choose=choose: choose(named[label]))  # fmt: skip
    Md(f"**{t['levers']}**")
    for name in D.controls.factors:
        Control(name)
    solara.Button(t["reset"], text=True, on_click=lambda: values.set(dict(D.start[base.value])))
    pct = 100 * D.pars.scale
    solara.Button(t["run"].format(pct=pct, seeds=D.pars.seeds), color="primary",
                  disabled=run_scaled.pending, on_click=lambda: start_run(run_scaled))  # fmt: skip
    if run_scaled.pending:
        solara.ProgressLinear(run_scaled.progress or True)
        solara.Text(t["running"].format(done=f"{run_scaled.progress or 0:.0f}%"))
    solara.Button(t["full"], outlined=True, disabled=run_full.pending,
                  on_click=lambda: start_run(run_full))  # fmt: skip
    if run_full.pending:
        solara.ProgressLinear(run_full.progress or True, color="secondary")
        solara.Text(t["full_running"].format(done=f"{run_full.progress or 0:.0f}%"))
    elif run_full.finished and run_full.value:
        solara.Text(t["full_ready"])
    if error.value:
        solara.Error(error.value)
    for task in (run_scaled, run_full):
        if task.error:
            solara.Error(str(task.exception))


@solara.component
def Results():
    """The key figures and charts of the run on screen."""
    t = TEXT[lang.value]
    folder = None
    if full.value and run_full.finished and run_full.value:
        folder = run_full.value
    elif run_scaled.finished and run_scaled.value:
        folder = run_scaled.value
    if folder is None:
        solara.Info(t["none_yet"])
        return
    from pathlib import Path

    import pandas as pd

    out = Path(folder)
    try:
        m = current_mix()
        if out not in (
            dashboard.folder(D, m, D.pars.scale),
            dashboard.folder(D, m, dashboard.FULL_SCALE),
        ):
            solara.Warning(t["stale"])
    except ConfigError:
        pass  # shown in the sidebar
    runs = pd.read_parquet(out / "runs.parquet", columns=["households", "scale", "seed"])
    first = runs.iloc[0]
    note = "full_note" if first["scale"] == dashboard.FULL_SCALE else "scale_note"
    exp = dashboard.stored_experiment(out)
    mix_label = (exp.labels or {}).get(lang.value, {}).get(dashboard.MIX, exp.title)
    Md(f"### {t['mix']}: {mix_label}")
    solara.Text(t[note].format(households=int(first["households"]), pct=100 * first["scale"],
                               seeds=runs["seed"].nunique()))  # fmt: skip
    if run_full.finished and run_full.value:
        solara.Button(t["show_scaled"] if full.value else t["show_full"], text=True,
                      on_click=lambda: full.set(not full.value))  # fmt: skip
    Md(dashboard.key_figures(out, lang.value))
    shown = out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out  # as typed
    solara.Text(f"{t['folder']}: {shown}", style={"font-size": "0.75em", "color": "#666"})
    charts = dashboard.charts(out, lang.value)
    for name in CHART_ORDER:
        if name in charts:
            solara.Image(charts[name].read_bytes(), width="100%")


@solara.component
def Export():
    """Write the mix as a policy config and show the command that reproduces it."""
    t = TEXT[lang.value]
    solara.InputText(t["name"], value=export_name)

    def do_export() -> None:
        try:
            exported.set(dashboard.export(D, current_mix(), export_name.value, D.pars.scale))
            error.set("")
        except ConfigError as e:
            exported.set(None)
            error.set(str(e))

    solara.Button(t["do_export"], color="primary", on_click=do_export)
    if error.value:
        solara.Error(error.value)
    e = exported.value
    if e:
        Md(t["exported"].format(policy=e["policy"], experiment=e["experiment"]))
        solara.Preformatted(e["compare"])
        Md(t["one_run"])
        solara.Preformatted(e["run"])
        solara.FileDownload(e["policy_text"], filename=e["policy"].name, label=t["download"])
        solara.Preformatted(e["policy_text"])


@solara.component
def Browse():
    """Finished comparisons: pick one, read its summary, page through its charts."""
    t = TEXT[lang.value]
    titles = dashboard.titled_comparisons(D)
    if not titles:
        solara.Info(t["no_comparisons"].format(root=D.root))
        return
    choice = browse_choice.value if browse_choice.value in titles else next(iter(titles))
    named = {f"{c} · {title}".strip(" ·"): c for c, title in titles.items()}
    solara.Select(t["choose"], values=list(named), value=next(k for k, c in named.items() if c == choice),
                  on_value=lambda label: browse_choice.set(named[label]))  # fmt: skip
    out = dashboard.comparison_folder(D, choice)
    Md(dashboard.summary_text(out, lang.value))
    charts = dashboard.charts(out, lang.value)
    if charts:
        names = list(charts)
        pick = browse_chart.value if browse_chart.value in names else names[0]
        solara.ToggleButtonsSingle(value=pick, values=names, on_value=browse_chart.set)
        solara.Image(charts[pick].read_bytes(), width="100%")


@solara.component
def Page():
    """The dashboard."""
    t = TEXT[lang.value]
    solara.Title(t["title"])
    solara.Style(CSS)
    with solara.AppBarTitle():
        solara.Text(t["title"])
    with solara.AppBar():
        solara.Button(t["lang"], text=True, dark=True,
                      on_click=lambda: lang.set("zh" if lang.value == "en" else "en"))  # fmt: skip
    with solara.Sidebar():
        Sidebar()
    Md(t["intro"])
    with solara.lab.Tabs():
        with solara.lab.Tab(t["results"]):
            Results()
        with solara.lab.Tab(t["export"]):
            Export()
        with solara.lab.Tab(t["browse"]):
            Browse()
