"""What a reader would check in a chart, as code (matplotlib's renderer gives text boxes).

:func:`problems` lists, for one drawn figure: texts that overlap other texts, internal names
or paths in any text, axes whose numeric ticks are not round or repeat a label, and legends
that leave out a labelled series. ``tests/conftest.py`` runs it on every chart a test saves.
"""

from __future__ import annotations

import math
import re

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

# Names a reader should never see: config and code names, hashes, temporary paths.
INTERNAL = re.compile(
    r"/tmp/|pytest|\b[0-9a-f]{10,}\b|\b[a-z]+(?:_[a-z0-9]+)+\b|\b[a-z]+\.[a-z_]+\.[a-z_.]+\b"
)
ROUND_STEPS = (1.0, 2.0, 2.5, 5.0)


def _texts(fig: Figure) -> list[Text]:
    """Every text a reader sees: visible, not empty, and (tick labels) inside the axes' view."""
    hidden = set()
    for ax in fig.axes:
        for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = sorted((lo, hi))
            pad = 1e-9 * (hi - lo)
            for tick in (*axis.get_major_ticks(), *axis.get_minor_ticks()):
                if not lo - pad <= tick.get_loc() <= hi + pad:
                    hidden.update({id(tick.label1), id(tick.label2)})
    return [t for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in hidden
            and (t.axes is None or t.axes.get_visible())]  # fmt: skip


def _round_step(step: float) -> bool:
    k = math.floor(math.log10(step))
    m = step / 10**k
    return any(math.isclose(m, s, rel_tol=1e-6) for s in ROUND_STEPS) or math.isclose(m, 10)


def _axis_problems(ax: Axes, name: str, where: str) -> list[str]:
    axis = ax.xaxis if name == "x" else ax.yaxis
    if axis.get_scale() != "linear" or isinstance(axis.get_major_formatter(), mdates.DateFormatter):
        return []
    if isinstance(axis.get_major_locator(), mdates.DateLocator | mdates.AutoDateLocator):
        return []
    lo, hi = sorted(ax.get_xlim() if name == "x" else ax.get_ylim())
    pad = 1e-9 * (hi - lo)
    ticks = sorted(t for t in axis.get_majorticklocs() if lo - pad <= t <= hi + pad)
    labels = [t.get_text() for t in axis.get_majorticklabels() if t.get_visible() and t.get_text()]
    out = []
    if len(labels) != len(set(labels)):
        out.append(f"{where}: {name} tick labels repeat: {labels}")
    if len(ticks) >= 2:
        steps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
        if max(steps) - min(steps) > 1e-6 * max(abs(s) for s in steps):
            out.append(f"{where}: {name} ticks unevenly spaced: {ticks}")
        elif not _round_step(steps[0]):
            out.append(f"{where}: {name} tick step {steps[0]:g} is not round")
    return out


def _legend_problems(ax: Axes, where: str) -> list[str]:
    legend = ax.get_legend()
    if legend is None:
        return []
    shown = {t.get_text() for t in legend.get_texts()}
    labelled = [a.get_label() for a in (*ax.lines, *ax.collections, *ax.patches)
                if isinstance(a, Line2D | Collection | Patch)
                and a.get_label() and not a.get_label().startswith("_")]  # fmt: skip
    missing = sorted(set(labelled) - shown)
    return [f"{where}: legend leaves out {missing}"] if missing else []


def problems(fig: Figure) -> list[str]:
    """What a reader would object to in ``fig`` (empty: nothing)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    out = []
    texts = _texts(fig)
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    for t, _ in boxes:
        if m := INTERNAL.search(t.get_text()):
            out.append(f"internal name {m[0]!r} in text {t.get_text()[:60]!r}")
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1 :]:
            w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if w > 1 and h > 1:
                out.append(f"texts overlap: {a.get_text()[:40]!r} and {b.get_text()[:40]!r}")
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.has_data():
            continue
        where = f"axes {i} ({ax.get_title()[:30] or ax.get_ylabel()[:30]})"
        out += _axis_problems(ax, "x", where) + _axis_problems(ax, "y", where)
        out += _legend_problems(ax, where)
    return out
