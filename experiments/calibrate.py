"""Fit the model to a target table: ``python -m experiments.calibrate calibration=<name>``.

Targets and free parameters are in ``scenarios/calibration/<name>.yaml``. Writes fit tables
(before and after, and the full-district check), a chart and the fitted values into
``outputs/calibrate/<name>/``, and the fitted values as the config the defaults include
(``scenarios/calibrated/<name>.yaml``). Started again after an interruption, it replays its
cached runs and goes on.
"""

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from sim.errors import ConfigError, DataError
from sim.fit import calibrate

log = logging.getLogger("experiments.calibrate")


@hydra.main(config_path="../scenarios", config_name="calibrate", version_base="1.3")
def main(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        data = OmegaConf.to_container(cfg.calibration, resolve=True)
        calibrate(data, out, n_jobs=cfg.n_jobs, write_config=cfg.write_config)
    except (ConfigError, DataError) as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
