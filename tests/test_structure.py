"""The code's shape that issue 16 asks for: modules import alone, compiled loops take few
positional arguments, levers are found by their module's name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from sim.policies import LEVERS

SIM = Path(__file__).resolve().parents[1] / "sim"
MODULES = sorted(
    ".".join(p.relative_to(SIM.parent).with_suffix("").parts).removesuffix(".__init__")
    for p in SIM.rglob("*.py")
)


def test_every_module_imports_on_its_own():
    """Each module imported first, in a fresh set of ``sim`` modules (an import cycle fails)."""
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'sim' or m.startswith('sim.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        print(f'{name}: {type(exc).__name__}: {exc}')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "", out.stdout


def _compiled_functions():
    for path in sorted(SIM.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id in ("jit", "jit_inline")
                for d in node.decorator_list
            ):
                yield f"{path.relative_to(SIM.parent)}:{node.name}", len(node.args.args)


def test_compiled_functions_take_at_most_12_positional_arguments():
    found = dict(_compiled_functions())
    assert len(found) > 30  # the scan sees the compiled loops
    assert {name: n for name, n in found.items() if n > 12} == {}


@pytest.mark.parametrize("name", LEVERS)
def test_a_lever_is_its_module(name):
    """``LEVERS`` comes from ``sim/policies/<name>.py``, in the levers' ``order``."""
    cls, pars = LEVERS[name]
    assert cls.__module__ == f"sim.policies.{name}"
    assert cls.Pars is pars
    orders = [c.order for c, _ in LEVERS.values()]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)


def test_every_reported_figure_is_in_the_metric_table():
    """Monthly series, summary figures and a runs row all take their names from one table."""
    from sim.compare import summary_row
    from sim.config import compose
    from sim.metric_table import METRICS, find, label, lever_metrics
    from sim.run import simulate

    res = simulate(compose(["population.scale=0.01", "months=2"]))
    missing = [c for c in res.monthly.columns if find(c) is None]
    figures = {"seed", "scale", "months", "first_month", "last_month", "fgt_final",
               "relapse_events_by_cause", "large_scale_events", "spending_by_lever_yuan",
               "recipients_by_lever", "seconds", "relapse_share_by_year",
               "worst_town_by_year"}  # fmt: skip
    missing += [k for k in res.summary if k not in figures and find(k) is None]
    missing += [k for k in summary_row(res.summary) if find(k) is None and k not in figures]
    assert missing == []
    for lever in res.model.levers:  # a lever reports the figures it declares, in order
        assert list(lever.report()) == list(lever.figures), lever.name
    for metric in [*METRICS.values(), *lever_metrics().values()]:  # both languages
        assert metric.en and metric.zh and metric.unit is not None
    assert label("cause_illness", "en") == "relapse events caused by illness"
    assert label("spend_dibao", "zh") == "dibao支出（元）"
