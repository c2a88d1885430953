"""What a reader would check in a chart, as code (matplotlib's renderer gives text boxes).

:func:`problems` lists, for one drawn figure: texts that overlap other texts or sit on lines
and markers, internal names or paths in any text, "1 seeds", math text, English words in a
Chinese chart, axes whose numeric ticks are not round or repeat a label or carry an offset
("1e6") instead of a unit, empty panels, and legends that leave out a labelled series.
``tests/conftest.py`` runs it on every chart a test saves.
"""

from __future__ import annotations

import math
import re

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import Collection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

# Names a reader should never see: config and code names, hashes, temporary paths.
INTERNAL = re.compile(
    r"/tmp/|pytest|\b[0-9a-f]{10,}\b|\b[a-z]+(?:_[a-z0-9]+)+\b|\b[a-z]+\.[a-z_]+\.[a-z_.]+\b"
)
ROUND_STEPS = (1.0, 2.0, 2.5, 5.0)
# "1 seeds", "1 shock scenarios": a count of one with a plural noun.
ONE_PLURAL = re.compile(
    r"(?<![\d.,])\b1 (?:[a-z-]+ )?(?:seeds|runs|scenarios|trials|households|towns|months|years"
    r"|points|futures|factors|workers)\b"
)
# Latin words a Chinese chart may keep: method and program names, variable symbols, units.
ZH_LATIN = {"relapse", "sim", "PRIM", "Morris", "Sobol", "TPE", "NSGA", "II", "mu", "sigma",
            "S1", "ST", "SVG", "PNG", "pp"}  # fmt: skip


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


def _points(ax: Axes) -> np.ndarray:
    """The display positions of every marker and every line's path in ``ax`` (lines sampled
    about every 2 pixels), where a text would hide data."""
    out = [np.empty((0, 2))]
    for c in ax.collections:
        if isinstance(c, PathCollection) and len(c.get_offsets()):
            out.append(c.get_offset_transform().transform(np.asarray(c.get_offsets(), float)))
    for line in ax.lines:
        if not line.get_visible():
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), float))
        xy = xy[np.isfinite(xy).all(axis=1)]
        if line.get_marker() not in ("", "None", None, " "):
            out.append(xy)
        if line.get_linestyle() not in ("None", "", " ") and len(xy) > 1:
            for a, b in zip(xy, xy[1:], strict=False):
                n = max(2, int(np.hypot(*(b - a)) / 2))
                out.append(a + np.linspace(0, 1, n)[:, None] * (b - a))
    return np.concatenate(out)


def _over_data(ax: Axes, renderer) -> list[str]:
    """Texts drawn inside ``ax`` (labels, annotations) that sit on its lines or markers."""
    points = _points(ax)
    out = []
    for t in ax.texts:
        if not t.get_visible() or not t.get_text().strip() or t.get_bbox_patch() is not None:
            continue  # a text on its own box is drawn over the data on purpose
        box = Text.get_window_extent(t, renderer).padded(-1)  # the text, not its arrow
        inside = ((points[:, 0] > box.x0) & (points[:, 0] < box.x1)
                  & (points[:, 1] > box.y0) & (points[:, 1] < box.y1))  # fmt: skip
        if inside.any():
            out.append(f"text over the data: {t.get_text()[:40]!r}")
    legend = ax.get_legend()
    if legend is not None and legend.get_visible():
        box = legend.get_window_extent(renderer).padded(-1)
        inside = ((points[:, 0] > box.x0) & (points[:, 0] < box.x1)
                  & (points[:, 1] > box.y0) & (points[:, 1] < box.y1))  # fmt: skip
        if inside.any():
            out.append(f"the legend covers data ({int(inside.sum())} points of lines or markers)")
    return out


def problems(fig: Figure, lang: str = "en") -> list[str]:
    """What a reader would object to in ``fig`` (empty: nothing); ``lang`` the chart's."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    out = []
    texts = _texts(fig)
    boxes = [(t, Text.get_window_extent(t, renderer)) for t in texts]  # text, not arrow
    for t, _ in boxes:
        text = t.get_text()
        if m := INTERNAL.search(text):
            out.append(f"internal name {m[0]!r} in text {text[:60]!r}")
        if m := ONE_PLURAL.search(text):
            out.append(f"one with a plural: {m[0]!r} in {text[:60]!r}")
        if "$" in text or "\\mathdefault" in text:
            out.append(f"math text (another font) in {text[:60]!r}")
        if lang == "zh":
            own = re.sub(r"「[^」]*」", "", text)  # a name one chose, marked, stays as written
            latin = sorted(set(re.findall(r"[A-Za-z][A-Za-z0-9]+", own)) - ZH_LATIN)
            if latin:
                out.append(f"English in a Chinese chart: {latin} in {text[:60]!r}")
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1 :]:
            w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if w > 1 and h > 1:
                out.append(f"texts overlap: {a.get_text()[:40]!r} and {b.get_text()[:40]!r}")
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        where = f"axes {i} ({ax.get_title()[:30] or ax.get_ylabel()[:30]})"
        if not ax.has_data():
            if ax.axison and not ax.texts and not hasattr(ax, "_colorbar"):
                out.append(f"{where}: an empty panel, without a word why")
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_visible() and (offset := axis.get_offset_text().get_text()):
                out.append(f"{where}: tick labels scaled by {offset!r}, not a unit in words")
        out += _over_data(ax, renderer)
        out += _axis_problems(ax, "x", where) + _axis_problems(ax, "y", where)
        out += _legend_problems(ax, where)
    return out
