"""Scenario discovery: ``python -m experiments.discover analysis=<name> [uncertainty=<set>]``.

A Latin hypercube of futures over every factor of the uncertainty set under the analysis's
policy mix, then PRIM (ema-workbench) for the futures where the outcome of interest
(``analysis.prim``, large-scale relapse by default) happens: the box with its coverage and
density, its limits in words, the peeling trajectory. Results in
``outputs/analysis/<name>/scale_<scale>/prim/``; the same command resumes after a kill.
"""

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig

from sim.config.compose import plain
from sim.core.jit import compiled_before
from sim.studies import cli
from sim.studies.sensitivity import run_methods, settings, summary_lines


def check_job(cfg: DictConfig, methods: list[str] | None = None) -> None:
    """The settings, the analysis, its base config and every factor's range."""
    settings(plain(cfg), methods)


def check_prim(cfg: DictConfig) -> None:
    """:func:`check_job` for this command's one method."""
    check_job(cfg, ["prim"])


def analysis_task(cfg: DictConfig, methods: list[str] | None, log: logging.Logger) -> None:
    """Run the analysis's methods (``methods`` replaces the config's) and log the findings."""
    for name in ("MESA", "EMA"):  # their progress lines
        logging.getLogger(name).setLevel(logging.WARNING)
    with cli.one_line_errors():
        plan = settings(plain(cfg), methods)
        p = plan.pars
        out = Path(p.output_root) / "analysis" / p.analysis.name / f"scale_{p.scale}"
        if "large_scale" in p.analysis.outcomes and "large_scale" not in plan.outcomes:
            log.info("note: large_scale is left out at scale %g: the rule is judged on the "
                     "whole district only (scale=1)", p.scale)  # fmt: skip
        if not compiled_before():
            log.info("first run: compiling the model's loops once (10-50 s a worker)")
        done = run_methods(plan, out)
    if p.parts > 1:
        log.info("part %d of %d done; run again with parts=1 for the tables", p.part, p.parts)
        return
    for line in summary_lines(done, plan):
        log.info("%s", line)
    log.info("results: %s", out)


@hydra.main(config_path="../scenarios", config_name="sensitivity", version_base="1.3")
def task(cfg: DictConfig) -> None:
    analysis_task(cfg, ["prim"], logging.getLogger("experiments.discover"))


def main(argv: list[str] | None = None) -> None:
    cli.main(task, "sensitivity", check_prim, (), argv, "experiments.discover")


if __name__ == "__main__":
    main()
