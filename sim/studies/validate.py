"""A history check: the shipped defaults over 2021-2025 against what is known of those years.

``python -m experiments.validate`` runs the status quo (the defaults, calibrated) on seeds the
calibration never used and sets every target of the calibration table beside its simulated
value, in two parts: the **checks** (``fit: false``: figures the fit did not see, some judged
with other settings, e.g. ``policy=none`` for withdrawn support) and the **fitted** targets on
the fresh seeds. It also lists each year's relapse share (district and worst town) beside the
large-scale thresholds, so that a reader sees the margin, not only the verdict.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.compose import compose
from sim.core.errors import ConfigError
from sim.core.io import write_csv, write_text
from sim.core.params import between, jobs, parse, pos
from sim.engine.schema import check, to_dict
from sim.studies.calibration import fit_table
from sim.studies.fit import Evaluator, calibration, markdown_table
from sim.studies.run import code_version

log = logging.getLogger(__name__)

COLUMNS = ["target", "year", "value", "low", "high", "unit", "simulated", "sim_min", "sim_max",
           "within", "settings"]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ValidateSettings:
    """The root of ``python -m experiments.validate`` (``scenarios/validate.yaml``)."""

    calibration: dict
    first_seed: int = between(0, 2**62)
    seeds: int = pos()
    base: list[str]
    n_jobs: int = jobs()
    output_root: str


def settings(cfg: dict) -> ValidateSettings:
    """The checked settings; the seeds must be ones the calibration never ran."""
    pars = parse(ValidateSettings, cfg, "")
    cal, table, _ = calibration(pars.calibration)
    used = max(cal.seeds, cal.validate_seeds)
    if pars.first_seed <= used:
        raise ConfigError(
            f"first_seed = {pars.first_seed}: the calibration ran seeds 1 to {used}; start "
            f"above {used} so that the check runs on seeds the fit never saw"
        )
    for t in {tuple(t.overrides) for t in table.values()}:
        check(compose([*pars.base, *t]))
    return pars


def validate(pars: ValidateSettings, out: Path) -> pd.DataFrame:
    """Run the checks and write ``validate.csv``, ``margins.csv`` and ``validate.md``."""
    cal, table, _ = calibration(pars.calibration)
    seeds = list(range(pars.first_seed, pars.first_seed + pars.seeds))
    evaluate = Evaluator(out / "runs", code_version(), pars.n_jobs)
    groups: dict[tuple[str, ...], dict] = {}
    for name, t in table.items():
        groups.setdefault(tuple(t.overrides), {})[name] = t
    cfgs = [to_dict(compose([*pars.base, *overrides])) for overrides in groups]
    frames, runs_of = [], {}
    for (overrides, sub), runs in zip(groups.items(), evaluate(cfgs, seeds), strict=True):
        runs_of[overrides] = runs  # every group's runs at once: the workers stay busy
        ft = fit_table(sub, runs)
        ft["settings"] = " ".join(overrides) or "defaults"
        frames.append(ft)
    result = pd.concat(frames, ignore_index=True)
    margins = margin_table(runs_of[()], compose(list(pars.base)))
    write_csv(result, out / "validate.csv")
    write_csv(margins, out / "margins.csv")
    write_text(report(cal.title, seeds, result, margins), out / "validate.md")
    checks, fitted = result[~result["fitted"]], result[result["fitted"]]
    log.info(
        "checks: %d of %d rows within their band; fitted targets: %d of %d; results in %s",
        checks["within"].sum(), len(checks), fitted["within"].sum(), len(fitted), out,
    )  # fmt: skip
    return result


def margin_table(runs: list[dict], cfg) -> pd.DataFrame:
    """Each year's relapse share (district, worst town) across seeds, beside the thresholds."""
    rule = cfg.outcomes.large_scale
    rows = []
    years = sorted(runs[0]["relapse_share"])
    for year in years:
        share = np.array([r["relapse_share"][year] for r in runs])
        town = np.array([r["relapse_share_worst_town"][year] for r in runs])
        judged = [r["large_scale"][year] for r in runs if np.isfinite(r["large_scale"][year])]
        rows.append({
            "year": year,
            "district_share_mean": share.mean(), "district_share_max": share.max(),
            "district_threshold": rule.district_rate,
            "worst_town_share_mean": town.mean(), "worst_town_share_max": town.max(),
            "town_threshold": rule.town_rate,
            "seeds_large_scale": int(sum(judged)) if judged else None,
            "seeds": len(runs),
        })  # fmt: skip
    return pd.DataFrame(rows)


def margin_markdown(margins: pd.DataFrame) -> str:
    """:func:`margin_table` as Markdown, shares in per cent."""

    def pct(v: float) -> str:
        return f"{100 * v:.2f}%"

    lines = ["| year | district: mean [max] | threshold | worst town: mean [max] | threshold "
             "| seeds with large-scale relapse |", "|---|---|---|---|---|---|"]  # fmt: skip
    for r in margins.itertuples():
        judged = (
            "not judged" if r.seeds_large_scale is None else f"{r.seeds_large_scale} of {r.seeds}"
        )
        lines.append(
            f"| {r.year} | {pct(r.district_share_mean)} [{pct(r.district_share_max)}] "
            f"| {pct(r.district_threshold)} | {pct(r.worst_town_share_mean)} "
            f"[{pct(r.worst_town_share_max)}] | {pct(r.town_threshold)} | {judged} |"
        )
    return "\n".join(lines)


def report(title: str, seeds: list[int], result: pd.DataFrame, margins: pd.DataFrame) -> str:
    """``validate.md``: checks, margins, then the fitted targets for reference."""

    def part(df: pd.DataFrame) -> str:
        first = df.drop_duplicates("target")
        notes = [f"- **{r.target}** ({r.source}){': ' + r.note if r.note else ''}"
                 for r in first.itertuples()]  # fmt: skip
        return markdown_table(df[COLUMNS]) + "\nSources and notes:\n\n" + "\n".join(notes)

    seed_text = f"seeds {seeds[0]}-{seeds[-1]}"
    lines = [
        f"# History check: {title}",
        "",
        f"The shipped defaults, 2021-2025, full district, {seed_text} (never used by the fit). "
        "`simulated` is the mean over seeds, `sim_min`/`sim_max` its range; `within`: the mean "
        "lies in the band.",
        "",
        "## Checks (not fitted)",
        "",
        part(result[~result["fitted"]]),
        "",
        "## Relapse share by year against the large-scale thresholds",
        "",
        "Share of poverty-alleviated households with a relapse event in the year: the district, "
        "and the town where it is highest (its threshold also needs 10 households).",
        "",
        margin_markdown(margins),
        "",
        "## Fitted targets on the fresh seeds (for reference; not a check)",
        "",
        part(result[result["fitted"]]),
        "",
    ]
    return "\n".join(lines)
