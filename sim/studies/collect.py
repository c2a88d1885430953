"""Gather a finished or partial sweep (a Hydra multirun folder) into one table and charts.

A run counts when its folder holds ``summary.json`` (written last); the swept values come from
the run's ``.hydra/overrides.yaml``. Folders without a summary are reported as incomplete.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import yaml

from sim.core.errors import DataError
from sim.core.io import write_csv, write_parquet
from sim.studies.compare import summary_row
from sim.studies.runner import progress

log = logging.getLogger(__name__)


TEXT_FIGURES = ("first_month", "last_month")  # the summary's figures that are not numbers
# The summary's mappings of numbers that sim.studies.compare.summary_row sums or spreads into a row.
NESTED_FIGURES = ("spending_by_lever_yuan", "relapse_events_by_cause")


def _leaves(node: dict, path: str = ""):
    """(dotted key, value) of every value of nested mappings that is not itself a mapping."""
    for k, v in node.items():
        key = f"{path}.{k}" if path else str(k)
        if isinstance(v, dict):
            yield from _leaves(v, key)
        else:
            yield key, v


def _value(text: str):
    """A swept value as a number when it is one."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _read(path: Path, parse, kind: type):
    """A run's file parsed, or a DataError naming it (a damaged file stops the collection)."""
    try:
        data = parse(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise DataError(
            f"{path}: cannot be read ({reason}); delete that run folder and run the sweep "
            "again to redo it"
        ) from None
    if data is not None and not isinstance(data, kind):
        what = {dict: "a mapping", list: "a list"}[kind]
        raise DataError(
            f"{path}: holds {type(data).__name__} where {what} belongs; delete that run folder "
            "and run the sweep again to redo it"
        )
    return data


def gather(folder: Path) -> tuple[pd.DataFrame, list[Path]]:
    """One row per complete run (swept values + headline figures); the incomplete folders."""
    rows, incomplete = [], []
    found = sorted(folder.glob("**/.hydra/overrides.yaml"))
    for over in progress(found, len(found), f"collect {folder.name}"):
        run = over.parent.parent
        if not (run / "summary.json").exists():
            incomplete.append(run)
            continue
        swept = {}
        for item in _read(over, yaml.safe_load, list) or []:
            key, _, value = str(item).lstrip("+~").partition("=")
            if key not in ("chart", "sweep_name", "output_root"):
                swept[key] = _value(value)
        summary = _read(run / "summary.json", json.loads, dict)
        try:
            row = summary_row(summary)
        except KeyError as exc:
            raise DataError(
                f"{run / 'summary.json'}: no {exc.args[0]!r}; a summary of another version? "
                "Delete that run folder and run the sweep again to redo it"
            ) from None
        except (TypeError, AttributeError):  # a text among the figures by lever or by cause
            row = {}
        for key, value in _leaves({**row, **{k: summary.get(k) for k in NESTED_FIGURES}}):
            if key not in TEXT_FIGURES and not isinstance(value, int | float | None):
                raise DataError(
                    f"{run / 'summary.json'}: {key} = {str(value)[:40]!r} where a number "
                    "belongs; delete that run folder and run the sweep again to redo it"
                )
        rows.append({"run": str(run.relative_to(folder))} | swept | row)
    return pd.DataFrame(rows), incomplete


def collect(folder: str | Path, outcome: str = "relapsed", lang: str = "en") -> pd.DataFrame:
    """Write ``collected.csv``/``.parquet`` and the charts into ``folder``; return the table."""
    from sim.reports.charts import heatmap, sweep_chart  # lazy: matplotlib (Agg), 0.7 s

    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            f"{folder}: no such folder; give a multirun folder, e.g. outputs/sweeps/sweep"
        )
    table, incomplete = gather(folder)
    if table.empty:
        raise DataError(f"{folder}: no finished run (no */summary.json with .hydra/overrides.yaml)")
    start = table.columns.get_loc("households")
    outcomes = [c for c in table.columns[start:] if c not in ("scale", *TEXT_FIGURES)]
    if outcome not in outcomes:
        what = "is not an outcome" if outcome in table else "is not a column"
        raise DataError(f"outcome {outcome!r} {what}; use one of {', '.join(outcomes)}")
    if table[outcome].isna().all():  # large_scale on a scaled district (sim.studies.run)
        raise DataError(
            f"outcome {outcome!r} is not judged in these runs (scale {table['scale'].iloc[0]:g}): "
            "large-scale relapse is judged on the whole district only (population.scale=1)"
        )
    for name in ("collected.parquet", "collected.csv", "charts"):
        path = folder / name
        if path.exists() and path.is_dir() != (name == "charts"):
            kind = "a folder" if path.is_dir() else "a file"
            raise DataError(f"{path}: is {kind}, where collect writes its {name}; move it away")
    write_parquet(table, folder / "collected.parquet")
    write_csv(table, folder / "collected.csv")
    params = [c for c in table.columns[1 : table.columns.get_loc("households")] if c != "seed"]
    varying = [p for p in params if table[p].nunique() > 1]
    n_seeds = table["seed"].nunique() if "seed" in table else 1
    first = table.iloc[0]
    run = {"name": folder.name, "runs": len(table), "scale": first["scale"],
           "households": first["households"], "seeds": n_seeds, "pooled": varying[2:],
           "period": f"{first['first_month']} – {first['last_month']}"}  # fmt: skip
    suffix = f"{outcome}" + ("" if lang == "en" else f"_{lang}")
    charts = folder / "charts"
    if len(varying) >= 2:
        x, y = varying[:2]
        heatmap(table, x, y, outcome, charts / f"heatmap_{suffix}", run, lang=lang)
    if varying:
        by = varying[1] if len(varying) >= 2 else None
        sweep_chart(table, varying[0], outcome, charts / f"sweep_{suffix}", run, by, lang=lang)
    log.info(
        "%d runs collected, %d incomplete; swept: %s", len(table), len(incomplete),
        ", ".join(varying) or "nothing",
    )  # fmt: skip
    return table
