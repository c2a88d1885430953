"""Run one scenario: ``python -m experiments.run [key=value ...]`` (Hydra; root ``scenarios/``).

Examples:
    python -m experiments.run                              # the default Fuling district
    python -m experiments.run shocks=flood population.scale=0.1 seed=3
    python -m experiments.run -m seed=1,2,3                # a sweep (outputs/sweeps/sweep/)

Every job is checked before Hydra makes any folder (:mod:`sim.studies.cli`).
"""

import logging
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.config.compose import own_over_fitted
from sim.core.jit import compiled_before
from sim.engine.households import memory_needed
from sim.engine.population import load
from sim.engine.schema import check
from sim.studies import cli
from sim.studies.run import RUN_FILES, is_complete, report, simulate, write
from sim.studies.runner import end_with_parent

log = logging.getLogger("experiments.run")
_REGISTERS: dict[tuple, int] = {}  # households of each register checked, by file and district


def check_job(cfg: DictConfig) -> None:
    """Check one job's config, and its register (once per file) when it names one."""
    run = check(cfg)
    pop = run.population
    if pop.file:
        path = Path(pop.file)
        key = (path.resolve(), path.stat().st_mtime_ns if path.exists() else 0,
               pop.n_towns, pop.n_villages)  # fmt: skip
        if key not in _REGISTERS:
            _REGISTERS[key] = load(path, pop.n_towns, pop.n_villages).n
        memory_needed(_REGISTERS[key], 1, "population.file", pop.file)


@hydra.main(config_path="../scenarios", config_name="config", version_base="1.3")
def task(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    end_with_parent()  # a job of Hydra's joblib launcher ends with the command
    hydra_cfg = HydraConfig.get()
    out = Path(hydra_cfg.runtime.output_dir)
    # one's own files win over the calibrated values, as in compose() (precheck said so)
    own_over_fitted(cfg, list(hydra_cfg.overrides.task), "config", hydra_cfg.runtime.choices)
    if is_complete(cfg, out):
        log.info("already done, skipped: %s", out)
        return
    if not compiled_before():
        log.info("first run: compiling the model's loops once (10-50 s); later runs load them")
    with cli.one_line_errors():
        result = simulate(cfg)
        write(result, cfg, out, chart=cfg.chart, lang=cfg.lang)
    log.info("%s", report(result, out))


def main(argv: list[str] | None = None) -> None:
    cli.main(task, "config", check_job, RUN_FILES, argv, "experiments.run")


if __name__ == "__main__":
    main()
