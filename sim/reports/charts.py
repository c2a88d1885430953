"""Charts in one house style (matplotlib, Agg): PNG for screens, SVG for print.

Every chart has a title, axes with units, a legend where colours carry meaning and a source
note (version, what was run: scale, seeds, period). Money and counts have thousands
separators. Labels are English by default; with ``lang="zh"`` they are Chinese when a CJK
font is installed (e.g. Debian's fonts-noto-cjk; found even when matplotlib's font cache
predates it), else a warning is given and English is used. SVG output is reproducible: no
date, fixed ids.
"""

from __future__ import annotations

import logging
import re
import textwrap
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator  # noqa: E402

import sim  # noqa: E402
from sim.config.experiment import FEW_SEEDS, band_quantiles, baseline_of, cells
from sim.core.io import atomic_write  # noqa: E402
from sim.engine.shocks import CAUSES
from sim.reports.metric_table import above  # noqa: E402
from sim.reports.metric_table import label as figure_label  # noqa: E402
from sim.reports.text import by_lang, pairs, towns

logging.getLogger("matplotlib.font_manager").setLevel(logging.WARNING)

STYLE = {
    "figure.figsize": (8, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "svg.fonttype": "none",
    "svg.hashsalt": "relapse-sim",  # fixed clip-path ids: the same figure, the same SVG
}
# Okabe-Ito (colour-blind safe), then Paul Tol's muted colours.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#000000", "#999999", "#882255", "#44AA99", "#117733", "#332288", "#AA4499",
           "#DDCC77", "#88CCEE", "#661100", "#6699CC"]  # fmt: skip
BASE, ACCENT, BAND = "#222222", "#D55E00", "#0072B2"  # baseline, the scenario, a third series
SERIES = {"n_relapsed": "#c0392b", "n_newly_poor": "#0072b2",
          "n_at_risk": "#e69f00", "n_at_risk_poverty_alleviated": "#7a4fa0"}  # fmt: skip
# Each cause keeps its colour in every chart, whichever causes occur.
CAUSE_COLOURS = {
    "structural": "#999999", "illness": "#D55E00", "chronic": "#E69F00", "disability": "#CC79A7",
    "death": "#000000", "job_loss": "#0072B2", "migrant_demand": "#56B4E9", "disaster": "#009E73",
    "price": "#F0E442", "lockdown": "#882255",
}  # fmt: skip
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei"]  # fmt: skip

LABELS = by_lang("chart")  # sim/reports/text.yaml
OPTIONS = by_lang("options")  # sim/reports/text.yaml: the shipped mixes and shock scenarios
CAUSE_LABELS = by_lang("causes")  # sim/reports/text.yaml
# The levers (sim/engine/policies/), by language.
LEVER_LABELS = by_lang("levers")  # sim/reports/text.yaml
# Swept parameters: label with unit, by language (figures: sim.reports.metric_table).
NAMES = pairs("names")  # sim/reports/text.yaml
# Fuling's 25 agriculture-related towns and streets (Fuling plan), for the synthetic towns.
TOWNS = towns()  # sim/reports/text.yaml


def cjk_font() -> str | None:
    """Name of an installed CJK font, or None.

    Fonts installed after matplotlib built its font cache are added from the system's font
    folders (``font_manager.findSystemFonts``), so installing fonts-noto-cjk is enough.
    """
    names = {f.name for f in font_manager.fontManager.ttflist}
    found = next((f for f in CJK_FONTS if f in names), None)
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(k in Path(path).name for k in ("CJK", "wqy", "SourceHanSans")):
                font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
        found = next((f for f in CJK_FONTS if f in names), None)
    return found


class Labels:
    """Chart text in the requested language (falls back to English without a CJK font)."""

    def __init__(self, lang: str = "en") -> None:
        if lang not in LABELS:
            raise ValueError(f"lang={lang!r}: use one of {', '.join(LABELS)}")
        self.font = None
        if lang == "zh":
            self.font = cjk_font()
            if self.font is None:
                warnings.warn(
                    "lang=zh: no CJK font installed (e.g. apt-get install fonts-noto-cjk); "
                    "charts use English labels",
                    stacklevel=2,
                )
                lang = "en"
        self.lang = lang

    def __call__(self, key: str, **kw: object) -> str:
        """The text for ``key``, formatted with ``kw``."""
        return LABELS[self.lang][key].format(**kw)

    def count(self, what: str, n: int) -> str:
        """``n`` with its noun: "1 seed", "2 seeds" (text ``count_<what>``)."""
        one, _, many = self(f"count_{what}", n=n).partition("|")
        return one if n == 1 or not many else many

    def option(self, name: str) -> str:
        """A shipped option (``status_quo``, ``flood``, ...) in words; one's own as written."""
        return OPTIONS[self.lang].get(name) or self("own_name", name=name)

    def own(self, name: str) -> str:
        """A name one chose (an experiment, a sweep), marked as such in Chinese text."""
        return self("own_name", name=name)

    def name(self, key: str) -> str:
        """A figure's or a parameter's name with its unit (the key itself if unknown)."""
        if key in NAMES:
            return NAMES[key][self.lang == "zh"]
        return figure_label(key, self.lang)

    def cause(self, cause: str) -> str:
        """A cause of relapse in words."""
        return CAUSE_LABELS[self.lang].get(cause, cause)

    def town(self, town: int, n_towns: int) -> str:
        """A town's name (Fuling's names for the 25 towns of the default district)."""
        names = TOWNS[self.lang]
        return names[town] if n_towns <= len(names) else f"{town}"

    def band(self, band: float, n_seeds: int) -> str:
        """What a band across seeds is: a share of the seeds, or their range if few."""
        if n_seeds <= FEW_SEEDS:
            return self("band_range", n=n_seeds)
        return self("band_pct", pct=int(round(100 * band)))

    def style(self) -> dict:
        """RcParams for this language."""
        extra = {"font.family": "sans-serif", "font.sans-serif": [self.font]} if self.font else {}
        return STYLE | extra


def _wrap(text: str, width: int = 45) -> str:
    """``text`` on lines of at most ``width`` characters (Chinese: half as many).

    Chinese breaks between characters, never inside a run of Latin letters and digits.

    Example:
        >>> print(_wrap("现行政策 + 低保标准 +10%，公益性岗位 +500", 20))
        现行政策 + 低保标
        准 +10%，公益性
        岗位 +500
    """
    if not text.isascii():
        width //= 2
        lines, line = [], ""
        for piece in re.findall(r"[\x21-\x7e]+|.", text):  # a Latin run, or one character
            if line and len(line) + len(piece) > width:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
        return "\n".join([*lines, line.rstrip()])
    return "\n".join(textwrap.wrap(text, width)) or text


def _words(key: str) -> str:
    """A name of one's own as words (``no_dibao`` -> ``no dibao``) where no label is given."""
    return key.replace("_", " ")


