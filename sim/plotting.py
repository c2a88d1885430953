"""Charts in one house style (matplotlib, Agg): PNG for screens, SVG for print.

Every chart has a title, axes with units, a legend and a source note (version, scenario,
seeds). A scenario keeps its colour across all charts. Labels are English by default; with
``lang="zh"`` they are Chinese when a CJK font is installed (e.g. Debian's fonts-noto-cjk),
else a warning is given and English is used.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from matplotlib import font_manager  # noqa: E402

import sim  # noqa: E402
from sim.io import atomic_write  # noqa: E402

STYLE = {
    "figure.figsize": (8, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.size": 10,
    "axes.titlesize": 12,
    "legend.frameon": False,
    "svg.fonttype": "none",
}
# Okabe-Ito, colour-blind safe; the named mixes keep their colour everywhere.
# Okabe-Ito, then Paul Tol's muted colours: 18, so 15 scenarios besides FIXED differ.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#000000", "#999999", "#882255", "#44AA99", "#117733", "#332288", "#AA4499",
           "#DDCC77", "#88CCEE", "#661100", "#6699CC"]  # fmt: skip
FIXED = {"status_quo": "#0072B2", "none": "#D55E00", "plan_2025": "#009E73"}
SERIES = {"n_relapsed": "#c0392b", "n_at_risk": "#e69f00", "n_newly_poor": "#0072b2"}
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei"]  # fmt: skip

LABELS = {
    "en": {
        "month": "month",
        "households": "households (count)",
        "run_title": "Households in or near poverty, by month",
        "n_relapsed": "relapsed (poverty-alleviated below the poverty line)",
        "n_newly_poor": "newly poor (other households below the poverty line)",
        "n_at_risk": "at risk (below the monitoring line)",
        "traj_title": "Relapsed households by month (mean and {band}% band across seeds)",
        "relapsed_axis": "relapsed households (count)",
        "cmp_title": "Relapse and cost by scenario",
        "relapsed_ever": "households that relapsed, 5 years (count)",
        "spending": "lever spending, 5 years (million yuan)",
        "ce_title": "Cost-effectiveness against {baseline}",
        "averted": "relapses averted vs baseline (households)",
        "extra_cost": "extra spending vs baseline (million yuan)",
        "cause_title": "Relapse events by cause (mean across seeds)",
        "events": "relapse events (count)",
        "town_title": "Relapsed households by town (mean across seeds)",
        "heat_title": "{outcome} over a two-parameter sweep (mean across seeds)",
        "source": "Source: relapse-sim {version} · {what} · {seeds}",
    },
    "zh": {
        "month": "月份",
        "households": "户数",
        "run_title": "贫困及临界户数（按月）",
        "n_relapsed": "返贫户（脱贫户低于贫困线）",
        "n_newly_poor": "新致贫户（其他农户低于贫困线）",
        "n_at_risk": "风险户（低于监测线）",
        "traj_title": "返贫户数（按月，均值及{band}%区间）",
        "relapsed_axis": "返贫户数",
        "cmp_title": "各情景返贫与成本",
        "relapsed_ever": "五年内返贫户数",
        "spending": "五年政策支出（百万元）",
        "ce_title": "相对于{baseline}的成本效果",
        "averted": "避免返贫户数",
        "extra_cost": "新增支出（百万元）",
        "cause_title": "返贫原因（各种子均值）",
        "events": "返贫次数",
        "town_title": "各乡镇返贫户数（各种子均值）",
        "heat_title": "{outcome}：双参数扫描（各种子均值）",
        "source": "来源：relapse-sim {version} · {what} · {seeds}",
    },
}


def cjk_font() -> str | None:
    """Name of an installed CJK font, or None."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FONTS if f in names), None)


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

    def style(self) -> dict:
        """RcParams for this language."""
        extra = {"font.family": "sans-serif", "font.sans-serif": [self.font]} if self.font else {}
        return STYLE | extra


def colours(names: list[str]) -> dict[str, str]:
    """A stable colour per scenario: fixed for the named mixes, else by position in the list.

    Example:
        >>> colours(["none", "a", "status_quo", "b"])
        {'none': '#D55E00', 'a': '#CC79A7', 'status_quo': '#0072B2', 'b': '#E69F00'}
    """
    free = itertools.cycle([c for c in PALETTE if c not in FIXED.values()])
    return {name: FIXED.get(name) or next(free) for name in names}


