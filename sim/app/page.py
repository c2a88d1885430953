"""The planner's dashboard page (Solara): ``make app``, or ``solara run sim.app.page``.

A planner picks a base mix and a shock scenario, moves lever controls as changes from that
mix, and runs it against the status quo on the same seeds; the page shows the key figures (for
the sample or the whole district, against a budget ceiling) and the comparison's charts, each
to download; keeps named mixes and compares several side by side; exports the mix as a policy
config with the command that reproduces it; browses finished comparisons; and explains every
term in a glossary. Every computation is :mod:`sim.app.dashboard`; this file
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
import solara.server.settings

from sim.app import dashboard
from sim.config.experiment import FEW_SEEDS
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
CHART_NAMES = by_lang("chart_names")
# No "This website runs on Solara" badge: it covered the charts' axes (and stayed English).
solara.server.settings.theme.show_banner = False
# Tables and text as HTML made here (solara.Markdown would fetch KaTeX from a CDN).
CSS = """
.rs-md table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
.rs-md th, .rs-md td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
.rs-md th:first-child, .rs-md td:first-child { text-align: left; }
.rs-md tr:nth-child(even) td { background: #f7f7f7; }
.rs-md strong { font-weight: 700; }  /* the glossary's terms */
pre { white-space: pre-wrap; overflow-wrap: anywhere; }  /* commands and files: no cut edge */
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
export_error = solara.reactive("")  # the Export tab's own: it does not follow to other tabs
browse_choice = solara.reactive(None)
browse_chart = solara.reactive(None)
district = solara.reactive(True)  # a scaled run's counts and money for the whole district
budget = solara.reactive(None)  # million yuan over the period, whole district; None: no ceiling
mix_name = solara.reactive("mix_a")
mixes_error = solara.reactive("")
ticked = solara.reactive(frozenset())  # saved mixes chosen for the side-by-side comparison
mixes_saved = solara.reactive(0)  # bumped when the saved list changes: the tab reads it again
progress = solara.reactive({})  # task name -> (runs done, runs in all)


@solara.component
def Md(text: str):
    """Markdown written by this project (never the browser's) as HTML."""
    import markdown

    solara.HTML(tag="div", unsafe_innerHTML=markdown.markdown(text, extensions=["tables"]),
                classes=["rs-md"])  # fmt: skip


def current_mix() -> dashboard.Mix:
    """The mix the controls show."""
    return dashboard.mix(D, base.value, shocks.value, values.value)


def reporter(task, name: str):
    """A ``report(done, total)`` that moves ``task``'s progress and its "k of n runs"."""

    def report(done: int, total: int) -> None:
        task.progress = 100 * done / total
        progress.set(progress.value | {name: (done, total)})

    report(0, 1)
    return report


def run_at(task, m: dashboard.Mix, scale: float) -> str:
    """Run (or read back) the mix at ``scale``, showing progress on ``task``; its folder."""
    return str(dashboard.run(D, m, scale, reporter(task, task.function.__name__)))


@solara.lab.task
def run_scaled(m: dashboard.Mix) -> str:
    """The mix at the interactive scale."""
    return run_at(run_scaled, m, D.pars.scale)


@solara.lab.task
def run_full(m: dashboard.Mix) -> str:
    """The mix on the full district, in the background."""
    return run_at(run_full, m, dashboard.FULL_SCALE)


@solara.lab.task
def run_mixes(mixes: dict, shocks_name: str) -> str:
    """The ticked saved mixes side by side, against the status quo on the same seeds."""
    report = reporter(run_mixes, "run_mixes")
    return str(dashboard.run_side_by_side(D, mixes, shocks_name, D.pars.scale, report))


def running(task, name: str, t: dict, key: str = "running") -> None:
    """A task's progress bar and how many runs are done (from the first, not from 0%)."""
    done, total = progress.value.get(name, (0, 0))
    solara.ProgressLinear(task.progress or True)
    solara.Text(t[key].format(done=t["runs_done"].format(done=done, total=total or "…")))


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

    with solara.Tooltip(dashboard.tooltip(D, base.value, name, t)):  # unit, base value, source
        with solara.Column(gap="0px"):
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
    pct = 100 * D.pars.scale
    solara.Text(t["counts_note"].format(pct=pct), style={"font-size": "0.8em", "color": "#555"})
    for name in D.controls.factors:
        Control(name)
    solara.Button(t["reset"], text=True, on_click=lambda: values.set(dict(D.start[base.value])))
    solara.InputFloat(t["budget_input"], value=budget, optional=True)
    solara.Button(t["run"].format(pct=pct, seeds=D.pars.seeds), color="primary",
                  disabled=run_scaled.pending, on_click=lambda: start_run(run_scaled))  # fmt: skip
    if run_scaled.pending:
        running(run_scaled, "run_scaled", t)
    solara.Button(t["full"], outlined=True, disabled=run_full.pending,
                  on_click=lambda: start_run(run_full))  # fmt: skip
    if run_full.pending:
        running(run_full, "run_full", t, "full_running")
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
    table = dashboard.key_table(out, lang.value, per_district(out, first), budget.value)
    Md(dashboard.to_markdown(table))
    TableNote(out)
    Downloads(dashboard.downloads(table, out, "key_figures"))
    shown = out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out  # as typed
    solara.Text(f"{t['folder']}: {shown}", style={"font-size": "0.75em", "color": "#666"})
    Charts(out)


def per_district(out, first) -> bool:
    """Whether a run's figures are for the whole district: a scaled run's choice, drawn here."""
    t = TEXT[lang.value]
    if first["scale"] == dashboard.FULL_SCALE:
        return False
    k = dashboard.district_factor(out)
    options = {t["per_district"].format(k=k): True,
               t["per_sample"].format(households=int(first["households"])): False}  # fmt: skip
    chosen = next(label for label, v in options.items() if v == district.value)
    solara.ToggleButtonsSingle(value=chosen, values=list(options),
                               on_value=lambda label: district.set(options[label]))  # fmt: skip
    return district.value


@solara.component
def TableNote(out):
    """What a band is and the large-scale rule, under a table of figures."""
    t = TEXT[lang.value]
    exp = dashboard.stored_experiment(out)
    n = len(exp.seeds)
    band = t["band_range"].format(n=n) if n <= FEW_SEEDS else \
        t["band_pct"].format(pct=round(100 * exp.band))  # fmt: skip
    solara.Text(t["table_note"].format(**D.facts | {"band": band}),
                style={"font-size": "0.8em", "color": "#444"})  # fmt: skip


@solara.component
def Downloads(files: dict):
    """A row of download buttons, one a file (name -> a function giving its bytes on a click)."""
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Text(TEXT[lang.value]["downloads"], style={"font-size": "0.85em"})
        for name, data in files.items():
            solara.FileDownload(data, filename=name, label=name)


@solara.component
def Charts(out, only: str | None = None):
    """A comparison's charts in the page's language, each with its PNG and SVG."""
    charts = dashboard.charts(out, lang.value)
    for name in [only] if only else [n for n in CHART_ORDER if n in charts]:
        png = charts[name]
        solara.Image(png.read_bytes(), width="100%")
        Downloads({p.name: p.read_bytes for p in (png, png.with_suffix(".svg")) if p.exists()})


@solara.component
def Export():
    """Write the mix as a policy config and show the command that reproduces it."""
    t = TEXT[lang.value]
    solara.InputText(t["name"], value=export_name)

    def do_export() -> None:
        try:
            exported.set(dashboard.export(D, current_mix(), export_name.value, D.pars.scale))
            export_error.set("")
        except ConfigError as e:
            exported.set(None)
            export_error.set(str(e))

    solara.Button(t["do_export"], color="primary", on_click=do_export)
    if export_error.value:
        solara.Error(export_error.value)
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
    titles = dashboard.titled_comparisons(D, lang.value)
    if not titles:
        solara.Info(t["no_comparisons"].format(root=D.root))
        return
    choice = browse_choice.value if browse_choice.value in titles else next(iter(titles))
    named = {title: c for c, title in titles.items()}
    solara.Select(t["choose"], values=list(named), value=titles[choice],
                  on_value=lambda label: browse_choice.set(named[label]))  # fmt: skip
    out = dashboard.comparison_folder(D, choice)
    Md(dashboard.summary_text(out, lang.value))
    Downloads({"summary.csv": (out / "summary.csv").read_bytes})
    charts = dashboard.charts(out, lang.value)
    if charts:
        shown = {CHART_NAMES[lang.value].get(n, n.replace("_", " ")): n for n in charts}
        pick = browse_chart.value if browse_chart.value in charts else next(iter(charts))
        solara.ToggleButtonsSingle(value=next(k for k, n in shown.items() if n == pick),
                                   values=list(shown),
                                   on_value=lambda label: browse_chart.set(shown[label]))  # fmt: skip
        Charts(out, only=pick)


@solara.component
def Mixes():
    """The planner's saved mixes: save, load, forget, and compare the ticked ones."""
    t = TEXT[lang.value]
    mixes_saved.value  # noqa: B018 (read: the list is drawn again when it changes)
    saved, dropped = dashboard.saved_mixes(D)
    Md(t["saved_intro"].format(path=D.root / dashboard.MIXES))
    with solara.Row(style={"align-items": "center"}):
        solara.InputText(t["mix_name"], value=mix_name)

        def save() -> None:
            try:
                dashboard.save_mix(D, mix_name.value, current_mix())
                mixes_error.set("")
                ticked.set(ticked.value | {mix_name.value})
                mixes_saved.set(mixes_saved.value + 1)
            except ConfigError as e:
                mixes_error.set(str(e))

        solara.Button(t["save_mix"], color="primary", on_click=save)
    if mixes_error.value:
        solara.Error(mixes_error.value)
    if dropped:
        solara.Warning(t["dropped"].format(what="; ".join(dropped)))
    if not saved:
        solara.Info(t["no_saved"])
        return
    for name, m in saved.items():
        with solara.Row(style={"align-items": "center"}):
            solara.Checkbox(label=f"{name}: {dashboard.describe(D, m, lang.value)}",
                            value=name in ticked.value,
                            on_value=lambda on, name=name: ticked.set(
                                ticked.value | {name} if on else ticked.value - {name}))  # fmt: skip

            def load(m=m) -> None:
                base.set(m.base)
                shocks.set(m.shocks)
                values.set(dict(D.start[m.base]) | m.values)

            solara.Button(t["load"], text=True, on_click=load)

            def forget(name=name) -> None:
                dashboard.forget_mix(D, name)
                ticked.set(ticked.value - {name})
                mixes_saved.set(mixes_saved.value + 1)

            solara.Button(t["forget"], text=True, on_click=forget)
    chosen = {n: m for n, m in saved.items() if n in ticked.value}
    solara.Button(t["compare_ticked"].format(pct=100 * D.pars.scale, seeds=D.pars.seeds),
                  color="primary", disabled=run_mixes.pending or not chosen,
                  on_click=lambda: run_mixes(chosen, shocks.value))  # fmt: skip
    if run_mixes.pending:
        running(run_mixes, "run_mixes", t)
    if run_mixes.error:
        solara.Error(str(run_mixes.exception))
    if run_mixes.finished and run_mixes.value:
        from pathlib import Path

        import pandas as pd

        out = Path(run_mixes.value)
        if not chosen or out.parent.name != dashboard.side_by_side(
            D, chosen, shocks.value, D.pars.scale
        )["name"]:  # the ticks or the shocks moved since this comparison ran
            solara.Warning(t["stale_mixes"])
        first = pd.read_parquet(out / "runs.parquet", columns=["households", "scale"]).iloc[0]
        table = dashboard.mixes_table(out, lang.value, per_district(out, first), budget.value)
        Md(dashboard.to_markdown(table))
        TableNote(out)
        Downloads(dashboard.downloads(table, out, "mixes"))
        Charts(out)


@solara.component
def Glossary():
    """What every figure on the page means, its numbers from the configs."""
    Md("\n\n".join(f"**{term}**: {text}" for term, text in dashboard.glossary(D, lang.value)))


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
        with solara.lab.Tab(t["mixes"]):
            Mixes()
        with solara.lab.Tab(t["export"]):
            Export()
        with solara.lab.Tab(t["browse"]):
            Browse()
        with solara.lab.Tab(t["glossary"]):
            Glossary()