def scenario_labels(exp, lang: str) -> dict[str, str]:
    """How charts name each run of an experiment: its ``labels`` in ``lang``, else its keys."""
    labels = (exp.labels or {}).get(lang) or (exp.labels or {}).get("en") or {}
    out = {}
    for name, (scenario, cross) in cells(exp).items():
        text = labels.get(scenario, _words(scenario))
        out[name] = text if cross is None else f"{text} / {labels.get(cross, _words(cross))}"
    return out


class Thousands(Formatter):
    """Tick labels with thousands separators and the decimals the tick step needs.

    0, 0.5, 1 rather than 0, 0, 1 (or "-0"): the step of the ticks drawn sets the decimals.

    Example:
        >>> Thousands().format_ticks([0, 0.25, 0.5, 1500])
        ['0.00', '0.25', '0.50', '1,500.00']
        >>> Thousands().format_ticks([-2000, -1000, 0, 1000])
        ['-2,000', '-1,000', '0', '1,000']
    """

    decimals = 0

    def format_ticks(self, values) -> list[str]:
        """Every tick's label; the step between them sets the decimals."""
        ticks = sorted(v for v in values if np.isfinite(v))
        steps = [b - a for a, b in zip(ticks, ticks[1:], strict=False) if b > a]
        step, self.decimals = (min(steps) if steps else 1.0), 0
        while (
            self.decimals < 6
            and abs(step * 10**self.decimals - round(step * 10**self.decimals)) > 1e-6
        ):
            self.decimals += 1
        return [self(v) for v in values]

    def __call__(self, x: float, pos: int | None = None) -> str:
        """One label, with the decimals of the last ticks formatted."""
        text = f"{x:,.{self.decimals}f}"
        return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


THOUSANDS = Thousands()
ROUND = [1, 2, 2.5, 5, 10]  # tick steps a reader reads at a glance (x 10^k)


