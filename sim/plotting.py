"""Charts in one house style (matplotlib, Agg backend): PNG for screens, SVG for print."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

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
}
COLOURS = {"n_relapsed": "#c0392b", "n_at_risk": "#e69f00", "n_newly_poor": "#0072b2"}


def save(fig: plt.Figure, stem: Path) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` (atomically) and close it."""
    out = []
    for ext in ("png", "svg"):
        write = lambda p, e=ext: fig.savefig(p, format=e, bbox_inches="tight")  # noqa: E731
        out.append(atomic_write(stem.with_suffix(f".{ext}"), write))
    plt.close(fig)
    return out


def run_chart(monthly: pd.DataFrame, stem: Path, note: str) -> list[Path]:
    """Relapsed, newly poor and at-risk households by month, for one run."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots()
        x = pd.to_datetime(monthly["month"])
        labels = {
            "n_relapsed": "relapsed (poverty-alleviated below the poverty line)",
            "n_newly_poor": "newly poor (other households below the poverty line)",
            "n_at_risk": "at risk (below the monitoring line)",
        }
        for key, label in labels.items():
            ax.plot(x, monthly[key], label=label, color=COLOURS[key], lw=1.8)
        ax.set_title("Households in or near poverty, by month")
        ax.set_xlabel("month")
        ax.set_ylabel("households (count)")
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, fontsize=8)
        ax.annotate(note, (0, -0.42), xycoords="axes fraction", fontsize=7, color="0.4")
        return save(fig, stem)
