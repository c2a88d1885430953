"""The least-cost mix: ``python -m experiments.optimize search=<name> [search.trials=40]``.

An Optuna search (:mod:`sim.studies.search`) over the levers of ``scenarios/search/<name>.yaml``:
spending and relapse minimised, P(large-scale relapse) held at zero in every shock scenario.
Results in ``outputs/search/<name>/`` (the study's journal, every run, ``trials.csv``,
``front.csv``, ``search.md``, the Pareto chart, the out-of-sample check in ``check/``); the
chosen mix in ``scenarios/policy/<name>_best.yaml``. The same command resumes a stopped search.
"""

import logging
import shlex
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.config.compose import plain
from sim.core.jit import compiled_before
from sim.studies import cli
from sim.studies.search import optimise, settings

log = logging.getLogger("experiments.optimize")


def check_job(cfg: DictConfig) -> None:
    """The settings, the search, every run's config and every variable's range."""
    settings(plain(cfg))


def typed() -> str:
    """This command as typed (its --config-dir and overrides), for the outputs to name."""
    hc = HydraConfig.get()
    dirs = [s.path for s in hc.runtime.config_sources if s.provider == "command-line"]
    words = [w for d in dirs for w in ("--config-dir", d)] + list(hc.overrides.task)
    return " ".join(["python -m experiments.optimize", *map(shlex.quote, words)])


@hydra.main(config_path="../scenarios", config_name="optimize", version_base="1.3")
def task(cfg: DictConfig) -> None:
    for name in ("MESA", "optuna"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with cli.one_line_errors():
        plan = settings(plain(cfg), typed())
        out = Path(plan.pars.output_root) / "search" / plan.pars.search.name
        if not compiled_before():
            log.info("first run: compiling the model's loops once (10-50 s a worker)")
        result = optimise(plan, out)
    if result is None:
        log.info("worker %d done; run again with workers=1 for the outputs", plan.pars.worker)
        return
    for line in (out / "search.md").read_text().splitlines():
        if line.strip():
            log.info("%s", line)
    log.info("results: %s", out)


def main(argv: list[str] | None = None) -> None:
    cli.main(task, "optimize", check_job, (), argv, "experiments.optimize")


if __name__ == "__main__":
    main()
