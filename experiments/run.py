"""Run one scenario: ``python -m experiments.run [key=value ...]`` (Hydra; root ``scenarios/``).

Examples:
    python -m experiments.run                              # the default Fuling district
    python -m experiments.run shocks=flood population.scale=0.1 seed=3
    python -m experiments.run -m seed=1,2,3                # a sweep (outputs/sweeps/sweep/)
"""

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.errors import ConfigError, DataError
from sim.jit import compiled_before
from sim.run import is_complete, report, simulate, write

log = logging.getLogger("experiments.run")


@hydra.main(config_path="../scenarios", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    out = Path(HydraConfig.get().runtime.output_dir)
    if is_complete(cfg, out):
        log.info("already done, skipped: %s", out)
        return
    if not compiled_before():
        log.info("first run: compiling the model's loops once (10-50 s); later runs load them")
    try:
        result = simulate(cfg)
        write(result, cfg, out, chart=cfg.chart, lang=cfg.lang)
    except (ConfigError, DataError) as exc:
        sys.exit(f"error: {exc}")
    log.info("%s", report(result, out))


if __name__ == "__main__":
    main()
