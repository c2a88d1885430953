"""History check: ``python -m experiments.validate`` (settings in ``scenarios/validate.yaml``).

Runs the shipped defaults over 2021-2025 on seeds the calibration never used and writes
``validate.md`` (checks, margins to the large-scale thresholds, fitted targets for reference),
``validate.csv`` and ``margins.csv`` into ``outputs/validate/<calibration>/``. Started again,
it reuses the runs it has (same config, seed and code).
"""

import logging
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.config.compose import plain
from sim.studies import cli
from sim.studies.validate import settings, validate


def check_job(cfg: DictConfig) -> None:
    """The settings, the target table and every configuration a check runs."""
    settings(plain(cfg))


@hydra.main(config_path="../scenarios", config_name="validate", version_base="1.3")
def task(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = Path(HydraConfig.get().runtime.output_dir)
    with cli.one_line_errors():
        validate(settings(plain(cfg)), out)


def main(argv: list[str] | None = None) -> None:
    cli.main(task, "validate", check_job, (), argv, "experiments.validate")


if __name__ == "__main__":
    main()