def save(fig: plt.Figure, stem: Path) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` (atomically, reproducibly) and close it."""
    out = []
    for ext in ("png", "svg"):
        meta = {"Date": None} if ext == "svg" else {}

        def write(p: Path, e: str = ext, m: dict = meta) -> None:
            fig.savefig(p, format=e, bbox_inches="tight", metadata=m)

        out.append(atomic_write(stem.with_suffix(f".{ext}"), write))
    plt.close(fig)
    return out


def note(fig: plt.Figure, text: str) -> None:
    """The source note, under everything at the bottom left (constrained layout)."""
    fig.supxlabel(text, x=0.01, ha="left", fontsize=7, color="0.4")


def run_chart(monthly: pd.DataFrame, stem: Path, run: dict, lang: str = "en") -> list[Path]:
    """One run by month: relapsed, newly poor, and households below the monitoring line.

    A panel each, with its own scale, so that a few dozen relapsed households stay visible
    beside thousands of households at risk. ``run`` names what was run: policy, shocks,
    scale, households, seed, period (the keys of the ``run_what`` label).
    """
    L = Labels(lang)
    named = {k: L.option(v) if k in ("policy", "shocks") and isinstance(v, str) else v
             for k, v in run.items()}  # fmt: skip
    what = L("run_what", **named)
    x = pd.to_datetime(monthly["month"])
    with plt.rc_context(L.style()):
        fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True, layout="constrained")
        panels = [(L.name("n_relapsed"), ["n_relapsed"]),
                  (L.name("n_newly_poor"), ["n_newly_poor"]),
                  (L("risk_panel"), ["n_at_risk", "n_at_risk_poverty_alleviated"])]  # fmt: skip
        for ax, (title, keys) in zip(axes, panels, strict=True):
            for key in keys:
                ax.plot(x, monthly[key], color=SERIES[key], lw=1.8)
                if len(keys) > 1:  # label the line at its end
                    ax.annotate(L(key), (x.iloc[-1], monthly[key].iloc[-1]), xytext=(4, 0),
                                textcoords="offset points", va="center", fontsize=8,
                                color=SERIES[key])  # fmt: skip
            ax.set_title(title, loc="left", fontsize=10)
            ax.set_ylabel(L("households"))
            ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))  # households: no axis of hundredths
            ax.yaxis.set_major_formatter(THOUSANDS)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4, steps=ROUND))
        _years_axis(axes[-1], L.lang)
        axes[-1].tick_params(labelsize=9)  # the ticks are dates: no axis title
        fig.suptitle(L("run_title"))
        note(fig, L("source", version=sim.__version__, what=what))
        return save(fig, stem)


def _period(runs: pd.DataFrame) -> str:
    first, last = runs["first_month"].iloc[0], runs["last_month"].iloc[0]
    return f"{first} – {last}"


def _what(exp, runs: pd.DataFrame, L: Labels) -> str:
    """What a comparison ran: experiment, scale, households, seeds, period."""
    r = runs.iloc[0]
    title = ((exp.labels or {}).get(L.lang) or {}).get("title")  # else the file's own title
    return L("cmp_what", name=title or L.own(exp.title), scale=r["scale"], households=r["households"],
             n=L.count("paired_seeds", len(exp.seeds)), period=_period(runs))  # fmt: skip


def comparison_charts(exp, out: Path, runs: pd.DataFrame, table: pd.DataFrame, lang: str = "en"):
    """Every chart of a comparison, into ``out/charts`` (names end in ``_zh`` for Chinese)."""
    L = Labels(lang)
    label = scenario_labels(exp, L.lang)
    names = list(table["scenario"])
    if exp.cross:  # each cross option's runs side by side, its baseline first
        where = cells(exp)
        crosses, scenarios = list(exp.cross), list(exp.scenarios)
        names.sort(key=lambda n: (crosses.index(where[n][1]), scenarios.index(where[n][0])))
    others = [n for n in names if baseline_of(exp, n) != n]
    src = L("source", version=sim.__version__, what=_what(exp, runs, L))
    charts = out / "charts"
    suffix = "" if L.lang == "en" else f"_{L.lang}"
    band_text = L.band(exp.band, len(exp.seeds))
    lo, hi = band_quantiles(exp)
    with plt.rc_context(L.style()):
        _trajectories(exp, out, names, others, label, L, band_text, lo, hi, src,
                      charts / f"trajectories{suffix}")  # fmt: skip
        _dots(exp, runs, names, label, L, band_text, lo, hi, src, charts / f"comparison{suffix}")
        _cost_effectiveness(exp, runs, others, label, L, band_text, lo, hi, src,
                            charts / f"cost_effectiveness{suffix}")  # fmt: skip
        _causes(runs, names, label, L, band_text, lo, hi, src, charts / f"causes{suffix}")
        _towns(exp, out, names, runs, label, L, src, charts / f"towns{suffix}")


def lever_chart(exp, out: Path, runs: pd.DataFrame, lang: str = "en") -> list[Path]:
    """Spending by lever into ``out/charts/levers``: means and bands, and paired differences.

    Left: each run name's mean and band (log scale); right: each scenario's difference from
    its baseline, seed by seed. Levers that spent nothing in every run are left out.
    """
    L = Labels(lang)
    label = scenario_labels(exp, L.lang)
    names = list(dict.fromkeys(runs["scenario"]))
    others = [n for n in names if baseline_of(exp, n) != n]
    levers = [c for c in runs.columns if c.startswith("spend_") and runs[c].abs().sum() > 0]
    levers.sort(key=lambda c: runs[c].mean())
    lo, hi = band_quantiles(exp)
    by = {n: g.set_index("seed") for n, g in runs.groupby("scenario", sort=False)}
    palette = iter([ACCENT, *(c for c in PALETTE if c != ACCENT)])
    colours = {n: BASE if baseline_of(exp, n) == n else next(palette) for n in names}
    with plt.rc_context(L.style()):
        fig, (a1, a2) = plt.subplots(
            1, 2, figsize=(10, 0.3 * len(levers) * max(1, len(names) / 2) + 2.2), sharey=True,
            layout="constrained",
        )  # fmt: skip
        width = 0.8 / len(names)
        for i, name in enumerate(names):
            y = np.arange(len(levers)) + (len(names) / 2 - 0.5 - i) * width
            for yi, c in zip(y, levers, strict=True):
                _interval(a1, yi, by[name][c], lo, hi, colours[name], scale=1e6)
                if name in others:
                    base = by[baseline_of(exp, name)]
                    diff = by[name][c].loc[base.index] - base[c]
                    _interval(a2, yi, diff, lo, hi, colours[name], scale=1e6)
        a1.set_yticks(np.arange(len(levers)),
                      [LEVER_LABELS[L.lang].get(c[6:], c[6:]) for c in levers], fontsize=8)  # fmt: skip
        a1.set_xscale("log")
        a1.set_xlabel(L("lever_axis"))
        a2.axvline(0, color=BASE, lw=0.8)
        a2.set_xlabel(L("lever_diff"))
        for ax in (a1, a2):
            ax.xaxis.set_major_formatter(THOUSANDS)
            ax.grid(False, axis="y")
        handles = [plt.Line2D([], [], color=colours[n], marker="o", label=_wrap(label[n], 30))
                   for n in names]  # fmt: skip
        # beside the panels: inside, a long mix name covered the smallest levers' names
        fig.legend(handles=handles, loc="outside right upper", fontsize=8)
        band = L("band", band=L.band(exp.band, len(exp.seeds)))
        fig.suptitle(L("lever_title", period=_period(runs), band=band))
        note(fig, L("source", version=sim.__version__, what=_what(exp, runs, L)))
        suffix = "" if L.lang == "en" else f"_{L.lang}"
        return save(fig, out / "charts" / f"levers{suffix}")


def _grid(
    n: int, width: float = 2.6, height: float = 1.9, sharey: bool = True, ncol: int = 4,
    sharex: bool = True,
) -> tuple[plt.Figure, np.ndarray]:  # fmt: skip
    ncol = min(n, ncol)
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(  # at least 8 inches wide: room for the title and the legend
        nrow, ncol, figsize=(max(width * ncol + 0.6, 8.0), height * nrow + 1.2), sharex=sharex,
        sharey=sharey, layout="constrained", squeeze=False,
    )  # fmt: skip
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes


# ConciseDateFormatter's formats (years, months, days, ...) in Chinese: 2021年, 3月
ZH_DATES = {"formats": ["%Y年", "%-m月", "%-d日", "%H:%M", "%H:%M", "%S.%f"],
            "zero_formats": ["", "%Y年", "%-m月", "%-m月%-d日", "%H:%M", "%H:%M"]}  # fmt: skip


def _years_axis(ax, lang: str = "en") -> None:
    """Dates as years, or as months where the run is short (a year on the first tick)."""
    locator = mdates.AutoDateLocator(minticks=2, maxticks=4)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(
            locator, show_offset=False, **(ZH_DATES if lang == "zh" else {})
        )
    )
    ax.tick_params(labelsize=7)


def _trajectories(exp, out, names, others, label, L, band_text, lo, hi, src, stem):
    """Small multiples: each scenario against its baseline, mean and band by month.

    Each panel has its own scale: the scenario against its baseline is what it shows.
    """
    monthly = pq.read_table(
        out / "monthly.parquet", columns=["scenario", "seed", "month", "n_relapsed"]
    ).to_pandas()
    q = monthly.groupby(["scenario", "month"])["n_relapsed"]
    stats = pd.DataFrame({"mean": q.mean(), "lo": q.quantile(lo), "hi": q.quantile(hi)})
    panels = others or names
    fig, axes = _grid(len(panels), sharey=False)
    for ax, name in zip(axes.ravel(), panels, strict=False):
        for run, colour in ((baseline_of(exp, name), BASE), (name, ACCENT)):
            s = stats.loc[run]
            x = pd.to_datetime(s.index)
            ax.fill_between(x, s["lo"], s["hi"], color=colour, alpha=0.18, lw=0)
            ax.plot(x, s["mean"], color=colour, lw=1.3)
        ax.set_title(label[name], fontsize=8)
        ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))  # households: no axis of hundredths
        ax.yaxis.set_major_formatter(THOUSANDS)
        ax.tick_params(axis="y", labelsize=7)
        _years_axis(ax, L.lang)
    handles = [plt.Line2D([], [], color=BASE, label=L("baseline")),
               plt.Line2D([], [], color=ACCENT, label=L("scenario"))]  # fmt: skip
    # in the first panel's upper left, where relapse (rising from zero) leaves room; a legend
    # in the figure's top margin would share the title's line
    axes[0, 0].legend(handles=handles, loc="upper left", fontsize=7, title_fontsize=7,
                      title=L("band", band=band_text))  # fmt: skip
    fig.suptitle(L("traj_title"))
    fig.supylabel(L("relapsed_axis"), fontsize=9)
    note(fig, src)
    save(fig, stem)


def _interval(ax, y, g: pd.Series, lo: float, hi: float, colour: str, scale: float = 1.0):
    mean = g.mean() / scale
    ax.plot([g.quantile(lo) / scale, g.quantile(hi) / scale], [y, y], color=colour, lw=2.2,
            alpha=0.5, solid_capstyle="butt")  # fmt: skip
    ax.plot([mean], [y], "o", color=colour, ms=5)


def _dots(exp, runs, names, label, L, band_text, lo, hi, src, stem):
    """Relapse and spending by scenario: mean and band, the baselines in black."""
    by = {n: g for n, g in runs.groupby("scenario", sort=False)}
    y = np.arange(len(names))[::-1]
    ticks = [_wrap(label[n], 40) for n in names]  # a mix's name is long
    lines = max(t.count("\n") + 1 for t in ticks)  # room for the tallest name in every row
    fig, (a1, a2) = plt.subplots(
        1, 2, figsize=(10, (0.2 + 0.12 * lines) * len(names) + 1.8), sharey=True,
        layout="constrained",
    )  # fmt: skip
    for yi, name in zip(y, names, strict=True):
        colour = BASE if baseline_of(exp, name) == name else ACCENT
        _interval(a1, yi, by[name]["relapsed"], lo, hi, colour)
        _interval(a2, yi, by[name]["spending"], lo, hi, colour, scale=1e6)
    a1.set_yticks(y, ticks, fontsize=8)
    for tick, name in zip(a1.get_yticklabels(), names, strict=True):
        if baseline_of(exp, name) == name:
            tick.set_fontweight("bold")
    a1.set_xlabel(_wrap(L.name("relapsed"), 32))  # side by side: each within its own half
    a2.set_xlabel(_wrap(L("spending"), 32))
    for ax in (a1, a2):
        ax.xaxis.set_major_formatter(THOUSANDS)
        ax.grid(False, axis="y")
    handles = [plt.Line2D([], [], color=BASE, marker="o", label=L("baseline")),
               plt.Line2D([], [], color=ACCENT, marker="o", label=L("scenario"))]  # fmt: skip
    fig.legend(handles=handles, loc="outside right upper", title=L("band", band=band_text))
    fig.suptitle(L("cmp_title", period=_period(runs)))
    note(fig, src)
    save(fig, stem)


def _place_labels(ax, xs, ys, texts, fontsize=7, starts=None, clear_x=(), clear_y=()):
    """Label points to their right, spreading overlapping labels up and down (screen space).

    ``starts``: where each label may begin on the x axis (e.g. past the point's error bar).
    ``clear_x``: vertical lines (data x) a label starting just left of them begins past instead.
    ``clear_y``: horizontal lines (data y) no label may lie across: each stays on its point's side.
    """
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    pts = ax.transData.transform(np.column_stack([xs, ys]))
    if starts is not None:
        pts[:, 0] = ax.transData.transform(np.column_stack([starts, ys]))[:, 0]
    labels = [ax.text(0, 0, t, fontsize=fontsize, va="center") for t in texts]
    sizes = np.array([[b.width, b.height] for b in (t.get_window_extent(renderer) for t in labels)])
    pos = pts + [11.0, 0.0]  # label anchors (left middle), pixels: clear of the marker
    for line in ax.transData.transform([(x, 0) for x in clear_x])[:, 0] if clear_x else ():
        crossing = (
            (pos[:, 0] < line + 4) & (pos[:, 0] + sizes[:, 0] > line) & (pos[:, 0] > line - 40)
        )
        pos[crossing, 0] = line + 4  # a short step right rather than a label across the line
    gap = 1.15
    rules = ax.transData.transform([(0, y) for y in clear_y])[:, 1] if clear_y else ()
    for _ in range(300):  # push apart the pairs that overlap, half each way
        moved = False
        for i in range(len(pos)):  # off a horizontal line, to its point's side
            for line in rules:
                need = gap * sizes[i, 1] / 2 - abs(pos[i, 1] - line)
                if need > 0:
                    pos[i, 1] += need if pts[i, 1] >= line else -need
                    moved = True
        for i in range(len(pos)):
            for j in range(i + 1, len(pos)):
                dx = abs(pos[i, 0] - pos[j, 0]) < max(sizes[i, 0], sizes[j, 0])
                need = gap * (sizes[i, 1] + sizes[j, 1]) / 2 - abs(pos[i, 1] - pos[j, 1])
                if dx and need > 0:
                    up = 1.0 if pos[i, 1] >= pos[j, 1] else -1.0
                    pos[i, 1] += up * need / 2
                    pos[j, 1] -= up * need / 2
                    moved = True
        if not moved:
            break
    inv = ax.transData.inverted()
    placed = []
    for k, text in enumerate(labels):
        text.remove()
        placed.append(ax.annotate(
            texts[k], (xs[k], ys[k]), xytext=inv.transform(pos[k]), fontsize=fontsize,
            va="center", arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.5},
        ))  # fmt: skip
    for _ in range(4):  # widen the axes until every label ends inside them
        fig.canvas.draw()
        right = max(Text.get_window_extent(t, renderer).x1 for t in placed)
        edge = ax.get_window_extent(renderer).x1
        if right <= edge - 2:
            break
        lo, hi = ax.get_xlim()
        ax.set_xlim(lo, hi + (hi - lo) * (right - edge + 6) / ax.get_window_extent(renderer).width)


def _extent(points, k) -> tuple[float, float, float, float]:
    """Axis limits holding points ``k`` with their bars and the origin, with a margin.

    At least 2 households wide and 0.2 million yuan high: where every difference is 0 an axis
    of a billionth would label each tick "0".
    """
    x0 = min(min(points[i][0] - points[i][2][0][0] for i in k), 0)
    x1 = max(max(points[i][0] + points[i][2][1][0] for i in k), 0)
    y0 = min(min(points[i][1] - points[i][3][0][0] for i in k), 0)
    y1 = max(max(points[i][1] + points[i][3][1][0] for i in k), 0)
    wx, wy = max(0.0, 2 - (x1 - x0)) / 2, max(0.0, 0.2 - (y1 - y0)) / 2
    x0, x1, y0, y1 = x0 - wx, x1 + wx, y0 - wy, y1 + wy
    dx, dy = x1 - x0, y1 - y0
    return x0 - 0.05 * dx, x1 + 0.05 * dx, y0 - 0.15 * dy, y1 + 0.15 * dy


def _cost_effectiveness(exp, runs, others, label, L, band_text, lo, hi, src, stem):
    """Relapses averted against extra spending, paired by seed, with the quadrants named.

    Points crowded near the origin are labelled in a second panel that zooms in on them.
    """
    if not others:
        return
    by = {n: g.set_index("seed") for n, g in runs.groupby("scenario", sort=False)}
    points = []  # (x, y, x band, y band)
    for name in others:
        base = by[baseline_of(exp, name)]
        g = by[name].loc[base.index]
        averted = base["relapsed"] - g["relapsed"]
        cost = (g["spending"] - base["spending"]) / 1e6
        x, y = averted.mean(), cost.mean()
        points.append((x, y, [[x - averted.quantile(lo)], [averted.quantile(hi) - x]],
                       [[y - cost.quantile(lo)], [cost.quantile(hi) - y]]))  # fmt: skip
    xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    span_x = max(np.ptp(np.append(xs, 0)), 1e-9)
    span_y = max(np.ptp(np.append(ys, 0)), 1e-9)
    near = (np.abs(xs) < 0.12 * span_x) & (np.abs(ys) < 0.12 * span_y)
    zoom = near.sum() >= 3 and (~near).any()
    while zoom:  # every point inside the enlarged region is drawn, and labelled, there
        x0, x1, y0, y1 = _extent(points, np.flatnonzero(near))
        grown = near | ((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1))
        if (grown == near).all():
            break
        near = grown
        zoom = (~near).any()
    fig, axes = plt.subplots(1, 2 if zoom else 1, figsize=(12 if zoom else 8, 6),
                             layout="constrained", squeeze=False)  # fmt: skip
    panels = [
        (axes[0, 0], np.ones(len(others), bool), ~near if zoom else np.ones(len(others), bool))
    ]
    if zoom:
        panels.append((axes[0, 1], near, near))
    for ax, shown, labelled in panels:
        for k in np.flatnonzero(shown):
            x, y, xerr, yerr = points[k]
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="o", color=ACCENT, ecolor="0.55",
                        elinewidth=0.8, capsize=2, ms=4)  # fmt: skip
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(0, color="0.5", lw=0.8)
        x0, x1, y0, y1 = _extent(points, np.flatnonzero(shown))
        ax.set_xlim(x0, x1)  # widened for the labels as they are placed
        ax.set_ylim(y0, y1)
        ax.set(xlabel=L("averted"), ylabel=L("extra_cost"))
        ax.xaxis.set_major_formatter(THOUSANDS)
        ax.yaxis.set_major_formatter(THOUSANDS)
        idx = np.flatnonzero(labelled)
        right = [points[k][0] + points[k][2][1][0] for k in idx]  # past the error bar
        _place_labels(ax, xs[idx], ys[idx], [label[others[k]] for k in idx], starts=right,
                      clear_x=(0,), clear_y=(0,))  # fmt: skip
    corners = {"q_costs": (0.98, 0.98, "right", "top"), "q_dominant": (0.98, 0.02, "right", "bottom"),
               "q_dominated": (0.02, 0.98, "left", "top"), "q_saves": (0.02, 0.02, "left", "bottom")}  # fmt: skip
    for key, (cx, cy, ha, va) in corners.items():
        axes[0, 0].text(cx, cy, L(key), transform=axes[0, 0].transAxes, ha=ha, va=va, fontsize=8,
                        color="0.45", bbox={"fc": "white", "ec": "none", "alpha": 0.8})  # fmt: skip
    if zoom:  # the enlarged region, marked where it lies
        axes[0, 1].set_title(L("ce_zoom"), fontsize=9)
        (zx0, zx1), (zy0, zy1) = axes[0, 1].get_xlim(), axes[0, 1].get_ylim()
        axes[0, 0].add_patch(plt.Rectangle((zx0, zy0), zx1 - zx0, zy1 - zy0, fill=False, ls="--",
                                           ec="0.4", lw=0.8, zorder=0))  # fmt: skip
    fig.suptitle(L("ce_title"))
    note(fig, L("ce_note", band=band_text) + "\n" + src)
    save(fig, stem)


def _causes(runs, names, label, L, band_text, lo, hi, src, stem):
    """Relapse events by cause, stacked (fixed colours), with the band of the total."""
    cols = [f"cause_{c}" for c in CAUSES]
    means = runs.groupby("scenario", sort=False)[cols].mean().loc[names]
    total = runs.groupby("scenario", sort=False)["relapse_events"]
    y = np.arange(len(names))[::-1]
    ticks = [_wrap(label[n], 40) for n in names]  # a mix's name is long
    lines = max(t.count("\n") + 1 for t in ticks)
    fig, ax = plt.subplots(figsize=(10, (0.2 + 0.12 * lines) * len(names) + 1.8),
                           layout="constrained")  # fmt: skip
    left = np.zeros(len(names))
    for c, col in zip(CAUSES, cols, strict=True):
        ax.barh(y, means[col], left=left, color=CAUSE_COLOURS[c], label=L.cause(c), height=0.7)
        left += means[col].to_numpy()
    q_lo, q_hi = total.quantile(lo).loc[names], total.quantile(hi).loc[names]
    mid = total.mean().loc[names]
    ax.errorbar(mid, y, xerr=[mid - q_lo, q_hi - mid], fmt="none", ecolor="0.2", capsize=2, lw=0.8)
    ax.set_yticks(y, ticks, fontsize=8)
    ax.set(title=L("cause_title", band=band_text), xlabel=L("events"))
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.grid(False, axis="y")
    fig.legend(loc="outside right upper", fontsize=8)
    note(fig, src)
    save(fig, stem)


def _towns(exp, out, names, runs, label, L, src, stem):
    """Small multiples by town: a scenario against its baseline.

    The one scenario there is (the dashboard's mix), or of several the one with most relapse.
    """
    towns = pq.read_table(
        out / "towns.parquet", columns=["scenario", "month", "town", "n_relapsed"]
    ).to_pandas()
    mean = towns.groupby(["scenario", "town", "month"])["n_relapsed"].mean()
    others = [n for n in names if baseline_of(exp, n) != n]
    relapsed = runs.groupby("scenario", sort=False)["relapsed"].mean()
    worst = relapsed.loc[others or names].idxmax()  # a baseline is never its own comparison
    base = baseline_of(exp, worst)
    shown = label[worst] if len(others) <= 1 else L("town_worst", name=label[worst])
    n_towns = int(towns["town"].max()) + 1
    ncol = int(np.ceil(np.sqrt(n_towns)))
    fig, axes = _grid(n_towns, width=1.9, height=1.45, ncol=ncol)
    for town, ax in enumerate(axes.ravel()[:n_towns]):
        for run, colour in ((base, BASE), (worst, ACCENT))[: 1 + (worst != base)]:
            s = mean.loc[(run, town)]
            ax.plot(pd.to_datetime(s.index), s.to_numpy(), color=colour, lw=1)
        ax.set_title(L.town(town, n_towns), fontsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=3, steps=ROUND, min_n_ticks=2))
        ax.yaxis.set_major_formatter(THOUSANDS)
        _years_axis(ax, L.lang)
    top = max(ax.get_ylim()[1] for ax in axes.ravel()[:n_towns])
    axes[0, 0].set_ylim(0, max(1.0, top))  # shared; households: no axis of hundredths
    handles = [plt.Line2D([], [], color=BASE, label=_wrap(label[base], 30))]
    if worst != base:  # wrapped: a mix's long name would widen the figure past its panels
        handles.append(plt.Line2D([], [], color=ACCENT, label=_wrap(shown, 30)))
    fig.legend(handles=handles, loc="outside right upper")
    fig.suptitle(L("town_title"))
    fig.supylabel(L("relapsed_axis"), fontsize=9)
    extra = " · " + L("synthetic_towns") if n_towns == len(TOWNS["en"]) else ""
    note(fig, src + extra)
    save(fig, stem)


def _sweep_what(L: Labels, run: dict) -> str:
    """What a sweep ran (``run``: the keys of the ``sweep_what`` label, ``pooled`` a list)."""
    pooled = L("pooled", keys=", ".join(run["pooled"])) if run["pooled"] else ""
    return L("sweep_what", **(run | {"pooled": pooled, "name": L.own(run["name"]),
                                     "runs": L.count("runs", run["runs"]),
                                     "seeds": L.count("seeds", run["seeds"])}))  # fmt: skip


def heatmap(table: pd.DataFrame, x: str, y: str, outcome: str, stem: Path, run: dict,
            lang: str = "en") -> list[Path]:  # fmt: skip
    """Mean of ``outcome`` over a grid of two swept parameters ``x`` and ``y``."""
    L = Labels(lang)
    what = _sweep_what(L, run)
    grid = table.pivot_table(index=y, columns=x, values=outcome, aggfunc="mean")
    values = grid.to_numpy()
    with plt.rc_context(L.style()):
        fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
        im = ax.imshow(values, origin="lower", aspect="auto", cmap="viridis")
        ax.grid(False)
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v)
                                             for v in grid.columns])  # fmt: skip
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v)
                                             for v in grid.index])  # fmt: skip
        span = np.nanmax(values) - np.nanmin(values)
        for (i, j), v in np.ndenumerate(values):
            shade = (v - np.nanmin(values)) / span if span > 0 else 0.0
            ax.text(j, i, f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}", ha="center",
                    va="center", fontsize=8, color="black" if shade > 0.6 else "white")  # fmt: skip
        ax.set(title=_wrap(L("heat_title", outcome=L.name(outcome)), 70), xlabel=L.name(x),
               ylabel=L.name(y))  # fmt: skip
        fig.colorbar(im, ax=ax, label=_wrap(L.name(outcome), 40),
                     format=THOUSANDS if span > 100 else None)  # fmt: skip
        note(fig, L("source", version=sim.__version__, what=what))
        return save(fig, stem)


def sweep_chart(table: pd.DataFrame, x: str, outcome: str, stem: Path, run: dict,
                by: str | None = None, lang: str = "en") -> list[Path]:  # fmt: skip
    """Mean of ``outcome`` against one swept parameter, with the range across seeds.

    With ``by`` (a second swept parameter), one line per value of it: nothing is pooled.
    """
    L = Labels(lang)
    what = _sweep_what(L, run)
    groups = [(None, table)] if by is None else list(table.groupby(by))
    values = sorted(table[x].unique(), key=lambda v: (isinstance(v, str), v))
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    where = {v: (v if numeric else i) for i, v in enumerate(values)}  # numbers at their value
    with plt.rc_context(L.style()):
        fig, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
        for k, (value, g) in enumerate(groups):
            s = g.groupby(x)[outcome]
            xs = [where[v] for v in s.mean().index]
            colour = PALETTE[k % len(PALETTE)]
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            name = L("mean") if by is None else f"{_wrap(L.name(by), 30)} = {shown}"
            ax.plot(xs, s.mean().to_numpy(), "o-", color=colour, label=name)
            ax.fill_between(xs, s.min().to_numpy(), s.max().to_numpy(), color=colour, alpha=0.15,
                            lw=0)  # fmt: skip
        if numeric:  # round ticks; the markers show the values swept
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=ROUND))
            ax.xaxis.set_major_formatter(THOUSANDS)
        else:
            ax.set_xticks(range(len(values)), [str(v) for v in values])
        ax.set_title(_wrap(L("sweep_title", outcome=L.name(outcome), x=L.name(x)), 70))
        ax.set_xlabel(_wrap(L.name(x), 60))
        ax.set_ylabel(_wrap(L.name(outcome), 40))
        ax.yaxis.set_major_formatter(THOUSANDS)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=ROUND))
        ax.legend(title=L("range"), loc="upper left", bbox_to_anchor=(1.0, 1.0))
        note(fig, L("source", version=sim.__version__, what=what))
        return save(fig, stem)


def fit_chart(tables: dict[str, pd.DataFrame], stem: Path, title: str) -> list[Path]:
    """Calibration: each target's band and the simulated values, as ratios to the target.

    ``tables`` are fit tables (:func:`sim.studies.calibration.fit_table`) by label, drawn in order;
    the points are the means across seeds, the whiskers their range. Targets that are only
    checked (not fitted) are marked "check".
    """
    first = next(iter(tables.values()))
    labels = [f"{r.label}, {r.year}" + ("" if r.fitted else " (check)")
              for r in first.itertuples()]  # fmt: skip
    y = np.arange(len(first))[::-1]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(10, 0.22 * len(first) + 1.6), layout="constrained")
        lo, hi = first["low"] / first["value"], first["high"] / first["value"]
        ax.barh(y, hi - lo, left=lo, height=0.7, color="0.88", label="target band", zorder=1)
        ax.axvline(1.0, color="0.5", lw=0.8, zorder=1)
        markers = ["o", "s", "D"]
        for k, (label, t) in enumerate(tables.items()):
            ratio = t["simulated"] / t["value"]
            err = [ratio - t["sim_min"] / t["value"], t["sim_max"] / t["value"] - ratio]
            ax.errorbar(
                ratio, y + (k - 1) * 0.22, xerr=err, fmt=markers[k % 3], ms=3.5, lw=0.8,
                color=PALETTE[k], mfc="white" if k == 0 else PALETTE[k], label=label, zorder=3,
            )  # fmt: skip
        ax.set_yticks(y, labels, fontsize=7)
        ax.set_xscale("log")
        ticks = [t for t in (0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4) if t]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.grid(False, axis="y")
        ax.set(title=title, xlabel="simulated / published figure (log scale)")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        note(fig, f"Source: relapse-sim {sim.__version__} · whiskers: range across seeds")
        return save(fig, stem)


def throughput_chart(rows: list[dict], stem: Path) -> list[Path]:
    """The engine's speed by district size (``experiments.benchmark``): one point a size."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(layout="constrained")
        ax.plot([r["households"] for r in rows],
                [r["household_months_per_s"] / 1e6 for r in rows], "o-", color=PALETTE[0])  # fmt: skip
        ax.set(xscale="log", title="Engine throughput by district size (one core)",
               xlabel="households (log scale)",
               ylabel="million household-months per second")  # fmt: skip
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=ROUND))
        ax.yaxis.set_major_formatter(THOUSANDS)
        note(fig, f"Source: relapse-sim {sim.__version__} · status quo · median of repeats")
        return save(fig, stem)


# -- sensitivity analysis and scenario discovery (sim.studies.sensitivity) ------------------------

SA_TEXT = by_lang("sensitivity")  # sim/reports/text.yaml


def _sa_source(plan, runs: pd.DataFrame, method: str, T: dict, L: Labels) -> str:
    first = runs.iloc[0]
    what = T["what"].format(
        method=L.option(method), runs=L.count("runs", len(runs)),
        points=L.count("points", runs["point"].nunique()),
        seeds=L.count("seeds", len(plan.pars.analysis.seeds)), uset=L.option(plan.uset.name),
        scale=plan.pars.scale,
        households=int(first["households"]), period=_period(runs),
    )  # fmt: skip
    return L("source", version=sim.__version__, what=what)


def sensitivity_chart(plan, table: pd.DataFrame, method: str, stem: Path, runs: pd.DataFrame,
                      lang: str = "en") -> list[Path]:  # fmt: skip
    """Ranked bars with 95% intervals, a panel per outcome (Morris mu*, or Sobol S1 and ST)."""
    L = Labels(lang)
    T = SA_TEXT[L.lang]
    outcomes = list(dict.fromkeys(table["outcome"]))

    def constant(o: str) -> bool:  # no factor moved it (e.g. no run with large-scale relapse)
        g = table[table["outcome"] == o]
        return not (g["mu_star"] > 0).any() if method == "morris" else g["ST"].isna().all()

    flat = [o for o in outcomes if constant(o)]
    if len(flat) < len(outcomes):  # a panel of zeros says nothing: the note names them
        outcomes = [o for o in outcomes if o not in flat]
    else:
        flat = []
    k = table["factor"].nunique()
    with plt.rc_context(L.style()):
        fig, axes = _grid(len(outcomes), width=4.6, height=0.22 * k + 1.2, sharey=False,
                          ncol=2, sharex=False)  # each outcome its own unit  # fmt: skip
        for ax, o in zip(axes.ravel(), outcomes, strict=False):
            g = table[table["outcome"] == o].sort_values("rank", ascending=False)
            y = np.arange(len(g))
            names = [plan.uset.label(f, L.lang) for f in g["factor"]]
            if method == "morris":
                unit = 1e6 if o == "spending" else 1.0  # yuan shown in millions
                mu = g["mu_star"] / unit
                # the bootstrap interval, cut at 0: mu* is a mean of absolute effects
                err = [mu - np.maximum(g["mu_star_lo"], 0) / unit, g["mu_star_hi"] / unit - mu]
                ax.barh(y, mu, xerr=err, color=BAND, alpha=0.8, capsize=2,
                        error_kw={"lw": 0.8})  # fmt: skip
                ax.plot(g["sigma"] / unit, y, "o", color=BASE, ms=3, label=T["sigma"])
                ax.set_xlabel(T["mu_star"], fontsize=8)
                if not (g["mu_star"] > 0).any():  # e.g. no run with large-scale relapse
                    ax.text(0.5, 0.5, T["constant"], transform=ax.transAxes, ha="center",
                            bbox={"facecolor": "white", "edgecolor": "none"})  # fmt: skip
            else:
                for col, dy, colour in (("ST", 0.2, BAND), ("S1", -0.2, ACCENT)):
                    v = g[col].fillna(0)
                    err = np.clip(
                        [v - g[f"{col}_lo"].fillna(0), g[f"{col}_hi"].fillna(0) - v], 0, None
                    )
                    ax.barh(y + dy, v, height=0.38, xerr=err, color=colour, capsize=2,
                            error_kw={"lw": 0.8}, label=T[col])  # fmt: skip
                ax.set_xlabel(T["index"], fontsize=8)
                if g["ST"].isna().all():
                    ax.text(0.5, 0.5, T["constant"], transform=ax.transAxes, ha="center")
            ax.set_yticks(y, names, fontsize=7)
            title = figure_label(o, L.lang, unit=o != "spending")
            if method == "morris" and o == "spending":  # drawn in millions
                title += f" ({T['million']})" if L.lang == "en" else f"（{T['million']}）"
            ax.set_title(title, loc="left", fontsize=9)
            ax.grid(False, axis="y")
            ax.tick_params(axis="x", labelsize=7)
        axes.ravel()[0].legend(loc="lower right", fontsize=7)  # the least influential corner
        fig.suptitle(T[method])
        names = ", ".join(figure_label(o, L.lang, unit=False) for o in flat)
        left_out = T["left_out"].format(names=names) + "\n" if flat else ""
        note(fig, left_out + _sa_source(plan, runs, method, T, L))
        return save(fig, stem)


def prim_chart(plan, traj: pd.DataFrame, limits: list[dict], result: dict, stem: Path,
               runs: pd.DataFrame, lang: str = "en") -> list[Path]:  # fmt: skip
    """PRIM: the peeling trajectory (coverage against density) and the chosen box's limits."""
    L = Labels(lang)
    T = SA_TEXT[L.lang]
    p = plan.pars.analysis.prim
    what = figure_label(p.outcome, L.lang, unit=False)
    if p.above is not None:
        what = above(p.outcome, p.above, L.lang)
    with plt.rc_context(L.style()):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6 + 0.25 * len(limits)),
                                     layout="constrained", width_ratios=[1, 1.2])  # fmt: skip
        sc = a1.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=14)
        a1.plot(traj["coverage"], traj["density"], color="0.6", lw=0.6, zorder=0)
        r = result["boxes"][0]  # the box reported (after dropping insignificant limits)
        text = T["chosen"].format(c=r["coverage"], d=r["density"]) + (
            T["dropped"] if r["dropped"] else ""
        )
        a1.plot(r["coverage"], r["density"], "o", mfc="none", mec=ACCENT, ms=11, mew=2,
                label=text)  # fmt: skip
        # peeling runs from high density to high coverage: the lower left corner stays free
        a1.legend(loc="lower left", fontsize=8)
        bar = fig.colorbar(sc, ax=a1, label=T["res_dim"], shrink=0.8)
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
        a1.set_xlabel(T["coverage"], fontsize=8)
        a1.set_ylabel(T["density"], fontsize=8)
        a1.set_title(T["traj"], loc="left", fontsize=10)
        y = np.arange(len(limits))[::-1]
        for yi, lim in zip(y, limits, strict=True):
            lo0, hi0 = plan.uset.factors[lim["factor"]].bounds()
            lo = lim["low"] if lim["low"] is not None else lo0
            hi = lim["high"] if lim["high"] is not None else hi0
            a, b = (lo - lo0) / (hi0 - lo0), (hi - lo0) / (hi0 - lo0)
            a2.barh(yi, 1, color="0.9", height=0.5)
            a2.barh(yi, b - a, left=a, color=ACCENT, height=0.5)
            for xv, v, side in ((a, lim["low"], "left"), (b, lim["high"], "right")):
                if v is not None:  # the limit, inside the bar at its edge
                    text = f"{v:.3g}x" if lim["change"] == "scale" else f"{v:.3g}"
                    a2.text(xv, yi, f" {text} ", ha=side, va="center", fontsize=8, color="white",
                            fontweight="bold")  # fmt: skip
        a2.set_yticks(y, [plan.uset.label(lim["factor"], L.lang) for lim in limits], fontsize=8)
        if not limits:  # the box is the whole sample: say so rather than leave the panel blank
            a2.text(0.5, 0.5, T["no_limits"], ha="center", va="center", fontsize=9,
                    transform=a2.transAxes)  # fmt: skip
        a2.set_xlim(0, 1)
        a2.set_xlabel(T["range_axis"], fontsize=8)
        a2.set_title(T["limits"], loc="left", fontsize=10)
        a2.grid(False, axis="y")
        fig.suptitle(T["prim_title"].format(what=what))
        note(fig, _sa_source(plan, runs, "PRIM", T, L))
        return save(fig, stem)


SEARCH_TEXT = by_lang("search")  # sim/reports/text.yaml


def pareto_chart(plan, table: pd.DataFrame, refs: pd.DataFrame, best, stem: Path,
                 lang: str = "en") -> list[Path]:  # fmt: skip
    """A search's trials: spending against relapse, feasible and not, the front, references."""
    L = Labels(lang)
    T = SEARCH_TEXT[L.lang]
    s = plan.pars.search
    labels = (s.labels or {}).get(L.lang, {})
    with plt.rc_context(L.style()):
        fig, ax = plt.subplots(figsize=(11, 5), layout="constrained")
        x, y = table["spending"] / 1e6, 100 * table["relapse_rate"]
        ok = table["feasible"].fillna(False).to_numpy(bool)
        cut = table["feasible"].isna().to_numpy()  # screened out as costlier: not judged
        if cut.any():
            ax.scatter(x[cut], y[cut], facecolors="none", edgecolors="0.5", s=14, lw=0.7,
                       label=T["screened"])  # fmt: skip
        bad = ~ok & ~cut
        if bad.any():
            ax.scatter(x[bad], y[bad], marker="x", color="0.55", s=16, lw=0.8,
                       label=T["infeasible"])  # fmt: skip
        ax.scatter(x[ok], y[ok], color=BAND, s=18, alpha=0.8, label=T["feasible"])
        front = table[table["pareto"]].sort_values("spending")
        if len(front):  # its trials and the steps between them: one entry in the legend
            ax.plot(front["spending"] / 1e6, 100 * front["relapse_rate"], "o-", ms=4,
                    drawstyle="steps-post", color=ACCENT, lw=1.2, label=T["front"])  # fmt: skip
        if best is not None:  # named in the legend: a label beside it would cover trials
            bx, by = best["spending"] / 1e6, 100 * best["relapse_rate"]
            ax.plot(bx, by, "o", mfc="none", mec=ACCENT, ms=13, mew=2,
                    label=T["best"].format(n=int(best["trial"])))  # fmt: skip
        texts = []
        for _, r in refs.iterrows():
            name = labels.get(r["reference"], r["reference"].replace("_", " "))
            texts.append(name if r["feasible"] else T["ref_bad"].format(name=name))
            ax.plot(r["spending"] / 1e6, 100 * r["relapse_rate"], "D", color=BASE, ms=6,
                    mfc=BASE if r["feasible"] else "white")  # fmt: skip
        ax.xaxis.set_major_formatter(THOUSANDS)
        if texts:  # after every point is drawn: the axes' limits are final
            _place_labels(ax, (refs["spending"] / 1e6).to_numpy(),
                          (100 * refs["relapse_rate"]).to_numpy(), texts, fontsize=8)  # fmt: skip
        ax.set_xlabel(T["spending"], fontsize=9)
        ax.set_ylabel(T["relapse"], fontsize=9)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the trials, not on them
        fig.suptitle(
            T["title"].format(title=s.title if L.lang == "en" else labels.get("title", s.title))
        )
        names = ", ".join(labels.get(k) or L.option(k) for k in s.shocks)
        cfg = next(iter(plan.bases.values()))
        last = pd.Period(cfg["start"], "M") + cfg["months"] - 1
        what = T["what"].format(trials=L.count("trials", len(table)),
                                seeds=L.count("seeds", len(s.seeds)),
                                shocks=L.count("shock_scenarios", len(s.shocks)),
                                names=names, risk=s.risk, period=f"{cfg['start']} – {last}")  # fmt: skip
        note(fig, L("source", version=sim.__version__, what=what))
        return save(fig, stem)


def convergence_chart(plan, conv: pd.DataFrame, refs: pd.DataFrame, verdict: dict, stem: Path,
                      lang: str = "en") -> list[Path]:  # fmt: skip
    """A search trial by trial: spending, the cheapest feasible so far, the front's hypervolume.

    The start-up trials are shaded; a dotted line marks where the stopping rule held.
    """
    L = Labels(lang)
    T = SEARCH_TEXT[L.lang]
    s = plan.pars.search
    labels = (s.labels or {}).get(L.lang, {})
    with plt.rc_context(L.style()):
        fig, (top, low) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True, height_ratios=[2, 1],
                                       layout="constrained")  # fmt: skip
        n, y = conv["trial"].to_numpy(), conv["spending"].to_numpy() / 1e6
        ok = conv["feasible"].fillna(False).to_numpy(bool)
        cut = (conv["screened"] != "").to_numpy()
        bad = ~ok & ~cut
        start = conv["asked"].isin(["start", "random"]).to_numpy()
        if start.any():  # the trials the sampler did not choose by its model
            for ax in (top, low):
                ax.axvspan(-0.5, n[start].max() + 0.5, color="0.93", lw=0, zorder=0)
        for mask, kw in ((cut, {"facecolors": "none", "edgecolors": "0.5", "s": 14, "lw": 0.7,
                                "label": T["screened"]}),
                         (bad, {"marker": "x", "color": "0.55", "s": 16, "lw": 0.8,
                                "label": T["infeasible"]}),
                         (ok, {"color": BAND, "s": 18, "label": T["feasible"]})):  # fmt: skip
            if mask.any():
                top.scatter(n[mask], y[mask], **kw)
        top.plot(n, conv["best_spending"] / 1e6, drawstyle="steps-post", color=ACCENT, lw=1.6,
                 label=T["best_so_far"])  # fmt: skip
        for _, r in refs.iterrows():
            if r["reference"] == "status_quo":
                top.axhline(r["spending"] / 1e6, color=BASE, ls="--", lw=1,
                            label=labels.get("status_quo", L.option("status_quo")))  # fmt: skip
        if start.any():
            top.text(0.0, 1.01, T["startup"].format(n=int(n[start].max())),
                     transform=top.get_xaxis_transform(), fontsize=8, color="0.35",
                     va="bottom")  # fmt: skip
        low.plot(n, 100 * conv["hypervolume_share"], drawstyle="steps-post", color=ACCENT, lw=1.4)
        low.set_ylim(0, 105)
        if verdict["at"] is not None:
            for ax in (top, low):
                ax.axvline(verdict["at"] - 1, color="black", lw=1, ls=":")
            top.text(verdict["at"] - 1, 1.01, T["stopped"].format(n=verdict["at"]),
                     transform=top.get_xaxis_transform(), fontsize=8, ha="left",
                     va="bottom")  # fmt: skip (the local trials follow, to its right)
        top.yaxis.set_major_formatter(THOUSANDS)
        top.set_ylabel(T["trial_spending"], fontsize=9)
        low.set_ylabel(T["hypervolume"], fontsize=9)
        low.set_xlabel(T["trial"], fontsize=9)
        low.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
        top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.suptitle(T["convergence_title"].format(
            title=s.title if L.lang == "en" else labels.get("title", s.title),
            verdict=T["converged"] if verdict["converged"] else T["not_converged"]))  # fmt: skip
        what = T["convergence_what"].format(trials=L.count("trials", len(conv)),
                                            seeds=L.count("seeds", len(s.seeds)),
                                            shocks=L.count("shock_scenarios", len(s.shocks)),
                                            patience=s.stop.patience, noise=s.stop.noise)  # fmt: skip
        note(fig, L("source", version=sim.__version__, what=what))
        return save(fig, stem)
