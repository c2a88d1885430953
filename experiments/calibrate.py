"""Fit the model to a target table: ``python -m experiments.calibrate calibration=<name>``.

Targets and free parameters are in ``scenarios/calibration/<name>.yaml``. Writes fit tables
(before and after, and the full-district check), a chart and the fitted values into
``outputs/calibrate/<name>/``, and the fitted values as the config the defaults include
(``scenarios/calibrated/<name>.yaml``). Started again after an interruption, it replays its
cached runs and goes on. Everything is checked before anything is written (:mod:`sim.studies.cli`).
"""

import logging
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.config.compose import plain
from sim.studies import cli
from sim.studies.fit import calibrate, settings

log = logging.getLogger("experiments.calibrate")


def check_job(cfg: DictConfig) -> None:
    """The settings, the targets, the free parameters and the base config."""
    settings(plain(cfg))


@hydra.main(config_path="../scenarios", config_name="calibrate", version_base="1.3")
def task(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = Path(HydraConfig.get().runtime.output_dir)
    with cli.one_line_errors():
        pars = settings(plain(cfg))
        calibrate(pars.calibration, out, n_jobs=pars.n_jobs, write_config=pars.write_config)


def main(argv: list[str] | None = None) -> None:
    cli.main(task, "calibrate", check_job, (), argv, "experiments.calibrate")


if __name__ == "__main__":
    main()