def save(fig: plt.Figure, stem: Path) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` (atomically) and close it."""
    out = []
    for ext in ("png", "svg"):
        write = lambda p, e=ext: fig.savefig(p, format=e, bbox_inches="tight")  # noqa: E731
        out.append(atomic_write(stem.with_suffix(f".{ext}"), write))
    plt.close(fig)
    return out


def note(fig: plt.Figure, text: str) -> None:
    """The source note, bottom left under the axes."""
    fig.text(0.01, -0.02, text, fontsize=7, color="0.4", ha="left", va="top")


def run_chart(monthly: pd.DataFrame, stem: Path, what: str, lang: str = "en") -> list[Path]:
    """Relapsed, newly poor and at-risk households by month, for one run."""
    L = Labels(lang)
    with plt.rc_context(L.style()):
        fig, ax = plt.subplots()
        x = pd.to_datetime(monthly["month"])
        for key, colour in SERIES.items():
            ax.plot(x, monthly[key], label=L(key), color=colour, lw=1.8)
        ax.set(title=L("run_title"), xlabel=L("month"), ylabel=L("households"))
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8)
        ax.annotate(
            L("source", version=sim.__version__, what=what, seeds="1 run"),
            (0, -0.45), xycoords="axes fraction", fontsize=7, color="0.4",
        )  # fmt: skip
        return save(fig, stem)


def comparison_charts(exp, out: Path, runs: pd.DataFrame, table: pd.DataFrame, lang: str = "en"):
    """Every chart of a comparison, into ``out/charts``."""
    L = Labels(lang)
    names = list(table["scenario"])
    col = colours(names)
    what = f"experiment {exp.name}, baseline {exp.baseline}"
    seeds = f"{len(exp.seeds)} seeds per scenario"
    src = L("source", version=sim.__version__, what=what, seeds=seeds)
    charts = out / "charts"
    band = int(round(100 * exp.band))
    lo, hi = (1 - exp.band) / 2, 1 - (1 - exp.band) / 2
    with plt.rc_context(L.style()):
        # 1. trajectories with bands
        monthly = pq.read_table(
            out / "monthly.parquet", columns=["scenario", "seed", "month", "n_relapsed"]
        ).to_pandas()
        fig, ax = plt.subplots()
        for name, g in monthly.groupby("scenario", sort=False):
            q = g.groupby("month")["n_relapsed"]
            x = pd.to_datetime(q.mean().index)
            ax.plot(x, q.mean(), color=col[name], label=name, lw=1.6)
            ax.fill_between(x, q.quantile(lo), q.quantile(hi), color=col[name], alpha=0.15, lw=0)
        ax.set(title=L("traj_title", band=band), xlabel=L("month"), ylabel=L("relapsed_axis"))
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        note(fig, src)
        save(fig, charts / "trajectories")

        # 2. relapse and cost side by side
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 0.35 * len(names) + 2), sharey=True)
        y = np.arange(len(names))[::-1]
        err = [
            table["relapsed_mean"] - table["relapsed_lo"],
            table["relapsed_hi"] - table["relapsed_mean"],
        ]
        a1.barh(y, table["relapsed_mean"], xerr=err, color=[col[n] for n in names], capsize=2)
        a1.set(yticks=y, yticklabels=names, xlabel=L("relapsed_ever"))
        a2.barh(y, table["spending_mean"] / 1e6, color=[col[n] for n in names])
        a2.set(xlabel=L("spending"))
        fig.suptitle(L("cmp_title"))
        note(fig, src)
        save(fig, charts / "comparison")

        # 3. cost-effectiveness plane
        base = runs[runs["scenario"] == exp.baseline].set_index("seed")
        fig, ax = plt.subplots(figsize=(7, 5))
        for name, g in runs.groupby("scenario", sort=False):
            g = g.set_index("seed").loc[base.index]
            averted = base["relapsed"] - g["relapsed"]
            cost = (g["spending"] - base["spending"]) / 1e6
            ax.errorbar(
                averted.mean(), cost.mean(),
                xerr=[[averted.mean() - averted.quantile(lo)], [averted.quantile(hi) - averted.mean()]],
                yerr=[[cost.mean() - cost.quantile(lo)], [cost.quantile(hi) - cost.mean()]],
                fmt="o", color=col[name], label=name, capsize=2,
            )  # fmt: skip
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set(
            title=L("ce_title", baseline=exp.baseline), xlabel=L("averted"), ylabel=L("extra_cost")
        )
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        note(fig, src)
        save(fig, charts / "cost_effectiveness")

        # 4. relapse by cause
        causes = [c for c in runs.columns if c.startswith("cause_")]
        means = runs.groupby("scenario", sort=False)[causes].mean().loc[names]
        means = means.loc[:, means.sum() > 0]
        fig, ax = plt.subplots(figsize=(10, 0.35 * len(names) + 2))
        left = np.zeros(len(names))
        cmap = plt.get_cmap("tab10")
        for i, c in enumerate(means.columns):
            ax.barh(y, means[c], left=left, color=cmap(i % 10), label=c.removeprefix("cause_"))
            left += means[c].to_numpy()
        ax.set(yticks=y, yticklabels=names, title=L("cause_title"), xlabel=L("events"))
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        note(fig, src)
        save(fig, charts / "causes")

        # 5. small multiples by town
        towns = pq.read_table(
            out / "towns.parquet", columns=["scenario", "month", "town", "n_relapsed"]
        ).to_pandas()
        mean = towns.groupby(["scenario", "town", "month"])["n_relapsed"].mean()
        n_towns = int(towns["town"].max()) + 1
        ncol = int(np.ceil(np.sqrt(n_towns)))
        nrow = int(np.ceil(n_towns / ncol))
        fig, axes = plt.subplots(
            nrow, ncol, figsize=(2.2 * ncol, 1.7 * nrow), sharex=True, sharey=True,
            gridspec_kw={"hspace": 0.5},
        )  # fmt: skip
        for town, ax in enumerate(np.ravel(axes)):
            if town >= n_towns:
                ax.set_visible(False)
                continue
            for name in names:
                s = mean.loc[(name, town)]
                ax.plot(pd.to_datetime(s.index), s.to_numpy(), color=col[name], lw=1)
            ax.set_title(f"town {town}", fontsize=8)
            ax.tick_params(labelsize=6)
        fig.suptitle(L("town_title"), y=1.06)
        fig.supylabel(L("relapsed_axis"), fontsize=9)
        handles = [plt.Line2D([], [], color=col[n], label=n) for n in names]
        fig.legend(
            handles=handles,
            fontsize=7,
            loc="lower center",
            ncol=min(len(names), 4),
            bbox_to_anchor=(0.5, 0.99),
        )
        note(fig, src)
        save(fig, charts / "towns")


def heatmap(table: pd.DataFrame, x: str, y: str, outcome: str, stem: Path, what: str,
            seeds: str, lang: str = "en") -> list[Path]:  # fmt: skip
    """Mean of ``outcome`` over a grid of two swept parameters ``x`` and ``y``."""
    L = Labels(lang)
    grid = table.pivot_table(index=y, columns=x, values=outcome, aggfunc="mean")
    with plt.rc_context(L.style()):
        fig, ax = plt.subplots(figsize=(7, 5))
        im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
        ax.grid(False)
        ax.set_xticks(range(grid.shape[1]), [str(v) for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [str(v) for v in grid.index])
        for (i, j), v in np.ndenumerate(grid.to_numpy()):
            ax.text(j, i, f"{v:,.0f}", ha="center", va="center", fontsize=8, color="w")
        ax.set(title=L("heat_title", outcome=outcome), xlabel=x, ylabel=y)
        fig.colorbar(im, ax=ax, label=outcome)
        note(fig, L("source", version=sim.__version__, what=what, seeds=seeds))
        return save(fig, stem)


def sweep_chart(table: pd.DataFrame, x: str, outcome: str, stem: Path, what: str, seeds: str,
                lang: str = "en") -> list[Path]:  # fmt: skip
    """Mean of ``outcome`` against one swept parameter, with the range across seeds."""
    L = Labels(lang)
    g = table.groupby(x)[outcome]
    with plt.rc_context(L.style()):
        fig, ax = plt.subplots()
        xs = [str(v) for v in g.mean().index]
        ax.plot(xs, g.mean().to_numpy(), "o-", color=PALETTE[0], label="mean")
        ax.fill_between(
            xs, g.min().to_numpy(), g.max().to_numpy(), color=PALETTE[0], alpha=0.15, label="range"
        )
        ax.set(title=f"{outcome} by {x}", xlabel=x, ylabel=outcome)
        ax.legend()
        note(fig, L("source", version=sim.__version__, what=what, seeds=seeds))
        return save(fig, stem)


def fit_chart(tables: dict[str, pd.DataFrame], stem: Path, title: str) -> list[Path]:
    """Calibration: each target's band and the simulated values, as ratios to the target.

    ``tables`` are fit tables (:func:`sim.calibration.fit_table`) by label, drawn in order;
    the points are the means across seeds, the whiskers their range. Targets that are only
    checked (not fitted) are marked "check".
    """
    first = next(iter(tables.values()))
    labels = [f"{r.target} {r.year}" + ("" if r.fitted else " (check)") for r in first.itertuples()]
    y = np.arange(len(first))[::-1]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 0.22 * len(first) + 1.6))
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
        ax.grid(False, axis="y")
        ax.set(title=title, xlabel="simulated / published figure (log scale)")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        note(fig, f"Source: relapse-sim {sim.__version__} · whiskers: range across seeds")
        return save(fig, stem)
