"""The code's shape: floors that import only downwards and in no circle, modules that import
alone, compiled loops with few positional arguments, levers found by their module's name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from sim.engine.policies import ACTING_ORDER, LEVERS

SIM = Path(__file__).resolve().parents[1] / "sim"
MODULES = sorted(
    ".".join(p.relative_to(SIM.parent).with_suffix("").parts).removesuffix(".__init__")
    for p in SIM.rglob("*.py")
)


# The package's floors, lowest first (docs/architecture.md): a module imports from its own
# floor or a lower one, never a higher one.
FLOORS = ("core", "engine", "config", "reports", "studies", "app")
# Imports inside functions that are there on purpose: importing the charts switches matplotlib
# to Agg and costs 0.7 s, paid only by a command that draws (the comment at each line says so).
LAZY = {"sim.reports.charts"}


def _imports():
    """(importer, imported module, line, where) of every ``sim`` import in ``sim/``."""
    for path in sorted(SIM.rglob("*.py")):
        name = ".".join(path.relative_to(SIM.parent).with_suffix("").parts).removesuffix(
            ".__init__"
        )
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
                found = [node.module]
            elif isinstance(node, ast.Import):
                found = [a.name for a in node.names if a.name.startswith("sim")]
            else:
                continue
            where, up = "top", node
            while up in parents:
                up = parents[up]
                if isinstance(up, ast.FunctionDef):
                    where = "function"
                    break
                if isinstance(up, ast.If) and "TYPE_CHECKING" in ast.unparse(up.test):
                    where = "typing"
                    break
            for module in found:
                yield name, module, node.lineno, where


def _floor(module: str) -> int:
    """A module's floor; the package itself (``sim``: its version, the two errors) is above all."""
    parts = module.split(".")
    if module == "sim":
        return len(FLOORS)
    return FLOORS.index(parts[1]) if len(parts) > 1 and parts[1] in FLOORS else -1


def test_every_module_lives_on_a_floor():
    assert [m for m in MODULES if _floor(m) < 0] == []


def test_imports_go_down_the_floors():
    up = [f"{a}:{line} imports {b}" for a, b, line, where in _imports()
          if b != "sim" and where != "typing" and _floor(b) > _floor(a)]  # fmt: skip
    assert up == []


def test_no_import_inside_a_function_but_the_lazy_charts():
    inner = [f"{a}:{line} imports {b}" for a, b, line, where in _imports()
             if where == "function" and b not in LAZY]  # fmt: skip
    assert inner == []
    lazy = [(a, line) for a, b, line, where in _imports() if where == "function"]
    assert lazy  # the scan sees them
    for a, line in lazy:  # each says why at the line
        path = SIM.parent / (a.replace(".", "/") + ".py")
        assert "lazy: matplotlib" in path.read_text().splitlines()[line - 1], f"{a}:{line}"


def test_no_import_circle():
    """Every import but the type checker's, at the top or in a function: a graph without cycles."""
    graph: dict[str, set[str]] = {}
    for a, b, _, where in _imports():
        if where != "typing" and b in MODULES and b != a:
            graph.setdefault(a, set()).add(b)
    state: dict[str, int] = {}  # 1: on the path, 2: done
    circles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                circles.append(" -> ".join([*path[path.index(n):], n]))
            elif n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in MODULES:
        if m not in state:
            visit(m, [m])
    assert len(graph) > 40 and circles == []


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
    """``LEVERS`` comes from ``sim/engine/policies/<name>.py``, in ``ACTING_ORDER``."""
    cls, pars = LEVERS[name]
    assert cls.__module__ == f"sim.engine.policies.{name}"
    assert cls.Pars is pars
    assert list(LEVERS) == list(ACTING_ORDER)


def test_every_reported_figure_is_in_the_metric_table():
    """Monthly series, summary figures and a runs row all take their names from one table."""
    from sim.config.compose import compose
    from sim.reports.metric_table import METRICS, find, label, lever_metrics
    from sim.studies.compare import summary_row
    from sim.studies.run import simulate

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


def test_every_text_has_both_languages_with_the_same_placeholders():
    """sim/reports/text.yaml: each entry English and Chinese, filled with the same values."""
    from string import Formatter

    from sim.reports.text import LANGS, catalogue

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in Formatter().parse(text) if f is not None}

    entries = [(f"{s}.{k}", e) for s, section in catalogue().items() if isinstance(section, dict)
               for k, e in section.items()]  # fmt: skip
    entries += [(f"towns.{i}", e) for i, e in enumerate(catalogue()["towns"])]
    assert len(entries) > 150  # the scan sees the catalogue (183 entries in 2026-12)
    bad = [key for key, e in entries if set(e) != set(LANGS) or not all(e.values())]
    assert bad == []
    differ = [key for key, e in entries if fields(e["en"]) != fields(e["zh"])]
    assert differ == []


def test_the_parameter_reference_is_current():
    """docs/parameters.md is made from the levers' classes and the status quo's file."""
    from sim.reports.parameters import PAGE, reference

    page = reference()
    assert "| `disabled_earnings_disregard` | float | 0 to 1 | 0.0 |" in page
    assert PAGE.read_text(encoding="utf-8") == page, "run python -m sim.reports.parameters"
